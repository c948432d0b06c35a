"""The CUDA backend: whole models against the CPU, the CLI, and clear errors without a GPU.

Every single op of ``NumbaCUDAOps`` is compared with the reference in ``test_ops.py``,
``test_conv.py``, ``test_recurrent.py`` and the PyTorch tests, through the ``ops`` fixture.
Without a GPU, run these with ``NUMBA_ENABLE_CUDASIM=1 pytest -m cuda`` (numba's
simulator); on a machine with one, plain ``pytest`` runs them on it.
"""

import importlib.util

import numpy as np
import pytest
from click.testing import CliRunner

import deepzoo
from deepzoo import BackendError
from deepzoo.backend import cuda_status
from deepzoo.cli import main

CUDA = cuda_status()
requires_cuda = pytest.mark.skipif(not CUDA.usable, reason=f"no CUDA: {CUDA.reason}")
requires_gpu = pytest.mark.skipif(not CUDA.usable or CUDA.simulator,
                                  reason=f"needs a real GPU ({CUDA.reason or 'none found'})")


def cuda_ops(**kwargs):
    from deepzoo.backend.cuda.ops import NumbaCUDAOps

    return NumbaCUDAOps(**kwargs)


# ------------------------------------------------------- the tiled product
@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (5, 17, 3), (66, 20, 65)])
def test_tiled_matmul_equals_numpy_on_shapes_that_do_not_divide_the_tiles(
        dtype, trans_a, trans_b, accumulate, m, k, n):
    ops, rng = cuda_ops(tiled_matmul=True), np.random.default_rng(m + k + n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    start = rng.standard_normal((m, n)).astype(dtype)
    out = ops.asarray(start)
    ops.matmul(ops.asarray(a.T.copy() if trans_a else a), ops.asarray(b.T.copy() if trans_b else b),
               trans_a, trans_b, out=out, accumulate=accumulate)
    expected = a @ b + (start if accumulate else 0)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ops.to_host(out), expected, rtol=rtol, atol=rtol * k)


ELEMENTWISE = ["linear", "relu", "sigmoid", "tanh", "leaky_relu", "elu", "heaviside"]


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("tiled,activation", [(False, a) for a in ELEMENTWISE + ["softmax", None]] +
                         [(True, a) for a in ("elu", "softmax", None)])  # the block kernels are slow here
def test_a_products_bias_and_activation_in_its_store_equal_the_three_ops_of_the_reference(tiled, activation):
    from deepzoo.backend import get_ops

    ref, ops, rng = get_ops("numpy"), cuda_ops(tiled_matmul=tiled), np.random.default_rng(7)
    x, w = rng.standard_normal((70, 9)).astype("float32"), rng.standard_normal((9, 33)).astype("float32")
    bias, alpha = rng.standard_normal(33).astype("float32"), 0.3
    got = ops.to_host(ops.affine(ops.asarray(x), ops.asarray(w), ops.asarray(bias), activation, alpha))
    np.testing.assert_allclose(got, ref.affine(x, w, bias, activation, alpha), rtol=1e-5, atol=1e-6)
    no_bias = ops.to_host(ops.affine(ops.asarray(x), ops.asarray(w), None, activation, alpha))
    np.testing.assert_allclose(no_bias, ref.affine(x, w, None, activation, alpha), rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("tiled,activation", [(False, a) for a in ELEMENTWISE + [None]] +
                         [(True, a) for a in ("leaky_relu", None)])
@pytest.mark.parametrize("rows,cols", [(3, 5), (70, 33)])
def test_the_column_sums_of_an_activations_gradient_equal_the_references(tiled, activation, rows, cols):
    from deepzoo.backend import get_ops

    ref, ops, rng = get_ops("numpy"), cuda_ops(tiled_matmul=tiled), np.random.default_rng(rows)
    dy, y = rng.standard_normal((rows, cols)), rng.random((rows, cols))
    start = rng.standard_normal(cols)
    grad_bias, expected_bias = ops.asarray(start), start.copy()
    dz = ops.bias_activation_backward(ops.asarray(dy), ops.asarray(y), activation, 0.3, grad_bias)
    expected = ref.bias_activation_backward(dy, y, activation, 0.3, expected_bias)
    np.testing.assert_allclose(ops.to_host(dz), expected, rtol=1e-12)
    np.testing.assert_allclose(ops.to_host(grad_bias), expected_bias, rtol=1e-12)
    for accumulate in (False, True):
        out, expected_sum = ops.asarray(start), start.copy()
        ops.sum_rows(ops.asarray(dy), out, accumulate)
        np.testing.assert_allclose(ops.to_host(out), ref.sum_rows(dy, expected_sum, accumulate), rtol=1e-12)


@pytest.mark.cuda
@requires_cuda
def test_the_tiled_products_launch_stays_inside_cudas_grid_limits():
    """Rows (the batch) on grid x, up to 2**31 - 1 blocks; columns on grid y, up to 65,535.
    A ConvNet predict over 10,000 images multiplies 6,760,000 rows: 105,625 row tiles."""
    from deepzoo.backend.cuda import dense_kernels

    (grid_x, grid_y, splits), _ = dense_kernels.gemm_launch(10_000 * 26 * 26, 32, 9, 132)
    assert grid_x == 105_625 and grid_y == 1 and splits == 1
    (grid_x, grid_y, _), _ = dense_kernels.gemm_launch(64, 65_535 * 64)
    assert grid_y <= 65_535


@pytest.mark.cuda
@requires_cuda
def test_a_product_over_few_tiles_splits_its_sum_until_every_sm_has_a_block():
    """The ConvNet's first kernel gradient, 9 x 32 over 128 images' 86,528 positions, is
    one tile: 132 blocks take 656 positions each. Runs are whole K_TILE steps."""
    from deepzoo.backend.cuda import dense_kernels

    assert dense_kernels.gemm_launch(9, 32, 86_528, 132)[0] == (1, 1, 132)
    assert dense_kernels.gemm_launch(288, 64, 73_728, 132)[0] == (5, 1, 27)
    assert dense_kernels.gemm_launch(9, 32, 40, 132)[0] == (1, 1, 3)  # no more runs than k steps
    assert dense_kernels.gemm_launch(6400, 128, 9, 132)[0] == (100, 2, 1)  # enough tiles already


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_split_product_sums_its_runs_in_the_same_order_every_time(dtype, monkeypatch):
    from deepzoo.backend.cuda import target

    monkeypatch.setattr(target, "_multiprocessors", 6)  # a 70 x 5 result (2 tiles) in 3 runs of k
    ops, rng = cuda_ops(tiled_matmul=True), np.random.default_rng(5)
    a, b = rng.standard_normal((40, 70)).astype(dtype), rng.standard_normal((40, 5)).astype(dtype)
    start, bias = rng.standard_normal((70, 5)).astype(dtype), rng.standard_normal(5).astype(dtype)
    results = []
    for _ in range(2):
        out = ops.asarray(start)
        ops.matmul(ops.asarray(a), ops.asarray(b), trans_a=True, out=out, accumulate=True,
                   bias=ops.asarray(bias), activation="tanh")
        results.append(ops.to_host(out))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(results[0], np.tanh(start + a.T @ b + bias), rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(results[0], results[1])
    assert not ops.to_host(ops._tickets(2)).any()  # the tickets are left at zero


# ------------------------------------------------ one step of every demo model
def loss_and_gradients(model, x, y):
    """The batch loss and a host copy of every parameter's gradient (left in place for a step)."""
    ops = model.ops
    if not model.built:
        model.build(x.shape[1:])
    out, backwards = ops.asarray(x), []
    for layer in model.layers:
        out, backward = layer.forward(out, training=True)
        backwards.append(backward)
    value, grad = model.loss.forward(ops, out, ops.asarray(y), fused=model.fused_output)
    for backward in reversed(backwards):
        grad = backward(grad)
    return value, {name: np.array(ops.to_host(g)) for name, _, g in model.named_params}


def _images(rng, n, flat):
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    return x.reshape(n, 784) if flat else x


def _one_hot(rng, n, classes):
    return np.eye(classes, dtype=np.float32)[rng.integers(0, classes, n)]


def _demo_models():
    from deepzoo.demos import addition, diabetes, digits, lenet, mnist_cnn, mnist_mlp

    rng = np.random.default_rng(0)
    return {  # name: (builder taking seed and device, x, y)
        "mnist-mlp": (mnist_mlp.build_mlp, _images(rng, 2, True), _one_hot(rng, 2, 10)),
        "mnist-cnn": (mnist_cnn.build_cnn, _images(rng, 1, False), _one_hot(rng, 1, 10)),
        "lenet": (lenet.build_lenet, _images(rng, 2, False), _one_hot(rng, 2, 10)),
        "digits": (lambda seed, device: digits.build_digits_network(seed=seed, device=device),
                   _images(rng, 2, True), _one_hot(rng, 2, 10) * 0.98 + 0.01),
        "diabetes": (diabetes.build_diabetes_network, rng.standard_normal((3, 8)).astype(np.float32),
                     rng.integers(0, 2, (3, 1)).astype(np.float32)),
        "addition": (lambda seed, device: addition.build_adder(seed=seed, device=device),
                     np.eye(11, dtype=np.float32)[rng.integers(0, 11, (2, 7))],
                     np.eye(11, dtype=np.float32)[rng.integers(0, 11, (2, 4))]),
    }


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("name", ["mnist-mlp", "mnist-cnn", "lenet", "digits", "diabetes", "addition"])
def test_one_training_step_of_each_demo_model_matches_the_cpu(name):
    build, x, y = _demo_models()[name]
    cpu, gpu = build(seed=0, device="cpu"), build(seed=0, device="cuda")
    value_cpu, grads_cpu = loss_and_gradients(cpu, x, y)
    value_gpu, grads_gpu = loss_and_gradients(gpu, x, y)
    assert value_gpu == pytest.approx(value_cpu, rel=1e-4)
    assert grads_gpu.keys() == grads_cpu.keys()
    for key, g in grads_cpu.items():
        scale = max(1e-3, float(np.abs(g).max()))
        np.testing.assert_allclose(grads_gpu[key], g, rtol=1e-3, atol=1e-4 * scale, err_msg=key)
    for model in (cpu, gpu):  # and the optimizer's update with these gradients
        model.optimizer.step(model.ops, model.named_params)
    for layer_cpu, layer_gpu in zip(cpu.layers, gpu.layers):
        for key, w in layer_cpu.get_weights().items():
            np.testing.assert_allclose(layer_gpu.get_weights()[key], w, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{layer_cpu.name}/{key}")


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("train", ["xor", "linreg", "logreg", "approximation"])
def test_small_demos_train_alike_on_cuda_and_cpu(train):
    from deepzoo.demos import approximation, linreg, logreg, xor

    if train == "xor":
        runs = [xor.train_xor(epochs=20, device=d).history.history["loss"] for d in ("cpu", "cuda")]
    elif train == "linreg":
        runs = [linreg.fit_line(epochs=20, device=d).errors for d in ("cpu", "cuda")]
    elif train == "logreg":
        x, t = logreg.flats()
        runs = [logreg.train_logistic(x, t, epochs=20, device=d).weights for d in ("cpu", "cuda")]
    else:
        runs = [approximation.fit_sine(3, epochs=20, n=16, device=d)[1] for d in ("cpu", "cuda")]
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-4, atol=1e-6)


@pytest.mark.cuda
@requires_cuda
def test_xor_demo_runs_end_to_end_on_cuda(tmp_path):
    path = tmp_path / "xor.dzm"
    result = CliRunner().invoke(main, ["demo", "xor", "--device", "cuda", "--quiet", "--save", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.count(" ok") == 4, result.output
    model = deepzoo.load_model(path)  # saved from the GPU, loaded on the CPU
    assert ((model.predict(np.array([[0, 0], [0, 1], [1, 0], [1, 1]])) > 0.5).ravel()
            == [False, True, True, False]).all()


@pytest.mark.cuda
@requires_cuda
def test_weights_stay_on_the_device_and_results_come_back_as_numpy(tmp_path):
    from deepzoo.backend.cuda.target import is_device_array

    model = deepzoo.Sequential([deepzoo.Dense(4, activation="relu"), deepzoo.Dense(2, activation="softmax")],
                               input_shape=(3,), seed=1, device="cuda")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(int)
    model.fit(x, labels, batch_size=8, epochs=2, verbose=0)
    assert all(is_device_array(p) for layer in model.layers for p in layer.params.values())
    states = [s for state in model.optimizer.state.values() for s in state.values()
              if not isinstance(s, (int, float))]
    assert states and all(is_device_array(s) for s in states)
    predictions = model.predict(x)
    assert type(predictions) is np.ndarray and predictions.shape == (20, 2)
    model.save(tmp_path / "m.dzm")
    again = deepzoo.load_model(tmp_path / "m.dzm", device="cuda")
    np.testing.assert_allclose(again.predict(x), predictions, rtol=1e-6)


@pytest.mark.cuda
@requires_gpu
def test_a_large_product_on_the_gpu_equals_numpy():
    ops, rng = cuda_ops(), np.random.default_rng(0)
    a = rng.standard_normal((1000, 777)).astype(np.float32)
    b = rng.standard_normal((777, 513)).astype(np.float32)
    np.testing.assert_allclose(ops.to_host(ops.matmul(ops.asarray(a), ops.asarray(b))), a @ b,
                               rtol=1e-4, atol=1e-3)


@pytest.mark.cuda
@requires_gpu
def test_the_mnist_convnet_learns_on_the_gpu():
    from deepzoo.demos.mnist_cnn import train_cnn

    run = train_cnn(epochs=1, limit=6000, device="cuda", verbose=0)
    assert run.test_accuracy > 0.9


# ----------------------------------------------------------- without a GPU
@pytest.mark.skipif(CUDA.usable, reason="CUDA can be used here")
def test_asking_for_cuda_without_it_says_why():
    with pytest.raises(BackendError, match="device 'cuda' cannot be used: .*Use device='cpu'"):
        deepzoo.Sequential([deepzoo.Dense(1)], device="cuda")
    result = CliRunner().invoke(main, ["demo", "xor", "--device", "cuda", "--quiet"])
    assert result.exit_code == 1
    assert CUDA.reason in result.output and "Traceback" not in result.output
    info = CliRunner().invoke(main, ["info"]).output
    assert f"not available: {CUDA.reason}" in info
    assert "cuda" not in deepzoo.available_backends()


@pytest.mark.skipif(importlib.util.find_spec("numba_cuda") is None or CUDA.simulator,
                    reason="needs numba-cuda's real target")
def test_a_gpu_without_cuda_compiler_names_the_extra_to_install(monkeypatch):
    """numba-cuda installed alone (no libNVVM) on a machine with a GPU: a reason, not a traceback."""
    from numba import cuda
    from numba.cuda.cudadrv import nvvm

    from deepzoo.backend.cuda import target

    class FakeGPU:
        name = b"NVIDIA T4"

    def no_nvvm():
        raise nvvm.NvvmSupportError("libNVVM cannot be found")

    monkeypatch.setattr(cuda, "is_available", lambda: True)
    monkeypatch.setattr(cuda, "get_current_device", lambda: FakeGPU())
    monkeypatch.setattr(nvvm, "NVVM", no_nvvm)
    monkeypatch.setattr(target, "_status", None)
    state = target.status()
    assert not state.usable
    assert "libNVVM" in state.reason and "pip install 'deepzoo[cuda]'" in state.reason
    assert "deepzoo[cuda13]" in state.reason
    with pytest.raises(BackendError, match="deepzoo\\[cuda\\]"):
        target.require()
    info = CliRunner().invoke(main, ["info"]).output
    assert "libNVVM" in info and "Traceback" not in info


# ------------------------------------------------- what a training step costs a GPU
#: launches per step allowed for the lecture models (before this was counted: 31, 47, 111)
LAUNCH_BUDGET = {"mnist_mlp": 20, "mnist_cnn": 30, "adder": 80}


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("name", sorted(LAUNCH_BUDGET))
def test_a_training_step_of_a_lecture_model_costs_what_a_gpu_can_afford(name):
    """Counted in the simulator without running the kernels (see tests/cuda_step_costs.py):
    after the first step, no memory beyond what the pool already holds, the batch as the
    only copy to the device, nothing back, few launches, and no product over
    large operands that leaves SMs of an H100 idle."""
    if not CUDA.simulator:
        pytest.skip("counts the launches of the simulator")
    import cuda_step_costs

    steps = cuda_step_costs.step_costs(name, steps=4)
    for step in steps[1:]:
        assert step.growth == 0, f"step took new device memory: {step}"
        assert step.h2d == 2, f"x and y only: {step}"  # the batch's inputs and targets
        assert step.d2h == 0, f"no callback reads a figure: {step}"  # the loss adds up on the device
        assert step.launches <= LAUNCH_BUDGET[name], dict(step.kernels)
        assert not step.underfilled
        assert (step.launches, step.requests) == (steps[1].launches, steps[1].requests)


def test_the_memory_plugin_takes_and_frees_device_memory_in_stream_order(monkeypatch):
    """Without a GPU, the plugin's calls are checked against a stand-in for the driver; the
    script benchmarks/gpu_check.sh runs it for real."""
    pytest.importorskip("numba_cuda")
    import gc

    from numba.cuda.cudadrv import driver as numba_driver

    from deepzoo.backend.cuda import memory

    calls = []

    class FakeDriver:
        def __getattr__(self, name):
            def call(*args):
                calls.append(name)
                return {"cuMemAllocAsync": 1234, "cuMemGetInfo": (1, 2)}.get(name)
            return call

    class Device:
        MEMORY_POOLS_SUPPORTED, id = 1, 0

    class Context:
        device = Device()

    monkeypatch.setattr(numba_driver, "driver", FakeDriver())
    context = Context()
    manager = memory.plugin()(context=context)
    manager.initialize()
    assert calls == ["cuDeviceGetDefaultMemPool", "cuMemPoolSetAttribute"]
    pointer = manager.memalloc(4096)
    assert calls[-1] == "cuMemAllocAsync" and pointer.size == 4096
    del pointer
    gc.collect()
    assert calls[-1] == "cuMemFreeAsync"
    Device.MEMORY_POOLS_SUPPORTED = 0  # an old GPU: numba's plain allocation
    manager.initialize()
    del calls[:]
    manager.memalloc(16)
    gc.collect()
    assert calls == ["cuMemAlloc", "cuMemFree"]


def test_the_memory_plugin_falls_back_to_plain_allocations_when_the_pool_cannot_be_set_up(monkeypatch):
    pytest.importorskip("numba_cuda")
    from numba.cuda.cudadrv import driver as numba_driver

    from deepzoo.backend.cuda import memory

    class RefusingDriver:
        def __getattr__(self, name):
            def call(*args):
                if name == "cuMemPoolSetAttribute":
                    raise numba_driver.CudaAPIError(1, "not permitted")
                return 5678
            return call

    class Context:
        class device:
            MEMORY_POOLS_SUPPORTED, id = 1, 0

    monkeypatch.setattr(numba_driver, "driver", RefusingDriver())
    manager = memory.plugin()(context=Context())
    with pytest.warns(RuntimeWarning, match="memory pool could not be set up"):
        manager.initialize()
    assert not manager.pooled and manager.memalloc(8).size == 8
