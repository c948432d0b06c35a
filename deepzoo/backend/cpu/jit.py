"""Whether the CPU family's kernels are cached on disk, decided once.

numba keeps compiled kernels in a cache folder (``NUMBA_CACHE_DIR``, else
``__pycache__`` beside the source, else the user's cache), so that a model
compiles them only once per machine. Where none of those can be written (a
read-only install and an unwritable home), asking for a cache makes numba fail
at import; deepzoo then compiles without one, in every process, and says so
once. A cache file that cannot be read (cut short by a full disk, say) would
make numba fail at the kernel's first call; :func:`recover_from_bad_cache_files`
makes that a cache miss instead: the kernel compiles again and its files are
written anew.

Note that numba's cache index files are pickles: a cache folder that another
user can write lets that user run code in your process, so keep
``NUMBA_CACHE_DIR`` private.
"""

from __future__ import annotations

import os
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


_told_about_bad_files = False


def recover_from_bad_cache_files(namespace: dict) -> None:
    """Give every cached kernel in ``namespace`` (a kernel module's globals) a cache that
    treats an unreadable cache file as a miss: compile again, overwrite, warn once."""
    if not CACHE:
        return
    try:
        from numba.core.caching import FunctionCache
        from numba.core.registry import CPUDispatcher
    except ImportError:  # another numba: leave its caching as it is
        return

    class RecoveringCache(FunctionCache):
        def load_overload(self, sig, target_context):
            try:
                return super().load_overload(sig, target_context)
            except Exception as exc:  # a damaged index or data file: numba would stop here
                global _told_about_bad_files
                if not _told_about_bad_files:
                    _told_about_bad_files = True
                    warnings.warn(f"numba's cache file for {self._name} could not be read "
                                  f"({type(exc).__name__}); compiling that kernel again and rewriting "
                                  f"its cache", RuntimeWarning, stacklevel=2)
                try:
                    os.remove(self._cache_file._index_path)
                except (OSError, AttributeError):
                    pass
                return None

    for value in list(namespace.values()):
        if isinstance(value, CPUDispatcher) and isinstance(getattr(value, "_cache", None), FunctionCache):
            value._cache = RecoveringCache(value.py_func)
