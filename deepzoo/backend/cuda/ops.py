"""``NumbaCUDAOps``: every operation of the reference Ops, on an NVIDIA GPU.

Importing this module imports numba's CUDA target and raises
:class:`~deepzoo.errors.BackendError`, with the reason, when CUDA cannot be used
here (see :mod:`deepzoo.backend.cuda.target`).
"""

from __future__ import annotations

from .conv import CUDAConvOps
from .dense import CUDADenseOps
from .recurrent import CUDARecurrentOps
from .training import CUDATrainingOps


class NumbaCUDAOps(CUDADenseOps, CUDAConvOps, CUDARecurrentOps, CUDATrainingOps):
    """Operations on an NVIDIA GPU (or numba's CUDA simulator); see :class:`CUDAOpsBase`
    for the arguments."""
