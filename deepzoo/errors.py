"""The exceptions deepzoo raises.

Every error a learner can cause by mistake derives from :class:`DeepZooError`,
so ``except deepzoo.DeepZooError`` catches them all. The subclasses also derive
from the matching built-in exception (``ValueError``, ``LookupError``...), so
code written against the standard exceptions keeps working.
"""


class DeepZooError(Exception):
    """Base class of every deepzoo error."""


class ShapeError(DeepZooError, ValueError):
    """An array does not have the shape a layer, loss or model expects."""


class ConfigError(DeepZooError, ValueError):
    """An argument or hyperparameter is out of range or of the wrong type."""


class DataError(DeepZooError, ValueError):
    """Training or prediction data is unusable (NaN, wrong dtype, mismatched lengths)."""


class RegistryError(DeepZooError, LookupError):
    """A name is unknown to a registry, or registering it would clash with another."""

    def __str__(self):  # LookupError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class BackendError(DeepZooError, RuntimeError):
    """The requested compute backend cannot be used on this machine."""


class NotBuiltError(DeepZooError, RuntimeError):
    """A layer or model was used before its input shape was known."""


class ModelFileError(DeepZooError, ValueError):
    """A model or weights file is corrupt, truncated, hostile or from an unknown format."""


class MissingFeatureError(DeepZooError, NotImplementedError):
    """A Keras feature, name or argument that deepzoo does not implement (yet)."""
