"""``keras.optimizers``: deepzoo's optimizers with Keras 3's defaults and formulas.

Each class here is deepzoo's optimizer of the same name, created with
``formula="keras"`` (see :mod:`deepzoo.optimizers`) and the default
hyperparameters of Keras 3, so a Keras program's ``RMSprop()`` trains as it
would under Keras. A model file records the formula; it loads as deepzoo's own
class and trains on identically. Keras arguments deepzoo does not implement
(gradient clipping, ``centered``, ``amsgrad``, an exponential moving average)
are refused when given a value other than Keras's default. The names given to
``compile(optimizer="rmsprop")`` are deepzoo's registry: deepzoo's defaults.
"""

from __future__ import annotations

from ... import optimizers as _dz
from ...errors import MissingFeatureError
from ...optimizers import Optimizer, get
from .._missing import missing_names
from . import schedules

# Keras arguments deepzoo lacks, with the value that means "not used".
_UNSUPPORTED = {"weight_decay": None, "clipnorm": None, "clipvalue": None, "global_clipnorm": None,
                "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                "loss_scale_factor": None, "gradient_accumulation_steps": None,
                "momentum": 0.0, "centered": False, "amsgrad": False}


def _refuse_unsupported(cls, kwargs) -> None:
    """Accept Keras's ``name=``; raise for a Keras-only argument set to anything but its default."""
    kwargs.pop("name", None)
    for key, value in kwargs.items():
        if key not in _UNSUPPORTED:
            raise TypeError(f"keras.optimizers.{cls.__name__}() got an unexpected keyword argument {key!r}")
        if value != _UNSUPPORTED[key]:
            raise MissingFeatureError(f"keras.optimizers.{cls.__name__}({key}={value!r}) is a Keras feature "
                                      "that deepzoo does not implement yet.")


class SGD(_dz.SGD):
    __doc__ = _dz.SGD.__doc__
    saved_as = _dz.SGD

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, lr=None, **kwargs):
        _refuse_unsupported(SGD, kwargs)
        super().__init__(learning_rate, momentum, nesterov, lr)


class RMSprop(_dz.RMSprop):
    __doc__ = _dz.RMSprop.__doc__ + "\n\n    Keras 3's formula: ``p -= lr * g / sqrt(s + eps)``."
    saved_as = _dz.RMSprop

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, lr=None, **kwargs):
        _refuse_unsupported(RMSprop, kwargs)
        super().__init__(learning_rate, rho, epsilon, lr, formula="keras")


class Adagrad(_dz.Adagrad):
    __doc__ = _dz.Adagrad.__doc__ + "\n\n    Keras 3's formula, ``p -= lr * g / sqrt(s + eps)``, from 0.1."
    saved_as = _dz.Adagrad

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, lr=None, **kwargs):
        _refuse_unsupported(Adagrad, kwargs)
        super().__init__(learning_rate, epsilon, initial_accumulator_value, lr, formula="keras")


class Adadelta(_dz.Adadelta):
    __doc__ = _dz.Adadelta.__doc__ + "\n\n    Keras 3's defaults: ``learning_rate=0.001``, ``epsilon=1e-7``."
    saved_as = _dz.Adadelta

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, lr=None, **kwargs):
        _refuse_unsupported(Adadelta, kwargs)
        super().__init__(learning_rate, rho, epsilon, lr)


class Adam(_dz.Adam):
    __doc__ = _dz.Adam.__doc__ + "\n\n    Keras 3's formula: ``eps`` is added to ``sqrt(v)``, uncorrected."
    saved_as = _dz.Adam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None, **kwargs):
        _refuse_unsupported(Adam, kwargs)
        super().__init__(learning_rate, beta_1, beta_2, epsilon, lr, formula="keras")


class AdamW(_dz.AdamW):
    __doc__ = _dz.AdamW.__doc__
    saved_as = _dz.AdamW

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 lr=None, **kwargs):
        _refuse_unsupported(AdamW, kwargs)
        super().__init__(learning_rate, weight_decay, beta_1, beta_2, epsilon, lr, formula="keras")


class Adamax(_dz.Adamax):
    __doc__ = _dz.Adamax.__doc__
    saved_as = _dz.Adamax

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None, **kwargs):
        _refuse_unsupported(Adamax, kwargs)
        super().__init__(learning_rate, beta_1, beta_2, epsilon, lr)


class Nadam(_dz.Nadam):
    __doc__ = _dz.Nadam.__doc__
    saved_as = _dz.Nadam

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None, **kwargs):
        _refuse_unsupported(Nadam, kwargs)
        super().__init__(learning_rate, beta_1, beta_2, epsilon, lr)


__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "Optimizer", "RMSprop", "get",
           "schedules"]

__getattr__ = missing_names("keras.optimizers", {
    "Ftrl": "", "Lion": "", "Lamb": "",
})
