"""deepzoo's built-in layers, one family per module.

``base``: the :class:`Layer` contract. ``dense``: Dense, Maxout.
``core``: Activation, Dropout, Flatten, RepeatVector, Reshape, and the
activation layers ReLU, LeakyReLU, ELU, Softmax. ``conv``: Conv2D.
``pool``: MaxPool2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D.
``normalization``: BatchNormalization. ``recurrent``: SimpleRNN, LSTM.
``wrappers``: TimeDistributed. Third-party layers register through the
``deepzoo.layers`` entry-point group (see :mod:`deepzoo.registry`).
"""

from .base import Layer
from .conv import Conv2D
from .core import (
    ELU,
    Activation,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    LeakyReLU,
    ReLU,
    RepeatVector,
    Reshape,
    Softmax,
)
from .dense import Dense, Maxout
from .normalization import BatchNormalization
from .pool import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPool2D
from .recurrent import LSTM, SimpleRNN
from .wrappers import TimeDistributed

__all__ = ["Layer", "Dense", "Maxout", "Activation", "Dropout", "Flatten", "Conv2D", "MaxPool2D",
           "AveragePooling2D", "LSTM", "SimpleRNN", "RepeatVector", "TimeDistributed", "Input",
           "InputLayer", "Reshape", "ReLU", "LeakyReLU", "ELU", "Softmax", "GlobalAveragePooling2D",
           "GlobalMaxPooling2D", "BatchNormalization", "create"]


def create(name: str, **config) -> Layer:
    """A layer from its registered name, built-in or plugin: ``create("dense", units=8)``."""
    from .. import registry

    return registry.layers.get(name).from_config(config)
