"""Metrics: figures reported during training that the optimizer does not follow.

A metric accumulates over the batches of an epoch (``update``) and reports one
number (``result``). ``"accuracy"`` picks the right accuracy for the loss, as
Keras does: categorical for one-hot targets, sparse for integer labels, binary
for a sigmoid output.
"""

from __future__ import annotations

import numpy as np

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


class CountingMetric(Metric):
    """A share of hits whose count is kept where the Ops keep their arrays: on a GPU it
    grows on the device batch after batch and is read back only when :meth:`result`
    is asked for (see the ``into`` argument of the Ops' ``count_*`` methods)."""

    _hits = None  # (ops, counter): the hits counted since the last reset

    def reset(self):
        super().reset()
        if self._hits is not None:
            ops, counter = self._hits
            ops.fill(counter, 0)

    def counter(self, ops):
        """The counter on ``ops`` that ``update`` adds its hits to."""
        if self._hits is None or self._hits[0] is not ops:
            self.total += self._read()
            self._hits = (ops, ops.alloc((1,), "int64"))
        return self._hits[1]

    def _read(self) -> int:
        if self._hits is None:
            return 0
        ops, counter = self._hits
        return int(ops.to_host(counter)[0])

    def result(self) -> float:
        return (self.total + self._read()) / self.count if self.count else float("nan")


class CategoricalAccuracy(CountingMetric):
    """Share of positions (samples, or time steps of samples) whose largest output is
    at the target's largest entry."""

    name = "accuracy"

    def update(self, ops, y, t):
        ops.count_argmax_equal(y, t, into=self.counter(ops))
        self.count += t.size // t.shape[t.ndim - 1]  # positions: all but the class axis


class SparseCategoricalAccuracy(CountingMetric):
    """Share of positions whose largest output is at the integer label."""

    name = "accuracy"

    def update(self, ops, y, labels):
        ops.count_argmax_label(y, labels, into=self.counter(ops))
        self.count += labels.size


class BinaryAccuracy(CountingMetric):
    """Share of outputs on the same side of 0.5 as their target."""

    name = "accuracy"

    def update(self, ops, y, t):
        ops.count_threshold_equal(y, t, 0.5, into=self.counter(ops))
        self.count += y.size


class MeanSquaredErrorMetric(Metric):
    """Mean of (y - t)^2 over every output."""

    name = "mse"

    def update(self, ops, y, t):
        self.total += ops.sum_squared_difference(y, t)
        self.count += y.size


class MeanAbsoluteErrorMetric(Metric):
    """Mean of abs(y - t) over every output."""

    name = "mae"

    def update(self, ops, y, t):
        self.total += float(np.abs(ops.to_host(y) - ops.to_host(t)).sum())
        self.count += y.size


class _Confusion(Metric):
    """Counts of a binary classifier's outcomes, thresholding outputs and targets at 0.5
    (as Keras's ``Precision`` and ``Recall``); computed on the host."""

    def reset(self):
        self.true_positives = self.false_positives = self.false_negatives = 0

    def update(self, ops, y, t):
        predicted, actual = ops.to_host(y) > 0.5, ops.to_host(t) > 0.5
        self.true_positives += int(np.sum(predicted & actual))
        self.false_positives += int(np.sum(predicted & ~actual))
        self.false_negatives += int(np.sum(~predicted & actual))


class Precision(_Confusion):
    """Of the outputs above 0.5, the share whose target is 1: ``TP / (TP + FP)`` (0 with none)."""

    name = "precision"

    def result(self):
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 0.0


class Recall(_Confusion):
    """Of the targets that are 1, the share the model put above 0.5: ``TP / (TP + FN)`` (0 with none)."""

    name = "recall"

    def result(self):
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 0.0


class TopKCategoricalAccuracy(Metric):
    """Share of positions whose target class is among the ``k`` largest outputs (Keras's
    default k = 5); ties count as Keras counts them, by the order of the sort."""

    name = "top_k_categorical_accuracy"

    def __init__(self, k=5):
        self.k = k
        super().__init__()

    def update(self, ops, y, t):
        y, t = ops.to_host(y), ops.to_host(t)
        classes = y.shape[-1]
        y, target = y.reshape(-1, classes), t.reshape(-1, classes).argmax(axis=1)
        top = np.argsort(-y, axis=1, kind="stable")[:, :self.k]
        self.total += int(np.sum(top == target[:, None]))
        self.count += len(y)


def get(spec, loss) -> Metric:
    """A fresh metric from a registered name (``"mse"``, ``"binary_accuracy"``...), a Metric
    class or instance; ``"accuracy"`` (or ``"acc"``) is the accuracy the loss declares."""
    if spec in ("accuracy", "acc"):
        spec = loss.accuracy
    return registry.metrics.resolve(spec, Metric)


def confusion_matrix(true_labels, predicted_labels, classes=None):
    """``matrix[i, j]`` = how many samples of class ``i`` were predicted as ``j`` (host arrays)."""
    true_labels = np.asarray(true_labels, dtype=np.int64)
    predicted_labels = np.asarray(predicted_labels, dtype=np.int64)
    if true_labels.shape != predicted_labels.shape:
        raise ConfigError(f"confusion_matrix: {true_labels.shape[0]} true labels but "
                          f"{predicted_labels.shape[0]} predictions")
    k = classes or int(max(true_labels.max(), predicted_labels.max())) + 1
    return np.bincount(true_labels * k + predicted_labels, minlength=k * k).reshape(k, k)
