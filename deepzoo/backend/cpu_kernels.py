"""numba-compiled CPU kernels: pure functions over arrays and scalars.

Each kernel does in one pass over memory what the reference ``Ops`` spells out
with several NumPy expressions. They are compiled on first call (``@njit``
without signatures) and cached on disk (``cache=True``), so a model compiles only
the kernels it uses, once per machine.

Rules kept here, measured on small CPUs:

* ``error_model="numpy"``: Python's error model checks every division for zero and
  stops the loop from vectorising.
* Elementwise kernels take contiguous arrays of any rank and walk them as 1-D
  views (``reshape(-1)`` inside the kernel costs nothing); kernels where rows
  matter (bias, softmax, losses over classes) take 2-D arrays.
* Scalars that meet float32 arrays are passed already converted to the array's
  dtype by the caller: a bare ``1.0`` here would turn float32 maths into float64.
* ``math.exp``/``math.tanh`` do not vectorise; they are used only where the
  arrays are small (sigmoid and tanh outputs) and left to NumPy elsewhere.
* No matrix products here: they stay in NumPy's BLAS (see ``numba_cpu.py``).
"""

import math

from numba import njit

_fast = {"cache": True, "error_model": "numpy", "fastmath": True, "nogil": True}
_exact = {"cache": True, "error_model": "numpy", "nogil": True}


# ----------------------------------------------------------- bias and sums
@njit(**_exact)
def add_bias(y, bias):
    n, m = y.shape
    for i in range(n):
        for j in range(m):
            y[i, j] += bias[j]


@njit(**_fast)
def sum_rows(dy, out, accumulate):
    n, m = dy.shape
    if not accumulate:
        for j in range(m):
            out[j] = 0
    for i in range(n):
        for j in range(m):
            out[j] += dy[i, j]


@njit(**_exact)
def add_outer_products(a, b, out):
    """``out += a.T @ b`` for a short batch axis: a sum of ``len(a)`` outer products.

    With one sample per step (online learning) this rank-1 update is the whole
    weight gradient; BLAS's GEMM spends far longer packing such thin operands
    than the arithmetic takes.
    """
    k_dim, m = a.shape
    n = b.shape[1]
    for k in range(k_dim):
        for i in range(m):
            aki = a[k, i]
            for j in range(n):
                out[i, j] += aki * b[k, j]


@njit(**_exact)
def add_into(out, x):
    out = out.reshape(-1)
    x = x.reshape(-1)
    for i in range(out.size):
        out[i] += x[i]


# ------------------------------------------------------------- activations
@njit(**_exact)
def relu(x, out):
    x = x.reshape(-1)
    out = out.reshape(-1)
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * 0


@njit(**_exact)
def relu_backward(dy, y, dx):
    dy = dy.reshape(-1)
    y = y.reshape(-1)
    dx = dx.reshape(-1)
    for i in range(dy.size):
        dx[i] = dy[i] if y[i] > 0 else dy[i] * 0


@njit(**_exact)
def leaky_relu(x, alpha, out):
    x = x.reshape(-1)
    out = out.reshape(-1)
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else alpha * v


@njit(**_exact)
def leaky_relu_backward(dy, y, alpha, dx):
    dy = dy.reshape(-1)
    y = y.reshape(-1)
    dx = dx.reshape(-1)
    for i in range(dy.size):
        dx[i] = dy[i] if y[i] > 0 else alpha * dy[i]


@njit(**_exact)
def elu(x, alpha, out):
    x = x.reshape(-1)
    out = out.reshape(-1)
    for i in range(x.size):
        v = x[i]
        out[i] = v if v > 0 else alpha * math.expm1(v)


@njit(**_exact)
def elu_backward(dy, y, alpha, dx):
    dy = dy.reshape(-1)
    y = y.reshape(-1)
    dx = dx.reshape(-1)
    for i in range(dy.size):
        dx[i] = dy[i] if y[i] > 0 else dy[i] * (y[i] + alpha)


@njit(**_exact)
def sigmoid(x, out):
    x = x.reshape(-1)
    out = out.reshape(-1)
    for i in range(x.size):
        v = x[i]
        if v >= 0:
            out[i] = 1 / (1 + math.exp(-v))
        else:
            z = math.exp(v)
            out[i] = z / (1 + z)


@njit(**_exact)
def sigmoid_backward(dy, y, dx):
    dy = dy.reshape(-1)
    y = y.reshape(-1)
    dx = dx.reshape(-1)
    for i in range(dy.size):
        dx[i] = dy[i] * y[i] * (1 - y[i])


@njit(**_exact)
def tanh_backward(dy, y, dx):
    dy = dy.reshape(-1)
    y = y.reshape(-1)
    dx = dx.reshape(-1)
    for i in range(dy.size):
        dx[i] = dy[i] * (1 - y[i] * y[i])


@njit(**_exact)
def softmax_rows(x, out):
    n, m = x.shape
    for i in range(n):
        top = x[i, 0]
        for j in range(1, m):
            top = max(top, x[i, j])
        total = x[i, 0] * 0
        for j in range(m):
            e = math.exp(x[i, j] - top)
            out[i, j] = e
            total += e
        for j in range(m):
            out[i, j] /= total


@njit(**_exact)
def softmax_backward_rows(dy, y, dx):
    n, m = dy.shape
    for i in range(n):
        dot = dy[i, 0] * 0
        for j in range(m):
            dot += dy[i, j] * y[i, j]
        for j in range(m):
            dx[i, j] = y[i, j] * (dy[i, j] - dot)


# ------------------------------------------------------------------ dropout
@njit(**_exact)
def dropout_from_uniform(u, rate, scale, mask):
    """``mask[i] = scale`` where ``u[i] >= rate``, else 0."""
    u = u.reshape(-1)
    mask = mask.reshape(-1)
    for i in range(u.size):
        mask[i] = scale if u[i] >= rate else scale * 0


# ------------------------------------------------------------------- losses
@njit(**_fast)
def squared_error(y, t, grad, grad_scale):
    """Sum of ``(y - t)**2``; writes ``grad = grad_scale * (y - t)``."""
    y = y.reshape(-1)
    t = t.reshape(-1)
    grad = grad.reshape(-1)
    total = 0.0
    for i in range(y.size):
        d = y[i] - t[i]
        total += d * d
        grad[i] = grad_scale * d
    return total


@njit(**_fast)
def binary_crossentropy(y, t, eps, fused, grad):
    """Sum of ``-(t log y + (1 - t) log(1 - y))``; the gradient is scaled by the caller."""
    y = y.reshape(-1)
    t = t.reshape(-1)
    grad = grad.reshape(-1)
    total = 0.0
    for i in range(y.size):
        yc = min(max(y[i], eps), 1 - eps)
        total -= t[i] * math.log(yc) + (1 - t[i]) * math.log(1 - yc)
        if fused:
            grad[i] = y[i] - t[i]
        else:
            grad[i] = (yc - t[i]) / (yc * (1 - yc))
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
@njit(**_exact)
def sgd(param, grad, lr):
    param = param.reshape(-1)
    grad = grad.reshape(-1)
    for i in range(param.size):
        param[i] -= lr * grad[i]
        grad[i] = 0


@njit(**_exact)
def sgd_momentum(param, grad, velocity, lr, momentum, nesterov):
    param = param.reshape(-1)
    grad = grad.reshape(-1)
    velocity = velocity.reshape(-1)
    for i in range(param.size):
        v = momentum * velocity[i] + grad[i]
        velocity[i] = v
        param[i] -= lr * (grad[i] + momentum * v if nesterov else v)
        grad[i] = 0


@njit(**_exact)
def adagrad(param, grad, accumulator, lr, eps):
    param = param.reshape(-1)
    grad = grad.reshape(-1)
    accumulator = accumulator.reshape(-1)
    for i in range(param.size):
        g = grad[i]
        s = accumulator[i] + g * g
        accumulator[i] = s
        param[i] -= lr * g / (math.sqrt(s) + eps)
        grad[i] = 0


@njit(**_exact)
def rmsprop(param, grad, mean_square, lr, rho, one_minus_rho, eps, tiny):
    param = param.reshape(-1)
    grad = grad.reshape(-1)
    mean_square = mean_square.reshape(-1)
    for i in range(param.size):
        g = grad[i]
        s = rho * mean_square[i] + one_minus_rho * g * g
        mean_square[i] = s if s > tiny else s * 0
        param[i] -= lr * g / (math.sqrt(s) + eps)
        grad[i] = 0


@njit(**_exact)
def adadelta(param, grad, mean_square, mean_delta, lr, rho, one_minus_rho, eps, tiny):
    param = param.reshape(-1)
    grad = grad.reshape(-1)
    mean_square = mean_square.reshape(-1)
    mean_delta = mean_delta.reshape(-1)
    for i in range(param.size):
        g = grad[i]
        s = rho * mean_square[i] + one_minus_rho * g * g
        mean_square[i] = s if s > tiny else s * 0
        d = math.sqrt(mean_delta[i] + eps) / math.sqrt(s + eps) * g
        u = rho * mean_delta[i] + one_minus_rho * d * d
        mean_delta[i] = u if u > tiny else u * 0
        param[i] -= lr * d
        grad[i] = 0


@njit(**_exact)
def adam(param, grad, m, v, step_size, beta1, one_minus_beta1, beta2, one_minus_beta2,
         inv_sqrt_bias2, eps, tiny):
    param = param.reshape(-1)
    grad = grad.reshape(-1)
    m = m.reshape(-1)
    v = v.reshape(-1)
    for i in range(param.size):
        g = grad[i]
        a = beta1 * m[i] + one_minus_beta1 * g
        b = beta2 * v[i] + one_minus_beta2 * g * g
        a = a if abs(a) > tiny else a * 0
        b = b if b > tiny else b * 0
        m[i] = a
        v[i] = b
        param[i] -= step_size * a / (math.sqrt(b) * inv_sqrt_bias2 + eps)
        grad[i] = 0
