"""Reference dense and elementwise operations (part of :class:`~deepzoo.backend.reference.Ops`).

Matrix products, bias, elementwise arithmetic, every activation and its backward,
maxout, batch normalization and dropout masks, in plain NumPy. Dense activations have shape
``(N, features)``; ``out=`` arguments are written in place and returned.
"""

from __future__ import annotations

import numpy as np


class DenseOps:
    """Dense layers' and activations' operations in NumPy: readable, and the tests' oracle."""

    # ---------------------------------------------------------- linear algebra
    def matmul(self, a, b, trans_a=False, trans_b=False, out=None, accumulate=False):
        """``op(a) @ op(b)`` where ``op`` transposes when asked.

        Shapes: ``op(a)`` is ``(M, K)``, ``op(b)`` is ``(K, N)``, the result ``(M, N)``.
        """
        a = a.T if trans_a else a
        b = b.T if trans_b else b
        if out is None:
            return a @ b
        if accumulate:
            out += a @ b
        else:
            np.matmul(a, b, out=out)
        return out

    def add_bias(self, y, bias):
        """``y[n, j] += bias[j]`` in place."""
        y += bias
        return y

    def sum_rows(self, dy, out, accumulate=True):
        """Sum over the batch axis into ``out``: the gradient of a bias."""
        if accumulate:
            out += dy.sum(axis=0)
        else:
            out[...] = dy.sum(axis=0)
        return out

    def affine(self, x, kernel, bias=None, activation=None, alpha=0.0):
        """``activation(x @ kernel + bias)``: a dense layer's forward as one op.

        ``activation`` names an activation op (see :meth:`activate`, with its ``alpha``)
        or is None. A GPU adds the bias and applies an elementwise activation as it
        stores the product, in the same kernel.
        """
        y = self.matmul(x, kernel)
        if bias is not None:
            self.add_bias(y, bias)
        return y if activation is None else self.activate(activation, y, alpha, out=y)

    def bias_activation_backward(self, dy, y, activation=None, alpha=0.0, grad_bias=None):
        """The backward of :meth:`affine` up to the products: ``dz``, the gradient before
        the activation (``dy`` itself when ``activation`` is None), with the column sums
        of ``dz`` added into ``grad_bias`` when it is given. Returns ``dz``.
        """
        dz = dy if activation is None else self.activate_backward(activation, dy, y, alpha)
        if grad_bias is not None:
            self.sum_rows(dz, out=grad_bias)
        return dz

    def dense_backward(self, x, kernel, dy, y, activation=None, alpha=0.0, grad_kernel=None, grad_bias=None,
                       input_gradient=True):
        """The backward of :meth:`affine` whole, given its input ``x``, ``kernel``, output
        ``y`` and the gradient ``dy``: ``dz`` from :meth:`bias_activation_backward` (which
        adds the bias gradient), ``grad_kernel += x.T @ dz``, and ``dz @ kernel.T``, the
        gradient of ``x``, returned (None without ``input_gradient``)."""
        dz = self.bias_activation_backward(dy, y, activation, alpha, grad_bias)
        self.matmul(x, dz, trans_a=True, out=grad_kernel, accumulate=True)
        return self.matmul(dz, kernel, trans_b=True) if input_gradient else None

    def dense_chain_plan(self, kernels, biases, activations, alphas, grad_kernels=None, grad_biases=None):
        """Dense layers one after the other, described once for :meth:`dense_chain`: for
        each layer its kernel, bias (or None), activation's Ops name (or None) and alpha,
        and, for training, the gradients its backward adds into (a bias gradient may be
        None). The caller keeps the plan while those arrays stay the same."""
        return DenseChain(kernels, biases, activations, alphas, grad_kernels, grad_biases)

    def dense_chain(self, x, chain):
        """The forward of the layers of ``chain`` (:meth:`dense_chain_plan`) one after the
        other, as one op: the list of their outputs ``y_1 ... y_L``, where ``y_l =
        affine(y_(l-1), kernel_l, bias_l, activation_l, alpha_l)`` and ``y_0 = x``.

        Here it is that loop of :meth:`affine`; the CPU family runs a chain of small
        layers (XOR's, the online network's on one sample) as one compiled call instead,
        where each call of the loop would cost more than its arithmetic.
        """
        outputs = []
        layers = zip(chain.kernels, chain.biases, chain.activations, chain.alphas)
        for kernel, bias, activation, alpha in layers:
            x = self.affine(x, kernel, bias, activation, alpha)
            outputs.append(x)
        return outputs

    def dense_chain_backward(self, x, chain, outputs, dy, fused=False, input_gradient=True):
        """The backward of :meth:`dense_chain`, given its input ``x``, its ``outputs`` and the
        gradient ``dy`` of the last: :meth:`dense_backward` of each layer from the last to
        the first, adding into the chain's gradients. With ``fused`` the loss has already
        absorbed the last layer's activation (softmax + cross-entropy), whose backward is
        then skipped. Returns the gradient of ``x`` (None without ``input_gradient``)."""
        for layer in reversed(range(len(chain.kernels))):
            below = x if layer == 0 else outputs[layer - 1]
            activation = None if fused and layer == len(chain.kernels) - 1 else chain.activations[layer]
            dy = self.dense_backward(below, chain.kernels[layer], dy, outputs[layer], activation,
                                     chain.alphas[layer], chain.grad_kernels[layer], chain.grad_biases[layer],
                                     input_gradient or layer > 0)
        return dy

    def multiply(self, a, b, out=None):
        """Elementwise product."""
        return np.multiply(a, b, out=out)

    def add(self, a, b, out=None):
        """Elementwise sum."""
        return np.add(a, b, out=out)

    def scale(self, x, factor, out=None):
        """``factor * x``."""
        return np.multiply(x, x.dtype.type(factor), out=out)

    # ------------------------------------------------------------- activations
    # Every forward takes ``out=`` (pass ``out=x`` to work in place) and every
    # backward needs only the forward's output ``y``, so the input can be
    # overwritten. Backwards take ``out=`` too (``out=dy`` works in place).
    def linear(self, x, out=None):
        if out is None:
            return x.copy()
        out[...] = x
        return out

    def linear_backward(self, dy, y, out=None):
        return dy if out is None or out is dy else _assign_or_new(out, dy)

    def heaviside(self, x, out=None):
        """Heaviside step: 1 where ``x >= 0``, else 0 (the perceptron's output)."""
        return _assign_or_new(out, (x >= 0).astype(x.dtype))

    def heaviside_backward(self, dy, y, out=None):
        """The step is flat almost everywhere: its derivative is 0."""
        return _assign_or_new(out, np.zeros_like(dy))

    def sigmoid(self, x, out=None):
        """``1 / (1 + exp(-x))``, computed without overflow for large ``|x|``."""
        z = np.exp(-np.abs(x))
        return _assign_or_new(out, np.where(x >= 0, 1 / (1 + z), z / (1 + z)))

    def sigmoid_backward(self, dy, y, out=None):
        """``dy * y * (1 - y)``."""
        return _assign_or_new(out, dy * y * (1 - y))

    def tanh(self, x, out=None):
        return np.tanh(x, out=out)

    def tanh_backward(self, dy, y, out=None):
        """``dy * (1 - y**2)``."""
        return _assign_or_new(out, dy * (1 - y * y))

    def relu(self, x, out=None):
        """``max(0, x)``."""
        return np.maximum(x, 0, out=out)

    def relu_backward(self, dy, y, out=None):
        return _assign_or_new(out, dy * (y > 0))

    def leaky_relu(self, x, alpha, out=None):
        """``x`` where positive, ``alpha * x`` elsewhere (``alpha`` in [0, 1))."""
        return _assign_or_new(out, np.where(x > 0, x, alpha * x))

    def leaky_relu_backward(self, dy, y, alpha, out=None):
        return _assign_or_new(out, np.where(y > 0, dy, alpha * dy))

    def elu(self, x, alpha, out=None):
        """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
        return _assign_or_new(out, np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))))

    def elu_backward(self, dy, y, alpha, out=None):
        """For ``x <= 0`` the derivative ``alpha * exp(x)`` equals ``y + alpha``."""
        return _assign_or_new(out, np.where(y > 0, dy, dy * (y + alpha)))

    def softmax(self, x, out=None):
        """``exp(x_i) / sum_j exp(x_j)`` over the last axis (max subtracted first)."""
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        e /= e.sum(axis=-1, keepdims=True)
        return _assign_or_new(out, e)

    def softmax_backward(self, dy, y, out=None):
        """``y * (dy - sum_j dy_j y_j)``: the Jacobian-vector product of softmax."""
        return _assign_or_new(out, y * (dy - (dy * y).sum(axis=-1, keepdims=True)))

    # An op that applies an activation itself (a convolution, which does it piece by
    # piece while its output is still in the cache) is told which one as data: the
    # name of the Ops method, and ``alpha`` for those that take one.
    #: every activation an op may be asked to apply by name, and whether it takes alpha
    ACTIVATIONS = {"linear": False, "heaviside": False, "sigmoid": False, "tanh": False,
                   "relu": False, "leaky_relu": True, "elu": True, "softmax": False}

    def activate(self, name, x, alpha=0.0, out=None):
        """The activation named ``name`` (a key of :attr:`ACTIVATIONS`) applied to ``x``."""
        function = getattr(self, _checked_activation(self, name))
        return function(x, alpha, out=out) if self.ACTIVATIONS[name] else function(x, out=out)

    def activate_backward(self, name, dy, y, alpha=0.0, out=None):
        """The backward of :meth:`activate`, from the output ``y`` and its gradient ``dy``."""
        function = getattr(self, _checked_activation(self, name) + "_backward")
        return function(dy, y, alpha, out=out) if self.ACTIVATIONS[name] else function(dy, y, out=out)

    # ------------------------------------------------------------------ maxout
    def maxout(self, z):
        """Max over the last axis of ``z`` (shape ``(N, units, pieces)``).

        Returns the maxima ``(N, units)`` and the index of the winning piece.
        """
        which = z.argmax(axis=-1)
        return np.take_along_axis(z, which[..., None], axis=-1)[..., 0], which

    def maxout_backward(self, dy, which, pieces):
        """Route each gradient to the piece that won the max; the others get 0."""
        dz = np.zeros(dy.shape + (pieces,), dtype=dy.dtype)
        np.put_along_axis(dz, which[..., None], dy[..., None], axis=-1)
        return dz

    # --------------------------------------------------------------- embedding
    # Token ids arrive as floats (a model's inputs share its dtype) holding whole
    # numbers; they are rounded to the nearest integer.
    def embedding_lookup(self, table, ids):
        """``out[..., :] = table[ids[...]]``: one row of ``table`` (V, D) per id; shape ``ids.shape + (D,)``."""
        return table[np.rint(ids).astype(np.int64)]

    def embedding_backward(self, ids, dy, grad_table):
        """``grad_table[ids[...]] += dy[...]``, adding up the rows of repeated ids."""
        np.add.at(grad_table, np.rint(ids).astype(np.int64), dy)
        return grad_table

    # ------------------------------------------------------ batch normalization
    # ``x`` is 2-D: one row per position (a sample, or a sample's pixel), one column
    # per channel; the statistics are per column.
    def column_moments(self, x):
        """Mean and (biased) variance of each column of ``x``, in ``x``'s dtype."""
        mean = x.mean(axis=0, dtype=np.float64)
        var = np.square(x - mean).mean(axis=0)
        return mean.astype(x.dtype), var.astype(x.dtype)

    def scale_shift_columns(self, x, scale, shift, out=None):
        """``x[i, j] * scale[j] + shift[j]``: a per-column affine map of a 2-D ``x``."""
        return np.add(x * scale, shift, out=out)

    def batch_norm(self, x, gamma, beta, mean, var, eps, out=None):
        """``y = gamma * (x - mean) / sqrt(var + eps) + beta``, column by column."""
        scale = gamma / np.sqrt(var + x.dtype.type(eps))
        return np.add(x * scale, beta - mean * scale, out=out)

    def batch_norm_backward(self, dy, x, gamma, mean, var, eps, grad_gamma, grad_beta, out=None):
        """The input gradient of :meth:`batch_norm` with the batch's own ``mean`` and ``var``;
        adds ``sum dy * x_hat`` to ``grad_gamma`` and ``sum dy`` to ``grad_beta``.

        With ``x_hat = (x - mean) / s``, ``s = sqrt(var + eps)`` and ``n`` rows:
        ``dx = gamma / s * (dy - mean(dy) - x_hat * mean(dy * x_hat))``.
        """
        inv_std = 1 / np.sqrt(var + x.dtype.type(eps))
        x_hat = (x - mean) * inv_std
        sum_dy, sum_dy_x_hat = dy.sum(axis=0), (dy * x_hat).sum(axis=0)
        grad_gamma += sum_dy_x_hat
        grad_beta += sum_dy
        n = x.shape[0]
        dx = (gamma * inv_std) * (dy - sum_dy / n - x_hat * (sum_dy_x_hat / n))
        if out is None:
            return dx.astype(x.dtype)
        out[...] = dx
        return out

    # ----------------------------------------------------------------- dropout
    def dropout(self, x, rate, key, out=None):
        """``x`` with inverted dropout's mask number ``key``: each element is zeroed with
        probability ``rate`` and the others scaled by ``1 / (1 - rate)``.

        Whether element ``i`` is kept is a hash of ``i`` and ``key`` (see
        :func:`dropout_keep`), not a draw from a generator, so a GPU computes the mask
        where it uses it, and every backend gets the same mask for the same key. The
        backward of dropout is the same call on the gradient, with the same key.
        """
        keep = dropout_keep(x.size, rate, key).reshape(x.shape)
        y = np.where(keep, x * x.dtype.type(1.0 / (1.0 - rate)), x.dtype.type(0))
        if out is None:
            return y
        out[...] = y
        return out


# The integer hash of dropout_keep, in uint64 arithmetic: the same function runs on
# NumPy arrays here, and numba compiles it for the CPU and CUDA kernels, where an
# integer literal would be an int64 (and uint64 meeting int64 gives a float64).
_M32 = np.uint64(0xFFFFFFFF)
_A, _B = np.uint64(0x7FEB352D), np.uint64(0x846CA68B)
_S15, _S16 = np.uint64(15), np.uint64(16)
_ZERO = np.uint64(0)


def dropout_hash(i, k0, k1):
    """``h(h(i ^ k0) ^ k1)`` for element index ``i`` (uint64, an array or one number in a
    numba kernel) under the key halves ``k0``, ``k1``, where ``h`` is the 32-bit integer
    hash "lowbias32" (after C. Wellons): every input bit changes each output bit with
    probability close to 1/2. ``h`` is written once, in the loop, since a numba kernel
    cannot call a plain Python function."""
    x = (i & _M32) ^ k0
    for key in (k1, _ZERO):
        x = x ^ (x >> _S16)
        x = (x * _A) & _M32
        x = x ^ (x >> _S15)
        x = (x * _B) & _M32
        x = x ^ (x >> _S16) ^ key
    return x


def dropout_keep(n, rate, key):
    """Which of ``n`` elements inverted dropout number ``key`` (an int below 2**64) keeps.

    Element ``i`` is kept when ``hash32(hash32(i ^ k0) ^ k1) >= rate * 2**32``, with
    ``k0``, ``k1`` the low and high 32 bits of ``key``; every backend computes exactly
    this, in integers. Indices wrap at 2**32 elements.
    """
    k0, k1 = np.uint64(key & 0xFFFFFFFF), np.uint64(key >> 32)
    return dropout_hash(np.arange(n, dtype=np.uint64), k0, k1) >= np.uint64(dropout_threshold(rate))


def dropout_threshold(rate) -> int:
    """The hash value from which an element is kept: ``rate`` of the 2**32 values lie below."""
    return min(int(round(rate * 2.0**32)), 2**32 - 1)


def _checked_activation(ops, name):
    if name not in ops.ACTIVATIONS:
        raise ValueError(f"{type(ops).__name__} has no activation {name!r}; it knows "
                         f"{', '.join(ops.ACTIVATIONS)}")
    return name


def _assign_or_new(out, value):
    if out is None:
        return value
    out[...] = value
    return out


class DenseChain:
    """What :meth:`DenseOps.dense_chain_plan` describes: lists with one entry per layer.
    ``packed`` is free for a backend to keep what it derives from them once (the CPU
    family: the tuples its compiled kernels take)."""

    def __init__(self, kernels, biases, activations, alphas, grad_kernels=None, grad_biases=None):
        self.kernels, self.biases = list(kernels), list(biases)
        self.activations, self.alphas = list(activations), [float(alpha) for alpha in alphas]
        self.grad_kernels = None if grad_kernels is None else list(grad_kernels)
        self.grad_biases = None if grad_biases is None else list(grad_biases)
        self.packed = None
