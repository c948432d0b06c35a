"""Metrics: figures reported during training that the optimizer does not follow.

A metric accumulates over the batches of an epoch (``update``) and reports one
number (``result``). ``"accuracy"`` picks the right accuracy for the loss, as
Keras does: categorical for one-hot targets, sparse for integer labels, binary
for a sigmoid output.
"""

from __future__ import annotations

from . import registry
from .errors import ConfigError


class Metric:
    """Base class: ``update`` per batch, ``result`` for the epoch, ``reset`` between epochs."""

    name = "metric"

    def __init__(self):
        self.reset()

    def reset(self):
        self.total = 0.0
        self.count = 0

    def update(self, ops, y, t) -> None:
        raise NotImplementedError

    def result(self) -> float:
        return self.total / self.count if self.count else float("nan")


class CategoricalAccuracy(Metric):
    """Share of positions (samples, or time steps of samples) whose largest output is
    at the target's largest entry."""

    name = "accuracy"

    def update(self, ops, y, t):
        self.total += ops.count_argmax_equal(y, t)
        self.count += t.size // t.shape[t.ndim - 1]  # positions: all but the class axis


class SparseCategoricalAccuracy(Metric):
    """Share of positions whose largest output is at the integer label."""

    name = "accuracy"

    def update(self, ops, y, labels):
        self.total += ops.count_argmax_label(y, labels)
        self.count += labels.size


class BinaryAccuracy(Metric):
    """Share of outputs on the same side of 0.5 as their target."""

    name = "accuracy"

    def update(self, ops, y, t):
        self.total += ops.count_threshold_equal(y, t, 0.5)
        self.count += y.size


class MeanSquaredErrorMetric(Metric):
    """Mean of (y - t)^2 over every output."""

    name = "mse"

    def update(self, ops, y, t):
        self.total += ops.sum_squared_difference(y, t)
        self.count += y.size


def get(spec, loss) -> Metric:
    """A fresh metric from a registered name (``"mse"``, ``"binary_accuracy"``...), a Metric
    class or instance; ``"accuracy"`` (or ``"acc"``) is the accuracy the loss declares."""
    if spec in ("accuracy", "acc"):
        spec = loss.accuracy
    return registry.metrics.resolve(spec, Metric)


def confusion_matrix(true_labels, predicted_labels, classes=None):
    """``matrix[i, j]`` = how many samples of class ``i`` were predicted as ``j`` (host arrays)."""
    import numpy as np

    true_labels = np.asarray(true_labels, dtype=np.int64)
    predicted_labels = np.asarray(predicted_labels, dtype=np.int64)
    if true_labels.shape != predicted_labels.shape:
        raise ConfigError(f"confusion_matrix: {true_labels.shape[0]} true labels but "
                          f"{predicted_labels.shape[0]} predictions")
    k = classes or int(max(true_labels.max(), predicted_labels.max())) + 1
    return np.bincount(true_labels * k + predicted_labels, minlength=k * k).reshape(k, k)
