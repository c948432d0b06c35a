"""Reference convolution and pooling operations (part of :class:`~deepzoo.backend.reference.Ops`).

Images are channels-last, as in Keras: ``x`` has shape ``(N, H, W, C)``.

A convolution is computed as one matrix product. ``im2col`` copies every
receptive field into a row of a matrix ``cols`` of shape
``(N * OH * OW, KH * KW * C)``, which :meth:`ConvOps.conv2d` multiplies by the
kernel reshaped to ``(KH * KW * C, F)``. ``col2im`` is the adjoint: it adds each
row of a column gradient back onto the pixels it was copied from, which gives
the gradient with respect to the input.

Geometry, per spatial axis: a kernel of size ``k`` with dilation ``d`` covers
``d * (k - 1) + 1`` pixels; with padding ``before``/``after`` and stride ``s``
the output has ``(size + before + after - d * (k - 1) - 1) // s + 1`` positions,
and output ``o``, tap ``t`` reads input pixel ``o * s - before + t * d``.
"""

from __future__ import annotations

import numpy as np

from ...geometry import output_size


def _taps(geometry):
    """Yield ``(i, j, rows, columns)``: each kernel tap and the input slices it reads."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geometry
    for i in range(kh):
        for j in range(kw):
            yield i, j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), \
                slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


class ConvOps:
    """Convolution and pooling in plain NumPy: readable, and the tests' oracle."""

    @staticmethod
    def _pad(x, pads, value=0.0):
        (top, bottom), (left, right) = pads
        if top == bottom == left == right == 0:
            return x
        n, h, w, c = x.shape
        xp = np.full((n, top + h + bottom, left + w + right, c), value, dtype=x.dtype)
        xp[:, top:top + h, left:left + w, :] = x  # (np.pad does the same with more Python)
        return xp

    @staticmethod
    def _geometry(shape, kernel, strides, dilation, pads):
        (top, bottom), (left, right) = pads
        oh = output_size(shape[1], kernel[0], strides[0], dilation[0], top, bottom)
        ow = output_size(shape[2], kernel[1], strides[1], dilation[1], left, right)
        return kernel, strides, dilation, (oh, ow)

    # ------------------------------------------------------------ convolution
    def conv2d(self, x, kernel, strides, dilation, pads, bias=None, activation=None, alpha=0.0):
        """Convolve ``x`` (N, H, W, C) with ``kernel`` (KH, KW, C, F), add ``bias``, activate.

        Returns the output as rows, ``(N * OH * OW, F)``:
        ``activation(im2col(x) @ kernel.reshape(-1, F) + bias)``. ``activation`` is
        the name of an activation op (see :meth:`activate`, with its ``alpha``), or None.
        """
        cols = self.im2col(x, kernel.shape[:2], strides, dilation, pads)
        return self.affine(cols, self.reshape(kernel, (-1, kernel.shape[3])), bias, activation, alpha)

    def conv2d_backward(self, x, y, dy, kernel, strides, dilation, pads, grad_kernel,
                        grad_bias=None, activation=None, alpha=0.0, need_dx=True):
        """Backward of :meth:`conv2d`, given its output rows ``y`` and their gradient ``dy``.

        Adds dL/dkernel into ``grad_kernel`` (and dL/dbias into ``grad_bias``) and
        returns dL/dx (None when ``need_dx`` is false). With ``dz`` the gradient
        before the activation: ``grad_kernel += im2col(x).T @ dz`` and
        ``dx = col2im(dz @ kernel.T)``. The columns are rebuilt from ``x`` rather
        than kept from the forward pass: they are KH * KW times its size.
        """
        f = kernel.shape[3]
        dz = self.bias_activation_backward(dy, y, activation, alpha, grad_bias)
        cols = self.im2col(x, kernel.shape[:2], strides, dilation, pads)
        self.matmul(cols, dz, trans_a=True, out=self.reshape(grad_kernel, (-1, f)), accumulate=True)
        if not need_dx:
            return None
        dcols = self.matmul(dz, self.reshape(kernel, (-1, f)), trans_b=True)
        return self.col2im(dcols, x.shape, kernel.shape[:2], strides, dilation, pads)

    def im2col(self, x, kernel, strides, dilation, pads, out=None):
        """Receptive fields of ``x`` as rows: ``(N * OH * OW, KH * KW * C)``.

        ``kernel``, ``strides``, ``dilation`` are ``(rows, columns)`` pairs and
        ``pads`` is ``((top, bottom), (left, right))`` of zeros. ``out``, if given,
        is a buffer of that shape to fill.
        """
        n, c = x.shape[0], x.shape[3]
        geometry = self._geometry(x.shape, kernel, strides, dilation, pads)
        (kh, kw), _, _, (oh, ow) = geometry
        xp = self._pad(x, pads)
        shape = (n, oh, ow, kh, kw, c)
        cols = np.empty(shape, dtype=x.dtype) if out is None else out.reshape(shape)
        for i, j, rows, columns in _taps(geometry):
            cols[:, :, :, i, j, :] = xp[:, rows, columns, :]
        return cols.reshape(n * oh * ow, kh * kw * c)

    def col2im(self, cols, x_shape, kernel, strides, dilation, pads):
        """Adjoint of :meth:`im2col`: sum each row back onto an image of ``x_shape``."""
        n, h, w, c = x_shape
        geometry = self._geometry(x_shape, kernel, strides, dilation, pads)
        (kh, kw), _, _, (oh, ow) = geometry
        (top, bottom), (left, right) = pads
        xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=cols.dtype)
        cols = cols.reshape(n, oh, ow, kh, kw, c)
        for i, j, rows, columns in _taps(geometry):
            xp[:, rows, columns, :] += cols[:, :, :, i, j, :]
        return xp[:, top:top + h, left:left + w, :]

    # ---------------------------------------------------------------- pooling
    def _windows(self, x, pool, strides, pads, fill):
        """All pooling windows: ``(N, OH, OW, PH * PW, C)``."""
        geometry = self._geometry(x.shape, pool, strides, (1, 1), pads)
        (ph, pw), _, _, (oh, ow) = geometry
        xp = self._pad(x, pads, fill)
        windows = np.empty((x.shape[0], oh, ow, ph * pw, x.shape[3]), dtype=x.dtype)
        for i, j, rows, columns in _taps(geometry):
            windows[:, :, :, i * pw + j, :] = xp[:, rows, columns, :]
        return windows, geometry

    def max_pool2d(self, x, pool, strides, pads, with_argmax=True):
        """Largest value of each window, and which tap won it (for the backward).

        Returns ``(y, which)``; with ``with_argmax=False`` (inference, where no
        backward follows) ``which`` is None and backends may skip computing it.
        """
        windows, _ = self._windows(x, pool, strides, pads, -np.inf)
        if not with_argmax:
            return windows.max(axis=3), None
        which = windows.argmax(axis=3)
        return np.take_along_axis(windows, which[:, :, :, None, :], axis=3)[:, :, :, 0, :], which

    def max_pool2d_backward(self, dy, which, x_shape, pool, strides, pads):
        """Send each output gradient to the input pixel that won its window."""
        return self._pool_backward(dy, x_shape, pool, strides, pads,
                                   lambda tap: dy * (which == tap))

    # ------------------------------------------------ convolution, then pooling
    def conv2d_max_pool(self, x, kernel, strides, dilation, pads, bias, activation, alpha, pool,
                        pool_strides, pool_pads, with_argmax=True):
        """:meth:`conv2d`, then :meth:`max_pool2d` of its output, as one op (a Conv2D
        layer followed by a MaxPool2D layer). Returns ``(z, y, which)``: the
        convolution's output as rows (N * OH * OW, F), which its backward needs, the
        pooled images (N, PH, PW, F) and the winners (None without ``with_argmax``).
        A backend may run both for a few images at a time, so that the pooling reads
        the convolution's output while it is still in the cache."""
        z = self.conv2d(x, kernel, strides, dilation, pads, bias, activation, alpha)
        images = self.reshape(z, self._conv_output_shape(x.shape, kernel, strides, dilation, pads))
        y, which = self.max_pool2d(images, pool, pool_strides, pool_pads, with_argmax)
        return z, y, which

    def conv2d_max_pool_backward(self, x, z, dy, which, kernel, strides, dilation, pads, grad_kernel,
                                 grad_bias, activation, alpha, pool, pool_strides, pool_pads, need_dx=True):
        """The backward of :meth:`conv2d_max_pool` for the pooled images' gradient ``dy``:
        :meth:`max_pool2d_backward`, then :meth:`conv2d_backward`; returns dL/dx (None
        without ``need_dx``) and adds into ``grad_kernel`` and ``grad_bias``."""
        shape = self._conv_output_shape(x.shape, kernel, strides, dilation, pads)
        dz = self.max_pool2d_backward(dy, which, shape, pool, pool_strides, pool_pads)
        return self.conv2d_backward(x, z, self.reshape(dz, (-1, shape[3])), kernel, strides, dilation, pads,
                                    grad_kernel, grad_bias, activation, alpha, need_dx=need_dx)

    def _conv_output_shape(self, x_shape, kernel, strides, dilation, pads):
        _, _, _, (oh, ow) = self._geometry(x_shape, kernel.shape[:2], strides, dilation, pads)
        return (x_shape[0], oh, ow, kernel.shape[3])

    def avg_pool2d(self, x, pool, strides, pads):
        """Mean of each window over the pixels inside the image (padding is not counted)."""
        windows, _ = self._windows(x, pool, strides, pads, 0.0)
        counts = self._window_counts(x.shape, pool, strides, pads, x.dtype)
        return windows.sum(axis=3) / counts

    def avg_pool2d_backward(self, dy, x_shape, pool, strides, pads):
        """Spread each output gradient evenly over the pixels its window averaged."""
        share = dy / self._window_counts(x_shape, pool, strides, pads, dy.dtype)
        return self._pool_backward(dy, x_shape, pool, strides, pads, lambda tap: share)

    def _window_counts(self, x_shape, pool, strides, pads, dtype):
        ones = np.ones((1, x_shape[1], x_shape[2], 1), dtype=dtype)
        windows, _ = self._windows(ones, pool, strides, pads, 0.0)
        return windows.sum(axis=3)

    def _pool_backward(self, dy, x_shape, pool, strides, pads, gradient_for_tap):
        n, h, w, c = x_shape
        geometry = self._geometry(x_shape, pool, strides, (1, 1), pads)
        (ph, pw) = pool
        (top, bottom), (left, right) = pads
        dxp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=dy.dtype)
        for i, j, rows, columns in _taps(geometry):
            dxp[:, rows, columns, :] += gradient_for_tap(i * pw + j)
        return dxp[:, top:top + h, left:left + w, :]
