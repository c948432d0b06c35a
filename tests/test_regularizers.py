"""kernel_regularizer / bias_regularizer: the penalty joins the loss and its gradient the step."""

import numpy as np
import pytest

import deepzoo as dz
from deepzoo import regularizers


def one_step(regularizer, x, y):
    model = dz.Sequential([dz.Dense(3, kernel_regularizer=regularizer, bias_regularizer=regularizer)],
                          input_shape=(4,), seed=0, dtype="float64")
    model.compile(optimizer=dz.SGD(0.1), loss="mse")
    model.build()
    before = model.get_weights_by_layer()["dense"]
    loss = model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0).history["loss"][0]
    return before, model.get_weights_by_layer()["dense"], loss


@pytest.mark.parametrize("name,l1,l2", [("l1", 0.01, 0.0), ("l2", 0.0, 0.01), ("l1_l2", 0.01, 0.01)])
def test_the_penalty_is_added_to_the_loss_and_its_gradient_to_the_step(name, l1, l2):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    before, plain_after, plain_loss = one_step(None, x, y)
    _, after, loss = one_step(name, x, y)
    penalty = sum(l1 * np.abs(w).sum() + l2 * np.square(w).sum() for w in before.values())
    assert loss == pytest.approx(plain_loss + penalty, rel=1e-12)
    for key, w in before.items():  # SGD: p -= 0.1 * (dL/dp + l1 sign(p) + 2 l2 p)
        expected = plain_after[key] - 0.1 * (l1 * np.sign(w) + 2 * l2 * w)
        np.testing.assert_allclose(after[key], expected, rtol=1e-12, atol=1e-15)


def test_regularizers_by_name_config_and_in_model_files(tmp_path):
    assert regularizers.get("l2").l2 == 0.01 and regularizers.get("l1_l2").get_config() == {
        "name": "l1_l2", "l1": 0.01, "l2": 0.01}
    layer = dz.Conv2D(2, 3, kernel_regularizer=regularizers.l2(0.001))
    assert dz.Conv2D.from_config(layer.get_config()).regularizers["kernel"].l2 == 0.001
    model = dz.Sequential([dz.Dense(2, kernel_regularizer="l1")], input_shape=(3,))
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.dzm")
    assert dz.load_model(tmp_path / "m.dzm").layers[0].regularizers["kernel"].l1 == 0.01
    with pytest.raises(dz.ConfigError, match="unknown regularizer 'l3'"):
        dz.Dense(2, kernel_regularizer="l3")
    with pytest.raises(dz.ConfigError, match=r"l2 must be a number in \[0, inf\), received -1"):
        regularizers.L2(-1)


def test_evaluate_includes_the_penalty_and_a_frozen_layer_has_none():
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
    model = dz.Sequential([dz.Dense(2, kernel_regularizer="l2", kernel_initializer="ones")], input_shape=(3,))
    model.compile(optimizer="sgd", loss="mse")
    assert model.evaluate(x, y) == pytest.approx(9.0 + 0.01 * 6, rel=1e-6)  # (1+1+1)^2 + 0.01 * 6 ones
    model.layers[0].trainable = False
    assert model.evaluate(x, y) == pytest.approx(9.0, rel=1e-6)
