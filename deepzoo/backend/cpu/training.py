"""The losses, metrics and optimizer updates of the CPU family, compiled with numba.

Each method has the meaning of its namesake in
:mod:`deepzoo.backend.reference.training` (read that first). Each loss computes its
value and gradient in one pass; each update changes the parameter and its state
and zeroes the gradient in one pass (``training_kernels.py``).
"""

from __future__ import annotations

import numpy as np

from . import training_kernels as k
from .base import CPUOpsBase, flat

# Optimizer state below this magnitude is flushed to zero (see training_kernels.py).
_TINY = {np.dtype("float32"): 1e-30, np.dtype("float64"): 1e-300}
# An update is cut into pieces for the threads only when each piece gets at least
# this many elements (Adam on the MNIST MLP's 669,706 parameters takes about 1 ms
# on one thread; a hand-over costs tens of microseconds).
_PART_UPDATE = 1 << 17


class CPUTrainingOps(CPUOpsBase):
    """Losses, metrics and optimizer updates on the CPU."""

    # ------------------------------------------------------------------ losses
    # The gradient is made 1-D, as the kernels take it, and handed back in ``y``'s shape
    # (one call fewer than flattening an array of that shape: the small models' losses
    # take a microsecond or two, mostly such calls).
    def mean_squared_error(self, y, t, into=None):
        size = y.size
        grad = np.empty(size, dtype=y.dtype)
        total = k.squared_error(flat(y), flat(t), grad, 2.0 / size)
        return self._summed(total / size, y, into), grad.reshape(y.shape)

    def mean_absolute_error(self, y, t, into=None):
        grad = np.empty_like(y)
        total = k.absolute_error(flat(y), flat(t), flat(grad), y.dtype.type(1.0 / y.size))
        return self._summed(total / y.size, y, into), grad

    def huber(self, y, t, delta, into=None):
        grad = np.empty_like(y)
        total = k.huber(flat(y), flat(t), y.dtype.type(delta), flat(grad), y.dtype.type(1.0 / y.size))
        return self._summed(total / y.size, y, into), grad

    def sum_squared_error(self, y, t, into=None):
        grad = np.empty_like(y)
        total = k.squared_error(flat(y), flat(t), flat(grad), 1.0)
        return self._summed(0.5 * total, y, into), grad

    def binary_crossentropy(self, y, t, eps, from_sigmoid_logits=False, into=None):
        size = y.size
        grad = np.empty(size, dtype=y.dtype)
        total = k.binary_crossentropy(flat(y), flat(t), eps, from_sigmoid_logits, 1.0 / size, grad)
        return self._summed(total / size, y, into), grad.reshape(y.shape)

    def categorical_crossentropy(self, y, t, eps, from_softmax_logits=False, into=None):
        grad = np.empty_like(y)
        c = y.shape[-1]
        total = k.categorical_crossentropy(y.reshape(-1, c), t.reshape(-1, c), y.dtype.type(eps),
                                           from_softmax_logits, grad.reshape(-1, c))
        positions = y.size // c
        grad *= y.dtype.type(1.0 / positions)
        return self._summed(total / positions, y, into), grad

    def sparse_categorical_crossentropy(self, y, labels, eps, from_softmax_logits=False, into=None):
        grad = np.empty_like(y)
        c = y.shape[-1]
        total = k.sparse_categorical_crossentropy(y.reshape(-1, c), labels.reshape(-1),
                                                  y.dtype.type(eps), from_softmax_logits,
                                                  grad.reshape(-1, c))
        positions = y.size // c
        grad *= y.dtype.type(1.0 / positions)
        return self._summed(total / positions, y, into), grad

    # ----------------------------------------------------------------- metrics
    def count_argmax_equal(self, y, t, into=None):
        return self._counted(k.count_argmax_equal(y.reshape(-1, y.shape[-1]), t.reshape(-1, t.shape[-1])), into)

    def count_argmax_label(self, y, labels, into=None):
        return self._counted(k.count_argmax_label(y.reshape(-1, y.shape[-1]), labels.reshape(-1)), into)

    # ------------------------------------------------------- optimizer updates
    # Parameters, gradients and optimizer state are always arrays the Ops allocated
    # whole, so ``reshape(-1)`` is a view of each: no check needed per step (the
    # small models' steps are made of such tiny calls).
    def _apply(self, kernel, arrays, *numbers):
        """``kernel(*flat views of arrays, *numbers)``, on this thread, or, over a long
        parameter array while deepzoo's threads are in use (see base.py), in pieces on
        every thread: each element's update depends on that element alone, so the
        pieces give the same result as one call."""
        # (a model's flat parameters are 1-D already, and every array of an update has one shape)
        flats = arrays if arrays[0].ndim == 1 else [a.reshape(-1) for a in arrays]
        n = flats[0].size
        if n < 2 * _PART_UPDATE or self.threads == 1 or not self._threads_in_use():
            kernel(*flats, *numbers)
        else:
            self._split(n, lambda start, stop: kernel(*[f[start:stop] for f in flats], *numbers), 1,
                        _PART_UPDATE)

    def sgd_update(self, param, grad, velocity, lr, momentum, nesterov):
        if momentum:
            dt = param.dtype.type
            self._apply(k.sgd_momentum, (param, grad, velocity), dt(lr), dt(momentum), nesterov)
        else:
            self._apply(k.sgd, (param, grad), float(lr))

    def adagrad_update(self, param, grad, accumulator, lr, eps, eps_inside_sqrt=False):
        dt = param.dtype.type
        self._apply(k.adagrad, (param, grad, accumulator), dt(lr), dt(eps), bool(eps_inside_sqrt))

    def rmsprop_update(self, param, grad, mean_square, lr, rho, eps, eps_inside_sqrt=False):
        dt = param.dtype.type
        self._apply(k.rmsprop, (param, grad, mean_square), dt(lr), dt(rho), dt(1 - rho), dt(eps),
                    bool(eps_inside_sqrt), dt(_TINY[param.dtype]))

    def adadelta_update(self, param, grad, mean_square, mean_delta, lr, rho, eps):
        dt = param.dtype.type
        self._apply(k.adadelta, (param, grad, mean_square, mean_delta), dt(lr), dt(rho), dt(1 - rho), dt(eps),
                    dt(_TINY[param.dtype]))

    def adam_update(self, param, grad, m, v, lr, beta1, beta2, eps, step):
        dt = param.dtype.type
        self._apply(k.adam, (param, grad, m, v), dt(lr / (1 - beta1**step)), dt(beta1), dt(1 - beta1),
                    dt(beta2), dt(1 - beta2), dt(1 / np.sqrt(1 - beta2**step)), dt(eps), dt(_TINY[param.dtype]))

    def adamax_update(self, param, grad, m, u, lr, beta1, beta2, eps, step):
        dt = param.dtype.type
        self._apply(k.adamax, (param, grad, m, u), dt(lr / (1 - beta1**step)), dt(beta1), dt(1 - beta1),
                    dt(beta2), dt(eps))

    def nadam_update(self, param, grad, m, v, lr, beta1, beta2, eps, m_weight, g_weight, v_correction):
        dt = param.dtype.type
        self._apply(k.nadam, (param, grad, m, v), dt(lr), dt(beta1), dt(1 - beta1), dt(beta2), dt(1 - beta2),
                    dt(m_weight), dt(g_weight), dt(v_correction), dt(eps))
