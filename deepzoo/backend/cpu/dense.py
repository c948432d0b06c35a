"""The dense and elementwise ops of the CPU family, compiled with numba.

Each method has the meaning of its namesake in
:mod:`deepzoo.backend.reference.dense` (read that first); only how it is computed
changes. Matrix products stay in NumPy, which hands them to its BLAS, except those
that add into their output (a kernel's gradient): they call that BLAS's ``gemm``
with beta = 1 (``blas.py``), which spares NumPy's temporary. A product with a thin
side may run in pieces that OpenBLAS's small-product kernels take (:func:`_pieces`),
all of them in one numba call (``blas.gemm_in_pieces``).
Elementwise maths runs as one-pass ``@njit`` kernels (``dense_kernels.py``)
writing into arrays they are given instead of allocating temporaries.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..reference.dense import dropout_threshold
from ..reference.elementwise import ACTIVATION_CODES
from . import dense_kernels as k
from .base import NOT_GIVEN, CPUOpsBase, flat
from .blas import (
    NO_TRANS,
    SMALL_PRODUCT,
    TRANS,
    gemm_add,
    gemm_address,
    gemm_in_pieces,
    piece_size,
    small_product_limit,
)
from .threads import one_blas_thread

# Below this many rows, ``out += a.T @ b`` runs as a numba loop instead of BLAS, and
# so does a dense layer's forward and backward.
_THIN_BATCH = 8
# A dense layer whose product has at most this many multiply-adds runs as one numba
# call whatever its batch (a small network on a full batch: XOR, the playground).
_SMALL_DENSE = 4096
# A product is split over threads only in parts of at least this many multiply-adds
# (tens of microseconds of work), which BLAS does faster on one thread than a hand-over.
_PART_PRODUCT = 1 << 23
# OpenBLAS runs products of at most this many multiply-adds on the calling thread.
_BLAS_ALONE = 65536 * 4


class _PackedChain(NamedTuple):
    """A dense chain as ``affine_chain`` and ``dense_chain_backward_rows`` take it."""

    dtype: np.dtype
    rows: int
    units: tuple  # each layer's outputs
    codes: tuple
    fused_codes: tuple  # the last activation's backward left to the loss
    kernels: tuple
    biases: tuple
    alphas: tuple
    grad_kernels: tuple | None
    grad_biases: tuple | None


class CPUDenseOps(CPUOpsBase):
    """Products, bias, activations and dropout masks on the CPU."""

    # ---------------------------------------------------------- linear algebra
    def matmul(self, a, b, trans_a=False, trans_b=False, out=None, accumulate=False):
        if accumulate and trans_a and not trans_b and a.shape[0] <= _THIN_BATCH and not self._one_off:
            k.add_outer_products(a, b, out)  # the weight gradient of a small batch
            return out
        a = a.T if trans_a else a
        b = b.T if trans_b else b
        if out is None:
            out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
        # A product goes to BLAS whole, which runs it on its own threads (faster than
        # handing rows to deepzoo's: 0.36 against 0.57 ms for the MNIST MLP's first
        # layer), unless this Ops has just split work over its threads (see base.py):
        # then large products give each thread some of their rows, independent of one
        # another, with BLAS on one thread.
        per_row = a.shape[1] * b.shape[1]
        size = a.shape[0] * per_row
        if size <= _BLAS_ALONE or not self._blas_held():
            return self._matmul(a, b, out, accumulate)
        with one_blas_thread():  # one piece when it is too small to split
            self._split(a.shape[0], lambda start, stop: self._matmul(a[start:stop], b, out[start:stop],
                                                                     accumulate), per_row, _PART_PRODUCT)
        return out

    def _matmul(self, a, b, out, accumulate):
        """``out (+)= a @ b`` on this thread, in pieces where BLAS runs those faster
        (:func:`_pieces`; the test of size first, as this runs before every product)."""
        if a.shape[0] * a.shape[1] * b.shape[1] > SMALL_PRODUCT:
            rows, depth = _pieces(a, b, accumulate)
            if (rows or depth) and self._pieces_in_one_call(a, b, out):
                a_c, trans_a = _stored(a)
                gemm_in_pieces(a_c, trans_a, b, out, out.dtype.type(accumulate), rows or a.shape[0],
                               depth or a.shape[1], gemm_address(out.dtype))
                return out
            if rows:  # pieces of the output's rows
                for start in range(0, a.shape[0], rows):
                    self._matmul(a[start:start + rows], b, out[start:start + rows], accumulate)
                return out
            if depth:  # pieces of the sum, each added in
                for start in range(0, a.shape[1], depth):
                    self._matmul(a[:, start:start + depth], b[start:start + depth], out, True)
                return out
        if not accumulate:
            return np.matmul(a, b, out=out)
        address = gemm_address(out.dtype)
        if address and a.size and b.size and out.flags.c_contiguous and a.dtype == b.dtype == out.dtype:
            (a_c, trans_a), (b_c, trans_b) = _stored(a), _stored(b)
            if a_c is not None and b_c is not None:
                gemm_add(a_c, trans_a, b_c, trans_b, out, address)  # beta = 1: no temporary
                return out
        key = (out.shape, out.dtype)
        tmp = self._scratch.get(key)
        if tmp is None:
            tmp = self._scratch[key] = np.empty_like(out)
        np.matmul(a, b, out=tmp)
        k.add_into(flat(out), flat(tmp))
        return out

    # The pieces of a product run as one numba call where they can: a convolution's pieces
    # of a batch on two threads each make several products in pieces, and a call of its own
    # per piece has each thread take the GIL back after it, often while the other thread
    # holds it. LeNet-5's second convolution on 32 images, on one thread beside a second
    # thread doing the same: forward 449 us with a call per piece, 322 us with one call;
    # backward 838 against 757 us (benchmarks/kernel_notes.py 15).
    @staticmethod
    def _pieces_in_one_call(a, b, out):
        """Whether ``blas.gemm_in_pieces`` can run the pieces of ``out (+)= a @ b``: a ``gemm``
        to call, one dtype, and arrays stored as they are (``a`` possibly transposed)."""
        return gemm_address(out.dtype) != 0 and a.dtype == b.dtype == out.dtype and \
            b.flags.c_contiguous and out.flags.c_contiguous and _stored(a)[0] is not None

    def add_bias(self, y, bias):
        k.add_bias(y, bias)
        return y

    # A dense layer whose product is small runs its forward, and its backward, as one
    # numba call (see dense_kernels.py): a few samples at a time, or a small layer;
    # not inside ``one_off`` (base.py).
    def _small_dense(self, x, kernel, activation):
        code = ACTIVATION_CODES.get(activation)
        if code is None or x.ndim != 2 or x.dtype != kernel.dtype or (x.dtype, 1) not in NOT_GIVEN \
                or self._one_off:
            return None
        return code if x.shape[0] <= _THIN_BATCH or x.shape[0] * kernel.size <= _SMALL_DENSE else None

    def affine(self, x, kernel, bias=None, activation=None, alpha=0.0):
        code = self._small_dense(x, kernel, activation)
        if code is None:
            return super().affine(x, kernel, bias, activation, alpha)
        out = np.empty((x.shape[0], kernel.shape[1]), dtype=x.dtype)
        k.affine_rows(x, kernel, NOT_GIVEN[x.dtype, 1] if bias is None else bias, code, x.dtype.type(alpha),
                      out)
        return out

    def dense_backward(self, x, kernel, dy, y, activation=None, alpha=0.0, grad_kernel=None, grad_bias=None,
                       input_gradient=True):
        code = self._small_dense(x, kernel, activation)
        if code is None or dy.dtype != x.dtype:
            return super().dense_backward(x, kernel, dy, y, activation, alpha, grad_kernel, grad_bias,
                                          input_gradient)
        dx = np.empty(x.shape, dtype=x.dtype) if input_gradient else NOT_GIVEN[x.dtype, 2]
        k.dense_backward_rows(x, kernel, dy, y, code, x.dtype.type(alpha), grad_kernel,
                              NOT_GIVEN[x.dtype, 1] if grad_bias is None else grad_bias, dx)
        return dx if input_gradient else None

    # A chain of small dense layers (XOR's 2-4-1, the online network's 784-100-10 on one
    # sample) runs as one numba call each way, the two kernels above for every layer: a
    # call per layer costs a few microseconds of Python and dispatch, more than the
    # arithmetic of most such layers. What the kernels take is packed once per plan.
    @staticmethod
    def _pack(chain):
        """``chain.packed``: the arrays and numbers of the chain as the kernels take them
        (tuples, an empty bias for none), with the most rows for which every layer is
        small (:meth:`_small_dense`); False when the chain cannot run as one call."""
        if chain.packed is not None:
            return chain.packed
        dtype = chain.kernels[0].dtype
        codes = tuple(ACTIVATION_CODES.get(activation, -1) for activation in chain.activations)
        arrays = chain.kernels + [b for b in chain.biases if b is not None] + (chain.grad_kernels or []) + \
            [g for g in chain.grad_biases or [] if g is not None]
        if (dtype, 1) not in NOT_GIVEN or -1 in codes or \
                not all(a.dtype == dtype and a.flags.c_contiguous for a in arrays):
            chain.packed = False
            return False
        none = NOT_GIVEN[dtype, 1]

        def vectors(items):
            return None if items is None else tuple(none if v is None else v for v in items)

        rows = min(max(_THIN_BATCH, _SMALL_DENSE // kernel.size) for kernel in chain.kernels)
        chain.packed = _PackedChain(dtype, rows, tuple(kernel.shape[1] for kernel in chain.kernels), codes,
                                    codes[:-1] + (0,), tuple(chain.kernels),
                                    vectors(chain.biases), tuple(dtype.type(a) for a in chain.alphas),
                                    None if chain.grad_kernels is None else tuple(chain.grad_kernels),
                                    vectors(chain.grad_biases))
        return chain.packed

    def _packed_for(self, x, chain):
        """The chain packed, if it runs as one call on ``x``; else None."""
        packed = chain.packed
        if packed is None:
            packed = self._pack(chain)
        if packed and x.ndim == 2 and x.dtype == packed.dtype and x.shape[0] <= packed.rows and \
                not self._local.one_off:
            return packed
        return None

    def dense_chain(self, x, chain):
        packed = self._packed_for(x, chain)
        if packed is None:
            return super().dense_chain(x, chain)
        rows, dtype = x.shape[0], x.dtype
        outputs = [np.empty((rows, units), dtype=dtype) for units in packed.units]
        k.affine_chain(x, packed.kernels, packed.biases, packed.codes, packed.alphas, tuple(outputs))
        return outputs

    def dense_chain_backward(self, x, chain, outputs, dy, fused=False, input_gradient=True):
        packed = self._packed_for(x, chain)
        if packed is None or packed.grad_kernels is None or dy.dtype != x.dtype or not dy.flags.c_contiguous:
            return super().dense_chain_backward(x, chain, outputs, dy, fused, input_gradient)
        dx = np.empty(x.shape, dtype=x.dtype) if input_gradient else NOT_GIVEN[x.dtype, 2]
        k.dense_chain_backward_rows(x, packed.kernels, tuple(outputs), dy,
                                    packed.fused_codes if fused else packed.codes, packed.alphas,
                                    packed.grad_kernels, packed.grad_biases, dx)
        return dx if input_gradient else None

    def sum_rows(self, dy, out, accumulate=True):
        k.sum_rows(dy, out, accumulate)
        return out

    # ------------------------------------------------------------- activations
    def relu(self, x, out=None):
        out = self._out(x, out)
        k.relu(flat(x), flat(out))
        return out

    def relu_backward(self, dy, y, out=None):
        dx = self._out(dy, out)
        k.relu_backward(flat(dy), flat(y), flat(dx))
        return dx

    def leaky_relu(self, x, alpha, out=None):
        out = self._out(x, out)
        k.leaky_relu(flat(x), x.dtype.type(alpha), flat(out))
        return out

    def leaky_relu_backward(self, dy, y, alpha, out=None):
        dx = self._out(dy, out)
        k.leaky_relu_backward(flat(dy), flat(y), dy.dtype.type(alpha), flat(dx))
        return dx

    def elu(self, x, alpha, out=None):
        out = self._out(x, out)
        k.elu(flat(x), x.dtype.type(alpha), flat(out))
        return out

    def elu_backward(self, dy, y, alpha, out=None):
        dx = self._out(dy, out)
        k.elu_backward(flat(dy), flat(y), dy.dtype.type(alpha), flat(dx))
        return dx

    def sigmoid(self, x, out=None):
        out = self._out(x, out)
        k.sigmoid(flat(x), flat(out))
        return out

    def sigmoid_backward(self, dy, y, out=None):
        dx = self._out(dy, out)
        k.sigmoid_backward(flat(dy), flat(y), flat(dx))
        return dx

    def tanh_backward(self, dy, y, out=None):
        dx = self._out(dy, out)
        k.tanh_backward(flat(dy), flat(y), flat(dx))
        return dx

    def softmax(self, x, out=None):
        out = self._out(x, out)
        k.softmax_rows(x.reshape(-1, x.shape[-1]), out.reshape(-1, x.shape[-1]))
        return out

    def softmax_backward(self, dy, y, out=None):
        dx = self._out(dy, out)
        m = dy.shape[-1]
        k.softmax_backward_rows(dy.reshape(-1, m), y.reshape(-1, m), dx.reshape(-1, m))
        return dx

    # --------------------------------------------------------------- embedding
    def embedding_lookup(self, table, ids):
        out = np.empty(ids.shape + (table.shape[1],), dtype=table.dtype)
        k.embedding_lookup(table, flat(ids), out.reshape(ids.size, table.shape[1]))
        return out

    def embedding_backward(self, ids, dy, grad_table):
        k.embedding_backward(flat(ids), dy.reshape(ids.size, grad_table.shape[1]), grad_table)
        return grad_table

    # ------------------------------------------------------ batch normalization
    def column_moments(self, x):
        mean, var = np.empty(x.shape[1], dtype=x.dtype), np.empty(x.shape[1], dtype=x.dtype)
        k.column_moments(x, mean, var)
        return mean, var

    def scale_shift_columns(self, x, scale, shift, out=None):
        out = self._out(x, out)
        k.scale_shift_columns(x, scale, shift, out)
        return out

    def batch_norm(self, x, gamma, beta, mean, var, eps, out=None):
        scale = gamma / np.sqrt(var + x.dtype.type(eps))  # per channel: small
        out = self._out(x, out)
        k.scale_shift_columns(x, scale, beta - mean * scale, out)
        return out

    def batch_norm_backward(self, dy, x, gamma, mean, var, eps, grad_gamma, grad_beta, out=None):
        dx = self._out(dy, out)
        k.batch_norm_backward(dy, x, mean, 1 / np.sqrt(var + x.dtype.type(eps)), gamma, grad_gamma,
                              grad_beta, dx)
        return dx

    # ----------------------------------------------------------------- dropout
    def dropout(self, x, rate, key, out=None):
        out = self._out(x, out)
        k.dropout(flat(x), np.uint64(key & 0xFFFFFFFF), np.uint64(key >> 32),
                  np.uint64(dropout_threshold(rate)), x.dtype.type(1.0 / (1.0 - rate)), flat(out))
        return out


def _pieces(a, b, accumulate):
    """How to cut ``a @ b`` for OpenBLAS's small-product kernels (see ``blas.py``):
    ``(rows, 0)`` for pieces of ``rows`` rows of ``a`` and the output, ``(0, depth)``
    for pieces of ``depth`` terms of the sum (only when adding into the output), or
    ``(0, 0)`` for the whole product.

    A product with a thin side (few columns of ``a`` or of ``b``) spends most of its
    time packing. Pieces of at most ``small_product_limit()`` multiply-adds skip the
    packing and run on one thread, which pays when BLAS is held to one thread anyway
    (``one_blas_thread``), and otherwise only for two pieces of a wide output: on both
    threads, narrow products of this size are faster whole (benchmarks/kernel_notes.py 14).
    Pieces are kept to at least 64 rows (or 128 terms), below which the whole product
    is as fast.
    """
    limit = small_product_limit()
    (m, k), n = a.shape, b.shape[1]
    if not limit or m * k * n <= limit or not b.flags.c_contiguous:
        return 0, 0
    held = one_blas_thread().held()
    rows = piece_size(m, k * n, limit, 64)
    # (a product that adds in keeps a transposed ``a`` whole: its rows are not contiguous,
    # and as separate calls each piece went through a temporary instead of beta = 1)
    if rows < m and (not accumulate or a.flags.c_contiguous) and (held or (2 * rows >= m and n >= 256)):
        return rows, 0
    depth = piece_size(k, m * n, limit, 128)
    if accumulate and depth < k and a.T.flags.c_contiguous and gemm_address(a.dtype) and \
            (held or (2 * depth >= k and n >= 256)):
        return 0, depth
    return 0, 0


def _stored(x):
    """``(array, NO_TRANS)`` for a C-contiguous ``x``, ``(x.T, TRANS)`` for the transpose of
    one, else ``(None, None)``: how :func:`~deepzoo.backend.cpu.blas.gemm_add` and
    :func:`~deepzoo.backend.cpu.blas.gemm_in_pieces` take it."""
    if x.flags.c_contiguous:
        return x, NO_TRANS
    if x.T.flags.c_contiguous:
        return x.T, TRANS
    return None, None
