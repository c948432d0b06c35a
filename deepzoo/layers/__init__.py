"""deepzoo's built-in layers, one family per module.

``base``: the :class:`Layer` contract. ``dense``: Dense, Maxout.
``core``: Activation, Dropout, Flatten, RepeatVector, Reshape, and the
activation layers ReLU, LeakyReLU, PReLU, ELU, Softmax. ``conv``: Conv2D, Conv1D, ZeroPadding2D.
``pool``: MaxPool2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D
and their 1-D forms.
``embedding``: Embedding. ``normalization``: BatchNormalization, LayerNormalization.
``recurrent``: SimpleRNN, LSTM, GRU.
``wrappers``: TimeDistributed, Bidirectional. Third-party layers register through the
``deepzoo.layers`` entry-point group (see :mod:`deepzoo.registry`).
"""

from .base import Layer
from .conv import Conv1D, Conv2D, ZeroPadding2D
from .core import (
    ELU,
    Activation,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    LeakyReLU,
    PReLU,
    ReLU,
    RepeatVector,
    Reshape,
    Softmax,
)
from .dense import Dense, Maxout
from .embedding import Embedding
from .normalization import BatchNormalization, LayerNormalization
from .pool import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool2D,
    MaxPooling1D,
)
from .recurrent import GRU, LSTM, SimpleRNN
from .wrappers import Bidirectional, TimeDistributed

__all__ = ["Layer", "Dense", "Maxout", "Activation", "Dropout", "Flatten", "Conv2D", "MaxPool2D",
           "AveragePooling2D", "LSTM", "SimpleRNN", "RepeatVector", "TimeDistributed", "Input",
           "InputLayer", "Reshape", "ReLU", "LeakyReLU", "ELU", "Softmax", "GlobalAveragePooling2D",
           "GlobalMaxPooling2D", "BatchNormalization", "Conv1D", "MaxPooling1D", "AveragePooling1D",
           "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Embedding", "GRU", "LayerNormalization",
           "PReLU", "ZeroPadding2D", "Bidirectional", "create"]


def create(name: str, **config) -> Layer:
    """A layer from its registered name, built-in or plugin: ``create("dense", units=8)``."""
    from .. import registry

    return registry.layers.get(name).from_config(config)
