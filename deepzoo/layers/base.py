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

Parameters are declared, then allocated: ``create_params`` calls
:meth:`Layer.add_param` for each one, which records a :class:`ParamSpec` (shape,
initializer, fans); :meth:`Layer.build` allocates them. So :meth:`Layer.param_shapes`
can answer "which arrays would this layer need?" without touching any array.

Per-call options
----------------
The model may tell a layer these things about one call, as keyword arguments of
``forward``. A layer that does not list them in its signature never gets them
(and simply does the general thing):

``input_gradient=False``
    Nobody needs dL/dx (the model's first layer): ``backward`` may return None
    and skip that product.
``fused_activation=True``
    The loss has already turned dL/dy into dL/d(pre-activation) for the
    activation :meth:`Layer.fusable_activation` named (softmax + cross-entropy):
    ``backward`` must skip that activation's backward.
``repeated_by_next=True`` and ``repeated_input=n``
    A ``RepeatVector(n)`` followed by a recurrent layer (the lectures' adder): the
    RepeatVector passes its input on unchanged, and the recurrent layer reads that
    one vector per sample at each of its ``n`` steps, so that ``x W`` is one product
    of N rows instead of ``n N``, and so are its two gradients. Its ``backward``
    returns the gradient of the vector (the sum over the steps, as RepeatVector's
    own backward would), which the RepeatVector passes on unchanged. Used in
    training and in inference.
``pool_after=layer`` and ``pooled_by_previous=True``
    A ``Conv2D`` followed by a ``MaxPool2D`` (when ``Conv2D.can_pool`` agrees):
    the convolution runs the pooling too, as one op (``Ops.conv2d_max_pool``), so
    that a few images at a time are convolved and pooled while they are still in
    the cache, and returns the pooled images; its ``backward`` takes their
    gradient. The MaxPool2D passes its input and its gradient on unchanged. Used
    in training and in inference.
``dense_chain=(layers...)``
    Dense layers one after the other (when ``Dense.can_chain`` agrees: each
    activation one the op applies by name): the first runs itself and the
    ``layers`` after it as one op (``Ops.dense_chain``) and returns the last one's
    output; its ``backward`` takes that output's gradient and adds into every
    layer's gradients. The model does not call the others. On the CPU a chain of
    small layers (XOR's, the online network's on one sample) is then one compiled
    call each way instead of one per layer. ``fused_activation`` then goes to the
    first layer and means the last one's activation. Used in training and in
    inference.

All arithmetic goes through ``self.ops`` (see :mod:`deepzoo.backend.reference`),
so the same layer code runs on every backend. A layer imports no backend: the
model (or whoever builds the layer) hands it an Ops, except that a standalone
layer takes the default one when it first needs it (:attr:`Layer.ops`).
"""

from __future__ import annotations

import copy
import math
import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import activations, initializers, regularizers
from ..errors import ConfigError, MissingFeatureError, NotBuiltError, ShapeError
from ..geometry import describe_shape
from ..seeding import make_rng
from ..validation import positive_int

_DTYPES = (np.dtype("float32"), np.dtype("float64"))

__all__ = ["Layer", "MAX_SAMPLE_ELEMENTS", "ParamSpec", "check_positive_int", "check_sample_size",
           "describe_shape", "weights_config"]


def check_positive_int(layer: str, arg: str, value) -> int:
    """``value`` as an int, or a ConfigError naming the layer and the argument."""
    return positive_int(f"layer '{layer}'", arg, value)


#: the most numbers one sample's output may hold in any layer (64 MB in float32): far above
#: the lectures' models (the ConvNet's largest is 21,632), far below what exhausts memory
MAX_SAMPLE_ELEMENTS = 1 << 24


def check_sample_size(layer, output_shape) -> None:
    """Refuse an output shape whose per-sample size would exhaust memory (a ShapeError)."""
    size = math.prod(output_shape)
    if size > MAX_SAMPLE_ELEMENTS:
        raise ShapeError(
            f"layer '{layer.name}' ({type(layer).__name__}) would give each sample an output of "
            f"shape {tuple(output_shape)}, {size:,} numbers; the limit is {MAX_SAMPLE_ELEMENTS:,} "
            f"(deepzoo.layers.base.MAX_SAMPLE_ELEMENTS). Check the layer's arguments"
        )


def weights_config(layer) -> dict:
    """The config shared by layers with a kernel and a bias: activation (if the layer has
    one), ``use_bias`` and the initializers' names."""
    config = {}
    if hasattr(layer, "activation"):
        config["activation"] = activations.serialize(layer.activation)
    config.update(use_bias=layer.use_bias,
                  kernel_initializer=initializers.name_of(layer.kernel_initializer),
                  bias_initializer=initializers.name_of(layer.bias_initializer))
    for key in ("kernel", "bias"):
        if key in layer.regularizers:
            config[f"{key}_regularizer"] = regularizers.serialize(layer.regularizers[key])
    return config


def take_regularizers(layer, kernel_regularizer, bias_regularizer) -> None:
    """Set ``layer.regularizers`` (param name -> :class:`~deepzoo.regularizers.Regularizer`)."""
    layer.regularizers = {key: regularizers.get(spec) for key, spec in
                          (("kernel", kernel_regularizer), ("bias", bias_regularizer)) if spec is not None}


@dataclass(frozen=True)
class ParamSpec:
    """What :meth:`Layer.add_param` records: a parameter's shape and how to fill it.

    ``initializer(shape, fan_in, fan_out, rng)`` gives its first values (see
    :mod:`deepzoo.initializers`); ``fan_in``/``fan_out`` are the links into and
    out of one unit, which scaled initialisers use. A parameter that is not
    ``trainable`` (BatchNormalization's moving averages) is saved and loaded with
    the others, but the optimizer leaves it alone: the layer updates it itself.
    """

    shape: tuple
    initializer: Callable
    fan_in: int
    fan_out: int
    trainable: bool = True


class Layer:
    """Base class of all layers. Subclasses implement the hooks marked below.

    Parameters
    ----------
    name : str, optional
        Unique name inside a model; defaults to the layer's registered name.
    input_shape : tuple of int, optional
        Per-sample input shape, if known before data arrives.
    input_dim : int, optional
        Keras's short form of ``input_shape=(input_dim,)``.
    trainable : bool
        False freezes the layer (also settable later: ``layer.trainable = False``).
    dtype : {"float32", "float64"}
        Dtype of the parameters and of the computation.
    """

    #: name used when none is given (subclasses set it)
    default_name = "layer"
    #: how many times some layer's parameter or gradient arrays were replaced by new
    #: ones (building, moving to another device) rather than written into: a model's
    #: flat parameters (see :mod:`deepzoo.parameters`) look again only when it moved
    arrays_replaced = 0
    #: penalties on parameters, by name (``{"kernel": L2(0.01)}``), added to the loss in training;
    #: read-only here, so that no layer can add to every other layer's
    regularizers = types.MappingProxyType({})
    #: a config (``from_config``) and a per-sample input shape for a small example
    #: of the layer; the shared contract test (:mod:`deepzoo.testing`) builds it
    example_args: dict = {}
    example_input_shape: tuple | None = None

    def __init__(self, *, name: str | None = None, input_shape=None, input_dim=None, dtype="float32",
                 trainable=True, **unsupported):
        if name is not None and (not isinstance(name, str) or not name):
            raise ConfigError(f"a layer name must be a non-empty string, received {name!r}")
        self.name = name or self.default_name
        self.auto_named = name is None
        if unsupported:  # a Keras argument deepzoo does not implement, or a typo
            raise MissingFeatureError(
                f"layer '{self.name}' ({type(self).__name__}) does not take the argument(s) "
                f"{', '.join(sorted(unsupported))}: deepzoo does not implement them (yet), or the "
                f"name is misspelt")
        if input_dim is not None:  # Keras's short form of input_shape=(input_dim,)
            if input_shape is not None:
                raise ConfigError(f"layer '{self.name}': give input_shape or input_dim, not both")
            input_shape = (positive_int(f"layer '{self.name}'", "input_dim", input_dim),)
        self.input_shape_arg = tuple(input_shape) if input_shape is not None else None
        #: False freezes the layer: the optimizer leaves its parameters as they are
        self.trainable = bool(trainable)
        self.dtype = np.dtype(dtype)
        if self.dtype not in _DTYPES:
            raise ConfigError(f"layer '{self.name}': dtype must be float32 or float64, received {dtype!r}")
        self.built = False
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None
        self.params: dict = {}
        self._grads: dict | None = {}
        #: what :meth:`add_param` recorded: name -> :class:`ParamSpec`
        self.param_specs: dict[str, ParamSpec] = {}
        self.rng = None
        self._ops = None

    # ------------------------------------------------------------ backend
    @property
    def ops(self):
        """The :class:`~deepzoo.backend.reference.Ops` this layer computes with.

        A model gives its Ops to every layer it holds; a test or a learner may set
        one (``layer.ops = deepzoo.get_ops("numpy")``). A standalone layer that no
        one gave an Ops takes the default backend the first time it needs one: the
        one place where a layer reaches for a backend itself.
        """
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
            self._grads = None  # allocated on the new Ops when first needed
            Layer.arrays_replaced += 1
        self._ops = ops

    @property
    def grads(self) -> dict:
        """The gradient of each parameter, same names and shapes as :attr:`params`.

        They are allocated (zeroed) the first time something asks for them, so that a
        model loaded to predict holds no gradients.
        """
        if self._grads is None:
            self._grads = {k: self.ops.alloc(tuple(v.shape), self.dtype) for k, v in self.params.items()}
        return self._grads

    @grads.setter
    def grads(self, value: dict) -> None:
        self._grads = value
        Layer.arrays_replaced += 1

    # ------------------------------------------------------- subclass hooks
    def check_input_shape(self, input_shape: tuple) -> None:
        """Raise :class:`ShapeError` if the layer cannot take inputs of this shape."""

    def create_params(self, input_shape: tuple) -> None:
        """Create parameters with :meth:`add_param` (layers without any skip this)."""

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def forward(self, x, training: bool = False):
        """Return ``(y, backward)``; see the module docstring.

        A layer may also accept two keyword arguments, which the model then passes
        (see "Per-call options" in the module docstring): ``input_gradient`` and
        ``fused_activation``.
        """
        raise NotImplementedError

    @classmethod
    def accepts(cls, option: str) -> bool:
        """Whether :meth:`forward` takes the per-call keyword ``option``."""
        code = cls.forward.__code__
        return option in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]

    def fusable_activation(self):
        """The activation object this layer applies last, if a loss may absorb its backward.

        A layer that returns one here must accept ``fused_activation`` in
        :meth:`forward`; the default (None) never fuses.
        """
        return None

    def get_config(self) -> dict:
        """Constructor arguments that rebuild this layer (without its weights)."""
        config = {"name": self.name, "dtype": self.dtype.name}
        if self.input_shape_arg is not None:
            config["input_shape"] = list(self.input_shape_arg)
        if not self.trainable:
            config["trainable"] = False
        return config

    def _constant(self, key, make):
        """A fixed array used in every batch (``make()`` gives it on the host), put on this
        layer's Ops once and kept until the Ops or the dtype changes. Scratch arrays whose
        contents nobody reads back may be kept this way too."""
        cache = self.__dict__.setdefault("_constants", {})
        full_key = (key, id(self.ops), self.dtype)
        if full_key not in cache:
            cache[full_key] = self.ops.asarray(np.asarray(make(), dtype=self.dtype))
        return cache[full_key]

    def example_input(self, rng, shape):
        """Inputs of ``shape`` for the shared tests (:mod:`deepzoo.testing`): normal values away from
        0, where ReLU-like functions bend. A layer that takes other inputs (integers) says so here."""
        x = rng.standard_normal(shape)
        return np.where(np.abs(x) < 0.05, np.sign(x) * 0.05 + x, x)

    # ----------------------------------------------------------- machinery
    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def build(self, input_shape, rng=None, weights=None) -> None:
        """Check ``input_shape`` (per sample, no batch axis) and create the parameters.

        Each parameter is allocated once: from ``weights[name]`` (a host array) when
        given, which runs no initializer (loading a model file), else from its
        initializer drawing on ``rng``.
        """
        input_shape = self._checked_shape(input_shape)
        self.check_input_shape(input_shape)
        self.param_specs = {}
        self.create_params(input_shape)
        self.rng = make_rng(rng)
        params = {}
        for key, spec in self.param_specs.items():
            if weights is not None and key in weights:
                values = weights[key]
                if tuple(np.shape(values)) != spec.shape:
                    raise ShapeError(f"layer '{self.name}': weight '{key}' must have shape {spec.shape}, "
                                     f"received {tuple(np.shape(values))}")
            else:
                values = spec.initializer(spec.shape, spec.fan_in, spec.fan_out, self.rng)
            params[key] = self.ops.asarray(np.asarray(values, dtype=self.dtype))
        self.attach(input_shape, self.param_specs, params)

    def attach(self, input_shape, specs: dict, params: dict, grads: dict | None = None) -> None:
        """Make this layer built for ``input_shape`` with the given parameter arrays.

        :meth:`build` calls it; a wrapper calls it to share its arrays with the layer
        it wraps. Gradients start at zero when first needed, unless ``grads`` (shared
        arrays) are given.
        """
        self.input_shape = tuple(input_shape)
        self.param_specs = dict(specs)
        self.params = params
        self._grads = grads  # None: allocated when first needed (see grads)
        Layer.arrays_replaced += 1
        output_shape = tuple(self.compute_output_shape(self.input_shape))
        check_sample_size(self, output_shape)
        self.output_shape = output_shape
        self.built = True

    def replace_arrays(self, key, param, grad) -> None:
        """Use ``param`` and ``grad`` (same shape, values copied in by the caller) as the
        arrays of parameter ``key`` from now on: the model's flat parameters
        (:mod:`deepzoo.parameters`) hand out views of one array this way. A wrapper that
        shares its arrays with the layers it wraps passes them on."""
        self.params[key] = param
        self.grads[key] = grad
        Layer.arrays_replaced += 1

    def _checked_shape(self, input_shape) -> tuple:
        try:
            shape = tuple(int(d) for d in input_shape)
        except (TypeError, ValueError):
            shape = None
        if shape is None or any(d < 1 for d in shape):
            raise ShapeError(
                f"layer '{self.name}': input_shape must be a tuple of positive integers, "
                f"received {input_shape!r}"
            )
        return shape

    def plan(self, input_shape) -> dict:
        """The :class:`ParamSpec` of every parameter :meth:`build` would create for
        ``input_shape``, allocating nothing and leaving this layer as it is."""
        input_shape = self._checked_shape(input_shape)
        planner = copy.copy(self)  # its hooks may set attributes (padding, ...): not ours
        planner.param_specs = {}
        planner.check_input_shape(input_shape)
        planner.create_params(input_shape)
        return planner.param_specs

    def output_shape_for(self, input_shape) -> tuple:
        """The output shape for ``input_shape``, checking it, leaving this layer as it is."""
        input_shape = self._checked_shape(input_shape)
        planner = copy.copy(self)
        planner.check_input_shape(input_shape)
        return tuple(planner.compute_output_shape(input_shape))

    def param_shapes(self, input_shape) -> dict:
        """The shapes :meth:`build` would give the parameters, allocating nothing.

        Loading a model file uses it to compare a layer's configuration with the
        arrays stored for it before building anything.
        """
        return {key: spec.shape for key, spec in self.plan(input_shape).items()}

    def add_param(self, name, shape, initializer, fan_in, fan_out, trainable=True) -> None:
        """Declare parameter ``name``: its shape, its initializer and the fans it uses.

        Called from :meth:`create_params`; it only records a :class:`ParamSpec`.
        :meth:`build` allocates the arrays and their zeroed gradients.
        """
        self.param_specs[name] = ParamSpec(tuple(int(d) for d in shape), initializers.get(initializer),
                                           int(fan_in), int(fan_out), bool(trainable))

    def trainable_keys(self) -> list:
        """The parameters the optimizer moves: none in a frozen layer, else those declared trainable."""
        if not self.trainable:
            return []
        return [key for key in self.params if self.param_specs[key].trainable]

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
