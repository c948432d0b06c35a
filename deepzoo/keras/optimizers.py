"""``keras.optimizers``: deepzoo's optimizers (see "Coming from Keras" for their defaults)."""

from ..optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Optimizer, RMSprop, get
from ._missing import missing_names

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "get"]

__getattr__ = missing_names("keras.optimizers", {
    "Nadam": "", "Adamax": "", "Ftrl": "", "Lion": "", "schedules": "",
})
