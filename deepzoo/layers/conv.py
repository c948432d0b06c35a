"""2-D convolution: :class:`Conv2D`."""

from __future__ import annotations

from .. import activations as act
from .. import initializers
from ..geometry import plan_windows
from ..validation import check_padding, pair
from .base import Layer, check_positive_int, take_regularizers, weights_config


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
    :meth:`deepzoo.backend.reference.conv.ConvOps.conv2d`).

    Parameters
    ----------
    filters : int
    kernel_size : int or (int, int)
    strides : int or (int, int)
    padding : "valid", "same", int or (int, int)
        ``"valid"``: no padding; ``"same"``: enough zeros for ``ceil(H / stride)``
        outputs (as Keras); an int pads that many zeros on every side.
    dilation_rate : int or (int, int)
    activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer
        As for :class:`~deepzoo.layers.Dense`.
    """

    default_name = "conv2d"
    example_args = {"filters": 3, "kernel_size": 3, "strides": 2, "padding": 1,
                    "dilation_rate": 1, "activation": "tanh"}
    example_input_shape = (6, 5, 2)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        take_regularizers(self, kernel_regularizer, bias_regularizer)
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
        self.pads, self.out_hw = plan_windows(self.name, type(self).__name__, input_shape,
                                              self.kernel_size, self.strides, self.dilation_rate,
                                              self.padding)

    def create_params(self, input_shape):
        kh, kw = self.kernel_size
        fan_in, fan_out = kh * kw * input_shape[2], kh * kw * self.filters
        self.add_param("kernel", (kh, kw, input_shape[2], self.filters), self.kernel_initializer,
                       fan_in, fan_out)
        if self.use_bias:
            self.add_param("bias", (self.filters,), self.bias_initializer, fan_in, fan_out)

    def compute_output_shape(self, input_shape):
        return (*self.out_hw, self.filters)

    def fusable_activation(self):
        return self.activation

    def forward(self, x, training=False, *, input_gradient=True, fused_activation=False):
        self.check_input(x)
        ops, n, f = self.ops, x.shape[0], self.filters
        window = (self.strides, self.dilation_rate, self.pads)
        kernel, bias = self.params["kernel"], self.params.get("bias")
        # The op applies the activation as it goes when it knows it by name; a
        # plugin's activation without an Ops name is applied here instead.
        fused = self.activation is not None and self.activation.op is not None
        op_activation = (self.activation.op, self.activation.alpha) if fused else (None, 0.0)
        y = ops.conv2d(x, kernel, *window, bias, *op_activation)  # rows: (N*OH*OW, f)
        activation_backward = None
        if self.activation is not None and not fused:
            y, activation_backward = self.activation.forward(ops, y, inplace=True)

        def backward(dy):
            dy = ops.reshape(dy, (-1, f))
            if activation_backward is not None and not fused_activation:
                dy = activation_backward(dy)
            backward_activation = (None, 0.0) if fused_activation or not fused else op_activation
            return ops.conv2d_backward(x, y, dy, kernel, *window, self.grads["kernel"],
                                       self.grads.get("bias"), *backward_activation,
                                       need_dx=input_gradient)

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
