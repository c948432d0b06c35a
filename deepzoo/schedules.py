r"""Learning-rate schedules: a learning rate that changes with the step count.

A schedule is given wherever a learning rate is (``Adam(learning_rate=schedule)``);
before each update the optimizer asks it for the rate of that step, counting the
steps it has taken from 0 (``optimizer.iterations``), as Keras does:

ExponentialDecay
    ``lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)``; with
    ``staircase`` the exponent is rounded down, so the rate drops every ``decay_steps``.
PiecewiseConstantDecay
    ``values[0]`` up to and including step ``boundaries[0]``, ``values[1]`` up to
    ``boundaries[1]``, ..., ``values[-1]`` after the last boundary.
CosineDecay
    from ``initial_learning_rate`` down to ``alpha * initial_learning_rate`` along half
    a cosine over ``decay_steps`` steps, then constant:
    ``lr = initial * ((1 - alpha) * (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2 + alpha)``.

Callbacks change a rate between epochs instead
(:class:`~deepzoo.callbacks.LearningRateScheduler`,
:class:`~deepzoo.callbacks.ReduceLROnPlateau`).
"""

from __future__ import annotations

import math

from .errors import ConfigError
from .validation import number_in, positive_int


class LearningRateSchedule:
    """Base class: ``schedule(step)`` is the learning rate of step ``step`` (from 0)."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _rate(where, name, value) -> float:
    return number_in(where, name, value, 0, float("inf"), low_open=True, high_open=True)


class ExponentialDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        where = "ExponentialDecay"
        self.initial_learning_rate = _rate(where, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = positive_int(where, "decay_steps", decay_steps)
        self.decay_rate = _rate(where, "decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def __call__(self, step):
        exponent = step / self.decay_steps
        if self.staircase:
            exponent = math.floor(exponent)
        return self.initial_learning_rate * self.decay_rate ** exponent

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase}


class PiecewiseConstantDecay(LearningRateSchedule):
    def __init__(self, boundaries, values, name=None):
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ConfigError(f"PiecewiseConstantDecay: values must have one more entry than boundaries, "
                              f"received {len(boundaries)} boundaries and {len(values)} values")
        self.boundaries = [positive_int("PiecewiseConstantDecay", "boundaries", b) for b in boundaries]
        if self.boundaries != sorted(set(self.boundaries)):
            raise ConfigError(f"PiecewiseConstantDecay: boundaries must increase, received {boundaries}")
        self.values = [_rate("PiecewiseConstantDecay", "values", v) for v in values]

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values}


class CosineDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None):
        where = "CosineDecay"
        self.initial_learning_rate = _rate(where, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = positive_int(where, "decay_steps", decay_steps)
        self.alpha = number_in(where, "alpha", alpha, 0, 1)

    def __call__(self, step):
        progress = min(step, self.decay_steps) / self.decay_steps
        return self.initial_learning_rate * ((1 - self.alpha) * 0.5 * (1 + math.cos(math.pi * progress))
                                             + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha}


_CLASSES = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, CosineDecay)}


def serialize(schedule: LearningRateSchedule) -> dict:
    """A schedule as JSON-ready data, for model files."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(data: dict) -> LearningRateSchedule:
    """The schedule :func:`serialize` wrote (a ConfigError for anything else)."""
    if not isinstance(data, dict) or data.get("class_name") not in _CLASSES:
        raise ConfigError(f"unknown learning-rate schedule {data!r}: deepzoo has {', '.join(_CLASSES)}")
    return _CLASSES[data["class_name"]].from_config(data.get("config", {}))
