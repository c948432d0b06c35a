"""The dense and elementwise ops of the CUDA family.

Each method has the meaning of its namesake in
:mod:`deepzoo.backend.reference.dense` (read that first); the kernels are in
``dense_kernels.py``.
"""

from __future__ import annotations

import numpy as np

from ..reference.dense import dropout_threshold
from . import dense_kernels as k
from . import target
from .base import CUDAOpsBase


class CUDADenseOps(CUDAOpsBase):
    """Products, bias, activations, maxout and dropout masks on the GPU."""

    # ---------------------------------------------------------- linear algebra
    def matmul(self, a, b, trans_a=False, trans_b=False, out=None, accumulate=False, bias=None,
               activation=None, alpha=0.0):
        """The reference's product; with ``bias`` and an elementwise ``activation`` the
        kernel adds the one and applies the other as it stores each result."""
        m = a.shape[1] if trans_a else a.shape[0]
        n = b.shape[0] if trans_b else b.shape[1]
        if out is None:
            out = target.empty((m, n), a.dtype)
        epilogue = (self._no_bias(out.dtype) if bias is None else bias, bias is not None,
                    k.ACTIVATION_CODES[activation], out.dtype.type(alpha))
        if self.tiled_matmul:
            depth = a.shape[0] if trans_a else a.shape[1]
            grid, block = k.gemm_launch(m, n, depth, target.multiprocessors())
            split = grid[2] > 1
            partial = target.empty((grid[2], m, n), out.dtype) if split else self._no_partial(out.dtype)
            k.gemm_kernel(out.dtype)[grid, block](a, b, out, trans_a, trans_b, accumulate, *epilogue,
                                                  partial, self._tickets(grid[0] * grid[1] if split else 1))
        else:
            self._run(k.gemm_simple, m * n, a, b, out, trans_a, trans_b, accumulate, *epilogue)
        return out

    def _no_bias(self, dtype):
        """A one-element array to pass where a kernel takes a bias it is told not to add."""
        if dtype not in self._no_bias_arrays:
            self._no_bias_arrays[dtype] = self.alloc((1,), dtype)
        return self._no_bias_arrays[dtype]

    def _no_partial(self, dtype):
        """The partial tiles' argument of a product that is not split."""
        if dtype not in self._no_partial_arrays:
            self._no_partial_arrays[dtype] = target.empty((1, 1, 1), dtype)
        return self._no_partial_arrays[dtype]

    def _tickets(self, tiles):
        """At least ``tiles`` zeroed counters for a split product; each product leaves
        them at zero again, so they are made once and grown only for more tiles."""
        if self._ticket_array is None or self._ticket_array.size < tiles:
            self._ticket_array = self.alloc((max(tiles, 1024),), np.int32)
        return self._ticket_array

    def affine(self, x, kernel, bias=None, activation=None, alpha=0.0):
        if activation == "softmax":  # a row-wise activation: after the product
            return self.softmax(self.matmul(x, kernel, bias=bias), out=None)
        return self.matmul(x, kernel, bias=bias, activation=activation, alpha=alpha)

    def add_bias(self, y, bias):
        self._run(k.add_bias, y.size, self._flat(y), bias)
        return y

    def sum_rows(self, dy, out, accumulate=True):
        self._column_sums(self._rows(dy), None, None, 0.0, out, accumulate)
        return out

    def bias_activation_backward(self, dy, y, activation=None, alpha=0.0, grad_bias=None):
        if activation == "softmax" or (grad_bias is None and activation is not None):
            return super().bias_activation_backward(dy, y, activation, alpha, grad_bias)
        if grad_bias is None:
            return dy
        dz = dy if activation is None else self._empty_like(dy)
        self._column_sums(self._rows(dy), self._rows(y), self._rows(dz) if activation else None,
                          alpha, grad_bias, True, activation)
        return dz

    def _column_sums(self, dy, y, dz, alpha, out, accumulate, activation=None):
        """``out (+)= column sums of dz``, ``dz = activation's backward of dy`` written into
        ``dz`` when it is given: one kernel (see ``dense_kernels.sum_rows``)."""
        args = (dy, dy if y is None else y, k.ACTIVATION_CODES[activation], dy.dtype.type(alpha),
                dy if dz is None else dz, dz is not None, out, accumulate)
        if self.tiled_matmul:
            grid, block = k.column_sums_launch(dy.shape[1])
            k.column_sums_kernel(dy.dtype)[grid, block](*args)
        else:
            self._run(k.sum_rows, dy.shape[1], *args)

    def multiply(self, a, b, out=None):
        return self._map(k.multiply, a, b, out=out)

    def add(self, a, b, out=None):
        return self._map(k.add, a, b, out=out)

    def scale(self, x, factor, out=None):
        return self._map(k.scale, x, alpha=factor, out=out)

    # ------------------------------------------------------------- activations
    def linear(self, x, out=None):
        return self._map(k.linear, x, out=out)

    def linear_backward(self, dy, y, out=None):
        return dy if out is None or out is dy else self.assign(out, dy)

    def heaviside(self, x, out=None):
        return self._map(k.heaviside, x, out=out)

    def heaviside_backward(self, dy, y, out=None):
        return self._map(k.heaviside_backward, dy, y, out=out)

    def sigmoid(self, x, out=None):
        return self._map(k.sigmoid, x, out=out)

    def sigmoid_backward(self, dy, y, out=None):
        return self._map(k.sigmoid_backward, dy, y, out=out)

    def tanh(self, x, out=None):
        return self._map(k.tanh, x, out=out)

    def tanh_backward(self, dy, y, out=None):
        return self._map(k.tanh_backward, dy, y, out=out)

    def relu(self, x, out=None):
        return self._map(k.relu, x, out=out)

    def relu_backward(self, dy, y, out=None):
        return self._map(k.relu_backward, dy, y, out=out)

    def leaky_relu(self, x, alpha, out=None):
        return self._map(k.leaky_relu, x, alpha=alpha, out=out)

    def leaky_relu_backward(self, dy, y, alpha, out=None):
        return self._map(k.leaky_relu_backward, dy, y, alpha=alpha, out=out)

    def elu(self, x, alpha, out=None):
        return self._map(k.elu, x, alpha=alpha, out=out)

    def elu_backward(self, dy, y, alpha, out=None):
        return self._map(k.elu_backward, dy, y, alpha=alpha, out=out)

    def softmax(self, x, out=None):
        out = self._empty_like(x) if out is None else out
        rows = self._rows(x)
        self._run(k.softmax_rows, rows.shape[0], rows, self._rows(out))
        return out

    def softmax_backward(self, dy, y, out=None):
        out = self._empty_like(dy) if out is None else out
        rows = self._rows(dy)
        self._run(k.softmax_backward_rows, rows.shape[0], rows, self._rows(y), self._rows(out))
        return out

    # ------------------------------------------------------------------ maxout
    def maxout(self, z):
        pieces = z.shape[z.ndim - 1]
        rows = z.reshape(-1, pieces)
        y = target.empty(z.shape[:-1], z.dtype)
        which = target.empty(z.shape[:-1], np.int32)
        self._run(k.maxout, rows.shape[0], rows, self._flat(y), self._flat(which))
        return y, which

    def maxout_backward(self, dy, which, pieces):
        dz = target.empty(dy.shape + (pieces,), dy.dtype)
        self._run(k.maxout_backward, dy.size, self._flat(dy), self._flat(which),
                  dz.reshape(-1, pieces))
        return dz

    # --------------------------------------------------------------- embedding
    def embedding_lookup(self, table, ids):
        out = target.empty(tuple(ids.shape) + (table.shape[1],), table.dtype)
        self._run(k.embedding_lookup, out.size, table, self._flat(ids), self._flat(out))
        return out

    def embedding_backward(self, ids, dy, grad_table):
        self._run(k.embedding_backward, dy.size, self._flat(ids), self._flat(dy), grad_table)
        return grad_table

    # ------------------------------------------------------ batch normalization
    def column_moments(self, x):
        rows, cols = x.shape
        mean, var = target.empty((cols,), x.dtype), target.empty((cols,), x.dtype)
        self._run(k.column_moments, cols, x, x.dtype.type(1.0 / rows), mean, var)
        return mean, var

    def scale_shift_columns(self, x, scale, shift, out=None):
        out = self._empty_like(x) if out is None else out
        self._run(k.scale_shift_columns, x.size, self._flat(x), scale, shift, self._flat(out))
        return out

    def batch_norm(self, x, gamma, beta, mean, var, eps, out=None):
        out = self._empty_like(x) if out is None else out
        cols = x.shape[1]
        scale, shift = target.empty((cols,), x.dtype), target.empty((cols,), x.dtype)
        self._run(k.batch_norm_coefficients, cols, gamma, beta, mean, var, x.dtype.type(eps), scale, shift)
        self._run(k.scale_shift_columns, x.size, self._flat(x), scale, shift, self._flat(out))
        return out

    def batch_norm_backward(self, dy, x, gamma, mean, var, eps, grad_gamma, grad_beta, out=None):
        dx = self._empty_like(dy) if out is None else out
        rows, cols = x.shape
        a, b, c = (target.empty((cols,), x.dtype) for _ in range(3))
        self._run(k.batch_norm_backward_sums, cols, dy, x, gamma, mean, var, x.dtype.type(eps),
                  x.dtype.type(1.0 / rows), grad_gamma, grad_beta, a, b, c)
        self._run(k.batch_norm_input_grad, x.size, self._flat(dy), self._flat(x), mean, a, b, c, self._flat(dx))
        return dx

    # ----------------------------------------------------------------- dropout
    def dropout(self, x, rate, key, out=None):
        """The reference's dropout; each thread hashes its elements' indices, so no mask
        crosses the bus."""
        out = self._empty_like(x) if out is None else out
        self._run(k.dropout, x.size, self._flat(x), np.uint64(key & 0xFFFFFFFF), np.uint64(key >> 32),
                  np.uint64(dropout_threshold(rate)), x.dtype.type(1.0 / (1.0 - rate)), self._flat(out))
        return out
