"""``keras.optimizers.schedules``: deepzoo's learning-rate schedules under their Keras names."""

from ...schedules import (
           CosineDecay,
           ExponentialDecay,
           LearningRateSchedule,
           PiecewiseConstantDecay,
           deserialize,
           serialize,
)

__all__ = ["CosineDecay", "ExponentialDecay", "LearningRateSchedule", "PiecewiseConstantDecay", "deserialize",
           "serialize"]
