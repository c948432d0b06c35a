"""Small helpers to prepare data: one-hot labels and random splits."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError


def one_hot(labels, classes=None, dtype="float32") -> np.ndarray:
    """Integer labels ``(N,)`` as one-hot rows ``(N, classes)``."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iub":
        raise DataError(f"one_hot expects a 1-D array of integer labels, received {labels.dtype} "
                        f"array of shape {labels.shape}")
    classes = int(labels.max()) + 1 if classes is None else classes
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise DataError(f"one_hot: labels must lie in [0, {classes - 1}], received "
                        f"{labels.min()} to {labels.max()}")
    return np.eye(classes, dtype=dtype)[labels]


def to_categorical(y, num_classes=None, dtype="float32") -> np.ndarray:
    """Keras's ``to_categorical``: class labels as one-hot rows.

    ``y`` may be a 1-D array of labels or an ``(N, 1)`` column, of integers or of
    floats with integral values (``3.0``), as Keras accepts; ``num_classes``
    defaults to the largest label plus one.
    """
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            raise DataError("to_categorical expects class labels: integers, or floats with integral "
                            "values; received fractions, NaN or infinity")
        labels = labels.astype(np.int64)
    if labels.ndim != 1:
        raise DataError(f"to_categorical expects labels of shape (N,) or (N, 1), received shape "
                        f"{np.asarray(y).shape}")
    return one_hot(labels, num_classes, dtype)


def train_test_split(*arrays, test_fraction=0.2, seed=None, shuffle=True):
    """Split arrays of equal length into train and test parts.

    Returns ``train_0, test_0, train_1, test_1, ...`` (as scikit-learn does).
    With ``shuffle`` the rows are permuted first by a generator seeded with ``seed``.
    """
    if not arrays:
        raise ConfigError("train_test_split needs at least one array")
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise DataError(f"train_test_split: arrays must have the same length, received "
                        f"{[len(a) for a in arrays]}")
    if not 0 < test_fraction < 1:
        raise ConfigError(f"train_test_split: test_fraction must be in (0, 1), received {test_fraction!r}")
    n_test = int(round(n * test_fraction))
    if n_test < 1 or n_test >= n:
        raise ConfigError(f"train_test_split: {test_fraction} of {n} samples leaves an empty part")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    test, train = order[:n_test], order[n_test:]
    out = []
    for a in arrays:
        a = np.asarray(a)
        out += [a[train], a[test]]
    return out
