"""The layer contract every deepzoo layer keeps.

A layer is built lazily: it learns its input shape the first time it sees data
(or when a model calls :meth:`Layer.build`), then creates its parameters.

``forward(x, training)`` returns the output **and** a ``backward`` function::

    y, backward = layer.forward(x, training=True)
    dx = backward(dy)   # also adds dL/dparam into layer.grads[...]

``backward`` closes over what the forward computed, so nothing is cached on the
layer between calls. It *accumulates* parameter gradients (``grads[k] += ...``);
the model zeroes them before each step. Shapes exclude the batch axis:
``input_shape == (784,)`` means inputs of shape ``(N, 784)``.

All arithmetic goes through ``self.ops`` (see :mod:`deepzoo.backend.ops`), so the
same layer code runs on every backend.
"""

from __future__ import annotations

import math

import numpy as np

from .. import initializers
from ..errors import ConfigError, NotBuiltError, ShapeError
from ..seeding import make_rng

_DTYPES = (np.dtype("float32"), np.dtype("float64"))


def check_positive_int(layer: str, arg: str, value) -> int:
    """``value`` as an int, or a ConfigError naming the layer and the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"layer '{layer}': {arg} must be a positive integer, received {value!r}")
    return int(value)


def describe_shape(shape) -> str:
    """``(None, 2)``-style text for a per-sample shape."""
    return "(batch, " + ", ".join(str(d) for d in shape) + ")"


class Layer:
    """Base class of all layers. Subclasses implement the hooks marked below.

    Parameters
    ----------
    name : str, optional
        Unique name inside a model; defaults to the layer's registered name.
    input_shape : tuple of int, optional
        Per-sample input shape, if known before data arrives.
    dtype : {"float32", "float64"}
        Dtype of the parameters and of the computation.
    """

    #: name used when none is given (subclasses set it)
    default_name = "layer"
    #: a config (``from_config``) and a per-sample input shape for a small example
    #: of the layer; the shared contract test (:mod:`deepzoo.testing`) builds it
    example_args: dict = {}
    example_input_shape: tuple | None = None

    def __init__(self, *, name: str | None = None, input_shape=None, dtype="float32"):
        if name is not None and (not isinstance(name, str) or not name):
            raise ConfigError(f"a layer name must be a non-empty string, received {name!r}")
        self.name = name or self.default_name
        self.auto_named = name is None
        self.input_shape_arg = tuple(input_shape) if input_shape is not None else None
        self.dtype = np.dtype(dtype)
        if self.dtype not in _DTYPES:
            raise ConfigError(f"layer '{self.name}': dtype must be float32 or float64, received {dtype!r}")
        self.built = False
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None
        self.params: dict = {}
        self.grads: dict = {}
        self.rng = None
        self._ops = None
        #: the model sets this to False on its first layer: no one needs dL/dx there
        self.needs_input_gradient = True
        #: set by the model when the loss already gives dL/d(pre-activation)
        self.output_activation_fused = False

    # ------------------------------------------------------------ backend
    @property
    def ops(self):
        if self._ops is None:
            from ..backend import get_ops

            self._ops = get_ops()
        return self._ops

    @ops.setter
    def ops(self, ops):
        """Move the layer (and its parameters) to another Ops."""
        if self._ops is not None and ops is not self._ops and self.built:
            old = self._ops
            self.params = {k: ops.asarray(old.to_host(v)) for k, v in self.params.items()}
            self.grads = {k: ops.alloc(v.shape, self.dtype) for k, v in self.params.items()}
        self._ops = ops

    # ------------------------------------------------------- subclass hooks
    def check_input_shape(self, input_shape: tuple) -> None:
        """Raise :class:`ShapeError` if the layer cannot take inputs of this shape."""

    def create_params(self, input_shape: tuple) -> None:
        """Create parameters with :meth:`add_param` (layers without any skip this)."""

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x, training: bool = False):
        """Return ``(y, backward)``; see the module docstring."""
        raise NotImplementedError

    def get_config(self) -> dict:
        """Constructor arguments that rebuild this layer (without its weights)."""
        config = {"name": self.name, "dtype": self.dtype.name}
        if self.input_shape_arg is not None:
            config["input_shape"] = list(self.input_shape_arg)
        return config

    # ----------------------------------------------------------- machinery
    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def build(self, input_shape, rng=None) -> None:
        """Check ``input_shape`` (per sample, no batch axis) and create the parameters."""
        try:
            input_shape = tuple(int(d) for d in input_shape)
        except (TypeError, ValueError):
            raise ShapeError(
                f"layer '{self.name}': input_shape must be a tuple of positive integers, "
                f"received {input_shape!r}"
            ) from None
        if any(d < 1 for d in input_shape):
            raise ShapeError(
                f"layer '{self.name}': input_shape must be a tuple of positive integers, "
                f"received {input_shape!r}"
            )
        self.check_input_shape(input_shape)
        self.rng = make_rng(rng)
        self.params, self.grads = {}, {}
        self.input_shape = input_shape
        self.create_params(input_shape)
        self.output_shape = tuple(self.compute_output_shape(input_shape))
        self.built = True

    def param_shapes(self, input_shape) -> dict:
        """The shapes :meth:`build` would give the parameters, allocating nothing.

        Loading a model file uses it to compare a layer's configuration with the
        arrays stored for it before building anything.
        """
        self.check_input_shape(tuple(input_shape))
        self._planned: dict = {}
        try:
            self.create_params(tuple(input_shape))
            return self._planned
        finally:
            del self._planned

    def add_param(self, name, shape, initializer, fan_in, fan_out):
        """Create parameter ``name`` drawn from ``initializer`` and its zeroed gradient."""
        if hasattr(self, "_planned"):  # param_shapes(): record the shape only
            self._planned[name] = tuple(int(d) for d in shape)
            return
        values = initializers.get(initializer)(tuple(shape), fan_in, fan_out, self.rng)
        self.params[name] = self.ops.asarray(np.asarray(values, dtype=self.dtype))
        self.grads[name] = self.ops.alloc(tuple(shape), self.dtype)

    def check_input(self, x) -> None:
        """Raise a clear :class:`ShapeError` if ``x`` does not fit this built layer."""
        if tuple(x.shape[1:]) != self.input_shape:
            raise ShapeError(self.shape_mismatch_message(tuple(x.shape)))

    def shape_mismatch_message(self, received: tuple) -> str:
        return (
            f"layer '{self.name}' ({type(self).__name__}) expected input of shape "
            f"{describe_shape(self.input_shape)} but received an array of shape {received}"
        )

    def __call__(self, x, training: bool = False):
        """Run the forward pass on a host array and return a host array."""
        x = np.asarray(x)
        if not self.built:
            if x.ndim < 2:
                raise ShapeError(
                    f"layer '{self.name}' ({type(self).__name__}) needs a batch of inputs "
                    f"(at least 2-D, batch first), received shape {x.shape}"
                )
            self.build(x.shape[1:])
        y, _ = self.forward(self.ops.asarray(x, dtype=self.dtype), training=training)
        return self.ops.to_host(y)

    def zero_grads(self) -> None:
        for g in self.grads.values():
            self.ops.fill(g, 0)

    def count_params(self) -> int:
        if not self.built:
            raise NotBuiltError(f"layer '{self.name}' is not built yet: its input shape is unknown")
        return sum(math.prod(p.shape) for p in self.params.values())

    def get_weights(self) -> dict:
        """Copies of the parameters as host arrays."""
        return {k: np.array(self.ops.to_host(v)) for k, v in self.params.items()}

    def set_weights(self, weights: dict) -> None:
        """Replace parameter values (host arrays with matching names and shapes)."""
        if set(weights) != set(self.params):
            raise ShapeError(
                f"layer '{self.name}': expected weights {sorted(self.params)}, received {sorted(weights)}"
            )
        for k, v in weights.items():
            if tuple(np.shape(v)) != tuple(self.params[k].shape):
                raise ShapeError(
                    f"layer '{self.name}': weight '{k}' must have shape {tuple(self.params[k].shape)}, "
                    f"received {tuple(np.shape(v))}"
                )
            self.ops.assign(self.params[k], self.ops.asarray(np.asarray(v, dtype=self.dtype)))

    def __repr__(self):
        return f"<{type(self).__name__} '{self.name}' output_shape={self.output_shape}>"
