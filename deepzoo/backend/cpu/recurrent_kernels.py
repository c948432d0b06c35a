"""numba kernels for the recurrent steps (see :mod:`deepzoo.backend.reference.recurrent`).

One pass over the N x U cells of a step does what the reference spells out in
a dozen NumPy expressions; the matrix products of a step stay in BLAS. The
gates' sigmoids are written as sigmoid(x) = (1 + tanh(x / 2)) / 2, so every
transcendental function of a step is a tanh. ``math.tanh`` and ``math.exp`` do
not vectorise inside numba (about 14 ns per element against 0.3 ns for NumPy's
``tanh``), so in float64 the forward step receives ``tanh`` already applied by
NumPy. In float32 (training's dtype) the whole step, LSTM or GRU, is one kernel
with :func:`tanh32`, a rational function LLVM vectorises: the Keras adder's LSTM
step of 32 x 128 cells takes 11 instead of 18 us (``benchmarks/kernel_notes.py 10``).

The loops take each sample's row of every gate block as a 1-D view (``t[b, :u]``)
and run over those: written with two indices (``t[b, u + j]``) LLVM keeps the loop
scalar, as row views it uses SIMD instructions (the lecture LSTM's backward step,
32 x 100 cells: 11.4 -> 5.7 us, ``benchmarks/kernel_notes.py 6``).
"""


import numpy as np
from numba import njit

from .blas import NO_TRANS, gemm
from .jit import CACHE, recover_from_bad_cache_files

_opts = {"cache": CACHE, "error_model": "numpy"}

# Beyond this, tanh of a float32 rounds to +-1; the rational function below is fitted up to it.
_TANH32_EDGE = np.float32(7.90531110763549805)
# Numerator (odd powers x^1 .. x^13, highest first) and denominator (x^0 .. x^6) of the
# minimax rational approximation of tanh that the Eigen library uses for float32.
_TANH32_P = (np.float32(-2.76076847742355e-16), np.float32(2.00018790482477e-13),
             np.float32(-8.60467152213735e-11), np.float32(5.12229709037114e-08),
             np.float32(1.48572235717979e-05), np.float32(6.37261928875436e-04),
             np.float32(4.89352455891786e-03))
_TANH32_Q = (np.float32(1.19825839466702e-06), np.float32(1.18534705686654e-04),
             np.float32(2.26843463243900e-03), np.float32(4.89352518554385e-03))


@njit(inline="always", error_model="numpy")
def tanh32(x):
    """tanh of a float32 in plain arithmetic, which LLVM turns into SIMD instructions when
    it sits in a loop (``math.tanh`` stays a call per element, about 14 ns each).

    ``x`` is clamped to +-7.905 (where float32's tanh reaches +-1), then
    ``tanh(x) = x p(x^2) / q(x^2)`` with the polynomials of ``_TANH32_P`` and
    ``_TANH32_Q``, evaluated by Horner's rule. Within 4e-7 of the exact value
    (NumPy's float32 ``tanh``: 6e-8), exactly odd, and NaN for NaN. For float32
    only: in float64 the error would stay that of float32.
    """
    x = _TANH32_EDGE if x > _TANH32_EDGE else x
    x = -_TANH32_EDGE if x < -_TANH32_EDGE else x
    x2 = x * x
    p = x2 * _TANH32_P[0] + _TANH32_P[1]
    p = x2 * p + _TANH32_P[2]
    p = x2 * p + _TANH32_P[3]
    p = x2 * p + _TANH32_P[4]
    p = x2 * p + _TANH32_P[5]
    p = x2 * p + _TANH32_P[6]
    q = x2 * _TANH32_Q[0] + _TANH32_Q[1]
    q = x2 * q + _TANH32_Q[2]
    q = x2 * q + _TANH32_Q[3]
    return x * p / q


@njit(**_opts)
def lstm_step_float32(z, c_prev, h_out, c_out, gates_out, tanh_c_out):
    """A whole float32 LSTM step in one pass: the gates from ``z`` (sigmoid(x) =
    (1 + tanh(x / 2)) / 2), the new cell, its tanh and ``h``, with :func:`tanh32`."""
    n, u = c_prev.shape
    half = np.float32(0.5)
    for b in range(n):
        zi, zf, zg, zo = z[b, :u], z[b, u:2 * u], z[b, 2 * u:3 * u], z[b, 3 * u:]
        row = gates_out[b]
        gi, gf, gg, go = row[:u], row[u:2 * u], row[2 * u:3 * u], row[3 * u:]
        cp, co, tc, ho = c_prev[b], c_out[b], tanh_c_out[b], h_out[b]
        for j in range(u):
            i = half + half * tanh32(half * zi[j])
            f = half + half * tanh32(half * zf[j])
            g = tanh32(zg[j])
            o = half + half * tanh32(half * zo[j])
            gi[j] = i
            gf[j] = f
            gg[j] = g
            go[j] = o
            c = f * cp[j] + i * g
            co[j] = c
            t = tanh32(c)
            tc[j] = t
            ho[j] = o * t


@njit(**_opts)
def lstm_steps_float32(xw, recurrent, h_all, c_all, gates, tanh_c, address):
    """Every float32 LSTM step of a sequence in one call: for t = 0 .. T - 1,
    ``xw[t] += h_all[t] @ recurrent`` (BLAS's ``sgemm`` at ``address``, see ``blas.py``;
    skipped at t = 0, where ``h_0 = 0``), then :func:`lstm_step_float32` from ``xw[t]``,
    ``c_all[t]`` into ``h_all[t + 1]``, ``c_all[t + 1]``, ``gates[t]``, ``tanh_c[t]``.
    All arrays C-contiguous; ``xw`` is overwritten with the gates' pre-activations, unless
    it holds one step for all (a repeated input), which is copied at every step instead."""
    t, n, width = gates.shape
    u = recurrent.shape[0]
    one = np.float32(1)
    repeated = xw.shape[0] != t
    copy = np.empty((n if repeated else 0, width), np.float32)
    for step in range(t):
        z = copy if repeated else xw[step]
        for b in range(copy.shape[0]):  # a repeated input: its rows, copied
            row, source = copy[b], xw[0, b]
            for j in range(width):
                row[j] = source[j]
        if step:
            gemm(address, NO_TRANS, NO_TRANS, n, width, u, one, h_all[step].ctypes.data, u,
                 recurrent.ctypes.data, width, one, z.ctypes.data, width)
        lstm_step_float32(z, c_all[step], h_all[step + 1], c_all[step + 1], gates[step], tanh_c[step])


@njit(**_opts)
def lstm_steps_backward(dh_all, gates, c_all, tanh_c, recurrent, trans, dz_all, address):
    """The backward of :func:`lstm_steps_float32` (any float dtype, with ``?gemm`` of that
    dtype at ``address``): for t = T - 1 .. 0, :func:`lstm_step_backward` of step t into
    ``dz_all[t]``, then ``dh_all[t - 1] += dz_all[t] @ R^T``, where ``R^T`` is
    ``recurrent`` itself (``trans`` = NO_TRANS, a contiguous copy) or ``recurrent``
    transposed (``trans`` = TRANS). ``dh_all`` holds each step's gradient from the output,
    and the carried one is added into it. The cell's gradient starts at zero."""
    t, n, width = dz_all.shape
    u = dh_all.shape[2]
    one = dz_all.dtype.type(1)
    dc, dc_prev = np.zeros((n, u), dz_all.dtype), np.empty((n, u), dz_all.dtype)
    for step in range(t - 1, -1, -1):
        lstm_step_backward(dh_all[step], dc, gates[step], c_all[step], tanh_c[step], dz_all[step], dc_prev)
        dc, dc_prev = dc_prev, dc
        if step:
            gemm(address, NO_TRANS, trans, n, u, width, one, dz_all[step].ctypes.data, width,
                 recurrent.ctypes.data, recurrent.shape[1], one, dh_all[step - 1].ctypes.data, u)


@njit(**_opts)
def lstm_gates(t, c_prev, gates_out, c_out):
    """From ``t = tanh(z * (1/2, 1/2, 1, 1/2))`` per gate block: the gates and the new cell."""
    n, u = c_prev.shape
    for b in range(n):
        ti, tf, tg, to = t[b, :u], t[b, u:2 * u], t[b, 2 * u:3 * u], t[b, 3 * u:]
        row = gates_out[b]
        gi, gf, gg, go = row[:u], row[u:2 * u], row[2 * u:3 * u], row[3 * u:]
        cp, co = c_prev[b], c_out[b]
        for j in range(u):
            i = 0.5 + 0.5 * ti[j]
            f = 0.5 + 0.5 * tf[j]
            g = tg[j]
            gi[j] = i
            gf[j] = f
            gg[j] = g
            go[j] = 0.5 + 0.5 * to[j]
            co[j] = f * cp[j] + i * g


@njit(**_opts)
def lstm_step_backward(dh, dc_next, gates, c_prev, tanh_c, dz_out, dc_prev_out):
    n, u = c_prev.shape
    for b in range(n):
        gi, gf, gg, go = gates[b, :u], gates[b, u:2 * u], gates[b, 2 * u:3 * u], gates[b, 3 * u:]
        di, df, dg, do = dz_out[b, :u], dz_out[b, u:2 * u], dz_out[b, 2 * u:3 * u], dz_out[b, 3 * u:]
        dhb, dcn, cp, tcb, dcp = dh[b], dc_next[b], c_prev[b], tanh_c[b], dc_prev_out[b]
        for j in range(u):
            i, f, g, o, tc = gi[j], gf[j], gg[j], go[j], tcb[j]
            dc = dcn[j] + dhb[j] * o * (1 - tc * tc)
            di[j] = dc * g * i * (1 - i)
            df[j] = dc * cp[j] * f * (1 - f)
            dg[j] = dc * i * (1 - g * g)
            do[j] = dhb[j] * tc * o * (1 - o)
            dcp[j] = dc * f


@njit(**_opts)
def gru_step_float32(xw, rec, h_prev, h_out, gates_out):
    """A whole float32 GRU step in one pass with :func:`tanh32`: the update and reset gates,
    the candidate and ``h``, writing ``[z, r, hh]`` into ``gates_out``."""
    n, u = h_prev.shape
    half, one = np.float32(0.5), np.float32(1)
    for b in range(n):
        xz, xr, xh = xw[b, :u], xw[b, u:2 * u], xw[b, 2 * u:]
        rz, rr, rh = rec[b, :u], rec[b, u:2 * u], rec[b, 2 * u:]
        row = gates_out[b]
        gz, gr, ghh = row[:u], row[u:2 * u], row[2 * u:]
        hp, ho = h_prev[b], h_out[b]
        for j in range(u):
            z = half + half * tanh32(half * (xz[j] + rz[j]))
            r = half + half * tanh32(half * (xr[j] + rr[j]))
            hh = tanh32(xh[j] + r * rh[j])
            gz[j] = z
            gr[j] = r
            ghh[j] = hh
            ho[j] = z * hp[j] + (one - z) * hh


@njit(**_opts)
def gru_gates(t, xw, rec, gates_out, candidate_out):
    """From ``t = tanh((xw + rec)[:, :2U] / 2)``: the update and reset gates, and the candidate's
    pre-activation ``xh + r * rh`` (its tanh is taken by the caller)."""
    n, u = candidate_out.shape
    for b in range(n):
        tz, tr, xh, rh = t[b, :u], t[b, u:2 * u], xw[b, 2 * u:], rec[b, 2 * u:]
        gz, gr, cand = gates_out[b, :u], gates_out[b, u:2 * u], candidate_out[b]
        for j in range(u):
            r = 0.5 + 0.5 * tr[j]
            gz[j] = 0.5 + 0.5 * tz[j]
            gr[j] = r
            cand[j] = xh[j] + r * rh[j]


@njit(**_opts)
def gru_output(gates, h_prev, h_out):
    """``h = z * h_prev + (1 - z) * hh`` with ``[z, r, hh]`` in ``gates``."""
    n, u = h_prev.shape
    for b in range(n):
        gz, hh, hp, ho = gates[b, :u], gates[b, 2 * u:], h_prev[b], h_out[b]
        for j in range(u):
            z = gz[j]
            ho[j] = z * hp[j] + (1 - z) * hh[j]


@njit(**_opts)
def gru_step_backward(dh, gates, rec, h_prev, dx_out, drec_out, dh_direct_out):
    n, u = h_prev.shape
    for b in range(n):
        gz, gr, ghh, rh = gates[b, :u], gates[b, u:2 * u], gates[b, 2 * u:], rec[b, 2 * u:]
        dxz, dxr, dxh = dx_out[b, :u], dx_out[b, u:2 * u], dx_out[b, 2 * u:]
        drz, drr, drh = drec_out[b, :u], drec_out[b, u:2 * u], drec_out[b, 2 * u:]
        dhb, hp, direct = dh[b], h_prev[b], dh_direct_out[b]
        for j in range(u):
            z, r, hh = gz[j], gr[j], ghh[j]
            d = dhb[j]
            da_h = d * (1 - z) * (1 - hh * hh)
            da_z = d * (hp[j] - hh) * z * (1 - z)
            da_r = da_h * rh[j] * r * (1 - r)
            dxz[j], dxr[j], dxh[j] = da_z, da_r, da_h
            drz[j], drr[j], drh[j] = da_z, da_r, da_h * r
            direct[j] = d * z


recover_from_bad_cache_files(globals())
