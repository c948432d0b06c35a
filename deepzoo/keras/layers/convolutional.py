"""Keras 2's ``keras.layers.convolutional``: the same layers as :mod:`deepzoo.keras.layers`."""

from . import AveragePooling2D, Conv2D, MaxPooling2D

__all__ = ["AveragePooling2D", "Conv2D", "MaxPooling2D"]
