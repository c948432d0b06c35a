"""Loss functions.

A loss compares a batch of predictions ``y`` with targets ``t`` and returns
``(value, dL/dy)``: the mean (or, for the lectures' E, the sum) loss of the batch
as a float, and its gradient.

Softmax + categorical cross-entropy (and sigmoid + binary cross-entropy) are
*fused*: when the model's last activation is the one named in ``fuses_with``, the
loss hands back the gradient with respect to the activation's input, which
simplifies to ``(y - t) / N``; the lectures' ``dE/dy = a - t``. This is both
cheaper and numerically kinder than multiplying two Jacobians.

=================================  ==================================================
name                               value
=================================  ==================================================
mean_squared_error (mse)           mean over all elements of (y - t)^2
mean_absolute_error (mae)          mean over all elements of abs(y - t)
huber                              mean of d^2/2 where abs(d) <= delta, else delta (abs(d) - delta/2)
sum_squared_error (sse)            1/2 sum over all elements of (t - y)^2 (lectures)
binary_crossentropy                mean of -(t log y + (1 - t) log(1 - y))
categorical_crossentropy           mean over positions of -sum_k t_k log y_k
sparse_categorical_crossentropy    the same, with integer class labels as targets
kl_divergence                      mean over positions of sum_k t_k log(t_k / y_k)
hinge                              mean of max(0, 1 - t y), targets -1 or 1
=================================  ==================================================
"""

from __future__ import annotations

import numpy as np

from . import registry
from .errors import DataError, ShapeError

#: probabilities are clipped to [EPSILON, 1 - EPSILON] before a logarithm
EPSILON = 1e-7


class Loss:
    """Base class. Subclasses implement :meth:`forward` and declare what the model needs.

    The declarations let a model use a loss without knowing its name:
    ``fuses_with`` (the Ops name of the output activation whose backward this loss
    can absorb), ``targets`` (``"values"`` shaped like the output, or integer
    ``"labels"``) and ``accuracy`` (the registered metric that ``"accuracy"`` means
    with this loss).
    """

    name = "loss"
    #: the activation (its Ops name, e.g. "softmax") whose backward this loss absorbs
    fuses_with: str | None = None
    #: "values" (the output's shape) or "labels" (integer classes, one axis less)
    targets = "values"
    #: the metric ``metrics=["accuracy"]`` stands for
    accuracy = "binary_accuracy"
    #: how the samples' losses make the value: their "mean" or their "sum"
    reduction = "mean"

    def fuses(self, activation) -> bool:
        """Whether this loss can absorb the backward of ``activation`` (an object or None)."""
        return activation is not None and self.fuses_with is not None and \
            getattr(activation, "op", None) == self.fuses_with

    #: whether :meth:`forward` takes ``into=``; a loss that says no (a plugin's, say)
    #: still trains, its value is then read back to the host every batch
    sums_into = False

    def forward(self, ops, y, t, fused=False, into=None):
        """Return ``(value, gradient)``; with ``fused`` the gradient is w.r.t. the logits.

        With ``into`` (an array from ``ops.loss_sum``), the value times ``len(y)`` is
        added into it instead, and ``into`` is returned in the value's place: this is
        how ``fit`` sums an epoch's loss without reading each batch's value back from a
        GPU. Only losses with ``sums_into = True`` are given ``into``.
        """
        raise NotImplementedError

    def weighted(self, ops, y, t, weights, fused=False):
        """``(value, gradient)`` with sample ``i`` counted ``weights[i]`` times (a host array).

        As in Keras, the value is ``sum_i w_i l_i / N`` (for a "sum" loss ``sum_i w_i l_i``),
        where ``l_i`` is the loss of sample ``i`` alone, so weights of 1 give the plain
        loss; each sample's gradient is scaled by its weight. The ``l_i`` are computed
        on the host with the reference backend, one sample at a time: this path is
        for weighted training (``fit(class_weight=...)``), not for speed.
        """
        from .backend import get_ops

        value, grad = self.forward(ops, y, t, fused=fused)
        reference, y_host, t_host = get_ops("numpy"), ops.to_host(y), ops.to_host(t)
        losses = np.array([self.forward(reference, y_host[i:i + 1], t_host[i:i + 1])[0]
                           for i in range(len(y_host))])
        total = float(np.dot(weights, losses))
        value = total / len(losses) if self.reduction == "mean" else total
        scale = np.broadcast_to(np.asarray(weights, dtype=grad.dtype).reshape((-1,) + (1,) * (grad.ndim - 1)),
                                grad.shape)
        ops.multiply(grad, ops.asarray(np.ascontiguousarray(scale)), out=grad)
        return value, grad

    def check_targets(self, y_shape, t) -> None:
        """Raise a clear error if host targets ``t`` cannot be compared with outputs of ``y_shape``."""
        if tuple(t.shape[1:]) != tuple(y_shape):
            raise ShapeError(
                f"loss '{self.name}': targets must have shape (batch, "
                f"{', '.join(map(str, y_shape))}) to match the model's output, received "
                f"{tuple(t.shape)}"
            )

    def prepare_targets(self, t, dtype):
        return np.asarray(t, dtype=dtype)

    def __call__(self, y, t, ops=None):
        """Loss value for host arrays (a convenience for learners)."""
        from .backend import get_ops

        ops = get_ops(ops)
        y = np.asarray(y, dtype=np.result_type(np.asarray(y).dtype, np.float32))
        self.check_targets(y.shape[1:], np.asarray(t))
        value, _ = self.forward(ops, ops.asarray(y), ops.asarray(self.prepare_targets(t, y.dtype)))
        return value

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    name = "mean_squared_error"

    sums_into = True

    def forward(self, ops, y, t, fused=False, into=None):
        return ops.mean_squared_error(y, t, into=into)


class KLDivergence(Loss):
    """Kullback-Leibler divergence of the outputs from the target distribution, per position
    ``sum_k t_k log(t_k / y_k)`` (``0 log 0 = 0``; ``y`` clipped to ``[eps, 1]``), mean over
    positions.

    It is the categorical cross-entropy minus the targets' own entropy, which does not
    depend on the model: the same gradient, ``-t / y / positions``, and a value that
    is 0 when the outputs equal the targets. Targets are distributions (soft labels).
    """

    name = "kl_divergence"
    accuracy = "categorical_accuracy"

    def forward(self, ops, y, t, fused=False):
        value, grad = ops.categorical_crossentropy(y, t, EPSILON)
        targets = np.asarray(ops.to_host(t), dtype=np.float64)
        positions = targets.size // targets.shape[-1]
        safe = np.where(targets > 0, targets, 1.0)
        return value + float(np.sum(targets * np.log(safe))) / positions, grad


class Hinge(Loss):
    """The margin loss of support vector machines: ``mean(max(0, 1 - t y))`` over every output.

    Targets are -1 or 1; targets given as 0 and 1 are turned into -1 and 1, as Keras
    does. The gradient is ``-t / size`` where the margin ``1 - t y`` is not negative,
    else 0. Built from elementwise ops, so it runs on every backend.
    """

    name = "hinge"

    def prepare_targets(self, t, dtype):
        t = np.asarray(t, dtype=dtype)
        return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t

    def forward(self, ops, y, t, fused=False):
        margin = ops.add(ops.scale(ops.multiply(t, y), -1.0), ops.asarray(np.ones(tuple(y.shape), y.dtype)))
        value = float(np.sum(ops.to_host(ops.relu(margin)), dtype=np.float64)) / y.size
        return value, ops.multiply(ops.heaviside(margin), ops.scale(t, -1.0 / y.size))


class MeanAbsoluteError(Loss):
    """Mean of ``|y - t|`` over every output: less swayed by outliers than the squared error."""

    name = "mean_absolute_error"

    sums_into = True

    def forward(self, ops, y, t, fused=False, into=None):
        return ops.mean_absolute_error(y, t, into=into)


class Huber(Loss):
    """Huber's loss: squared for errors up to ``delta``, linear beyond (Keras's and PyTorch's
    ``huber``, mean over every output)."""

    name = "huber"

    def __init__(self, delta=1.0):
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not delta > 0:
            from .errors import ConfigError

            raise ConfigError(f"loss 'huber': delta must be a number > 0, received {delta!r}")
        self.delta = float(delta)

    sums_into = True

    def forward(self, ops, y, t, fused=False, into=None):
        return ops.huber(y, t, self.delta, into=into)

    def get_config(self):
        return {"delta": self.delta}


class SumSquaredError(Loss):
    """The lectures' error ``E = 1/2 * sum (t - y)^2`` over the batch; ``dE/dy = y - t``.

    Because it sums instead of averaging, its gradients grow with the batch size:
    the learning rate that suits one sample at a time is too large for a big batch.
    """

    name = "sum_squared_error"
    reduction = "sum"

    sums_into = True

    def forward(self, ops, y, t, fused=False, into=None):
        return ops.sum_squared_error(y, t, into=into)


class _FromLogits(Loss):
    """What the cross-entropies share: ``from_logits`` and ``label_smoothing``, as in Keras.

    ``from_logits=True``: the model's outputs are the logits (no final sigmoid or
    softmax); the loss applies the activation itself, and its gradient is the
    fused one, ``(activation(z) - t) / n``. ``label_smoothing=s`` moves the targets
    towards the uniform distribution: ``t (1 - s) + s / K`` over ``K`` classes (for
    binary targets, ``K = 2``), which keeps the network from growing ever more
    confident.
    """

    sums_into = True

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits = bool(from_logits)
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)) \
                or not 0 <= label_smoothing < 1:
            from .errors import ConfigError

            raise ConfigError(f"loss '{self.name}': label_smoothing must be a number in [0, 1), "
                              f"received {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)

    def fuses(self, activation) -> bool:
        return not self.from_logits and super().fuses(activation)

    def smooth(self, t, classes):
        if not self.label_smoothing:
            return t
        return t * (1 - self.label_smoothing) + self.label_smoothing / classes

    def get_config(self):
        config = {}
        if self.from_logits:
            config["from_logits"] = True
        if self.label_smoothing:
            config["label_smoothing"] = self.label_smoothing
        return config

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class BinaryCrossentropy(_FromLogits):
    name = "binary_crossentropy"
    fuses_with = "sigmoid"

    def check_targets(self, y_shape, t):
        super().check_targets(y_shape, t)
        if t.size and (np.min(t) < 0 or np.max(t) > 1):
            raise DataError(
                f"loss '{self.name}': targets must lie in [0, 1], received values from "
                f"{np.min(t)} to {np.max(t)}"
            )

    def prepare_targets(self, t, dtype):
        return np.asarray(self.smooth(np.asarray(t, dtype=dtype), 2), dtype=dtype)

    def forward(self, ops, y, t, fused=False, into=None):
        if self.from_logits:
            return ops.binary_crossentropy(ops.sigmoid(y), t, EPSILON, from_sigmoid_logits=True, into=into)
        return ops.binary_crossentropy(y, t, EPSILON, from_sigmoid_logits=fused, into=into)


class CategoricalCrossentropy(_FromLogits):
    """Targets are one-hot rows (or probability rows) of the same shape as ``y``."""

    name = "categorical_crossentropy"
    fuses_with = "softmax"
    accuracy = "categorical_accuracy"

    def prepare_targets(self, t, dtype):
        t = np.asarray(t, dtype=dtype)
        return np.asarray(self.smooth(t, t.shape[-1]), dtype=dtype)

    def forward(self, ops, y, t, fused=False, into=None):
        if self.from_logits:
            return ops.categorical_crossentropy(ops.softmax(y), t, EPSILON, from_softmax_logits=True,
                                                into=into)
        return ops.categorical_crossentropy(y, t, EPSILON, from_softmax_logits=fused, into=into)


class SparseCategoricalCrossentropy(Loss):
    """Targets are integer class labels: shape ``(N,)``, or ``(N, T)`` for sequences."""

    name = "sparse_categorical_crossentropy"
    fuses_with = "softmax"
    targets = "labels"
    accuracy = "sparse_categorical_accuracy"
    sums_into = True

    def check_targets(self, y_shape, t):
        if tuple(t.shape[1:]) != tuple(y_shape[:-1]):
            expected = ", ".join(["batch"] + [str(d) for d in y_shape[:-1]])
            raise ShapeError(
                f"loss '{self.name}': targets must be integer labels of shape ({expected}), received "
                f"shape {tuple(t.shape)}; use categorical_crossentropy for one-hot targets"
            )
        if t.size and not np.all(np.equal(np.mod(t, 1), 0)):
            fraction = float(t.flat[int(np.argmax(np.mod(t, 1) != 0))])
            raise DataError(
                f"loss '{self.name}': labels must be whole numbers (class indices in "
                f"[0, {y_shape[-1] - 1}]), received {fraction:g}"
            )
        if t.size and (t.min() < 0 or t.max() >= y_shape[-1]):
            raise DataError(
                f"loss '{self.name}': labels must be class indices in [0, {y_shape[-1] - 1}], received "
                f"values from {t.min()} to {t.max()}"
            )

    def prepare_targets(self, t, dtype):
        return np.asarray(t, dtype=np.int64)

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    def fuses(self, activation) -> bool:
        return not self.from_logits and super().fuses(activation)

    def get_config(self):
        return {"from_logits": True} if self.from_logits else {}

    def forward(self, ops, y, labels, fused=False, into=None):
        if self.from_logits:
            return ops.sparse_categorical_crossentropy(ops.softmax(y), labels, EPSILON,
                                                       from_softmax_logits=True, into=into)
        return ops.sparse_categorical_crossentropy(y, labels, EPSILON, from_softmax_logits=fused, into=into)


def get(spec) -> Loss:
    """Resolve a loss given by registered name (or alias: ``"mse"``, ``"sse"``), class or instance."""
    return registry.losses.resolve(spec, Loss)
