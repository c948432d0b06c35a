"""Wrappers: layers that apply another layer in a new way. :class:`TimeDistributed`,
:class:`Bidirectional`."""

from __future__ import annotations

from .. import registry
from ..errors import ConfigError, MissingFeatureError, ShapeError
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


def _inner_from_config(spec):
    """A wrapped layer given as an instance, or as ``{"class_name": ..., "config": ...}`` (model files)."""
    if isinstance(spec, dict):
        if not isinstance(spec.get("class_name"), str) or not isinstance(spec.get("config"), dict):
            raise ConfigError("a wrapped layer needs 'class_name' and 'config'")
        return registry.layers.get(spec["class_name"]).from_config(spec["config"])
    return spec


class Bidirectional(Layer):
    """Run a recurrent layer over the sequence forwards and a copy of it backwards, and merge.

    The copy (same configuration, its own weights) reads the steps from last to
    first; with ``return_sequences`` its outputs are put back in time order, so
    that step ``t`` of the result sees the whole sequence, before and after ``t``.
    ``merge_mode="concat"`` (Keras's default) puts the two outputs side by side,
    ``(N, [T,] 2U)``; ``"sum"`` adds them, ``(N, [T,] U)``. Parameters: twice the
    wrapped layer's, named ``forward_...`` and ``backward_...``.
    """

    default_name = "bidirectional"
    example_args = {"layer": {"class_name": "lstm", "config": {"units": 2, "return_sequences": True}}}
    example_input_shape = (3, 4)
    merge_modes = ("concat", "sum")

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        layer = _inner_from_config(layer)
        if not isinstance(layer, Layer) or not hasattr(layer, "return_sequences"):
            raise ConfigError(f"layer '{self.name}': Bidirectional wraps a recurrent layer (LSTM, GRU, "
                              f"SimpleRNN), received {type(layer).__name__}")
        if merge_mode not in self.merge_modes:
            raise MissingFeatureError(f"layer '{self.name}': merge_mode={merge_mode!r}; deepzoo implements "
                                      f"{' and '.join(repr(m) for m in self.merge_modes)}")
        if backward_layer is not None:
            raise MissingFeatureError(f"layer '{self.name}': a backward_layer of its own is not implemented; "
                                      f"the backward direction is a copy of the layer")
        self.merge_mode = merge_mode
        self.forward_layer = layer
        self.backward_layer = type(layer).from_config({**layer.get_config(), "name": f"backward_{layer.name}"})

    @property
    def _directions(self):
        return (("forward", self.forward_layer), ("backward", self.backward_layer))

    def check_input_shape(self, input_shape):
        self.forward_layer.check_input_shape(tuple(input_shape))

    def create_params(self, input_shape):
        for prefix, inner in self._directions:
            for key, spec in inner.plan(input_shape).items():
                self.param_specs[f"{prefix}_{key}"] = spec

    def build(self, input_shape, rng=None, weights=None):
        for _, inner in self._directions:
            inner.dtype, inner.ops = self.dtype, self.ops
        super().build(input_shape, rng, weights)
        for prefix, inner in self._directions:  # each direction reads and writes this layer's arrays
            keys = {key[len(prefix) + 1:]: key for key in self.param_specs if key.startswith(prefix + "_")}
            specs, params, grads = ({k: table[v] for k, v in keys.items()}
                                    for table in (self.param_specs, self.params, self.grads))
            inner.attach(tuple(input_shape), specs, params, grads)

    def replace_arrays(self, key, param, grad):
        super().replace_arrays(key, param, grad)
        for prefix, inner in self._directions:
            if key.startswith(prefix + "_"):
                inner.replace_arrays(key[len(prefix) + 1:], param, grad)

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.output_shape_for(input_shape)
        return shape[:-1] + (2 * shape[-1],) if self.merge_mode == "concat" else shape

    def forward(self, x, training=False, *, input_gradient=True):
        self.check_input(x)
        ops, sequences = self.ops, self.forward_layer.return_sequences
        options = {} if input_gradient else {"input_gradient": False}
        y_forward, back_forward = self.forward_layer.forward(x, training, **options)
        y_backward, back_backward = self.backward_layer.forward(ops.reverse_steps(x), training, **options)
        if sequences:
            y_backward = ops.reverse_steps(y_backward)
        if self.merge_mode == "concat":
            y = ops.concat_last(y_forward, y_backward)
        else:
            y = ops.add(y_forward, y_backward)

        def backward(dy):
            if self.merge_mode == "concat":
                dy_forward, dy_backward = ops.split_last(dy, self.forward_layer.units)
            else:
                dy_forward, dy_backward = dy, dy
            if sequences:
                dy_backward = ops.reverse_steps(dy_backward)
            dx_forward, dx_backward = back_forward(dy_forward), back_backward(dy_backward)
            return None if dx_forward is None else ops.add(dx_forward, ops.reverse_steps(dx_backward))

        return y, backward

    def get_config(self):
        name = registry.layers.name_of(type(self.forward_layer))
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": {"class_name": name, "config": self.forward_layer.get_config()}}
