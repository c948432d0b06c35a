"""Measurements behind choices in deepzoo's numba kernels.

    python benchmarks/kernel_notes.py          # every part
    python benchmarks/kernel_notes.py 5 6      # some parts

1. Why deepzoo splits its ops over threads of its own (``deepzoo.backend.cpu.threads``):
   a ``prange`` loop run right after a multi-threaded BLAS product competes with
   OpenBLAS's spinning worker thread; a product split over two threads right
   after a ``prange`` loop competes with numba's spinning OpenMP worker. What it
   costs ``Workers`` to hand a thread a piece of work and get it back (why
   pieces hold at least about 0.1 ms of work). And an LSTM step's product, too
   small to split, with BLAS's own threads against one thread (why such products
   go to BLAS whole until an Ops has split work).
2. ``math.tanh`` inside a numba loop does not vectorise; NumPy's ``tanh`` does
   (why the float64 LSTM step leaves ``tanh`` to NumPy; part 10 for float32).
3. Thin convolutions and pooling, each kernel against the one it replaced, on
   both sides of the limit where ``NumbaCPUOps`` switches between them: direct
   convolution on planes (forward and kernel gradient) against im2col + BLAS,
   im2col in runs against the loop nest, max pooling over shifted row runs and
   with the taps innermost against the channels innermost.
4. Small steps and BLAS's threads: a small dense layer's forward and backward as one
   kernel call each against the reference's chain of ops; the MNIST MLP's first
   product and a ConvNet product cut into rows for deepzoo's threads against BLAS's
   own threads; Adam's loop with the flush of tiny state written as a choice against
   the product ``training_kernels`` uses.
5. Winograd's F(2x2, 3x3) against im2col + BLAS for 3x3 convolutions with 4 to 32
   channels in and out, forward and backward, on one thread (where
   ``NumbaCPUOps`` starts using it).
6. The recurrent layers' steps at the adders' sizes (32 samples, 50 to 128 units):
   the LSTM and GRU step kernels forward and backward, and the product that
   carries a step's gradient back through ``R^T``, with ``R.T`` as a transposed
   view against the contiguous copy ``Ops.transposed`` makes once per backward; the
   Keras adder's encoder input product (11 inputs, 512 columns) on BLAS's threads and
   on one.
7. A split after a pause, with ``Workers``' helpers held to cores other than the
   caller's (what deepzoo does) and left where Linux puts them: 400 us of pure
   numba work, then LeNet-5's forward pass on 64 images (its ``predict``),
   each after pauses of 0, 1 and 10 ms. On a virtual machine a helper woken
   after a pause can land on the caller's core, and the split then runs no faster
   than one thread.
8. Pieces per thread: LeNet-5's and the MNIST ConvNet's training steps, and
   their forward passes on 256 images, with ``Workers.pieces_per_thread`` at 1
   (what deepzoo uses) and 2, alternating step by step in one process.
9. LeNet-5's first layer, the direct convolution on planes: its forward and kernel
   gradient with two filters per pass over the input runs (what deepzoo uses)
   against one, 32 images on one thread; its bias gradient summed along the
   gradient planes inside the kernel gradient against ``sum_rows`` over rows 6
   wide; and LeNet-5's training step with each version of the two kernels,
   alternating step by step in one process.
10. The float32 LSTM and GRU steps as one kernel each with ``recurrent_kernels.tanh32``
   (what deepzoo uses) against NumPy's ``tanh`` around the gates kernels (what float64
   still uses), at 32 samples and 50 to 128 units, alternating; and ``tanh32``'s
   largest error against float64's ``tanh`` over float32 values from -10 to 10.
11. An LSTM's steps over a whole sequence as one numba call each way, with BLAS's
   ``sgemm`` called from inside it (``deepzoo/backend/cpu/blas.py``; what deepzoo
   uses) against the reference's Python loop over the CPU's step kernels and
   products: the Keras adder's encoder (7 steps) and decoder (4 steps of a repeated
   input), 32 x 128 cells; and the Keras adder's training step with each, alternating
   in one process.
12. Products that add into their output (the kernels' gradients): BLAS's ``gemm`` with
   beta = 1 (``blas.gemm_add``, what deepzoo uses) against NumPy's ``matmul`` into a
   temporary and an add, at the Keras adder's and the MNIST MLP's shapes; and the two
   models' training steps with each, alternating in one process.
13. Where LeNet-5's training step waits: for each of its four splits over the two
   threads (the two convolutions with their pooling, forward and backward), how long
   each thread's piece takes, how long after the split began the helper starts its
   piece, and how long the caller then waits for it; medians over 200 steps.
14. Products with a thin side whole and in pieces of at most 10^6 multiply-adds, which
   OpenBLAS's small-product kernels run without packing (``deepzoo/backend/cpu/blas.py``):
   on BLAS's two threads and held to one, with the cut ``dense._pieces`` chooses;
   a convolution's input gradient through its columns with the kernel's transpose as a
   view and as a contiguous copy (which those kernels take); and the Keras adder's
   training step with and without the pieces, alternating in one process.
15. The pieces of a product (part 14) as one numba call (``blas.gemm_in_pieces``, what
   deepzoo uses) against a call per piece, each of which takes the GIL back after it:
   LeNet-5's second convolution on 32 images (half a batch), forward and backward,
   alone on one thread and beside a second thread running the same on other images,
   as the two halves of a split do; and LeNet-5's training step with each, alternating
   in one process.
16. The small models' steps: a dense layer's one-call forward (``affine_rows``) with four
   rows of the kernel per pass over the output row (what deepzoo uses) against one, and
   its backward (``dense_backward_rows``) with two rows of the kernel's gradient per pass
   against one, at the online network's and XOR's shapes; plain SGD over the online
   network's parameters (what its memory traffic costs); and XOR's and the online network's training
   steps (``fit``, SGD) with their Dense layers run as one chain (``Ops.dense_chain``,
   what deepzoo uses) against one call per layer, alternating in one process.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit, prange

from deepzoo.backend.cpu import conv_kernels as kc
from deepzoo.backend.cpu import dense_kernels as kd
from deepzoo.backend.cpu import training_kernels as kt
from deepzoo.backend.cpu.conv import _tap_shifts
from deepzoo.backend.cpu.ops import NumbaCPUOps
from deepzoo.backend.cpu.threads import Workers, one_blas_thread
from deepzoo.backend.reference import Ops

sys.path.insert(0, str(Path(__file__).parent))
from timing import best  # noqa: E402


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


def conv_kernels(rng, n, size, c, f, k):
    """Direct convolution on planes against im2col + BLAS (stride 1, input already padded)."""
    xp = rng.random((n, size, size, c), dtype=np.float32)
    kernel = rng.standard_normal((k, k, c, f)).astype(np.float32)
    o = size - k + 1
    planes = np.ascontiguousarray(xp.transpose(0, 3, 1, 2)).reshape(n, c, size * size)
    z, bias = np.empty((n * o * o, f), np.float32), np.zeros(f, np.float32)
    cols = np.empty((n * o * o, k * k * c), np.float32)

    def columns_and_product():
        kc.im2col(xp, k, k, 1, 1, 1, 1, o, o, cols)
        np.matmul(cols, kernel.reshape(-1, f), out=z)

    dz, grad = rng.standard_normal(z.shape).astype(np.float32), np.zeros_like(kernel)

    def columns_and_gradient():
        kc.im2col(xp, k, k, 1, 1, 1, 1, o, o, cols)
        grad.reshape(-1, f)[...] += cols.T @ dz

    shifts = _tap_shifts(kernel.shape, (1, 1), size)
    spread = np.zeros((n, f, o, size), np.float32)  # the gradient laid out like the input's runs
    spread[:, :, :, :o] = dz.reshape(n, o, o, f).transpose(0, 3, 1, 2)
    spread = spread.reshape(n, f, o * size)
    direct = best(lambda: kc.conv_planes(planes, kernel, shifts, size, o, o, bias, False, z))
    direct_grad = best(lambda: kc.conv_planes_kernel_grad(planes, spread, shifts, size, o, o, grad,
                                                          np.empty(0, np.float32)))
    print(f"conv {c} -> {f} channels, {k}x{k}, batch {n}: forward direct on planes {direct * 1e3:.2f} ms, "
          f"im2col + BLAS {best(columns_and_product) * 1e3:.2f} ms; kernel gradient on planes "
          f"{direct_grad * 1e3:.2f} ms, im2col + BLAS {best(columns_and_gradient) * 1e3:.2f} ms")


def im2col_kernels(rng, n, size, c):
    x = rng.random((n, size, size, c), dtype=np.float32)
    o = size - 2
    cols = np.empty((n * o * o, 9 * c), np.float32)
    runs = best(lambda: kc.im2col_runs(x, 3, 3, 1, 1, 1, o, o, cols))
    nest = best(lambda: kc.im2col(x, 3, 3, 1, 1, 1, 1, o, o, cols))
    print(f"im2col 3x3 of {n} x {size} x {size} x {c}: runs {runs * 1e3:.2f} ms, "
          f"loop nest {nest * 1e3:.2f} ms")


def pool_kernels(rng, c):
    x = rng.random((64, 28, 28, c), dtype=np.float32)
    y, which = np.empty((64, 14, 14, c), np.float32), np.empty((64, 14, 14, c), np.int32)
    rows = best(lambda: kc.max_pool_rows(x, 2, 2, 2, 2, y, which, True))
    few = best(lambda: kc.max_pool_few_channels(x, 2, 2, 2, 2, 0, 0, y, which, True))
    plain = best(lambda: kc.max_pool(x, 2, 2, 2, 2, 0, 0, y, which, True))
    print(f"max pool 2x2 of 64 x 28 x 28 x {c}: shifted row runs {rows * 1e3:.2f} ms, "
          f"taps innermost {few * 1e3:.2f} ms, channels innermost {plain * 1e3:.2f} ms")


def spinning_threads(rng):
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
    workers = Workers(2)
    m = rng.standard_normal((1024, 1024)).astype(np.float32)
    product = np.empty_like(m)

    def split_product():
        with one_blas_thread():
            workers.split(1024, lambda start, stop: np.matmul(m[start:stop], m, out=product[start:stop]))

    def after_prange():
        relu_parallel(x[:4096], out[:4096])
        start = time.perf_counter()
        split_product()
        return time.perf_counter() - start

    def quiet():
        time.sleep(0.05)  # numba's OpenMP workers stop spinning after a few milliseconds
        start = time.perf_counter()
        split_product()
        return time.perf_counter() - start

    print(f"1024 x 1024 product split over 2 threads: quiet {min(quiet() for _ in range(10)) * 1e3:.1f} ms, "
          f"right after a prange loop {min(after_prange() for _ in range(10)) * 1e3:.1f} ms")

    def median_us(fn):
        fn()
        times = []
        for _ in range(300):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return np.median(times) * 1e6

    hand_out = median_us(lambda: workers.split(2, min))
    print(f"handing out an empty job in two pieces with Workers: {hand_out:.0f} us (median of 300)")
    h, r = rng.standard_normal((32, 100)).astype(np.float32), rng.standard_normal((100, 400)).astype(np.float32)
    z = np.empty((32, 400), np.float32)

    def steps():
        for _ in range(100):
            np.matmul(h, r, out=z)

    def steps_one_thread():
        with one_blas_thread():
            steps()

    print(f"100 LSTM step products 32 x 100 by 100 x 400: BLAS's own threads {best(steps) * 1e3:.2f} ms, "
          f"one BLAS thread {best(steps_one_thread) * 1e3:.2f} ms")


@njit(cache=True, error_model="numpy", nogil=True)
def adam_flush_by_choice(param, grad, m, v, step_size, beta1, one_minus_beta1, beta2, one_minus_beta2,
                         inv_sqrt_bias2, eps, tiny):
    """``training_kernels.adam`` as it was, with the flush written ``x if |x| > tiny else x * 0``."""
    for i in range(param.size):
        g = grad[i]
        a = beta1 * m[i] + one_minus_beta1 * g
        b = beta2 * v[i] + one_minus_beta2 * g * g
        a = a if abs(a) > tiny else a * 0
        b = b if b > tiny else b * 0
        m[i] = a
        v[i] = b
        param[i] -= step_size * a / (math.sqrt(b) * inv_sqrt_bias2 + eps)
        grad[i] = 0


def dense_layer_calls(rng, ops, rows, inputs, units):
    x = rng.standard_normal((rows, inputs)).astype(np.float32)
    w = rng.standard_normal((inputs, units)).astype(np.float32)
    bias, dy = np.zeros(units, np.float32), rng.standard_normal((rows, units)).astype(np.float32)
    grad_w, grad_b = np.zeros_like(w), np.zeros_like(bias)
    y = ops.affine(x, w, bias, "sigmoid")
    one_call = best(lambda: ops.affine(x, w, bias, "sigmoid"), 2000)
    chain = best(lambda: Ops.affine(ops, x, w, bias, "sigmoid"), 2000)
    back_one = best(lambda: ops.dense_backward(x, w, dy, y, "sigmoid", 0.0, grad_w, grad_b), 2000)
    back_chain = best(lambda: Ops.dense_backward(ops, x, w, dy, y, "sigmoid", 0.0, grad_w, grad_b), 2000)
    print(f"dense layer {rows} x {inputs} -> {units}, sigmoid: forward one call {one_call * 1e6:.2f} us, "
          f"the reference's chain {chain * 1e6:.2f} us; backward {back_one * 1e6:.2f} us against "
          f"{back_chain * 1e6:.2f} us")


def product_calls(rng, ops, m, k, n):
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    out = np.empty((m, n), np.float32)

    def pieces():
        ops._local.products_since_split = 0  # as right after a convolution's pieces
        ops.matmul(a, b, out=out)

    whole = best(lambda: np.matmul(a, b, out=out))
    print(f"product {m} x {k} by {k} x {n}: BLAS's own threads {whole * 1e3:.2f} ms, "
          f"cut into rows for deepzoo's threads {best(pieces) * 1e3:.2f} ms")


def small_steps(rng):
    ops = NumbaCPUOps()
    for shape in ((4, 2, 4), (1, 100, 10), (1, 784, 100)):
        dense_layer_calls(rng, ops, *shape)
    for shape in ((64, 784, 512), (73728, 288, 64)):
        product_calls(rng, ops, *shape)
    n, f = 669_706, np.float32  # the MNIST MLP's parameters
    arrays = [rng.random(n, dtype=np.float32) for _ in range(4)]
    numbers = (f(1e-3), f(0.9), f(0.1), f(0.999), f(0.001), f(1.0), f(1e-7), f(1e-30))
    product = best(lambda: kt.adam(*arrays, *numbers))
    choice = best(lambda: adam_flush_by_choice(*arrays, *numbers))
    print(f"Adam over {n:,} parameters: flush as a product {product * 1e6:.0f} us, "
          f"as a choice {choice * 1e6:.0f} us")


def winograd_limit(rng, channels):
    from deepzoo.backend.cpu import conv

    ops = NumbaCPUOps(threads=1)
    x = rng.standard_normal((64, 26, 26, channels)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, channels, channels)).astype(np.float32)
    window = ((1, 1), (1, 1), ((0, 0), (0, 0)))
    z = ops.conv2d(x, kernel, *window)
    dz, grad = rng.standard_normal(z.shape).astype(np.float32), np.zeros_like(kernel)
    times, limit = {}, conv._WINOGRAD_CHANNELS
    for name, threshold in (("im2col", 1 << 30), ("Winograd", 1)):
        conv._WINOGRAD_CHANNELS = threshold
        times[name] = (best(lambda: ops.conv2d(x, kernel, *window)),
                       best(lambda: ops.conv2d_backward(x, z, dz, kernel, *window, grad)))
    conv._WINOGRAD_CHANNELS = limit
    parts = [f"{name} forward {f * 1e3:.2f} ms backward {b * 1e3:.2f} ms" for name, (f, b) in times.items()]
    print(f"conv 3x3, {channels} -> {channels} channels, 64 x 26 x 26, one thread: " + ", ".join(parts))


def recurrent_steps(rng, n, u):
    ops = NumbaCPUOps()
    f32 = np.float32

    def normal(*shape):
        return rng.standard_normal(shape).astype(f32)

    z, c, dh, dc = normal(n, 4 * u), normal(n, u), normal(n, u), normal(n, u)
    h, c_out, gates, tanh_c, dz = np.empty_like(c), np.empty_like(c), np.empty_like(z), np.empty_like(c), \
        np.empty_like(z)
    lstm = best(lambda: ops.lstm_step(z, c, h, c_out, gates, tanh_c), 3000)
    lstm_back = best(lambda: ops.lstm_step_backward(dh, dc, gates, c, tanh_c, dz), 3000)
    xw, rec, g3, dx, drec = normal(n, 3 * u), normal(n, 3 * u), np.empty((n, 3 * u), f32), \
        np.empty((n, 3 * u), f32), np.empty((n, 3 * u), f32)
    gru = best(lambda: ops.gru_step(xw, rec, c, h, g3), 3000)
    gru_back = best(lambda: ops.gru_step_backward(dh, g3, rec, c, dx, drec), 3000)
    recurrent = normal(u, 4 * u)
    view = best(lambda: ops.matmul(dz, recurrent, trans_b=True, out=dh, accumulate=True), 3000)
    numpy_copy = best(lambda: np.ascontiguousarray(recurrent.T), 3000)
    copy = best(lambda: ops.transposed(recurrent), 3000)
    recurrent_t = np.ascontiguousarray(recurrent.T)
    made = best(lambda: ops.matmul(dz, recurrent_t, out=dh, accumulate=True), 3000)
    print(f"{n} x {u} cells: LSTM step {lstm * 1e6:.2f} us, backward {lstm_back * 1e6:.2f} us; GRU step "
          f"{gru * 1e6:.2f} us, backward {gru_back * 1e6:.2f} us; dz @ R^T added into dh: R.T as a view "
          f"{view * 1e6:.2f} us, R^T contiguous {made * 1e6:.2f} us; making R^T: "
          f"numpy.ascontiguousarray(R.T) {numpy_copy * 1e6:.2f} us, Ops.transposed {copy * 1e6:.2f} us")


def steps_in_one_pass(rng, n, u):
    """The float32 LSTM and GRU steps with ``tanh32`` in one kernel against NumPy's ``tanh``
    around the gates kernels, alternating round by round; medians of the rounds' bests."""
    ops = NumbaCPUOps()
    z = (rng.standard_normal((n, 4 * u)) * 3).astype(np.float32)
    c = rng.standard_normal((n, u)).astype(np.float32)
    lstm_outs = [np.empty_like(c), np.empty_like(c), np.empty_like(z), np.empty_like(c)]
    xw, rec = z[:, :3 * u].copy(), z[:, u:].copy()
    gru_outs = [np.empty_like(c), np.empty_like(xw)]
    ways = {("LSTM", "one pass"): lambda: ops.lstm_step(z, c, *lstm_outs),
            ("LSTM", "numpy tanh"): lambda: ops.lstm_step_numpy_tanh(z, c, *lstm_outs),
            ("GRU", "one pass"): lambda: ops.gru_step(xw, rec, c, *gru_outs),
            ("GRU", "numpy tanh"): lambda: ops.gru_step_numpy_tanh(xw, rec, c, *gru_outs)}
    times = {key: [] for key in ways}
    for _ in range(5):
        for key, step in ways.items():
            times[key].append(best(step, 2000))
    for cell in ("LSTM", "GRU"):
        print(f"float32 {cell} step, {n} x {u} cells: one pass with tanh32 "
              f"{np.median(times[cell, 'one pass']) * 1e6:.1f} us, NumPy's tanh around the gates kernel "
              f"{np.median(times[cell, 'numpy tanh']) * 1e6:.1f} us")


def tanh32_error():
    """``tanh32``'s largest absolute error over float32 values in [-10, 10], against float64's tanh."""
    from deepzoo.backend.cpu.recurrent_kernels import tanh32

    @njit
    def apply(x, out):
        for i in range(x.size):
            out[i] = tanh32(x[i])

    x = np.linspace(-10, 10, 2_000_001, dtype=np.float32)
    out = np.empty_like(x)
    apply(x, out)
    exact = np.tanh(x.astype(np.float64))
    print(f"tanh32 over {x.size:,} float32 values in [-10, 10]: largest error {np.abs(out - exact).max():.2e}; "
          f"NumPy's float32 tanh {np.abs(np.tanh(x) - exact).max():.2e}")


def input_product(rng, columns):
    """The Keras adder's encoder input product, 7 steps of 32 one-hot questions times
    its (11, 512) kernel, on BLAS's threads and on one; 400 columns for comparison."""
    x = np.eye(11, dtype=np.float32)[rng.integers(0, 11, 224)]
    kernel, out = rng.standard_normal((11, columns)).astype(np.float32), np.empty((224, columns), np.float32)
    own = best(lambda: np.matmul(x, kernel, out=out))
    with one_blas_thread():
        one = best(lambda: np.matmul(x, kernel, out=out))
    print(f"product 224 x 11 by 11 x {columns}: BLAS's own threads {own * 1e6:.1f} us, one BLAS thread "
          f"{one * 1e6:.1f} us")


def pause_then_split(rng):
    """Median time of a split run right after a pause, with and without placing the helpers."""
    @njit(cache=True, nogil=True)
    def busy(x, reps):  # 30 reps: about 100 us of work that needs no memory beyond the cache
        total = 0.0
        for _ in range(reps):
            for i in range(x.size):
                total += x[i] * 1.0000001
        return total

    x = np.ones(4096, np.float32)
    busy(x, 1)

    def after_pause(fn, pause, repeats=50):
        fn()
        times = []
        for _ in range(repeats):
            if pause:
                time.sleep(pause)
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return times

    def compare(title, run, setups, rounds=4):
        """Median times after each pause, both setups alternating in ``rounds`` rounds."""
        times = {(name, pause): [] for name in setups for pause in (0, 0.001, 0.01)}
        for _ in range(rounds):
            for pause in (0, 0.001, 0.01):
                for name, setup in setups.items():
                    setup()
                    times[(name, pause)] += after_pause(run, pause)
        for name in setups:
            medians = [np.median(times[(name, pause)]) * 1e6 for pause in (0, 0.001, 0.01)]
            print(f"{title}, {name}: after 0 / 1 / 10 ms "
                  f"{medians[0]:.0f} / {medians[1]:.0f} / {medians[2]:.0f} us (medians)")

    # 400 us of work for 4 items, cut as Workers cuts it (one piece per thread: two of 200 us)
    alone = np.median(after_pause(lambda: busy(x, 120), 0.001, 200)) * 1e6
    print(f"400 us of numba work on one thread after a 1 ms pause: {alone:.0f} us (median)")
    pools = {True: Workers(2, place=True), False: Workers(2, place=False)}
    chosen = {}

    def use(place):
        chosen["workers"] = pools[place]

    def split_work():
        chosen["workers"].split(4, lambda start, stop: busy(x, 30 * (stop - start)))

    compare("  on 2 threads", split_work,
            {"helper placed": lambda: use(True), "helper not placed": lambda: use(False)})
    import workloads  # benchmarks/workloads.py: LeNet-5 as run.py builds it

    model = workloads._lenet_model()
    images = rng.random((64, 28, 28, 1), dtype=np.float32)
    ops = model.ops  # the shared default Ops: its own pool is put back afterwards
    own = ops._workers
    pools = {True: Workers(ops.threads, place=True), False: Workers(ops.threads, place=False)}

    def use_in_model(place):
        ops._workers = pools[place]

    try:
        compare(f"LeNet-5 predict, 64 images, {ops.threads} threads",
                lambda: model.predict(images, batch_size=64, verbose=0),
                {"helpers placed": lambda: use_in_model(True),
                 "helpers not placed": lambda: use_in_model(False)})
    finally:
        ops._workers = own


def pieces_per_thread():
    """Median step times with one and two pieces per thread, alternating step by step."""
    import workloads  # benchmarks/workloads.py: the models as run.py builds them

    import deepzoo as dz

    rng = np.random.default_rng(0)
    saved = Workers.pieces_per_thread
    try:
        for name, build, batch, steps in (("LeNet-5", workloads._lenet_model, 64, 150),
                                          ("MNIST ConvNet", workloads._mnist_cnn_model, 128, 30)):
            model = build()
            model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy")
            x = rng.random((batch, 28, 28, 1), dtype=np.float32)
            y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
            images = rng.random((256, 28, 28, 1), dtype=np.float32)
            for _ in range(5):
                model.train_on_batch(x, y)
                model.predict(images, batch_size=256, verbose=0)
            times = {(kind, count): [] for kind in ("train", "predict") for count in (1, 2)}
            for _ in range(steps):
                for count in (1, 2):
                    Workers.pieces_per_thread = count
                    start = time.perf_counter()
                    model.train_on_batch(x, y)
                    middle = time.perf_counter()
                    model.predict(images, batch_size=256, verbose=0)
                    times[("train", count)].append(middle - start)
                    times[("predict", count)].append(time.perf_counter() - middle)
            for kind, what in (("train", f"training step, batch {batch}"), ("predict", "forward, 256 images")):
                one, two = (np.median(times[(kind, count)]) * 1e3 for count in (1, 2))
                print(f"{name} {what}: one piece per thread {one:.2f} ms, two {two:.2f} ms (medians)")
    finally:
        Workers.pieces_per_thread = saved


@njit(cache=True, error_model="numpy", nogil=True)
def conv_planes_one_filter(planes, kernel, shifts, wp, oh, ow, bias, relu, z):
    """``conv_kernels.conv_planes`` as it was: one filter per pass over the four runs."""
    n, c, _ = planes.shape
    kh, kw, _, f = kernel.shape
    taps, span = kh * kw, (oh - 1) * wp + ow
    weights = kernel.reshape(taps, c, f)
    acc = np.empty((f, span), dtype=planes.dtype)
    zero = planes.dtype.type(0)
    for b in range(n):
        acc[:] = 0
        for ch in range(c):
            plane = planes[b, ch]
            for a in range(0, taps - 3, 4):
                r0 = plane[shifts[a]:shifts[a] + span]
                r1 = plane[shifts[a + 1]:shifts[a + 1] + span]
                r2 = plane[shifts[a + 2]:shifts[a + 2] + span]
                r3 = plane[shifts[a + 3]:shifts[a + 3] + span]
                for o in range(f):
                    out = acc[o]
                    w0, w1, w2, w3 = weights[a, ch, o], weights[a + 1, ch, o], \
                        weights[a + 2, ch, o], weights[a + 3, ch, o]
                    for t in range(span):
                        out[t] += r0[t] * w0 + r1[t] * w1 + r2[t] * w2 + r3[t] * w3
            for a in range(taps - taps % 4, taps):
                run = plane[shifts[a]:shifts[a] + span]
                for o in range(f):
                    out, w = acc[o], weights[a, ch, o]
                    for t in range(span):
                        out[t] += run[t] * w
        for i in range(oh):
            rows = z[(b * oh + i) * ow:(b * oh + i + 1) * ow]
            for o in range(f):
                sums, column, add = acc[o, i * wp:i * wp + ow], rows[:, o], bias[o]
                if relu:
                    for j in range(ow):
                        column[j] = max(sums[j] + add, zero)
                else:
                    for j in range(ow):
                        column[j] = sums[j] + add


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc", "contract", "nsz"})
def kernel_grad_one_filter(planes, spread, shifts, wp, oh, ow, grad_kernel, grad_bias):
    """``conv_kernels.conv_planes_kernel_grad`` with one filter per pass over the runs, as it
    was (with today's bias sums, so that only the passes differ)."""
    n, c, _ = planes.shape
    kh, kw, _, f = grad_kernel.shape
    taps, span = kh * kw, (oh - 1) * wp + ow
    grads = grad_kernel.reshape(taps, c, f)
    zero = planes.dtype.type(0)
    for b in range(n):
        dzt = spread[b]
        if grad_bias.size:
            for o in range(f):
                g, total = dzt[o], zero
                for t in range(span):
                    total += g[t]
                grad_bias[o] += total
        for ch in range(c):
            plane = planes[b, ch]
            for a in range(0, taps - 3, 4):
                r0 = plane[shifts[a]:shifts[a] + span]
                r1 = plane[shifts[a + 1]:shifts[a + 1] + span]
                r2 = plane[shifts[a + 2]:shifts[a + 2] + span]
                r3 = plane[shifts[a + 3]:shifts[a + 3] + span]
                for o in range(f):
                    g, s0, s1, s2, s3 = dzt[o], zero, zero, zero, zero
                    for t in range(span):
                        s0 += r0[t] * g[t]
                        s1 += r1[t] * g[t]
                        s2 += r2[t] * g[t]
                        s3 += r3[t] * g[t]
                    grads[a, ch, o] += s0
                    grads[a + 1, ch, o] += s1
                    grads[a + 2, ch, o] += s2
                    grads[a + 3, ch, o] += s3
            for a in range(taps - taps % 4, taps):
                run = plane[shifts[a]:shifts[a] + span]
                for o in range(f):
                    g, total = dzt[o], zero
                    for t in range(span):
                        total += run[t] * g[t]
                    grads[a, ch, o] += total


def first_layer_passes():
    """LeNet-5's first convolution (28 x 28 x 1, padding 2, 6 filters of 5 x 5): kernels
    with two filters per pass against one, the bias gradient both ways, and whole
    training steps with either pair of kernels, alternating."""
    import workloads  # benchmarks/workloads.py: LeNet-5 as run.py builds it

    import deepzoo as dz
    from deepzoo.backend.cpu import dense_kernels as kd

    rng = np.random.default_rng(0)
    ops, n = NumbaCPUOps(threads=1), 32
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    kernel = rng.standard_normal((5, 5, 1, 6)).astype(np.float32)
    bias = np.zeros(6, np.float32)
    planes, wp = ops._planes(x, ((2, 2), (2, 2)))
    shifts = _tap_shifts(kernel.shape, (1, 1), wp)
    z = np.empty((n * 28 * 28, 6), np.float32)
    spread = np.zeros((n, 6, 28, wp), np.float32)
    spread[:, :, :, :28] = rng.standard_normal((n, 6, 28, 28))
    spread = spread.reshape(n, 6, 28 * wp)
    rows = np.ascontiguousarray(spread.reshape(n, 6, 28, wp)[:, :, :, :28].transpose(0, 2, 3, 1)).reshape(-1, 6)
    grad, grad_bias, none = np.zeros_like(kernel), np.zeros(6, np.float32), np.empty(0, np.float32)
    two = best(lambda: kc.conv_planes(planes, kernel, shifts, wp, 28, 28, bias, True, z))
    one = best(lambda: conv_planes_one_filter(planes, kernel, shifts, wp, 28, 28, bias, True, z))
    print(f"LeNet-5's first layer, {n} images, one thread: forward, two filters per pass {two * 1e6:.0f} us, "
          f"one {one * 1e6:.0f} us")
    two = best(lambda: kc.conv_planes_kernel_grad(planes, spread, shifts, wp, 28, 28, grad, none))
    one = best(lambda: kernel_grad_one_filter(planes, spread, shifts, wp, 28, 28, grad, none))
    with_bias = best(lambda: kc.conv_planes_kernel_grad(planes, spread, shifts, wp, 28, 28, grad, grad_bias))
    rows_sum = best(lambda: kd.sum_rows(rows, grad_bias, True))
    print(f"  kernel gradient, two filters per pass {two * 1e6:.0f} us, one {one * 1e6:.0f} us; with the bias "
          f"sums along the planes {with_bias * 1e6:.0f} us, against sum_rows over {len(rows)} rows of 6: "
          f"{rows_sum * 1e6:.0f} us more")

    model = workloads._lenet_model()
    model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy")
    xb = rng.random((64, 28, 28, 1), dtype=np.float32)
    yb = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 64)]
    kernels = {"two": (kc.conv_planes, kc.conv_planes_kernel_grad),
               "one": (conv_planes_one_filter, kernel_grad_one_filter)}
    times = {name: [] for name in kernels}
    try:
        for _ in range(5):
            for forward, backward in kernels.values():
                kc.conv_planes, kc.conv_planes_kernel_grad = forward, backward
                model.train_on_batch(xb, yb)
        for _ in range(200):
            for name, (forward, backward) in kernels.items():
                kc.conv_planes, kc.conv_planes_kernel_grad = forward, backward
                start = time.perf_counter()
                model.train_on_batch(xb, yb)
                times[name].append(time.perf_counter() - start)
    finally:
        kc.conv_planes, kc.conv_planes_kernel_grad = kernels["two"]
    print(f"  LeNet-5's training step, batch 64, medians: two filters per pass "
          f"{np.median(times['two']) * 1e3:.2f} ms, one {np.median(times['one']) * 1e3:.2f} ms")


def lstm_sequence_ways(rng, ops, t, repeated, n=32, u=128):
    """An LSTM's steps over ``t`` steps each way, as one call and as the reference's loop
    over ``ops``'s step kernels and products; medians of five alternating rounds' bests."""
    xw0 = rng.standard_normal((1 if repeated else t, n, 4 * u)).astype(np.float32)
    recurrent = (rng.standard_normal((u, 4 * u)) * 0.1).astype(np.float32)
    recurrent_t = ops.transposed(recurrent, rows=(t - 1) * n)
    xw, dh0 = xw0.copy(), rng.standard_normal((t, n, u)).astype(np.float32)
    h_all, c_all = np.zeros((t + 1, n, u), np.float32), np.zeros((t + 1, n, u), np.float32)
    gates, tanh_c = np.empty((t, n, 4 * u), np.float32), np.empty((t, n, u), np.float32)
    dh, dz_all = np.empty_like(dh0), np.empty((t, n, 4 * u), np.float32)

    def forward(steps):
        np.copyto(xw, xw0)
        steps(xw, recurrent, h_all, c_all, gates, tanh_c)

    def backward(steps):
        np.copyto(dh, dh0)
        steps(dh, gates, c_all, tanh_c, recurrent_t, dz_all)

    ways = {"one call": (ops.lstm_steps, ops.lstm_steps_backward),
            "Python loop": (functools.partial(Ops.lstm_steps, ops),
                            functools.partial(Ops.lstm_steps_backward, ops))}
    times = {(way, side): [] for way in ways for side in ("forward", "backward")}
    for _ in range(5):
        for way, (steps, steps_backward) in ways.items():
            times[way, "forward"].append(best(functools.partial(forward, steps), 500))
            times[way, "backward"].append(best(functools.partial(backward, steps_backward), 500))
    kind = "a repeated input" if repeated else "an input per step"
    print(f"LSTM, {t} steps of {n} x {u} cells, {kind}: " + "; ".join(
        f"{side} one call {np.median(times['one call', side]) * 1e6:.0f} us, Python loop "
        f"{np.median(times['Python loop', side]) * 1e6:.0f} us" for side in ("forward", "backward")))


def alternating_steps(model, x, y, ways, rounds):
    """Median training step of ``model`` on ``(x, y)`` for each way: ``ways`` maps a name
    to a function that sets that way up; the ways alternate in blocks of 20 steps (after 3
    uncounted), ``rounds`` times. Returns ``{name: median seconds}``."""
    steps = {way: [] for way in ways}
    for _ in range(rounds):
        for way, set_up in ways.items():
            set_up()
            for i in range(23):
                start = time.perf_counter()
                model.train_on_batch(x, y)
                if i >= 3:
                    steps[way].append(time.perf_counter() - start)
    return {way: float(np.median(times)) for way, times in steps.items()}


def medians_ms(title, medians):
    """One line of step medians, in milliseconds."""
    return f"  {title}, medians: " + ", ".join(f"{way} {t * 1e3:.2f} ms" for way, t in medians.items())


def adder_step_ways():
    """The Keras adder's training step with the LSTM's steps as one call each way and as the
    reference's loop, alternating in blocks of 20 steps (after 3 uncounted); medians."""
    import workloads  # benchmarks/workloads.py: the Keras adder as run.py builds it

    import deepzoo as dz

    model, x, y = workloads.deepzoo_adder_model(5000, 128, 128, 4)
    model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy")
    ops, names = model.ops, ("lstm_steps", "lstm_steps_backward")

    def set_up(loop):  # the reference's loops, set on this model's Ops, or not
        for name in names:
            if loop:
                setattr(ops, name, functools.partial(getattr(Ops, name), ops))
            else:
                ops.__dict__.pop(name, None)

    try:
        medians = alternating_steps(model, x[:32], y[:32], {"one call": lambda: set_up(False),
                                                            "Python loop": lambda: set_up(True)}, 60)
    finally:
        set_up(False)
    print(medians_ms("the Keras adder's training step, batch 32", medians))


def added_products(rng):
    """``out += op(a) @ op(b)`` with beta = 1 against a temporary and an add (medians of five
    alternating rounds' bests), then whole training steps with each (blocks of 20 steps)."""
    import workloads

    import deepzoo as dz
    from deepzoo.backend.cpu import dense
    from deepzoo.backend.cpu import dense_kernels as kd
    from deepzoo.backend.cpu.base import flat
    from deepzoo.backend.cpu.blas import small_product_limit

    def through_temporary(ops, a, b, out, accumulate):  # what CPUDenseOps._matmul did before
        if not accumulate:
            return np.matmul(a, b, out=out)
        tmp = ops._scratch.setdefault(("kernel_notes", out.shape, out.dtype), np.empty_like(out))
        np.matmul(a, b, out=tmp)
        kd.add_into(flat(out), flat(tmp))
        return out

    ops = NumbaCPUOps()
    for rows, k, n, what in ((192, 128, 512, "the Keras adder's encoder R"), (32, 128, 512, "its decoder W"),
                             (64, 784, 512, "the MLP's first kernel")):
        a = rng.standard_normal((rows, k)).astype(np.float32)
        b = rng.standard_normal((rows, n)).astype(np.float32)
        out = np.zeros((k, n), np.float32)
        ways = {"beta = 1": functools.partial(ops._matmul, a.T, b, out, True),
                "temporary": functools.partial(through_temporary, ops, a.T, b, out, True)}
        times = {way: [] for way in ways}
        for _ in range(5):
            for way, run in ways.items():
                times[way].append(best(run, 300))
        print(f"({rows}, {k})^T @ ({rows}, {n}) added ({what}): " + ", ".join(
            f"{way} {np.median(t) * 1e6:.1f} us" for way, t in times.items()))

    x, y, _ = workloads.mnist_like(64)
    mlp = dz.Sequential([dz.Dense(512, activation="relu"), dz.Dropout(0.2), dz.Dense(512, activation="relu"),
                         dz.Dropout(0.2), dz.Dense(10, activation="softmax")], input_shape=(784,), seed=0)
    mlp.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy")
    adder, ax, ay = workloads.deepzoo_adder_model(32, 128, 128, 4)
    adder.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy")
    for name, model, xb, yb in (("the MNIST MLP, batch 64", mlp, x, y),
                                ("the Keras adder, batch 32", adder, ax, ay)):
        model_ops = model.ops
        ways = {"beta = 1": functools.partial(model_ops.__dict__.pop, "_matmul", None),
                "temporary": functools.partial(setattr, model_ops, "_matmul",
                                               functools.partial(through_temporary, model_ops))}
        try:  # products whole in both ways (no pieces, kernel_notes part 14): beta alone differs
            dense.small_product_limit = lambda: 0
            medians = alternating_steps(model, xb, yb, ways, 50)
        finally:
            model_ops.__dict__.pop("_matmul", None)
            dense.small_product_limit = small_product_limit
        print(medians_ms(f"{name}, training step", medians))


def lenet_split_timeline():
    """The four splits of LeNet-5's training step, timed piece by piece (see part 13)."""
    import threading

    import workloads

    import deepzoo as dz

    model = workloads._lenet_model()
    model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy")
    x, y, _ = workloads.mnist_like(64)
    x = x.reshape(-1, 28, 28, 1)
    for _ in range(30):
        model.train_on_batch(x, y)
    splits, plain_split = [], Workers.split

    def timed_split(workers, n, work, min_size=1):
        caller, record = threading.get_ident(), {"pieces": []}

        def timed(start, stop):
            begin = time.perf_counter()
            result = work(start, stop)
            record["pieces"].append((threading.get_ident() == caller, begin, time.perf_counter()))
            return result

        record["begin"] = time.perf_counter()
        results = plain_split(workers, n, timed, min_size)
        record["end"] = time.perf_counter()
        splits.append(record)
        return results

    found = {}
    Workers.split = timed_split
    try:
        for _ in range(200):
            splits.clear()
            model.train_on_batch(x, y)
            shared = [r for r in splits if len({own for own, _, _ in r["pieces"]}) == 2]
            for i, record in enumerate(shared):
                (_, mine0, mine1), = [p for p in record["pieces"] if p[0]]
                (_, its0, its1), = [p for p in record["pieces"] if not p[0]]
                for name, value in (("whole split", record["end"] - record["begin"]),
                                    ("caller's piece", mine1 - mine0), ("helper's piece", its1 - its0),
                                    ("helper starts after", its0 - record["begin"]),
                                    ("caller then waits", record["end"] - mine1)):
                    found.setdefault(i, {}).setdefault(name, []).append(value)
    finally:
        Workers.split = plain_split
    names = ["the first convolution and pooling", "the second convolution and pooling",
             "the second's backward", "the first's backward"]
    for i, times in found.items():
        print(f"LeNet-5, batch 64, {names[i] if i < len(names) else f'split {i}'}: " + ", ".join(
            f"{name} {np.median(t) * 1e6:.0f} us" for name, t in times.items()))


def thin_product_ways(rng, limit, m, k, n, gradient):
    """The whole product and its pieces under ``limit`` multiply-adds: ``(m x k) @ (k x n)``
    cut into rows, or, for a ``gradient``, ``(m x k)^T @ (m x n)`` added into its output
    (BLAS's beta = 1) and cut along the sum. Returns both, the count of pieces, and
    ``dense._pieces``'s arguments for this product."""
    from deepzoo.backend.cpu.blas import NO_TRANS, TRANS, gemm_add, gemm_address

    rand = functools.partial(rng.standard_normal, dtype=np.float32)
    address = gemm_address(np.float32)
    if gradient:
        a, b, out = rand((m, k)), rand((m, n)), np.zeros((k, n), np.float32)
        count = -(-m // max(1, limit // (k * n)))
        size = -(-m // count)
        return (lambda: gemm_add(a, TRANS, b, NO_TRANS, out, address),
                lambda: [gemm_add(a[s:s + size], TRANS, b[s:s + size], NO_TRANS, out, address)
                         for s in range(0, m, size)],
                count, (a.T, b, True))
    a, b, out = rand((m, k)), rand((k, n)), np.empty((m, n), np.float32)
    count = -(-m // max(1, limit // (k * n)))
    size = -(-m // count)
    return (lambda: np.matmul(a, b, out=out),
            lambda: [np.matmul(a[s:s + size], b, out=out[s:s + size]) for s in range(0, m, size)],
            count, (a, b, False))


def small_products(rng):
    """Thin products whole and in pieces under OpenBLAS's small-product limit, on BLAS's own
    threads and held to one (medians of five alternating rounds' bests), then the Keras
    adder's training step with and without pieces (blocks of 20 steps)."""
    import workloads

    import deepzoo as dz
    from deepzoo.backend.cpu import dense
    from deepzoo.backend.cpu.blas import small_product_limit

    limit = small_product_limit()
    if not limit:
        print("NumPy's BLAS has no small-product kernels here (not OpenBLAS for AVX-512): nothing to measure")
        return
    cases = (("the Keras adder's encoder input, (224 x 11) @ (11 x 512)", 224, 11, 512, False),
             ("its kernel's gradient, (224 x 11)^T @ (224 x 512), added", 224, 11, 512, True),
             ("a wide output, (160 x 25) @ (25 x 512)", 160, 25, 512, False),
             ("a narrow output, (2048 x 64) @ (64 x 120)", 2048, 64, 120, False),
             ("a narrow output, (2048 x 150) @ (150 x 16)", 2048, 150, 16, False))
    for title, m, k, n, gradient in cases:
        whole, pieces, count, arguments = thin_product_ways(rng, limit, m, k, n, gradient)
        line = []
        for held in (False, True):
            times = {"whole": [], f"{count} pieces": []}
            for _ in range(5):
                with one_blas_thread() if held else contextlib.nullcontext():
                    times["whole"].append(best(whole, 300))
                    times[f"{count} pieces"].append(best(pieces, 300))
                    chosen = dense._pieces(*arguments)
            picks = "pieces" if any(chosen) else "whole"
            line.append(("held to one thread: " if held else "on BLAS's threads: ") + ", ".join(
                f"{way} {np.median(t) * 1e6:.1f} us" for way, t in times.items()) + f" (deepzoo: {picks})")
        print(f"{title}\n  " + "\n  ".join(line))

    # a convolution's input gradient through the columns, dz k2^T: LeNet-5's second
    # convolution, 4 images (400 rows), 16 filters of 5 x 5 x 6
    dy, k2 = rng.standard_normal((400, 16), dtype=np.float32), rng.standard_normal((150, 16), dtype=np.float32)
    k2t, dcols = np.ascontiguousarray(k2.T), np.empty((400, 150), np.float32)
    times = {"k2.T a view": [], "k2^T a copy": []}
    with one_blas_thread():
        for _ in range(5):
            times["k2.T a view"].append(best(lambda: np.matmul(dy, k2.T, out=dcols), 1000))
            times["k2^T a copy"].append(best(lambda: np.matmul(dy, k2t, out=dcols), 1000))
    print("LeNet-5's second convolution, dy (400 x 16) @ k2^T (16 x 150), one thread: " + ", ".join(
        f"{way} {np.median(t) * 1e6:.1f} us" for way, t in times.items()))

    model, x, y = workloads.deepzoo_adder_model(32, 128, 128, 4)
    model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy")
    ways = {"pieces": lambda: setattr(dense, "small_product_limit", small_product_limit),
            "whole": lambda: setattr(dense, "small_product_limit", lambda: 0)}
    try:
        medians = alternating_steps(model, x, y, ways, 60)
    finally:
        dense.small_product_limit = small_product_limit
    print(medians_ms("the Keras adder's training step, batch 32", medians))


def one_call_ways():
    """LeNet-5's second convolution, forward and backward, with the pieces of its products in
    one numba call and in a call each, on half a batch: alone, and beside a twin thread
    (medians over 300 runs, five alternating rounds), then LeNet-5's training step with each."""
    import threading

    import workloads

    import deepzoo as dz
    from deepzoo.backend.cpu.dense import CPUDenseOps

    one_call = CPUDenseOps.__dict__["_pieces_in_one_call"]
    ways = {"one call": lambda: setattr(CPUDenseOps, "_pieces_in_one_call", one_call),
            "a call per piece": lambda: setattr(CPUDenseOps, "_pieces_in_one_call",
                                                staticmethod(lambda *args: False))}
    ops, rng = NumbaCPUOps(threads=1), np.random.default_rng(0)
    pads = ((0, 0), (0, 0))

    def half_batch():  # (forward, backward) on 32 images of their own
        x = rng.standard_normal((32, 14, 14, 6), dtype=np.float32)
        kernel = rng.standard_normal((5, 5, 6, 16), dtype=np.float32) / 8
        bias = rng.standard_normal(16, dtype=np.float32)
        z = ops.conv2d(x, kernel, (1, 1), (1, 1), pads, bias, "relu")
        dz, grad_kernel, grad_bias = rng.standard_normal(z.shape, dtype=np.float32), np.zeros_like(kernel), \
            np.zeros_like(bias)
        return (lambda: ops.conv2d(x, kernel, (1, 1), (1, 1), pads, bias, "relu"),
                lambda: ops.conv2d_backward(x, z, dz, kernel, (1, 1), (1, 1), pads, grad_kernel, grad_bias,
                                            "relu"))

    halves = [half_batch(), half_batch()]

    def medians(work, runs, out):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        out.append(float(np.median(times)))

    times = {}
    with one_blas_thread():
        for _ in range(5):
            for way, set_up in ways.items():
                set_up()
                for direction in (0, 1):
                    alone = []
                    medians(halves[0][direction], 300, alone)
                    twins = []
                    threads = [threading.Thread(target=medians, args=(half[direction], 300, twins))
                               for half in halves]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()
                    times.setdefault((way, direction, "alone"), []).append(alone[0])
                    times.setdefault((way, direction, "beside a twin"), []).append(np.mean(twins))
    ways["one call"]()
    for direction, name in enumerate(("forward", "backward")):
        print(f"LeNet-5's second convolution, {name}, 32 images, one thread: " + ", ".join(
            f"{way} {beside} {np.median(times[way, direction, beside]) * 1e6:.0f} us"
            for way in ways for beside in ("alone", "beside a twin")))

    model = workloads._lenet_model()
    model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy")
    x, y, _ = workloads.mnist_like(64)
    try:
        medians_found = alternating_steps(model, x.reshape(-1, 28, 28, 1), y, ways, 60)
    finally:
        ways["one call"]()
    print(medians_ms("LeNet-5's training step, batch 64", medians_found))


@njit(error_model="numpy", nogil=True, cache=True)
def affine_rows_one_at_a_time(x, w, bias, code, alpha, out):
    """``dense_kernels.affine_rows`` as it was: one row of ``w`` per pass over a row of ``out``."""
    n, depth = x.shape
    m = w.shape[1]
    zero = alpha * 0
    one = zero + out.dtype.type(1)
    for i in range(n):
        for j in range(m):
            out[i, j] = bias[j] if bias.size else zero
        for kk in range(depth):
            xik = x[i, kk]
            for j in range(m):
                out[i, j] += xik * w[kk, j]
        for j in range(m):
            out[i, j] = kd._activate(code, out[i, j], alpha, zero, one)


@njit(error_model="numpy", nogil=True, cache=True, fastmath={"reassoc", "contract", "nsz"})
def dense_backward_rows_one_at_a_time(x, w, dy, y, code, alpha, grad_w, grad_b, dx):
    """``dense_kernels.dense_backward_rows`` as it was: one row of ``grad_w`` per pass over ``dz``."""
    n, depth = x.shape
    m = w.shape[1]
    zero = alpha * 0
    one = zero + dy.dtype.type(1)
    dz = np.empty(m, dtype=dy.dtype)
    for i in range(n):
        for j in range(m):
            dz[j] = kd._activate_backward(code, dy[i, j], y[i, j], alpha, zero, one)
        if grad_b.size:
            for j in range(m):
                grad_b[j] += dz[j]
        for kk in range(depth):
            xik = x[i, kk]
            for j in range(m):
                grad_w[kk, j] += xik * dz[j]
            if dx.shape[0]:
                total = zero
                for j in range(m):
                    total += w[kk, j] * dz[j]
                dx[i, kk] = total


def small_model_fits(name, rounds=7):
    """Median microseconds per step of ``name``'s fit (XOR: 2,000 one-step epochs; online:
    4,000 single samples) with its Dense layers as one chain and one call per layer,
    alternating."""
    import workloads  # benchmarks/workloads.py: XOR's data and the MNIST-shaped samples

    import deepzoo as dz
    from deepzoo.layers.dense import Dense

    chains = Dense.can_chain
    fits = {}
    for way, can_chain in (("one chain", chains), ("a call per layer", lambda self, after: False)):
        Dense.can_chain = can_chain
        try:
            if name == "xor":
                model = dz.Sequential([dz.Dense(4, activation="tanh"), dz.Dense(1, activation="sigmoid")],
                                      input_shape=(2,), seed=0)
                model.compile(optimizer=dz.SGD(0.5), loss="binary_crossentropy")
                x, y, size, steps = workloads.XOR_X, workloads.XOR_Y, 4, 2000
                epochs = steps
            else:
                x, y, _ = workloads.mnist_like(4000)
                y = y * 0.98 + 0.01
                model = dz.Sequential([dz.Dense(100, activation="sigmoid"), dz.Dense(10, activation="sigmoid")],
                                      input_shape=(784,), seed=0)
                model.compile(optimizer=dz.SGD(0.1), loss="mean_squared_error")
                size, steps, epochs = 1, 4000, 1
            model.fit(x[:16], y[:16], batch_size=size, epochs=2, verbose=0, shuffle=False)  # builds it
        finally:
            Dense.can_chain = chains
        assert ("dense_chain" in model._train_options[0]) == (way == "one chain")
        fits[way] = (model, x, y, size, epochs, steps)
    times = {way: [] for way in fits}
    for _ in range(rounds):
        for way, (model, x, y, size, epochs, steps) in fits.items():
            start = time.perf_counter()
            model.fit(x, y, batch_size=size, epochs=epochs, verbose=0, shuffle=False)
            times[way].append((time.perf_counter() - start) / steps)
    print(f"{name} training steps, medians of {rounds} alternating fits: " +
          ", ".join(f"{way} {np.median(t) * 1e6:.1f} us" for way, t in times.items()))


def small_model_steps(rng):
    for rows, depth, units in ((1, 784, 100), (1, 100, 10), (4, 2, 4)):
        x = rng.random((rows, depth), dtype=np.float32)
        w = rng.standard_normal((depth, units)).astype(np.float32)
        bias, out = np.zeros(units, np.float32), np.empty((rows, units), np.float32)
        args = (x, w, bias, 2, np.float32(0), out)
        four = best(lambda a=args: kd.affine_rows(*a), 2000)
        one = best(lambda a=args: affine_rows_one_at_a_time(*a), 2000)
        print(f"dense forward {rows} x {depth} -> {units}, sigmoid: four rows of the kernel per pass "
              f"{four * 1e6:.2f} us, one row {one * 1e6:.2f} us")
        dy, grad_w = rng.random((rows, units), dtype=np.float32), np.zeros_like(w)
        no_dx = np.empty((0, 0), np.float32)  # the first layer's: no input gradient
        args = (x, w, dy, out, 2, np.float32(0), grad_w, bias.copy(), no_dx)  # out: the forward's
        two = best(lambda a=args: kd.dense_backward_rows(*a), 2000)
        one = best(lambda a=args: dense_backward_rows_one_at_a_time(*a), 2000)
        print(f"  its backward without the input gradient: two rows of the kernel's gradient per pass "
              f"{two * 1e6:.2f} us, one row {one * 1e6:.2f} us")
    n = 784 * 100 + 100 + 100 * 10 + 10  # the online network's parameters, as one flat array
    param, grad = rng.random(n, dtype=np.float32), np.zeros(n, np.float32)
    sgd = best(lambda: kt.sgd(param, grad, 0.0), 2000)
    print(f"plain SGD over the online network's {n:,} parameters (read and write both arrays): "
          f"{sgd * 1e6:.2f} us, {4 * n * 4 / sgd / 1e9:.0f} GB/s")
    for name in ("xor", "online"):
        small_model_fits(name)


def main(parts):
    rng = np.random.default_rng(0)
    if 5 in parts:
        for channels in (4, 8, 9, 10, 16, 32):
            winograd_limit(rng, channels)
    if 4 in parts:
        small_steps(rng)
    if 1 in parts:
        spinning_threads(rng)
    if 2 in parts:
        z = rng.standard_normal((32, 400)).astype(np.float32)
        zo = np.empty_like(z)
        in_numba = best(lambda: tanh_in_numba(z, zo))
        in_numpy = best(lambda: np.tanh(z, out=zo))
        print(f"tanh of a 32 x 400 gate block: math.tanh in numba {in_numba * 1e6:.1f} us, "
              f"numpy.tanh {in_numpy * 1e6:.1f} us")
    if 3 in parts:
        for shape in ((64, 32, 1, 6, 5), (64, 14, 6, 16, 5), (128, 28, 1, 32, 3)):
            conv_kernels(rng, *shape)
        for shape in ((64, 14, 6), (128, 26, 32)):
            im2col_kernels(rng, *shape)
        for channels in (6, 8, 16):
            pool_kernels(rng, channels)
    if 6 in parts:
        for units in (50, 100, 128):
            recurrent_steps(rng, 32, units)
        for columns in (512, 400):
            input_product(rng, columns)
    if 7 in parts:
        pause_then_split(rng)
    if 8 in parts:
        pieces_per_thread()
    if 9 in parts:
        first_layer_passes()
    if 10 in parts:
        for units in (50, 100, 128):
            steps_in_one_pass(rng, 32, units)
        tanh32_error()
    if 11 in parts:
        for t, repeated in ((7, False), (4, True)):
            lstm_sequence_ways(rng, NumbaCPUOps(), t, repeated)
        adder_step_ways()
    if 12 in parts:
        added_products(rng)
    if 13 in parts:
        lenet_split_timeline()
    if 14 in parts:
        small_products(rng)
    if 15 in parts:
        one_call_ways()
    if 16 in parts:
        small_model_steps(rng)


if __name__ == "__main__":
    main({int(part) for part in sys.argv[1:]} or set(range(1, 17)))
