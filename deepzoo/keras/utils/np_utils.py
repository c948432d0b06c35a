"""Keras 2's ``keras.utils.np_utils``."""

from ...datasets import to_categorical

__all__ = ["to_categorical"]
