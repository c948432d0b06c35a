"""Two measurements behind choices in deepzoo's numba kernels.

    python benchmarks/kernel_notes.py

1. A ``prange`` loop run right after a BLAS product competes with OpenBLAS's
   spinning worker thread; a plain loop does not (why the conv and pool kernels
   are single-threaded).
2. ``math.tanh`` inside a numba loop does not vectorise; NumPy's ``tanh`` does
   (why the LSTM step leaves ``tanh`` to NumPy).
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def relu_parallel(x, out):
    for i in prange(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = x[i, j] if x[i, j] > 0 else 0


@njit(cache=True)
def relu_plain(x, out):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = x[i, j] if x[i, j] > 0 else 0


@njit(cache=True, error_model="numpy")
def tanh_in_numba(x, out):
    for i in range(x.size):
        out.flat[i] = math.tanh(x.flat[i])


def best(fn, repeat=20):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((73728, 64)).astype(np.float32)
    out = np.empty_like(x)
    a = rng.standard_normal((4096, 288)).astype(np.float32)
    b = rng.standard_normal((288, 64)).astype(np.float32)
    for name, kernel in (("prange", relu_parallel), ("plain loop", relu_plain)):
        alone = best(lambda kernel=kernel: kernel(x, out))

        def after_gemm(kernel=kernel):
            a @ b
            start = time.perf_counter()
            kernel(x, out)
            return time.perf_counter() - start

        after_gemm()
        following = min(after_gemm() for _ in range(20))
        print(f"ReLU over 73728 x 64, {name}: alone {alone * 1e3:.2f} ms, "
              f"right after a GEMM {following * 1e3:.2f} ms")
    z = rng.standard_normal((32, 400)).astype(np.float32)
    zo = np.empty_like(z)
    in_numba = best(lambda: tanh_in_numba(z, zo))
    in_numpy = best(lambda: np.tanh(z, out=zo))
    print(f"tanh of a 32 x 400 gate block: math.tanh in numba {in_numba * 1e6:.1f} us, "
          f"numpy.tanh {in_numpy * 1e6:.1f} us")


if __name__ == "__main__":
    main()
