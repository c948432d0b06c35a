"""The reference :class:`Ops`: every array operation a deepzoo layer may ask for.

Layers, losses and optimizers never do arithmetic on arrays themselves; they call
the methods of an ``Ops`` object. This class writes each operation in plain NumPy,
as readably as possible: it is the specification of what each operation means
and the oracle the faster backends are tested against. ``NumbaCPUOps`` (and later
a CUDA Ops) subclass it and override operations one by one; whatever they do not
override falls back to the code here.

Conventions
-----------
* Batches come first: a dense activation has shape ``(N, features)``.
* ``out=`` arguments are written in place and also returned.
* ``accumulate=True`` adds into ``out`` instead of overwriting it (used for
  parameter gradients, which layers accumulate).
* Losses return ``(value, gradient)``: the batch loss as a Python float and its
  gradient with respect to the prediction.
"""

from __future__ import annotations

import numpy as np

from .conv_ops import ConvOps
from .recurrent_ops import RecurrentOps


class Ops(ConvOps, RecurrentOps):
    """Reference operations in NumPy. See the module docstring for the conventions.

    Convolution and pooling live in :class:`~deepzoo.backend.conv_ops.ConvOps`,
    recurrent steps in :class:`~deepzoo.backend.recurrent_ops.RecurrentOps`.
    """

    name = "numpy"
    device = "cpu"

    # ------------------------------------------------------------------ memory
    def alloc(self, shape, dtype="float32"):
        """A new array of zeros."""
        return np.zeros(shape, dtype=dtype)

    def asarray(self, x, dtype=None):
        """``x`` as a C-contiguous array on this Ops' device (no copy if it already is)."""
        return np.ascontiguousarray(x, dtype=dtype)

    def to_host(self, x):
        """``x`` as a NumPy array in host memory."""
        return np.asarray(x)

    def copy(self, x):
        return np.array(x, copy=True)

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

    def all_finite(self, x) -> bool:
        return bool(np.isfinite(x).all())

    # ---------------------------------------------------------- linear algebra
    def matmul(self, a, b, trans_a=False, trans_b=False, out=None, accumulate=False):
        """``op(a) @ op(b)`` where ``op`` transposes when asked.

        Shapes: ``op(a)`` is ``(M, K)``, ``op(b)`` is ``(K, N)``, the result ``(M, N)``.
        """
        a = a.T if trans_a else a
        b = b.T if trans_b else b
        if out is None:
            return a @ b
        if accumulate:
            out += a @ b
        else:
            np.matmul(a, b, out=out)
        return out

    def add_bias(self, y, bias):
        """``y[n, j] += bias[j]`` in place."""
        y += bias
        return y

    def sum_rows(self, dy, out, accumulate=True):
        """Sum over the batch axis into ``out``: the gradient of a bias."""
        if accumulate:
            out += dy.sum(axis=0)
        else:
            out[...] = dy.sum(axis=0)
        return out

    def multiply(self, a, b, out=None):
        """Elementwise product."""
        return np.multiply(a, b, out=out)

    def scale(self, x, factor, out=None):
        """``factor * x``."""
        return np.multiply(x, x.dtype.type(factor), out=out)

    # ------------------------------------------------------------- activations
    # Every forward takes ``out=`` (pass ``out=x`` to work in place) and every
    # backward needs only the forward's output ``y``, so the input can be
    # overwritten. Backwards take ``out=`` too (``out=dy`` works in place).
    def linear(self, x, out=None):
        if out is None:
            return x.copy()
        out[...] = x
        return out

    def linear_backward(self, dy, y, out=None):
        return dy if out is None or out is dy else _assign_or_new(out, dy)

    def step(self, x, out=None):
        """Heaviside step: 1 where ``x >= 0``, else 0 (the perceptron's output)."""
        return _assign_or_new(out, (x >= 0).astype(x.dtype))

    def step_backward(self, dy, y, out=None):
        """The step is flat almost everywhere: its derivative is 0."""
        return _assign_or_new(out, np.zeros_like(dy))

    def sigmoid(self, x, out=None):
        """``1 / (1 + exp(-x))``, computed without overflow for large ``|x|``."""
        z = np.exp(-np.abs(x))
        return _assign_or_new(out, np.where(x >= 0, 1 / (1 + z), z / (1 + z)))

    def sigmoid_backward(self, dy, y, out=None):
        """``dy * y * (1 - y)``."""
        return _assign_or_new(out, dy * y * (1 - y))

    def tanh(self, x, out=None):
        return np.tanh(x, out=out)

    def tanh_backward(self, dy, y, out=None):
        """``dy * (1 - y**2)``."""
        return _assign_or_new(out, dy * (1 - y * y))

    def relu(self, x, out=None):
        """``max(0, x)``."""
        return np.maximum(x, 0, out=out)

    def relu_backward(self, dy, y, out=None):
        return _assign_or_new(out, dy * (y > 0))

    def leaky_relu(self, x, alpha, out=None):
        """``x`` where positive, ``alpha * x`` elsewhere (``alpha`` in [0, 1))."""
        return _assign_or_new(out, np.where(x > 0, x, alpha * x))

    def leaky_relu_backward(self, dy, y, alpha, out=None):
        return _assign_or_new(out, np.where(y > 0, dy, alpha * dy))

    def elu(self, x, alpha, out=None):
        """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
        return _assign_or_new(out, np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))))

    def elu_backward(self, dy, y, alpha, out=None):
        """For ``x <= 0`` the derivative ``alpha * exp(x)`` equals ``y + alpha``."""
        return _assign_or_new(out, np.where(y > 0, dy, dy * (y + alpha)))

    def softmax(self, x, out=None):
        """``exp(x_i) / sum_j exp(x_j)`` over the last axis (max subtracted first)."""
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        e /= e.sum(axis=-1, keepdims=True)
        return _assign_or_new(out, e)

    def softmax_backward(self, dy, y, out=None):
        """``y * (dy - sum_j dy_j y_j)``: the Jacobian-vector product of softmax."""
        return _assign_or_new(out, y * (dy - (dy * y).sum(axis=-1, keepdims=True)))

    # ------------------------------------------------------------------ maxout
    def maxout(self, z):
        """Max over the last axis of ``z`` (shape ``(N, units, pieces)``).

        Returns the maxima ``(N, units)`` and the index of the winning piece.
        """
        which = z.argmax(axis=-1)
        return np.take_along_axis(z, which[..., None], axis=-1)[..., 0], which

    def maxout_backward(self, dy, which, pieces):
        """Route each gradient to the piece that won the max; the others get 0."""
        dz = np.zeros(dy.shape + (pieces,), dtype=dy.dtype)
        np.put_along_axis(dz, which[..., None], dy[..., None], axis=-1)
        return dz

    # ----------------------------------------------------------------- dropout
    def dropout_mask(self, shape, rate, rng, dtype="float32"):
        """Inverted dropout mask: 0 with probability ``rate``, else ``1 / (1 - rate)``.

        ``rng`` is a ``numpy.random.Generator``; the same seed gives the same masks.
        """
        keep = rng.random(shape, dtype=np.float32) >= rate
        return keep.astype(dtype) * np.asarray(1.0 / (1.0 - rate), dtype=dtype)

    # ------------------------------------------------------------------ losses
    def mean_squared_error(self, y, t):
        """``mean((y - t)**2)`` over every element, and its gradient ``2 (y - t) / size``."""
        diff = y - t
        return float(np.mean(diff * diff)), diff * (2.0 / diff.size)

    def sum_squared_error(self, y, t):
        """``1/2 * sum((t - y)**2)``, the lectures' error E; its gradient is ``y - t``."""
        diff = y - t
        return float(0.5 * np.sum(diff * diff)), diff

    def binary_crossentropy(self, y, t, eps, from_sigmoid_logits=False):
        """``mean(-(t log y + (1 - t) log(1 - y)))`` with ``y`` clipped to ``[eps, 1 - eps]``.

        The gradient is taken with respect to ``y``, or, if ``from_sigmoid_logits``,
        with respect to the logits that the sigmoid turned into ``y``: ``(y - t) / size``.
        """
        yc = np.clip(y, eps, 1 - eps)
        value = float(np.mean(-(t * np.log(yc) + (1 - t) * np.log(1 - yc))))
        if from_sigmoid_logits:
            return value, (y - t) / y.size
        return value, (yc - t) / (yc * (1 - yc)) / y.size

    def categorical_crossentropy(self, y, t, eps, from_softmax_logits=False):
        """Mean over the positions of ``-sum_k t_k log y_k`` (``y`` clipped to ``[eps, 1]``).

        The classes run along the last axis; every other axis is a position
        (a sample, or a sample's time step). With ``from_softmax_logits`` the
        gradient is with respect to the logits of the softmax that produced ``y``:
        ``(y - t) / positions``. Otherwise it is ``-t / y / positions``.
        """
        n = y.size // y.shape[-1]
        yc = np.clip(y, eps, 1.0)
        value = float(-np.sum(t * np.log(yc)) / n)
        if from_softmax_logits:
            return value, (y - t) / n
        return value, -t / yc / n

    def sparse_categorical_crossentropy(self, y, labels, eps, from_softmax_logits=False):
        """As :meth:`categorical_crossentropy` with integer ``labels`` of shape ``y.shape[:-1]``."""
        return self.categorical_crossentropy(
            y, self.one_hot(labels, y.shape[-1], y.dtype), eps, from_softmax_logits
        )

    def one_hot(self, labels, classes, dtype="float32"):
        """Integer labels of any shape -> one-hot rows along a new last axis."""
        return np.eye(classes, dtype=dtype)[labels]

    # ----------------------------------------------------------------- metrics
    def count_argmax_equal(self, y, t) -> int:
        """How many rows of ``y`` and ``t`` have their maximum in the same column."""
        return int(np.sum(y.argmax(axis=-1) == t.argmax(axis=-1)))

    def count_argmax_label(self, y, labels) -> int:
        return int(np.sum(y.argmax(axis=-1) == labels))

    def count_threshold_equal(self, y, t, threshold=0.5) -> int:
        """How many elements of ``y > threshold`` equal ``t > threshold``."""
        return int(np.sum((y > threshold) == (t > threshold)))

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

    def adagrad_update(self, param, grad, accumulator, lr, eps):
        accumulator += grad * grad
        param -= lr * grad / (np.sqrt(accumulator) + eps)
        grad[...] = 0

    def rmsprop_update(self, param, grad, mean_square, lr, rho, eps):
        mean_square *= rho
        mean_square += (1 - rho) * grad * grad
        param -= lr * grad / (np.sqrt(mean_square) + eps)
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


def _assign_or_new(out, value):
    if out is None:
        return value
    out[...] = value
    return out
