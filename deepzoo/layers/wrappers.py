"""Wrappers: layers that apply another layer in a new way. :class:`TimeDistributed`."""

from __future__ import annotations

from ..errors import ConfigError, ShapeError
from .base import Layer, describe_shape


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

    @property
    def output_activation_fused(self):
        return self.layer.output_activation_fused

    @output_activation_fused.setter
    def output_activation_fused(self, value):
        if hasattr(self, "layer"):
            self.layer.output_activation_fused = value

    @property
    def activation(self):  # lets a softmax inside be fused with the loss
        return getattr(self.layer, "activation", None)

    def check_input_shape(self, input_shape):
        if len(input_shape) < 2:
            raise ShapeError(f"layer '{self.name}' (TimeDistributed) expects sequences (batch, time, "
                             f"...), but its input has shape {describe_shape(input_shape)}")

    def create_params(self, input_shape):
        self.layer.dtype, self.layer.ops = self.dtype, self.ops
        if hasattr(self, "_planned"):
            self._planned.update(self.layer.param_shapes(input_shape[1:]))
            return
        self.layer.build(input_shape[1:], rng=self.rng)
        self.params, self.grads = self.layer.params, self.layer.grads

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(self.layer.compute_output_shape(input_shape[1:]))

    def forward(self, x, training=False):
        self.check_input(x)
        ops, (n, t) = self.ops, x.shape[:2]
        self.layer.needs_input_gradient = self.needs_input_gradient
        y, backward = self.layer.forward(ops.reshape(x, (n * t,) + tuple(x.shape[2:])), training)

        def unfold_backward(dy):
            dx = backward(ops.reshape(dy, (n * t,) + tuple(dy.shape[2:])))
            return None if dx is None else ops.reshape(dx, x.shape)

        return ops.reshape(y, (n, t) + tuple(y.shape[1:])), unfold_backward

    def get_config(self):
        from .. import registry

        name = registry.layers.name_of(type(self.layer))
        return {**super().get_config(), "layer": {"class_name": name, "config": self.layer.get_config()}}

    @classmethod
    def from_config(cls, config):
        from .. import registry

        config = dict(config)
        inner = config.get("layer")
        if isinstance(inner, dict):
            if not isinstance(inner.get("class_name"), str) or not isinstance(inner.get("config"), dict):
                raise ConfigError("TimeDistributed: 'layer' needs 'class_name' and 'config'")
            config["layer"] = registry.layers.get(inner["class_name"]).from_config(inner["config"])
        return cls(**config)
