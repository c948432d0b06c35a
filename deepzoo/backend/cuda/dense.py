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
    def matmul(self, a, b, trans_a=False, trans_b=False, out=None, accumulate=False):
        m = a.shape[1] if trans_a else a.shape[0]
        n = b.shape[0] if trans_b else b.shape[1]
        if out is None:
            out = target.empty((m, n), a.dtype)
        if self.tiled_matmul:
            grid, block = k.gemm_launch(m, n)
            k.gemm_kernel(out.dtype)[grid, block](a, b, out, trans_a, trans_b, accumulate)
        else:
            self._run(k.gemm_simple, m * n, a, b, out, trans_a, trans_b, accumulate)
        return out

    def add_bias(self, y, bias):
        self._run(k.add_bias, y.size, self._flat(y), bias)
        return y

    def sum_rows(self, dy, out, accumulate=True):
        dy = self._rows(dy)
        self._run(k.sum_rows, dy.shape[1], dy, out, accumulate)
        return out

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
