"""deepzoo's built-in layers, one family per module.

``base``: the :class:`Layer` contract. ``dense``: Dense, Maxout.
``core``: Activation, Dropout, Flatten. Third-party layers register through the
``deepzoo.layers`` entry-point group (see :mod:`deepzoo.registry`).
"""

from .base import Layer
from .core import Activation, Dropout, Flatten
from .dense import Dense, Maxout

__all__ = ["Layer", "Dense", "Maxout", "Activation", "Dropout", "Flatten", "create"]


def create(name: str, **config) -> Layer:
    """A layer from its registered name, built-in or plugin: ``create("dense", units=8)``."""
    from .. import registry

    return registry.layers.get(name).from_config(config)
