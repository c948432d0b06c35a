"""Keras 2's ``keras.layers.recurrent``: the same layers as :mod:`deepzoo.keras.layers`."""

from . import LSTM, SimpleRNN

__all__ = ["LSTM", "SimpleRNN"]
