"""Normalization layers: :class:`BatchNormalization` and :class:`LayerNormalization`."""

from __future__ import annotations

import numpy as np

from .. import initializers
from ..errors import MissingFeatureError
from ..validation import number_in
from .base import Layer

_DEFAULT_INITIALIZERS = {"beta": "zeros", "gamma": "ones", "moving_mean": "zeros", "moving_variance": "ones"}


class BatchNormalization(Layer):
    r"""Normalize each channel over the batch, then scale and shift it (Ioffe and Szegedy, 2015).

    The channels are the last axis: the features after a ``Dense`` layer, the
    feature maps after a ``Conv2D``. Every other axis (the batch, and the pixels
    of an image) is a position; the statistics of a channel are taken over all
    positions.

    In training, with the batch's mean :math:`\mu` and (biased) variance
    :math:`\sigma^2` of each channel:

    .. math:: \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta

    and the moving averages follow the batches,
    ``moving_mean = momentum * moving_mean + (1 - momentum) * mu`` (the same for
    ``moving_variance`` with :math:`\sigma^2`). In inference (``predict``,
    ``evaluate``, and a frozen layer, ``trainable = False``) the moving averages
    take the place of :math:`\mu` and :math:`\sigma^2`. The arguments, defaults and
    formulas are Keras's.

    Shapes: input and output ``(N, ..., C)``; ``gamma``, ``beta``, ``moving_mean`` and
    ``moving_variance`` are ``(C,)``. The moving averages are parameters that the
    optimizer leaves alone (the summary counts them as non-trainable); they are
    saved with the model. Backward, over the ``n`` positions of the batch:
    ``dgamma += sum dy * x_hat``, ``dbeta += sum dy``,
    ``dx = gamma / sqrt(var + eps) * (dy - mean(dy) - x_hat * mean(dy * x_hat))``.

    Parameters
    ----------
    axis : int
        The channel axis: only the last (``-1``, Keras's default) is implemented.
    momentum : float in [0, 1)
        Weight of the old value in the moving averages.
    epsilon : float > 0
        Added to the variance before the square root.
    center, scale : bool
        Learn ``beta`` and ``gamma`` (without them, 0 and 1).
    beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer
        See :mod:`deepzoo.initializers`.
    """

    default_name = "batch_normalization"
    example_args = {"momentum": 0.9, "epsilon": 0.001}
    example_input_shape = (4, 3)

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        where = f"layer '{self.name}'"
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise MissingFeatureError(f"{where}: axis={axis!r}: deepzoo normalizes one axis, the last")
        self.axis = axis
        self.momentum = number_in(where, "momentum", momentum, 0, 1, high_open=True)
        self.epsilon = number_in(where, "epsilon", epsilon, 0, float("inf"), low_open=True, high_open=True)
        self.center, self.scale = bool(center), bool(scale)
        given = {"beta": beta_initializer, "gamma": gamma_initializer,
                 "moving_mean": moving_mean_initializer, "moving_variance": moving_variance_initializer}
        # None: the default (a custom initializer is saved as None; the weights themselves are saved)
        self.initializers = {key: initializers.get(value or _DEFAULT_INITIALIZERS[key])
                             for key, value in given.items()}

    def check_input_shape(self, input_shape):
        if self.axis not in (-1, len(input_shape)):
            raise MissingFeatureError(
                f"layer '{self.name}' (BatchNormalization): axis={self.axis} normalizes a channel axis "
                f"that is not the last; deepzoo implements the last (axis=-1, here also "
                f"axis={len(input_shape)}) only")

    def create_params(self, input_shape):
        channels = input_shape[-1]
        if self.scale:
            self.add_param("gamma", (channels,), self.initializers["gamma"], channels, channels)
        if self.center:
            self.add_param("beta", (channels,), self.initializers["beta"], channels, channels)
        for key in ("moving_mean", "moving_variance"):
            self.add_param(key, (channels,), self.initializers[key], channels, channels, trainable=False)

    def _ones(self):
        return self._constant("ones", lambda: np.ones(self.input_shape[-1]))

    def _zeros(self):
        return self._constant("zeros", lambda: np.zeros(self.input_shape[-1]))

    def _gamma_beta(self):
        """``gamma`` and ``beta``, or the constants that stand for them without scale/center."""
        gamma = self.params["gamma"] if self.scale else self._ones()
        beta = self.params["beta"] if self.center else self._zeros()
        return gamma, beta

    def _param_grads(self):
        """Where the gradients of ``gamma`` and ``beta`` go (scratch arrays for the absent ones)."""
        return tuple(self.grads[key] if key in self.params else
                     self._constant(f"scratch_{key}", lambda: np.zeros(self.input_shape[-1]))
                     for key in ("gamma", "beta"))

    def forward(self, x, training=False):
        self.check_input(x)
        ops, channels = self.ops, self.input_shape[-1]
        rows = ops.reshape(x, (-1, channels))
        gamma, beta = self._gamma_beta()
        if not (training and self.trainable):
            mean, var = self.params["moving_mean"], self.params["moving_variance"]
            y = ops.batch_norm(rows, gamma, beta, mean, var, self.epsilon)

            def backward_inference(dy):
                # an affine map of x: dx = dy * gamma / sqrt(var + eps)
                dy_rows = ops.reshape(dy, (-1, channels))
                grad_gamma, grad_beta = self._param_grads()
                ones, zeros = self._ones(), self._zeros()
                x_hat = ops.batch_norm(rows, ones, zeros, mean, var, self.epsilon)
                ops.sum_rows(ops.multiply(dy_rows, x_hat), grad_gamma, accumulate=True)
                ops.sum_rows(dy_rows, grad_beta, accumulate=True)
                dx = ops.batch_norm(dy_rows, gamma, zeros, zeros, var, self.epsilon)
                return ops.reshape(dx, dy.shape)

            return ops.reshape(y, x.shape), backward_inference

        mean, var = ops.column_moments(rows)
        y = ops.batch_norm(rows, gamma, beta, mean, var, self.epsilon)
        for key, batch_value in (("moving_mean", mean), ("moving_variance", var)):
            moving = self.params[key]
            ops.scale(moving, self.momentum, out=moving)
            ops.add(moving, ops.scale(batch_value, 1.0 - self.momentum), out=moving)

        def backward(dy):
            grad_gamma, grad_beta = self._param_grads()
            dx = ops.batch_norm_backward(ops.reshape(dy, (-1, channels)), rows, gamma, mean, var,
                                         self.epsilon, grad_gamma, grad_beta)
            return ops.reshape(dx, dy.shape)

        return ops.reshape(y, x.shape), backward

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                **{f"{key}_initializer": initializers.name_of(value)
                   for key, value in self.initializers.items()}}


class LayerNormalization(Layer):
    r"""Normalize each position over its features, then scale and shift (Ba et al., 2016).

    For every position (a sample, or a sample's time step or pixel), with the mean
    :math:`\mu` and (biased) variance :math:`\sigma^2` of its ``C`` features:

    .. math:: \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta

    with ``gamma`` and ``beta`` of shape ``(C,)``. No statistic depends on the
    batch, so training and inference compute the same, and nothing is averaged.
    Shapes: input and output ``(N, ..., C)``; ``2 C`` parameters, as in Keras.

    It is built from the batch-normalization ops: a position's statistics are a
    column's statistics once the ``(positions, C)`` rows are transposed, and the
    backward is :meth:`~deepzoo.backend.reference.Ops.batch_norm_backward` there.

    Parameters
    ----------
    axis : int
        The normalized axis: only the last (``-1``, Keras's default) is implemented.
    epsilon : float > 0
    center, scale : bool
        Learn ``beta`` and ``gamma`` (without them, 0 and 1).
    beta_initializer, gamma_initializer : str or callable
    """

    default_name = "layer_normalization"
    example_args = {"epsilon": 0.001}
    example_input_shape = (3, 4)

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        where = f"layer '{self.name}'"
        if axis not in (-1, [-1], (-1,)):
            raise MissingFeatureError(f"{where}: axis={axis!r}; deepzoo normalizes the last axis only "
                                      f"(axis=-1)")
        self.epsilon = number_in(where, "epsilon", epsilon, 0, float("inf"), low_open=True, high_open=True)
        self.center, self.scale = bool(center), bool(scale)
        self.initializers = {"beta": initializers.get(beta_initializer or "zeros"),
                             "gamma": initializers.get(gamma_initializer or "ones")}

    def create_params(self, input_shape):
        channels = input_shape[-1]
        if self.scale:
            self.add_param("gamma", (channels,), self.initializers["gamma"], channels, channels)
        if self.center:
            self.add_param("beta", (channels,), self.initializers["beta"], channels, channels)

    def _transpose(self, rows, shape):
        """``(a, b)`` rows -> ``(b, a)``, with the ops every backend has."""
        ops = self.ops
        return ops.reshape(ops.to_time_major(ops.reshape(rows, (*shape, 1))), (shape[1], shape[0]))

    def forward(self, x, training=False):
        self.check_input(x)
        ops, channels = self.ops, self.input_shape[-1]
        positions = x.size // channels
        rows = ops.reshape(x, (positions, channels))
        columns = self._transpose(rows, (positions, channels))  # (C, positions)
        mean, var = ops.column_moments(columns)
        ones, zeros = ops.asarray(np.ones(positions, self.dtype)), ops.alloc((positions,), self.dtype)
        x_hat = self._transpose(ops.batch_norm(columns, ones, zeros, mean, var, self.epsilon),
                                (channels, positions))
        gamma = self.params["gamma"] if self.scale else ops.asarray(np.ones(channels, self.dtype))
        beta = self.params["beta"] if self.center else ops.alloc((channels,), self.dtype)
        y = ops.scale_shift_columns(x_hat, gamma, beta)

        def backward(dy):
            dy_rows = ops.reshape(dy, (positions, channels))
            if self.scale:
                ops.sum_rows(ops.multiply(dy_rows, x_hat), self.grads["gamma"], accumulate=True)
            if self.center:
                ops.sum_rows(dy_rows, self.grads["beta"], accumulate=True)
            dx_hat = ops.scale_shift_columns(dy_rows, gamma, ops.alloc((channels,), self.dtype))
            scratch = ops.alloc((positions,), self.dtype), ops.alloc((positions,), self.dtype)
            dx = ops.batch_norm_backward(self._transpose(dx_hat, (positions, channels)), columns, ones, mean,
                                         var, self.epsilon, *scratch)
            return ops.reshape(self._transpose(dx, (channels, positions)), dy.shape)

        return ops.reshape(y, x.shape), backward

    def get_config(self):
        names = {f"{key}_initializer": initializers.name_of(value) for key, value in self.initializers.items()}
        return {**super().get_config(), "axis": -1, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, **names}
