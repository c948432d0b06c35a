"""``keras.losses``: deepzoo's losses under their Keras names."""

from ..losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
    get,
)
from ._missing import missing_names

#: Keras's lower-case names, for ``compile(loss=keras.losses.categorical_crossentropy)``
categorical_crossentropy = CategoricalCrossentropy
sparse_categorical_crossentropy = SparseCategoricalCrossentropy
binary_crossentropy = BinaryCrossentropy
mean_squared_error = mse = MeanSquaredError

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "Loss", "MeanSquaredError",
           "SparseCategoricalCrossentropy", "binary_crossentropy", "categorical_crossentropy", "get",
           "mean_squared_error", "mse", "sparse_categorical_crossentropy"]

__getattr__ = missing_names("keras.losses", {
    "MeanAbsoluteError": "", "Huber": "", "KLDivergence": "", "Hinge": "", "CosineSimilarity": "",
})
