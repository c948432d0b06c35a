"""CUDA kernels for recurrent layers: axis swaps, repeats and the fused LSTM step.

Their meaning is that of :mod:`deepzoo.backend.reference.recurrent`. The LSTM kernels
give one thread each (sample, unit) pair: it computes that unit's four gates,
its cell state and its output in one pass, with no intermediate arrays.
"""

from __future__ import annotations

import math

from .target import cuda_module

cuda = cuda_module()


@cuda.jit
def swap_leading_axes(x, out):
    """``out[b, a, r] = x[a, b, r]`` for ``x`` of shape ``(A, B, R)``."""
    a_size, b_size, inner = x.shape
    for idx in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        r = idx % inner
        a = (idx // inner) % a_size
        b = idx // (inner * a_size)
        out[b, a, r] = x[a, b, r]


@cuda.jit
def repeat_steps(x, out):
    """``out[n, t, f] = x[n, f]``."""
    _, steps, f = out.shape
    for idx in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[idx // (steps * f), (idx // f) % steps, idx % f] = x[idx // (steps * f), idx % f]


@cuda.jit
def sum_steps(dy, out):
    """``out[n, f] = sum_t dy[n, t, f]``."""
    _, steps, f = dy.shape
    for idx in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        total = out.dtype.type(0)
        for t in range(steps):
            total += dy[idx // f, t, idx % f]
        out[idx // f, idx % f] = total


@cuda.jit
def reverse_steps(x, out):
    """``out[n, t, r] = x[n, T - 1 - t, r]`` (the trailing axes flattened into ``r``)."""
    _, steps, inner = x.shape
    for idx in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        n, t, r = idx // (steps * inner), (idx // inner) % steps, idx % inner
        out[n, t, r] = x[n, steps - 1 - t, r]


@cuda.jit
def concat_last(a, b, out):
    """Rows of ``a`` then rows of ``b``, side by side (all 2-D: leading axes flattened)."""
    wa, wb = a.shape[1], b.shape[1]
    for idx in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        row, col = idx // (wa + wb), idx % (wa + wb)
        out[row, col] = a[row, col] if col < wa else b[row, col - wa]


@cuda.jit
def split_last(x, a, b):
    """The inverse of :func:`concat_last`."""
    wa, wb = a.shape[1], b.shape[1]
    for idx in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        row, col = idx // (wa + wb), idx % (wa + wb)
        if col < wa:
            a[row, col] = x[row, col]
        else:
            b[row, col - wa] = x[row, col]


@cuda.jit(device=True)
def _sigmoid(x, zero, one):
    # zero and one are typed like the data: a bare 1.0 would turn float32 into float64
    if x >= zero:
        return one / (one + math.exp(-x))
    z = math.exp(x)
    return z / (one + z)


@cuda.jit
def lstm_step(z, c_prev, h, c, gates, tanh_c):
    """One step for every (sample, unit): the four gates, the new cell and output."""
    n, u = c_prev.shape
    zero, one = c.dtype.type(0), c.dtype.type(1)
    for idx in range(cuda.grid(1), n * u, cuda.gridsize(1)):
        s, k = idx // u, idx % u
        i = _sigmoid(z[s, k], zero, one)
        f = _sigmoid(z[s, u + k], zero, one)
        g = math.tanh(z[s, 2 * u + k])
        o = _sigmoid(z[s, 3 * u + k], zero, one)
        gates[s, k], gates[s, u + k], gates[s, 2 * u + k], gates[s, 3 * u + k] = i, f, g, o
        cell = f * c_prev[s, k] + i * g
        c[s, k] = cell
        tanh_c[s, k] = math.tanh(cell)
        h[s, k] = o * tanh_c[s, k]


@cuda.jit
def lstm_step_backward(dh, dc_next, gates, c_prev, tanh_c, dz, dc_prev):
    n, u = c_prev.shape
    one = dz.dtype.type(1)
    for idx in range(cuda.grid(1), n * u, cuda.gridsize(1)):
        s, k = idx // u, idx % u
        i, f = gates[s, k], gates[s, u + k]
        g, o = gates[s, 2 * u + k], gates[s, 3 * u + k]
        t = tanh_c[s, k]
        dc = dc_next[s, k] + dh[s, k] * o * (one - t * t)
        dz[s, k] = dc * g * i * (one - i)
        dz[s, u + k] = dc * c_prev[s, k] * f * (one - f)
        dz[s, 2 * u + k] = dc * i * (one - g * g)
        dz[s, 3 * u + k] = dh[s, k] * t * o * (one - o)
        dc_prev[s, k] = dc * f


@cuda.jit
def gru_step(xw, rec, h_prev, h, gates):
    """One GRU step for every (sample, unit): the update and reset gates, the candidate, ``h``."""
    n, u = h_prev.shape
    zero, one = h.dtype.type(0), h.dtype.type(1)
    for idx in range(cuda.grid(1), n * u, cuda.gridsize(1)):
        s, k = idx // u, idx % u
        z = _sigmoid(xw[s, k] + rec[s, k], zero, one)
        r = _sigmoid(xw[s, u + k] + rec[s, u + k], zero, one)
        hh = math.tanh(xw[s, 2 * u + k] + r * rec[s, 2 * u + k])
        gates[s, k], gates[s, u + k], gates[s, 2 * u + k] = z, r, hh
        h[s, k] = z * h_prev[s, k] + (one - z) * hh


@cuda.jit
def gru_step_backward(dh, gates, rec, h_prev, dx, drec, dh_direct):
    n, u = h_prev.shape
    one = dx.dtype.type(1)
    for idx in range(cuda.grid(1), n * u, cuda.gridsize(1)):
        s, k = idx // u, idx % u
        z, r, hh = gates[s, k], gates[s, u + k], gates[s, 2 * u + k]
        d = dh[s, k]
        da_h = d * (one - z) * (one - hh * hh)
        da_z = d * (h_prev[s, k] - hh) * z * (one - z)
        da_r = da_h * rec[s, 2 * u + k] * r * (one - r)
        dx[s, k], dx[s, u + k], dx[s, 2 * u + k] = da_z, da_r, da_h
        drec[s, k], drec[s, u + k], drec[s, 2 * u + k] = da_z, da_r, da_h * r
        dh_direct[s, k] = d * z
