"""``keras.metrics``: deepzoo's metrics under their Keras names."""

from ..metrics import BinaryAccuracy, CategoricalAccuracy, Metric, SparseCategoricalAccuracy
from ._missing import missing_names

__all__ = ["BinaryAccuracy", "CategoricalAccuracy", "Metric", "SparseCategoricalAccuracy"]

__getattr__ = missing_names("keras.metrics", {
    "Precision": "", "Recall": "", "AUC": "", "MeanAbsoluteError": "", "TopKCategoricalAccuracy": "",
})
