"""``NumbaCPUOps``: the CPU family's parts put together (see the package docstring)."""

from __future__ import annotations

from .conv import CPUConvOps
from .dense import CPUDenseOps
from .recurrent import CPURecurrentOps
from .training import CPUTrainingOps


class NumbaCPUOps(CPUDenseOps, CPUConvOps, CPURecurrentOps, CPUTrainingOps):
    """CPU operations compiled with numba; falls back to the reference for the rest.

    ``NumbaCPUOps(threads=1)`` keeps everything on the calling thread;
    ``keep_freed_memory=False`` leaves the process's allocator as it is.
    """
