"""Activation functions.

Each activation is a small class with two methods: ``apply(ops, x)`` computes
``y = f(x)`` and ``backward(ops, dy, y)`` turns the output's gradient into the
input's. The backward needs only the *output* ``y``, never ``x``, so an activation
may overwrite its input, and a layer may apply it to one slice of a batch at a
time. ``forward(ops, x)`` puts the two together with the same contract as a
layer: it returns ``y`` and a function mapping ``dy`` to ``dx``.

Use them by name in a layer, ``Dense(8, activation="relu")``, as a layer,
``Activation("elu", alpha=0.5)``, or directly on arrays: ``ReLU()(x)``.

=============  ===============================================  ==========================
name           f(x)                                             f'(x) in terms of y = f(x)
=============  ===============================================  ==========================
linear         x                                                1
step           1 if x >= 0 else 0                               0
sigmoid        1 / (1 + exp(-x))                                y (1 - y)
tanh           tanh(x)                                          1 - y^2
relu           max(0, x)                                        1 if y > 0 else 0
leaky_relu     x if x > 0 else alpha x                          1 if y > 0 else alpha
elu            x if x > 0 else alpha (exp(x) - 1)               1 if y > 0 else y + alpha
softmax        exp(x_i) / sum_j exp(x_j)  (last axis)           Jacobian y_i (d_ij - y_j)
=============  ===============================================  ==========================
"""

from __future__ import annotations

from . import registry
from .errors import ConfigError


class ActivationFunction:
    """Base class: subclasses set ``name`` and implement :meth:`apply` and :meth:`backward`.

    An activation that an Ops method computes also names it in ``op`` (its backward
    is ``<op>_backward``; see ``Ops.ACTIVATIONS``) and, if it takes one, keeps the
    extra argument in ``alpha``: an op that applies the activation itself (a
    convolution) is then told it by name. A subclass that sets ``op`` may leave
    :meth:`apply` and :meth:`backward` to this class, which call ``ops.activate``.
    """

    name = "activation"
    #: the name of the Ops method that computes this function, or None
    op: str | None = None
    #: the extra argument of ``op`` for activations that take one (leaky ReLU, ELU)
    alpha = 0.0

    def apply(self, ops, x, out=None):
        """``f(x)``, written into ``out`` when given (``out=x`` works in place)."""
        if self.op is None:
            raise NotImplementedError(f"{type(self).__name__} sets no op: it must implement apply")
        return ops.activate(self.op, x, self.alpha, out=out)

    def backward(self, ops, dy, y, out=None):
        """``dL/dx`` from ``dL/dy`` and the output ``y`` of :meth:`apply`."""
        if self.op is None:
            raise NotImplementedError(f"{type(self).__name__} sets no op: it must implement backward")
        return ops.activate_backward(self.op, dy, y, self.alpha, out=out)

    def forward(self, ops, x, inplace=False):
        """Return ``(y, backward)`` where ``backward(dy, out=None) -> dx``."""
        y = self.apply(ops, x, out=x if inplace else None)

        def backward(dy, out=None):
            return self.backward(ops, dy, y, out=out)

        return y, backward

    def __call__(self, x, ops=None):
        """Apply the activation to an array (NumPy in, NumPy out)."""
        from .backend import get_ops

        ops = get_ops(ops)
        return ops.to_host(self.apply(ops, ops.asarray(x)))

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Linear(ActivationFunction):
    """The identity, ``f(x) = x``: a layer without an activation."""

    name = op = "linear"

    def apply(self, ops, x, out=None):
        return ops.linear(x, out=out)

    def backward(self, ops, dy, y, out=None):
        return ops.linear_backward(dy, y, out=out)


class Step(ActivationFunction):
    """The Heaviside step, 1 where ``x >= 0`` and 0 elsewhere: the perceptron's output.

    Its derivative is 0 almost everywhere, so no gradient passes through it.
    """

    name = "step"
    op = "heaviside"

    def apply(self, ops, x, out=None):
        return ops.heaviside(x, out=out)

    def backward(self, ops, dy, y, out=None):
        return ops.heaviside_backward(dy, y, out=out)


class Sigmoid(ActivationFunction):
    """The logistic function ``1 / (1 + exp(-x))``, from 0 to 1."""

    name = op = "sigmoid"

    def apply(self, ops, x, out=None):
        return ops.sigmoid(x, out=out)

    def backward(self, ops, dy, y, out=None):
        return ops.sigmoid_backward(dy, y, out=out)


class Tanh(ActivationFunction):
    """The hyperbolic tangent, from -1 to 1."""

    name = op = "tanh"

    def apply(self, ops, x, out=None):
        return ops.tanh(x, out=out)

    def backward(self, ops, dy, y, out=None):
        return ops.tanh_backward(dy, y, out=out)


class ReLU(ActivationFunction):
    """The rectified linear unit, ``max(0, x)``."""

    name = op = "relu"

    def apply(self, ops, x, out=None):
        return ops.relu(x, out=out)

    def backward(self, ops, dy, y, out=None):
        return ops.relu_backward(dy, y, out=out)


class Softmax(ActivationFunction):
    """``exp(x_i) / sum_j exp(x_j)`` over the last axis: a probability per class."""

    name = op = "softmax"

    def apply(self, ops, x, out=None):
        return ops.softmax(x, out=out)

    def backward(self, ops, dy, y, out=None):
        return ops.softmax_backward(dy, y, out=out)


class _WithAlpha(ActivationFunction):
    default_alpha = 1.0

    def __init__(self, alpha: float | None = None):
        alpha = self.default_alpha if alpha is None else alpha
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha >= 0:
            raise ConfigError(
                f"activation '{self.name}': alpha must be a number >= 0, received {alpha!r}"
            )
        self.alpha = float(alpha)

    def get_config(self):
        return {"alpha": self.alpha}


class LeakyReLU(_WithAlpha):
    """``max(alpha * x, x)``; the lecture uses ``alpha = 0.1``, Keras's default is 0.3."""

    name = op = "leaky_relu"
    default_alpha = 0.1

    def __init__(self, alpha: float | None = None):
        super().__init__(alpha)
        if self.alpha >= 1:
            raise ConfigError(
                f"activation 'leaky_relu': alpha must be in [0, 1), received {self.alpha!r}"
            )

    def apply(self, ops, x, out=None):
        return ops.leaky_relu(x, self.alpha, out=out)

    def backward(self, ops, dy, y, out=None):
        return ops.leaky_relu_backward(dy, y, self.alpha, out=out)


class ELU(_WithAlpha):
    """``x`` for positive inputs, ``alpha * (exp(x) - 1)`` otherwise."""

    name = op = "elu"
    default_alpha = 1.0

    def apply(self, ops, x, out=None):
        return ops.elu(x, self.alpha, out=out)

    def backward(self, ops, dy, y, out=None):
        return ops.elu_backward(dy, y, self.alpha, out=out)


def get(spec) -> ActivationFunction | None:
    """Resolve ``spec`` to an activation: None, a registered name, a class, an instance,
    or the ``{"name": ..., "config": {...}}`` form that :func:`serialize` writes."""
    if spec is None:
        return None
    if isinstance(spec, dict):
        name, config = spec.get("name"), spec.get("config", {})
        if not isinstance(name, str) or not isinstance(config, dict):
            raise ConfigError(f"an activation config needs a 'name' string and a 'config' "
                              f"object, received {spec!r}")
        return registry.activations.get(name).from_config(config)
    return registry.activations.resolve(spec, ActivationFunction)


def name_of(activation: ActivationFunction | None) -> str | None:
    """The registered name of an activation instance (for configs)."""
    if activation is None:
        return None
    return registry.activations.name_of(type(activation)) or activation.name


def serialize(activation: ActivationFunction | None):
    """An activation as a config value: None, its name, or ``{"name", "config"}`` when it
    has arguments. :func:`get` turns each form back into the activation."""
    if activation is None:
        return None
    config = activation.get_config()
    name = name_of(activation)
    return {"name": name, "config": config} if config else name
