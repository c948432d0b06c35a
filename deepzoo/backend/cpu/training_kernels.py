"""numba-compiled CPU kernels of the losses, metrics and optimizer updates.

They follow the rules written at the top of ``dense_kernels.py``: one pass over
memory, ``error_model="numpy"``, scalars passed in the arrays' dtype.
"""

import math

from numba import njit

from .jit import CACHE, recover_from_bad_cache_files

_fast = {"cache": CACHE, "error_model": "numpy", "fastmath": True, "nogil": True}
_exact = {"cache": CACHE, "error_model": "numpy", "nogil": True}


# ------------------------------------------------------------------- losses
@njit(**_fast)
def squared_error(y, t, grad, grad_scale):
    """Sum of ``(y - t)**2``; writes ``grad = grad_scale * (y - t)``. ``grad_scale`` may be a
    Python float: it is rounded to the arrays' dtype here, as the caller would (a
    conversion in Python costs a fifth of a microsecond, in a step of a dozen)."""
    grad_scale = grad.dtype.type(grad_scale)
    total = 0.0
    for i in range(y.size):
        d = y[i] - t[i]
        total += d * d
        grad[i] = grad_scale * d
    return total


@njit(**_exact)
def absolute_error(y, t, grad, grad_scale):
    """Sum of ``|y - t|``; writes ``grad = grad_scale * sign(y - t)``."""
    total = 0.0
    for i in range(y.size):
        d = y[i] - t[i]
        if d > 0:
            total += d
            grad[i] = grad_scale
        elif d < 0:
            total -= d
            grad[i] = -grad_scale
        else:
            grad[i] = 0
    return total


@njit(**_exact)
def huber(y, t, delta, grad, grad_scale):
    """Sum of Huber's loss of ``y - t``; writes ``grad = grad_scale * clip(y - t, -delta, delta)``."""
    total = 0.0
    half = delta * 0.5
    for i in range(y.size):
        d = y[i] - t[i]
        if d > delta:
            total += delta * (d - half)
            grad[i] = grad_scale * delta
        elif d < -delta:
            total += delta * (-d - half)
            grad[i] = -grad_scale * delta
        else:
            total += 0.5 * d * d
            grad[i] = grad_scale * d
    return total


@njit(**_fast)
def binary_crossentropy(y, t, eps, fused, grad_scale, grad):
    """Sum of ``-(t log y + (1 - t) log(1 - y))``; writes its gradient times ``grad_scale``
    (rounded to the array's dtype before the scaling, as a separate pass would be).
    ``eps`` and ``grad_scale`` are rounded to the arrays' dtype here (see squared_error)."""
    eps, grad_scale = y.dtype.type(eps), grad.dtype.type(grad_scale)
    total = 0.0
    for i in range(y.size):
        yc = min(max(y[i], eps), 1 - eps)
        total -= t[i] * math.log(yc) + (1 - t[i]) * math.log(1 - yc)
        if fused:
            grad[i] = y[i] - t[i]
        else:
            grad[i] = (yc - t[i]) / (yc * (1 - yc))
        grad[i] *= grad_scale
    return total


@njit(**_fast)
def categorical_crossentropy(y, t, eps, fused, grad):
    """Sum over the batch of ``-sum_k t_k log y_k``; unscaled gradient into ``grad``."""
    total = 0.0
    n, m = y.shape
    for i in range(n):
        for j in range(m):
            yc = max(y[i, j], eps)
            if t[i, j] != 0:
                total -= t[i, j] * math.log(yc)
            grad[i, j] = y[i, j] - t[i, j] if fused else -t[i, j] / yc
    return total


@njit(**_fast)
def sparse_categorical_crossentropy(y, labels, eps, fused, grad):
    total = 0.0
    n, m = y.shape
    for i in range(n):
        k = labels[i]
        for j in range(m):
            grad[i, j] = y[i, j] if fused else y[i, j] * 0
        yc = max(y[i, k], eps)
        total -= math.log(yc)
        grad[i, k] = y[i, k] - 1 if fused else -1 / yc
    return total


# ------------------------------------------------------------------ metrics
@njit(**_exact)
def count_argmax_equal(y, t):
    n, m = y.shape
    hits = 0
    for i in range(n):
        a = 0
        b = 0
        for j in range(1, m):
            if y[i, j] > y[i, a]:
                a = j
            if t[i, j] > t[i, b]:
                b = j
        hits += a == b
    return hits


@njit(**_exact)
def count_argmax_label(y, labels):
    n, m = y.shape
    hits = 0
    for i in range(n):
        a = 0
        for j in range(1, m):
            if y[i, j] > y[i, a]:
                a = j
        hits += a == labels[i]
    return hits


# ------------------------------------------------------- optimizer updates
# Each update consumes the gradient: it writes ``grad[i] = 0`` once it has used
# it, in the same pass, so the next step can accumulate into it again.
# ``tiny``: state values smaller than this are flushed to zero. Adam's moments of
# weights that stop receiving gradients decay geometrically into denormal
# numbers, and arithmetic on denormals is up to a hundred times slower.
@njit(inline="always")
def _flush(x, tiny):
    """``x``, or 0 where ``|x| <= tiny`` (NaN stays NaN). A product with the comparison,
    not ``x if ... else 0``: that choice kept the loops below from vectorising (Adam
    over 669,706 parameters took 643 us, 330 us with the product: ``benchmarks/kernel_notes.py``)."""
    return x * (abs(x) > tiny)


@njit(**_exact)
def sgd(param, grad, lr):
    lr = param.dtype.type(lr)  # rounded here (see squared_error)
    for i in range(param.size):
        param[i] -= lr * grad[i]
        grad[i] = 0


@njit(**_exact)
def sgd_momentum(param, grad, velocity, lr, momentum, nesterov):
    for i in range(param.size):
        v = momentum * velocity[i] + grad[i]
        velocity[i] = v
        param[i] -= lr * (grad[i] + momentum * v if nesterov else v)
        grad[i] = 0


@njit(**_exact)
def adagrad(param, grad, accumulator, lr, eps, eps_inside_sqrt):
    for i in range(param.size):
        g = grad[i]
        s = accumulator[i] + g * g
        accumulator[i] = s
        param[i] -= lr * g / (math.sqrt(s + eps) if eps_inside_sqrt else math.sqrt(s) + eps)
        grad[i] = 0


@njit(**_exact)
def rmsprop(param, grad, mean_square, lr, rho, one_minus_rho, eps, eps_inside_sqrt, tiny):
    for i in range(param.size):
        g = grad[i]
        s = rho * mean_square[i] + one_minus_rho * g * g
        mean_square[i] = _flush(s, tiny)
        param[i] -= lr * g / (math.sqrt(s + eps) if eps_inside_sqrt else math.sqrt(s) + eps)
        grad[i] = 0


@njit(**_exact)
def adadelta(param, grad, mean_square, mean_delta, lr, rho, one_minus_rho, eps, tiny):
    for i in range(param.size):
        g = grad[i]
        s = rho * mean_square[i] + one_minus_rho * g * g
        mean_square[i] = _flush(s, tiny)
        d = math.sqrt(mean_delta[i] + eps) / math.sqrt(s + eps) * g
        u = rho * mean_delta[i] + one_minus_rho * d * d
        mean_delta[i] = _flush(u, tiny)
        param[i] -= lr * d
        grad[i] = 0


@njit(**_exact)
def adam(param, grad, m, v, step_size, beta1, one_minus_beta1, beta2, one_minus_beta2,
         inv_sqrt_bias2, eps, tiny):
    for i in range(param.size):
        g = grad[i]
        a = beta1 * m[i] + one_minus_beta1 * g
        b = beta2 * v[i] + one_minus_beta2 * g * g
        a = _flush(a, tiny)
        b = _flush(b, tiny)
        m[i] = a
        v[i] = b
        param[i] -= step_size * a / (math.sqrt(b) * inv_sqrt_bias2 + eps)
        grad[i] = 0


@njit(**_exact)
def adamax(param, grad, m, u, step_size, beta1, one_minus_beta1, beta2, eps):
    for i in range(param.size):
        g = grad[i]
        a = beta1 * m[i] + one_minus_beta1 * g
        b = max(beta2 * u[i], abs(g))
        m[i] = a
        u[i] = b
        param[i] -= step_size * a / (b + eps)
        grad[i] = 0


@njit(**_exact)
def nadam(param, grad, m, v, lr, beta1, one_minus_beta1, beta2, one_minus_beta2, m_weight, g_weight,
          v_correction, eps):
    for i in range(param.size):
        g = grad[i]
        a = beta1 * m[i] + one_minus_beta1 * g
        b = beta2 * v[i] + one_minus_beta2 * g * g
        m[i] = a
        v[i] = b
        param[i] -= lr * (m_weight * a + g_weight * g) / (math.sqrt(b * v_correction) + eps)
        grad[i] = 0


recover_from_bad_cache_files(globals())
