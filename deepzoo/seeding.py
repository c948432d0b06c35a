"""One seedable source of randomness.

Weight initialisation, shuffling and dropout all draw from a
``numpy.random.Generator``. A model created with ``seed=`` owns its generator;
everything else draws from the module-wide one that :func:`set_seed` resets.
The same seed therefore gives the same weights and the same loss curve.
"""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng()


def set_seed(seed: int | None) -> None:
    """Reset the module-wide generator (``None`` seeds it from the operating system)."""
    global _rng
    _rng = np.random.default_rng(seed)


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A generator for ``seed``: an int seeds a new one, ``None`` uses the module-wide one."""
    if seed is None:
        return _rng
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
