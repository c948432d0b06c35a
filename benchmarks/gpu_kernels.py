"""Compile every CUDA kernel the operations launch for this machine's GPU, and report its resources.

    python benchmarks/gpu_kernels.py

The launches come from ``tests/cuda_launches.py`` (every op run in numba's
simulator, in a subprocess); each kernel is then compiled for the GPU here with
the argument types it is launched with, and one line per kernel and signature
gives its registers per thread, its local memory per thread (spilled registers
show up there) and its static shared memory per block. Needs a GPU.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))


def launches() -> list:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "launches.json"
        subprocess.run([sys.executable, str(HERE.parent / "tests" / "cuda_launches.py"), str(path)], check=True,
                       env={**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}, stdout=subprocess.DEVNULL)
        return json.loads(path.read_text())


def main():
    from deepzoo.backend import cuda_status

    status = cuda_status()
    if not status.usable or status.simulator:
        print(f"no GPU to compile for: {status.reason}")
        sys.exit(2)
    from test_cuda_compile import _signature

    print(f"{'kernel':<44}{'dtype':>8}{'registers':>11}{'local B':>9}{'shared B':>10}")
    worst = 0
    for name, args in launches():
        module, attr = name.split(":")
        kernel = getattr(importlib.import_module(module), attr)
        signature = _signature(args)
        kernel.compile(signature)
        registers = kernel.get_regs_per_thread(signature)
        local = kernel.get_local_mem_per_thread(signature)
        shared = kernel.get_shared_mem_per_block(signature)
        dtype = next((arg[1] for arg in args if arg[0] == "array" and arg[1].startswith("float")), "-")
        worst = max(worst, local)
        print(f"{attr:<44}{dtype:>8}{registers:>11}{local:>9}{shared:>10}")
    print(f"largest local memory per thread (spills and local arrays): {worst} bytes")


if __name__ == "__main__":
    main()
