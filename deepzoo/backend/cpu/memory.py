"""Keep freed memory for reuse instead of handing it back to the system after each batch.

Training allocates the same large temporaries at every step (a convolution's
output and its gradients: tens of MB per batch). glibc's allocator returns blocks
this large to the operating system when they are freed, so every step faults
the same memory back in page by page: about 2,800 page faults and 10 ms of system
time per step of the MNIST ConvNet on a 2-core machine, 18 once the memory is kept
(``benchmarks/profile_layers.py``, with and without ``--system-malloc``).

:func:`keep_freed_memory` raises glibc's thresholds (``mallopt``) so that blocks
up to 64 MB come from the heap and up to 512 MB of free heap stay mapped. It
changes how the whole process allocates memory, which is why ``NumbaCPUOps``
asks for it explicitly (``NumbaCPUOps(keep_freed_memory=False)`` opts out) and
``deepzoo info`` reports it. Elsewhere than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_state = {"done": False, "active": False}


def keep_freed_memory(mmap_threshold=64 << 20, trim_threshold=512 << 20) -> bool:
    """Apply the thresholds once per process; True if the allocator accepted them."""
    if _state["done"]:
        return _state["active"]
    _state["done"] = True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt  # glibc only; musl has none
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _state["active"] = bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, trim_threshold))
    return _state["active"]


def kept() -> bool:
    """Whether :func:`keep_freed_memory` is in effect in this process."""
    return _state["active"]
