"""``keras.callbacks``: deepzoo's callbacks under their Keras names."""

from ..callbacks import (
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
from ._missing import missing_names

__all__ = ["CSVLogger", "Callback", "EarlyStopping", "History", "LambdaCallback", "LearningRateScheduler",
           "ModelCheckpoint", "ReduceLROnPlateau", "TerminateOnNaN"]

__getattr__ = missing_names("keras.callbacks", {
    "TensorBoard": "", "BackupAndRestore": "",
})
