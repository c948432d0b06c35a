"""The losses, metrics and optimizer updates of the CUDA family.

Each method has the meaning of its namesake in
:mod:`deepzoo.backend.reference.training` (read that first); the kernels are in
``training_kernels.py``. A loss sums its per-row values on the host, a few
hundred numbers copied back, or, in training, adds them to sums that stay on the
device over the epoch; a metric's counts stay there likewise.
"""

from __future__ import annotations

import numpy as np

from . import target
from . import training_kernels as k
from .base import CUDAOpsBase


class CUDATrainingOps(CUDAOpsBase):
    """Losses, metrics and optimizer updates on the GPU."""

    # ------------------------------------------------------------------ losses
    @staticmethod
    def _typed(dtype, values):
        """Python numbers as scalars of ``dtype`` (flags stay as they are): a Python float
        would be a float64 argument, and float32 kernels would compute in float64."""
        return [dtype.type(v) if isinstance(v, float) else v for v in values]

    def loss_sum(self, y_shape, dtype):
        """One sum per row of the output (its positions), in the data's dtype: each loss
        kernel adds its rows' values there, so an epoch's loss stays on the device; the
        rows are summed in float64 when it is read."""
        return self.alloc((int(np.prod(y_shape[:-1], dtype=np.int64)),), dtype)

    def _row_loss(self, kernel, y, *args, scale, into):
        """Run a loss kernel over the rows of ``y``; returns (value, gradient), where the
        value is ``scale`` times the sum of the row losses.

        Each row's loss is summed on the device in the data's dtype. Without ``into`` the
        rows are copied back and summed on the host in float64; with it, each row adds
        its loss times ``scale * len(y)`` into ``into`` (see ``loss_sum``), and nothing is
        copied.
        """
        rows = self._rows(y)
        grad = self._empty_like(y)
        row_loss = target.empty((rows.shape[0],), y.dtype) if into is None else into
        self._run(kernel, rows.shape[0], rows, *self._typed(y.dtype, args), self._rows(grad), row_loss,
                  y.dtype.type(scale * len(y)), into is not None)
        if into is not None:
            return into, grad
        return scale * float(row_loss.copy_to_host().sum(dtype=np.float64)), grad

    def mean_squared_error(self, y, t, into=None):
        return self._row_loss(k.squared_error, y, self._rows(t), 2.0 / y.size, scale=1.0 / y.size, into=into)

    def mean_absolute_error(self, y, t, into=None):
        return self._row_loss(k.absolute_error, y, self._rows(t), 1.0 / y.size, scale=1.0 / y.size, into=into)

    def huber(self, y, t, delta, into=None):
        return self._row_loss(k.huber, y, self._rows(t), float(delta), 1.0 / y.size, scale=1.0 / y.size,
                              into=into)

    def sum_squared_error(self, y, t, into=None):
        return self._row_loss(k.squared_error, y, self._rows(t), 1.0, scale=0.5, into=into)

    def binary_crossentropy(self, y, t, eps, from_sigmoid_logits=False, into=None):
        return self._row_loss(k.binary_crossentropy, y, self._rows(t), eps, from_sigmoid_logits, 1.0 / y.size,
                              scale=1.0 / y.size, into=into)

    def categorical_crossentropy(self, y, t, eps, from_softmax_logits=False, into=None):
        positions = self._rows(y).shape[0]
        return self._row_loss(k.categorical_crossentropy, y, self._rows(t), eps, from_softmax_logits,
                              1.0 / positions, scale=1.0 / positions, into=into)

    def sparse_categorical_crossentropy(self, y, labels, eps, from_softmax_logits=False, into=None):
        positions = self._rows(y).shape[0]
        labels = target.to_device(labels)
        return self._row_loss(k.sparse_categorical_crossentropy, y, self._flat(labels), eps,
                              from_softmax_logits, 1.0 / positions, scale=1.0 / positions, into=into)

    def one_hot(self, labels, classes, dtype="float32"):
        labels = target.to_device(labels)
        out = target.empty((labels.size, classes), dtype)
        self._run(k.one_hot, labels.size, self._flat(labels), out)
        return out.reshape(tuple(labels.shape) + (classes,))

    # ----------------------------------------------------------------- metrics
    def _count(self, kernel, n, into, *args):
        """Run a counting kernel, which adds its hits to a counter on the device; without
        ``into`` the count is read back as an int."""
        counter = self.alloc((1,), np.int64) if into is None else into
        self._run(kernel, n, *args, counter)
        return int(counter.copy_to_host()[0]) if into is None else into

    def count_argmax_equal(self, y, t, into=None):
        rows = self._rows(y)
        return self._count(k.argmax_equal, rows.shape[0], into, rows, self._rows(t))

    def count_argmax_label(self, y, labels, into=None):
        rows = self._rows(y)
        return self._count(k.argmax_label, rows.shape[0], into, rows, self._flat(target.to_device(labels)))

    def count_threshold_equal(self, y, t, threshold=0.5, into=None):
        return self._count(k.threshold_equal, y.size, into, self._flat(y), self._flat(t),
                           y.dtype.type(threshold))

    def sum_squared_difference(self, y, t) -> float:
        total, _ = self._row_loss(k.squared_error, y, self._rows(t), 1.0, scale=1.0, into=None)
        return total

    # ------------------------------------------------------- optimizer updates
    def _update(self, kernel, param, *arrays_then_numbers):
        args = [self._flat(a) if target.is_device_array(a) else a for a in arrays_then_numbers]
        self._run(kernel, param.size, self._flat(param), *self._typed(param.dtype, args))

    def sgd_update(self, param, grad, velocity, lr, momentum, nesterov):
        if momentum:
            self._update(k.sgd_momentum, param, grad, velocity, lr, momentum, bool(nesterov))
        else:
            self._update(k.sgd, param, grad, lr)

    def adagrad_update(self, param, grad, accumulator, lr, eps, eps_inside_sqrt=False):
        self._update(k.adagrad, param, grad, accumulator, lr, eps, bool(eps_inside_sqrt))

    def rmsprop_update(self, param, grad, mean_square, lr, rho, eps, eps_inside_sqrt=False):
        self._update(k.rmsprop, param, grad, mean_square, lr, rho, eps, bool(eps_inside_sqrt))

    def adadelta_update(self, param, grad, mean_square, mean_delta, lr, rho, eps):
        self._update(k.adadelta, param, grad, mean_square, mean_delta, lr, rho, eps)

    def adam_update(self, param, grad, m, v, lr, beta1, beta2, eps, step):
        self._update(k.adam, param, grad, m, v, lr, beta1, beta2, eps,
                     1.0 - beta1**step, 1.0 - beta2**step)

    def adamax_update(self, param, grad, m, u, lr, beta1, beta2, eps, step):
        self._update(k.adamax, param, grad, m, u, lr / (1.0 - beta1**step), beta1, beta2, eps)

    def nadam_update(self, param, grad, m, v, lr, beta1, beta2, eps, m_weight, g_weight, v_correction):
        self._update(k.nadam, param, grad, m, v, lr, beta1, beta2, eps, m_weight, g_weight, v_correction)
