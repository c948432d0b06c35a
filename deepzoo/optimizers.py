"""Optimizers: how parameters move once their gradients are known.

Each class checks its hyperparameters when it is created and keeps its state
(velocities, running averages) **per parameter**, keyed by the parameter's name
in the model (``"dense_1/kernel"``). The arithmetic of one update is a single Ops
call (``ops.adam_update`` ...), applied in place, so the same optimizer runs on
every backend. A model hands an optimizer whose ``update`` is elementwise all its
parameters as one array (:mod:`deepzoo.parameters`): then one call updates them
all, and the state per parameter is a view of one array too. An update consumes
the gradient: it leaves it at zero, ready for the layers to accumulate the next
batch into it.

The formulas are those of ``torch.optim`` (with ``g`` the gradient, ``lr`` the
learning rate and ``t`` the step count starting at 1):

SGD
    ``v = momentum * v + g``; ``p -= lr * v`` (Nesterov: ``p -= lr * (g + momentum * v)``)
Adagrad
    ``s += g^2``; ``p -= lr * g / (sqrt(s) + eps)``
RMSprop
    ``s = rho * s + (1 - rho) * g^2``; ``p -= lr * g / (sqrt(s) + eps)``
Adadelta
    ``s = rho * s + (1 - rho) g^2``; ``d = sqrt(u + eps) / sqrt(s + eps) * g``;
    ``u = rho * u + (1 - rho) d^2``; ``p -= lr * d``
Adam
    ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
    ``p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``
AdamW
    ``p -= lr * wd * p``, then the Adam step
Adamax
    ``m = b1 m + (1 - b1) g``; ``u = max(b2 u, |g|)``; ``p -= lr / (1 - b1^t) * m / (u + eps)``
Nadam
    Adam with Nesterov momentum and the momentum schedule
    ``mu_t = b1 (1 - 0.96^(0.004 t) / 2)`` (Dozat, 2016; torch's ``NAdam``, Keras's ``Nadam``):
    ``p -= lr * (mu_{t+1} m / (1 - prod mu_1..t+1) + (1 - mu_t) g / (1 - prod mu_1..t)) / (sqrt(v_hat) + eps)``

Keras writes momentum SGD as ``v = momentum * v - lr * g``; ``p += v``, which is the
same for a fixed learning rate, and its Adadelta is the same as torch's. Three
differ, and take ``formula="keras"`` to follow Keras 3 instead:

- RMSprop and Adagrad divide by ``sqrt(s + eps)``;
- Adam divides ``m / (1 - b1^t)`` by ``sqrt(v_hat) + eps / sqrt(1 - b2^t)``: Keras adds
  ``eps`` to the square root of the *uncorrected* ``v``.

The two formulas agree unless ``sqrt(s)`` is near ``eps``. ``deepzoo.keras.optimizers``
holds these classes with ``formula="keras"`` and Keras's defaults.
"""

from __future__ import annotations

import warnings

from . import registry, schedules
from .errors import ConfigError
from .validation import number_in

FORMULAS = ("torch", "keras")


class Optimizer:
    """Base class: ``step`` walks the parameters; subclasses define ``update``."""

    name = "optimizer"
    #: The registered class a model file names for this optimizer, when it is not the
    #: optimizer's own class (``deepzoo.keras.optimizers.RMSprop`` is saved as ``RMSprop``).
    saved_as: type | None = None
    #: True when ``update`` treats every number on its own (no norm over a parameter, as
    #: LARS takes): then a model updates all its parameters in one call over one array
    #: (see :mod:`deepzoo.parameters`). False by default, so that an optimizer of a plugin
    #: is given one parameter at a time unless it says otherwise.
    elementwise = False
    #: (flat parameters, their flat state, the per-parameter views of that state, the names
    #: of its numbers); None makes it again from ``state`` (loading a model file does)
    _flat = None

    def __init__(self, learning_rate: float, lr=None):
        if lr is not None:  # Keras 2's name, which Keras 3 removed
            warnings.warn(f"optimizer '{self.name}': lr= is deprecated (Keras 2's name); use learning_rate=",
                          DeprecationWarning, stacklevel=3)
            learning_rate = lr
        self.schedule = None
        if isinstance(learning_rate, dict):  # a schedule, as a model file holds it
            learning_rate = schedules.deserialize(learning_rate)
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self.schedule, learning_rate = learning_rate, learning_rate(0)
        self._learning_rate = self._number("learning_rate", learning_rate, 0, float("inf"),
                                           low_open=True, high_open=True)
        self.state: dict[str, dict] = {}
        self.iterations = 0

    @property
    def learning_rate(self) -> float:
        """The rate of the coming step (a schedule's value at :attr:`iterations`, the
        number of steps taken so far)."""
        if self.schedule is not None:
            return float(self.schedule(self.iterations))
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if self.schedule is not None:
            raise ConfigError(f"optimizer '{self.name}': its learning rate follows {self.schedule!r}; "
                              f"a callback or an assignment cannot set it as well")
        self._learning_rate = self._number("learning_rate", value, 0, float("inf"),
                                           low_open=True, high_open=True)

    def _number(self, name, value, low, high, low_open=False, high_open=False) -> float:
        """A hyperparameter checked against its interval (see :func:`deepzoo.validation.number_in`)."""
        return number_in(f"optimizer '{self.name}'", name, value, low, high, low_open, high_open)

    def init_state(self, ops, param) -> dict:
        """Fresh state arrays for one parameter."""
        return {}

    def update(self, ops, param, grad, state) -> None:
        raise NotImplementedError

    def step(self, ops, named_params, flat=None) -> None:
        """Apply one update to each ``(key, param, grad)`` in ``named_params``.

        With ``flat`` (a :class:`~deepzoo.parameters.FlatParameters` holding exactly
        those parameters) the update is one call over all of them; the state is then
        kept in flat arrays too, of which ``state[key]`` holds views.
        """
        state = None if flat is None else self._flat_state(ops, flat)
        if state is not None:
            self.update(ops, flat.param, flat.grad, state)
            _, _, entries, numbers = self._flat
            for name in numbers:  # a step count and the like: every parameter's is the same
                value = state[name]
                for entry in entries:
                    entry[name] = value
        else:
            for key, param, grad in named_params:
                state = self.state.get(key)
                if state is None:
                    state = self.state[key] = self.init_state(ops, param)
                self.update(ops, param, grad, state)
        self.iterations += 1  # after the updates: during them, learning_rate is this step's

    def prepare(self, ops, named_params, flat=None) -> None:
        """Make the state of every parameter now, as :meth:`step` would at the first step
        (``fit`` calls it first, so that a GPU has all of it before the first batch's
        arrays, and takes no new memory at the second step)."""
        if flat is None or self._flat_state(ops, flat) is None:
            for key, param, _ in named_params:
                if key not in self.state:
                    self.state[key] = self.init_state(ops, param)

    def _flat_state(self, ops, flat):
        """The state of the flat update over ``flat``, made from the per-parameter state
        (resumed from a file, or of earlier per-parameter steps) where there is one; None
        when the parameters' states disagree on a number (a layer unfrozen later has its
        own step count), which the per-parameter update handles."""
        cached = self._flat
        if cached is not None and cached[0] is flat:  # loading a model file sets _flat to None
            return cached[1]
        state = self.init_state(ops, flat.param)
        old = [self.state.get(key) for key in flat.keys]
        for name, value in state.items():
            if not hasattr(value, "shape"):
                values = {repr(entry[name]) for entry in old if entry is not None}
                if len(values) > 1 or (values and None in old):
                    return None
                if values:
                    state[name] = next(entry[name] for entry in old if entry is not None)
        entries = []
        for key, part, previous in zip(flat.keys, flat.parts, old):
            entry = {}
            for name, value in state.items():
                if hasattr(value, "shape"):
                    entry[name] = flat.view(value, part)
                    if previous is not None:
                        ops.assign(entry[name], previous[name])
                else:
                    entry[name] = value
            self.state[key] = entry
            entries.append(entry)
        numbers = [name for name, value in state.items() if isinstance(value, (int, float))]
        self._flat = (flat, state, entries, numbers)
        return state

    def zeros_like(self, ops, param):
        return ops.alloc(param.shape, param.dtype)

    def _formula(self, formula) -> str:
        """``formula`` checked: ``"torch"`` (deepzoo's default) or ``"keras"`` (see the module)."""
        if formula not in FORMULAS:
            raise ConfigError(f"optimizer '{self.name}': formula must be one of {', '.join(FORMULAS)}; "
                              f"received {formula!r}")
        return formula

    def _formula_config(self) -> dict:
        """``formula`` in the config only where it is not the default, so old model files still match."""
        return {"formula": self.formula} if self.formula != "torch" else {}

    def get_config(self) -> dict:
        if self.schedule is not None:
            return {"learning_rate": schedules.serialize(self.schedule)}
        return {"learning_rate": self.learning_rate}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum."""

    name = "sgd"
    elementwise = True

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, lr=None):
        super().__init__(learning_rate, lr)
        self.momentum = self._number("momentum", momentum, 0, 1, high_open=True)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ConfigError("optimizer 'sgd': nesterov=True needs a momentum > 0")

    def init_state(self, ops, param):
        return {"velocity": self.zeros_like(ops, param)} if self.momentum else {"velocity": None}

    def update(self, ops, param, grad, state):
        ops.sgd_update(param, grad, state["velocity"], self.learning_rate, self.momentum,
                       self.nesterov)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """Per-parameter learning rates that shrink with the sum of past squared gradients."""

    name = "adagrad"
    elementwise = True

    def __init__(self, learning_rate=0.01, epsilon=1e-7, initial_accumulator_value=0.0, lr=None,
                 formula="torch"):
        super().__init__(learning_rate, lr)
        self.epsilon = self._number("epsilon", epsilon, 0, 1, low_open=True)
        self.initial_accumulator_value = self._number(
            "initial_accumulator_value", initial_accumulator_value, 0, float("inf"),
            high_open=True)
        self.formula = self._formula(formula)

    def init_state(self, ops, param):
        acc = self.zeros_like(ops, param)
        ops.fill(acc, self.initial_accumulator_value)
        return {"accumulator": acc}

    def update(self, ops, param, grad, state):
        ops.adagrad_update(param, grad, state["accumulator"], self.learning_rate, self.epsilon,
                           self.formula == "keras")

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon,
                "initial_accumulator_value": self.initial_accumulator_value, **self._formula_config()}


class RMSprop(Optimizer):
    """Divide each step by a running root mean square of recent gradients."""

    name = "rmsprop"
    elementwise = True

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, lr=None, formula="torch"):
        super().__init__(learning_rate, lr)
        self.rho = self._number("rho", rho, 0, 1, high_open=True)
        self.epsilon = self._number("epsilon", epsilon, 0, 1, low_open=True)
        self.formula = self._formula(formula)

    def init_state(self, ops, param):
        return {"mean_square": self.zeros_like(ops, param)}

    def update(self, ops, param, grad, state):
        ops.rmsprop_update(param, grad, state["mean_square"], self.learning_rate, self.rho,
                           self.epsilon, self.formula == "keras")

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon, **self._formula_config()}


class Adadelta(Optimizer):
    """RMSprop whose step size is itself a running RMS of past updates.

    The original method has no learning rate; ``learning_rate=1.0`` (torch's default,
    and the value of the Keras MNIST ConvNet example) reproduces it.
    """

    name = "adadelta"
    elementwise = True

    def __init__(self, learning_rate=1.0, rho=0.95, epsilon=1e-6, lr=None):
        super().__init__(learning_rate, lr)
        self.rho = self._number("rho", rho, 0, 1, high_open=True)
        self.epsilon = self._number("epsilon", epsilon, 0, 1, low_open=True)

    def init_state(self, ops, param):
        return {"mean_square": self.zeros_like(ops, param),
                "mean_delta": self.zeros_like(ops, param)}

    def update(self, ops, param, grad, state):
        ops.adadelta_update(param, grad, state["mean_square"], state["mean_delta"],
                            self.learning_rate, self.rho, self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Momentum and RMSprop together, with bias correction of both averages."""

    name = "adam"
    elementwise = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None,
                 formula="torch"):
        super().__init__(learning_rate, lr)
        self.beta_1 = self._number("beta_1", beta_1, 0, 1, high_open=True)
        self.beta_2 = self._number("beta_2", beta_2, 0, 1, high_open=True)
        self.epsilon = self._number("epsilon", epsilon, 0, 1, low_open=True)
        self.formula = self._formula(formula)

    def init_state(self, ops, param):
        return {"m": self.zeros_like(ops, param), "v": self.zeros_like(ops, param), "step": 0}

    def update(self, ops, param, grad, state):
        state["step"] += 1
        eps = self.epsilon
        if self.formula == "keras":  # Keras adds eps to sqrt(v), before the bias correction
            eps = eps / (1.0 - self.beta_2 ** state["step"]) ** 0.5
        ops.adam_update(param, grad, state["m"], state["v"], self.learning_rate, self.beta_1,
                        self.beta_2, eps, state["step"])

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, **self._formula_config()}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): before each Adam step the
    parameter shrinks by ``learning_rate * weight_decay`` of itself, ``p -= lr * wd * p``,
    instead of a penalty added to the loss. The formula is ``torch.optim.AdamW``'s;
    ``weight_decay`` defaults to Keras's 0.004."""

    name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 lr=None, formula="torch"):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, lr, formula)
        self.weight_decay = self._number("weight_decay", weight_decay, 0, 1)

    def update(self, ops, param, grad, state):
        if self.weight_decay:
            ops.scale(param, 1.0 - self.learning_rate * self.weight_decay, out=param)
        super().update(ops, param, grad, state)

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


class Adamax(Adam):
    """Adam with the largest recent gradient in place of the root mean square:
    ``u = max(beta_2 u, |g|)`` needs no bias correction and no square root
    (Kingma and Ba, 2015, section 7.1). Keras's defaults: ``learning_rate=0.001``."""

    name = "adamax"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, lr)

    def init_state(self, ops, param):
        return {"m": self.zeros_like(ops, param), "u": self.zeros_like(ops, param), "step": 0}

    def update(self, ops, param, grad, state):
        state["step"] += 1
        ops.adamax_update(param, grad, state["m"], state["u"], self.learning_rate, self.beta_1, self.beta_2,
                          self.epsilon, state["step"])


class Nadam(Adam):
    """Adam whose momentum looks one step ahead (Nesterov), with a momentum that warms up
    as ``mu_t = beta_1 (1 - 0.96^(0.004 t) / 2)``: the formula of torch's ``NAdam`` and
    Keras's ``Nadam`` (see the module's table). Keras's defaults: ``learning_rate=0.001``."""

    name = "nadam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, lr=None):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, lr)

    def init_state(self, ops, param):
        return {"m": self.zeros_like(ops, param), "v": self.zeros_like(ops, param), "step": 0,
                "mu_product": 1.0}

    def update(self, ops, param, grad, state):
        state["step"] += 1
        t, beta_1 = state["step"], self.beta_1
        mu = beta_1 * (1 - 0.5 * 0.96 ** (0.004 * t))
        mu_next = beta_1 * (1 - 0.5 * 0.96 ** (0.004 * (t + 1)))
        product = state["mu_product"] * mu
        state["mu_product"] = product
        ops.nadam_update(param, grad, state["m"], state["v"], self.learning_rate, beta_1, self.beta_2,
                         self.epsilon, mu_next / (1 - product * mu_next), (1 - mu) / (1 - product),
                         1 / (1 - self.beta_2**t))


def get(spec) -> Optimizer:
    """Resolve an optimizer given by registered name, class or instance."""
    return registry.optimizers.resolve(spec, Optimizer)
