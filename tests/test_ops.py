"""Every operation of every Ops equals the reference Ops (NumPy)."""

import contextlib

import numpy as np
import pytest

import deepzoo
from deepzoo.backend.reference import Ops

REF = Ops()
DTYPES = [np.float32, np.float64]


def tol(dtype):
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


def close(a, b, dtype):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), **tol(dtype))


@pytest.fixture(params=DTYPES, ids=["f32", "f64"])
def dtype(request):
    return request.param


def randn(rng, shape, dtype, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("accumulate", [False, True])
def test_matmul(host_ops, rng, dtype, trans_a, trans_b, accumulate):
    a = randn(rng, (7, 5) if not trans_a else (5, 7), dtype)
    b = randn(rng, (5, 3) if not trans_b else (3, 5), dtype)
    start = randn(rng, (7, 3), dtype)
    out_ref, out = start.copy(), start.copy()
    REF.matmul(a, b, trans_a, trans_b, out=out_ref, accumulate=accumulate)
    host_ops.matmul(a, b, trans_a, trans_b, out=out, accumulate=accumulate)
    close(out, out_ref, dtype)
    close(host_ops.matmul(a, b, trans_a, trans_b), REF.matmul(a, b, trans_a, trans_b), dtype)


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("m,k,n", [(70, 33, 67), (20, 130, 5), (65, 17, 1), (1, 9, 40)])
def test_matmul_adds_into_its_output_whatever_the_layout(host_ops, rng, dtype, trans_a, trans_b, layout,
                                                         m, k, n):
    """``accumulate``: the CPU adds through BLAS's beta = 1 where the arrays are contiguous
    (or transposes of contiguous ones), through a temporary where they are not."""
    step = 2 if layout == "strided" else 1
    a = randn(rng, (k, m * step) if trans_a else (m, k * step), dtype)[:, ::step]
    b = randn(rng, (n, k * step) if trans_b else (k, n * step), dtype)[:, ::step]
    start = randn(rng, (m, n), dtype)
    out_ref, out = start.copy(), start.copy()
    REF.matmul(a, b, trans_a, trans_b, out=out_ref, accumulate=True)
    host_ops.matmul(a, b, trans_a, trans_b, out=out, accumulate=True)
    # sums of k products in another order (a GPU's): rounding grows with k
    atol = k * tol(dtype)["atol"]
    np.testing.assert_allclose(out, out_ref, rtol=tol(dtype)["rtol"], atol=atol)


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (70, 33, 67), (3, 130, 5), (65, 17, 1)])
def test_matmul_shapes_that_do_not_divide_the_tiles(host_ops, rng, m, k, n):
    """Edges of the GPU's 64 x 64 x 16 tiles; on the CPU just more shapes."""
    a, b = randn(rng, (m, k), np.float32), randn(rng, (k, n), np.float32)
    close(host_ops.matmul(a, b), a @ b, np.float32)
    close(host_ops.matmul(a.T.copy(), b.T.copy(), trans_a=True, trans_b=True), a @ b, np.float32)


# a convolution's bias gradient sums many rows of few columns
@pytest.mark.parametrize("shape", [(6, 4), (2003, 6), (1500, 31), (1100, 32)])
def test_bias_and_row_sums(host_ops, rng, dtype, shape):
    y, b = randn(rng, shape, dtype), randn(rng, shape[1:], dtype)
    close(host_ops.add_bias(y.copy(), b), REF.add_bias(y.copy(), b), dtype)
    # float32 sums of n values added in another order differ by up to about n ulps
    sums = tol(dtype) if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-6 * shape[0]}
    for accumulate in (False, True):
        start = randn(rng, shape[1:], dtype)
        np.testing.assert_allclose(host_ops.sum_rows(y, start.copy(), accumulate),
                                   REF.sum_rows(y, start.copy(), accumulate), **sums)
    left = y[:, : shape[1] // 2 + 1]  # not contiguous
    np.testing.assert_allclose(host_ops.sum_rows(left, np.zeros(left.shape[1], dtype), False),
                               left.sum(axis=0), **sums)


ACTIVATION_OPS = [("linear", ()), ("heaviside", ()), ("sigmoid", ()), ("tanh", ()), ("relu", ()),
                  ("leaky_relu", (0.1,)), ("elu", (0.7,)), ("softmax", ())]


@pytest.mark.parametrize("name,args", ACTIVATION_OPS, ids=[a for a, _ in ACTIVATION_OPS])
def test_activation_ops(host_ops, rng, dtype, name, args):
    x = randn(rng, (5, 9), dtype, scale=3.0)
    x[0, :3] = [40, -40, 0]  # saturation and the kink
    y_ref = getattr(REF, name)(x, *args)
    close(getattr(host_ops, name)(x, *args), y_ref, dtype)
    inplace = x.copy()
    close(getattr(host_ops, name)(inplace, *args, out=inplace), y_ref, dtype)
    dy = randn(rng, x.shape, dtype)
    close(getattr(host_ops, name + "_backward")(dy, y_ref, *args),
          getattr(REF, name + "_backward")(dy, y_ref, *args), dtype)


@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "leaky_relu", "elu", "softmax"])
@pytest.mark.parametrize("rows,depth,units", [(1, 13, 7), (4, 2, 4), (3, 50, 20), (40, 30, 20)])
def test_a_dense_layers_forward_and_backward_whole(host_ops, rng, dtype, activation, rows, depth, units):
    """``affine`` and ``dense_backward``: the CPU runs the small ones (few rows, or a small
    product) as one kernel each, the rest through the product; both agree with the reference."""
    x, w = randn(rng, (rows, depth), dtype), randn(rng, (depth, units), dtype)
    bias = randn(rng, (units,), dtype)
    dy = randn(rng, (rows, units), dtype)
    for b in (bias, None):
        y = host_ops.affine(x, w, b, activation, 0.3)
        y_ref = REF.affine(x, w, b, activation, 0.3)
        close(y, y_ref, dtype)
        for input_gradient in (True, False):
            grads = {"kernel": np.full_like(w, 0.5), "bias": None if b is None else np.full_like(bias, 0.25)}
            expected = {key: None if g is None else g.copy() for key, g in grads.items()}
            dx = host_ops.dense_backward(x, w, dy, y_ref, activation, 0.3, grads["kernel"], grads["bias"],
                                         input_gradient)
            dx_ref = REF.dense_backward(x, w, dy, y_ref, activation, 0.3, expected["kernel"], expected["bias"],
                                        input_gradient)
            assert (dx is None) == (not input_gradient)
            if input_gradient:
                close(dx, dx_ref, dtype)
            close(grads["kernel"], expected["kernel"], dtype)  # added to what was there
            if b is not None:
                close(grads["bias"], expected["bias"], dtype)


def test_maxout_ops(host_ops, rng, dtype):
    z = randn(rng, (4, 3, 2), dtype)
    y, which = host_ops.maxout(z)
    y_ref, which_ref = REF.maxout(z)
    close(y, y_ref, dtype)
    np.testing.assert_array_equal(which, which_ref)
    dy = randn(rng, (4, 3), dtype)
    close(host_ops.maxout_backward(dy, which, 2), REF.maxout_backward(dy, which_ref, 2), dtype)


@pytest.mark.parametrize("key", [0, 12345, 2**63 - 1])
def test_dropout_gives_every_backend_the_same_mask_for_a_key(host_ops, dtype, key):
    x = randn(np.random.default_rng(0), (50, 40), dtype)
    a, b = host_ops.dropout(x, 0.25, key), REF.dropout(x, 0.25, key)
    np.testing.assert_array_equal(a, b)
    kept = a != 0
    np.testing.assert_allclose(a[kept], x[kept] * x.dtype.type(1 / 0.75), rtol=0)
    assert abs((~kept).mean() - 0.25) < 0.03
    np.testing.assert_array_equal(host_ops.dropout(x, 0.25, key + 1) != 0, REF.dropout(x, 0.25, key + 1) != 0)
    assert ((host_ops.dropout(x, 0.25, key + 1) != 0) != kept).mean() > 0.2  # another key, another mask


def test_dropout_hash_is_the_published_lowbias32_applied_twice():
    from deepzoo.backend.reference.dense import dropout_hash, dropout_keep

    def lowbias32(x):  # the published 32-bit form, with Python's unbounded ints masked
        x ^= x >> 16
        x = (x * 0x7FEB352D) & 0xFFFFFFFF
        x ^= x >> 15
        x = (x * 0x846CA68B) & 0xFFFFFFFF
        return x ^ (x >> 16)

    indices, k0, k1 = [0, 1, 2, 0xDEADBEEF, 0xFFFFFFFF, 2**32 + 5], 0x12345678, 0x9ABCDEF0
    expected = [lowbias32(lowbias32((i & 0xFFFFFFFF) ^ k0) ^ k1) for i in indices]
    assert dropout_hash(np.array(indices, np.uint64), np.uint64(k0), np.uint64(k1)).tolist() == expected
    # neighbouring keys give unrelated bits: about half the masks' elements differ
    assert 0.4 < (dropout_keep(10_000, 0.5, 7) != dropout_keep(10_000, 0.5, 8)).mean() < 0.6


def test_losses(host_ops, rng, dtype):
    y, t = randn(rng, (6, 4), dtype), randn(rng, (6, 4), dtype)
    for name in ("mean_squared_error", "sum_squared_error"):
        (v, g), (v_ref, g_ref) = getattr(host_ops, name)(y, t), getattr(REF, name)(y, t)
        assert v == pytest.approx(v_ref, rel=1e-5)
        close(g, g_ref, dtype)
    p = rng.uniform(0.01, 0.99, (6, 4)).astype(dtype)
    tb = rng.integers(0, 2, (6, 4)).astype(dtype)
    e = np.exp(y)
    probs = (e / e.sum(1, keepdims=True)).astype(dtype)
    labels = rng.integers(0, 4, 6)
    onehot = np.eye(4, dtype=dtype)[labels]
    for fused in (False, True):
        for name, a, b in [("binary_crossentropy", p, tb),
                           ("categorical_crossentropy", probs, onehot),
                           ("sparse_categorical_crossentropy", probs, labels)]:
            (v, g) = getattr(host_ops, name)(a, b, 1e-7, fused)
            (v_ref, g_ref) = getattr(REF, name)(a, b, 1e-7, fused)
            assert v == pytest.approx(v_ref, rel=1e-5), name
            close(g, g_ref, dtype)


def test_a_loss_given_into_adds_its_value_times_the_batch_size_there(ops, rng, dtype):
    """How ``fit`` sums an epoch's loss where it cannot read each batch's cheaply (a GPU):
    two batches, the second smaller, add up in ``into``; the gradients are unchanged."""
    y, t = randn(rng, (5, 3, 4), dtype), randn(rng, (5, 3, 4), dtype)
    e = np.exp(y)
    probs = (e / e.sum(-1, keepdims=True)).astype(dtype)
    labels = rng.integers(0, 4, (5, 3))
    cases = [("mean_squared_error", y, t, ()), ("mean_absolute_error", y, t, ()),
             ("huber", y, t, (0.5,)), ("sum_squared_error", y, t, ()),
             ("binary_crossentropy", probs, (t > 0).astype(dtype), (1e-7, False)),
             ("categorical_crossentropy", probs, np.eye(4, dtype=dtype)[labels], (1e-7, True)),
             ("sparse_categorical_crossentropy", probs, labels, (1e-7, False))]
    for name, a, b, args in cases:
        into, expected = ops.loss_sum(a.shape, dtype), 0.0
        for rows in (slice(0, 5), slice(0, 2)):
            value, grad_ref = getattr(REF, name)(a[rows], b[rows], *args)
            returned, grad = getattr(ops, name)(ops.asarray(a[rows]), ops.asarray(b[rows]), *args, into=into)
            assert returned is into, name
            close(ops.to_host(grad), grad_ref, dtype)
            expected += value * len(a[rows])
        assert ops.read_sum(into) == pytest.approx(expected, rel=1e-5), name


def test_metric_counts(host_ops, rng, dtype):
    y, t = randn(rng, (20, 5), dtype), randn(rng, (20, 5), dtype)
    labels = rng.integers(0, 5, 20)
    assert host_ops.count_argmax_equal(y, t) == REF.count_argmax_equal(y, t)
    assert host_ops.count_argmax_label(y, labels) == REF.count_argmax_label(y, labels)
    assert host_ops.count_threshold_equal(y, t) == REF.count_threshold_equal(y, t)
    assert host_ops.sum_squared_difference(y, t) == pytest.approx(REF.sum_squared_difference(y, t), rel=1e-5)


UPDATES = {
    "sgd_update": lambda p: (np.zeros_like(p), 0.1, 0.0, False),
    "sgd_momentum": lambda p: (np.zeros_like(p), 0.1, 0.9, False),
    "sgd_nesterov": lambda p: (np.zeros_like(p), 0.1, 0.9, True),
    "adagrad_update": lambda p: (np.full_like(p, 0.1), 0.1, 1e-7),
    "rmsprop_update": lambda p: (np.zeros_like(p), 0.01, 0.9, 1e-7),
    "adagrad_keras": lambda p: (np.full_like(p, 0.1), 0.1, 1e-7, True),
    "rmsprop_keras": lambda p: (np.zeros_like(p), 0.01, 0.9, 1e-3, True),
    "adadelta_update": lambda p: (np.zeros_like(p), np.zeros_like(p), 1.0, 0.95, 1e-6),
    "adam_update": lambda p: (np.zeros_like(p), np.zeros_like(p), 0.01, 0.9, 0.999, 1e-7),
    "adamax_update": lambda p: (np.zeros_like(p), np.zeros_like(p), 0.01, 0.9, 0.999, 1e-7),
    "nadam_update": lambda p: (np.zeros_like(p), np.zeros_like(p), 0.01, 0.9, 0.999, 1e-7, 0.8, 0.3, 1.5),
}


@pytest.mark.parametrize("case", list(UPDATES))
def test_optimizer_updates(host_ops, rng, dtype, case):
    method = case if case.endswith("update") else f"{case.split('_')[0]}_update"
    p = randn(rng, (4, 5), dtype)
    p_ref, state_ref = p.copy(), [a.copy() if isinstance(a, np.ndarray) else a for a in UPDATES[case](p)]
    state = [a.copy() if isinstance(a, np.ndarray) else a for a in state_ref]
    for step in range(1, 6):
        g = randn(rng, (4, 5), dtype)
        extra = (step,) if method in ("adam_update", "adamax_update") else ()
        g_ref = g.copy()
        getattr(REF, method)(p_ref, g_ref, *state_ref, *extra)
        getattr(host_ops, method)(p, g, *state, *extra)
        assert not g.any() and not g_ref.any(), "an update must leave the gradient at zero"
    close(p, p_ref, dtype)
    for a, b in zip(state, state_ref):
        if isinstance(a, np.ndarray):
            close(a, b, dtype)


def test_adam_flushes_denormal_state(host_ops):
    if host_ops.name != "numba":
        pytest.skip("flushing is an optimisation of the CPU kernels: the reference keeps exact "
                    "values and GPUs compute with subnormal numbers at full speed")
    p = np.ones(8, np.float32)
    m, v = np.full(8, 1e-38, np.float32), np.full(8, 1e-38, np.float32)
    host_ops.adam_update(p, np.zeros(8, np.float32), m, v, 0.001, 0.9, 0.999, 1e-7, 1)
    assert np.all(m == 0) and np.all(v == 0)


def test_available_backends_listed():
    assert set(deepzoo.available_backends()) >= {"numba", "numpy"}


def test_set_backend_accepts_an_ops_instance():
    from deepzoo.backend import current_backend
    from deepzoo.backend.cpu.ops import NumbaCPUOps

    before = deepzoo.get_ops("numba")
    mine = NumbaCPUOps(keep_freed_memory=False)
    try:
        assert deepzoo.set_backend(mine) is mine
        assert deepzoo.get_ops() is mine and current_backend() == "numba"
        assert deepzoo.Sequential([deepzoo.Dense(1)]).ops is mine
    finally:
        deepzoo.set_backend(before)


def test_one_off_work_takes_the_general_path_and_agrees_with_the_kernels(rng, dtype, monkeypatch):
    """Inside ``one_off`` the CPU runs a few samples through BLAS instead of the small-batch
    kernels (not compiled for an epoch's short last batch); outside it uses them. Both
    agree with the reference, and the setting ends with the context."""
    from deepzoo.backend.cpu import dense_kernels

    ops = deepzoo.get_ops("numba")
    calls = []
    for name in ("affine_rows", "dense_backward_rows", "add_outer_products"):
        kernel = getattr(dense_kernels, name)
        counted = lambda *args, _k=kernel, _n=name: (calls.append(_n), _k(*args))  # noqa: E731
        monkeypatch.setattr(dense_kernels, name, counted)
    x, w, bias = randn(rng, (2, 30), dtype), randn(rng, (30, 20), dtype), randn(rng, (20,), dtype)
    dy = randn(rng, (2, 20), dtype)
    y_ref = REF.affine(x, w, bias, "relu")
    expected = [np.full_like(w, 0.5), np.full_like(bias, 0.25)]
    dx_ref = REF.dense_backward(x, w, dy, y_ref, "relu", 0.0, *expected)
    outer_ref = REF.matmul(x, dy, trans_a=True, out=np.ones_like(w), accumulate=True)
    for one_off in (True, False):
        calls.clear()
        grads = [np.full_like(w, 0.5), np.full_like(bias, 0.25)]
        with ops.one_off() if one_off else contextlib.nullcontext():
            close(ops.affine(x, w, bias, "relu"), y_ref, dtype)
            close(ops.dense_backward(x, w, dy, y_ref, "relu", 0.0, *grads), dx_ref, dtype)
            close(ops.matmul(x, dy, trans_a=True, out=np.ones_like(w), accumulate=True), outer_ref, dtype)
        for got, want in zip(grads, expected):
            close(got, want, dtype)
        assert calls == ([] if one_off else ["affine_rows", "dense_backward_rows", "add_outer_products"])
    assert not ops._one_off
