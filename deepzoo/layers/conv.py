"""2-D convolution: :class:`Conv2D`, and the geometry helpers pooling shares."""

from __future__ import annotations

import math

from .. import activations as act
from .. import initializers
from ..backend.conv_ops import output_size
from ..errors import ConfigError, ShapeError
from .base import Layer, check_positive_int, describe_shape
from .dense import weights_config, with_activation


def pair(layer: str, arg: str, value) -> tuple:
    """``3`` -> ``(3, 3)``; ``(3, 2)`` stays; anything else is a ConfigError."""
    values = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(values) != 2:
        raise ConfigError(f"layer '{layer}': {arg} must be an integer or a pair, received {value!r}")
    return tuple(check_positive_int(layer, arg, v) for v in values)


def check_padding(layer: str, padding):
    """``"valid"``, ``"same"``, an int or an (rows, columns) pair of ints >= 0."""
    if isinstance(padding, str):
        if padding.lower() in ("valid", "same"):
            return padding.lower()
    else:
        values = (padding, padding) if not isinstance(padding, (tuple, list)) else tuple(padding)
        if len(values) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                    for v in values):
            return values
    raise ConfigError(
        f"layer '{layer}': padding must be 'valid', 'same', an integer >= 0 or a pair of them, "
        f"received {padding!r}"
    )


def resolve_padding(padding, size, kernel, stride, dilation):
    """Zeros added ``(before, after)`` along one axis.

    ``"same"`` follows Keras: ``ceil(size / stride)`` outputs, with the odd pixel of
    padding (if any) added after.
    """
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        reach = dilation * (kernel - 1) + 1
        total = max((math.ceil(size / stride) - 1) * stride + reach - size, 0)
        return (total // 2, total - total // 2)
    return (padding, padding)


def plan_windows(layer: Layer, input_shape, window, strides, dilation, padding):
    """Check an (H, W, C) input against a window; return the pads and output (OH, OW)."""
    if len(input_shape) != 3:
        raise ShapeError(
            f"layer '{layer.name}' ({type(layer).__name__}) expects images of shape "
            f"(batch, height, width, channels), but its input has shape {describe_shape(input_shape)}"
        )
    pads, out = [], []
    for axis, name in ((0, "height"), (1, "width")):
        pad = padding[axis] if isinstance(padding, tuple) else padding
        before, after = resolve_padding(pad, input_shape[axis], window[axis], strides[axis],
                                        dilation[axis])
        reach = dilation[axis] * (window[axis] - 1) + 1
        if reach > input_shape[axis] + before + after:
            raise ShapeError(
                f"layer '{layer.name}' ({type(layer).__name__}): its window spans {reach} pixels "
                f"along the {name}, more than the padded input's {input_shape[axis] + before + after} "
                f"(input {describe_shape(input_shape)}, padding {before}+{after}); use a smaller window, "
                f"more padding or padding='same'"
            )
        pads.append((before, after))
        out.append(output_size(input_shape[axis], window[axis], strides[axis], dilation[axis],
                               before, after))
    return tuple(pads), tuple(out)


class Conv2D(Layer):
    r"""A 2-D convolution over channels-last images.

    Each of ``filters`` kernels of size ``KH x KW x C`` slides over the input and
    gives one output channel:

    .. math:: y[n, i, j, f] = b_f + \sum_{p, q, c} x[n, i s_h - t + p d_h, j s_w - l + q d_w, c]
              \, K[p, q, c, f]

    with strides ``s``, dilation ``d`` (gaps between kernel taps: an atrous
    convolution) and zero padding ``t``/``l`` at the top/left.

    Shapes: ``x`` ``(N, H, W, C)``, ``kernel`` ``(KH, KW, C, filters)``, ``bias``
    ``(filters,)``, ``y`` ``(N, OH, OW, filters)``. It is computed as a matrix
    product, ``im2col(x) @ kernel.reshape(KH * KW * C, filters)`` (see
    :meth:`deepzoo.backend.conv_ops.ConvOps.conv2d`).

    Parameters
    ----------
    filters : int
    kernel_size : int or (int, int)
    strides : int or (int, int)
    padding : "valid", "same", int or (int, int)
        ``"valid"``: no padding; ``"same"``: enough zeros for ``ceil(H / stride)``
        outputs (as Keras); an int pads that many zeros on every side.
    dilation_rate : int or (int, int)
    activation, use_bias, kernel_initializer, bias_initializer
        As for :class:`~deepzoo.layers.Dense`.
    """

    default_name = "conv2d"
    example_args = {"filters": 3, "kernel_size": 3, "strides": 2, "padding": 1,
                    "dilation_rate": 1, "activation": "tanh"}
    example_input_shape = (6, 5, 2)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.filters = check_positive_int(self.name, "filters", filters)
        self.kernel_size = pair(self.name, "kernel_size", kernel_size)
        self.strides = pair(self.name, "strides", strides)
        self.dilation_rate = pair(self.name, "dilation_rate", dilation_rate)
        self.padding = check_padding(self.name, padding)
        self.activation = act.get(activation)
        self.use_bias = bool(use_bias)
        # None: the default (a saved custom initializer comes back as the default;
        # the weights themselves are saved)
        self.kernel_initializer = initializers.get(kernel_initializer or "glorot_uniform")
        self.bias_initializer = initializers.get(bias_initializer or "zeros")

    def check_input_shape(self, input_shape):
        self.pads, self.out_hw = plan_windows(self, input_shape, self.kernel_size, self.strides,
                                              self.dilation_rate, self.padding)

    def create_params(self, input_shape):
        kh, kw = self.kernel_size
        fan_in, fan_out = kh * kw * input_shape[2], kh * kw * self.filters
        self.add_param("kernel", (kh, kw, input_shape[2], self.filters), self.kernel_initializer,
                       fan_in, fan_out)
        if self.use_bias:
            self.add_param("bias", (self.filters,), self.bias_initializer, fan_in, fan_out)

    def compute_output_shape(self, input_shape):
        return (*self.out_hw, self.filters)

    def forward(self, x, training=False):
        self.check_input(x)
        ops, n, f = self.ops, x.shape[0], self.filters
        window = (self.strides, self.dilation_rate, self.pads)
        kernel, bias = self.params["kernel"], self.params.get("bias")
        y = ops.conv2d(x, kernel, *window, bias=bias, activation=self.activation)  # (N*OH*OW, f)

        def backward(dy):
            activation = None if self.output_activation_fused else self.activation
            return ops.conv2d_backward(x, y, ops.reshape(dy, (-1, f)), kernel, *window,
                                       self.grads["kernel"], self.grads.get("bias"), activation,
                                       need_dx=self.needs_input_gradient)

        return ops.reshape(y, (n, *self.out_hw, f)), backward

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "dilation_rate": list(self.dilation_rate),
            **weights_config(self),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**with_activation(config))
