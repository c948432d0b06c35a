"""deepzoo: an educational deep-learning library.

A small, readable zoo of layers, activations, losses and optimizers, a
Keras-like :class:`Sequential` model, numba kernels on the CPU, and a plugin
registry fed by Python entry points. Start with ``deepzoo demo xor``.

Importing deepzoo is cheap: numba, matplotlib and plugins are imported only
when first needed.
"""

from . import activations, initializers, losses, metrics, optimizers, registry, regularizers, schedules
from ._version import __version__
from .backend import available_backends, get_ops, set_backend
from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from .errors import (
    BackendError,
    ConfigError,
    DataError,
    DeepZooError,
    ModelFileError,
    NotBuiltError,
    RegistryError,
    ShapeError,
)
from .gradcheck import GradcheckResult, GradientCheckError, gradcheck
from .layers import (
    ELU,
    GRU,
    LSTM,
    Activation,
    AveragePooling1D,
    AveragePooling2D,
    BatchNormalization,
    Bidirectional,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    Input,
    InputLayer,
    Layer,
    LayerNormalization,
    LeakyReLU,
    Maxout,
    MaxPool2D,
    MaxPooling1D,
    PReLU,
    ReLU,
    RepeatVector,
    Reshape,
    SimpleRNN,
    Softmax,
    TimeDistributed,
    ZeroPadding2D,
)
from .model import Sequential, load_model
from .optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop
from .registry import (
    register_activation,
    register_demo,
    register_initializer,
    register_layer,
    register_loss,
    register_metric,
    register_optimizer,
)
from .seeding import set_seed

__all__ = [
    "__version__",
    "Sequential",
    "Layer", "Dense", "Maxout", "Activation", "Dropout", "Flatten", "Conv2D", "MaxPool2D",
    "AveragePooling2D", "LSTM", "SimpleRNN", "RepeatVector", "TimeDistributed",
    "Input", "InputLayer", "Reshape", "ReLU", "LeakyReLU", "ELU", "Softmax",
    "GlobalAveragePooling2D", "GlobalMaxPooling2D", "BatchNormalization", "Conv1D", "MaxPooling1D",
    "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Embedding", "GRU",
    "LayerNormalization", "PReLU", "ZeroPadding2D", "Bidirectional",
    "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam",
    "Callback", "History", "EarlyStopping", "TerminateOnNaN", "ModelCheckpoint", "CSVLogger",
    "LambdaCallback", "LearningRateScheduler", "ReduceLROnPlateau",
    "gradcheck", "GradcheckResult", "GradientCheckError",
    "get_ops", "set_backend", "available_backends", "set_seed",
    "register_layer", "register_activation", "register_loss", "register_optimizer",
    "register_initializer", "register_metric", "register_demo",
    "activations", "initializers", "losses", "metrics", "optimizers", "registry", "regularizers", "schedules",
    "DeepZooError", "ShapeError", "ConfigError", "DataError", "RegistryError",
    "BackendError", "NotBuiltError", "ModelFileError", "load_model",
]


def __getattr__(name):
    """``deepzoo.keras`` (the Keras-style facade), imported when first used."""
    if name == "keras":
        import importlib

        return importlib.import_module(".keras", __name__)  # not `from . import`: that asks here again
    raise AttributeError(f"module 'deepzoo' has no attribute {name!r}")
