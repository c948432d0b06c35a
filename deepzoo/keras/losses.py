"""``keras.losses``: deepzoo's losses under their Keras names."""

from ..losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Hinge,
    Huber,
    KLDivergence,
    Loss,
    MeanAbsoluteError,
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
mean_absolute_error = mae = MeanAbsoluteError
huber = Huber
kl_divergence = kld = KLDivergence
hinge = Hinge

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "Hinge", "Huber", "KLDivergence", "Loss",
           "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy", "binary_crossentropy",
           "categorical_crossentropy", "get", "hinge", "huber", "kl_divergence", "kld", "mae",
           "mean_absolute_error", "mean_squared_error", "mse", "sparse_categorical_crossentropy"]

__getattr__ = missing_names("keras.losses", {
    "CosineSimilarity": "", "SquaredHinge": "", "Poisson": "",
})
