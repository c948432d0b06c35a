"""CUDA kernels of the losses, metrics and optimizer updates (``training.py``).

They follow the patterns described in ``dense_kernels.py``: grid-stride loops,
flat views, one thread per row for row-wise work.
"""

from __future__ import annotations

import math

from .target import require

cuda = require()


# -------------------------------------------------------------------- losses
# Each writes the gradient and, per row, the row's share of the loss's sum.
@cuda.jit
def squared_error(y, t, factor, grad, row_loss):
    """``row_loss[r] = sum_j (y - t)**2``; ``grad = factor * (y - t)``."""
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        total = 0.0
        for j in range(y.shape[1]):
            d = y[r, j] - t[r, j]
            total += d * d
            grad[r, j] = factor * d
        row_loss[r] = total


@cuda.jit
def binary_crossentropy(y, t, eps, from_logits, scale, grad, row_loss):
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        total = 0.0
        for j in range(y.shape[1]):
            p = min(max(y[r, j], eps), 1.0 - eps)
            target = t[r, j]
            total -= target * math.log(p) + (1.0 - target) * math.log(1.0 - p)
            if from_logits:
                grad[r, j] = (y[r, j] - target) * scale
            else:
                grad[r, j] = (p - target) / (p * (1.0 - p)) * scale
        row_loss[r] = total


@cuda.jit
def categorical_crossentropy(y, t, eps, from_logits, scale, grad, row_loss):
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        total = 0.0
        for j in range(y.shape[1]):
            p = min(max(y[r, j], eps), 1.0)
            total -= t[r, j] * math.log(p)
            if from_logits:
                grad[r, j] = (y[r, j] - t[r, j]) * scale
            else:
                grad[r, j] = -t[r, j] / p * scale
        row_loss[r] = total


@cuda.jit
def sparse_categorical_crossentropy(y, labels, eps, from_logits, scale, grad, row_loss):
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        label = labels[r]
        for j in range(y.shape[1]):
            target = 1.0 if j == label else 0.0
            if from_logits:
                grad[r, j] = (y[r, j] - target) * scale
            else:
                grad[r, j] = -target / min(max(y[r, j], eps), 1.0) * scale
        row_loss[r] = -math.log(min(max(y[r, label], eps), 1.0))


# ------------------------------------------------------------------- metrics
@cuda.jit(device=True)
def _argmax(x, r):
    best, arg = x[r, 0], 0
    for j in range(1, x.shape[1]):
        if x[r, j] > best:
            best, arg = x[r, j], j
    return arg


@cuda.jit
def argmax_equal(y, t, hits):
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        hits[r] = 1 if _argmax(y, r) == _argmax(t, r) else 0


@cuda.jit
def argmax_label(y, labels, hits):
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        hits[r] = 1 if _argmax(y, r) == labels[r] else 0


@cuda.jit
def threshold_equal(y, t, threshold, hits):
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        hits[i] = 1 if (y[i] > threshold) == (t[i] > threshold) else 0


# --------------------------------------------------------- optimizer updates
# In place on flat views of a parameter, its gradient and its state; each
# leaves the gradient at zero, ready for the next batch.
@cuda.jit
def sgd(p, g, lr):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        p[i] -= lr * g[i]
        g[i] = 0.0


@cuda.jit
def sgd_momentum(p, g, v, lr, momentum, nesterov):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        v[i] = momentum * v[i] + g[i]
        p[i] -= lr * (g[i] + momentum * v[i] if nesterov else v[i])
        g[i] = 0.0


@cuda.jit
def adagrad(p, g, acc, lr, eps):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        acc[i] += g[i] * g[i]
        p[i] -= lr * g[i] / (math.sqrt(acc[i]) + eps)
        g[i] = 0.0


@cuda.jit
def rmsprop(p, g, ms, lr, rho, eps):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        ms[i] = rho * ms[i] + (1.0 - rho) * g[i] * g[i]
        p[i] -= lr * g[i] / (math.sqrt(ms[i]) + eps)
        g[i] = 0.0


@cuda.jit
def adadelta(p, g, ms, md, lr, rho, eps):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        ms[i] = rho * ms[i] + (1.0 - rho) * g[i] * g[i]
        delta = math.sqrt(md[i] + eps) / math.sqrt(ms[i] + eps) * g[i]
        md[i] = rho * md[i] + (1.0 - rho) * delta * delta
        p[i] -= lr * delta
        g[i] = 0.0


@cuda.jit
def adam(p, g, m, v, lr, beta1, beta2, eps, correction1, correction2):
    """``correction1 = 1 - beta1**t`` and ``correction2 = 1 - beta2**t`` come from the host."""
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        m[i] = beta1 * m[i] + (1.0 - beta1) * g[i]
        v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i]
        p[i] -= lr * (m[i] / correction1) / (math.sqrt(v[i] / correction2) + eps)
        g[i] = 0.0
