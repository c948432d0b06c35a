"""numba kernels for the recurrent steps (see :mod:`deepzoo.backend.reference.recurrent`).

One pass over the N x U cells of a step does what the reference spells out in
a dozen NumPy expressions; the matrix products of a step stay in BLAS. The
transcendental functions are left to NumPy: ``math.tanh`` and ``math.exp`` do
not vectorise inside numba (about 14 ns per element against 0.3 ns for NumPy's
``tanh``), so the forward step receives ``tanh`` already applied, with the
sigmoid gates written as sigmoid(x) = (1 + tanh(x / 2)) / 2.

The loops take each sample's row of every gate block as a 1-D view (``t[b, :u]``)
and run over those: written with two indices (``t[b, u + j]``) LLVM keeps the loop
scalar, as row views it uses SIMD instructions (the lecture LSTM's backward step,
32 x 100 cells: 11.4 -> 5.7 us, ``benchmarks/kernel_notes.py 6``).
"""


from numba import njit

from .jit import CACHE, recover_from_bad_cache_files

_opts = {"cache": CACHE, "error_model": "numpy"}


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
