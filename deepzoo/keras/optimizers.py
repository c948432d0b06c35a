"""``keras.optimizers``: deepzoo's optimizers (see "Coming from Keras" for their defaults)."""

from ..optimizers import SGD, Adadelta, Adagrad, Adam, Optimizer, RMSprop, get
from ._missing import missing_names

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "Optimizer", "RMSprop", "get"]

__getattr__ = missing_names("keras.optimizers", {
    "Nadam": "", "AdamW": "", "Adamax": "", "Ftrl": "", "Lion": "", "schedules": "",
})
