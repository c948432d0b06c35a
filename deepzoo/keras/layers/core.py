"""Keras 2's ``keras.layers.core``: the same layers as :mod:`deepzoo.keras.layers`."""

from . import Activation, Dense, Dropout, Flatten, RepeatVector

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "RepeatVector"]
