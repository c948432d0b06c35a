"""Pooling over channels-last images: :class:`MaxPool2D`, :class:`AveragePooling2D`, and the
global :class:`GlobalAveragePooling2D` and :class:`GlobalMaxPooling2D`."""

from __future__ import annotations

from ..errors import ConfigError, ShapeError
from ..geometry import describe_shape, plan_windows
from ..validation import check_padding, pair
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

    def forward(self, x, training=False):
        self.check_input(x)
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

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPool2D):
    """The mean of each channel over the whole image: one window the size of the image."""

    default_name = "global_average_pooling2d"

    def forward(self, x, training=False):
        self.check_input(x)
        ops, window = self.ops, self._window(x)
        y = ops.avg_pool2d(x, *window)  # (N, 1, 1, C)

        def backward(dy):
            return ops.avg_pool2d_backward(ops.reshape(dy, (x.shape[0], 1, 1, x.shape[3])), x.shape, *window)

        return ops.reshape(y, (x.shape[0],) + self.output_shape), backward


class GlobalMaxPooling2D(_GlobalPool2D):
    """The largest value of each channel over the whole image; its gradient goes to that pixel."""

    default_name = "global_max_pooling2d"

    def forward(self, x, training=False):
        self.check_input(x)
        ops, window = self.ops, self._window(x)
        y, which = ops.max_pool2d(x, *window, with_argmax=training)

        def backward(dy):
            winners = which if which is not None else ops.max_pool2d(x, *window)[1]
            return ops.max_pool2d_backward(ops.reshape(dy, (x.shape[0], 1, 1, x.shape[3])), winners,
                                           x.shape, *window)

        return ops.reshape(y, (x.shape[0],) + self.output_shape), backward
