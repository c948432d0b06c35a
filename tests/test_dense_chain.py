"""Dense layers one after the other run as one op (``Ops.dense_chain``), with the same results."""

import numpy as np
import pytest

import deepzoo as dz
from deepzoo.backend.reference import Ops
from deepzoo.layers.dense import Dense

REF = Ops()


def randn(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def tolerance(dtype):
    # float32 sums of tens of terms, in another order on some backends, over two or three layers
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


# (rows, layer sizes, activations): the CPU runs the first three as one compiled call
# each way; the last has a batch too large for that, the fourth an activation the
# kernels do not know (softmax): those take the reference's loop of layers
CHAINS = [
    (1, (13, 7, 5), ("tanh", "sigmoid")),
    (4, (2, 4, 1), ("elu", None)),
    (3, (6, 5, 4, 3), ("leaky_relu", None, "relu")),
    (2, (5, 4, 3), ("relu", "softmax")),
    (40, (30, 20, 10), ("sigmoid", "tanh")),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("fused", [False, True], ids=["", "fused"])
@pytest.mark.parametrize("rows,sizes,activations", CHAINS)
def test_a_chain_is_its_layers_one_after_the_other(ops, rng, dtype, rows, sizes, activations, fused):
    """Forward and backward of a chain equal the reference's ``affine`` and
    ``dense_backward`` layer by layer, on every backend; the gradients are added to
    what they held; with ``fused`` the last activation's backward is left out."""
    kernels = [randn(rng, shape, dtype) for shape in zip(sizes, sizes[1:])]
    biases = [None if i == 1 else randn(rng, (units,), dtype) for i, units in enumerate(sizes[1:])]
    grad_kernels = [np.full_like(k, 0.5) for k in kernels]
    grad_biases = [None if b is None else np.full_like(b, 0.25) for b in biases]
    x, dy = randn(rng, (rows, sizes[0]), dtype), randn(rng, (rows, sizes[-1]), dtype)
    alphas = [0.3] * len(kernels)

    outputs, h = [], x
    for kernel, bias, activation in zip(kernels, biases, activations):
        h = REF.affine(h, kernel, bias, activation, 0.3)
        outputs.append(h)
    want_kernels = [g.copy() for g in grad_kernels]
    want_biases = [None if g is None else g.copy() for g in grad_biases]
    want_dx = dy
    for layer in reversed(range(len(kernels))):
        activation = None if fused and layer == len(kernels) - 1 else activations[layer]
        want_dx = REF.dense_backward(x if layer == 0 else outputs[layer - 1], kernels[layer], want_dx,
                                     outputs[layer], activation, 0.3, want_kernels[layer], want_biases[layer])

    def device(arrays):
        return [None if a is None else ops.asarray(a) for a in arrays]

    chain = ops.dense_chain_plan(device(kernels), device(biases), list(activations), alphas,
                                 device(grad_kernels), device(grad_biases))
    got = ops.dense_chain(ops.asarray(x), chain)
    assert len(got) == len(kernels)
    for output, want in zip(got, outputs):
        np.testing.assert_allclose(ops.to_host(output), want, **tolerance(dtype))
    dx = ops.dense_chain_backward(ops.asarray(x), chain, got, ops.asarray(dy), fused)
    np.testing.assert_allclose(ops.to_host(dx), want_dx, **tolerance(dtype))
    for grad, want in zip(chain.grad_kernels + chain.grad_biases, want_kernels + want_biases):
        if want is not None:
            np.testing.assert_allclose(ops.to_host(grad), want, **tolerance(dtype))
    assert ops.dense_chain_backward(ops.asarray(x), chain, got, ops.asarray(dy), fused,
                                    input_gradient=False) is None


def test_the_cpu_runs_a_small_chain_as_one_call_each_way(rng, monkeypatch):
    """XOR's 2-4-1 on its batch of 4: one ``affine_chain`` and one
    ``dense_chain_backward_rows`` call, and no per-layer kernel; inside ``one_off`` (an
    epoch's short last batch) none of them."""
    from deepzoo.backend.cpu import dense_kernels

    ops = dz.get_ops("numba")
    calls = []
    for name in ("affine_chain", "dense_chain_backward_rows", "affine_rows"):
        kernel = getattr(dense_kernels, name)
        monkeypatch.setattr(dense_kernels, name,
                            lambda *args, _k=kernel, _n=name: (calls.append(_n), _k(*args))[1])
    kernels = [randn(rng, (2, 4), np.float32), randn(rng, (4, 1), np.float32)]
    biases = [np.zeros(4, np.float32), np.zeros(1, np.float32)]
    chain = ops.dense_chain_plan(kernels, biases, ["tanh", "sigmoid"], [0.0, 0.0],
                                 [np.zeros_like(k) for k in kernels], [np.zeros_like(b) for b in biases])
    x = randn(rng, (4, 2), np.float32)
    outputs = ops.dense_chain(x, chain)
    ops.dense_chain_backward(x, chain, outputs, np.ones((4, 1), np.float32))
    assert calls == ["affine_chain", "dense_chain_backward_rows"]
    calls.clear()
    with ops.one_off():
        ops.dense_chain_backward(x, chain, ops.dense_chain(x, chain), np.ones((4, 1), np.float32))
    assert calls == []


def lecture_mlp(device, last="softmax", dropout=False):
    layers = [dz.Dense(12, activation="relu"), dz.Dense(8, activation="tanh")]
    if dropout:
        layers.insert(1, dz.Dropout(0.2))
    model = dz.Sequential(layers + [dz.Dense(3, activation=last)], input_shape=(6,), seed=0, device=device)
    return model


def test_the_model_gives_a_run_of_dense_layers_to_its_first():
    """The first Dense of a run runs the others (``dense_chain``), which pass their input
    on (``chained_by_previous``); the fused softmax goes to the one that runs its
    backward; a Dropout between them ends the run."""
    model = lecture_mlp("numpy")
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    first, second, third = model.layers
    assert model._train_options[0] == {"dense_chain": (second, third), "input_gradient": False,
                                       "fused_activation": True}
    assert model._train_options[1] == model._train_options[2] == {"chained_by_previous": True}
    assert model._infer_options[0] == {"dense_chain": (second, third)}
    assert model._train_calls == [(first, model._train_options[0])]  # the others are not called
    assert model._infer_calls == [(first, model._infer_options[0])]

    model = lecture_mlp("numpy", dropout=True)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert model._train_options[:2] == [{"input_gradient": False}, {}]
    assert model._train_options[2] == {"dense_chain": (model.layers[3],), "fused_activation": True}
    assert model._train_options[3] == {"chained_by_previous": True}


def test_a_plugin_activation_ends_a_run():
    """A Dense whose activation has no Ops name (a plugin's, applied by the layer itself)
    is not chained: the op could not apply it."""
    from deepzoo.activations import ActivationFunction

    class Double(ActivationFunction):
        name = "double"

        def apply(self, ops, x, out=None):
            return np.multiply(x, 2, out=out)

        def backward(self, ops, dy, y, out=None):
            return np.multiply(dy, 2, out=out)

    model = dz.Sequential([dz.Dense(4, activation="relu"), dz.Dense(4, activation=Double()),
                           dz.Dense(2)], input_shape=(3,), seed=0, device="numpy")
    model.compile(optimizer="sgd", loss="mse")
    assert all("dense_chain" not in options for options in model._train_options[:2])
    assert model._train_options[1] == {}


@pytest.mark.parametrize("device", ["numpy", "numba"])
@pytest.mark.parametrize("loss,last", [("categorical_crossentropy", "softmax"), ("mse", "sigmoid")])
def test_training_a_chain_gives_the_same_numbers_as_layer_by_layer(device, loss, last, monkeypatch):
    """Two epochs of a 6-12-8-3 network in batches of 4 and of 16 (one call each way on
    the CPU, and the reference's loop): the same weights, losses and predictions, to
    the last bit, as with each layer run on its own."""
    rng = np.random.default_rng(0)
    x = rng.random((48, 6), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 48)]
    results = []
    for chained in (True, False):
        if not chained:
            monkeypatch.setattr(Dense, "can_chain", lambda self, after: False)
        model = lecture_mlp(device, last)
        model.compile(optimizer=dz.Adam(0.01), loss=loss, metrics=["accuracy"])
        assert ("dense_chain" in model._train_options[0]) == chained
        history = [model.fit(x, y, batch_size=size, epochs=2, verbose=0).history for size in (4, 16)]
        results.append((model.get_weights(), history, model.predict(x)))
    (weights, history, predicted), (weights_alone, history_alone, predicted_alone) = results
    assert history == history_alone
    for w, w_alone in zip(weights, weights_alone):
        np.testing.assert_array_equal(w, w_alone)
    np.testing.assert_array_equal(predicted, predicted_alone)
