"""``keras.initializers``: Keras's initializer names for deepzoo's initializer functions.

Keras's initializers are classes; ``GlorotUniform()`` here gives deepzoo's
function of the same distribution, which a layer takes as ``kernel_initializer``.
"""

from .. import initializers as _init
from ._missing import missing_names

__all__ = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
           "Ones", "Orthogonal", "RandomNormal", "RandomUniform", "Zeros"]

Constant = _init.Constant


def GlorotUniform(seed=None):  # noqa: N802 - Keras's name
    """Uniform on [-l, l], l = sqrt(6 / (fan_in + fan_out)); the layer's generator draws it."""
    return _init.glorot_uniform


def HeNormal(seed=None):  # noqa: N802
    """Truncated normal with standard deviation sqrt(2 / fan_in)."""
    return _init.he_normal


def HeUniform(seed=None):  # noqa: N802
    """Uniform on [-l, l], l = sqrt(6 / fan_in)."""
    return _init.he_uniform


def GlorotNormal(seed=None):  # noqa: N802
    """Truncated normal with standard deviation sqrt(2 / (fan_in + fan_out))."""
    return _init.glorot_normal


def LecunNormal(seed=None):  # noqa: N802
    """Truncated normal with standard deviation sqrt(1 / fan_in)."""
    return _init.lecun_normal


def LecunUniform(seed=None):  # noqa: N802
    """Uniform on [-l, l], l = sqrt(3 / fan_in)."""
    return _init.lecun_uniform


def RandomNormal(mean=0.0, stddev=0.05, seed=None):  # noqa: N802
    """Normal with the given mean and standard deviation."""
    if (mean, stddev) == (0.0, 0.05):
        return _init.random_normal
    return lambda shape, fan_in, fan_out, rng: rng.normal(mean, stddev, size=shape)


def RandomUniform(minval=-0.05, maxval=0.05, seed=None):  # noqa: N802
    """Uniform on [minval, maxval]."""
    if (minval, maxval) == (-0.05, 0.05):
        return _init.random_uniform
    return lambda shape, fan_in, fan_out, rng: rng.uniform(minval, maxval, size=shape)


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
    "TruncatedNormal": "", "VarianceScaling": "",
})
