"""Whether the CPU family's kernels are cached on disk, decided once.

numba keeps compiled kernels in a cache folder (``NUMBA_CACHE_DIR``, else
``__pycache__`` beside the source, else the user's cache), so that a model
compiles them only once per machine. Where none of those can be written (a
read-only install and an unwritable home), asking for a cache makes numba fail
at import; deepzoo then compiles without one, in every process, and says so
once. Note that numba's cache index files are pickles: a cache folder that
another user can write lets that user run code in your process, so keep
``NUMBA_CACHE_DIR`` private.
"""

from __future__ import annotations

import warnings

from numba import njit


def _probe():
    return 0


def cache_available() -> bool:
    """Whether numba can find a cache folder it may write for deepzoo's kernels."""
    try:
        njit(cache=True)(_probe)  # finding a cache locator happens here, compiling does not
    except RuntimeError as exc:  # "cannot cache function ...: no locator available"
        warnings.warn(f"numba cannot cache deepzoo's compiled kernels here ({exc}); they are compiled "
                      f"anew in every process. Set NUMBA_CACHE_DIR to a folder only you can write to "
                      f"keep them.", RuntimeWarning, stacklevel=2)
        return False
    return True


#: True where the kernels are cached on disk (see the module docstring)
CACHE = cache_available()
