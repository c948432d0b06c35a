"""The recurrent ops of the CPU family, compiled with numba.

Each method has the meaning of its namesake in
:mod:`deepzoo.backend.reference.recurrent` (read that first); the loops are in
``recurrent_kernels.py``.
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import recurrent_kernels as kr
from .base import NOT_GIVEN, CPUOpsBase
from .blas import NO_TRANS, TRANS, gemm_address
from .dense import _BLAS_ALONE
from .threads import one_blas_thread

# A contiguous R^T repays its copy once the products it serves have this many rows in
# all: per carried step of 32 samples, dz @ R^T takes 26 instead of 34 us with 100
# units and 31 instead of 45 us with 128, while the copy costs 13 and 34 us
# (benchmarks/kernel_notes.py part 6), more where R has left the cache (about 53 us
# with 128 units inside the Keras adder's step, benchmarks/profile_ops.py). The
# lecture's encoder (6 carried steps of 32 samples) takes the copy; the Keras adder's
# decoder (3 steps) does not.
_TRANSPOSE_ROWS = 128


class CPURecurrentOps(CPUOpsBase):
    """LSTM and GRU steps on the CPU."""

    def transposed(self, matrix, rows=None):
        if rows is not None and rows < _TRANSPOSE_ROWS:
            return matrix.T
        out = np.empty(matrix.shape[::-1], matrix.dtype)
        if matrix.strides[0] % 1024:
            np.copyto(out, matrix.T)
            return out
        # Rows a multiple of 1 KiB apart (an LSTM's R with 128 units: 2 KiB) fall into
        # the same few cache sets, and reading a column evicts the lines the next
        # column needs: 16 rows at a time keep them (128 x 512 floats: 34 against 127 us).
        for start in range(0, matrix.shape[0], 16):
            np.copyto(out[:, start:start + 16], matrix[start:start + 16].T)
        return out

    def lstm_step(self, z, c_prev, h_out, c_out, gates_out, tanh_c_out):
        if z.dtype == np.float32 and c_prev.dtype == np.float32:
            kr.lstm_step_float32(z, c_prev, h_out, c_out, gates_out, tanh_c_out)  # one pass, tanh32
        else:
            self.lstm_step_numpy_tanh(z, c_prev, h_out, c_out, gates_out, tanh_c_out)

    def lstm_step_numpy_tanh(self, z, c_prev, h_out, c_out, gates_out, tanh_c_out):
        """:meth:`lstm_step` with NumPy's exact ``tanh`` around one kernel (any float dtype)."""
        u = c_prev.shape[1]
        key = ("lstm_scale", z.shape, z.dtype)
        found = self._scratch.get(key)
        if found is None:  # the gates' scales, and a buffer for the scaled z
            scale = np.full(4 * u, 0.5, dtype=z.dtype)
            scale[2 * u: 3 * u] = 1
            found = self._scratch[key] = scale, np.empty(z.shape, z.dtype)
        scale, t = found
        np.multiply(z, scale, out=t)
        np.tanh(t, out=t)  # vectorised; sigmoid(x) = (1 + tanh(x / 2)) / 2
        kr.lstm_gates(t, c_prev, gates_out, c_out)
        np.tanh(c_out, out=tanh_c_out)
        np.multiply(gates_out[:, 3 * u:], tanh_c_out, out=h_out)

    # The steps of a sequence run as one numba call each way, with the per-step products
    # inside it (see blas.py). The Keras adder's encoder, 7 steps of 32 x 128 cells:
    # forward 267 against 288 us, backward 235 against 258 us for the reference's loop
    # over the same kernels (benchmarks/kernel_notes.py 11). Without NumPy's OpenBLAS,
    # and forward in float64 (whose step takes NumPy's tanh), that loop runs instead.
    def lstm_steps(self, xw, recurrent, h_all, c_all, gates, tanh_c):
        address = gemm_address(xw.dtype)
        if not address or xw.dtype != np.float32 or recurrent.dtype != xw.dtype or \
                not _contiguous(xw, recurrent, h_all, c_all, gates, tanh_c):
            return super().lstm_steps(xw, recurrent, h_all, c_all, gates, tanh_c)
        with self._blas_policy(gates.shape[0] - 1, h_all[0].size * xw.shape[2]):
            kr.lstm_steps_float32(xw, recurrent, h_all, c_all, gates, tanh_c, address)

    def lstm_steps_backward(self, dh_all, gates, c_all, tanh_c, recurrent_t, dz_all):
        address = gemm_address(dz_all.dtype)
        t = dz_all.shape[0]
        if recurrent_t is None:  # one step: nothing is carried back
            recurrent, trans = NOT_GIVEN[dz_all.dtype, 2], NO_TRANS
        elif recurrent_t.flags.c_contiguous:
            recurrent, trans = recurrent_t, NO_TRANS
        else:  # the view R.T of a contiguous R
            recurrent, trans = recurrent_t.T, TRANS
        if not address or not _contiguous(dh_all, gates, c_all, tanh_c, recurrent, dz_all) or \
                recurrent.dtype != dz_all.dtype:
            return super().lstm_steps_backward(dh_all, gates, c_all, tanh_c, recurrent_t, dz_all)
        with self._blas_policy(t - 1, dh_all[0].size * dz_all.shape[2]):
            kr.lstm_steps_backward(dh_all, gates, c_all, tanh_c, recurrent, trans, dz_all, address)

    def _blas_policy(self, products, size):
        """BLAS on one thread for ``products`` products of ``size`` multiply-adds where
        :meth:`matmul` would keep it there (see base.py), else as it is."""
        if products > 0 and size > _BLAS_ALONE and self._blas_held(products):
            return one_blas_thread()
        return contextlib.nullcontext()

    def lstm_step_backward(self, dh, dc_next, gates, c_prev, tanh_c, dz_out):
        dc_prev = np.empty_like(c_prev)
        kr.lstm_step_backward(dh, dc_next, gates, c_prev, tanh_c, dz_out, dc_prev)
        return dc_prev

    def gru_step(self, xw, rec, h_prev, h_out, gates_out):
        if xw.dtype == np.float32 and rec.dtype == np.float32 and h_prev.dtype == np.float32:
            kr.gru_step_float32(xw, rec, h_prev, h_out, gates_out)  # one pass, tanh32
        else:
            self.gru_step_numpy_tanh(xw, rec, h_prev, h_out, gates_out)

    def gru_step_numpy_tanh(self, xw, rec, h_prev, h_out, gates_out):
        """:meth:`gru_step` with NumPy's exact ``tanh`` around two kernels (any float dtype)."""
        u = h_prev.shape[1]
        t = np.add(xw[:, :2 * u], rec[:, :2 * u])
        t *= t.dtype.type(0.5)
        np.tanh(t, out=t)  # sigmoid(x) = (1 + tanh(x / 2)) / 2
        candidate = np.empty_like(h_prev)
        kr.gru_gates(t, xw, rec, gates_out, candidate)
        np.tanh(candidate, out=gates_out[:, 2 * u:])
        kr.gru_output(gates_out, h_prev, h_out)

    def gru_step_backward(self, dh, gates, rec, h_prev, dx_out, drec_out):
        dh_direct = np.empty_like(h_prev)
        kr.gru_step_backward(dh, gates, rec, h_prev, dx_out, drec_out, dh_direct)
        return dh_direct


def _contiguous(*arrays):
    return all(a.flags.c_contiguous for a in arrays)
