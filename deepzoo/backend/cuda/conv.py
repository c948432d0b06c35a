"""The convolution and pooling ops of the CUDA family.

Each method has the meaning of its namesake in :mod:`deepzoo.backend.reference.conv`
(read that first). The convolution itself and its backward are inherited from
the reference, which writes them through ``im2col``, ``matmul``, ``add_bias``
and the activations: the kernels here make those primitives run on the GPU.
"""

from __future__ import annotations

import numpy as np

from . import conv_kernels as kc
from . import target
from .base import CUDAOpsBase


class CUDAConvOps(CUDAOpsBase):
    """im2col, col2im and pooling on the GPU."""

    def _window_args(self, x_shape, kernel, strides, dilation, pads):
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self._geometry(x_shape, kernel, strides, dilation, pads)
        return (kh, kw, sh, sw, dh, dw, pads[0][0], pads[1][0], oh, ow)

    def im2col(self, x, kernel, strides, dilation, pads, out=None):
        args = self._window_args(x.shape, kernel, strides, dilation, pads)
        kh, kw, oh, ow = args[0], args[1], args[-2], args[-1]
        cols = target.empty((x.shape[0] * oh * ow, kh * kw * x.shape[3]), x.dtype) if out is None else out
        self._run(kc.im2col, cols.size, x, *args, self._flat(cols))
        return cols

    def col2im(self, cols, x_shape, kernel, strides, dilation, pads):
        dx = target.empty(tuple(x_shape), cols.dtype)
        self._run(kc.col2im, dx.size, self._flat(cols),
                  *self._window_args(x_shape, kernel, strides, dilation, pads), dx)
        return dx

    def _pool_output(self, x, pool, strides, pads):
        _, _, _, (oh, ow) = self._geometry(x.shape, pool, strides, (1, 1), pads)
        return target.empty((x.shape[0], oh, ow, x.shape[3]), x.dtype)

    def max_pool2d(self, x, pool, strides, pads, with_argmax=True):
        y = self._pool_output(x, pool, strides, pads)
        which = target.empty(y.shape, np.int32)
        self._run(kc.max_pool, y.size, x, *pool, *strides, pads[0][0], pads[1][0], y, which)
        return y, which if with_argmax else None

    def max_pool2d_backward(self, dy, which, x_shape, pool, strides, pads):
        dx = target.empty(tuple(x_shape), dy.dtype)
        self._run(kc.max_pool_backward, dx.size, dy, which, *pool, *strides, pads[0][0],
                  pads[1][0], dx)
        return dx

    def avg_pool2d(self, x, pool, strides, pads):
        y = self._pool_output(x, pool, strides, pads)
        self._run(kc.avg_pool, y.size, x, *pool, *strides, pads[0][0], pads[1][0], y)
        return y

    def avg_pool2d_backward(self, dy, x_shape, pool, strides, pads):
        dx = target.empty(tuple(x_shape), dy.dtype)
        self._run(kc.avg_pool_backward, dx.size, dy, *pool, *strides, pads[0][0], pads[1][0], dx)
        return dx
