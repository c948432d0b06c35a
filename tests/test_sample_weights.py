"""fit(class_weight=..., sample_weight=...): Keras's weighting, checked against PyTorch's
weighted losses (reference values generated once, below) and by what training does."""

import numpy as np
import pytest

import deepzoo as dz

Y = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.25, 0.5, 0.25]])
T = np.eye(3)[[0, 2, 2, 1]]
W = np.array([1.0, 3.0, 0.5, 2.0])
# printed by torch 2.13 (CPU, float64): y = torch.tensor(Y, requires_grad=True);
# v = (nll_loss(log(y), [0, 2, 2, 1], reduction="none") * W).sum() / 4; v.backward()
TORCH_VALUE = 1.4532582709933772
TORCH_GRAD = np.array([[-0.35714285714285715, 0, 0], [0, 0, -2.5], [0, 0, -0.3125], [0, -1.0, 0]])


def test_weighted_categorical_crossentropy_matches_torch(ops):
    loss = dz.losses.CategoricalCrossentropy()
    value, grad = loss.weighted(ops, ops.asarray(Y), ops.asarray(T), W)
    assert value == pytest.approx(TORCH_VALUE, rel=1e-12)
    np.testing.assert_allclose(ops.to_host(grad), TORCH_GRAD, rtol=1e-12)


def test_weights_of_one_give_the_plain_loss_for_mean_and_sum_losses(ops):
    rng = np.random.default_rng(0)
    y, t = rng.standard_normal((5, 3, 2)), rng.standard_normal((5, 3, 2))
    for loss in (dz.losses.MeanSquaredError(), dz.losses.get("sum_squared_error"), dz.losses.Huber()):
        plain, plain_grad = loss.forward(ops, ops.asarray(y), ops.asarray(t))
        value, grad = loss.weighted(ops, ops.asarray(y), ops.asarray(t), np.ones(5))
        assert value == pytest.approx(plain, rel=1e-12), loss.name
        np.testing.assert_allclose(ops.to_host(grad), ops.to_host(plain_grad), rtol=1e-12)


def test_class_weight_is_sample_weight_by_class():
    """Two models from the same seed, one with class_weight, one with the equal sample_weight."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 3)).astype("float32")
    y = (x[:, 0] + 0.3 * rng.standard_normal(40) > 0.6).astype("float32")
    runs = []
    for kwargs in ({"class_weight": {0: 1.0, 1: 2.5}}, {"sample_weight": np.where(y == 1, 2.5, 1.0)}):
        model = dz.Sequential([dz.Dense(1, activation="sigmoid")], input_shape=(3,), seed=0)
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        runs.append(model.fit(x, y, batch_size=8, epochs=3, verbose=0, **kwargs).history["loss"])
    assert runs[0] == runs[1]


def test_class_weight_raises_the_recall_of_the_rare_class():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 2)).astype("float32")
    y = (x[:, 0] + 0.8 * rng.standard_normal(300) > 1.0).astype("float32")  # about one in five is 1
    recalls = []
    for class_weight in (None, {0: 1.0, 1: float((y == 0).sum() / (y == 1).sum())}):
        model = dz.Sequential([dz.Dense(1, activation="sigmoid")], input_shape=(2,), seed=0)
        model.compile(optimizer=dz.Adam(0.05), loss="binary_crossentropy")
        model.fit(x, y, batch_size=32, epochs=20, verbose=0, class_weight=class_weight)
        predicted = model.predict(x).ravel() > 0.5
        recalls.append(predicted[y == 1].mean())
    assert recalls[1] > recalls[0] + 0.2, recalls


def test_weights_are_checked():
    model = dz.Sequential([dz.Dense(3, activation="softmax")], input_shape=(2,))
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x, y = np.zeros((4, 2), "float32"), np.eye(3)[[0, 1, 2, 0]]
    with pytest.raises(dz.DataError, match=r"sample_weight must hold one finite weight >= 0 per sample, "
                                           r"shape \(4,\); received shape \(3,\)"):
        model.fit(x, y, sample_weight=np.ones(3), verbose=0)
    with pytest.raises(dz.ConfigError, match="class_weight must map class numbers"):
        model.fit(x, y, class_weight={"a": 1.0}, verbose=0)
