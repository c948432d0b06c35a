"""``keras.initializers``: Keras's initializer names for deepzoo's initializer functions.

Keras's initializers are classes; ``GlorotUniform()`` here gives deepzoo's
function of the same distribution, which a layer takes as ``kernel_initializer``.
"""

from .. import initializers as _init
from ._missing import missing_names

__all__ = ["GlorotUniform", "HeNormal", "Ones", "Orthogonal", "Zeros"]


def GlorotUniform(seed=None):  # noqa: N802 - Keras's name
    """Uniform on [-l, l], l = sqrt(6 / (fan_in + fan_out)); the layer's generator draws it."""
    return _init.glorot_uniform


def HeNormal(seed=None):  # noqa: N802
    """Truncated normal with standard deviation sqrt(2 / fan_in)."""
    return _init.he_normal


def Orthogonal(gain=1.0, seed=None):  # noqa: N802
    """A random orthogonal matrix (gain 1 only)."""
    if gain != 1.0:
        raise _missing_gain()
    return _init.orthogonal


def Zeros():  # noqa: N802
    """All zeros."""
    return _init.zeros


def Ones():  # noqa: N802
    """All ones."""
    return _init.ones


def _missing_gain():
    from ..errors import MissingFeatureError

    return MissingFeatureError("keras.initializers.Orthogonal(gain=...) other than 1.0 is not in deepzoo yet")


__getattr__ = missing_names("keras.initializers", {
    "HeUniform": "", "GlorotNormal": "", "LecunNormal": "", "LecunUniform": "", "RandomNormal": "",
    "RandomUniform": "", "TruncatedNormal": "", "Constant": "",
})
