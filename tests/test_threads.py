"""Splitting one op over threads (deepzoo.backend.cpu.threads) and what NumbaCPUOps does with it."""

import contextlib
import os
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from deepzoo.backend.cpu.ops import NumbaCPUOps
from deepzoo.backend.cpu.threads import Workers, _sched_getcpu, blas_libraries, one_blas_thread
from deepzoo.errors import ConfigError


@pytest.fixture(scope="module")
def workers():
    return Workers(3)


@pytest.mark.parametrize("n, min_size", [(1, 1), (5, 1), (12, 1), (100, 1), (100, 30), (7, 8)])
def test_pieces_cover_the_range_in_order(workers, n, min_size):
    pieces = workers.pieces(n, min_size)
    assert pieces[0][0] == 0 and pieces[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))
    assert len(pieces) <= 3 * Workers.pieces_per_thread
    assert len(pieces) == 1 or all(stop - start >= min_size for start, stop in pieces)


def test_one_thread_makes_one_piece():
    assert Workers(1).pieces(1000) == [(0, 1000)]


def test_split_runs_every_piece_once_and_returns_results_in_order(workers):
    seen = np.zeros(1000, dtype=int)
    results = workers.split(1000, lambda start, stop: (seen[start:stop].__iadd__(1), (start, stop))[1])
    assert results == workers.pieces(1000)
    assert (seen == 1).all()


def test_split_uses_more_than_one_thread(workers):
    helper_ran = threading.Event()

    def work(start, stop):
        if threading.current_thread() is threading.main_thread():
            return helper_ran.wait(timeout=10)  # hold the caller until a helper has run a piece
        helper_ran.set()
        return True

    assert all(workers.split(12, work))


needs_two_cores = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2 or _sched_getcpu() is None,
    reason="placing helpers needs Linux's CPU affinity and at least two cores")


@needs_two_cores
def test_helpers_are_held_to_cores_other_than_the_callers():
    pool = Workers(2)
    cores = set()

    def work(start, stop):
        cores.add((threading.current_thread() is threading.main_thread(), _sched_getcpu()()))

    pool.split(4, work)
    helper = pool._helpers[0]
    allowed = os.sched_getaffinity(helper.native_id)
    assert len(allowed) == 1 and allowed < os.sched_getaffinity(0)
    # the helper's core is not the one the caller ran on when it split (it may move since)
    assert allowed != {pool._placement._placed_for}
    assert {core for on_caller, core in cores if not on_caller} <= allowed


@needs_two_cores
def test_unplaced_helpers_and_a_refused_affinity_leave_the_scheduler_in_charge(monkeypatch):
    everywhere = os.sched_getaffinity(0)
    pool = Workers(2, place=False)
    pool.split(4, lambda start, stop: None)
    assert os.sched_getaffinity(pool._helpers[0].native_id) == everywhere

    def refuse(pid, cores):
        raise OSError(22, "Invalid argument")

    placed = Workers(2)
    monkeypatch.setattr(os, "sched_setaffinity", refuse)
    assert placed.split(4, lambda start, stop: (start, stop)) == placed.pieces(4)
    assert placed._placement._current_cpu is None  # stops trying; the split itself still ran
    assert os.sched_getaffinity(placed._helpers[0].native_id) == everywhere


def test_a_failing_piece_is_raised_after_every_other_piece_ran(workers):
    done = []

    def work(start, stop):
        if start == 0:
            raise ArithmeticError("piece 0 failed")
        done.append(start)

    with pytest.raises(ArithmeticError, match="piece 0 failed"):
        workers.split(12, work)
    assert sorted(done) == [start for start, _ in workers.pieces(12)][1:]
    # and the helpers are free again
    assert sum(workers.split(12, lambda start, stop: stop - start)) == 12


def test_a_piece_that_splits_again_runs_its_split_alone(workers):
    inner = workers.split(6, lambda start, stop: sum(workers.split(10, lambda a, b: b - a)))
    assert len(inner) > 1 and inner == [10] * len(workers.pieces(6))


def test_two_threads_splitting_at_once_both_get_their_results(workers):
    out = {}

    def job(key, n):
        out[key] = workers.split(n, lambda start, stop: list(range(start, stop)))

    threads = [threading.Thread(target=job, args=(k, n)) for k, n in (("a", 50), ("b", 70))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(out["a"], []) == list(range(50)) and sum(out["b"], []) == list(range(70))


@pytest.mark.parametrize("count", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts_are_refused(count):
    with pytest.raises(ConfigError, match="NumbaCPUOps: threads must be a positive integer"):
        NumbaCPUOps(threads=count)


def _blas_threads():
    """The thread counts of NumPy's BLAS, which deepzoo's products use (a test that imports
    SciPy loads a second OpenBLAS, which deepzoo leaves alone)."""
    numpys = {lib.filepath for lib in blas_libraries()}
    return [lib["num_threads"] for lib in threadpool_info() if lib["filepath"] in numpys]


def test_one_blas_thread_inside_and_the_old_count_after():
    before = _blas_threads()
    with one_blas_thread():
        assert all(count == 1 for count in _blas_threads())
    assert _blas_threads() == before


def test_a_second_thread_leaving_does_not_restore_the_count_under_the_first():
    before = _blas_threads()
    entered, left = threading.Event(), threading.Event()

    def second():
        with one_blas_thread():
            entered.set()
        left.set()

    with one_blas_thread():
        thread = threading.Thread(target=second)
        thread.start()
        assert entered.wait(timeout=10) and left.wait(timeout=10)
        assert all(count == 1 for count in _blas_threads())  # still one: the first is inside
        thread.join()
    assert _blas_threads() == before


def test_split_kernel_gradients_do_not_depend_on_timing(split_ops):
    ops = split_ops
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 9, 9, 3)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    window = ((1, 1), (1, 1), ((1, 1), (1, 1)))
    z = ops.conv2d(x, kernel, *window)
    dz = rng.standard_normal(z.shape).astype(np.float32)
    runs = []
    for _ in range(5):
        grad = np.zeros_like(kernel)
        dx = ops.conv2d_backward(x, z, dz, kernel, *window, grad)
        runs.append((grad, dx))
    for grad, dx in runs[1:]:
        np.testing.assert_array_equal(grad, runs[0][0])
        np.testing.assert_array_equal(dx, runs[0][1])
    one = NumbaCPUOps(threads=1)
    grad = np.zeros_like(kernel)
    np.testing.assert_allclose(one.conv2d_backward(x, z, dz, kernel, *window, grad), runs[0][1], rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(grad, runs[0][0], rtol=1e-5, atol=1e-4)


def test_contention_needs_other_programs_runnable_in_two_looks_in_a_row():
    from deepzoo.backend.cpu.threads import Contention

    looks = iter([(3, 2), (2, 2), (3, 2), (3, 1), (2, 2), None])  # (everyone, ours) runnable
    contention = Contention(cores=2, interval=0, read=lambda: next(looks))
    assert [contention.busy() for _ in range(6)] == [False, False, False, True, False, False]
    big = Contention(cores=16, interval=0, read=lambda: (17, 16))  # one stray thread on 16 cores: not busy
    assert not big.busy() and not big.busy()


def test_blas_stays_on_one_thread_while_the_cores_are_contended():
    from deepzoo.backend.cpu.base import HOLD_PRODUCTS
    from deepzoo.backend.cpu.ops import NumbaCPUOps

    ops = NumbaCPUOps(threads=2)
    ops._local.products_since_split = HOLD_PRODUCTS  # long after the last split
    ops._contention.busy = lambda: False
    assert not ops._blas_held()
    ops._contention.busy = lambda: True
    assert ops._blas_held()
    assert "while other programs compete for the cores" in ops.describe()


def test_the_thread_count_follows_a_cgroup_quota_and_deepzoo_num_threads(tmp_path, monkeypatch):
    from deepzoo.backend.cpu import threads
    from deepzoo.backend.cpu.ops import NumbaCPUOps

    quota = tmp_path / "cpu.max"
    for text, cpus in (("max 100000", None), ("150000 100000", 2), ("50000 100000", 1)):
        quota.write_text(text + "\n")
        assert threads._cgroup_cpus(str(quota)) == cpus
    assert threads._cgroup_cpus(str(tmp_path / "absent")) is None
    monkeypatch.setenv("DEEPZOO_NUM_THREADS", "3")
    assert NumbaCPUOps().threads == 3
    monkeypatch.setenv("DEEPZOO_NUM_THREADS", "many")
    from deepzoo.errors import ConfigError

    with pytest.raises(ConfigError, match="DEEPZOO_NUM_THREADS must be a positive integer, received 'many'"):
        NumbaCPUOps()


def test_beside_a_busy_program_work_stays_on_the_calling_thread_and_blas_on_one():
    from deepzoo.backend.cpu.threads import Contention

    def contended(ops, others):
        ops._contention = Contention(cores=2, interval=0, read=lambda: (1 + others, 1))
        ops._contention.busy()  # busy only when seen twice in a row
        return ops

    two = contended(NumbaCPUOps(threads=2), others=0)
    assert len(two._split(100, lambda start, stop: threading.get_ident(), 1, 1)) > 1  # quiet: pieces
    two = contended(NumbaCPUOps(threads=2), others=3)
    assert two._split(100, lambda start, stop: (start, stop, threading.get_ident()), 1, 1) == \
        [(0, 100, threading.get_ident())]
    one = contended(NumbaCPUOps(threads=1), others=3)
    one._local.products_since_split = 10**6  # long after any split
    assert one._blas_held()  # one thread of deepzoo's own: BLAS's helpers would spin all the same
    quiet = contended(NumbaCPUOps(threads=1), others=0)
    quiet._local.products_since_split = 10**6
    assert not quiet._blas_held()


def test_products_and_updates_are_cut_into_pieces_only_while_deepzoos_threads_are_in_use(monkeypatch):
    """A model of products alone leaves the threading to BLAS; right after a convolution's
    pieces, products and long updates are cut into pieces for deepzoo's threads instead."""
    from deepzoo.backend.cpu import dense, training
    from deepzoo.backend.cpu.threads import Contention

    monkeypatch.setattr(dense, "_PART_PRODUCT", 1)
    monkeypatch.setattr(training, "_PART_UPDATE", 4)
    ops = NumbaCPUOps(threads=2)
    ops._contention = Contention(cores=2, interval=0, read=lambda: (1, 1))  # a quiet machine
    products, updates = [], []
    monkeypatch.setattr(ops, "_matmul", lambda a, b, out, accumulate: products.append(len(a)))
    a, b = np.ones((600, 600), np.float32), np.ones((600, 8), np.float32)

    def step():
        products.clear()
        updates.clear()
        ops.matmul(a, b, out=np.empty((600, 8), np.float32))
        ops._apply(lambda p, g, lr: updates.append(p.size), (np.zeros(100), np.zeros(100)), 0.1)

    ops._local.products_since_split = 10**6  # no split for long: an MLP
    step()
    assert products == [600] and updates == [100]  # BLAS whole; the update on this thread
    ops._local.products_since_split = 0  # a convolution was just cut into pieces
    step()
    assert len(products) > 1 and sum(products) == 600
    assert len(updates) > 1 and sum(updates) == 100


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_thin_products_are_cut_for_openblas_small_product_kernels(monkeypatch, dtype):
    """Where NumPy's OpenBLAS has kernels for products of at most 10^6 multiply-adds, a
    product with a thin side runs in pieces under that size: rows of the output, or
    terms of the sum when adding into it; on BLAS's own two threads only as two pieces
    of a wide output. Every way gives the whole product's result."""
    from deepzoo.backend.cpu import dense
    from deepzoo.backend.cpu.blas import gemm_address, small_product_limit

    monkeypatch.setattr(dense, "small_product_limit", lambda: 1_000_000)  # whatever this BLAS is
    rng = np.random.default_rng(0)
    ops = NumbaCPUOps(threads=1)
    calls, one_calls = [], []
    matmul, in_pieces = ops._matmul, dense.gemm_in_pieces
    monkeypatch.setattr(ops, "_matmul", lambda a, b, out, acc: calls.append(a.shape) or matmul(a, b, out, acc))

    def pieces_in_one_call(a_c, trans_a, b, out, beta, rows, depth, address):
        m, k = out.shape[0], b.shape[0]
        one_calls.append(out.shape)
        calls.extend((min(rows, m - i), min(depth, k - j))
                     for i in range(0, m, rows) for j in range(0, k, depth))
        in_pieces(a_c, trans_a, b, out, beta, rows, depth, address)

    monkeypatch.setattr(dense, "gemm_in_pieces", pieces_in_one_call)

    def run(a, b, accumulate=False, held=False):
        """The shapes of ``a`` in the products run: the whole, or each piece; the same
        whether the pieces run as one call (``blas.gemm_in_pieces``) or a call each."""
        found = []
        for one_call in (True, False):
            monkeypatch.setattr(ops, "_pieces_in_one_call", lambda *args, _one_call=one_call: _one_call and
                                dense.CPUDenseOps._pieces_in_one_call(*args))
            calls.clear()
            one_calls.clear()
            start = rng.standard_normal((a.shape[0], b.shape[1])).astype(dtype)
            out = start.copy()
            with one_blas_thread() if held else contextlib.nullcontext():
                ops._matmul(a, b, out, accumulate)
            expected = (start if accumulate else 0) + a.astype(np.float64) @ b.astype(np.float64)
            np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4 * a.shape[1])
            found.append(calls[1:] or calls)
            # pieces run as one call wherever numba can call gemm, and only then
            assert len(one_calls) == (one_call and len(found[-1]) > 1 and bool(gemm_address(dtype)))
        assert found[0] == found[1]
        return found[0]

    def randn(*shape):
        return rng.standard_normal(shape).astype(dtype)

    # the Keras adder's encoder: 224 one-hot rows of 11 by 512 columns, in two pieces
    assert run(randn(224, 11), randn(11, 512)) == [(112, 11), (112, 11)]
    # its kernel's gradient, 11 x 512 summed over 224 rows: two halves of the sum, each
    # added in by gemm's beta = 1 (without NumPy's OpenBLAS to call, whole)
    halves = [(11, 112), (11, 112)] if gemm_address(dtype) else [(11, 224)]
    assert run(randn(224, 11).T, randn(224, 512), accumulate=True) == halves
    # rows of a transposed first factor, when not adding in
    assert run(randn(11, 224).T, randn(11, 512)) == [(112, 11), (112, 11)]
    # narrow outputs stay whole on BLAS's threads, and are cut while it is held to one
    assert run(randn(2048, 64), randn(64, 120)) == [(2048, 64)]
    held = run(randn(2048, 64), randn(64, 120), held=True)
    assert len(held) == 16 and sum(rows for rows, _ in held) == 2048
    # a kernel's gradient, x^T dy: pieces of its rows would not be contiguous, and pieces
    # of the sum would be too short
    assert run(randn(64, 400).T, randn(64, 120), accumulate=True, held=True) == [(400, 64)]
    # too few rows for a piece, b transposed, or a wide product: whole
    assert run(randn(64, 784), randn(784, 512), held=True) == [(64, 784)]
    assert run(randn(224, 11), randn(512, 11).T, held=True) == [(224, 11)]
    assert run(randn(150, 16), randn(16, 20), held=True) == [(150, 16)]
    # another BLAS: no pieces
    monkeypatch.setattr(dense, "small_product_limit", lambda: 0)
    assert run(randn(224, 11), randn(11, 512)) == [(224, 11)]
    # deepzoo info says whether this machine's BLAS has those kernels
    assert ("small-product kernels" in ops.describe()) == bool(small_product_limit())
