"""Pooling over channels-last images: :class:`MaxPool2D`, :class:`AveragePooling2D`, and the
global :class:`GlobalAveragePooling2D` and :class:`GlobalMaxPooling2D`; over sequences, the
same as one-row images: :class:`MaxPooling1D`, :class:`AveragePooling1D`,
:class:`GlobalAveragePooling1D`, :class:`GlobalMaxPooling1D`."""

from __future__ import annotations

from ..errors import ConfigError, ShapeError
from ..geometry import describe_shape, plan_windows
from ..validation import check_padding, pair, positive_int
from .base import Layer


class _Pool2D(Layer):
    """Shared arguments and geometry of the pooling layers.

    Parameters
    ----------
    pool_size : int or (int, int)
        Window size, default 2.
    strides : int, (int, int) or None
        Step between windows; None means ``pool_size`` (windows that touch but do
        not overlap).
    padding : "valid" or "same"
        ``"same"`` pads so that there are ``ceil(H / stride)`` outputs; padded
        pixels never win a max and are not counted in an average.
    """

    example_args = {"pool_size": 2, "strides": 1, "padding": "same"}
    example_input_shape = (4, 5, 2)

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pair(self.name, "pool_size", pool_size)
        self.strides = pair(self.name, "strides", strides if strides is not None else pool_size)
        self.padding = check_padding(self.name, padding)
        if not isinstance(self.padding, str):
            raise ConfigError(f"layer '{self.name}': padding must be 'valid' or 'same', "
                              f"received {self.padding!r}")

    def check_input_shape(self, input_shape):
        self.pads, self.out_hw = plan_windows(self.name, type(self).__name__, input_shape,
                                              self.pool_size, self.strides, (1, 1), self.padding)

    def compute_output_shape(self, input_shape):
        return (*self.out_hw, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}


class MaxPool2D(_Pool2D):
    """Keep the largest value of each window, per channel.

    Shapes: ``(N, H, W, C) -> (N, OH, OW, C)``. The backward sends each gradient
    to the one input pixel that won its window (or windows, when they overlap).
    """

    default_name = "max_pool2d"

    def forward(self, x, training=False, *, pooled_by_previous=False):
        if pooled_by_previous:  # the convolution before this layer pooled its output itself
            if tuple(x.shape[1:]) != self.output_shape:
                raise ShapeError(f"layer '{self.name}' (MaxPool2D) was told its input is already "
                                 f"pooled, of shape {describe_shape(self.output_shape)}, but received "
                                 f"an array of shape {tuple(x.shape)}")
            return x, lambda dy: dy
        self.check_input(x)
        return self._pool(x, training)

    def _pool(self, x, training):
        ops, window = self.ops, (self.pool_size, self.strides, self.pads)
        # Inference keeps no winners; a backward after it (rare) finds them again.
        y, which = ops.max_pool2d(x, *window, with_argmax=training)

        def backward(dy):
            winners = which if which is not None else ops.max_pool2d(x, *window)[1]
            return ops.max_pool2d_backward(dy, winners, x.shape, *window)

        return y, backward


class AveragePooling2D(_Pool2D):
    """Average each window, per channel. Shapes: ``(N, H, W, C) -> (N, OH, OW, C)``."""

    default_name = "average_pooling2d"

    def forward(self, x, training=False):
        self.check_input(x)
        return self._pool(x, training)

    def _pool(self, x, training):
        ops, window = self.ops, (self.pool_size, self.strides, self.pads)
        return ops.avg_pool2d(x, *window), lambda dy: ops.avg_pool2d_backward(dy, x.shape, *window)


class _GlobalPool2D(Layer):
    """Shared shape logic: ``(N, H, W, C) -> (N, C)``, or ``(N, 1, 1, C)`` with ``keepdims``."""

    example_input_shape = (3, 4, 2)

    def __init__(self, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)

    def check_input_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ShapeError(f"layer '{self.name}' ({type(self).__name__}) expects images of shape "
                             f"(batch, height, width, channels), but its input has shape "
                             f"{describe_shape(input_shape)}")

    def compute_output_shape(self, input_shape):
        return (1, 1, input_shape[2]) if self.keepdims else (input_shape[2],)

    def _window(self, x):
        return (x.shape[1], x.shape[2]), (x.shape[1], x.shape[2]), ((0, 0), (0, 0))

    def _output_shape_2d(self, x):
        return (1, 1, x.shape[3]) if self.keepdims else (x.shape[3],)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPool2D):
    """The mean of each channel over the whole image: one window the size of the image."""

    default_name = "global_average_pooling2d"

    def forward(self, x, training=False):
        self.check_input(x)
        return self._pool(x, training)

    def _pool(self, x, training):
        ops, window = self.ops, self._window(x)
        y = ops.avg_pool2d(x, *window)  # (N, 1, 1, C)

        def backward(dy):
            return ops.avg_pool2d_backward(ops.reshape(dy, (x.shape[0], 1, 1, x.shape[3])), x.shape, *window)

        return ops.reshape(y, (x.shape[0],) + self._output_shape_2d(x)), backward


class GlobalMaxPooling2D(_GlobalPool2D):
    """The largest value of each channel over the whole image; its gradient goes to that pixel."""

    default_name = "global_max_pooling2d"

    def forward(self, x, training=False):
        self.check_input(x)
        return self._pool(x, training)

    def _pool(self, x, training):
        ops, window = self.ops, self._window(x)
        y, which = ops.max_pool2d(x, *window, with_argmax=training)

        def backward(dy):
            winners = which if which is not None else ops.max_pool2d(x, *window)[1]
            return ops.max_pool2d_backward(ops.reshape(dy, (x.shape[0], 1, 1, x.shape[3])), winners,
                                           x.shape, *window)

        return ops.reshape(y, (x.shape[0],) + self._output_shape_2d(x)), backward


# ------------------------------------------------------------------ 1-D
# A sequence (N, T, C) is pooled as an image one pixel high, (N, 1, T, C).
def _check_sequence(layer, input_shape):
    if len(input_shape) != 2:
        raise ShapeError(f"layer '{layer.name}' ({type(layer).__name__}) expects sequences of shape "
                         f"(batch, steps, channels), but its input has shape {describe_shape(input_shape)}")


def _single(layer_name, arg, value):
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return positive_int(f"layer '{layer_name}'", arg, value)


class _Pool1D:
    """What turns a 2-D pooling layer into its 1-D form (mixed in before it)."""

    example_args = {"pool_size": 2, "strides": 1, "padding": "same"}
    example_input_shape = (5, 2)

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs):
        name = kwargs.get("name") or self.default_name
        size = _single(name, "pool_size", pool_size)
        step = size if strides is None else _single(name, "strides", strides)
        super().__init__((1, size), (1, step), padding, **kwargs)

    def check_input_shape(self, input_shape):
        _check_sequence(self, input_shape)
        super().check_input_shape((1, *input_shape))

    def compute_output_shape(self, input_shape):
        return (self.out_hw[1], input_shape[1])

    def forward(self, x, training=False):
        self.check_input(x)
        ops, n, (steps, channels) = self.ops, x.shape[0], self.input_shape
        y, backward = self._pool(ops.reshape(x, (n, 1, steps, channels)), training)
        return (ops.reshape(y, (n, *self.output_shape)),
                lambda dy: ops.reshape(backward(ops.reshape(dy, (n, 1, *self.output_shape))), x.shape))

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size[1], "strides": self.strides[1]}


class MaxPooling1D(_Pool1D, MaxPool2D):
    """The largest value of each window of steps, per channel: ``(N, T, C) -> (N, OT, C)``."""

    default_name = "max_pooling1d"


class AveragePooling1D(_Pool1D, AveragePooling2D):
    """The mean of each window of steps, per channel: ``(N, T, C) -> (N, OT, C)``."""

    default_name = "average_pooling1d"


class _GlobalPool1D:
    """What turns a global 2-D pooling layer into its 1-D form: ``(N, T, C) -> (N, C)``."""

    example_input_shape = (5, 2)

    def check_input_shape(self, input_shape):
        _check_sequence(self, input_shape)

    def compute_output_shape(self, input_shape):
        return (1, input_shape[1]) if self.keepdims else (input_shape[1],)

    def forward(self, x, training=False):
        self.check_input(x)
        ops, n, (steps, channels) = self.ops, x.shape[0], self.input_shape
        y, backward = self._pool(ops.reshape(x, (n, 1, steps, channels)), training)
        return (ops.reshape(y, (n, *self.output_shape)),
                lambda dy: ops.reshape(backward(ops.reshape(dy, (n, channels))), x.shape))


class GlobalAveragePooling1D(_GlobalPool1D, GlobalAveragePooling2D):
    """The mean of each channel over all steps."""

    default_name = "global_average_pooling1d"


class GlobalMaxPooling1D(_GlobalPool1D, GlobalMaxPooling2D):
    """The largest value of each channel over all steps; its gradient goes to that step."""

    default_name = "global_max_pooling1d"
