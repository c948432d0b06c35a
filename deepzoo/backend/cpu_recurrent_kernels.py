"""numba kernels for the recurrent steps (see :mod:`deepzoo.backend.recurrent_ops`).

One pass over the N x U cells of a step does what the reference spells out in
a dozen NumPy expressions; the matrix products of a step stay in BLAS.
"""

import math

from numba import njit

_opts = {"cache": True, "error_model": "numpy"}


@njit(**_opts)
def _sigmoid(x):
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


@njit(**_opts)
def lstm_step(z, c_prev, h_out, c_out, gates_out, tanh_c_out):
    n, u = c_prev.shape
    for b in range(n):
        for j in range(u):
            i = _sigmoid(z[b, j])
            f = _sigmoid(z[b, u + j])
            g = math.tanh(z[b, 2 * u + j])
            o = _sigmoid(z[b, 3 * u + j])
            c = f * c_prev[b, j] + i * g
            tc = math.tanh(c)
            gates_out[b, j] = i
            gates_out[b, u + j] = f
            gates_out[b, 2 * u + j] = g
            gates_out[b, 3 * u + j] = o
            c_out[b, j] = c
            tanh_c_out[b, j] = tc
            h_out[b, j] = o * tc


@njit(**_opts)
def lstm_step_backward(dh, dc_next, gates, c_prev, tanh_c, dz_out, dc_prev_out):
    n, u = c_prev.shape
    for b in range(n):
        for j in range(u):
            i = gates[b, j]
            f = gates[b, u + j]
            g = gates[b, 2 * u + j]
            o = gates[b, 3 * u + j]
            tc = tanh_c[b, j]
            dc = dc_next[b, j] + dh[b, j] * o * (1 - tc * tc)
            dz_out[b, j] = dc * g * i * (1 - i)
            dz_out[b, u + j] = dc * c_prev[b, j] * f * (1 - f)
            dz_out[b, 2 * u + j] = dc * i * (1 - g * g)
            dz_out[b, 3 * u + j] = dh[b, j] * tc * o * (1 - o)
            dc_prev_out[b, j] = dc * f
