"""Every kernel the CUDA Ops launch compiles for real NVIDIA GPUs, without a GPU.

``cuda_launches.py`` runs every op in numba's simulator and writes down each
kernel launch with its argument types; this test compiles exactly those to PTX
with numba-cuda's NVVM for the compute capabilities of a T4 (7.5, the GPU of
free notebook services), an A100 (8.0) and an H100 (9.0). The simulator alone
would not do: it runs kernels as Python, so code that NVVM refuses (a shared
array whose shape is not made of literals, say) passes there.

Run with ``pip install '.[cuda]'`` and ``pytest -m cuda_compile`` (no GPU needed;
not under ``NUMBA_ENABLE_CUDASIM``). Without numba-cuda or its NVVM it skips.
"""

import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cuda_compile

HERE = Path(__file__).parent
ARCHITECTURES = [(7, 5), (8, 0), (9, 0)]


def _skip_reason():
    if importlib.util.find_spec("numba_cuda") is None:
        return "numba-cuda is not installed (pip install 'deepzoo[cuda]')"
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return "compiling for a GPU needs numba's real CUDA target, not the simulator"
    from numba import cuda

    try:
        cuda.compile_ptx(lambda x: None, "void(float32[::1])", cc=(7, 5))
    except Exception as exc:  # NVVM missing or unloadable
        return f"numba-cuda cannot compile here: {type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="module")
def launches(tmp_path_factory):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    path = tmp_path_factory.mktemp("cuda") / "launches.json"
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    done = subprocess.run([sys.executable, str(HERE / "cuda_launches.py"), str(path)], env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(path.read_text())


def _kernel(name):
    module, attr = name.split(":")
    return getattr(importlib.import_module(module), attr)


def _signature(args):
    from numba import types

    def one(arg):
        if arg[0] == "array":
            _, dtype, ndim, layout = arg
            return types.Array(getattr(types, dtype), ndim, layout)
        return types.boolean if arg[1] == "bool" else getattr(types, arg[1])

    return tuple(one(arg) for arg in args)


class _Architecture:
    """What a device function asks the driver for when it is compiled: the target's
    compute capability. Without a GPU there is no driver to ask, so the test answers."""

    def __init__(self, cc):
        self.compute_capability = cc


def _ptx(name, args, cc, monkeypatch):
    from numba import cuda
    from numba.cuda import dispatcher

    monkeypatch.setattr(dispatcher, "get_current_device", lambda: _Architecture(cc))
    kernel = _kernel(name)
    ptx, _ = cuda.compile_ptx(kernel.py_func, _signature(args), cc=cc,
                              fastmath=kernel.targetoptions.get("fastmath", False))
    return ptx


def _float32_launch(args):
    """A launch on float32 data: float32 arrays, and no float64 argument of any kind."""
    return any(arg[:2] == ["array", "float32"] for arg in args) and all("float64" not in arg for arg in args)


#: PTX instructions on 64-bit floats: arithmetic, conversions, loads and stores of them
F64 = re.compile(r"^\s*[a-z][\w.]*\.f64\b", re.MULTILINE)


def test_float32_data_is_launched_with_float32_scalars_only(launches):
    """A Python float passed to a float32 kernel would make it compute in float64."""
    mixed = [f"{name} {args}" for name, args in launches
             if any(arg[:2] == ["array", "float32"] for arg in args) and any("float64" in arg for arg in args)]
    assert not mixed, "float32 launches with float64 arguments:\n" + "\n".join(mixed)


def test_every_kernel_of_the_cuda_family_is_launched_by_some_op(launches):
    from numba.cuda.dispatcher import CUDADispatcher

    from deepzoo.backend.cuda import conv_kernels, dense_kernels, recurrent_kernels, training_kernels

    modules = (dense_kernels, conv_kernels, recurrent_kernels, training_kernels)
    defined = {f"{m.__name__}:{attr}" for m in modules for attr, obj in vars(m).items()
               if isinstance(obj, CUDADispatcher) and not obj.targetoptions.get("device")}
    launched = {name for name, _ in launches}
    assert not [n for n in launched if n.startswith("unknown:")], launched
    assert defined <= launched, f"kernels no op launched here: {sorted(defined - launched)}"


@pytest.mark.parametrize("cc", ARCHITECTURES, ids=lambda cc: f"sm_{cc[0]}{cc[1]}")
def test_every_launched_kernel_compiles_for_real_gpus(launches, cc, monkeypatch):
    failures, f64 = [], []
    for name, args in launches:
        try:
            ptx = _ptx(name, args, cc, monkeypatch)
        except Exception as exc:
            failures.append(f"{name} {args}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        if _float32_launch(args):
            count = len(F64.findall(ptx))
            if count:
                f64.append(f"{name} ({count} .f64 instructions) {args}")
    assert not failures, f"{len(failures)} do not compile for sm_{cc[0]}{cc[1]}:\n" + "\n".join(failures)
    assert not f64, "float32 kernels with float64 arithmetic:\n" + "\n".join(f64)
