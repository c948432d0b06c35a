"""The one place where deepzoo imports numba's CUDA target.

Everything GPU-specific that is not a kernel goes through this module: finding
out whether a GPU can be used (and why not), the ``cuda`` module itself, moving
arrays between host and device, and choosing launch sizes. The kernels
(``*_kernels.py`` beside this file) and the Ops (``ops.py``) import ``cuda`` from here, so moving to
another CUDA target for numba means changing this file.

The CUDA target comes from the ``numba-cuda`` package (``pip install
'deepzoo[cuda]'``). For tests without a GPU, numba has a simulator: with
``NUMBA_ENABLE_CUDASIM=1`` set before numba is imported, kernels run as Python
code on the CPU, one Python thread per GPU thread. It gives the same results,
very slowly, so under it :func:`launch_size` starts only a few threads; every
kernel loops over its elements with a grid stride, which makes the answer
independent of how many threads run.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from ...errors import BackendError


@dataclass(frozen=True)
class CudaStatus:
    """Whether the CUDA backend can run here, on what, and if not, why not."""

    usable: bool
    simulator: bool
    device: str | None
    reason: str

    def describe(self) -> str:
        """One line for ``deepzoo info``."""
        if not self.usable:
            return f"not available: {self.reason}"
        if self.simulator:
            return f"CUDA simulator ({self.reason})"
        return f"available: {self.device}"


_status: CudaStatus | None = None


def status() -> CudaStatus:
    """Probe (once) for numba-cuda, the simulator, a driver and a GPU."""
    global _status
    if _status is None:
        _status = _probe()
    return _status


def _probe() -> CudaStatus:
    if importlib.util.find_spec("numba_cuda") is None:
        return CudaStatus(False, False, None, f"the numba-cuda package is not installed: {INSTALL_HINT}")
    try:
        from numba import config, cuda
    except Exception as exc:  # a broken install must not break deepzoo
        return CudaStatus(False, False, None, f"numba's CUDA target failed to import: {exc}")
    if config.ENABLE_CUDASIM:
        return CudaStatus(True, True, "simulator",
                          "NUMBA_ENABLE_CUDASIM=1: kernels run as Python on the CPU, for tests only")
    try:
        if not cuda.is_available():
            return CudaStatus(False, False, None, _driver_problem(cuda))
        from . import memory

        memory.install(cuda)  # before the context is made: its allocator is fixed then
        name = cuda.get_current_device().name
    except Exception as exc:
        return CudaStatus(False, False, None, f"the CUDA driver reported an error: {_one_line(exc)}")
    if isinstance(name, bytes):
        name = name.decode()
    problem = _compiler_problem()
    if problem:
        return CudaStatus(False, False, str(name), problem)
    # the small models of the lectures launch small grids: numba would warn about
    # low occupancy on nearly every kernel of them
    config.CUDA_LOW_OCCUPANCY_WARNINGS = False
    return CudaStatus(True, False, str(name), "")


def _driver_problem(cuda) -> str:
    """Why ``cuda.is_available()`` said no, in one line."""
    try:
        len(cuda.gpus)  # raises with the driver's own explanation
    except Exception as exc:
        text = str(exc)
        if "driver" in text.lower() and "found" in text.lower():
            return "no NVIDIA driver was found (this machine seems to have no NVIDIA GPU)"
        return _one_line(exc)
    return "the driver sees no CUDA GPU"


#: what to install when numba-cuda came without CUDA's compiler and runtime libraries
INSTALL_HINT = ("pip install 'deepzoo[cuda]' (CUDA 12, any current driver) or "
                "'deepzoo[cuda13]' (CUDA 13, driver r580 or newer)")


def _compiler_problem() -> str:
    """Why kernels could not be compiled here ("" if they can): numba-cuda needs libNVVM,
    which plain ``pip install numba-cuda`` does not bring."""
    try:
        from numba.cuda.cudadrv import nvvm

        nvvm.NVVM()
    except Exception as exc:
        return (f"numba-cuda cannot load libNVVM, CUDA's compiler ({_one_line(exc)}): "
                f"{INSTALL_HINT}")
    return ""


def _one_line(exc) -> str:
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return text or type(exc).__name__


def cuda_module():
    """The ``numba.cuda`` module, for defining kernels: needs numba-cuda, not a GPU.

    Kernels are compiled when first launched, so defining them works on any
    machine with numba-cuda; :func:`require` is what checks that they can run.
    """
    if importlib.util.find_spec("numba_cuda") is None:
        raise BackendError("the CUDA kernels need the numba-cuda package: pip install 'deepzoo[cuda]'")
    from numba import cuda

    return cuda


def require():
    """The ``numba.cuda`` module, or a :class:`BackendError` that says why it cannot be used."""
    state = status()
    if not state.usable:
        raise BackendError(f"device 'cuda' cannot be used: {state.reason}. Use device='cpu'.")
    from numba import cuda

    return cuda


# ------------------------------------------------------------------ arrays
def is_device_array(x) -> bool:
    """True for arrays that live on the GPU (or in the simulator's pretend GPU)."""
    return hasattr(x, "copy_to_host") and hasattr(x, "shape")


def to_device(x, dtype=None):
    """``x`` as a C-contiguous device array (no copy if it already is one of that dtype)."""
    cuda = require()
    if is_device_array(x):
        if dtype is None or np.dtype(dtype) == x.dtype:
            return x
        x = x.copy_to_host()
    return cuda.to_device(np.ascontiguousarray(x, dtype=dtype))


def empty(shape, dtype):
    """An uninitialised device array."""
    return require().device_array(shape, dtype=np.dtype(dtype))


def to_host(x) -> np.ndarray:
    """``x`` as a NumPy array (copied from the device if it is on it)."""
    return x.copy_to_host() if is_device_array(x) else np.asarray(x)


def synchronize() -> None:
    """Wait until every kernel launched so far has finished (for timings)."""
    require().synchronize()


# ------------------------------------------------------------ launch sizes
#: threads per block of the one-dimensional kernels
THREADS = 256
#: at most this many blocks; the grid-stride loops cover the rest
MAX_BLOCKS = 4096
#: in the simulator each thread is a Python thread: keep them few
SIMULATOR_THREADS = 16


#: streaming multiprocessors assumed where no GPU can be asked (an H100's 132)
DEFAULT_MULTIPROCESSORS = 132
_multiprocessors: int | None = None


def multiprocessors() -> int:
    """How many streaming multiprocessors the GPU has: a product over few output tiles
    splits its sum so that each has a block (see ``dense_kernels.gemm_launch``)."""
    global _multiprocessors
    if _multiprocessors is None:
        from numba import config

        if config.ENABLE_CUDASIM:
            _multiprocessors = DEFAULT_MULTIPROCESSORS
        else:
            _multiprocessors = int(require().get_current_device().MULTIPROCESSOR_COUNT)
    return _multiprocessors


def launch_size(n: int) -> tuple[int, int]:
    """``(blocks, threads)`` for a grid-stride kernel over ``n`` items."""
    if status().simulator:
        return 1, max(1, min(n, SIMULATOR_THREADS))
    blocks = min(MAX_BLOCKS, max(1, -(-n // THREADS)))
    return blocks, THREADS
