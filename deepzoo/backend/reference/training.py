"""Reference losses, metrics and optimizer updates (part of :class:`~deepzoo.backend.reference.Ops`).

Losses return ``(value, gradient)``: the batch loss as a Python float and its
gradient with respect to the prediction; with ``into`` the value is added to an
epoch's sum that stays where the Ops keep their arrays (see :meth:`TrainingOps.loss_sum`).
Metric counts return Python numbers, or add into a counter likewise.
Each optimizer update changes a parameter and its state arrays in place.
"""

from __future__ import annotations

import numpy as np


class TrainingOps:
    """Losses, metrics and optimizer updates in NumPy: readable, and the tests' oracle."""

    # ------------------------------------------------------------------ losses
    # With ``into`` (an array made by ``loss_sum``), a loss adds its value times the
    # batch's number of samples, ``len(y)``, into it and returns ``into`` in place of the
    # value: summed so over an epoch, divided by the samples seen, that is the epoch's
    # loss. On a GPU the sum then stays on the device until someone reads it.
    def loss_sum(self, y_shape, dtype):
        """A zeroed array for the losses' ``into=``, for batches whose output has the shape
        ``y_shape``; the sum of its elements (:meth:`read_sum`) is what was added."""
        return self.alloc((1,), np.float64)

    def read_sum(self, into) -> float:
        """The sum of the elements of ``into``, on the host, in float64."""
        return float(np.sum(self.to_host(into), dtype=np.float64))

    @staticmethod
    def _summed(value, y, into):
        if into is None:
            return value
        into[0] += value * len(y)
        return into

    def mean_squared_error(self, y, t, into=None):
        """``mean((y - t)**2)`` over every element, and its gradient ``2 (y - t) / size``."""
        diff = y - t
        return self._summed(float(np.mean(diff * diff)), y, into), diff * (2.0 / diff.size)

    def mean_absolute_error(self, y, t, into=None):
        """``mean(|y - t|)`` over every element, and its gradient ``sign(y - t) / size``."""
        diff = y - t
        return self._summed(float(np.mean(np.abs(diff))), y, into), np.sign(diff) / diff.size

    def huber(self, y, t, delta, into=None):
        """Huber's loss, mean over every element: ``d**2 / 2`` where ``|d| <= delta``, else
        ``delta * (|d| - delta / 2)``, with ``d = y - t``; the gradient is ``d`` clipped to
        ``[-delta, delta]``, over the size."""
        diff = y - t
        small = np.abs(diff) <= delta
        value = np.where(small, 0.5 * diff * diff, delta * (np.abs(diff) - 0.5 * delta))
        return self._summed(float(np.mean(value)), y, into), np.clip(diff, -delta, delta) / diff.size

    def sum_squared_error(self, y, t, into=None):
        """``1/2 * sum((t - y)**2)``, the lectures' error E; its gradient is ``y - t``."""
        diff = y - t
        return self._summed(float(0.5 * np.sum(diff * diff)), y, into), diff

    def binary_crossentropy(self, y, t, eps, from_sigmoid_logits=False, into=None):
        """``mean(-(t log y + (1 - t) log(1 - y)))`` with ``y`` clipped to ``[eps, 1 - eps]``.

        The gradient is taken with respect to ``y``, or, if ``from_sigmoid_logits``,
        with respect to the logits that the sigmoid turned into ``y``: ``(y - t) / size``.
        """
        yc = np.clip(y, eps, 1 - eps)
        value = self._summed(float(np.mean(-(t * np.log(yc) + (1 - t) * np.log(1 - yc)))), y, into)
        if from_sigmoid_logits:
            return value, (y - t) / y.size
        return value, (yc - t) / (yc * (1 - yc)) / y.size

    def categorical_crossentropy(self, y, t, eps, from_softmax_logits=False, into=None):
        """Mean over the positions of ``-sum_k t_k log y_k`` (``y`` clipped to ``[eps, 1]``).

        The classes run along the last axis; every other axis is a position
        (a sample, or a sample's time step). With ``from_softmax_logits`` the
        gradient is with respect to the logits of the softmax that produced ``y``:
        ``(y - t) / positions``. Otherwise it is ``-t / y / positions``.
        """
        n = y.size // y.shape[-1]
        yc = np.clip(y, eps, 1.0)
        value = self._summed(float(-np.sum(t * np.log(yc)) / n), y, into)
        if from_softmax_logits:
            return value, (y - t) / n
        return value, -t / yc / n

    def sparse_categorical_crossentropy(self, y, labels, eps, from_softmax_logits=False, into=None):
        """As :meth:`categorical_crossentropy` with integer ``labels`` of shape ``y.shape[:-1]``."""
        return self.categorical_crossentropy(
            y, self.one_hot(labels, y.shape[-1], y.dtype), eps, from_softmax_logits, into
        )

    def one_hot(self, labels, classes, dtype="float32"):
        """Integer labels of any shape -> one-hot rows along a new last axis."""
        return np.eye(classes, dtype=dtype)[labels]

    # ----------------------------------------------------------------- metrics
    # A count is returned as an int; with ``into`` (a counter made by ``alloc((1,),
    # "int64")``) it is added to ``into[0]`` instead, where the Ops keep their arrays, and
    # ``into`` is returned: a metric on a GPU then reads its count back once, not per batch.
    @staticmethod
    def _counted(n, into):
        if into is None:
            return int(n)
        into[0] += n
        return into

    def count_argmax_equal(self, y, t, into=None):
        """How many rows of ``y`` and ``t`` have their maximum in the same column."""
        return self._counted(np.sum(y.argmax(axis=-1) == t.argmax(axis=-1)), into)

    def count_argmax_label(self, y, labels, into=None):
        return self._counted(np.sum(y.argmax(axis=-1) == labels), into)

    def count_threshold_equal(self, y, t, threshold=0.5, into=None):
        """How many elements of ``y > threshold`` equal ``t > threshold``."""
        return self._counted(np.sum((y > threshold) == (t > threshold)), into)

    def sum_squared_difference(self, y, t) -> float:
        return float(np.sum((y - t) ** 2))

    # ------------------------------------------------------- optimizer updates
    # Each update changes ``param`` and the optimizer's state arrays in place and
    # consumes the gradient: it leaves ``grad`` at zero, ready to accumulate the
    # next batch. The formulas follow torch.optim (see deepzoo.optimizers).
    def sgd_update(self, param, grad, velocity, lr, momentum, nesterov):
        step = grad
        if momentum:
            velocity *= momentum
            velocity += grad
            step = grad + momentum * velocity if nesterov else velocity
        param -= lr * step
        grad[...] = 0

    # Adagrad and RMSprop divide by ``sqrt(s) + eps`` (torch), or, with
    # ``eps_inside_sqrt``, by ``sqrt(s + eps)`` (Keras 3).
    def adagrad_update(self, param, grad, accumulator, lr, eps, eps_inside_sqrt=False):
        accumulator += grad * grad
        root = np.sqrt(accumulator + eps) if eps_inside_sqrt else np.sqrt(accumulator) + eps
        param -= lr * grad / root
        grad[...] = 0

    def rmsprop_update(self, param, grad, mean_square, lr, rho, eps, eps_inside_sqrt=False):
        mean_square *= rho
        mean_square += (1 - rho) * grad * grad
        root = np.sqrt(mean_square + eps) if eps_inside_sqrt else np.sqrt(mean_square) + eps
        param -= lr * grad / root
        grad[...] = 0

    def adadelta_update(self, param, grad, mean_square, mean_delta, lr, rho, eps):
        mean_square *= rho
        mean_square += (1 - rho) * grad * grad
        delta = np.sqrt(mean_delta + eps) / np.sqrt(mean_square + eps) * grad
        mean_delta *= rho
        mean_delta += (1 - rho) * delta * delta
        param -= lr * delta
        grad[...] = 0

    def adam_update(self, param, grad, m, v, lr, beta1, beta2, eps, step):
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1**step)
        v_hat = v / (1 - beta2**step)
        param -= lr * m_hat / (np.sqrt(v_hat) + eps)
        grad[...] = 0

    def adamax_update(self, param, grad, m, u, lr, beta1, beta2, eps, step):
        """Adam with the infinity norm: ``u = max(beta2 u, |g|)``, ``p -= lr / (1 - beta1^t) m / (u + eps)``."""
        m *= beta1
        m += (1 - beta1) * grad
        np.maximum(beta2 * u, np.abs(grad), out=u)
        param -= lr / (1 - beta1**step) * m / (u + eps)
        grad[...] = 0

    def nadam_update(self, param, grad, m, v, lr, beta1, beta2, eps, m_weight, g_weight, v_correction):
        """Adam with Nesterov momentum: ``p -= lr (m_weight m + g_weight g) / (sqrt(v v_correction) + eps)``.

        The three weights come from the optimizer's momentum schedule (see
        :class:`deepzoo.optimizers.Nadam`).
        """
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        param -= lr * (m_weight * m + g_weight * grad) / (np.sqrt(v * v_correction) + eps)
        grad[...] = 0
