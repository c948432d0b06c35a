"""Convolutions: :class:`Conv2D` over images, :class:`Conv1D` over sequences, and
:class:`ZeroPadding2D`, the convolution that only pads."""

from __future__ import annotations

import numpy as np

from .. import activations as act
from .. import initializers
from ..errors import ConfigError, ShapeError
from ..geometry import describe_shape, plan_windows
from ..validation import check_padding, pair, positive_int
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

    def forward(self, x, training=False, *, input_gradient=True, fused_activation=False, pool_after=None):
        self.check_input(x)
        if pool_after is not None:
            return self._convolve_and_pool(x, training, input_gradient, pool_after)
        y, backward = self._convolve(x, self.params["kernel"], lambda: self.grads["kernel"], input_gradient,
                                     fused_activation)
        return self.ops.reshape(y, (x.shape[0], *self.out_hw, self.filters)), backward

    def can_pool(self, layer) -> bool:
        """Whether :meth:`forward` may also run ``layer``, a max pooling right after this
        layer (the per-call option ``pool_after``, see :mod:`deepzoo.layers.base`): when
        the Ops applies this layer's activation itself (one it knows by name, or none)."""
        # exactly deepzoo's MaxPool2D (a subclass may pool otherwise), named rather than
        # imported: a layer family imports none of the others
        is_max_pool = (type(layer).__module__, type(layer).__qualname__) == ("deepzoo.layers.pool", "MaxPool2D")
        return is_max_pool and (self.activation is None or self.activation.op is not None)

    def _convolve_and_pool(self, x, training, input_gradient, pool):
        """The convolution and the max pooling ``pool`` as one op: the pooled images and
        a backward that takes their gradient."""
        ops, kernel = self.ops, self.params["kernel"]
        window = (self.strides, self.dilation_rate, self.pads)
        pool_window = (pool.pool_size, pool.strides, pool.pads)
        activation = (None, 0.0) if self.activation is None else (self.activation.op, self.activation.alpha)
        z, y, which = ops.conv2d_max_pool(x, kernel, *window, self.params.get("bias"), *activation,
                                          *pool_window, with_argmax=training)

        def backward(dy):
            # inference keeps no winners; a backward after it (rare) finds them again
            winners = which if which is not None else \
                ops.max_pool2d(ops.reshape(z, (x.shape[0], *self.out_hw, self.filters)), *pool_window)[1]
            return ops.conv2d_max_pool_backward(x, z, dy, winners, kernel, *window, self.grads["kernel"],
                                                self.grads.get("bias"), *activation, *pool_window,
                                                need_dx=input_gradient)

        return y, backward

    def _convolve(self, x, kernel, grad_kernel, input_gradient, fused_activation):
        """``(rows (N*OH*OW, filters), backward)`` for images ``x`` and a 4-D ``kernel``;
        ``grad_kernel()`` gives the array its gradient is added to (shaped like ``kernel``)."""
        ops, f = self.ops, self.filters
        window = (self.strides, self.dilation_rate, self.pads)
        bias = self.params.get("bias")
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
            dx = ops.conv2d_backward(x, y, dy, kernel, *window, grad_kernel(), self.grads.get("bias"),
                                     *backward_activation, need_dx=input_gradient)
            return dx if dx is None or tuple(dx.shape[1:]) == self.input_shape else \
                ops.reshape(dx, (dx.shape[0], *self.input_shape))

        return y, backward

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


def _single(layer, arg, value) -> int:
    """``3`` or ``(3,)`` -> 3; anything else is a ConfigError naming the layer."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return positive_int(f"layer '{layer}'", arg, value)


class Conv1D(Conv2D):
    r"""A 1-D convolution over sequences: one row of a :class:`Conv2D`.

    .. math:: y[n, t, f] = b_f + \sum_{q, c} x[n, t s - l + q d, c] \, K[q, c, f]

    Each of ``filters`` kernels of ``K`` steps by ``C`` channels slides along the
    time axis, with stride ``s``, dilation ``d`` and ``l`` zeros of padding in front.
    The sequence is computed as an image one pixel high, ``(N, 1, T, C)``, with a
    ``1 x K`` kernel, by the same ops as :class:`Conv2D`.

    Shapes: ``x`` ``(N, T, C)``, ``kernel`` ``(K, C, filters)``, ``bias``
    ``(filters,)``, ``y`` ``(N, OT, filters)``; parameters ``K C filters + filters``,
    as in Keras. ``kernel_size``, ``strides`` and ``dilation_rate`` are integers;
    ``padding`` is ``"valid"``, ``"same"`` or a number of zeros on each end. Other
    arguments as for :class:`Conv2D`.
    """

    default_name = "conv1d"
    example_args = {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"}
    example_input_shape = (7, 2)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1, **kwargs):
        name = kwargs.get("name") or self.default_name
        size, step = _single(name, "kernel_size", kernel_size), _single(name, "strides", strides)
        dilation = _single(name, "dilation_rate", dilation_rate)
        if isinstance(padding, (tuple, list)) and len(padding) == 1:
            padding = padding[0]
        along_time = padding if isinstance(padding, str) else (0, check_padding(name, padding)[0])
        super().__init__(filters, (1, size), (1, step), along_time, (1, dilation), **kwargs)

    def check_input_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ShapeError(f"layer '{self.name}' (Conv1D) expects sequences of shape (batch, steps, "
                             f"channels), but its input has shape {describe_shape(input_shape)}")
        super().check_input_shape((1, *input_shape))

    def create_params(self, input_shape):
        k, channels = self.kernel_size[1], input_shape[1]
        self.add_param("kernel", (k, channels, self.filters), self.kernel_initializer, k * channels,
                       k * self.filters)
        if self.use_bias:
            self.add_param("bias", (self.filters,), self.bias_initializer, k * channels, k * self.filters)

    def compute_output_shape(self, input_shape):
        return (self.out_hw[1], self.filters)

    def forward(self, x, training=False, *, input_gradient=True, fused_activation=False):
        self.check_input(x)
        ops, (steps, channels), k = self.ops, self.input_shape, self.kernel_size[1]
        shape = (1, k, channels, self.filters)
        y, backward = self._convolve(ops.reshape(x, (x.shape[0], 1, steps, channels)),
                                     ops.reshape(self.params["kernel"], shape),
                                     lambda: ops.reshape(self.grads["kernel"], shape), input_gradient,
                                     fused_activation)
        return ops.reshape(y, (x.shape[0], self.out_hw[1], self.filters)), backward

    def get_config(self):
        config = super().get_config()
        padding = self.padding if isinstance(self.padding, str) else self.padding[1]
        return {**config, "kernel_size": self.kernel_size[1], "strides": self.strides[1],
                "dilation_rate": self.dilation_rate[1], "padding": padding}


def _padding_pairs(layer, padding) -> tuple:
    """Keras's forms: ``1``; ``(1, 2)`` (rows, columns); ``((1, 2), (3, 4))`` (top, bottom, left, right)."""
    def whole(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0

    if whole(padding):
        return ((int(padding),) * 2,) * 2
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        if all(whole(v) for v in padding):
            return tuple((int(v), int(v)) for v in padding)
        if all(isinstance(v, (tuple, list)) and len(v) == 2 and all(whole(w) for w in v) for v in padding):
            return tuple((int(v[0]), int(v[1])) for v in padding)
    raise ConfigError(f"layer '{layer}': padding must be an integer >= 0, a pair (rows, columns) or a pair of "
                      f"pairs ((top, bottom), (left, right)); received {padding!r}")


class ZeroPadding2D(Layer):
    """Add rows and columns of zeros around each image: ``(N, H, W, C) -> (N, H + t + b, W + l + r, C)``.

    The padding is computed as a convolution that changes nothing else: a 1 x 1
    kernel that copies each channel (the identity), with that much zero padding.
    So it runs on every backend with the convolution's ops, and its backward,
    which crops the gradient back to the image, is the convolution's too.
    """

    default_name = "zero_padding2d"
    example_args = {"padding": [[1, 0], [2, 1]]}
    example_input_shape = (3, 4, 2)

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.padding = _padding_pairs(self.name, padding)

    def check_input_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ShapeError(f"layer '{self.name}' (ZeroPadding2D) expects images of shape (batch, height, "
                             f"width, channels), but its input has shape {describe_shape(input_shape)}")

    def compute_output_shape(self, input_shape):
        (top, bottom), (left, right) = self.padding
        return (input_shape[0] + top + bottom, input_shape[1] + left + right, input_shape[2])

    def forward(self, x, training=False):
        self.check_input(x)
        ops, channels = self.ops, self.input_shape[2]
        identity = self._constant("identity", lambda: np.eye(channels).reshape(1, 1, channels, channels))
        window = ((1, 1), (1, 1), self.padding)
        rows = ops.conv2d(x, identity, *window)

        def backward(dy):
            scratch = self._constant("unused_gradient", lambda: np.zeros((1, 1, channels, channels)))
            return ops.conv2d_backward(x, rows, ops.reshape(dy, (-1, channels)), identity, *window, scratch)

        return ops.reshape(rows, (x.shape[0], *self.output_shape)), backward

    def get_config(self):
        return {**super().get_config(), "padding": [list(pair) for pair in self.padding]}
