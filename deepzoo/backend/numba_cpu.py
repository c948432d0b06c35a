"""``NumbaCPUOps``: the reference Ops with its hot operations compiled by numba.

Every method here has the meaning its namesake has in :class:`~deepzoo.backend.ops.Ops`
(read that one first); this file only changes how it is computed:

* matrix products stay in NumPy, which hands them to its BLAS;
* elementwise maths, losses and optimizer updates run as one-pass ``@njit``
  kernels from :mod:`deepzoo.backend.cpu_kernels`, writing into arrays they are
  given instead of allocating temporaries;
* convolutions, pooling and large products are cut into pieces along the batch
  and run on all cores at once (:mod:`deepzoo.backend.threads`); BLAS itself
  runs on one thread inside them. ``NumbaCPUOps(threads=1)`` keeps everything
  on the calling thread.

Importing this module imports numba but compiles nothing: each kernel compiles
the first time a model calls it, and the result is cached on disk.

Creating a ``NumbaCPUOps`` also asks glibc to keep freed memory for reuse (see
:mod:`deepzoo.backend.memory`); ``NumbaCPUOps(keep_freed_memory=False)`` does not.
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import ConfigError
from . import cpu_conv_kernels as kc
from . import cpu_kernels as k
from . import cpu_recurrent_kernels as kr
from . import memory
from .ops import Ops
from .threads import Workers, cpu_count, one_blas_thread

# Below this many rows, ``out += a.T @ b`` runs as a numba loop instead of BLAS.
_THIN_BATCH = 8
# A convolution's columns are built for about this many bytes of images at a time,
# so that they are still in the cache when the product reads them ...
_CHUNK_BYTES = 1 << 20
# ... but for at least this many rows, so that each product is large enough for BLAS
# (the ConvNet's second layer then still takes 4 images at a time).
_CHUNK_ROWS = 2048
# Stride-1 convolutions of one-channel images into at most this many filters run
# as direct loops over planes (see cpu_conv_kernels) instead of im2col + BLAS, as
# LeNet-5's first layer does. With more channels or filters the product wins
# (benchmarks/kernel_notes.py).
_DIRECT_FILTERS = 16
# im2col and col2im copy whole runs of taps for images with at most this many
# channels (faster with 6, slower with 32: benchmarks/kernel_notes.py).
_RUN_CHANNELS = 8
# float32 values in one AVX2 register: max pooling of fewer channels keeps each
# window's maximum in a register instead (see cpu_conv_kernels).
_VECTOR_LANES = 8
# Work is split over threads only in parts large enough to repay handing them to
# a thread (tens of microseconds): at least this many multiply-adds of a
# convolution, ...
_PART_MACS = 1 << 20
# ... input values of a pooling layer, ...
_PART_VALUES = 1 << 16
# ... or multiply-adds of a matrix product, which BLAS does faster.
_PART_PRODUCT = 1 << 23
# OpenBLAS runs products of at most this many multiply-adds on the calling thread.
_BLAS_ALONE = 65536 * 4
# Optimizer state below this magnitude is flushed to zero (see cpu_kernels).
_TINY = {np.dtype("float32"): 1e-30, np.dtype("float64"): 1e-300}


class NumbaCPUOps(Ops):
    """CPU operations compiled with numba. Falls back to :class:`Ops` for the rest.

    ``threads``: how many threads share one op (default: every core this process
    may use). The results do not depend on timing; with another thread count, sums
    over a batch may differ in their last bits, since they are added in other pieces.
    """

    name = "numba"

    def __init__(self, keep_freed_memory=True, threads=None):
        if keep_freed_memory:
            memory.keep_freed_memory()
        if threads is None:
            threads = cpu_count()
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"NumbaCPUOps: threads must be a positive integer, received {threads!r}")
        self.threads = threads
        self._workers = Workers(threads)
        self._blas_held = False  # see matmul
        # Reused temporaries: one product per (shape, dtype), bounded by the number of
        # distinct parameter shapes in use, and one columns buffer per dtype. They are
        # per thread, so that two models trained in two threads never share one.
        self._local = threading.local()

    @property
    def _scratch(self) -> dict:
        if not hasattr(self._local, "scratch"):
            self._local.scratch = {}
        return self._local.scratch

    def _out(self, x, out):
        return np.empty_like(x) if out is None else out

    # ---------------------------------------------------------- linear algebra
    def matmul(self, a, b, trans_a=False, trans_b=False, out=None, accumulate=False):
        if accumulate and trans_a and not trans_b and a.shape[0] <= _THIN_BATCH:
            k.add_outer_products(a, b, out)  # the weight gradient of a small batch
            return out
        a = a.T if trans_a else a
        b = b.T if trans_b else b
        if out is None:
            out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
        # Rows of the product are independent: large products give each thread some
        # of them, with BLAS on one thread. Smaller ones go to BLAS whole: its own
        # spinning workers answer faster than deepzoo's threads (an LSTM's products,
        # step after step). But once this Ops has split work over its threads, BLAS
        # stays on one thread here too: its workers would spin on the cores that
        # deepzoo's threads need next (benchmarks/kernel_notes.py).
        per_row = a.shape[1] * b.shape[1]
        size = a.shape[0] * per_row
        too_small_to_split = self.threads == 1 or size < 2 * _PART_PRODUCT
        if size <= _BLAS_ALONE or (too_small_to_split and not self._blas_held):
            return self._matmul(a, b, out, accumulate)
        with one_blas_thread():  # one piece when it is too small to split
            self._split(a.shape[0], lambda start, stop: self._matmul(a[start:stop], b, out[start:stop],
                                                                     accumulate), per_row, _PART_PRODUCT)
        return out

    def _matmul(self, a, b, out, accumulate):
        """``out (+)= a @ b`` on this thread."""
        if not accumulate:
            return np.matmul(a, b, out=out)
        key = (out.shape, out.dtype)
        tmp = self._scratch.get(key)
        if tmp is None:
            tmp = self._scratch[key] = np.empty_like(out)
        np.matmul(a, b, out=tmp)
        k.add_into(out, tmp)
        return out

    def add_bias(self, y, bias):
        k.add_bias(y, bias)
        return y

    def sum_rows(self, dy, out, accumulate=True):
        k.sum_rows(dy, out, accumulate)
        return out

    # ------------------------------------------------------------- activations
    def relu(self, x, out=None):
        out = self._out(x, out)
        k.relu(x, out)
        return out

    def relu_backward(self, dy, y, out=None):
        dx = self._out(dy, out)
        k.relu_backward(dy, y, dx)
        return dx

    def leaky_relu(self, x, alpha, out=None):
        out = self._out(x, out)
        k.leaky_relu(x, x.dtype.type(alpha), out)
        return out

    def leaky_relu_backward(self, dy, y, alpha, out=None):
        dx = self._out(dy, out)
        k.leaky_relu_backward(dy, y, dy.dtype.type(alpha), dx)
        return dx

    def elu(self, x, alpha, out=None):
        out = self._out(x, out)
        k.elu(x, x.dtype.type(alpha), out)
        return out

    def elu_backward(self, dy, y, alpha, out=None):
        dx = self._out(dy, out)
        k.elu_backward(dy, y, dy.dtype.type(alpha), dx)
        return dx

    def sigmoid(self, x, out=None):
        out = self._out(x, out)
        k.sigmoid(x, out)
        return out

    def sigmoid_backward(self, dy, y, out=None):
        dx = self._out(dy, out)
        k.sigmoid_backward(dy, y, dx)
        return dx

    def tanh_backward(self, dy, y, out=None):
        dx = self._out(dy, out)
        k.tanh_backward(dy, y, dx)
        return dx

    def softmax(self, x, out=None):
        out = self._out(x, out)
        k.softmax_rows(x.reshape(-1, x.shape[-1]), out.reshape(-1, x.shape[-1]))
        return out

    def softmax_backward(self, dy, y, out=None):
        dx = self._out(dy, out)
        m = dy.shape[-1]
        k.softmax_backward_rows(dy.reshape(-1, m), y.reshape(-1, m), dx.reshape(-1, m))
        return dx

    # ----------------------------------------------------------------- dropout
    def dropout_mask(self, shape, rate, rng, dtype="float32"):
        dtype = np.dtype(dtype)
        u = rng.random(shape, dtype=np.float32)
        mask = np.empty(shape, dtype=dtype)
        k.dropout_from_uniform(u, np.float32(rate), dtype.type(1.0 / (1.0 - rate)),
                               mask)
        return mask

    # ------------------------------------------------------------------ losses
    def mean_squared_error(self, y, t):
        grad = np.empty_like(y)
        total = k.squared_error(y, t, grad, y.dtype.type(2.0 / y.size))
        return total / y.size, grad

    def sum_squared_error(self, y, t):
        grad = np.empty_like(y)
        total = k.squared_error(y, t, grad, y.dtype.type(1.0))
        return 0.5 * total, grad

    def binary_crossentropy(self, y, t, eps, from_sigmoid_logits=False):
        grad = np.empty_like(y)
        total = k.binary_crossentropy(y, t, y.dtype.type(eps),
                                      from_sigmoid_logits, grad)
        grad *= y.dtype.type(1.0 / y.size)
        return total / y.size, grad

    def categorical_crossentropy(self, y, t, eps, from_softmax_logits=False):
        grad = np.empty_like(y)
        c = y.shape[-1]
        total = k.categorical_crossentropy(y.reshape(-1, c), t.reshape(-1, c), y.dtype.type(eps),
                                           from_softmax_logits, grad.reshape(-1, c))
        positions = y.size // c
        grad *= y.dtype.type(1.0 / positions)
        return total / positions, grad

    def sparse_categorical_crossentropy(self, y, labels, eps, from_softmax_logits=False):
        grad = np.empty_like(y)
        c = y.shape[-1]
        total = k.sparse_categorical_crossentropy(y.reshape(-1, c), labels.reshape(-1),
                                                  y.dtype.type(eps), from_softmax_logits,
                                                  grad.reshape(-1, c))
        positions = y.size // c
        grad *= y.dtype.type(1.0 / positions)
        return total / positions, grad

    # ----------------------------------------------------------------- metrics
    def count_argmax_equal(self, y, t) -> int:
        return int(k.count_argmax_equal(y.reshape(-1, y.shape[-1]), t.reshape(-1, t.shape[-1])))

    def count_argmax_label(self, y, labels) -> int:
        return int(k.count_argmax_label(y.reshape(-1, y.shape[-1]), labels.reshape(-1)))

    # ------------------------------------------------------- optimizer updates
    def sgd_update(self, param, grad, velocity, lr, momentum, nesterov):
        dt = param.dtype.type
        if momentum:
            k.sgd_momentum(param, grad, velocity, dt(lr), dt(momentum),
                           nesterov)
        else:
            k.sgd(param, grad, dt(lr))

    def adagrad_update(self, param, grad, accumulator, lr, eps):
        dt = param.dtype.type
        k.adagrad(param, grad, accumulator, dt(lr), dt(eps))

    def rmsprop_update(self, param, grad, mean_square, lr, rho, eps):
        dt = param.dtype.type
        k.rmsprop(param, grad, mean_square, dt(lr), dt(rho), dt(1 - rho),
                  dt(eps), dt(_TINY[param.dtype]))

    def adadelta_update(self, param, grad, mean_square, mean_delta, lr, rho, eps):
        dt = param.dtype.type
        k.adadelta(param, grad, mean_square, mean_delta, dt(lr),
                   dt(rho), dt(1 - rho), dt(eps), dt(_TINY[param.dtype]))

    def adam_update(self, param, grad, m, v, lr, beta1, beta2, eps, step):
        dt = param.dtype.type
        k.adam(param, grad, m, v, dt(lr / (1 - beta1**step)),
               dt(beta1), dt(1 - beta1), dt(beta2), dt(1 - beta2),
               dt(1 / np.sqrt(1 - beta2**step)), dt(eps), dt(_TINY[param.dtype]))

    # --------------------------------------------------- convolution, pooling
    def _split(self, n, work, per_item, least):
        """``work(start, stop)`` over pieces of ``range(n)`` on every thread, each piece
        holding at least ``least`` units of work at ``per_item`` units per item; returns
        the pieces' results in order."""
        min_size = -(-least // max(1, per_item))
        if self.threads > 1 and n >= 2 * min_size:
            self._blas_held = True
        return self._workers.split(n, work, min_size)

    def _chunks(self, x_shape, kernel, strides, dilation, pads, dtype):
        """Images per chunk, and a columns buffer for one chunk (reused across calls)."""
        (kh, kw), _, _, (oh, ow) = self._geometry(x_shape, kernel, strides, dilation, pads)
        rows, width = oh * ow, kh * kw * x_shape[3]
        fit = _CHUNK_BYTES // (rows * width * np.dtype(dtype).itemsize)
        images = max(1, min(x_shape[0], max(fit, -(-_CHUNK_ROWS // rows))))
        images = -(-x_shape[0] // -(-x_shape[0] // images))  # even chunks: 16 + 16, not 21 + 11
        key = ("cols", np.dtype(dtype))
        if key not in self._scratch or self._scratch[key].size < images * rows * width:
            self._scratch[key] = np.empty(images * rows * width, dtype=dtype)
        return images, rows, self._scratch[key][:images * rows * width].reshape(images * rows, width)

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

    def conv2d(self, x, kernel, strides, dilation, pads, bias=None, activation=None):
        _, _, _, (oh, ow) = self._geometry(x.shape, kernel.shape[:2], strides, dilation, pads)
        rows = oh * ow
        z = np.empty((x.shape[0] * rows, kernel.shape[3]), dtype=x.dtype)

        def part(start, stop):
            self._conv2d_into(x[start:stop], kernel, strides, dilation, pads, bias, activation,
                              z[start * rows:stop * rows])

        with one_blas_thread():
            self._split(x.shape[0], part, rows * kernel.size, _PART_MACS)
        return z

    def _conv2d_into(self, x, kernel, strides, dilation, pads, bias, activation, z):
        """:meth:`conv2d` of the images ``x`` into their output rows ``z``, on this thread."""
        if self._direct(x.shape, kernel.shape, strides):
            _, _, _, (oh, ow) = self._geometry(x.shape, kernel.shape[:2], strides, dilation, pads)
            planes, wp = self._planes(x, pads)
            if bias is None:
                bias = np.zeros(kernel.shape[3], dtype=x.dtype)
            relu = activation is not None and activation.name == "relu"  # applied in the kernel
            kc.conv_planes(planes, kernel, wp, dilation[0], dilation[1], oh, ow, bias, relu, z)
            if activation is not None and not relu:
                activation.apply(self, z, out=z)
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
            np.matmul(part, k2, out=out)
            if bias is not None:
                k.add_bias(out, bias)
            if activation is not None:
                activation.apply(self, out, out=out)

    def conv2d_backward(self, x, y, dy, kernel, strides, dilation, pads, grad_kernel,
                        grad_bias=None, activation=None, need_dx=True):
        _, _, _, (oh, ow) = self._geometry(x.shape, kernel.shape[:2], strides, dilation, pads)
        rows = oh * ow
        dx = np.zeros(x.shape, dtype=x.dtype) if need_dx else None

        def part(start, stop):
            # the first part adds into the gradients themselves, the others into zeros
            first = start == 0
            gk = grad_kernel if first else np.zeros_like(grad_kernel)
            gb = grad_bias if first or grad_bias is None else np.zeros_like(grad_bias)
            r = slice(start * rows, stop * rows)
            self._conv2d_backward_into(x[start:stop], None if y is None else y[r], dy[r], kernel,
                                       strides, dilation, pads, gk, gb, activation,
                                       None if dx is None else dx[start:stop])
            return gk, gb

        with one_blas_thread():
            partial = self._split(x.shape[0], part, rows * kernel.size * (3 if need_dx else 2), _PART_MACS)
        for gk, gb in partial[1:]:  # in order, so the sum does not depend on timing
            k.add_into(grad_kernel, gk)
            if gb is not None:
                k.add_into(grad_bias, gb)
        return dx

    def _conv2d_backward_into(self, x, y, dy, kernel, strides, dilation, pads, grad_kernel,
                              grad_bias, activation, dx):
        """:meth:`conv2d_backward` of the images ``x``, adding into ``dx`` (zeros) unless it is None."""
        if self._direct(x.shape, kernel.shape, strides):
            self._conv2d_backward_direct(x, y, dy, kernel, dilation, pads, grad_kernel, grad_bias,
                                         activation, dx)
            return
        f = kernel.shape[3]
        k2, g2 = kernel.reshape(-1, f), grad_kernel.reshape(-1, f)
        images, rows, cols = self._chunks(x.shape, kernel.shape[:2], strides, dilation, pads, x.dtype)
        dz = np.empty((images * rows, f), dtype=x.dtype) if activation is not None else None
        dcols = np.empty_like(cols) if dx is not None else None
        for start in range(0, x.shape[0], images):
            stop = min(start + images, x.shape[0])
            m, part_rows = (stop - start) * rows, slice(start * rows, stop * rows)
            dz_part = dy[part_rows] if activation is None else \
                activation.backward(self, dy[part_rows], y[part_rows], out=dz[:m])
            if grad_bias is not None:
                k.sum_rows(dz_part, grad_bias, True)
            part = self.im2col(x[start:stop], kernel.shape[:2], strides, dilation, pads, out=cols[:m])
            self._matmul(part.T, dz_part, g2, True)
            if dx is not None:
                np.matmul(dz_part, k2.T, out=dcols[:m])
                self._col2im_into(dcols[:m], dx[start:stop], kernel.shape[:2], strides, dilation, pads)

    def _conv2d_backward_direct(self, x, y, dy, kernel, dilation, pads, grad_kernel, grad_bias,
                                activation, dx):
        """:meth:`_conv2d_backward_into` for stride 1 and thin shapes, on planes (see cpu_conv_kernels)."""
        _, _, _, (oh, ow) = self._geometry(x.shape, kernel.shape[:2], (1, 1), dilation, pads)
        dz = dy if activation is None else activation.backward(self, dy, y)
        if grad_bias is not None:
            k.sum_rows(dz, grad_bias, True)
        planes, wp = self._planes(x, pads)
        kc.conv_planes_kernel_grad(planes, dz, wp, dilation[0], dilation[1], oh, ow, grad_kernel)
        if dx is None:
            return
        grad_planes = np.zeros_like(planes)
        kc.conv_planes_input_grad(dz, kernel, wp, dilation[0], dilation[1], oh, ow, grad_planes)
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

    def max_pool2d(self, x, pool, strides, pads, with_argmax=True):
        _, _, _, (oh, ow) = self._geometry(x.shape, pool, strides, (1, 1), pads)
        y = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
        which = np.empty(y.shape, dtype=np.int32)  # left unwritten without with_argmax
        corner = (pads[0][0], pads[1][0])
        if x.shape[3] >= _VECTOR_LANES:  # a pixel's channels fill a vector
            kernel, window = kc.max_pool, (*pool, *strides, *corner)
        elif not any(pads[0]) and not any(pads[1]):  # few channels: whole rows at a time
            x = np.ascontiguousarray(x)  # its rows are read as flat runs
            kernel, window = kc.max_pool_rows, (*pool, *strides)
        else:
            kernel, window = kc.max_pool_few_channels, (*pool, *strides, *corner)
        self._split(x.shape[0], lambda start, stop: kernel(
            x[start:stop], *window, y[start:stop], which[start:stop], with_argmax), x[0].size, _PART_VALUES)
        return y, which if with_argmax else None

    def max_pool2d_backward(self, dy, which, x_shape, pool, strides, pads):
        # windows that tile the image exactly write every pixel once: no zeroing needed
        tiled = tuple(strides) == tuple(pool) and not any(pads[0]) and not any(pads[1]) and \
            dy.shape[1] * pool[0] == x_shape[1] and dy.shape[2] * pool[1] == x_shape[2]
        dx = np.empty(x_shape, dtype=dy.dtype) if tiled else np.zeros(x_shape, dtype=dy.dtype)
        self._split(x_shape[0], lambda start, stop: kc.max_pool_backward(
            dy[start:stop], which[start:stop], pool[0], pool[1], strides[0], strides[1],
            pads[0][0], pads[1][0], tiled, dx[start:stop]), dx[0].size, _PART_VALUES)
        return dx

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

    # ------------------------------------------------------------- recurrent
    def lstm_step(self, z, c_prev, h_out, c_out, gates_out, tanh_c_out):
        u = c_prev.shape[1]
        key = ("lstm_scale", u, z.dtype)
        scale = self._scratch.get(key)
        if scale is None:
            scale = self._scratch[key] = np.full(4 * u, 0.5, dtype=z.dtype)
            scale[2 * u: 3 * u] = 1
        t = np.multiply(z, scale)
        np.tanh(t, out=t)  # vectorised; sigmoid(x) = (1 + tanh(x / 2)) / 2
        kr.lstm_gates(t, c_prev, gates_out, c_out)
        np.tanh(c_out, out=tanh_c_out)
        np.multiply(gates_out[:, 3 * u:], tanh_c_out, out=h_out)

    def lstm_step_backward(self, dh, dc_next, gates, c_prev, tanh_c, dz_out):
        dc_prev = np.empty_like(c_prev)
        kr.lstm_step_backward(dh, dc_next, gates, c_prev, tanh_c, dz_out, dc_prev)
        return dc_prev
