"""``NumbaCUDAOps``: every operation of the reference Ops, as CUDA kernels.

Each method has the meaning of its namesake in :class:`~deepzoo.backend.ops.Ops`
(read that one first); here the arrays are numba device arrays and the work is
done by the kernels of :mod:`~deepzoo.backend.cuda_kernels`,
:mod:`~deepzoo.backend.cuda_conv_kernels` and
:mod:`~deepzoo.backend.cuda_recurrent_kernels`.

What stays on the host: the random numbers of dropout (drawn from the layer's
NumPy generator, so a seed gives the same masks on every device, then copied
over), and the final sum of a loss or metric over the rows of a batch, a few
hundred numbers copied back once per batch. Parameters, gradients, optimizer
state and activations stay on the device; only :meth:`to_host` brings them back.

Creating one raises :class:`~deepzoo.errors.BackendError`, with the reason,
when CUDA cannot be used here (see :mod:`deepzoo.backend.cuda_target`).
"""

from __future__ import annotations

import numpy as np

from . import cuda_target as target
from .ops import Ops


class NumbaCUDAOps(Ops):
    """Operations on an NVIDIA GPU (or numba's CUDA simulator).

    Parameters
    ----------
    tiled_matmul : bool, optional
        Use the shared-memory tiled product. The default is yes on a GPU and no
        in the simulator, where each ``syncthreads`` costs milliseconds (see
        :func:`~deepzoo.backend.cuda_kernels.gemm_simple`).
    """

    name = "cuda"
    device = "cuda"

    def __init__(self, tiled_matmul=None):
        target.require()
        from . import cuda_conv_kernels, cuda_kernels, cuda_recurrent_kernels

        self.k, self.kc, self.kr = cuda_kernels, cuda_conv_kernels, cuda_recurrent_kernels
        self.tiled_matmul = (not target.status().simulator) if tiled_matmul is None else tiled_matmul

    def _run(self, kernel, n, *args):
        """Launch a grid-stride ``kernel`` over ``n`` items."""
        kernel[target.launch_size(n)](*args)

    @staticmethod
    def _flat(x):
        return x.reshape(x.size)

    def _map(self, kernel, *arrays, alpha=0.0, out=None):
        """Run an elementwise kernel of cuda_kernels over flat views; returns ``out``."""
        out = self._empty_like(arrays[0]) if out is None else out
        self._run(kernel, out.size, *[self._flat(a) for a in arrays],
                  arrays[0].dtype.type(alpha), self._flat(out))
        return out

    @staticmethod
    def _empty_like(x):
        return target.empty(x.shape, x.dtype)

    @staticmethod
    def _rows(x):
        # shape[ndim - 1], not shape[-1]: the simulator's shapes refuse negative indices
        return x.reshape(-1, x.shape[x.ndim - 1])

    # ------------------------------------------------------------------ memory
    def alloc(self, shape, dtype="float32"):
        return self.fill(target.empty(shape, dtype), 0)

    def asarray(self, x, dtype=None):
        return target.to_device(x, dtype)

    def to_host(self, x):
        return target.to_host(x)

    def copy(self, x):
        out = self._empty_like(x)
        out.copy_to_device(x)
        return out

    def fill(self, x, value):
        if x.size:
            self._run(self.k.fill, x.size, self._flat(x), x.dtype.type(value), self._flat(x))
        return x

    def assign(self, dest, src):
        if not target.is_device_array(src):
            src = np.ascontiguousarray(src, dtype=dest.dtype)
        dest.copy_to_device(src)
        return dest

    def reshape(self, x, shape):
        return x.reshape(tuple(shape))

    def all_finite(self, x) -> bool:
        flag = target.to_device(np.ones(1, dtype=np.int32))
        self._run(self.k.all_finite, x.size, self._flat(x), flag)
        return bool(flag.copy_to_host()[0])

    # ---------------------------------------------------------- linear algebra
    def matmul(self, a, b, trans_a=False, trans_b=False, out=None, accumulate=False):
        m = a.shape[1] if trans_a else a.shape[0]
        n = b.shape[0] if trans_b else b.shape[1]
        if out is None:
            out = target.empty((m, n), a.dtype)
        if self.tiled_matmul:
            grid, block = self.k.gemm_launch(m, n)
            self.k.gemm_kernel(out.dtype)[grid, block](a, b, out, trans_a, trans_b, accumulate)
        else:
            self._run(self.k.gemm_simple, m * n, a, b, out, trans_a, trans_b, accumulate)
        return out

    def add_bias(self, y, bias):
        self._run(self.k.add_bias, y.size, self._flat(y), bias)
        return y

    def sum_rows(self, dy, out, accumulate=True):
        dy = self._rows(dy)
        self._run(self.k.sum_rows, dy.shape[1], dy, out, accumulate)
        return out

    def multiply(self, a, b, out=None):
        return self._map(self.k.multiply, a, b, out=out)

    def add(self, a, b, out=None):
        return self._map(self.k.add, a, b, out=out)

    def scale(self, x, factor, out=None):
        return self._map(self.k.scale, x, alpha=factor, out=out)

    # ------------------------------------------------------------- activations
    def linear(self, x, out=None):
        return self._map(self.k.linear, x, out=out)

    def linear_backward(self, dy, y, out=None):
        return dy if out is None or out is dy else self.assign(out, dy)

    def step(self, x, out=None):
        return self._map(self.k.step, x, out=out)

    def step_backward(self, dy, y, out=None):
        return self._map(self.k.step_backward, dy, y, out=out)

    def sigmoid(self, x, out=None):
        return self._map(self.k.sigmoid, x, out=out)

    def sigmoid_backward(self, dy, y, out=None):
        return self._map(self.k.sigmoid_backward, dy, y, out=out)

    def tanh(self, x, out=None):
        return self._map(self.k.tanh, x, out=out)

    def tanh_backward(self, dy, y, out=None):
        return self._map(self.k.tanh_backward, dy, y, out=out)

    def relu(self, x, out=None):
        return self._map(self.k.relu, x, out=out)

    def relu_backward(self, dy, y, out=None):
        return self._map(self.k.relu_backward, dy, y, out=out)

    def leaky_relu(self, x, alpha, out=None):
        return self._map(self.k.leaky_relu, x, alpha=alpha, out=out)

    def leaky_relu_backward(self, dy, y, alpha, out=None):
        return self._map(self.k.leaky_relu_backward, dy, y, alpha=alpha, out=out)

    def elu(self, x, alpha, out=None):
        return self._map(self.k.elu, x, alpha=alpha, out=out)

    def elu_backward(self, dy, y, alpha, out=None):
        return self._map(self.k.elu_backward, dy, y, alpha=alpha, out=out)

    def softmax(self, x, out=None):
        out = self._empty_like(x) if out is None else out
        rows = self._rows(x)
        self._run(self.k.softmax_rows, rows.shape[0], rows, self._rows(out))
        return out

    def softmax_backward(self, dy, y, out=None):
        out = self._empty_like(dy) if out is None else out
        rows = self._rows(dy)
        self._run(self.k.softmax_backward_rows, rows.shape[0], rows, self._rows(y), self._rows(out))
        return out

    # ------------------------------------------------------------------ maxout
    def maxout(self, z):
        pieces = z.shape[z.ndim - 1]
        rows = z.reshape(-1, pieces)
        y = target.empty(z.shape[:-1], z.dtype)
        which = target.empty(z.shape[:-1], np.int32)
        self._run(self.k.maxout, rows.shape[0], rows, self._flat(y), self._flat(which))
        return y, which

    def maxout_backward(self, dy, which, pieces):
        dz = target.empty(dy.shape + (pieces,), dy.dtype)
        self._run(self.k.maxout_backward, dy.size, self._flat(dy), self._flat(which),
                  dz.reshape(-1, pieces))
        return dz

    # ----------------------------------------------------------------- dropout
    def dropout_mask(self, shape, rate, rng, dtype="float32"):
        """The reference's mask, drawn on the host from ``rng`` and copied to the device."""
        return target.to_device(super().dropout_mask(shape, rate, rng, dtype))

    # ------------------------------------------------------------------ losses
    def _row_loss(self, kernel, y, *args):
        """Run a loss kernel over the rows of ``y``; returns (sum of the row losses, gradient)."""
        rows = self._rows(y)
        grad = self._empty_like(y)
        row_loss = target.empty((rows.shape[0],), np.float64)
        self._run(kernel, rows.shape[0], rows, *args, self._rows(grad), row_loss)
        return float(row_loss.copy_to_host().sum()), grad

    def mean_squared_error(self, y, t):
        total, grad = self._row_loss(self.k.squared_error, y, self._rows(t), 2.0 / y.size)
        return total / y.size, grad

    def sum_squared_error(self, y, t):
        total, grad = self._row_loss(self.k.squared_error, y, self._rows(t), 1.0)
        return 0.5 * total, grad

    def binary_crossentropy(self, y, t, eps, from_sigmoid_logits=False):
        total, grad = self._row_loss(self.k.binary_crossentropy, y, self._rows(t), eps,
                                     from_sigmoid_logits, 1.0 / y.size)
        return total / y.size, grad

    def categorical_crossentropy(self, y, t, eps, from_softmax_logits=False):
        positions = self._rows(y).shape[0]
        total, grad = self._row_loss(self.k.categorical_crossentropy, y, self._rows(t), eps,
                                     from_softmax_logits, 1.0 / positions)
        return total / positions, grad

    def sparse_categorical_crossentropy(self, y, labels, eps, from_softmax_logits=False):
        positions = self._rows(y).shape[0]
        labels = target.to_device(labels)
        total, grad = self._row_loss(self.k.sparse_categorical_crossentropy, y, self._flat(labels),
                                     eps, from_softmax_logits, 1.0 / positions)
        return total / positions, grad

    def one_hot(self, labels, classes, dtype="float32"):
        labels = target.to_device(labels)
        out = target.empty((labels.size, classes), dtype)
        self._run(self.k.one_hot, labels.size, self._flat(labels), out)
        return out.reshape(tuple(labels.shape) + (classes,))

    # ----------------------------------------------------------------- metrics
    def _count(self, kernel, n, *args) -> int:
        hits = target.empty((n,), np.int32)
        self._run(kernel, n, *args, hits)
        return int(hits.copy_to_host().sum())

    def count_argmax_equal(self, y, t) -> int:
        rows = self._rows(y)
        return self._count(self.k.argmax_equal, rows.shape[0], rows, self._rows(t))

    def count_argmax_label(self, y, labels) -> int:
        rows = self._rows(y)
        return self._count(self.k.argmax_label, rows.shape[0], rows, self._flat(target.to_device(labels)))

    def count_threshold_equal(self, y, t, threshold=0.5) -> int:
        return self._count(self.k.threshold_equal, y.size, self._flat(y), self._flat(t), threshold)

    def sum_squared_difference(self, y, t) -> float:
        total, _ = self._row_loss(self.k.squared_error, y, self._rows(t), 1.0)
        return total

    # ------------------------------------------------------- optimizer updates
    def _update(self, kernel, param, *arrays_then_numbers):
        args = [self._flat(a) if target.is_device_array(a) else a for a in arrays_then_numbers]
        self._run(kernel, param.size, self._flat(param), *args)

    def sgd_update(self, param, grad, velocity, lr, momentum, nesterov):
        if momentum:
            self._update(self.k.sgd_momentum, param, grad, velocity, lr, momentum, bool(nesterov))
        else:
            self._update(self.k.sgd, param, grad, lr)

    def adagrad_update(self, param, grad, accumulator, lr, eps):
        self._update(self.k.adagrad, param, grad, accumulator, lr, eps)

    def rmsprop_update(self, param, grad, mean_square, lr, rho, eps):
        self._update(self.k.rmsprop, param, grad, mean_square, lr, rho, eps)

    def adadelta_update(self, param, grad, mean_square, mean_delta, lr, rho, eps):
        self._update(self.k.adadelta, param, grad, mean_square, mean_delta, lr, rho, eps)

    def adam_update(self, param, grad, m, v, lr, beta1, beta2, eps, step):
        self._update(self.k.adam, param, grad, m, v, lr, beta1, beta2, eps,
                     1.0 - beta1**step, 1.0 - beta2**step)

    # --------------------------------------------------- convolution, pooling
    def conv2d(self, x, kernel, strides, dilation, pads, bias=None, activation=None):
        cols = self.im2col(x, kernel.shape[:2], strides, dilation, pads)
        z = self.matmul(cols, kernel.reshape(-1, kernel.shape[3]))
        if bias is not None:
            self.add_bias(z, bias)
        return z if activation is None else activation.apply(self, z, out=z)

    def conv2d_backward(self, x, y, dy, kernel, strides, dilation, pads, grad_kernel,
                        grad_bias=None, activation=None, need_dx=True):
        f = kernel.shape[3]
        dz = dy if activation is None else activation.backward(self, dy, y)
        if grad_bias is not None:
            self.sum_rows(dz, out=grad_bias)
        cols = self.im2col(x, kernel.shape[:2], strides, dilation, pads)
        self.matmul(cols, dz, trans_a=True, out=grad_kernel.reshape(-1, f), accumulate=True)
        if not need_dx:
            return None
        dcols = self.matmul(dz, kernel.reshape(-1, f), trans_b=True)
        return self.col2im(dcols, x.shape, kernel.shape[:2], strides, dilation, pads)

    def _window_args(self, x_shape, kernel, strides, dilation, pads):
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self._geometry(x_shape, kernel, strides, dilation, pads)
        return (kh, kw, sh, sw, dh, dw, pads[0][0], pads[1][0], oh, ow)

    def im2col(self, x, kernel, strides, dilation, pads, out=None):
        args = self._window_args(x.shape, kernel, strides, dilation, pads)
        kh, kw, oh, ow = args[0], args[1], args[-2], args[-1]
        cols = target.empty((x.shape[0] * oh * ow, kh * kw * x.shape[3]), x.dtype) if out is None else out
        self._run(self.kc.im2col, cols.size, x, *args, self._flat(cols))
        return cols

    def col2im(self, cols, x_shape, kernel, strides, dilation, pads):
        dx = target.empty(tuple(x_shape), cols.dtype)
        self._run(self.kc.col2im, dx.size, self._flat(cols),
                  *self._window_args(x_shape, kernel, strides, dilation, pads), dx)
        return dx

    def _pool_output(self, x, pool, strides, pads):
        _, _, _, (oh, ow) = self._geometry(x.shape, pool, strides, (1, 1), pads)
        return target.empty((x.shape[0], oh, ow, x.shape[3]), x.dtype)

    def max_pool2d(self, x, pool, strides, pads, with_argmax=True):
        y = self._pool_output(x, pool, strides, pads)
        which = target.empty(y.shape, np.int32)
        self._run(self.kc.max_pool, y.size, x, *pool, *strides, pads[0][0], pads[1][0], y, which)
        return y, which if with_argmax else None

    def max_pool2d_backward(self, dy, which, x_shape, pool, strides, pads):
        dx = target.empty(tuple(x_shape), dy.dtype)
        self._run(self.kc.max_pool_backward, dx.size, dy, which, *pool, *strides, pads[0][0],
                  pads[1][0], dx)
        return dx

    def avg_pool2d(self, x, pool, strides, pads):
        y = self._pool_output(x, pool, strides, pads)
        self._run(self.kc.avg_pool, y.size, x, *pool, *strides, pads[0][0], pads[1][0], y)
        return y

    def avg_pool2d_backward(self, dy, x_shape, pool, strides, pads):
        dx = target.empty(tuple(x_shape), dy.dtype)
        self._run(self.kc.avg_pool_backward, dx.size, dy, *pool, *strides, pads[0][0], pads[1][0], dx)
        return dx

    # ------------------------------------------------------------- recurrent
    def to_time_major(self, x):
        a, b = x.shape[:2]
        out = target.empty((b, a) + tuple(x.shape[2:]), x.dtype)
        self._run(self.kr.swap_leading_axes, x.size, x.reshape(a, b, -1), out.reshape(b, a, -1))
        return out

    def repeat_steps(self, x, n):
        out = target.empty((x.shape[0], n, x.shape[1]), x.dtype)
        self._run(self.kr.repeat_steps, out.size, x, out)
        return out

    def sum_steps(self, dy):
        out = target.empty((dy.shape[0], dy.shape[2]), dy.dtype)
        self._run(self.kr.sum_steps, out.size, dy, out)
        return out

    def lstm_step(self, z, c_prev, h_out, c_out, gates_out, tanh_c_out):
        self._run(self.kr.lstm_step, c_prev.size, z, c_prev, h_out, c_out, gates_out, tanh_c_out)

    def lstm_step_backward(self, dh, dc_next, gates, c_prev, tanh_c, dz_out):
        dc_prev = self._empty_like(c_prev)
        self._run(self.kr.lstm_step_backward, c_prev.size, dh, dc_next, gates, c_prev, tanh_c,
                  dz_out, dc_prev)
        return dc_prev
