"""The recurrent ops of the CUDA family.

Each method has the meaning of its namesake in
:mod:`deepzoo.backend.reference.recurrent` (read that first); the kernels are in
``recurrent_kernels.py``.
"""

from __future__ import annotations

from . import recurrent_kernels as kr
from . import target
from .base import CUDAOpsBase


class CUDARecurrentOps(CUDAOpsBase):
    """Sequence reshuffles, LSTM and GRU steps on the GPU."""

    def to_time_major(self, x):
        a, b = x.shape[:2]
        out = target.empty((b, a) + tuple(x.shape[2:]), x.dtype)
        self._run(kr.swap_leading_axes, x.size, x.reshape(a, b, -1), out.reshape(b, a, -1))
        return out

    def repeat_steps(self, x, n):
        out = target.empty((x.shape[0], n, x.shape[1]), x.dtype)
        self._run(kr.repeat_steps, out.size, x, out)
        return out

    def sum_steps(self, dy):
        out = target.empty((dy.shape[0], dy.shape[2]), dy.dtype)
        self._run(kr.sum_steps, out.size, dy, out)
        return out

    def reverse_steps(self, x):
        out = self._empty_like(x)
        self._run(kr.reverse_steps, x.size, x.reshape(x.shape[0], x.shape[1], -1),
                  out.reshape(x.shape[0], x.shape[1], -1))
        return out

    def concat_last(self, a, b):
        shape = tuple(a.shape[:-1]) + (a.shape[a.ndim - 1] + b.shape[b.ndim - 1],)
        out = target.empty(shape, a.dtype)
        self._run(kr.concat_last, out.size, self._rows(a), self._rows(b), self._rows(out))
        return out

    def split_last(self, x, k):
        lead, width = tuple(x.shape[:-1]), x.shape[x.ndim - 1]
        a, b = target.empty(lead + (k,), x.dtype), target.empty(lead + (width - k,), x.dtype)
        self._run(kr.split_last, x.size, self._rows(x), self._rows(a), self._rows(b))
        return a, b

    def lstm_step(self, z, c_prev, h_out, c_out, gates_out, tanh_c_out):
        self._run(kr.lstm_step, c_prev.size, z, c_prev, h_out, c_out, gates_out, tanh_c_out)

    def lstm_step_backward(self, dh, dc_next, gates, c_prev, tanh_c, dz_out):
        dc_prev = self._empty_like(c_prev)
        self._run(kr.lstm_step_backward, c_prev.size, dh, dc_next, gates, c_prev, tanh_c,
                  dz_out, dc_prev)
        return dc_prev

    def gru_step(self, xw, rec, h_prev, h_out, gates_out):
        self._run(kr.gru_step, h_prev.size, xw, rec, h_prev, h_out, gates_out)

    def gru_step_backward(self, dh, gates, rec, h_prev, dx_out, drec_out):
        dh_direct = self._empty_like(h_prev)
        self._run(kr.gru_step_backward, h_prev.size, dh, gates, rec, h_prev, dx_out, drec_out, dh_direct)
        return dh_direct
