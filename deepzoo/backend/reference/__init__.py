"""The reference :class:`Ops`: every array operation a deepzoo layer may ask for.

Layers, losses and optimizers never do arithmetic on arrays themselves; they call
the methods of an ``Ops`` object. This class writes each operation in plain NumPy,
as readably as possible: it is the specification of what each operation means
and the oracle the faster backends are tested against. ``NumbaCPUOps``
(:mod:`deepzoo.backend.cpu`) and ``NumbaCUDAOps`` (:mod:`deepzoo.backend.cuda`)
subclass it and override operations one by one; whatever they do not override
falls back to the code here.

Conventions
-----------
* Batches come first: a dense activation has shape ``(N, features)``.
* ``out=`` arguments are written in place and also returned.
* ``accumulate=True`` adds into ``out`` instead of overwriting it (used for
  parameter gradients, which layers accumulate).
* Losses return ``(value, gradient)``: the batch loss as a Python float and its
  gradient with respect to the prediction.

The operations are grouped as in the other two families, file for file:
``dense.py`` (products, elementwise maths, activations), ``conv.py``
(convolution and pooling), ``recurrent.py`` (LSTM steps), ``training.py``
(losses, metrics, optimizer updates). Composite operations (a convolution is
im2col, a product, a bias and an activation) are written through ``self.``
primitives, so a backend that overrides a primitive speeds up the composite too.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .conv import ConvOps
from .dense import DenseOps
from .recurrent import RecurrentOps
from .training import TrainingOps


class Ops(DenseOps, ConvOps, RecurrentOps, TrainingOps):
    """Reference operations in NumPy. See the module docstring for the conventions."""

    name = "numpy"
    device = "cpu"

    def describe(self) -> str:
        """One line for ``deepzoo info``: which backend this is and how it is set up."""
        return "numpy: the NumPy reference operations"

    def one_off(self):
        """A context for work that runs once in a while among larger work of the same kind:
        an epoch's short last batch. A backend may then run it through its general code
        rather than compile kernels meant for steady work of that shape (the results
        agree to rounding). The reference has nothing to skip."""
        return contextlib.nullcontext()

    # ------------------------------------------------------------------ memory
    def alloc(self, shape, dtype="float32"):
        """A new array of zeros."""
        return np.zeros(shape, dtype=dtype)

    def empty(self, shape, dtype="float32"):
        """A new array whose values are whatever the memory held: for arrays the caller
        writes whole before reading (on a GPU, zeroing is a kernel launch)."""
        return np.empty(shape, dtype=dtype)

    def asarray(self, x, dtype=None):
        """``x`` as a C-contiguous array on this Ops' device (no copy if it already is)."""
        return np.ascontiguousarray(x, dtype=dtype)

    def to_host(self, x):
        """``x`` as a NumPy array in host memory."""
        return np.asarray(x)

    def fill(self, x, value):
        """Set every element of ``x`` to ``value`` in place."""
        x[...] = value
        return x

    def assign(self, dest, src):
        """Copy the values of ``src`` into ``dest`` (same shape) in place."""
        dest[...] = src
        return dest

    def reshape(self, x, shape):
        return x.reshape(shape)
