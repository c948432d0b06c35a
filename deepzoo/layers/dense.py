"""Fully connected layers: :class:`Dense` and :class:`Maxout`."""

from __future__ import annotations

from .. import activations as act
from .. import initializers
from ..errors import ShapeError
from ..geometry import describe_shape
from .base import Layer, check_positive_int, take_regularizers, weights_config


def _check_flat(layer: Layer, input_shape: tuple) -> None:
    if len(input_shape) != 1:
        raise ShapeError(
            f"layer '{layer.name}' ({type(layer).__name__}) expects 2-D input (batch, features), "
            f"but its input has shape {describe_shape(input_shape)}. Add a Flatten layer before it "
            f"to turn each sample into a vector."
        )


class Dense(Layer):
    r"""A fully connected layer: every output unit sees every input.

    .. math:: Y = f(X W + b)

    Shapes: ``X`` is ``(N, n_in)``, ``W`` (param ``"kernel"``) is ``(n_in, units)``,
    ``b`` (param ``"bias"``) is ``(units,)``, ``Y`` is ``(N, units)``.
    Backward, with ``dZ = dY * f'(Z)``:
    ``dW += X^T dZ``, ``db += sum_n dZ``, ``dX = dZ W^T``.

    Parameters
    ----------
    units : int
        Number of output units.
    activation : str, ActivationFunction or None
        ``f``; None means the identity.
    use_bias : bool
    kernel_initializer, bias_initializer : str or callable
        See :mod:`deepzoo.initializers`.
    kernel_regularizer, bias_regularizer : str or Regularizer, optional
        A penalty added to the loss in training (``"l1"``, ``"l2"``, ``"l1_l2"``;
        see :mod:`deepzoo.regularizers`).
    """

    default_name = "dense"
    example_args = {"units": 3, "activation": "tanh"}
    example_input_shape = (5,)

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        take_regularizers(self, kernel_regularizer, bias_regularizer)
        self.units = check_positive_int(self.name, "units", units)
        self.activation = act.get(activation)
        self.use_bias = bool(use_bias)
        self._chains = {}  # the plans of the chain this layer runs (see _forward_chain)
        # None: the default (a saved custom initializer comes back as the default;
        # the weights themselves are saved)
        self.kernel_initializer = initializers.get(kernel_initializer or "glorot_uniform")
        self.bias_initializer = initializers.get(bias_initializer or "zeros")

    def check_input_shape(self, input_shape):
        _check_flat(self, input_shape)

    def create_params(self, input_shape):
        n_in = input_shape[0]
        self.add_param("kernel", (n_in, self.units), self.kernel_initializer, n_in, self.units)
        if self.use_bias:
            self.add_param("bias", (self.units,), self.bias_initializer, n_in, self.units)

    def compute_output_shape(self, input_shape):
        return (self.units,)

    def fusable_activation(self):
        return self.activation

    def can_chain(self, after) -> bool:
        """Whether this layer may run the layer ``after`` it too, as one op (the per-call
        option ``dense_chain``, see :mod:`deepzoo.layers.base`): both are Dense layers whose
        activation the op applies by name."""
        return type(after).forward is Dense.forward and self._op_activation() and after._op_activation()

    def _op_activation(self) -> bool:
        return self.activation is None or self.activation.op is not None

    def forward(self, x, training=False, *, input_gradient=True, fused_activation=False, dense_chain=()):
        self.check_input(x)
        if dense_chain:
            return self._forward_chain(x, training, dense_chain, input_gradient, fused_activation)
        ops, kernel = self.ops, self.params["kernel"]
        # The op applies the activation as it goes when it knows it by name; a
        # plugin's activation without an Ops name is applied here instead.
        named = self.activation is not None and self.activation.op is not None
        op, alpha = (self.activation.op, self.activation.alpha) if named else (None, 0.0)
        y = ops.affine(x, kernel, self.params["bias"] if self.use_bias else None, op, alpha)
        activation_backward = None
        if self.activation is not None and not named:
            y, activation_backward = self.activation.forward(ops, y, inplace=True)

        def backward(dy):
            if activation_backward is not None and not fused_activation:
                dy = activation_backward(dy)
            return ops.dense_backward(x, kernel, dy, y, None if fused_activation else op, alpha,
                                      self.grads["kernel"], self.grads["bias"] if self.use_bias else None,
                                      input_gradient)

        return y, backward

    def _forward_chain(self, x, training, after, input_gradient, fused_activation):
        """The forward of this layer and the layers ``after`` it as one op
        (``Ops.dense_chain``): the last one's output, and the backward from its gradient
        to ``x``'s; with ``fused_activation`` the loss has absorbed the last one's
        activation. The op's plan is made again only when the layers, the Ops or some
        layer's arrays (:attr:`Layer.arrays_replaced`) changed since the last call (one
        plan for training, with the gradients, and one for inference, without)."""
        ops, made = self.ops, self._chains.get(training)
        if made is None or made[0] != Layer.arrays_replaced or made[1] is not after or made[2] is not ops:
            made = self._chains[training] = (Layer.arrays_replaced, after, ops,
                                             self._chain_plan((self, *after), training))
        chain = made[3]
        outputs = ops.dense_chain(x, chain)

        def backward(dy):
            return ops.dense_chain_backward(x, chain, outputs, dy, fused_activation, input_gradient)

        return outputs[-1], backward

    def _chain_plan(self, layers, training):
        """``Ops.dense_chain_plan`` of ``layers``, with their gradients in training."""
        grad_kernels = grad_biases = None
        if training:
            grad_kernels = [layer.grads["kernel"] for layer in layers]
            grad_biases = [layer.grads["bias"] if layer.use_bias else None for layer in layers]
        return self.ops.dense_chain_plan(
            [layer.params["kernel"] for layer in layers],
            [layer.params["bias"] if layer.use_bias else None for layer in layers],
            [None if layer.activation is None else layer.activation.op for layer in layers],
            [0.0 if layer.activation is None else layer.activation.alpha for layer in layers],
            grad_kernels, grad_biases)

    def get_config(self):
        return {**super().get_config(), "units": self.units, **weights_config(self)}


class Maxout(Layer):
    r"""Maxout units: each output is the largest of ``pieces`` linear functions.

    .. math:: y_j = \max_{p} (x \cdot w_{j,p} + b_{j,p})

    With ``pieces=2`` this is the lecture's ``max(w1 . x + b1, w2 . x + b2)``.
    ReLU is the special case where one piece is fixed at zero.

    Shapes: ``X`` ``(N, n_in)``; ``kernel`` ``(n_in, units * pieces)`` with the
    pieces of unit ``j`` in columns ``j * pieces ... j * pieces + pieces - 1``;
    ``bias`` ``(units * pieces,)``; ``Y`` ``(N, units)``. The backward sends each
    unit's gradient only to the piece that won the max.
    """

    default_name = "maxout"
    example_args = {"units": 3, "pieces": 2}
    example_input_shape = (5,)

    def __init__(self, units, pieces=2, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        take_regularizers(self, kernel_regularizer, bias_regularizer)
        self.units = check_positive_int(self.name, "units", units)
        self.pieces = check_positive_int(self.name, "pieces", pieces)
        self.use_bias = bool(use_bias)
        # None: the default (a saved custom initializer comes back as the default;
        # the weights themselves are saved)
        self.kernel_initializer = initializers.get(kernel_initializer or "glorot_uniform")
        self.bias_initializer = initializers.get(bias_initializer or "zeros")

    def check_input_shape(self, input_shape):
        _check_flat(self, input_shape)

    def create_params(self, input_shape):
        n_in, width = input_shape[0], self.units * self.pieces
        self.add_param("kernel", (n_in, width), self.kernel_initializer, n_in, self.units)
        if self.use_bias:
            self.add_param("bias", (width,), self.bias_initializer, n_in, self.units)

    def compute_output_shape(self, input_shape):
        return (self.units,)

    def forward(self, x, training=False, *, input_gradient=True):
        self.check_input(x)
        ops, kernel = self.ops, self.params["kernel"]
        n = x.shape[0]
        z = ops.matmul(x, kernel)
        if self.use_bias:
            ops.add_bias(z, self.params["bias"])
        y, which = ops.maxout(ops.reshape(z, (n, self.units, self.pieces)))

        def backward(dy):
            dz = ops.reshape(ops.maxout_backward(dy, which, self.pieces), (n, -1))
            ops.matmul(x, dz, trans_a=True, out=self.grads["kernel"], accumulate=True)
            if self.use_bias:
                ops.sum_rows(dz, out=self.grads["bias"])
            if input_gradient:
                return ops.matmul(dz, kernel, trans_b=True)
            return None

        return y, backward

    def get_config(self):
        return {**super().get_config(), "units": self.units, "pieces": self.pieces,
                **weights_config(self)}
