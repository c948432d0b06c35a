"""Keras's module layout over deepzoo's own objects.

A Keras 2 or Keras 3 program that uses only what deepzoo implements runs after
its imports change::

    import keras                         ->  from deepzoo import keras
    from keras.layers import Dense       ->  from deepzoo.keras.layers import Dense
    from tensorflow import keras         ->  from deepzoo import keras

Every name here is one of deepzoo's own objects under its Keras name: there is no
second implementation. A Keras name that deepzoo lacks raises
:class:`~deepzoo.errors.MissingFeatureError` saying so. See the "Coming from
Keras" page of the documentation.
"""

from . import (
           activations,
           backend,
           callbacks,
           datasets,
           initializers,
           layers,
           losses,
           metrics,
           models,
           optimizers,
           regularizers,
           utils,
)
from ._missing import missing_names
from .layers import Input
from .models import Sequential

__all__ = ["Input", "Sequential", "activations", "backend", "callbacks", "datasets", "initializers",
           "layers", "losses", "metrics", "models", "optimizers", "regularizers", "utils"]

__getattr__ = missing_names("keras", {
    "Model": "Build the network as a Sequential model (the functional API is not in deepzoo).",
    "applications": "", "mixed_precision": "", "preprocessing": "",
})
