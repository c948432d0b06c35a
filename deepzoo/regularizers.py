r"""Weight penalties added to the loss: ``kernel_regularizer=`` and ``bias_regularizer=``.

A regularizer turns a parameter ``w`` into a penalty that training adds to the
loss, and into that penalty's gradient, which it adds to the parameter's:

==========  ==========================================  ===========================
name        penalty                                     gradient
==========  ==========================================  ===========================
l1          ``l1 * sum(abs(w))``                        ``l1 * sign(w)``
l2          ``l2 * sum(w ** 2)``                        ``2 * l2 * w``
l1_l2       both                                        both
==========  ==========================================  ===========================

As in Keras, a name stands for factors of 0.01 (``"l2"`` is ``L2(0.01)``), and the
loss the progress line and ``evaluate`` show includes the penalties. Small
weights are what the penalty rewards: with L2 (*weight decay*) every step pulls
each weight towards zero by a share of itself; with L1 by a fixed amount, which
sets many weights to exactly zero.

The penalty is computed on the host: a parameter is small next to the work of a
step on the CPU, and copied once per step on a GPU.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError
from .validation import number_in


class Regularizer:
    """A penalty ``l1 * sum(abs(w)) + l2 * sum(w ** 2)``; :class:`L1`, :class:`L2` and
    :class:`L1L2` name its common forms."""

    name = "l1_l2"

    def __init__(self, l1=0.0, l2=0.0):
        where = f"regularizer '{self.name}'"
        self.l1 = number_in(where, "l1", l1, 0, float("inf"), high_open=True)
        self.l2 = number_in(where, "l2", l2, 0, float("inf"), high_open=True)

    def penalty(self, w) -> float:
        """The value added to the loss for host array ``w``."""
        w = np.asarray(w, dtype=np.float64)
        return float(self.l1 * np.abs(w).sum() + self.l2 * np.square(w).sum())

    def gradient(self, w):
        """The penalty's gradient with respect to ``w`` (same dtype)."""
        return (self.l1 * np.sign(w) + (2 * self.l2) * w).astype(w.dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "l1": self.l1, "l2": self.l2}

    def __repr__(self):
        return f"{type(self).__name__}(l1={self.l1}, l2={self.l2})"


class L1(Regularizer):
    name = "l1"

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"name": self.name, "l1": self.l1}


class L2(Regularizer):
    name = "l2"

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"name": self.name, "l2": self.l2}


class L1L2(Regularizer):
    name = "l1_l2"


_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2}
#: Keras's short functions: ``l2(0.001)`` is ``L2(0.001)``
l1, l2 = L1, L2


def l1_l2(l1=0.01, l2=0.01):  # noqa: F811 - Keras's function of this name, with its defaults
    """Keras's ``l1_l2``: both penalties, 0.01 each unless given."""
    return L1L2(l1=l1, l2=l2)


def get(spec) -> Regularizer | None:
    """A regularizer from None, a name (``"l2"``), a config dict (from a model file) or an instance."""
    if spec is None or isinstance(spec, Regularizer):
        return spec
    if isinstance(spec, str) and spec in _BY_NAME:
        return l1_l2() if spec == "l1_l2" else _BY_NAME[spec]()
    if isinstance(spec, dict) and spec.get("name") in _BY_NAME:
        return _BY_NAME[spec["name"]](**{k: v for k, v in spec.items() if k != "name"})
    raise ConfigError(f"unknown regularizer {spec!r}: use 'l1', 'l2', 'l1_l2' or an instance of "
                      f"deepzoo.regularizers.L1, L2 or L1L2")


def serialize(regularizer) -> dict | None:
    """A regularizer as JSON-ready data (its config), for model files; None stays None."""
    return None if regularizer is None else regularizer.get_config()
