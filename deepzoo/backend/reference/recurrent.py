"""Reference operations of recurrent layers (part of :class:`~deepzoo.backend.reference.Ops`).

Sequences are processed time-major inside a layer: an array of shape
``(T, N, F)`` holds step ``t`` of every sequence contiguously at ``[t]``.

An LSTM step takes the pre-activations ``z`` of its four gates, in Keras's order
input, forget, cell candidate, output (``z`` has shape ``(N, 4U)``), and the
previous cell state ``c_prev``::

    i = sigmoid(z_i)   f = sigmoid(z_f)   g = tanh(z_g)   o = sigmoid(z_o)
    c = f * c_prev + i * g
    h = o * tanh(c)

A GRU step (Keras's layout, ``reset_after=True``, as in PyTorch) takes the input
side ``x W + b_in`` and the recurrent side ``h_prev R + b_rec``, each ``(N, 3U)`` in
the order update, reset, candidate::

    z = sigmoid(xz + rz)   r = sigmoid(xr + rr)   hh = tanh(xh + r * rh)
    h = z * h_prev + (1 - z) * hh
"""

from __future__ import annotations

import numpy as np


def _sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


class RecurrentOps:
    """Recurrent steps in plain NumPy: readable, and the tests' oracle."""

    def to_time_major(self, x):
        """``(N, T, ...)`` -> a contiguous ``(T, N, ...)`` copy (and back: the same swap),
        always a new array, which the caller may write into."""
        return np.swapaxes(x, 0, 1).copy()

    def transposed(self, matrix, rows=None):
        """``matrix.T`` for an ``(M, K)`` matrix, to be read (never written) as the right-hand
        factor of products whose left factors have ``rows`` rows in all (None: many).

        The backward of a recurrent layer multiplies by ``R^T`` at every step, and a
        product reads a contiguous right-hand factor faster than a transposed view, so
        this is a new, contiguous ``(K, M)`` copy (the swap of :meth:`to_time_major`,
        applied to the two axes of a matrix). A backend may return the view ``matrix.T``
        instead where the copy would cost more than the products gain."""
        return self.to_time_major(matrix)

    def repeat_steps(self, x, n):
        """``(N, F) -> (N, n, F)``: the same vector at every step."""
        return np.repeat(x[:, None, :], n, axis=1)

    def sum_steps(self, dy):
        """``(N, T, F) -> (N, F)``: the adjoint of :meth:`repeat_steps`."""
        return dy.sum(axis=1)

    def reverse_steps(self, x):
        """``(N, T, ...)`` with the steps in reverse order (a new array)."""
        return np.ascontiguousarray(x[:, ::-1])

    def concat_last(self, a, b):
        """``a`` and ``b`` side by side along the last axis."""
        return np.concatenate([a, b], axis=-1)

    def split_last(self, x, k):
        """The inverse of :meth:`concat_last`: the first ``k`` entries of the last axis, and the rest."""
        return np.ascontiguousarray(x[..., :k]), np.ascontiguousarray(x[..., k:])

    def lstm_step(self, z, c_prev, h_out, c_out, gates_out, tanh_c_out):
        """One LSTM step. Writes ``h``, ``c``, the activated gates (N, 4U) and ``tanh(c)``."""
        u = c_prev.shape[1]
        gates_out[:, : 2 * u] = _sigmoid(z[:, : 2 * u])
        gates_out[:, 2 * u: 3 * u] = np.tanh(z[:, 2 * u: 3 * u])
        gates_out[:, 3 * u:] = _sigmoid(z[:, 3 * u:])
        i, f, g, o = np.split(gates_out, 4, axis=1)
        c_out[...] = f * c_prev + i * g
        tanh_c_out[...] = np.tanh(c_out)
        h_out[...] = o * tanh_c_out

    def lstm_step_backward(self, dh, dc_next, gates, c_prev, tanh_c, dz_out):
        """Backward of :meth:`lstm_step`: writes dL/dz into ``dz_out``, returns dL/dc_prev.

        ``dh`` is dL/dh of this step (from the output and from the next step) and
        ``dc_next`` the gradient reaching this step's cell state from the next step.
        """
        i, f, g, o = np.split(gates, 4, axis=1)
        dc = dc_next + dh * o * (1 - tanh_c * tanh_c)
        u = c_prev.shape[1]
        dz_out[:, :u] = dc * g * i * (1 - i)
        dz_out[:, u: 2 * u] = dc * c_prev * f * (1 - f)
        dz_out[:, 2 * u: 3 * u] = dc * i * (1 - g * g)
        dz_out[:, 3 * u:] = dh * tanh_c * o * (1 - o)
        return dc * f

    def lstm_steps(self, xw, recurrent, h_all, c_all, gates, tanh_c):
        """Every step of an LSTM over a sequence, time-major: for t = 0 .. T - 1,
        ``z = xw[t] + h_all[t] @ recurrent`` (``h_0 = 0`` adds nothing at t = 0), then
        :meth:`lstm_step` from ``z`` and ``c_all[t]`` into ``h_all[t + 1]``,
        ``c_all[t + 1]``, ``gates[t]`` and ``tanh_c[t]``.

        ``xw`` (T, N, 4U) holds ``x_t W + b`` and is overwritten with the ``z``s; with one
        step only, (1, N, 4U), it is the same at every step (a repeated input) and is kept.
        ``h_all`` and ``c_all`` are (T + 1, N, U) with ``h_0 = c_0 = 0`` at ``[0]``."""
        t = gates.shape[0]
        if len(xw) != t:  # a repeated input: its T steps, as a new array
            n = xw.shape[1]
            xw = self.reshape(self.repeat_steps(self.reshape(xw, (1, -1)), t), (t, n, -1))
        for step in range(t):
            if step:
                self.matmul(h_all[step], recurrent, out=xw[step], accumulate=True)
            self.lstm_step(xw[step], c_all[step], h_all[step + 1], c_all[step + 1], gates[step], tanh_c[step])

    def lstm_steps_backward(self, dh_all, gates, c_all, tanh_c, recurrent_t, dz_all):
        """The backward of :meth:`lstm_steps`: for t = T - 1 .. 0, :meth:`lstm_step_backward`
        of step t into ``dz_all[t]``, then the gradient carried to ``h_{t-1}``,
        ``dz_all[t] @ R^T``, added into ``dh_all[t - 1]`` (``recurrent_t`` is ``R^T``, from
        :meth:`transposed`; unused when T = 1).

        ``dh_all`` (T, N, U) holds each step's gradient from the layer's output and
        receives the carried ones; the cell's gradient starts at zero after the last step."""
        t, n, _ = dz_all.shape
        dc = self.alloc((n, dh_all.shape[2]), dz_all.dtype)
        for step in reversed(range(t)):
            dc = self.lstm_step_backward(dh_all[step], dc, gates[step], c_all[step], tanh_c[step], dz_all[step])
            if step:
                self.matmul(dz_all[step], recurrent_t, out=dh_all[step - 1], accumulate=True)

    def gru_step(self, xw, rec, h_prev, h_out, gates_out):
        """One GRU step. Writes ``h`` and the gates ``[z, r, hh]`` (N, 3U)."""
        u = h_prev.shape[1]
        z = _sigmoid(xw[:, :u] + rec[:, :u])
        r = _sigmoid(xw[:, u:2 * u] + rec[:, u:2 * u])
        hh = np.tanh(xw[:, 2 * u:] + r * rec[:, 2 * u:])
        gates_out[:, :u], gates_out[:, u:2 * u], gates_out[:, 2 * u:] = z, r, hh
        h_out[...] = z * h_prev + (1 - z) * hh

    def gru_step_backward(self, dh, gates, rec, h_prev, dx_out, drec_out):
        """Backward of :meth:`gru_step` for dL/dh ``dh``: writes dL/d(input side) into ``dx_out`` and
        dL/d(recurrent side) into ``drec_out``; returns the part of dL/dh_prev that skips ``R``,
        ``dh * z`` (the caller adds ``drec_out @ R^T``)."""
        u = h_prev.shape[1]
        z, r, hh = gates[:, :u], gates[:, u:2 * u], gates[:, 2 * u:]
        da_h = dh * (1 - z) * (1 - hh * hh)
        da_z = dh * (h_prev - hh) * z * (1 - z)
        da_r = da_h * rec[:, 2 * u:] * r * (1 - r)
        dx_out[:, :u], dx_out[:, u:2 * u], dx_out[:, 2 * u:] = da_z, da_r, da_h
        drec_out[:, :u], drec_out[:, u:2 * u], drec_out[:, 2 * u:] = da_z, da_r, da_h * r
        return dh * z
