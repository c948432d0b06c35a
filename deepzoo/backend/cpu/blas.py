"""NumPy's own BLAS product, callable from inside a numba kernel.

A recurrent layer runs one small product per step (32 x 128 times 128 x 512 for
the Keras adder), each followed by the step's kernel. From Python each step is
a product, an addition of its result and a kernel call, whose dispatch adds up
over a sequence: the Keras adder's encoder, 7 steps, runs its forward pass in
267 us as one numba call and in 288 us as a Python loop over the same kernels
(``benchmarks/kernel_notes.py 11``). Inside one numba loop over the steps the
products cost nothing extra, provided numba can reach BLAS's ``gemm``.

numba's ``np.dot`` would reach it through SciPy, whose wheel brings a second
OpenBLAS with its own threads, which would compete with NumPy's for the cores.
So this module finds ``cblas_sgemm``/``cblas_dgemm`` in the library NumPy itself
loaded (threadpoolctl knows its file), and :func:`gemm` calls it by address. The
address is an argument of the kernels, not a constant in them, so numba still
caches them on disk. :func:`gemm_add` also serves products that add into their
output (a kernel's gradient): BLAS's beta = 1 spares NumPy's temporary.

Only the 64-bit-integer interface of OpenBLAS is used (``scipy_cblas_sgemm64_``
in NumPy's wheels from PyPI, ``cblas_sgemm64_`` in other ILP64 builds). With any
other BLAS (MKL, Accelerate, a 32-bit-integer build) :func:`gemm_address` is 0
and the callers keep NumPy's ``matmul`` and their Python loops, which give the
same results.
"""

from __future__ import annotations

import ctypes
import functools

import numba
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .jit import CACHE, recover_from_bad_cache_files
from .threads import blas_libraries

#: CBLAS's codes for row-major storage, no transpose and transpose
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112

# OpenBLAS's kernels for x86 CPUs with AVX-512 (its "SkylakeX" family, which it also
# picks on AMD's Zen 4) include kernels for small products: one of at most 10^6
# multiply-adds whose B is not transposed (row-major) runs without first packing A and B
# into blocks. Where a product has a thin side, the packing costs more than the
# arithmetic, and pieces under that size are faster than the whole
# (benchmarks/kernel_notes.py 14).
_SMALL_PRODUCT_CPUS = ("skylakex", "cooperlake", "sapphirerapids")
#: the most multiply-adds of a product those kernels take
SMALL_PRODUCT = 1_000_000

# the symbols tried, in order, for each dtype (64-bit integers in both)
_SYMBOLS = {np.dtype(np.float32): ("scipy_cblas_sgemm64_", "cblas_sgemm64_"),
            np.dtype(np.float64): ("scipy_cblas_dgemm64_", "cblas_dgemm64_")}


@functools.cache
def gemm_address(dtype) -> int:
    """The address of ``cblas_?gemm`` (64-bit integers) in NumPy's OpenBLAS for ``dtype``
    (float32 or float64), or 0 when there is none to use (see the module), or when numba
    runs the kernels as Python (``NUMBA_DISABLE_JIT=1``, for debugging): :func:`gemm`
    exists only in compiled code."""
    if numba.config.DISABLE_JIT:
        return 0
    try:
        for path in [lib.filepath for lib in blas_libraries() if lib.internal_api == "openblas"]:
            library = ctypes.CDLL(path)
            for name in _SYMBOLS.get(np.dtype(dtype), ()):
                function = getattr(library, name, None)
                if function is not None:
                    return ctypes.cast(function, ctypes.c_void_p).value or 0
    except (OSError, AttributeError, ValueError):
        pass
    return 0


@functools.cache
def small_product_limit() -> int:
    """The most multiply-adds NumPy's OpenBLAS runs with its small-product kernels (see
    above), or 0 where its BLAS has none (another CPU family, another BLAS)."""
    for lib in blas_libraries():
        architecture = str(getattr(lib, "architecture", "") or "").lower()
        if lib.internal_api == "openblas" and architecture in _SMALL_PRODUCT_CPUS:
            return SMALL_PRODUCT
    return 0


def piece_size(total, per_item, limit, least):
    """How many of ``total`` items (rows of a product, or terms of its sum) of ``per_item``
    multiply-adds each go in one piece when a product is cut for the small-product
    kernels: even pieces of at most ``limit`` multiply-adds, of at least ``least`` items;
    ``total`` (the whole product) when it is within ``limit``, when ``limit`` is 0, or
    when such pieces would be smaller."""
    if limit == 0 or total * per_item <= limit:
        return total
    most = limit // per_item
    if not total > most >= least:
        return total
    count = -(-total // most)
    return -(-total // count)


@intrinsic
def gemm(typingctx, address, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """``C = alpha op(A) op(B) + beta C`` through ``cblas_?gemm`` at ``address`` (an
    integer from :func:`gemm_address`), row-major. ``trans_a``/``trans_b`` are
    :data:`NO_TRANS` or :data:`TRANS`; ``a``, ``b``, ``c`` the arrays' data addresses
    (``x.ctypes.data``); dimensions and leading dimensions are 64-bit integers.
    ``alpha`` and ``beta`` have the arrays' float type."""
    signature = types.void(types.intp, types.int32, types.int32, types.int64, types.int64, types.int64,
                           alpha, types.intp, types.int64, types.intp, types.int64, beta, types.intp,
                           types.int64)

    def codegen(context, builder, sig, args):
        address, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc = args
        i32, i64, pointer = ir.IntType(32), ir.IntType(64), ir.IntType(8).as_pointer()
        real = context.get_value_type(sig.args[6])
        function_type = ir.FunctionType(ir.VoidType(), [i32, i32, i32, i64, i64, i64, real, pointer, i64,
                                                        pointer, i64, real, pointer, i64])
        function = builder.inttoptr(address, function_type.as_pointer())
        builder.call(function, [ir.Constant(i32, ROW_MAJOR), trans_a, trans_b, m, n, k, alpha,
                                builder.inttoptr(a, pointer), lda, builder.inttoptr(b, pointer), ldb, beta,
                                builder.inttoptr(c, pointer), ldc])
        return context.get_dummy_value()

    return signature, codegen


@njit(cache=CACHE, nogil=True)
def gemm_add(a, trans_a, b, trans_b, c, address):
    """``c += op(a) @ op(b)`` through ``cblas_?gemm`` at ``address`` with beta = 1, where
    ``op(x)`` is ``x`` (:data:`NO_TRANS`) or ``x.T`` (:data:`TRANS`); all three arrays
    C-contiguous, none empty. (NumPy's ``matmul`` has no beta: adding its result
    takes a temporary and another pass over ``c``.)"""
    m, n = c.shape
    k = a.shape[0] if trans_a == TRANS else a.shape[1]
    one = c.dtype.type(1)
    gemm(address, trans_a, trans_b, m, n, k, one, a.ctypes.data, a.shape[1], b.ctypes.data, b.shape[1],
         one, c.ctypes.data, n)


@njit(cache=CACHE, nogil=True)
def gemm_in_pieces(a, trans_a, b, c, beta, rows, depth, address):
    """``c = op(a) @ b + beta c`` through ``cblas_?gemm`` at ``address``, cut into pieces,
    all in one call: ``rows`` rows of ``c`` at a time and ``depth`` terms of the sum at a
    time (pieces of the sum after the first add into ``c``, whatever ``beta``). ``op(a)`` is
    ``a`` (``trans_a`` :data:`NO_TRANS`) or ``a.T`` (:data:`TRANS`); all three arrays
    C-contiguous. One call, not one per piece: a thread that calls numba gives up the GIL
    and must take it back afterwards, and another thread may hold it then
    (``CPUDenseOps._pieces_in_one_call``)."""
    m, n = c.shape
    k = b.shape[0]
    one = c.dtype.type(1)
    lda = a.shape[1]
    size = a.itemsize
    for start in range(0, m, rows):
        stop = min(start + rows, m)
        for first in range(0, k, depth):
            last = min(first + depth, k)
            # where piece (start, first) of op(a) begins: row start, column first of op(a)
            offset = start * lda + first if trans_a == NO_TRANS else first * lda + start
            gemm(address, trans_a, NO_TRANS, stop - start, n, last - first, one,
                 a.ctypes.data + offset * size, lda, b.ctypes.data + first * n * size, n,
                 beta if first == 0 else one, c.ctypes.data + start * n * size, n)


recover_from_bad_cache_files(globals())
