"""CUDA kernels of the dense and elementwise ops (``dense.py``).

Each ``@cuda.jit`` kernel here computes what the method of the same name in
:class:`~deepzoo.backend.reference.Ops` computes; read that one first. They are pure
functions over device arrays: no state, no knowledge of layers.

Patterns used throughout:

* **Grid-stride loops.** ``for i in range(cuda.grid(1), n, cuda.gridsize(1))``:
  each thread handles items ``i, i + stride, ...``, so any launch size covers any
  array and the result does not depend on it.
* **Flat views.** Elementwise kernels take 1-D views of contiguous arrays.
* **One thread per row** for row-wise work over short rows (softmax over classes,
  a loss over one sample's outputs); the per-row loss values are summed on the
  host in float64.
* **Shared-memory tiles** for the matrix product: see :func:`gemm_kernel`.

Only plain arithmetic, ``math`` functions, shared memory and ``syncthreads``
are used: no warp intrinsics, so every kernel also runs in numba's simulator.
"""

from __future__ import annotations

import math

import numpy as np

from ..reference import dense as reference_dense
from ..reference import elementwise as E
from .target import cuda_module

cuda = cuda_module()


# --------------------------------------------------------------- elementwise
# The functions mapped over the elements get ``zero`` and ``one`` typed like the
# data: a bare 0.0 or 1.0 is a float64 in numba, and float32 arithmetic that meets
# one is done in float64, 32 to 64 times slower on GeForce and T4 cards.
def _map1(fn):
    """A kernel ``out[i] = fn(x[i], alpha, zero, one)`` over flat arrays."""
    device_fn = cuda.jit(device=True)(E.rebind(fn, globals()))

    @cuda.jit
    def kernel(x, alpha, out):
        zero, one = out.dtype.type(0), out.dtype.type(1)
        for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
            out[i] = device_fn(x[i], alpha, zero, one)

    return kernel


def _map2(fn):
    """A kernel ``out[i] = fn(a[i], b[i], alpha, zero, one)`` over flat arrays."""
    device_fn = cuda.jit(device=True)(E.rebind(fn, globals()))

    @cuda.jit
    def kernel(a, b, alpha, out):
        zero, one = out.dtype.type(0), out.dtype.type(1)
        for i in range(cuda.grid(1), a.size, cuda.gridsize(1)):
            out[i] = device_fn(a[i], b[i], alpha, zero, one)

    return kernel


linear, heaviside, sigmoid, tanh = _map1(E.linear), _map1(E.heaviside), _map1(E.sigmoid), _map1(E.tanh)
relu, leaky_relu, elu = _map1(E.relu), _map1(E.leaky_relu), _map1(E.elu)
scale = _map1(lambda x, alpha, zero, one: alpha * x)
fill = _map1(lambda x, alpha, zero, one: alpha)
heaviside_backward, sigmoid_backward = _map2(E.heaviside_backward), _map2(E.sigmoid_backward)
tanh_backward, relu_backward = _map2(E.tanh_backward), _map2(E.relu_backward)
leaky_relu_backward, elu_backward = _map2(E.leaky_relu_backward), _map2(E.elu_backward)
multiply = _map2(lambda a, b, alpha, zero, one: a * b)
add = _map2(lambda a, b, alpha, zero, one: a + b)

# ---------------------------------------------- activations inside other kernels
#: the elementwise activations a product or a column sum can apply as it goes, by number
ACTIVATION_CODES = E.ACTIVATION_CODES
activate, activate_backward = E.compile_activations(cuda.jit(device=True), globals())


@cuda.jit
def add_bias(y, bias):
    """``y[r, j] += bias[j]`` with ``y`` flat."""
    f = bias.size
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        y[i] += bias[i % f]


@cuda.jit
def sum_rows(dy, y, code, alpha, dz, write_dz, out, accumulate):
    """``dz = activate_backward(dy, y)`` (written when ``write_dz``) and ``out[j] (+)= sum_r
    dz[r, j]``: one thread per column, reading rows in turn. For the simulator; a GPU runs
    :func:`column_sums_kernel`."""
    rows, cols = dy.shape
    zero, one = out.dtype.type(0), out.dtype.type(1)
    for j in range(cuda.grid(1), cols, cuda.gridsize(1)):
        total = zero
        for r in range(rows):
            v = activate_backward(code, dy[r, j], y[r, j], alpha, zero, one)
            if write_dz:
                dz[r, j] = v
            total += v
        out[j] = out[j] + total if accumulate else total


#: the block-parallel column sums: SUM_COLUMNS columns per block, SUM_LANES threads down each
SUM_COLUMNS, SUM_LANES = 32, 16


def _column_sums(np_type):
    """:func:`sum_rows` with a block of SUM_COLUMNS x SUM_LANES threads per SUM_COLUMNS
    columns: the lanes of a column take every SUM_LANES-th row, then their partial sums
    are added in shared memory in a fixed order (the same result on every run)."""
    @cuda.jit
    def column_sums(dy, y, code, alpha, dz, write_dz, out, accumulate):
        rows, cols = dy.shape
        zero, one = out.dtype.type(0), out.dtype.type(1)
        partial = cuda.shared.array((SUM_LANES, SUM_COLUMNS), np_type)
        tx, lane = cuda.threadIdx.x, cuda.threadIdx.y
        j = cuda.blockIdx.x * SUM_COLUMNS + tx
        total = zero
        if j < cols:
            for r in range(lane, rows, SUM_LANES):  # neighbouring threads: neighbouring columns
                v = activate_backward(code, dy[r, j], y[r, j], alpha, zero, one)
                if write_dz:
                    dz[r, j] = v
                total += v
        partial[lane, tx] = total
        cuda.syncthreads()
        if lane == 0 and j < cols:
            total = zero
            for other in range(SUM_LANES):
                total += partial[other, tx]
            out[j] = out[j] + total if accumulate else total

    return column_sums


column_sums_f32 = _column_sums(np.float32)
column_sums_f64 = _column_sums(np.float64)


def column_sums_kernel(dtype):
    """The block-parallel column sums for arrays of ``dtype`` (launch with :func:`column_sums_launch`)."""
    return column_sums_f32 if str(dtype) == "float32" else column_sums_f64


def column_sums_launch(cols):
    return (-(-cols // SUM_COLUMNS),), (SUM_COLUMNS, SUM_LANES)


# --------------------------------------------------------------- embedding
@cuda.jit
def embedding_lookup(table, ids, out):
    """``out[i, j] = table[round(ids[i]), j]``, one thread per output number (``out`` flat)."""
    d = table.shape[1]
    half = ids.dtype.type(0.5)
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[k] = table[int(ids[k // d] + half), k % d]


@cuda.jit
def embedding_backward(ids, dy, grad_table):
    """``grad_table[round(ids[i]), j] += dy[i, j]``: repeated ids add up with atomic adds."""
    d = grad_table.shape[1]
    half = ids.dtype.type(0.5)
    for k in range(cuda.grid(1), dy.size, cuda.gridsize(1)):
        cuda.atomic.add(grad_table, (int(ids[k // d] + half), k % d), dy[k])


# ------------------------------------------------------ batch normalization
# One thread per column (channel) for the statistics, then an elementwise pass
# over the flat data with the column's coefficients.
@cuda.jit
def column_moments(x, inv_n, mean, var):
    """Mean and biased variance of each column of ``x``, two passes."""
    rows, cols = x.shape
    for j in range(cuda.grid(1), cols, cuda.gridsize(1)):
        total = x.dtype.type(0)
        for r in range(rows):
            total += x[r, j]
        m = total * inv_n
        squares = x.dtype.type(0)
        for r in range(rows):
            d = x[r, j] - m
            squares += d * d
        mean[j] = m
        var[j] = squares * inv_n


@cuda.jit
def batch_norm_coefficients(gamma, beta, mean, var, eps, scale, shift):
    """``scale = gamma / sqrt(var + eps)``, ``shift = beta - mean * scale``."""
    for j in range(cuda.grid(1), gamma.size, cuda.gridsize(1)):
        a = gamma[j] / math.sqrt(var[j] + eps)
        scale[j] = a
        shift[j] = beta[j] - mean[j] * a


@cuda.jit
def scale_shift_columns(x, scale, shift, out):
    """``out[r, j] = x[r, j] * scale[j] + shift[j]`` with ``x`` and ``out`` flat."""
    f = scale.size
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        out[i] = x[i] * scale[i % f] + shift[i % f]


@cuda.jit
def batch_norm_backward_sums(dy, x, gamma, mean, var, eps, inv_n, grad_gamma, grad_beta, a, b, c):
    """Per column: add the parameter gradients, and the coefficients of the input
    gradient ``dx = dy * a + (x - mean) * b + c``."""
    rows, cols = x.shape
    for j in range(cuda.grid(1), cols, cuda.gridsize(1)):
        inv_std = x.dtype.type(1) / math.sqrt(var[j] + eps)
        sum_dy, sum_dy_x_hat = x.dtype.type(0), x.dtype.type(0)
        for r in range(rows):
            sum_dy += dy[r, j]
            sum_dy_x_hat += dy[r, j] * (x[r, j] - mean[j]) * inv_std
        grad_gamma[j] += sum_dy_x_hat
        grad_beta[j] += sum_dy
        k = gamma[j] * inv_std
        a[j] = k
        b[j] = -k * inv_std * sum_dy_x_hat * inv_n
        c[j] = -k * sum_dy * inv_n


@cuda.jit
def batch_norm_input_grad(dy, x, mean, a, b, c, dx):
    """``dx = dy * a + (x - mean) * b + c`` over flat arrays, column ``i % C``."""
    f = a.size
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        j = i % f
        dx[i] = dy[i] * a[j] + (x[i] - mean[j]) * b[j] + c[j]


# -------------------------------------------------------------- row-wise ops
@cuda.jit
def softmax_rows(x, out):
    for r in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        top = x[r, 0]
        for j in range(1, x.shape[1]):
            top = max(top, x[r, j])
        total = out.dtype.type(0)
        for j in range(x.shape[1]):
            e = math.exp(x[r, j] - top)
            out[r, j] = e
            total += e
        for j in range(x.shape[1]):
            out[r, j] /= total


@cuda.jit
def softmax_backward_rows(dy, y, out):
    for r in range(cuda.grid(1), dy.shape[0], cuda.gridsize(1)):
        dot = out.dtype.type(0)
        for j in range(dy.shape[1]):
            dot += dy[r, j] * y[r, j]
        for j in range(dy.shape[1]):
            out[r, j] = y[r, j] * (dy[r, j] - dot)


@cuda.jit
def maxout(z, y, which):
    """``z`` is ``(rows, pieces)``: the largest piece of each row, and its index."""
    for r in range(cuda.grid(1), z.shape[0], cuda.gridsize(1)):
        best, arg = z[r, 0], 0
        for p in range(1, z.shape[1]):
            if z[r, p] > best:
                best, arg = z[r, p], p
        y[r] = best
        which[r] = arg


@cuda.jit
def maxout_backward(dy, which, dz):
    for r in range(cuda.grid(1), dz.shape[0], cuda.gridsize(1)):
        for p in range(dz.shape[1]):
            dz[r, p] = dy[r] if p == which[r] else dz.dtype.type(0)


# ------------------------------------------------------------------ dropout
_dropout_hash = cuda.jit(device=True)(reference_dense.dropout_hash)


@cuda.jit
def dropout(x, k0, k1, threshold, scale, out):
    """``out[i] = x[i] * scale`` where the hash of ``i`` and the key reaches ``threshold``, else 0."""
    zero = out.dtype.type(0)
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        kept = _dropout_hash(np.uint64(i), k0, k1) >= threshold
        out[i] = x[i] * scale if kept else zero


# ------------------------------------------------------------ matrix product
#: the tiled product: each block computes a BLOCK x BLOCK tile of C with
#: THREADS_SIDE x THREADS_SIDE threads, each thread PER_THREAD x PER_THREAD outputs
BLOCK, K_TILE, PER_THREAD = 64, 16, 4
THREADS_SIDE = BLOCK // PER_THREAD
#: a tile's row length in shared memory: one spare column, so that 16 threads storing
#: down a column hit 16 banks. A module constant, since a shared array's shape must be
#: made of integer literals (``BLOCK + 1`` written inside the kernel is not one).
TILE_ROW = BLOCK + 1
#: elements of each slice that each thread loads per k step
LOADS = K_TILE * BLOCK // (THREADS_SIDE * THREADS_SIDE)


@cuda.jit(device=True)
def _a_slot(load, trans_a):
    """Where the ``load``-th element of an A slice goes in its tile: ``(kk, row)``."""
    if trans_a:  # a is (k, m): consecutive loads walk along a row of a, i.e. along m
        return load // BLOCK, load % BLOCK
    return load % K_TILE, load // K_TILE  # a is (m, k): along k


@cuda.jit(device=True)
def _b_slot(load, trans_b):
    """Where the ``load``-th element of a B slice goes in its tile: ``(kk, col)``."""
    if trans_b:  # b is (n, k): along k
        return load % K_TILE, load // K_TILE
    return load // BLOCK, load % BLOCK  # b is (k, n): along n


def _tiled_gemm(np_type):
    """The tiled product ``C (+)= op(A) @ op(B)`` for arrays of ``np_type`` (its tiles' type).

    Launch with ``gemm_launch``. Each block loads a ``K_TILE``-deep slice of the
    rows of ``op(A)`` and the columns of ``op(B)`` that its tile needs into shared
    memory, then every thread multiplies them into a 4 x 4 block of accumulators
    held in registers. Thread ``(tx, ty)`` owns rows ``ty + 16 i`` and columns
    ``tx + 16 j`` of the tile, so neighbouring threads read neighbouring shared
    words. Elements outside the matrices load as zeros, so any shape works.
    """
    @cuda.jit
    def gemm(a, b, c, trans_a, trans_b, accumulate, bias, has_bias, code, alpha, partial, tickets):
        m, n = c.shape
        zero, one = c.dtype.type(0), c.dtype.type(1)
        k_all = a.shape[0] if trans_a else a.shape[1]
        # split-K: grid z cuts k into equal runs of whole K_TILE steps, one per block
        splits = cuda.gridDim.z
        per_split = ((k_all + K_TILE - 1) // K_TILE + splits - 1) // splits * K_TILE
        k_begin = cuda.blockIdx.z * per_split
        k = min(k_all, k_begin + per_split)
        a_tile = cuda.shared.array((K_TILE, TILE_ROW), np_type)  # [kk, row]
        b_tile = cuda.shared.array((K_TILE, TILE_ROW), np_type)  # [kk, col]
        a_next = cuda.local.array(LOADS, np_type)
        b_next = cuda.local.array(LOADS, np_type)
        acc = cuda.local.array((PER_THREAD, PER_THREAD), np_type)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        tid = ty * THREADS_SIDE + tx
        # rows on grid x (up to 2**31 - 1 blocks), columns on grid y (up to 65,535): the
        # rows are the batch, which grows; a ConvNet's predict over 10,000 images has
        # 6.8 million of them, 105,625 tiles
        row0, col0 = cuda.blockIdx.x * BLOCK, cuda.blockIdx.y * BLOCK
        for i in range(PER_THREAD):
            for j in range(PER_THREAD):
                acc[i, j] = zero
        for k0 in range(k_begin, k, K_TILE):
            # 256 threads load the two 16 x 64 slices, LOADS elements each: first every
            # load, then every store, so that the loads are in flight together.
            # Neighbouring threads take neighbouring addresses of the matrix in memory
            # (coalesced reads): along k when k is its last axis, along rows or columns otherwise.
            for load in range(LOADS):
                kk, r = _a_slot(tid + load * THREADS_SIDE * THREADS_SIDE, trans_a)
                inside = k0 + kk < k and row0 + r < m
                if trans_a:  # a is (k, m)
                    a_next[load] = a[k0 + kk, row0 + r] if inside else zero
                else:  # a is (m, k)
                    a_next[load] = a[row0 + r, k0 + kk] if inside else zero
                kk, col = _b_slot(tid + load * THREADS_SIDE * THREADS_SIDE, trans_b)
                inside = k0 + kk < k and col0 + col < n
                if trans_b:  # b is (n, k)
                    b_next[load] = b[col0 + col, k0 + kk] if inside else zero
                else:  # b is (k, n)
                    b_next[load] = b[k0 + kk, col0 + col] if inside else zero
            for load in range(LOADS):
                kk, r = _a_slot(tid + load * THREADS_SIDE * THREADS_SIDE, trans_a)
                a_tile[kk, r] = a_next[load]
                kk, col = _b_slot(tid + load * THREADS_SIDE * THREADS_SIDE, trans_b)
                b_tile[kk, col] = b_next[load]
            cuda.syncthreads()
            for kk in range(K_TILE):
                for i in range(PER_THREAD):
                    a_value = a_tile[kk, ty + THREADS_SIDE * i]
                    for j in range(PER_THREAD):
                        acc[i, j] += a_value * b_tile[kk, tx + THREADS_SIDE * j]
            cuda.syncthreads()
        if splits > 1:
            # Each block leaves its partial tile in ``partial``; the last of the tile's
            # blocks to finish (it draws the last ticket) adds them up in the order of
            # the splits, so the sum does not depend on which block came last.
            for i in range(PER_THREAD):
                r = row0 + ty + THREADS_SIDE * i
                for j in range(PER_THREAD):
                    col = col0 + tx + THREADS_SIDE * j
                    if r < m and col < n:
                        partial[cuda.blockIdx.z, r, col] = acc[i, j]
            cuda.threadfence()  # the partial tile is seen by all before the ticket is drawn
            ticket = cuda.shared.array(1, np.int32)
            tile = cuda.blockIdx.x * cuda.gridDim.y + cuda.blockIdx.y
            cuda.syncthreads()
            if tid == 0:
                ticket[0] = cuda.atomic.add(tickets, tile, 1)
            cuda.syncthreads()
            if ticket[0] != splits - 1:
                return
            for i in range(PER_THREAD):
                r = row0 + ty + THREADS_SIDE * i
                for j in range(PER_THREAD):
                    col = col0 + tx + THREADS_SIDE * j
                    if r < m and col < n:
                        total = zero
                        for split in range(splits):
                            total += partial[split, r, col]
                        acc[i, j] = total
            if tid == 0:
                tickets[tile] = 0  # ready for the next product
        # the epilogue: bias and activation as the results are stored
        for i in range(PER_THREAD):
            r = row0 + ty + THREADS_SIDE * i
            for j in range(PER_THREAD):
                col = col0 + tx + THREADS_SIDE * j
                if r < m and col < n:
                    v = c[r, col] + acc[i, j] if accumulate else acc[i, j]
                    if has_bias:
                        v += bias[col]
                    c[r, col] = activate(code, v, alpha, zero, one)

    return gemm


#: the tiled product for each dtype: a shared array's type is fixed when it is compiled
gemm_f32 = _tiled_gemm(np.float32)
gemm_f64 = _tiled_gemm(np.float64)


def gemm_kernel(dtype):
    """The tiled product kernel for arrays of ``dtype`` (a NumPy dtype)."""
    return gemm_f32 if str(dtype) == "float32" else gemm_f64


def gemm_launch(m, n, k=1, blocks_wanted=1):
    """``(grid, block)`` for :func:`gemm_kernel` producing an ``m x n`` result: row tiles
    along grid x, column tiles along grid y, and along grid z the number of runs k is
    split into, so that at least ``blocks_wanted`` blocks (one per SM) have work when
    the tiles are fewer (each run at least one K_TILE step)."""
    tiles = (-(-m // BLOCK), -(-n // BLOCK))
    count = tiles[0] * tiles[1]
    splits = 1 if count >= blocks_wanted else min(-(-blocks_wanted // count), -(-k // K_TILE))
    return (tiles[0], tiles[1], max(splits, 1)), (THREADS_SIDE, THREADS_SIDE)


@cuda.jit
def gemm_simple(a, b, c, trans_a, trans_b, accumulate, bias, has_bias, code, alpha):
    """The same product, one output at a time per thread, without shared memory.

    The simulator runs ``syncthreads`` as a barrier between Python threads,
    which costs milliseconds, so it runs whole models with this kernel; the op
    tests run :func:`gemm_kernel` there too, on small shapes.
    """
    m, n = c.shape
    zero, one = c.dtype.type(0), c.dtype.type(1)
    k = a.shape[0] if trans_a else a.shape[1]
    for idx in range(cuda.grid(1), m * n, cuda.gridsize(1)):
        r, col = idx // n, idx % n
        total = zero
        for kk in range(k):
            total += (a[kk, r] if trans_a else a[r, kk]) * (b[col, kk] if trans_b else b[kk, col])
        v = c[r, col] + total if accumulate else total
        if has_bias:
            v += bias[col]
        c[r, col] = activate(code, v, alpha, zero, one)
