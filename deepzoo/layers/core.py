"""Layers without weights: :class:`Activation`, :class:`Dropout`, :class:`Flatten`."""

from __future__ import annotations

import math

import numpy as np

from .. import activations as act
from .. import initializers, registry
from ..errors import ConfigError, MissingFeatureError, ShapeError
from ..geometry import describe_shape
from .base import Layer, check_positive_int


class Activation(Layer):
    """Apply an activation function elementwise (softmax: over the last axis).

    ``Activation("leaky_relu", alpha=0.1)`` passes extra arguments to the function.
    Output shape = input shape.
    """

    default_name = "activation"
    example_args = {"activation": "elu", "alpha": 0.5}
    example_input_shape = (6,)

    def __init__(self, activation, name=None, input_shape=None, dtype="float32", input_dim=None,
                 trainable=True, **activation_args):
        super().__init__(name=name, input_shape=input_shape, input_dim=input_dim, dtype=dtype,
                         trainable=trainable)
        if activation is None:
            raise ConfigError(f"layer '{self.name}': activation must be given, received None")
        if activation_args:
            if not isinstance(activation, str):
                raise ConfigError(
                    f"layer '{self.name}': extra arguments {sorted(activation_args)} need an "
                    f"activation given by name"
                )
            activation = registry.activations.get(activation)(**activation_args)
        self.activation = act.get(activation)

    def fusable_activation(self):
        return self.activation

    def forward(self, x, training=False, *, fused_activation=False):
        self.check_input(x)
        y, activation_backward = self.activation.forward(self.ops, x)

        def backward(dy):
            return dy if fused_activation else activation_backward(dy)

        return y, backward

    def get_config(self):
        return {**super().get_config(), "activation": act.serialize(self.activation)}


class ReLU(Activation):
    """The ReLU activation as a layer, Keras's ``layers.ReLU()``: ``max(0, x)``."""

    default_name = "re_lu"
    example_args = {}
    example_input_shape = (6,)

    def __init__(self, name=None, input_shape=None, dtype="float32", input_dim=None, **kwargs):
        super().__init__("relu", name=name, input_shape=input_shape, dtype=dtype, input_dim=input_dim,
                         **_only_defaults(kwargs, max_value=None, negative_slope=0.0, threshold=0.0))

    def get_config(self):
        return {k: v for k, v in super().get_config().items() if k != "activation"}


class LeakyReLU(Activation):
    """Leaky ReLU as a layer: ``x`` where positive, ``negative_slope * x`` elsewhere.

    Keras 3 calls the slope ``negative_slope`` (default 0.3); Keras 2 called it
    ``alpha``, which is taken too.
    """

    default_name = "leaky_re_lu"
    example_args = {"negative_slope": 0.2}
    example_input_shape = (6,)

    def __init__(self, negative_slope=0.3, name=None, input_shape=None, dtype="float32", input_dim=None,
                 alpha=None):
        slope = negative_slope if alpha is None else alpha
        super().__init__("leaky_relu", name=name, input_shape=input_shape, dtype=dtype, input_dim=input_dim,
                         alpha=slope)
        self.negative_slope = self.activation.alpha

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k != "activation"}
        return {**config, "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Leaky ReLU with a learned slope: ``x`` where positive, ``alpha * x`` elsewhere (He et al., 2015).

    ``alpha`` has one slope per input number (shape: the per-sample input shape),
    or is shared along ``shared_axes`` (Keras's argument: ``[1, 2]`` gives one
    slope per channel of an image); only leading axes can be shared here. Keras's
    default starts every slope at 0, a plain ReLU. Backward: ``dx = dy`` where
    ``x >= 0`` and ``alpha * dy`` elsewhere; ``dalpha += sum dy * min(x, 0)`` over
    the batch (and the shared axes). Built from elementwise ops, on every backend.
    """

    default_name = "p_re_lu"
    example_args = {"alpha_initializer": "random_uniform", "shared_axes": [1]}
    example_input_shape = (3, 4)

    def __init__(self, alpha_initializer="zeros", shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer or "zeros")
        shared = [shared_axes] if isinstance(shared_axes, int) else list(shared_axes or [])
        if shared != list(range(1, len(shared) + 1)):
            raise MissingFeatureError(
                f"layer '{self.name}': shared_axes={shared_axes!r}; deepzoo shares slopes along leading axes "
                f"only (1, then 2, ...), e.g. [1, 2] for one slope per channel of an image")
        self.shared_axes = shared

    def create_params(self, input_shape):
        shape = tuple(1 if axis + 1 in self.shared_axes else d for axis, d in enumerate(input_shape))
        self.add_param("alpha", shape, self.alpha_initializer, 1, 1)

    def forward(self, x, training=False):
        self.check_input(x)
        ops = self.ops
        width = math.prod(self.param_specs["alpha"].shape)
        alpha = ops.reshape(self.params["alpha"], (width,))
        rows = ops.reshape(x, (-1, width))
        zeros = self._constant("zeros", lambda: np.zeros(width))
        positive = ops.relu(rows)
        negative = ops.add(rows, ops.scale(positive, -1.0))  # min(x, 0)
        y = ops.add(positive, ops.scale_shift_columns(negative, alpha, zeros))

        def backward(dy):
            dy_rows = ops.reshape(dy, (-1, width))
            ops.sum_rows(ops.multiply(dy_rows, negative), ops.reshape(self.grads["alpha"], (width,)),
                         accumulate=True)
            through = ops.multiply(dy_rows, ops.heaviside(rows))  # dy where x >= 0
            sloped = ops.scale_shift_columns(ops.add(dy_rows, ops.scale(through, -1.0)), alpha, zeros)
            return ops.reshape(ops.add(through, sloped), dy.shape)

        return ops.reshape(y, x.shape), backward

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.name_of(self.alpha_initializer),
                "shared_axes": self.shared_axes or None}


class ELU(Activation):
    """ELU as a layer: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere (Keras's ``layers.ELU``)."""

    default_name = "elu"
    example_args = {"alpha": 0.5}
    example_input_shape = (6,)

    def __init__(self, alpha=1.0, name=None, input_shape=None, dtype="float32", input_dim=None):
        super().__init__("elu", name=name, input_shape=input_shape, dtype=dtype, input_dim=input_dim,
                         alpha=alpha)

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k != "activation"}
        return {**config, "alpha": self.activation.alpha}


class Softmax(Activation):
    """Softmax over the last axis as a layer (Keras's ``layers.Softmax()``); fuses with a
    cross-entropy as a softmax activation does."""

    default_name = "softmax"
    example_args = {}
    example_input_shape = (5,)

    def __init__(self, axis=-1, name=None, input_shape=None, dtype="float32", input_dim=None):
        super().__init__("softmax", name=name, input_shape=input_shape, dtype=dtype, input_dim=input_dim)
        if axis != -1:
            raise MissingFeatureError(f"layer '{self.name}' (Softmax): only the last axis (axis=-1) is "
                                      f"supported, received axis={axis!r}")

    def get_config(self):
        return {k: v for k, v in super().get_config().items() if k != "activation"}


def _only_defaults(given: dict, **defaults) -> dict:
    """Refuse Keras arguments of an activation layer that deepzoo supports only at their defaults."""
    changed = sorted(k for k, v in given.items() if k in defaults and v != defaults[k])
    if changed:
        raise MissingFeatureError(f"ReLU: {', '.join(changed)} other than Keras's default "
                                  f"{', '.join(f'{k}={defaults[k]!r}' for k in changed)} is not in deepzoo yet")
    return {k: v for k, v in given.items() if k not in defaults}


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate``.

    The kept inputs are scaled by ``1 / (1 - rate)`` so the expected output equals
    the input; at inference the layer is the identity. Each training call draws a
    64-bit key from the layer's random generator (the model's seed), and the mask is
    a hash of the key and each element's index (see :meth:`Ops.dropout
    <deepzoo.backend.reference.Ops.dropout>`): a GPU makes it where it is used, and a
    seed gives the same masks on every backend. Output shape = input shape.
    """

    default_name = "dropout"
    example_args = {"rate": 0.3}
    example_input_shape = (6,)

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ConfigError(f"layer '{self.name}': rate must be in [0, 1), received {rate!r}")
        self.rate = float(rate)

    def forward(self, x, training=False):
        self.check_input(x)
        ops = self.ops
        if not training or self.rate == 0:
            return x, lambda dy: dy
        key, rate = int(self.rng.integers(0, 2**63)), self.rate
        y = ops.dropout(x, rate, key)

        def backward(dy):
            return ops.dropout(dy, rate, key)

        return y, backward

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class Flatten(Layer):
    """Reshape each sample to a vector: ``(N, d1, d2, ...) -> (N, d1 * d2 * ...)``."""

    default_name = "flatten"
    example_input_shape = (2, 3, 2)

    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training=False):
        self.check_input(x)
        ops, shape = self.ops, x.shape
        y = ops.reshape(x, (shape[0], -1))
        return y, lambda dy: ops.reshape(dy, shape)


class Reshape(Layer):
    """Give each sample another shape with the same number of values: ``(N, *in) -> (N, *target)``.

    One entry of ``target_shape`` may be -1: it takes whatever size makes the
    counts match. The values keep their order (row-major, as NumPy's reshape).
    """

    default_name = "reshape"
    example_args = {"target_shape": [3, -1]}
    example_input_shape = (2, 3)

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            shape = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            shape = None
        if not shape or any(d == 0 or d < -1 for d in shape) or shape.count(-1) > 1:
            raise ConfigError(f"layer '{self.name}': target_shape must be a tuple of positive integers, "
                              f"one of which may be -1; received {target_shape!r}")
        self.target_shape = shape

    def check_input_shape(self, input_shape):
        size, known = math.prod(input_shape), math.prod(d for d in self.target_shape if d != -1)
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ShapeError(f"layer '{self.name}' (Reshape) cannot give {size} values per sample "
                             f"(input {describe_shape(input_shape)}) the shape {self.target_shape}")

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def forward(self, x, training=False):
        self.check_input(x)
        ops, shape = self.ops, x.shape
        y = ops.reshape(x, (shape[0],) + self.output_shape)
        return y, lambda dy: ops.reshape(dy, shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class RepeatVector(Layer):
    """Repeat each sample's vector ``n`` times: ``(N, F) -> (N, n, F)``.

    It turns an encoder's summary into a sequence a decoder can read, one copy
    per output step. The backward adds up the gradients of the ``n`` copies.
    """

    default_name = "repeat_vector"
    example_args = {"n": 3}
    example_input_shape = (4,)

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = check_positive_int(self.name, "n", n)

    def check_input_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ShapeError(f"layer '{self.name}' (RepeatVector) expects vectors (batch, features), "
                             f"received input of shape {describe_shape(input_shape)}")

    def compute_output_shape(self, input_shape):
        return (self.n, input_shape[0])

    def forward(self, x, training=False, *, repeated_by_next=False):
        self.check_input(x)
        if repeated_by_next:  # the next layer reads x at each of its n steps itself
            return x, lambda dy: dy
        ops = self.ops
        return ops.repeat_steps(x, self.n), lambda dy: ops.sum_steps(dy)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class InputLayer:
    """A marker of the per-sample input shape, for the first place of a Sequential model.

    ``Sequential([InputLayer((28, 28, 1)), Conv2D(...)])`` is the same as
    ``Sequential([Conv2D(...)], input_shape=(28, 28, 1))``: the model takes the shape
    and adds no layer (it has no weights and computes nothing). Keras spells it
    ``keras.Input(shape=...)`` or ``keras.layers.InputLayer``.
    """

    def __init__(self, shape=None, batch_size=None, name=None, dtype=None, input_shape=None):
        shape = input_shape if shape is None else shape
        if shape is None:
            raise ConfigError("InputLayer needs the per-sample shape, e.g. InputLayer(shape=(784,))")
        try:
            self.shape = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
        except (TypeError, ValueError):
            raise ConfigError(f"InputLayer: shape must be a tuple of positive integers, received "
                              f"{shape!r} (the batch axis is left out)") from None
        if not self.shape or any(d < 1 for d in self.shape):
            raise ConfigError(f"InputLayer: shape must be a tuple of positive integers, received {shape!r} "
                              f"(the batch axis is left out)")
        self.name = name or "input_layer"
        self.dtype = dtype

    def __repr__(self):
        return f"<InputLayer shape={self.shape}>"


def Input(shape=None, batch_size=None, name=None, dtype=None):  # noqa: N802 - Keras's name
    """Keras's ``Input(shape=...)``: an :class:`InputLayer` marking a Sequential model's input shape."""
    return InputLayer(shape, batch_size=batch_size, name=name, dtype=dtype)
