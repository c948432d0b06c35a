"""``keras.callbacks``: deepzoo's callbacks under their Keras names."""

from ..callbacks import Callback, EarlyStopping, History, ModelCheckpoint, TerminateOnNaN
from ._missing import missing_names

__all__ = ["Callback", "EarlyStopping", "History", "ModelCheckpoint", "TerminateOnNaN"]

__getattr__ = missing_names("keras.callbacks", {
    "ReduceLROnPlateau": "", "LearningRateScheduler": "", "CSVLogger": "", "LambdaCallback": "",
    "TensorBoard": "",
})
