"""CUDA kernels for convolution and pooling.

Their meaning is that of :mod:`deepzoo.backend.reference.conv`. Images are channels-last ``(N, H, W, C)``.

Every kernel here is a *gather*: each thread computes one element of the result
from the elements it depends on, so no two threads ever write the same place
and no atomic additions are needed. The adjoints (``col2im``, the pooling
backwards) therefore walk the windows that contain a pixel, instead of adding
each window's gradient into the pixels it covers.

Geometry, per axis: output ``o``, tap ``t`` reads input ``o * stride - pad + t * dilation``.
Conversely, input ``h`` is read by tap ``t`` of output ``o = (h + pad - t * dilation) / stride``
when that division is exact and ``o`` lies inside the output.
"""

from __future__ import annotations

import math

from .target import cuda_module

cuda = cuda_module()


@cuda.jit(device=True)
def _unravel(idx, h, w, c):
    """Flat index -> (image, row, column, channel) in an (N, h, w, c) array."""
    return idx // (c * w * h), (idx // (c * w)) % h, (idx // c) % w, idx % c


# --------------------------------------------------------------- convolution
@cuda.jit
def im2col(x, kh, kw, sh, sw, dh, dw, top, left, oh, ow, cols):
    """``cols`` (flat, ``N*OH*OW`` rows of ``KH*KW*C``) from ``x``; zeros where padding."""
    n, h, w, c = x.shape
    width = kh * kw * c
    for idx in range(cuda.grid(1), cols.size, cuda.gridsize(1)):
        row, col = idx // width, idx % width
        i, rest = col // (kw * c), col % (kw * c)
        j, ch = rest // c, rest % c
        image, pos = row // (oh * ow), row % (oh * ow)
        y_in = (pos // ow) * sh - top + i * dh
        x_in = (pos % ow) * sw - left + j * dw
        if 0 <= y_in < h and 0 <= x_in < w:
            cols[idx] = x[image, y_in, x_in, ch]
        else:
            cols[idx] = 0


@cuda.jit(device=True)
def _source(pixel, pad, tap, dilation, stride, size):
    """The output position whose window reads ``pixel`` at ``tap``, or -1 if none does."""
    shifted = pixel + pad - tap * dilation
    if shifted < 0 or shifted % stride != 0 or shifted // stride >= size:
        return -1
    return shifted // stride


@cuda.jit
def col2im(cols, kh, kw, sh, sw, dh, dw, top, left, oh, ow, dx):
    """``dx[n, y, x, c]`` = the sum of the column entries that ``im2col`` copied from it."""
    n, h, w, c = dx.shape
    width = kh * kw * c
    for idx in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        image, y_in, x_in, ch = _unravel(idx, h, w, c)
        total = dx.dtype.type(0)
        for i in range(kh):
            o_y = _source(y_in, top, i, dh, sh, oh)
            if o_y < 0:
                continue
            for j in range(kw):
                o_x = _source(x_in, left, j, dw, sw, ow)
                if o_x >= 0:
                    total += cols[((image * oh + o_y) * ow + o_x) * width + (i * kw + j) * c + ch]
        dx[image, y_in, x_in, ch] = total


# ------------------------------------------------------------------- pooling
@cuda.jit
def max_pool(x, ph, pw, sh, sw, top, left, y, which):
    """Largest value of each window (padding never wins) and the tap ``i * pw + j`` that won."""
    n, h, w, c = x.shape
    _, oh, ow, _ = y.shape
    for idx in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        image, o_y, o_x, ch = _unravel(idx, oh, ow, c)
        best, arg = x.dtype.type(-math.inf), 0
        for i in range(ph):
            y_in = o_y * sh - top + i
            if 0 <= y_in < h:
                for j in range(pw):
                    x_in = o_x * sw - left + j
                    if 0 <= x_in < w and x[image, y_in, x_in, ch] > best:
                        best, arg = x[image, y_in, x_in, ch], i * pw + j
        y[image, o_y, o_x, ch] = best
        which[image, o_y, o_x, ch] = arg


@cuda.jit
def max_pool_backward(dy, which, ph, pw, sh, sw, top, left, dx):
    """Each input pixel collects the gradients of the windows it won."""
    n, h, w, c = dx.shape
    _, oh, ow, _ = dy.shape
    for idx in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        image, y_in, x_in, ch = _unravel(idx, h, w, c)
        total = dx.dtype.type(0)
        for i in range(ph):
            o_y = _source(y_in, top, i, 1, sh, oh)
            if o_y < 0:
                continue
            for j in range(pw):
                o_x = _source(x_in, left, j, 1, sw, ow)
                if o_x >= 0 and which[image, o_y, o_x, ch] == i * pw + j:
                    total += dy[image, o_y, o_x, ch]
        dx[image, y_in, x_in, ch] = total


@cuda.jit(device=True)
def _inside(o, stride, pad, pool, size):
    """How many of the ``pool`` pixels of window ``o`` lie inside ``0 .. size - 1``."""
    start = o * stride - pad
    return min(start + pool, size) - max(start, 0)


@cuda.jit
def avg_pool(x, ph, pw, sh, sw, top, left, y):
    """Mean of each window over the pixels inside the image."""
    n, h, w, c = x.shape
    _, oh, ow, _ = y.shape
    for idx in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        image, o_y, o_x, ch = _unravel(idx, oh, ow, c)
        total = y.dtype.type(0)
        for i in range(ph):
            y_in = o_y * sh - top + i
            if 0 <= y_in < h:
                for j in range(pw):
                    x_in = o_x * sw - left + j
                    if 0 <= x_in < w:
                        total += x[image, y_in, x_in, ch]
        count = _inside(o_y, sh, top, ph, h) * _inside(o_x, sw, left, pw, w)
        y[image, o_y, o_x, ch] = total / y.dtype.type(count)


@cuda.jit
def avg_pool_backward(dy, ph, pw, sh, sw, top, left, dx):
    """Each input pixel collects its share of the gradient of every window it is in."""
    n, h, w, c = dx.shape
    _, oh, ow, _ = dy.shape
    for idx in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        image, y_in, x_in, ch = _unravel(idx, h, w, c)
        total = dx.dtype.type(0)
        for i in range(ph):
            o_y = _source(y_in, top, i, 1, sh, oh)
            if o_y < 0:
                continue
            for j in range(pw):
                o_x = _source(x_in, left, j, 1, sw, ow)
                if o_x >= 0:
                    count = _inside(o_y, sh, top, ph, h) * _inside(o_x, sw, left, pw, w)
                    total += dy[image, o_y, o_x, ch] / dx.dtype.type(count)
        dx[image, y_in, x_in, ch] = total
