"""CUDA kernels of the losses, metrics and optimizer updates (``training.py``).

They follow the patterns described in ``dense_kernels.py``: grid-stride loops,
flat views, one thread per row for row-wise work.
"""

from __future__ import annotations

import math

from .target import cuda_module

cuda = cuda_module()


# -------------------------------------------------------------------- losses
@cuda.jit
def one_hot(labels, out):
    zero, one = out.dtype.type(0), out.dtype.type(1)
    for r in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        for j in range(out.shape[1]):
            out[r, j] = one if j == labels[r] else zero


# Each writes the gradient and, per row, the row's share of the loss's sum: stored,
# or, with ``accumulate``, added times ``weight`` to what the row already holds (an
# epoch's sum kept on the device, see training.py). The scalars come from the host in
# the data's dtype, and zero and one are made in it: a bare 1.0 would turn float32
# arithmetic into float64.
@cuda.jit(device=True)
def _row_total(row_loss, r, total, weight, accumulate):
    if accumulate:
        row_loss[r] += weight * total
    else:
        row_loss[r] = total


@cuda.jit
def squared_error(y, t, factor, grad, row_loss, weight, accumulate):
    """``row_loss[r] = sum_j (y - t)**2``; ``grad = factor * (y - t)``."""
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        total = y.dtype.type(0)
        for j in range(y.shape[1]):
            d = y[r, j] - t[r, j]
            total += d * d
            grad[r, j] = factor * d
        _row_total(row_loss, r, total, weight, accumulate)


@cuda.jit
def absolute_error(y, t, factor, grad, row_loss, weight, accumulate):
    """``row_loss[r] = sum_j |y - t|``; ``grad = factor * sign(y - t)``."""
    zero = y.dtype.type(0)
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        total = zero
        for j in range(y.shape[1]):
            d = y[r, j] - t[r, j]
            if d > zero:
                total += d
                grad[r, j] = factor
            elif d < zero:
                total -= d
                grad[r, j] = -factor
            else:
                grad[r, j] = zero
        _row_total(row_loss, r, total, weight, accumulate)


@cuda.jit
def huber(y, t, delta, factor, grad, row_loss, weight, accumulate):
    """``row_loss[r]`` = the row's sum of Huber's loss; ``grad = factor * clip(y - t, -delta, delta)``."""
    zero = y.dtype.type(0)
    half = y.dtype.type(0.5)
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        total = zero
        for j in range(y.shape[1]):
            d = y[r, j] - t[r, j]
            if d > delta:
                total += delta * (d - half * delta)
                grad[r, j] = factor * delta
            elif d < -delta:
                total += delta * (-d - half * delta)
                grad[r, j] = -factor * delta
            else:
                total += half * d * d
                grad[r, j] = factor * d
        _row_total(row_loss, r, total, weight, accumulate)


@cuda.jit
def binary_crossentropy(y, t, eps, from_logits, scale, grad, row_loss, weight, accumulate):
    zero, one = y.dtype.type(0), y.dtype.type(1)
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        total = zero
        for j in range(y.shape[1]):
            p = min(max(y[r, j], eps), one - eps)
            target = t[r, j]
            total -= target * math.log(p) + (one - target) * math.log(one - p)
            if from_logits:
                grad[r, j] = (y[r, j] - target) * scale
            else:
                grad[r, j] = (p - target) / (p * (one - p)) * scale
        _row_total(row_loss, r, total, weight, accumulate)


@cuda.jit
def categorical_crossentropy(y, t, eps, from_logits, scale, grad, row_loss, weight, accumulate):
    zero, one = y.dtype.type(0), y.dtype.type(1)
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        total = zero
        for j in range(y.shape[1]):
            p = min(max(y[r, j], eps), one)
            total -= t[r, j] * math.log(p)
            if from_logits:
                grad[r, j] = (y[r, j] - t[r, j]) * scale
            else:
                grad[r, j] = -t[r, j] / p * scale
        _row_total(row_loss, r, total, weight, accumulate)


@cuda.jit
def sparse_categorical_crossentropy(y, labels, eps, from_logits, scale, grad, row_loss, weight, accumulate):
    zero, one = y.dtype.type(0), y.dtype.type(1)
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        label = labels[r]
        for j in range(y.shape[1]):
            target = one if j == label else zero
            if from_logits:
                grad[r, j] = (y[r, j] - target) * scale
            else:
                grad[r, j] = -target / min(max(y[r, j], eps), one) * scale
        _row_total(row_loss, r, -math.log(min(max(y[r, label], eps), one)), weight, accumulate)


# ------------------------------------------------------------------- metrics
# Each counting kernel adds its hits to ``count[0]``, a counter that stays on the
# device over the batches of an epoch.
@cuda.jit(device=True)
def _argmax(x, r):
    best, arg = x[r, 0], 0
    for j in range(1, x.shape[1]):
        if x[r, j] > best:
            best, arg = x[r, j], j
    return arg


@cuda.jit
def argmax_equal(y, t, count):
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        if _argmax(y, r) == _argmax(t, r):
            cuda.atomic.add(count, 0, 1)


@cuda.jit
def argmax_label(y, labels, count):
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        if _argmax(y, r) == labels[r]:
            cuda.atomic.add(count, 0, 1)


@cuda.jit
def threshold_equal(y, t, threshold, count):
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        if (y[i] > threshold) == (t[i] > threshold):
            cuda.atomic.add(count, 0, 1)


# --------------------------------------------------------- optimizer updates
# In place on flat views of a parameter, its gradient and its state; each
# leaves the gradient at zero, ready for the next batch. The hyperparameters come
# from the host in the parameter's dtype.
@cuda.jit
def sgd(p, g, lr):
    zero = p.dtype.type(0)
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        p[i] -= lr * g[i]
        g[i] = zero


@cuda.jit
def sgd_momentum(p, g, v, lr, momentum, nesterov):
    zero = p.dtype.type(0)
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        v[i] = momentum * v[i] + g[i]
        p[i] -= lr * (g[i] + momentum * v[i] if nesterov else v[i])
        g[i] = zero


@cuda.jit
def adagrad(p, g, acc, lr, eps, eps_inside_sqrt):
    zero = p.dtype.type(0)
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        acc[i] += g[i] * g[i]
        p[i] -= lr * g[i] / (math.sqrt(acc[i] + eps) if eps_inside_sqrt else math.sqrt(acc[i]) + eps)
        g[i] = zero


@cuda.jit
def rmsprop(p, g, ms, lr, rho, eps, eps_inside_sqrt):
    zero, one = p.dtype.type(0), p.dtype.type(1)
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        ms[i] = rho * ms[i] + (one - rho) * g[i] * g[i]
        p[i] -= lr * g[i] / (math.sqrt(ms[i] + eps) if eps_inside_sqrt else math.sqrt(ms[i]) + eps)
        g[i] = zero


@cuda.jit
def adadelta(p, g, ms, md, lr, rho, eps):
    zero, one = p.dtype.type(0), p.dtype.type(1)
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        ms[i] = rho * ms[i] + (one - rho) * g[i] * g[i]
        delta = math.sqrt(md[i] + eps) / math.sqrt(ms[i] + eps) * g[i]
        md[i] = rho * md[i] + (one - rho) * delta * delta
        p[i] -= lr * delta
        g[i] = zero


@cuda.jit
def adam(p, g, m, v, lr, beta1, beta2, eps, correction1, correction2):
    """``correction1 = 1 - beta1**t`` and ``correction2 = 1 - beta2**t`` come from the host."""
    zero, one = p.dtype.type(0), p.dtype.type(1)
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        m[i] = beta1 * m[i] + (one - beta1) * g[i]
        v[i] = beta2 * v[i] + (one - beta2) * g[i] * g[i]
        p[i] -= lr * (m[i] / correction1) / (math.sqrt(v[i] / correction2) + eps)
        g[i] = zero


@cuda.jit
def adamax(p, g, m, u, step_size, beta1, beta2, eps):
    zero, one = p.dtype.type(0), p.dtype.type(1)
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        m[i] = beta1 * m[i] + (one - beta1) * g[i]
        u[i] = max(beta2 * u[i], abs(g[i]))
        p[i] -= step_size * m[i] / (u[i] + eps)
        g[i] = zero


@cuda.jit
def nadam(p, g, m, v, lr, beta1, beta2, eps, m_weight, g_weight, v_correction):
    zero, one = p.dtype.type(0), p.dtype.type(1)
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        m[i] = beta1 * m[i] + (one - beta1) * g[i]
        v[i] = beta2 * v[i] + (one - beta2) * g[i] * g[i]
        p[i] -= lr * (m_weight * m[i] + g_weight * g[i]) / (math.sqrt(v[i] * v_correction) + eps)
        g[i] = zero
