"""Precision, recall, top-k accuracy and MAE against scikit-learn, over several batches."""

import numpy as np
import pytest

import deepzoo as dz
from deepzoo import metrics

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def batches(*arrays, size=7):
    for start in range(0, len(arrays[0]), size):
        yield tuple(a[start:start + size] for a in arrays)


def run(metric, ops, y, t):
    metric.reset()
    for yb, tb in batches(y, t):
        metric.update(ops, ops.asarray(yb), ops.asarray(tb))
    return metric.result()


def test_binary_metrics_match_scikit_learn(ops):
    rng = np.random.default_rng(0)
    y, t = rng.uniform(0, 1, (40, 1)), rng.integers(0, 2, (40, 1)).astype(float)
    truth, predicted, sk = t.ravel(), (y > 0.5).ravel(), sklearn_metrics
    assert run(metrics.Precision(), ops, y, t) == pytest.approx(sk.precision_score(truth, predicted))
    assert run(metrics.Recall(), ops, y, t) == pytest.approx(sk.recall_score(truth, predicted))
    assert run(metrics.MeanAbsoluteErrorMetric(), ops, y, t) == pytest.approx(
        sklearn_metrics.mean_absolute_error(t, y))


def test_top_k_accuracy_matches_scikit_learn(ops):
    rng = np.random.default_rng(1)
    y, labels = rng.standard_normal((50, 8)), rng.integers(0, 8, 50)
    for k in (1, 3, 5):
        expected = sklearn_metrics.top_k_accuracy_score(labels, y, k=k, labels=range(8))
        assert run(metrics.TopKCategoricalAccuracy(k), ops, y, np.eye(8)[labels]) == pytest.approx(expected)


def test_the_metrics_by_name_in_fit():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((30, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = dz.Sequential([dz.Dense(1, activation="sigmoid")], input_shape=(3,), seed=0)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["precision", "recall", "mae"])
    history = model.fit(x, y, epochs=2, verbose=0)
    assert {"precision", "recall", "mae"} <= set(history.history)
    assert model.metrics_names == ["loss", "precision", "recall", "mae"]
