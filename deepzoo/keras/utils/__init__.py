"""``keras.utils``: :func:`to_categorical` (and Keras 2's ``np_utils``)."""

from ...datasets import to_categorical
from . import np_utils

__all__ = ["np_utils", "to_categorical"]
