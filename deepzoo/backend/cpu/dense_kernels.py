"""numba-compiled CPU kernels of the dense and elementwise ops: pure functions over arrays.

Each kernel does in one pass over memory what the reference ``Ops`` spells out
with several NumPy expressions. They are compiled on first call (``@njit``
without signatures) and cached on disk (``cache=True``), so a model compiles only
the kernels it uses, once per machine.

Rules kept here, measured on small CPUs:

* ``error_model="numpy"``: Python's error model checks every division for zero and
  stops the loop from vectorising.
* Elementwise kernels take 1-D arrays: the caller passes any contiguous array
  as a flat view (:func:`~deepzoo.backend.cpu.base.flat`). numba compiles a kernel
  once per argument type, and the rank is part of the type: a kernel that took
  a weight matrix, a bias and a feature map would be compiled three times.
  Kernels where rows matter (bias, softmax, losses over classes) take 2-D arrays.
* Scalars that meet float32 arrays are passed already converted to the array's
  dtype by the caller: a bare ``1.0`` here would turn float32 maths into float64.
* ``math.exp``/``math.tanh`` do not vectorise; they are used only where the
  arrays are small (sigmoid and tanh outputs) and left to NumPy elsewhere.
* No matrix products here: they stay in NumPy's BLAS (see ``dense.py``).

The losses', metrics' and optimizers' kernels, written by the same rules, are in
``training_kernels.py``.
"""

import math

import numpy as np
from numba import njit

from ..reference import dense as reference_dense
from ..reference import elementwise
from .jit import CACHE, recover_from_bad_cache_files

_fast = {"cache": CACHE, "error_model": "numpy", "fastmath": True, "nogil": True}
_exact = {"cache": CACHE, "error_model": "numpy", "nogil": True}
# sums may be reordered (so that they vectorise), but NaN and infinity keep their meaning
_reorder = {"cache": CACHE, "error_model": "numpy", "fastmath": {"reassoc", "contract", "nsz"}, "nogil": True}

_activate, _activate_backward = elementwise.compile_activations(njit(inline="always"))


# ----------------------------------------------------------- bias and sums
@njit(**_exact)
def add_bias(y, bias):
    n, m = y.shape
    for i in range(n):
        for j in range(m):
            y[i, j] += bias[j]


@njit(**_fast)
def sum_rows(dy, out, accumulate):
    n, m = dy.shape
    if not accumulate:
        for j in range(m):
            out[j] = 0
    for i in range(n):
        for j in range(m):
            out[j] += dy[i, j]


@njit(**_exact)
def add_outer_products(a, b, out):
    """``out += a.T @ b`` for a short batch axis: a sum of ``len(a)`` outer products.

    With one sample per step (online learning) this rank-1 update is the whole
    weight gradient; BLAS's GEMM spends far longer packing such thin operands
    than the arithmetic takes.
    """
    k_dim, m = a.shape
    n = b.shape[1]
    for k in range(k_dim):
        for i in range(m):
            aki = a[k, i]
            for j in range(n):
                out[i, j] += aki * b[k, j]


# ------------------------------------------------- small dense layers whole
# A training step of a small model (XOR, one sample at a time) is made of calls
# that each take longer to set up than to compute. These two do a dense layer's
# forward and backward in one call each, one row of the batch at a time, where
# the alternative is a BLAS product, a bias kernel and an activation kernel (and
# three or four calls back). ``code`` is the activation's number in
# ``elementwise.ACTIVATION_CODES``; a bias of size 0 stands for none.
@njit(**_exact)
def affine_rows(x, w, bias, code, alpha, out):
    """``out = activate(x @ w + bias)``.

    Four rows of ``w`` go into each pass over a row of ``out``: a quarter of the
    loads and stores of ``out``, and of the short loops over a row's last few
    columns (the online network's 784 x 100 layer for one sample: 3.8 us against
    5.0 us a row of ``w`` at a time; ``benchmarks/kernel_notes.py 16``)."""
    n, depth = x.shape
    m = w.shape[1]
    zero = alpha * 0
    one = zero + out.dtype.type(1)
    for i in range(n):
        for j in range(m):
            out[i, j] = bias[j] if bias.size else zero
        kk = 0
        while kk + 4 <= depth:
            x0, x1, x2, x3 = x[i, kk], x[i, kk + 1], x[i, kk + 2], x[i, kk + 3]
            for j in range(m):
                out[i, j] += x0 * w[kk, j] + x1 * w[kk + 1, j] + x2 * w[kk + 2, j] + x3 * w[kk + 3, j]
            kk += 4
        while kk < depth:
            xik = x[i, kk]
            for j in range(m):
                out[i, j] += xik * w[kk, j]
            kk += 1
        for j in range(m):
            out[i, j] = _activate(code, out[i, j], alpha, zero, one)


@njit(**_reorder)
def dense_backward_rows(x, w, dy, y, code, alpha, grad_w, grad_b, dx):
    """The backward of :func:`affine_rows`: per row, ``dz = activate_backward(dy, y)``,
    ``grad_b += dz``, ``grad_w += outer(x_row, dz)`` and, when ``dx`` has rows,
    ``dx_row = w @ dz``."""
    n, depth = x.shape
    m = w.shape[1]
    zero = alpha * 0
    one = zero + dy.dtype.type(1)
    dz = np.empty(m, dtype=dy.dtype)
    for i in range(n):
        for j in range(m):
            dz[j] = _activate_backward(code, dy[i, j], y[i, j], alpha, zero, one)
        if grad_b.size:
            for j in range(m):
                grad_b[j] += dz[j]
        # two rows of grad_w per pass over dz: the online network's 784 x 100 layer for
        # one sample in 4.4 us against 5.0 (benchmarks/kernel_notes.py 16)
        kk = 0
        while kk + 2 <= depth:
            x0, x1 = x[i, kk], x[i, kk + 1]
            for j in range(m):
                grad_w[kk, j] += x0 * dz[j]
                grad_w[kk + 1, j] += x1 * dz[j]
            if dx.shape[0]:
                total0, total1 = zero, zero
                for j in range(m):
                    total0 += w[kk, j] * dz[j]
                    total1 += w[kk + 1, j] * dz[j]
                dx[i, kk], dx[i, kk + 1] = total0, total1
            kk += 2
        if kk < depth:
            xik = x[i, kk]
            for j in range(m):
                grad_w[kk, j] += xik * dz[j]
            if dx.shape[0]:
                total = zero
                for j in range(m):
                    total += w[kk, j] * dz[j]
                dx[i, kk] = total


# A chain of small dense layers, one after the other, in one call each way: the
# two kernels above for every layer, from one numba call instead of one Python call
# per layer. ``kernels``, ``biases`` and ``outputs`` are tuples with an array per
# layer (a bias of size 0 for none); ``codes`` and ``alphas`` tuples of numbers, the
# alphas of the arrays' dtype. numba compiles these once per number of layers.
@njit(**_exact)
def affine_chain(x, kernels, biases, codes, alphas, outputs):
    """``outputs[l] = activate_l(outputs[l - 1] @ kernels[l] + biases[l])``, the first from ``x``."""
    affine_rows(x, kernels[0], biases[0], codes[0], alphas[0], outputs[0])
    for layer in range(1, len(kernels)):
        affine_rows(outputs[layer - 1], kernels[layer], biases[layer], codes[layer], alphas[layer],
                    outputs[layer])


@njit(**_reorder)
def dense_chain_backward_rows(x, kernels, outputs, dy, codes, alphas, grad_kernels, grad_biases, dx):
    """The backward of :func:`affine_chain` from the last layer's gradient ``dy``: each
    layer's :func:`dense_backward_rows`, whose input gradient is the gradient of the
    layer below's output; the first layer's goes into ``dx`` (none when it has no rows)."""
    for layer in range(len(kernels) - 1, 0, -1):
        below = outputs[layer - 1]
        d_below = np.empty_like(below)
        dense_backward_rows(below, kernels[layer], dy, outputs[layer], codes[layer], alphas[layer],
                            grad_kernels[layer], grad_biases[layer], d_below)
        dy = d_below
    dense_backward_rows(x, kernels[0], dy, outputs[0], codes[0], alphas[0], grad_kernels[0], grad_biases[0],
                        dx)


@njit(**_exact)
def add_into(out, x):
    for i in range(out.size):
        out[i] += x[i]


# --------------------------------------------------------------- embedding
@njit(**_exact)
def embedding_lookup(table, ids, out):
    """``out[i] = table[round(ids[i])]`` for flat ``ids`` and ``out`` of shape (len(ids), D)."""
    for i in range(ids.size):
        row = table[int(ids[i] + 0.5)]  # ids are whole numbers >= 0 (checked by the layer)
        for j in range(row.size):
            out[i, j] = row[j]


@njit(**_exact)
def embedding_backward(ids, dy, grad_table):
    """``grad_table[round(ids[i])] += dy[i]``."""
    for i in range(ids.size):
        row = grad_table[int(ids[i] + 0.5)]
        for j in range(row.size):
            row[j] += dy[i, j]


# ------------------------------------------------------ batch normalization
@njit(**_exact)
def column_moments(x, mean, var):
    """Mean and biased variance of each column, summed in float64, two passes."""
    n, m = x.shape
    total = np.zeros(m)
    for i in range(n):
        for j in range(m):
            total[j] += x[i, j]
    for j in range(m):
        total[j] /= n
        mean[j] = total[j]
    squares = np.zeros(m)
    for i in range(n):
        for j in range(m):
            d = x[i, j] - total[j]
            squares[j] += d * d
    for j in range(m):
        var[j] = squares[j] / n


@njit(**_exact)
def scale_shift_columns(x, scale, shift, out):
    """``out[i, j] = x[i, j] * scale[j] + shift[j]``."""
    n, m = x.shape
    for i in range(n):
        for j in range(m):
            out[i, j] = x[i, j] * scale[j] + shift[j]


@njit(**_exact)
def batch_norm_backward(dy, x, mean, inv_std, gamma, grad_gamma, grad_beta, dx):
    """See the reference ``batch_norm_backward``; column sums in float64."""
    n, m = x.shape
    sum_dy, sum_dy_x_hat = np.zeros(m), np.zeros(m)
    for i in range(n):
        for j in range(m):
            sum_dy[j] += dy[i, j]
            sum_dy_x_hat[j] += dy[i, j] * (x[i, j] - mean[j]) * inv_std[j]
    a, b, c = np.empty(m, dtype=x.dtype), np.empty(m, dtype=x.dtype), np.empty(m, dtype=x.dtype)
    for j in range(m):
        grad_gamma[j] += sum_dy_x_hat[j]
        grad_beta[j] += sum_dy[j]
        k = gamma[j] * inv_std[j]
        a[j] = k
        b[j] = -k * inv_std[j] * sum_dy_x_hat[j] / n
        c[j] = -k * sum_dy[j] / n
    for i in range(n):
        for j in range(m):
            dx[i, j] = dy[i, j] * a[j] + (x[i, j] - mean[j]) * b[j] + c[j]


# ------------------------------------------------------------- activations
@njit(**_exact)
def relu(x, out):
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * 0


@njit(**_exact)
def relu_backward(dy, y, dx):
    for i in range(dy.size):
        dx[i] = dy[i] if y[i] > 0 else dy[i] * 0


@njit(**_exact)
def leaky_relu(x, alpha, out):
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else alpha * v


@njit(**_exact)
def leaky_relu_backward(dy, y, alpha, dx):
    for i in range(dy.size):
        dx[i] = dy[i] if y[i] > 0 else alpha * dy[i]


@njit(**_exact)
def elu(x, alpha, out):
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else alpha * math.expm1(v)


@njit(**_exact)
def elu_backward(dy, y, alpha, dx):
    for i in range(dy.size):
        dx[i] = dy[i] if y[i] > 0 else dy[i] * (y[i] + alpha)


@njit(**_exact)
def sigmoid(x, out):
    for i in range(x.size):
        v = x[i]
        if v >= 0:
            out[i] = 1 / (1 + math.exp(-v))
        else:
            z = math.exp(v)
            out[i] = z / (1 + z)


@njit(**_exact)
def sigmoid_backward(dy, y, dx):
    for i in range(dy.size):
        dx[i] = dy[i] * y[i] * (1 - y[i])


@njit(**_exact)
def tanh_backward(dy, y, dx):
    for i in range(dy.size):
        dx[i] = dy[i] * (1 - y[i] * y[i])


@njit(**_exact)
def softmax_rows(x, out):
    n, m = x.shape
    for i in range(n):
        top = x[i, 0]
        for j in range(1, m):
            top = max(top, x[i, j])
        total = x[i, 0] * 0
        for j in range(m):
            e = math.exp(x[i, j] - top)
            out[i, j] = e
            total += e
        for j in range(m):
            out[i, j] /= total


@njit(**_exact)
def softmax_backward_rows(dy, y, dx):
    n, m = dy.shape
    for i in range(n):
        dot = dy[i, 0] * 0
        for j in range(m):
            dot += dy[i, j] * y[i, j]
        for j in range(m):
            dx[i, j] = y[i, j] * (dy[i, j] - dot)


# ------------------------------------------------------------------ dropout
_dropout_hash = njit(inline="always")(reference_dense.dropout_hash)


@njit(**_exact)
def dropout(x, k0, k1, threshold, scale, out):
    """``out[i] = x[i] * scale`` where the hash of ``i`` and the key reaches ``threshold``, else 0."""
    zero = scale * 0
    for i in range(x.size):
        kept = _dropout_hash(np.uint64(i), k0, k1) >= threshold
        out[i] = x[i] * scale if kept else zero


recover_from_bad_cache_files(globals())
