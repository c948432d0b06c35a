"""BatchNormalization and LayerNormalization against PyTorch in float64, by finite differences,
and in a model."""

from pathlib import Path

import numpy as np
import pytest

import deepzoo as dz
from deepzoo.gradcheck import gradcheck

REFERENCE = Path(__file__).parent / "fixtures" / "torch_normalization_reference.npz"
CASES = [(shape, mode) for shape in ("features", "images") for mode in ("training", "inference")]


def built_layer(ops, case, **config):
    layer = dz.BatchNormalization(momentum=0.9, epsilon=1e-3, dtype="float64", **config)
    layer.ops = ops
    layer.build(case["x"].shape[1:])
    layer.set_weights({"gamma": case["gamma"], "beta": case["beta"], "moving_mean": case["running_mean_before"],
                       "moving_variance": case["running_var_before"]})
    return layer


@pytest.mark.parametrize("shape,mode", CASES)
def test_batch_normalization_matches_torch(ops, shape, mode):
    with np.load(REFERENCE) as data:
        case = {key.split("/")[-1]: data[key] for key in data.files if key.startswith(f"{shape}/{mode}/")}
    layer = built_layer(ops, case)
    y, backward = layer.forward(ops.asarray(case["x"]), training=mode == "training")
    np.testing.assert_allclose(ops.to_host(y), case["y"], rtol=1e-10, atol=1e-12)
    dx = backward(ops.asarray(case["dy"]))
    np.testing.assert_allclose(ops.to_host(dx), case["dx"], rtol=1e-9, atol=1e-12)
    grads = {key: ops.to_host(value) for key, value in layer.grads.items()}
    np.testing.assert_allclose(grads["gamma"], case["dgamma"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["beta"], case["dbeta"], rtol=1e-10, atol=1e-12)
    weights = layer.get_weights()
    if mode == "inference":  # the moving averages are used, not changed
        np.testing.assert_array_equal(weights["moving_mean"], case["running_mean_before"])
        return
    # PyTorch's running mean follows Keras's formula; its running variance averages the
    # unbiased batch variance, Keras's (and deepzoo's) the biased one: n / (n - 1) apart
    np.testing.assert_allclose(weights["moving_mean"], case["running_mean"], rtol=1e-12, atol=1e-14)
    n = case["x"].size // case["x"].shape[-1]
    unbiased = (case["running_var"] - 0.9 * case["running_var_before"]) / 0.1
    expected = 0.9 * case["running_var_before"] + 0.1 * unbiased * (n - 1) / n
    np.testing.assert_allclose(weights["moving_variance"], expected, rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("config", [{}, {"center": False}, {"scale": False}])
def test_batch_normalization_gradients_by_finite_differences(ops, training, config):
    layer = dz.BatchNormalization(dtype="float64", momentum=0.5, **config)
    layer.ops = ops
    rng = np.random.default_rng(3)
    layer.build((3, 4), rng=rng)
    layer.set_weights({**layer.get_weights(), "moving_mean": rng.standard_normal(4),
                       "moving_variance": rng.uniform(0.5, 2, 4)})
    result = gradcheck(layer, rng.standard_normal((5, 3, 4)), training=training, ops=ops)
    assert result.ok, str(result)


def test_batch_normalization_in_a_model_trains_saves_and_loads(tmp_path):
    """After Dense and after Conv2D; the moving averages are saved; predictions bit-identical."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6, 6, 2)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 64)]
    model = dz.Sequential([dz.Conv2D(4, 3), dz.BatchNormalization(), dz.Activation("relu"), dz.Flatten(),
                           dz.Dense(8), dz.BatchNormalization(momentum=0.5), dz.Activation("relu"),
                           dz.Dense(3, activation="softmax")], input_shape=(6, 6, 2), seed=1)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    lines = []
    model.summary(print_fn=lines.append)
    assert "Non-trainable params: 24" in lines  # (4 + 8) channels x 2 moving averages
    moving_before = model.layers[1].get_weights()["moving_mean"].copy()
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.allclose(model.layers[1].get_weights()["moving_mean"], moving_before)
    model.save(tmp_path / "bn.dzm")
    loaded = dz.load_model(tmp_path / "bn.dzm")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [w.shape for w in model.get_weights()][:5] == [(3, 3, 2, 4), (4,), (4,), (4,), (4,)]


def test_the_optimizer_leaves_the_moving_averages_and_a_frozen_layer_uses_them():
    layer = dz.BatchNormalization()
    model = dz.Sequential([dz.Dense(3), layer], input_shape=(2,), seed=0)
    model.compile(optimizer="sgd", loss="mse")
    model.build()
    assert [key for key, _, _ in model.named_params] == [
        "dense/kernel", "dense/bias", "batch_normalization/gamma", "batch_normalization/beta"]
    layer.trainable = False
    x = np.random.default_rng(1).standard_normal((4, 2)).astype("float32")
    model.fit(x, np.zeros((4, 3), "float32"), epochs=1, verbose=0)
    weights = layer.get_weights()
    np.testing.assert_array_equal(weights["moving_mean"], np.zeros(3))  # inference mode: not updated
    np.testing.assert_array_equal(weights["moving_variance"], np.ones(3))


def test_batch_normalization_refuses_what_it_cannot_do():
    with pytest.raises(dz.errors.MissingFeatureError, match="axis=1 normalizes a channel axis that is not"):
        dz.Sequential([dz.BatchNormalization(axis=1)], input_shape=(4, 3)).build()
    dz.Sequential([dz.BatchNormalization(axis=2)], input_shape=(4, 3)).build()  # the last, counted as Keras
    with pytest.raises(dz.ConfigError, match=r"momentum must be a number in \[0, 1\), received 1.5"):
        dz.BatchNormalization(momentum=1.5)


def test_layer_normalization_matches_torch(ops):
    with np.load(REFERENCE) as data:
        case = {key.split("/")[-1]: data[key] for key in data.files if key.startswith("layer/")}
    layer = dz.LayerNormalization(dtype="float64")
    layer.ops = ops
    layer.build(case["x"].shape[1:])
    layer.set_weights({"gamma": case["gamma"], "beta": case["beta"]})
    for training in (True, False):  # no batch statistics: the same either way
        y, backward = layer.forward(ops.asarray(case["x"]), training=training)
        np.testing.assert_allclose(ops.to_host(y), case["y"], rtol=1e-10, atol=1e-12)
    dx = backward(ops.asarray(case["dy"]))
    np.testing.assert_allclose(ops.to_host(dx), case["dx"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ops.to_host(layer.grads["gamma"]), case["dgamma"], rtol=1e-10)
    np.testing.assert_allclose(ops.to_host(layer.grads["beta"]), case["dbeta"], rtol=1e-10)
    assert layer.count_params() == 8
