"""``keras.metrics``: deepzoo's metrics under their Keras names."""

from ..metrics import (
    BinaryAccuracy,
    CategoricalAccuracy,
    MeanAbsoluteErrorMetric,
    Metric,
    Precision,
    Recall,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
)
from ._missing import missing_names

MeanAbsoluteError = MeanAbsoluteErrorMetric

__all__ = ["BinaryAccuracy", "CategoricalAccuracy", "MeanAbsoluteError", "Metric", "Precision", "Recall",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy"]

__getattr__ = missing_names("keras.metrics", {"AUC": "", "F1Score": "", "MeanIoU": ""})
