"""Choosing where the maths runs.

The operations come in three families that mirror each other file for file:
``reference/`` (NumPy, the specification), ``cpu/`` (numba) and ``cuda/``
(numba's CUDA target). ``get_ops()`` returns the current default
:class:`~deepzoo.backend.reference.Ops`; ``set_backend(name)`` changes it. Names:

``"numba"`` (default, alias ``"cpu"``)
    :class:`~deepzoo.backend.cpu.ops.NumbaCPUOps`: numba kernels, NumPy's BLAS.
``"numpy"`` (alias ``"reference"``)
    :class:`~deepzoo.backend.reference.Ops`: the readable NumPy reference.
``"cuda"`` (alias ``"gpu"``)
    :class:`~deepzoo.backend.cuda.ops.NumbaCUDAOps`: CUDA kernels through numba's
    CUDA target (``pip install 'deepzoo[cuda]'``). Where no GPU can be used, asking
    for it raises :class:`~deepzoo.errors.BackendError` with the reason
    (:func:`cuda_status` says it without raising).

Each backend is imported only when first used, so ``import deepzoo`` stays fast
and never touches numba's CUDA target.
"""

from __future__ import annotations

from ..errors import BackendError
from ..interrupt import DeferInterrupt
from .reference import Ops

__all__ = ["Ops", "available_backends", "cuda_status", "current_backend", "get_ops", "set_backend"]

_ALIASES = {"numba": "numba", "cpu": "numba", "numpy": "numpy", "reference": "numpy",
            "cuda": "cuda", "gpu": "cuda"}
_instances: dict[str, Ops] = {}
_default = "numba"


def available_backends() -> list[str]:
    """The backend names :func:`get_ops` accepts on this machine."""
    return ["numba", "numpy"] + (["cuda"] if cuda_status().usable else [])


def cuda_status():
    """Whether the CUDA backend can run here, and why not: a
    :class:`~deepzoo.backend.cuda.target.CudaStatus`."""
    from .cuda.target import status

    return status()


def get_ops(name: str | Ops | None = None) -> Ops:
    """The Ops for ``name`` (an Ops instance passes through); ``None`` gives the default."""
    if isinstance(name, Ops):
        return name
    if name is None:
        name = _default
    if not isinstance(name, str) or name.lower() not in _ALIASES:
        raise BackendError(
            f"unknown device/backend {name!r}: expected one of 'numba' (or 'cpu'), "
            f"'numpy' (or 'reference'), 'cuda'"
        )
    key = _ALIASES[name.lower()]
    if key not in _instances:
        if key == "numba":
            with DeferInterrupt():  # numba's first import must not be cut in half
                from .cpu.ops import NumbaCPUOps

            _instances[key] = NumbaCPUOps()
        elif key == "cuda":
            from .cuda.target import require

            with DeferInterrupt():
                require()  # a BackendError with the reason where CUDA cannot be used here
                from .cuda.ops import NumbaCUDAOps

            _instances[key] = NumbaCUDAOps()
        else:
            _instances[key] = Ops()
    return _instances[key]


def set_backend(name) -> Ops:
    """Make ``name`` the default backend for layers and models created afterwards.

    ``name`` may also be an Ops instance, e.g. ``NumbaCPUOps(keep_freed_memory=False)``:
    it then serves as the backend of its name.
    """
    global _default
    if isinstance(name, Ops):
        _instances[name.name] = name
        _default = name.name
        return name
    ops = get_ops(name)
    _default = _ALIASES[name.lower()]
    return ops


def current_backend() -> str:
    """The name of the default backend (``"numba"``, ``"numpy"`` or ``"cuda"``)."""
    return _default


def __getattr__(name):
    """``deepzoo.backend.NumbaCPUOps`` and ``NumbaCUDAOps``, imported when first asked for."""
    if name == "NumbaCPUOps":
        from .cpu.ops import NumbaCPUOps

        return NumbaCPUOps
    if name == "NumbaCUDAOps":
        from .cuda.ops import NumbaCUDAOps

        return NumbaCUDAOps
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
