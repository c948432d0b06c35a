"""Weight initialisers.

An initialiser is a function ``(shape, fan_in, fan_out, rng) -> numpy array``
(float64; the layer converts to its dtype). ``fan_in`` is the number of incoming
links of one unit, ``fan_out`` the number of outgoing ones.

==================  =======================================================
name                distribution
==================  =======================================================
glorot_uniform      U(-l, l), l = sqrt(6 / (fan_in + fan_out)) (default)
glorot_normal       N(0, sqrt(2 / (fan_in + fan_out))), truncated at 2 s.d.
he_normal           N(0, sqrt(2 / fan_in)), truncated at two std. devs.
he_uniform          U(-l, l), l = sqrt(6 / fan_in)
lecun_normal        N(0, sqrt(1 / fan_in)), truncated at two std. devs.
lecun_uniform       U(-l, l), l = sqrt(3 / fan_in)
random_normal       N(0, 0.05) (Keras's RandomNormal defaults)
random_uniform      U(-0.05, 0.05) (Keras's RandomUniform defaults)
normal_fan_in       N(0, 1 / sqrt(fan_in)): the lectures' "one over the
                    square root of the incoming links"
orthogonal          orthonormal rows or columns (recurrent kernels)
zeros, ones         constants (biases start at zero)
constant            ``Constant(value)``: every entry ``value`` (0 by name)
==================  =======================================================
"""

from __future__ import annotations

import math

import numpy as np

from . import registry
from .errors import ConfigError


def glorot_uniform(shape, fan_in, fan_out, rng):
    """Uniform on [-l, l] with l = sqrt(6 / (fan_in + fan_out))."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def _truncated_normal(shape, std, rng):
    """Normal draws with standard deviation ``std`` after those beyond two deviations are
    drawn again, as Keras does (the result's own deviation is ``std``)."""
    values = rng.standard_normal(size=shape)
    bad = np.abs(values) > 2
    while bad.any():
        values[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(values) > 2
    return values * (std / 0.87962566103423978)  # std of N(0,1) truncated at +-2


def he_normal(shape, fan_in, fan_out, rng):
    """Normal with standard deviation sqrt(2 / fan_in), truncated at two deviations."""
    return _truncated_normal(shape, math.sqrt(2.0 / fan_in), rng)


def he_uniform(shape, fan_in, fan_out, rng):
    """Uniform on [-l, l] with l = sqrt(6 / fan_in)."""
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape)


def glorot_normal(shape, fan_in, fan_out, rng):
    """Normal with standard deviation sqrt(2 / (fan_in + fan_out)), truncated at two deviations."""
    return _truncated_normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), rng)


def lecun_normal(shape, fan_in, fan_out, rng):
    """Normal with standard deviation sqrt(1 / fan_in), truncated at two deviations."""
    return _truncated_normal(shape, math.sqrt(1.0 / fan_in), rng)


def lecun_uniform(shape, fan_in, fan_out, rng):
    """Uniform on [-l, l] with l = sqrt(3 / fan_in)."""
    limit = math.sqrt(3.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape)


def random_normal(shape, fan_in, fan_out, rng):
    """Normal with mean 0 and standard deviation 0.05, whatever the fans."""
    return rng.normal(0.0, 0.05, size=shape)


def random_uniform(shape, fan_in, fan_out, rng):
    """Uniform on [-0.05, 0.05], whatever the fans."""
    return rng.uniform(-0.05, 0.05, size=shape)


def normal_fan_in(shape, fan_in, fan_out, rng):
    """Normal with mean 0 and standard deviation 1 / sqrt(fan_in)."""
    return rng.normal(0.0, 1.0 / math.sqrt(fan_in), size=shape)


def orthogonal(shape, fan_in, fan_out, rng):
    """A random matrix with orthonormal rows or columns (Keras's default for recurrent kernels)."""
    rows, cols = shape[0], int(np.prod(shape[1:]))
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # a uniform draw over orthogonal matrices
    return (q if rows >= cols else q.T).reshape(shape)


def zeros(shape, fan_in, fan_out, rng):
    """All zeros."""
    return np.zeros(shape)


def ones(shape, fan_in, fan_out, rng):
    """All ones."""
    return np.ones(shape)


class Constant:
    """Every entry ``value`` (Keras's ``Constant``; by name, ``"constant"``, the value is 0)."""

    def __init__(self, value=0.0):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"Constant: value must be a finite number, received {value!r}")
        self.value = float(value)

    def __call__(self, shape, fan_in, fan_out, rng):
        return np.full(shape, self.value)

    def __repr__(self):
        return f"Constant({self.value!r})"


def constant(shape, fan_in, fan_out, rng):
    """All zeros: the registered name stands for ``Constant(0.0)``."""
    return np.zeros(shape)


class UnitForgetBias:
    """An LSTM bias: ``base`` everywhere, then 1 on the forget gate's ``units`` entries.

    Keras's ``unit_forget_bias=True``: starting the forget gate open lets the
    gradient flow back through many steps at the start of training. The gates are
    laid out input, forget, cell, output, so the forget gate is ``[units:2*units]``.
    """

    def __init__(self, base, units: int):
        self.base, self.units = base, units

    def __call__(self, shape, fan_in, fan_out, rng):
        values = np.array(self.base(shape, fan_in, fan_out, rng), dtype=np.float64)
        values[self.units: 2 * self.units] = 1.0
        return values


def get(spec):
    """An initialiser from its registered name, or a callable with the initialiser signature.

    The built-ins above are registered through the ``deepzoo.initializers`` entry
    points, like a plugin's; :func:`deepzoo.registry.register_initializer` adds one in code.
    """
    if callable(spec) and not isinstance(spec, type):
        return spec
    if isinstance(spec, str):
        return registry.initializers.resolve(spec, object, instantiate=False)
    raise ConfigError(
        f"an initializer is a registered name (one of {', '.join(registry.initializers.names())}) "
        f"or a function (shape, fan_in, fan_out, rng) -> array; received {spec!r}"
    )


def name_of(init) -> str | None:
    """The registered name of an initialiser function, or None for a custom one."""
    return registry.initializers.name_of(init)
