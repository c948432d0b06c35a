"""The CUDA kernels also compile under numba-cuda-mlir, numba-cuda's successor.

numba-cuda is in maintenance mode; NVIDIA's numba-cuda-mlir takes its kernels
(the same ``@cuda.jit`` language) to an MLIR compiler, has no simulator, and needs
Python 3.11 or later. deepzoo imports CUDA in one place (``target.cuda_module``),
so moving means changing that function. This check loads fresh copies of the
four kernel modules with ``target.cuda_module`` answering numba-cuda-mlir's
``cuda``, and compiles every launch that ``cuda_launches.py`` records to PTX for
sm_90. It does not block anything: without the package it skips and says so::

    pip install 'numba-cuda-mlir[cu12]'
    pytest -m cuda_mlir
"""

import importlib.util
import sys
from pathlib import Path

import pytest
from test_cuda_compile import F64, _float32_launch, _skip_reason, launches  # noqa: F401 (a fixture)

pytestmark = pytest.mark.cuda_mlir

KERNEL_MODULES = ("dense_kernels", "conv_kernels", "recurrent_kernels", "training_kernels")
CC = (9, 0)
#: kernels numba-cuda-mlir cannot compile yet, and why: once one compiles, the test says
#: so, and it comes off this list
KNOWN_GAPS = {
    "deepzoo.backend.cuda.dense_kernels:gemm_f32": "0.6.0 has no lowering for cuda.threadfence()",
    "deepzoo.backend.cuda.dense_kernels:gemm_f64": "0.6.0 has no lowering for cuda.threadfence()",
}


@pytest.fixture(scope="module")
def mlir_kernels():
    if importlib.util.find_spec("numba_cuda_mlir") is None:
        pytest.skip("numba-cuda-mlir is not installed (pip install 'numba-cuda-mlir[cu12]')")
    reason = _skip_reason()  # the launches are recorded with numba-cuda's simulator
    if reason:
        pytest.skip(reason)
    from numba_cuda_mlir import cuda as mlir_cuda
    from numba_cuda_mlir import tools

    from deepzoo.backend.cuda import target

    saved = target.cuda_module, tools.get_gpu_compute_capability
    # numba-cuda-mlir 0.6 asks the driver for the host GPU's compute capability even
    # when it is told the target's; without a GPU the test answers for the driver
    try:
        saved[1](tuple)
    except Exception:
        tools.get_gpu_compute_capability = lambda kind=tuple: CC
    target.cuda_module = lambda: mlir_cuda
    modules = {}
    try:
        folder = Path(target.__file__).parent
        for name in KERNEL_MODULES:
            spec = importlib.util.spec_from_file_location(f"deepzoo.backend.cuda._mlir_{name}",
                                                          folder / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            modules[f"deepzoo.backend.cuda.{name}"] = module
        yield mlir_cuda, modules
    finally:
        target.cuda_module, tools.get_gpu_compute_capability = saved
        for name in KERNEL_MODULES:
            sys.modules.pop(f"deepzoo.backend.cuda._mlir_{name}", None)


def _signature(args) -> str:
    """numba-cuda-mlir's signature string for a launch's recorded argument types."""
    def one(arg):
        if arg[0] == "array":
            _, dtype, ndim, layout = arg
            axes = [":"] * ndim
            if layout == "C":
                axes[-1] = "::1"
            return f"{dtype}[{', '.join(axes)}]"
        return "boolean" if arg[1] == "bool" else arg[1]

    return f"void({', '.join(one(arg) for arg in args)})"


def test_every_launched_kernel_compiles_under_numba_cuda_mlir(mlir_kernels, launches):  # noqa: F811
    mlir_cuda, modules = mlir_kernels
    failures, f64, closed = [], [], set()
    for name, args in launches:
        module, attr = name.split(":")
        kernel = getattr(modules[module], attr)
        try:
            ptx, _ = mlir_cuda.compile_ptx(kernel.py_func, _signature(args), cc=CC)
        except Exception as exc:
            if name not in KNOWN_GAPS:
                failures.append(f"{name} {args}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            continue
        if name in KNOWN_GAPS:
            closed.add(name)
        if _float32_launch(args) and F64.findall(ptx):
            f64.append(f"{name} ({len(F64.findall(ptx))} .f64 instructions) {args}")
    assert not failures, f"{len(failures)} of {len(launches)} launches do not compile:\n" + "\n".join(failures)
    assert not f64, "float32 kernels with float64 arithmetic under numba-cuda-mlir:\n" + "\n".join(f64)
    assert not closed, f"these compile now: take them off KNOWN_GAPS: {sorted(closed)}"
