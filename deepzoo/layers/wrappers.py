"""Wrappers: layers that apply another layer in a new way. :class:`TimeDistributed`."""

from __future__ import annotations

from .. import registry
from ..errors import ConfigError, ShapeError
from ..geometry import describe_shape
from .base import Layer


class TimeDistributed(Layer):
    """Apply one layer to every step of a sequence, with the same weights at every step.

    ``(N, T, ...) -> (N, T, ...)``: the steps are folded into the batch,
    ``(N * T, ...)``, the inner layer runs once, and the result is unfolded. Its
    gradients therefore sum over the steps. Any registered layer works,
    plugins included: ``TimeDistributed(Dense(11, activation="softmax"))``.
    """

    default_name = "time_distributed"
    example_args = {"layer": {"class_name": "dense", "config": {"units": 2, "activation": "tanh"}}}
    example_input_shape = (3, 4)

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ConfigError(f"layer '{self.name}': TimeDistributed wraps a Layer, received "
                              f"{type(layer).__name__}")
        self.layer = layer

    def fusable_activation(self):  # a softmax inside may be fused with the loss
        return self.layer.fusable_activation() if self.layer.accepts("fused_activation") else None

    def check_input_shape(self, input_shape):
        if len(input_shape) < 2:
            raise ShapeError(f"layer '{self.name}' (TimeDistributed) expects sequences (batch, time, "
                             f"...), but its input has shape {describe_shape(input_shape)}")

    def create_params(self, input_shape):
        # the wrapped layer's parameters, under their own names: the same at every step
        self.param_specs.update(self.layer.plan(input_shape[1:]))

    def build(self, input_shape, rng=None, weights=None):
        self.layer.dtype, self.layer.ops = self.dtype, self.ops
        super().build(input_shape, rng, weights)
        # the wrapped layer shares this layer's arrays, so it reads the same weights
        # and accumulates into the same gradients
        inner = tuple(input_shape[1:])
        self.layer.check_input_shape(inner)
        self.layer.attach(inner, self.param_specs, self.params, self.grads)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.layer.output_shape_for(input_shape[1:])

    def forward(self, x, training=False, *, input_gradient=True, fused_activation=False):
        self.check_input(x)
        ops, (n, t), inner = self.ops, x.shape[:2], self.layer
        options = {}  # pass on only the options the wrapped layer takes
        if not input_gradient and inner.accepts("input_gradient"):
            options["input_gradient"] = False
        if fused_activation:
            options["fused_activation"] = True  # fusable_activation checked it accepts it
        y, backward = inner.forward(ops.reshape(x, (n * t,) + tuple(x.shape[2:])), training, **options)

        def unfold_backward(dy):
            dx = backward(ops.reshape(dy, (n * t,) + tuple(dy.shape[2:])))
            return None if dx is None else ops.reshape(dx, x.shape)

        return ops.reshape(y, (n, t) + tuple(y.shape[1:])), unfold_backward

    def get_config(self):
        name = registry.layers.name_of(type(self.layer))
        return {**super().get_config(), "layer": {"class_name": name, "config": self.layer.get_config()}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        inner = config.get("layer")
        if isinstance(inner, dict):
            if not isinstance(inner.get("class_name"), str) or not isinstance(inner.get("config"), dict):
                raise ConfigError("TimeDistributed: 'layer' needs 'class_name' and 'config'")
            config["layer"] = registry.layers.get(inner["class_name"]).from_config(inner["config"])
        return cls(**config)
