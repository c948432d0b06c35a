"""Shapes and sliding windows: the arithmetic that convolution and pooling share.

Everything here works on plain integers and tuples; nothing touches an array.
A layer uses these helpers to check its input and to know its output shape;
the backends use :func:`output_size` to size their results.

Per spatial axis, a window of ``k`` taps with dilation ``d`` spans
``d * (k - 1) + 1`` pixels. With ``before``/``after`` zeros of padding and a
stride ``s``, it fits :func:`output_size` times, and output ``o``, tap ``t`` reads
input pixel ``o * s - before + t * d``.
"""

from __future__ import annotations

import math

from .errors import ShapeError


def describe_shape(shape) -> str:
    """A per-sample shape written with its batch axis: ``(3, 4)`` -> ``"(batch, 3, 4)"``."""
    return "(batch, " + ", ".join(str(d) for d in shape) + ")"


def output_size(size, k, stride, dilation, before, after):
    """Number of positions a window of ``k`` taps takes along one axis of ``size`` pixels."""
    return (size + before + after - dilation * (k - 1) - 1) // stride + 1


def resolve_padding(padding, size, kernel, stride, dilation):
    """Zeros added ``(before, after)`` along one axis for a padding setting.

    ``"valid"`` adds none; an int adds that many on each side; ``"same"`` follows
    Keras: enough for ``ceil(size / stride)`` outputs, the odd pixel (if any) after.
    """
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        reach = dilation * (kernel - 1) + 1
        total = max((math.ceil(size / stride) - 1) * stride + reach - size, 0)
        return (total // 2, total - total // 2)
    return (padding, padding)


def plan_windows(layer_name, layer_type, input_shape, window, strides, dilation, padding):
    """Check an ``(H, W, C)`` input against a sliding window.

    Returns the zeros added ``((top, bottom), (left, right))`` and the output size
    ``(OH, OW)``; raises :class:`ShapeError`, naming the layer, if the input is not
    an image or the window does not fit it.
    """
    if len(input_shape) != 3:
        raise ShapeError(
            f"layer '{layer_name}' ({layer_type}) expects images of shape "
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
                f"layer '{layer_name}' ({layer_type}): its window spans {reach} pixels "
                f"along the {name}, more than the padded input's {input_shape[axis] + before + after} "
                f"(input {describe_shape(input_shape)}, padding {before}+{after}); use a smaller window, "
                f"more padding or padding='same'"
            )
        pads.append((before, after))
        out.append(output_size(input_shape[axis], window[axis], strides[axis], dilation[axis],
                               before, after))
    return tuple(pads), tuple(out)
