"""The convolution and pooling ops of the CPU family, compiled with numba.

Each method has the meaning of its namesake in :mod:`deepzoo.backend.reference.conv`
(read that first). Convolutions and pooling are cut into pieces along the batch
and run on all cores at once, with BLAS on one thread inside them (``base.py``);
the loops themselves are in ``conv_kernels.py``. Stride-1 3x3 convolutions with
more than 8 channels in and out (the MNIST ConvNet's second layer) multiply
Winograd-transformed tiles instead of im2col's columns: 16 multiplications per
2x2 block of outputs, channel and filter instead of 36.
"""

from __future__ import annotations

import numpy as np

from . import conv_kernels as kc
from . import dense_kernels as k
from .base import NOT_GIVEN, CPUOpsBase, flat
from .threads import one_blas_thread

# A convolution's columns are built for about this many bytes of images at a time,
# so that they are still in the cache when the product reads them ...
_CHUNK_BYTES = 1 << 20
# ... but for at least this many rows, so that each product is large enough for BLAS
# (the ConvNet's second layer then still takes 4 images at a time).
_CHUNK_ROWS = 2048
# Stride-1 convolutions of one-channel images into at most this many filters run
# as direct loops over planes (see conv_kernels.py) instead of im2col + BLAS, as
# LeNet-5's first layer does. With more channels or filters the product wins
# (benchmarks/kernel_notes.py).
_DIRECT_FILTERS = 16
# im2col and col2im copy whole runs of taps for images with at most this many
# channels (faster with 6, slower with 32: benchmarks/kernel_notes.py).
_RUN_CHANNELS = 8
# float32 values in one AVX2 register: max pooling of fewer channels keeps each
# window's maximum in a register instead (see conv_kernels.py).
_VECTOR_LANES = 8
# Unpadded max pooling of at most this many channels runs over whole rows: faster
# with 6 and 8 channels, level with the per-pixel kernel at 16 (kernel_notes.py),
# and LeNet-5's two poolings then compile one kernel, not two.
_ROW_POOL_CHANNELS = 16


def _tap_shifts(kernel_shape, dilation, wp):
    """Where each tap's run starts in a padded plane ``wp`` wide, taps in row-major order
    (computed here rather than in the kernels: one compiled function fewer)."""
    kh, kw = kernel_shape[0], kernel_shape[1]
    return np.array([p * dilation[0] * wp + q * dilation[1] for p in range(kh) for q in range(kw)],
                    dtype=np.int64)


# Stride-1, undilated 3x3 convolutions with at least this many channels in and out
# run with Winograd's F(2x2, 3x3) (conv_kernels.py): 16 multiplications per output
# tile, channel and filter instead of 36, for the forward pass and both gradients.
# With up to 8 channels im2col in runs and BLAS are faster (on one thread, 64 images
# of 26 x 26: 8 channels forward 1.33 ms against Winograd's 1.40, backward 2.75 ms
# against 3.64; 9 channels 2.59 against 1.54 and 5.50 against 4.36;
# benchmarks/kernel_notes.py, part 5).
_WINOGRAD_CHANNELS = _RUN_CHANNELS + 1
# Winograd's tiles are transformed, multiplied and transformed back for about this
# many bytes of transformed values at a time, which then stay in the cache
# (one image of the ConvNet's second layer).
_WINOGRAD_BYTES = 1 << 20
# Winograd's G, which transforms a 3x3 filter g into the 4x4 G g G^T
_WINOGRAD_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
# Work is split over threads only in parts large enough to repay handing them to
# a thread (tens of microseconds): at least this many multiply-adds of a
# convolution, ...
_PART_MACS = 1 << 20
# ... or input values of a pooling layer.
_PART_VALUES = 1 << 16


class CPUConvOps(CPUOpsBase):
    """Convolution and pooling on the CPU."""

    def _chunks(self, x_shape, kernel, strides, dilation, pads, dtype):
        """Images per chunk, and a columns buffer for one chunk (reused across calls)."""
        (kh, kw), _, _, (oh, ow) = self._geometry(x_shape, kernel, strides, dilation, pads)
        rows, width = oh * ow, kh * kw * x_shape[3]
        fit = _CHUNK_BYTES // (rows * width * np.dtype(dtype).itemsize)
        images = max(1, min(x_shape[0], max(fit, -(-_CHUNK_ROWS // rows))))
        images = -(-x_shape[0] // -(-x_shape[0] // images))  # even chunks: 16 + 16, not 21 + 11
        return images, rows, self._buffer("cols", (images * rows, width), dtype)

    @staticmethod
    def _zero_border(xp, top, h, left, w):
        """Zero what lies outside rows ``top:top + h`` and columns ``left:left + w`` of ``xp``
        (N, HP, WP, C): the padding, once per call, while the inside is filled per chunk."""
        xp[:, :top] = 0
        xp[:, top + h:] = 0
        xp[:, top:top + h, :left] = 0
        xp[:, top:top + h, left + w:] = 0

    def _buffer(self, name, shape, dtype):
        """A scratch array of this shape, kept for the next call on this thread (contents undefined)."""
        size, key = int(np.prod(shape)), (name, np.dtype(dtype))
        if key not in self._scratch or self._scratch[key].size < size:
            self._scratch[key] = np.empty(size, dtype=dtype)
        return self._scratch[key][:size].reshape(shape)

    @staticmethod
    def _winograd(x_shape, kernel_shape, strides, dilation):
        return tuple(kernel_shape[:2]) == (3, 3) and tuple(strides) == (1, 1) and \
            tuple(dilation) == (1, 1) and min(x_shape[3], kernel_shape[3]) >= _WINOGRAD_CHANNELS

    @staticmethod
    def _winograd_kernel(kernel):
        """Winograd's transform G g G^T of ``kernel`` (3, 3, C, F): (16, C, F), for
        :meth:`_winograd_into` (once per call: NumPy is quick enough)."""
        g = _WINOGRAD_G.astype(kernel.dtype)
        u = np.tensordot(np.tensordot(g, kernel, axes=(1, 0)), g, axes=(1, 1))  # (4, C, F, 4)
        return np.ascontiguousarray(u.transpose(0, 3, 1, 2)).reshape(16, *kernel.shape[2:])

    def _winograd_into(self, x, u, pads, bias, relu, y):
        """``y`` (N, OH, OW, F) = the stride-1 3x3 convolution of ``x`` zero-padded by
        ``pads``, with the kernel ``u`` (:meth:`_winograd_kernel`), plus ``bias``, through
        ``max(0, .)`` if ``relu``. Winograd's F(2x2, 3x3), on this thread (see
        conv_kernels.py)."""
        n, h, w, c = x.shape
        f = u.shape[2]
        (top, bottom), (left, right) = pads
        th, tw = -(-(h + top + bottom - 2) // 2), -(-(w + left + right - 2) // 2)
        tiles = th * tw
        images = max(1, min(n, _WINOGRAD_BYTES // (tiles * 16 * (c + f) * x.dtype.itemsize)))
        xp = self._buffer("winograd_x", (images, 2 * th + 2, 2 * tw + 2, c), x.dtype)
        v = self._buffer("winograd_v", (images * tiles, 16, c), x.dtype)
        m = self._buffer("winograd_m", (images * tiles, 16, f), x.dtype)
        # an odd output size leaves the last tiles half outside y: those go through a buffer
        exact = y.shape[1:3] == (2 * th, 2 * tw)
        tiled = None if exact else self._buffer("winograd_y", (images, 2 * th, 2 * tw, f), x.dtype)
        self._zero_border(xp, top, h, left, w)
        for start in range(0, n, images):
            stop = min(start + images, n)
            count = (stop - start) * tiles
            xp[:stop - start, top:top + h, left:left + w] = x[start:stop]  # the zero border stays
            kc.winograd_input(xp[:stop - start], th, tw, v[:count])
            # the 16 products (tiles x C) @ (C x F), one per position of the 4x4, in one call
            np.matmul(v[:count].transpose(1, 0, 2), u, out=m[:count].transpose(1, 0, 2))
            if exact:
                kc.winograd_output(m[:count], th, tw, bias, relu, y[start:stop])
            else:
                kc.winograd_output(m[:count], th, tw, bias, relu, tiled[:stop - start])
                y[start:stop] = tiled[:stop - start, :y.shape[1], :y.shape[2]]

    @staticmethod
    def _direct(x_shape, kernel_shape, strides):
        return tuple(strides) == (1, 1) and x_shape[3] == 1 and kernel_shape[3] <= _DIRECT_FILTERS

    @staticmethod
    def _planes(x, pads):
        """The input zero-padded and channels-first, as planes (N, C, HP * WP); and WP."""
        n, h, w, c = x.shape
        (top, bottom), (left, right) = pads
        hp, wp = top + h + bottom, left + w + right
        planes = np.zeros((n, c, hp, wp), dtype=x.dtype)
        planes[:, :, top:top + h, left:left + w] = x.transpose(0, 3, 1, 2)
        return planes.reshape(n, c, hp * wp), wp

    def conv2d(self, x, kernel, strides, dilation, pads, bias=None, activation=None, alpha=0.0):
        _, _, _, (oh, ow) = self._geometry(x.shape, kernel.shape[:2], strides, dilation, pads)
        rows = oh * ow
        z = np.empty((x.shape[0] * rows, kernel.shape[3]), dtype=x.dtype)

        def part(start, stop):
            self._conv2d_into(x[start:stop], kernel, strides, dilation, pads, bias, activation, alpha,
                              z[start * rows:stop * rows])

        with one_blas_thread():
            self._split(x.shape[0], part, rows * kernel.size, _PART_MACS)
        return z

    def _conv2d_into(self, x, kernel, strides, dilation, pads, bias, activation, alpha, z):
        """:meth:`conv2d` of the images ``x`` into their output rows ``z``, on this thread."""
        if self._direct(x.shape, kernel.shape, strides):
            _, _, _, (oh, ow) = self._geometry(x.shape, kernel.shape[:2], strides, dilation, pads)
            planes, wp = self._planes(x, pads)
            if bias is None:
                bias = np.zeros(kernel.shape[3], dtype=x.dtype)
            relu = activation == "relu"  # applied in the kernel
            kc.conv_planes(planes, kernel, _tap_shifts(kernel.shape, dilation, wp), wp, oh, ow, bias, relu, z)
            if activation is not None and not relu:
                self.activate(activation, z, alpha, out=z)
            return
        if self._winograd(x.shape, kernel.shape, strides, dilation):
            _, _, _, (oh, ow) = self._geometry(x.shape, kernel.shape[:2], strides, dilation, pads)
            relu = activation == "relu"
            self._winograd_into(x, self._winograd_kernel(kernel), pads,
                                np.zeros(kernel.shape[3], x.dtype) if bias is None else bias, relu,
                                z.reshape(x.shape[0], oh, ow, kernel.shape[3]))
            if activation is not None and not relu:
                self.activate(activation, z, alpha, out=z)
            return
        # A few images at a time, so that their columns, and then their outputs, stay
        # in the cache between im2col, the product, the bias and the activation.
        k2 = kernel.reshape(-1, kernel.shape[3])
        images, rows, cols = self._chunks(x.shape, kernel.shape[:2], strides, dilation, pads, x.dtype)
        for start in range(0, x.shape[0], images):
            stop = min(start + images, x.shape[0])
            part = self.im2col(x[start:stop], kernel.shape[:2], strides, dilation, pads,
                               out=cols[:(stop - start) * rows])
            out = z[start * rows:stop * rows]
            self._matmul(part, k2, out, False)
            if bias is not None:
                k.add_bias(out, bias)
            if activation is not None:
                self.activate(activation, out, alpha, out=out)

    def conv2d_backward(self, x, y, dy, kernel, strides, dilation, pads, grad_kernel,
                        grad_bias=None, activation=None, alpha=0.0, need_dx=True):
        return self._conv2d_backward_parts(x, y, dy, kernel, strides, dilation, pads, grad_kernel, grad_bias,
                                           activation, alpha, need_dx)

    def _conv2d_backward_parts(self, x, y, dy, kernel, strides, dilation, pads, grad_kernel, grad_bias,
                               activation, alpha, need_dx, prepare=None):
        """:meth:`conv2d_backward` over pieces of the batch on every thread; ``prepare(start,
        stop)``, when given, first writes those images' rows of ``dy``."""
        _, _, _, (oh, ow) = self._geometry(x.shape, kernel.shape[:2], strides, dilation, pads)
        rows = oh * ow
        dx = np.zeros(x.shape, dtype=x.dtype) if need_dx else None

        def part(start, stop):
            if prepare is not None:
                prepare(start, stop)
            # the first part adds into the gradients themselves, the others into zeros
            first = start == 0
            gk = grad_kernel if first else np.zeros_like(grad_kernel)
            gb = grad_bias if first or grad_bias is None else np.zeros_like(grad_bias)
            r = slice(start * rows, stop * rows)
            self._conv2d_backward_into(x[start:stop], None if y is None else y[r], dy[r], kernel,
                                       strides, dilation, pads, gk, gb, activation, alpha,
                                       None if dx is None else dx[start:stop])
            return gk, gb

        with one_blas_thread():
            partial = self._split(x.shape[0], part, rows * kernel.size * (3 if need_dx else 2), _PART_MACS)
        for gk, gb in partial[1:]:  # in order, so the sum does not depend on timing
            k.add_into(flat(grad_kernel), flat(gk))
            if gb is not None:
                k.add_into(flat(grad_bias), flat(gb))
        return dx

    def _conv2d_backward_into(self, x, y, dy, kernel, strides, dilation, pads, grad_kernel,
                              grad_bias, activation, alpha, dx):
        """:meth:`conv2d_backward` of the images ``x``, adding into ``dx`` (zeros) unless it is None."""
        if self._direct(x.shape, kernel.shape, strides):
            self._conv2d_backward_direct(x, y, dy, kernel, dilation, pads, grad_kernel, grad_bias,
                                         activation, alpha, dx)
            return
        if self._winograd(x.shape, kernel.shape, strides, dilation):
            self._conv2d_backward_winograd(x, y, dy, kernel, pads, grad_kernel, grad_bias, activation, alpha,
                                           dx)
            return
        f = kernel.shape[3]
        k2, g2 = kernel.reshape(-1, f), grad_kernel.reshape(-1, f)
        # k2^T as its own contiguous array, so that dcols = dz k2^T is a product whose second
        # factor is not transposed, which OpenBLAS's small-product kernels take (blas.py):
        # LeNet-5's second convolution, 4 images, 400 x 16 by 16 x 150: 25.7 against 20.4 us
        # (benchmarks/kernel_notes.py 14)
        k2t = np.ascontiguousarray(k2.T) if dx is not None else None
        images, rows, cols = self._chunks(x.shape, kernel.shape[:2], strides, dilation, pads, x.dtype)
        dz = np.empty((images * rows, f), dtype=x.dtype) if activation is not None else None
        dcols = np.empty_like(cols) if dx is not None else None
        for start in range(0, x.shape[0], images):
            stop = min(start + images, x.shape[0])
            m, part_rows = (stop - start) * rows, slice(start * rows, stop * rows)
            dz_part = dy[part_rows] if activation is None else \
                self.activate_backward(activation, dy[part_rows], y[part_rows], alpha, out=dz[:m])
            if grad_bias is not None:
                k.sum_rows(dz_part, grad_bias, True)
            part = self.im2col(x[start:stop], kernel.shape[:2], strides, dilation, pads, out=cols[:m])
            self._matmul(part.T, dz_part, g2, True)
            if dx is not None:
                self._matmul(dz_part, k2t, dcols[:m], False)
                self._col2im_into(dcols[:m], dx[start:stop], kernel.shape[:2], strides, dilation, pads)

    def _conv2d_backward_winograd(self, x, y, dy, kernel, pads, grad_kernel, grad_bias, activation, alpha, dx):
        """:meth:`_conv2d_backward_into` by Winograd's transforms (see conv_kernels.py).

        Both gradients start from each tile's W = A dY A^T: the kernel's is
        G^T [sum over tiles of V * W] G, its 16 sums over tiles being products
        (C x tiles) @ (tiles x F); the input's adds B [U * W, summed over filters] B^T
        into the patch each tile read, the sums over filters being products
        (tiles x F) @ (F x C).
        """
        n, h, w, c = x.shape
        f = kernel.shape[3]
        (top, bottom), (left, right) = pads
        oh, ow = h + top + bottom - 2, w + left + right - 2
        th, tw = -(-oh // 2), -(-ow // 2)
        rows, tiles = oh * ow, th * tw
        images = max(1, min(n, _WINOGRAD_BYTES // (tiles * 16 * (c + f) * x.dtype.itemsize)))
        xp = self._buffer("winograd_grad_x", (images, 2 * th + 2, 2 * tw + 2, c), x.dtype)
        v = self._buffer("winograd_grad_v", (images * tiles, 16, c), x.dtype)
        wt = self._buffer("winograd_grad_dy", (images * tiles, 16, f), x.dtype)
        dz = None if activation is None else self._buffer("winograd_grad_dz", (images * rows, f), x.dtype)
        du, part = np.zeros((16, c, f), dtype=x.dtype), np.empty((16, c, f), dtype=x.dtype)
        if dx is not None:
            u_t = np.ascontiguousarray(self._winograd_kernel(kernel).transpose(0, 2, 1))  # (16, F, C)
            dxp = self._buffer("winograd_grad_dx", (images, 2 * th + 2, 2 * tw + 2, c), x.dtype)
        self._zero_border(xp, top, h, left, w)
        for start in range(0, n, images):
            stop = min(start + images, n)
            count, r = (stop - start) * tiles, slice(start * rows, stop * rows)
            dz_part = dy[r] if activation is None else \
                self.activate_backward(activation, dy[r], y[r], alpha, out=dz[:(stop - start) * rows])
            if grad_bias is not None:
                k.sum_rows(dz_part, grad_bias, True)
            kc.winograd_output_grad(dz_part.reshape(stop - start, oh, ow, f), th, tw, wt[:count])
            xp[:stop - start, top:top + h, left:left + w] = x[start:stop]  # the zero border stays
            kc.winograd_input(xp[:stop - start], th, tw, v[:count])
            np.matmul(v[:count].transpose(1, 2, 0), wt[:count].transpose(1, 0, 2), out=part)
            du += part
            if dx is not None:
                # V's gradient goes where V went: into the tiles' buffer, now free
                np.matmul(wt[:count].transpose(1, 0, 2), u_t, out=v[:count].transpose(1, 0, 2))
                dxp[:stop - start] = 0
                kc.winograd_input_grad(v[:count], th, tw, dxp[:stop - start])
                dx[start:stop] += dxp[:stop - start, top:top + h, left:left + w]
        g = _WINOGRAD_G.astype(du.dtype)  # grad_kernel += G^T dU G
        grad_kernel += np.tensordot(np.tensordot(g, du.reshape(4, 4, c, f), axes=(0, 0)), g,
                                    axes=(1, 0)).transpose(0, 3, 1, 2)

    def _conv2d_backward_direct(self, x, y, dy, kernel, dilation, pads, grad_kernel, grad_bias,
                                activation, alpha, dx):
        """:meth:`_conv2d_backward_into` for stride 1 and thin shapes, on planes (see conv_kernels.py)."""
        _, _, _, (oh, ow) = self._geometry(x.shape, kernel.shape[:2], (1, 1), dilation, pads)
        dz = dy if activation is None else self.activate_backward(activation, dy, y, alpha)
        planes, wp = self._planes(x, pads)
        # each image's gradient as planes laid out like the input's runs: (N, F, OH * WP),
        # zero in the WP - OW columns that are not outputs
        n, f = x.shape[0], dz.shape[1]
        spread = np.zeros((n, f, oh, wp), dtype=dz.dtype)
        spread[:, :, :, :ow] = dz.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)
        spread = spread.reshape(n, f, oh * wp)
        kc.conv_planes_kernel_grad(planes, spread, _tap_shifts(grad_kernel.shape, dilation, wp), wp, oh, ow,
                                   grad_kernel, NOT_GIVEN[dz.dtype, 1] if grad_bias is None else grad_bias)
        if dx is None:
            return
        grad_planes = np.zeros_like(planes)
        kc.conv_planes_input_grad(spread, kernel, _tap_shifts(kernel.shape, dilation, wp), wp, oh, ow,
                                  grad_planes)
        n, h, w, c = x.shape
        (top, _), (left, _) = pads
        dx += grad_planes.reshape(n, c, -1, wp)[:, :, top:top + h, left:left + w].transpose(0, 2, 3, 1)

    def im2col(self, x, kernel, strides, dilation, pads, out=None):
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self._geometry(x.shape, kernel, strides,
                                                                dilation, pads)
        cols = out if out is not None else \
            np.empty((x.shape[0] * oh * ow, kh * kw * x.shape[3]), dtype=x.dtype)
        # padding once up front (a copy the size of the input) spares the loop nest a
        # bounds check on every element of the columns, which are KH * KW times larger
        xp = np.ascontiguousarray(self._pad(x, pads))
        if dw == 1 and x.shape[3] <= _RUN_CHANNELS:
            kc.im2col_runs(xp, kh, kw, sh, sw, dh, oh, ow, cols)
        else:
            kc.im2col(xp, kh, kw, sh, sw, dh, dw, oh, ow, cols)
        return cols

    def col2im(self, cols, x_shape, kernel, strides, dilation, pads):
        dx = np.zeros(x_shape, dtype=cols.dtype)
        self._col2im_into(cols, dx, kernel, strides, dilation, pads)
        return dx

    def _col2im_into(self, cols, dx, kernel, strides, dilation, pads):
        """Add ``col2im(cols)`` into ``dx`` (through a padded buffer when there is padding)."""
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self._geometry(dx.shape, kernel, strides,
                                                                dilation, pads)
        (top, bottom), (left, right) = pads
        n, h, w, c = dx.shape
        padded = not top == bottom == left == right == 0
        dxp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=dx.dtype) if padded else dx
        if dw == 1 and c <= _RUN_CHANNELS:
            kc.col2im_runs(cols, kh, kw, sh, sw, dh, oh, ow, dxp)
        else:
            kc.col2im(cols, kh, kw, sh, sw, dh, dw, oh, ow, dxp)
        if not padded:
            return
        dx += dxp[:, top:top + h, left:left + w, :]

    def _max_pool_kernel(self, x_shape, pool, strides, pads):
        """The max-pooling kernel for images of this shape, and its window arguments."""
        if x_shape[3] <= _ROW_POOL_CHANNELS and not any(pads[0]) and not any(pads[1]):
            return kc.max_pool_rows, (*pool, *strides)  # few channels: whole rows, read as flat runs
        corner = (pads[0][0], pads[1][0])
        if x_shape[3] >= _VECTOR_LANES:  # a pixel's channels fill a vector
            return kc.max_pool, (*pool, *strides, *corner)
        return kc.max_pool_few_channels, (*pool, *strides, *corner)

    def max_pool2d(self, x, pool, strides, pads, with_argmax=True):
        _, _, _, (oh, ow) = self._geometry(x.shape, pool, strides, (1, 1), pads)
        y = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
        which = np.empty(y.shape, dtype=np.int32)  # left unwritten without with_argmax
        kernel, window = self._max_pool_kernel(x.shape, pool, strides, pads)
        x = np.ascontiguousarray(x)
        self._split(x.shape[0], lambda start, stop: kernel(
            x[start:stop], *window, y[start:stop], which[start:stop], with_argmax), x[0].size, _PART_VALUES)
        return y, which if with_argmax else None

    @staticmethod
    def _tiled(pooled_shape, x_shape, pool, strides, pads):
        """Whether the windows tile the image exactly (each pixel in one window)."""
        return tuple(strides) == tuple(pool) and not any(pads[0]) and not any(pads[1]) and \
            pooled_shape[1] * pool[0] == x_shape[1] and pooled_shape[2] * pool[1] == x_shape[2]

    def max_pool2d_backward(self, dy, which, x_shape, pool, strides, pads):
        # windows that tile the image exactly write every pixel once: no zeroing needed
        tiled = self._tiled(dy.shape, x_shape, pool, strides, pads)
        dx = np.empty(x_shape, dtype=dy.dtype) if tiled else np.zeros(x_shape, dtype=dy.dtype)
        self._split(x_shape[0], lambda start, stop: kc.max_pool_backward(
            dy[start:stop], which[start:stop], pool[0], pool[1], strides[0], strides[1],
            pads[0][0], pads[1][0], tiled, dx[start:stop]), dx[0].size, _PART_VALUES)
        return dx

    # A convolution and the max pooling after it run as one job for a few images at a
    # time: one hand-over to the threads instead of two, and the pooling reads each
    # piece of the convolution's output while it is still in the cache (and the
    # backward, the convolution's output gradient the pooling's backward has just
    # written).
    def conv2d_max_pool(self, x, kernel, strides, dilation, pads, bias, activation, alpha, pool,
                        pool_strides, pool_pads, with_argmax=True):
        n, oh, ow, f = shape = self._conv_output_shape(x.shape, kernel, strides, dilation, pads)
        _, _, _, (ph, pw) = self._geometry(shape, pool, pool_strides, (1, 1), pool_pads)
        rows = oh * ow
        z = np.empty((n * rows, f), dtype=x.dtype)
        images = z.reshape(shape)
        y = np.empty((n, ph, pw, f), dtype=x.dtype)
        which = np.empty(y.shape, dtype=np.int32)  # left unwritten without with_argmax
        pool_kernel, window = self._max_pool_kernel(shape, pool, pool_strides, pool_pads)

        def part(start, stop):
            self._conv2d_into(x[start:stop], kernel, strides, dilation, pads, bias, activation, alpha,
                              z[start * rows:stop * rows])
            pool_kernel(images[start:stop], *window, y[start:stop], which[start:stop], with_argmax)

        with one_blas_thread():
            self._split(n, part, rows * kernel.size, _PART_MACS)
        return z, y, which if with_argmax else None

    def conv2d_max_pool_backward(self, x, z, dy, which, kernel, strides, dilation, pads, grad_kernel,
                                 grad_bias, activation, alpha, pool, pool_strides, pool_pads, need_dx=True):
        shape = self._conv_output_shape(x.shape, kernel, strides, dilation, pads)
        tiled = self._tiled(dy.shape, shape, pool, pool_strides, pool_pads)
        dz = np.empty(shape, dtype=dy.dtype) if tiled else np.zeros(shape, dtype=dy.dtype)

        def unpool(start, stop):  # these images' output gradient, from the pooled one
            kc.max_pool_backward(dy[start:stop], which[start:stop], pool[0], pool[1], pool_strides[0],
                                 pool_strides[1], pool_pads[0][0], pool_pads[1][0], tiled, dz[start:stop])

        return self._conv2d_backward_parts(x, z, dz.reshape(-1, shape[3]), kernel, strides, dilation, pads,
                                           grad_kernel, grad_bias, activation, alpha, need_dx, prepare=unpool)

    def avg_pool2d(self, x, pool, strides, pads):
        _, _, _, (oh, ow) = self._geometry(x.shape, pool, strides, (1, 1), pads)
        y = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
        self._split(x.shape[0], lambda start, stop: kc.avg_pool(
            x[start:stop], pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0],
            y[start:stop], False), x[0].size, _PART_VALUES)
        return y

    def avg_pool2d_backward(self, dy, x_shape, pool, strides, pads):
        dx = np.zeros(x_shape, dtype=dy.dtype)
        self._split(x_shape[0], lambda start, stop: kc.avg_pool(
            dx[start:stop], pool[0], pool[1], strides[0], strides[1], pads[0][0], pads[1][0],
            dy[start:stop], True), dx[0].size, _PART_VALUES)
        return dx
