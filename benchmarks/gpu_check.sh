#!/usr/bin/env bash
# Everything that proves deepzoo's GPU path on a machine that has one, in one run (under 10 minutes):
#
#     pip install '.[cuda,test]' torch      # a CUDA build of PyTorch, for the comparison
#     bash benchmarks/gpu_check.sh
#
# 1. the GPU, driver, numba-cuda, NVVM and CUDA runtime versions, and `deepzoo info`;
# 2. every kernel compiled for this GPU, with its registers, local memory (spills) and shared memory;
# 3. the CUDA tests on the device (`pytest -m cuda`, and the compile check for sm_75/80/90);
# 4. one epoch of the MLP, the ConvNet and the LSTM adder against PyTorch CUDA, with the ratios
#    and each side's loss and accuracy (benchmarks/gpu.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== versions"
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv || true
python - <<'PY'
import importlib.metadata as md
from numba.cuda.cudadrv import nvvm, runtime
print("numba-cuda", md.version("numba-cuda"), "| NVVM", ".".join(map(str, nvvm.NVVM().get_version())),
      "| CUDA runtime", ".".join(map(str, runtime.runtime.get_version())))
PY
deepzoo info

echo "== every kernel compiled for this GPU"
python benchmarks/gpu_kernels.py

echo "== the CUDA tests on the device"
pytest -q -m "cuda or cuda_compile" -p no:cacheprovider

echo "== one epoch against PyTorch CUDA"
python benchmarks/gpu.py --repeat 2
