"""deepzoo's built-in layers, one family per module.

``base``: the :class:`Layer` contract. ``dense``: Dense, Maxout.
``core``: Activation, Dropout, Flatten. Third-party layers register through the
``deepzoo.layers`` entry-point group (see :mod:`deepzoo.registry`).
"""

from .base import Layer
from .core import Activation, Dropout, Flatten
from .dense import Dense, Maxout

__all__ = ["Layer", "Dense", "Maxout", "Activation", "Dropout", "Flatten"]
