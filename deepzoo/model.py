"""``Sequential``: a stack of layers trained with one loss and one optimizer.

One batch travels a one-way road through ``fit``::

    host batch -> ops.asarray -> layer.forward ... -> loss (value, dL/dy)
    -> the layers' backward functions in reverse (accumulating grads)
    -> optimizer.step (in place) -> callbacks and progress (host numbers)

The model never looks at which device it runs on: the Ops it holds decides.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import losses, optimizers, saving, validation
from . import metrics as metric_lib
from .backend import get_ops
from .callbacks import Callback, History, TerminateOnNaN
from .errors import ConfigError, DataError, NotBuiltError, ShapeError
from .interrupt import StopOnInterrupt
from .layers.base import Layer, describe_shape
from .layers.core import InputLayer
from .parameters import FlatParameters
from .progress import ProgressBar
from .seeding import make_rng


class Sequential:
    """A linear stack of layers.

    >>> import numpy as np
    >>> import deepzoo as dz
    >>> model = dz.Sequential([dz.Dense(4, activation="tanh"), dz.Dense(1, activation="sigmoid")],
    ...                       input_shape=(2,), seed=0)
    >>> model.count_params()
    17

    Parameters
    ----------
    layers : list of Layer, optional
    input_shape : tuple of int, optional
        Per-sample input shape; otherwise taken from the first layer's
        ``input_shape`` or from the first data the model sees.
    device : str, optional
        ``"cpu"`` (numba, the default), ``"numpy"`` (reference) or ``"cuda"``.
    seed : int, optional
        Seeds the model's own generator (initial weights, shuffling, dropout).
    dtype : {"float32", "float64"}
    """

    def __init__(self, layers=None, *, input_shape=None, name="sequential", device=None,
                 seed=None, dtype="float32"):
        self.name = name
        self.ops = get_ops(device)
        self.rng = make_rng(seed)
        self.dtype = np.dtype(dtype)
        self.layers: list[Layer] = []
        self.input_shape = tuple(input_shape) if input_shape is not None else None
        self.built = False
        self.optimizer = self.loss = None
        self.metric_specs: list = []
        self._named_params = None
        self._flat = None  # the trainable parameters in one array (see deepzoo.parameters)
        self._penalties, self._penalties_for = [], None
        self._frozen: list = []
        self.fused_output = False
        self._train_options: list = []
        self._infer_options: list = []
        self._train_calls: list = []  # (layer, options) of each layer the model calls
        self._infer_calls: list = []
        self.stop_training = False
        self.stop_reason = None
        self.interrupted = None
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------ assembly
    def add(self, layer: Layer) -> None:
        """Append a layer. Refuses non-layers, a layer added twice and duplicate names.

        An :class:`~deepzoo.layers.core.InputLayer` (Keras's ``Input(shape=...)``) in first
        place sets the model's input shape and adds no layer.
        """
        if isinstance(layer, InputLayer):
            if self.layers or self.built:
                raise ConfigError(f"model '{self.name}': an InputLayer (Input(shape=...)) can only come "
                                  f"first, before any layer")
            self.input_shape = layer.shape
            return
        if isinstance(layer, type) and issubclass(layer, Layer):
            raise ConfigError(
                f"Sequential.add expects a layer instance, received the class {layer.__name__}; "
                f"call it first, e.g. {layer.__name__}(...)"
            )
        if not isinstance(layer, Layer):
            raise ConfigError(f"Sequential.add expects a Layer, received {type(layer).__name__} {layer!r}")
        if any(layer is other for other in self.layers):
            raise ConfigError(f"layer '{layer.name}' is already in model '{self.name}'")
        if self.built:
            raise ConfigError(f"model '{self.name}' is already built; add layers before it sees data")
        names = {other.name for other in self.layers}
        if layer.name in names:
            if not layer.auto_named:
                raise ConfigError(
                    f"model '{self.name}' already has a layer named '{layer.name}'; layer names must be unique"
                )
            base, i = layer.name, 1
            while f"{base}_{i}" in names:
                i += 1
            layer.name = f"{base}_{i}"
        layer.dtype = self.dtype
        layer.ops = self.ops
        self.layers.append(layer)

    def build(self, input_shape=None, weights=None) -> None:
        """Build every layer in turn from the per-sample ``input_shape``.

        ``weights`` (``{layer name: {param name: host array}}``, as :meth:`get_weights`
        gives) fills the parameters it names instead of their initializers.
        """
        if not self.layers:
            raise ConfigError(f"model '{self.name}' has no layers; add some with model.add(...)")
        shape = input_shape or self.input_shape or self.layers[0].input_shape_arg
        if shape is None:
            raise NotBuiltError(
                f"model '{self.name}' does not know its input shape yet: pass input_shape=..., "
                f"call build(input_shape) or fit it on data"
            )
        shape = tuple(shape)
        for layer in self.layers:
            layer.build(shape, rng=self.rng, weights=(weights or {}).get(layer.name))
            shape = layer.output_shape
        self.input_shape = self.layers[0].input_shape
        self.built = True
        self._set_call_options()
        self._named_params = None

    @property
    def named_params(self) -> list:
        """``(name, parameter, gradient)`` of every parameter the optimizer moves ("dense/kernel",
        ...): those of the trainable layers, once built.

        Asking for it allocates the gradients, which a model only predicting never needs.
        A change of a layer's ``trainable`` takes effect at the next ``compile`` or ``fit``.
        """
        if self._named_params is None or (self._flat is not None and not self._flat.intact()):
            self._flat = FlatParameters.of(self.ops, self.layers, reuse=self._flat)
            if self._flat is not None:  # the optimizer updates them all in one call
                self._named_params = self._flat.named_params()
            else:
                self._named_params = [(f"{layer.name}/{key}", layer.params[key], layer.grads[key])
                                      for layer in self.layers for key in layer.trainable_keys()]
            self._frozen = [layer for layer in self.layers if not layer.trainable and layer.params]
        return self._named_params

    @property
    def metrics_names(self) -> list:
        """``["loss", ...]``: the names of the figures :meth:`evaluate` returns, in its order."""
        return ["loss"] + [metric.name for metric in getattr(self, "metrics", [])]

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.built else None

    def compile(self, optimizer="sgd", loss="mean_squared_error", metrics=None) -> None:
        """Choose the optimizer, the loss and the metrics.

        Parameters
        ----------
        optimizer : str or Optimizer
            A registered name (``"sgd"``, ``"adam"``...) with its defaults, or an
            optimizer object with your settings (``dz.Adam(0.01)``).
        loss : str or Loss
            A registered name or alias (``"mse"``, ``"categorical_crossentropy"``...) or a
            loss object (``dz.losses.CategoricalCrossentropy(from_logits=True)``).
        metrics : list, optional
            Names (``"accuracy"`` picks the accuracy that suits the loss, ``"mse"``...)
            or metric objects, reported in ``fit``'s logs and by ``evaluate``.

        Examples
        --------
        >>> import deepzoo as dz
        >>> model = dz.Sequential([dz.Dense(3, activation="softmax")], input_shape=(4,))
        >>> model.compile(optimizer=dz.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
        >>> model.metrics_names
        ['loss', 'accuracy']
        """
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ConfigError(f"compile: metrics must be a list, received {type(metrics).__name__}")
        self.metric_specs = list(metrics or [])
        self.metrics = [metric_lib.get(m, self.loss) for m in self.metric_specs]
        if not self.layers:
            raise ConfigError(f"model '{self.name}' has no layers to compile")
        last = self.layers[-1]
        self.fused_output = last.accepts("fused_activation") and \
            self.loss.fuses(last.fusable_activation())
        self._named_params = None
        self._set_call_options()

    def _set_call_options(self):
        """The per-call options each layer's forward gets (see deepzoo.layers.base): in
        training, no input gradient for the first layer and the fused activation for the
        last; in training and inference, a RepeatVector's copies left to a recurrent layer
        right after it, which reads the one vector at every step, and a max pooling right
        after a convolution run by the convolution, as one op; and Dense layers one after
        the other run by the first of them, as one op."""
        self._infer_options = [{} for _ in self.layers]
        for i, (layer, after) in enumerate(zip(self.layers, self.layers[1:])):
            if layer.accepts("repeated_by_next") and after.accepts("repeated_input"):
                self._infer_options[i]["repeated_by_next"] = True
                self._infer_options[i + 1]["repeated_input"] = layer.n
            elif layer.accepts("pool_after") and after.accepts("pooled_by_previous") and layer.can_pool(after):
                self._infer_options[i]["pool_after"] = after
                self._infer_options[i + 1]["pooled_by_previous"] = True
        heads = self._chain_dense_layers()
        self._train_options = [dict(options) for options in self._infer_options]
        if self.layers and self.layers[0].accepts("input_gradient"):
            self._train_options[0]["input_gradient"] = False
        if self.fused_output:  # given to the layer that runs the last one's backward
            self._train_options[heads[-1]]["fused_activation"] = True
        # the layers the model calls, with their options: not those another layer runs
        self._train_calls, self._infer_calls = (
            [(layer, options[i]) for i, layer in enumerate(self.layers) if heads[i] == i]
            for options in (self._train_options, self._infer_options))

    def _chain_dense_layers(self) -> list:
        """Give each run of layers that ``can_chain`` (Dense after Dense) to its first layer
        as ``dense_chain``, and mark the others ``chained_by_previous`` (the model does not
        call them); returns, for each layer, the index of the layer that runs it."""
        layers, options = self.layers, self._infer_options
        heads = list(range(len(layers)))
        for i in range(1, len(layers)):
            head, before, layer = heads[i - 1], layers[i - 1], layers[i]
            if not options[i] and not options[i - 1].keys() - {"dense_chain", "chained_by_previous"} and \
                    before.accepts("dense_chain") and before.can_chain(layer):
                options[head]["dense_chain"] = options[head].get("dense_chain", ()) + (layer,)
                options[i]["chained_by_previous"] = True
                heads[i] = head
        return heads

    # ------------------------------------------------------------- checks
    def _prepare_x(self, x, name="x"):
        x = validation.numeric_array(name, x)
        if not self.built:
            declared = self.input_shape or (self.layers[0].input_shape_arg if self.layers else None)
            if declared is None and x.ndim < 2:
                raise ShapeError(
                    f"{name} must have a batch axis first; received shape {x.shape}. For a single "
                    f"sample use {name}.reshape(1, -1)"
                )
            self.build(declared or x.shape[1:])
        if tuple(x.shape[1:]) != self.input_shape:
            first = self.layers[0]
            hint = ""
            if tuple(x.shape) == self.input_shape:
                hint = f". For a single sample add a batch axis: {name}[None]"
            raise ShapeError(
                f"{name} does not fit model '{self.name}': its first layer '{first.name}' "
                f"({type(first).__name__}) expects input of shape {describe_shape(self.input_shape)}, "
                f"received {name} of shape {x.shape}{hint}"
            )
        return validation.cast_finite(name, x, self.dtype)

    def _prepare_y(self, y, x, name="y"):
        y = validation.numeric_array(name, y)
        validation.same_length("x", x, name, y)
        if y.ndim == 1 and self.output_shape == (1,) and self.loss.targets == "values":
            y = y.reshape(-1, 1)
        self.loss.check_targets(self.output_shape, y)
        return self.loss.prepare_targets(y, self.dtype)

    def _require_compiled(self, what):
        if self.loss is None:
            raise ConfigError(f"model '{self.name}' must be compiled before {what}: call model.compile(...)")

    # ------------------------------------------------------------- training
    def train_on_batch(self, x, y, sample_weight=None) -> float:
        """One optimizer step on one batch of device arrays; returns the batch loss.

        ``sample_weight`` (a host array, one weight per sample) weights each sample's
        loss (see :meth:`deepzoo.losses.Loss.weighted`). The gradients start at zero:
        the optimizer's update leaves them so. A model not built yet is built first,
        for its declared input shape or else the batch's.
        """
        self._require_compiled("train_on_batch")
        if not self.built:
            self.build(self.input_shape or tuple(x.shape[1:]))
        return self._train_step(x, y, sample_weight)

    def _train_step(self, x, y, sample_weight=None, into=None) -> float:
        """:meth:`train_on_batch`, where a loss that can (``sums_into``) adds its value times
        the batch size to ``into`` (see :meth:`deepzoo.losses.Loss.forward`) instead of
        returning it. Returns what was not added there: the whole batch loss, or only the
        regularizers' penalty."""
        ops = self.ops
        out, backwards = x, []
        for layer, options in self._train_calls:
            out, backward = layer.forward(out, training=True, **options)
            backwards.append(backward)
        summed = into is not None and sample_weight is None and self.loss.sums_into
        if summed:
            value, grad = self.loss.forward(ops, out, y, fused=self.fused_output, into=into)
        elif sample_weight is None:
            value, grad = self.loss.forward(ops, out, y, fused=self.fused_output)
        else:
            value, grad = self.loss.weighted(ops, out, y, sample_weight, fused=self.fused_output)
        for metric in self.metrics:
            metric.update(ops, out, y)
        for backward in reversed(backwards):
            grad = backward(grad)
        penalty = self._add_penalties()
        self.optimizer.step(ops, *self._optimizer_arguments())
        for layer in self._frozen:  # their gradients are not used: keep them from piling up
            layer.zero_grads()
        return penalty if summed else value + penalty

    def fit(self, x, y, batch_size=32, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0, progress_file=None,
            terminate_on_nan=True, class_weight=None, sample_weight=None) -> History:
        """Train for ``epochs`` passes over ``(x, y)``; returns the :class:`History`.

        Parameters
        ----------
        x : array, shape ``(N,) + input_shape``
            Inputs, batch first (NumPy or anything ``numpy.asarray`` takes).
        y : array
            Targets: the output's shape for most losses, integer labels ``(N,)`` for
            ``sparse_categorical_crossentropy``.
        batch_size : int
            Samples per optimizer step.
        epochs : int
            The epoch to stop after (counting from 1; with ``initial_epoch`` a resumed
            run trains ``epochs - initial_epoch`` more).
        verbose : 0, 1 or 2
            Nothing, a moving bar and a line per epoch, or the lines only.
        callbacks : list of Callback, optional
        validation_split : float
            The share of the last samples held out to validate after each epoch.
        validation_data : (x_val, y_val), optional
            Validation data given explicitly (then ``validation_split`` is ignored).
        shuffle : bool
            Draw the batches in a new random order each epoch (the model's seed).
        initial_epoch : int
            Where a resumed run starts.
        progress_file : file, optional
            Where the progress display goes (default: standard error for
            ``verbose=1``, standard output for 2).
        terminate_on_nan : bool
            Stop, with a warning, when a batch loss is NaN or infinite.
        class_weight : dict, optional
            ``{class: weight}``: each training sample's loss counts with the weight of
            its class (classes not named count 1), e.g. ``{0: 1.0, 1: 1.86}`` to give
            the rarer class of an unbalanced set as much say as the common one.
        sample_weight : array of shape ``(N,)``, optional
            A weight per training sample (multiplied with ``class_weight`` if both are
            given). Validation losses are not weighted.

        Notes
        -----
        Ctrl-C stops after the current batch: the weights of the last completed step
        and the history of the completed epochs are kept, and ``model.interrupted``
        is set to ``(epoch, steps done in it)`` (it is None after a complete run).
        ``initial_epoch`` resumes a run, e.g. after :func:`deepzoo.load_model`.

        A NaN or infinite batch loss stops training, with a RuntimeWarning naming the
        epoch and batch (a :class:`~deepzoo.callbacks.TerminateOnNaN` of the caller's
        own reports it instead); ``terminate_on_nan=False`` trains on regardless.

        Examples
        --------
        >>> import numpy as np
        >>> import deepzoo as dz
        >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
        >>> y = np.array([[0], [1], [1], [0]], dtype="float32")
        >>> model = dz.Sequential([dz.Dense(4, activation="tanh"), dz.Dense(1, activation="sigmoid")],
        ...                       input_shape=(2,), seed=0)
        >>> model.compile(optimizer=dz.SGD(0.5, momentum=0.9), loss="binary_crossentropy")
        >>> history = model.fit(x, y, batch_size=4, epochs=300, verbose=0)
        >>> history.history["loss"][-1] < 0.05
        True
        >>> (model.predict(x) > 0.5).ravel().tolist()
        [False, True, True, False]
        """
        self._require_compiled("fit")
        batch_size = validation.positive_int("fit", "batch_size", batch_size)
        epochs = validation.positive_int("fit", "epochs", epochs)
        split = validation.fraction("fit", "validation_split", validation_split)
        if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int) or initial_epoch < 0:
            raise ConfigError(f"fit: initial_epoch must be an integer >= 0, received {initial_epoch!r}")
        x = self._prepare_x(x)
        y = self._prepare_y(y, x)
        weights = self._sample_weights(y, class_weight, sample_weight)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ConfigError("fit: validation_data must be a tuple (x_val, y_val)")
            x_val = self._prepare_x(validation_data[0], "x_val")
            y_val = self._prepare_y(validation_data[1], x_val, "y_val")
        elif split:
            n_val = len(x) - int(len(x) * (1 - split))  # as Keras: the last samples, this many
            if n_val < 1 or n_val >= len(x):
                raise ConfigError(
                    f"fit: validation_split={split} leaves {n_val} of {len(x)} samples for validation; "
                    f"both parts must be non-empty"
                )
            x, x_val, y, y_val = x[:-n_val], x[-n_val:], y[:-n_val], y[-n_val:]
            weights = None if weights is None else weights[:-n_val]
        else:
            x_val = y_val = None

        history = History()
        all_callbacks = [history, ProgressBar(verbose, file=progress_file)] if verbose else [history]
        for cb in list(callbacks or []):
            if not isinstance(cb, Callback):
                raise ConfigError(f"fit: callbacks must be Callback instances, received {type(cb).__name__}")
            all_callbacks.append(cb)
        nan_stopper = None
        if terminate_on_nan and not any(isinstance(cb, TerminateOnNaN) for cb in all_callbacks):
            nan_stopper = TerminateOnNaN()
            all_callbacks.append(nan_stopper)
        n = len(x)
        steps = -(-n // batch_size)
        self.fit_params = {"epochs": epochs, "steps": steps, "batch_size": batch_size, "samples": n}
        self.stop_training, self.stop_reason = False, None
        for cb in all_callbacks:
            cb.set_model(self)
            cb.on_train_begin()
        # the callbacks that may read a batch's figures: those that decide per batch
        # (they override wants_batch_logs), and those whose constant answer is yes
        askers = [cb for cb in all_callbacks if type(cb).wants_batch_logs is not
                  Callback.wants_batch_logs or cb.wants_batch_logs(0)]
        # and those with something to do after a batch (the others' on_batch_end does nothing)
        batch_enders = [cb for cb in all_callbacks if "on_batch_end" in vars(cb) or
                        type(cb).on_batch_end is not Callback.on_batch_end]

        self._named_params = None  # which layers are trainable may have changed since the last fit
        for layer in self.layers:  # in case an earlier run stopped halfway through a step
            layer.zero_grads()
        self.optimizer.prepare(self.ops, *self._optimizer_arguments())
        self.interrupted = None
        with StopOnInterrupt() as interrupt:
            for epoch in range(initial_epoch, epochs):
                for cb in all_callbacks:
                    cb.on_epoch_begin(epoch)
                logs, steps_done = self._train_epoch(x, y, batch_size, shuffle, batch_enders, askers,
                                                     interrupt, weights)
                if interrupt.requested:
                    self.interrupted = (epoch, steps_done)
                    break
                if x_val is not None:
                    logs.update({f"val_{k}": v for k, v in self._evaluate(x_val, y_val, batch_size).items()})
                for cb in all_callbacks:
                    cb.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        for cb in all_callbacks:
            cb.on_train_end()
        if nan_stopper is not None and nan_stopper.message:
            warnings.warn(nan_stopper.message, RuntimeWarning, stacklevel=2)
        return history

    def _optimizer_arguments(self):
        """What the optimizer steps: the parameters, and their flat array where it can
        update them all in one call (see :mod:`deepzoo.parameters`)."""
        named = self.named_params
        return (named, self._flat) if self._flat is not None and self.optimizer.elementwise else (named,)

    def _penalized(self):
        """``(layer, param name, regularizer)`` of every penalty on a trainable parameter."""
        return [(layer, key, regularizer) for layer in self.layers
                for key, regularizer in layer.regularizers.items() if key in layer.trainable_keys()]

    def _add_penalties(self, gradients=True) -> float:
        """The regularizers' penalties (added to the loss, as Keras does); with ``gradients``
        their gradients are added to the parameters' too."""
        if gradients:  # a training step: the list holds as long as named_params does
            current = self.named_params
            if self._penalties_for is not current:
                self._penalties, self._penalties_for = self._penalized(), current
            penalized = self._penalties
        else:
            penalized = self._penalized()
        total = 0.0
        for layer, key, regularizer in penalized:
            host = self.ops.to_host(layer.params[key])
            total += regularizer.penalty(host)
            if gradients:
                grad = layer.grads[key]
                self.ops.add(grad, self.ops.asarray(regularizer.gradient(host)), out=grad)
        return total

    def _sample_weights(self, y, class_weight, sample_weight):
        """The training samples' weights from ``fit``'s arguments (host float64), or None."""
        if class_weight is None and sample_weight is None:
            return None
        weights = np.ones(len(y))
        if sample_weight is not None:
            given = validation.numeric_array("sample_weight", sample_weight).astype(np.float64)
            if given.shape != (len(y),) or not np.all(np.isfinite(given)) or np.any(given < 0):
                raise DataError(f"fit: sample_weight must hold one finite weight >= 0 per sample, shape "
                                f"({len(y)},); received shape {given.shape}" +
                                ("" if given.shape != (len(y),) else " with negative or non-finite values"))
            weights *= given
        if class_weight is not None:
            if not isinstance(class_weight, dict) or not all(
                    isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 0 and
                    isinstance(v, (int, float, np.number)) and np.isfinite(v) and v >= 0
                    for k, v in class_weight.items()):
                raise ConfigError(f"fit: class_weight must map class numbers (int >= 0) to weights >= 0, "
                                  f"received {class_weight!r}")
            if self.loss.targets == "labels":
                classes = np.asarray(y).astype(np.int64)
            elif y.ndim == 2 and y.shape[1] == 1:
                classes = np.rint(y[:, 0]).astype(np.int64)  # binary targets 0 and 1
            elif y.ndim == 2:
                classes = y.argmax(axis=1)  # one-hot targets
            else:
                raise ConfigError(f"fit: class_weight needs one class per sample; targets of shape "
                                  f"{y.shape} hold several (use sample_weight)")
            table = np.ones(max([*class_weight, int(classes.max(initial=0))]) + 1)
            for k, v in class_weight.items():
                table[k] = v
            weights *= table[classes]
        return weights

    def _train_epoch(self, x, y, batch_size, shuffle, callbacks, askers, interrupt, weights=None):
        """One pass over ``(x, y)``; returns the epoch's logs and the number of steps taken.
        ``callbacks``: those to tell of each batch's end; ``askers``: those that may want a
        batch's figures (see ``fit``)."""
        ops, n = self.ops, len(x)
        # each batch is gathered when it is used, not the whole shuffled set up front:
        # that would write and read again a copy of all the training data every epoch
        order = self.rng.permutation(n) if shuffle else None
        for metric in self.metrics:
            metric.reset()
        # the epoch's loss, summed over samples: on the CPU each batch's loss is a float
        # already; on a GPU reading one back is a copy and a wait, so there the batch
        # losses add up on the device, read only when a callback asks or the epoch ends
        host_sum, steps = 0.0, -(-n // batch_size)
        device_sum = None if ops.device == "cpu" else \
            ops.loss_sum((batch_size,) + self.output_shape, self.dtype)
        # a short last batch after full ones runs once an epoch: see Ops.one_off
        short_last = steps - 1 if steps > 1 and n % batch_size else None
        for step in range(steps):
            start = step * batch_size
            if order is None:
                rows = slice(start, start + batch_size)
            elif batch_size == 1:  # one sample: a view of it, where a list of rows would copy
                rows = slice(order[start], order[start] + 1)
            else:
                rows = order[start:start + batch_size]
            xb = ops.asarray(x[rows])
            yb = ops.asarray(y[rows])
            wb = None if weights is None else weights[rows]
            if step == short_last:
                with ops.one_off():
                    host_sum += self._train_step(xb, yb, wb, device_sum) * len(xb)
            else:  # (no context manager on every step: the small models' steps are a few us)
                host_sum += self._train_step(xb, yb, wb, device_sum) * len(xb)
            seen = min(start + batch_size, n)
            logs = {}  # unless some callback reads this batch's figures
            for cb in askers:
                if cb.wants_batch_logs(step):
                    logs = self._epoch_logs(host_sum, device_sum, seen)
                    break
            for cb in callbacks:
                cb.on_batch_end(step, logs)
            if self.stop_training or interrupt.requested:
                return self._epoch_logs(host_sum, device_sum, seen), step + 1
        return self._epoch_logs(host_sum, device_sum, n), steps

    def _epoch_logs(self, host_sum, device_sum, seen) -> dict:
        """The loss and metrics of the epoch so far, over the ``seen`` samples."""
        total = host_sum if device_sum is None else host_sum + self.ops.read_sum(device_sum)
        logs = {"loss": total / seen}
        for metric in self.metrics:
            logs[metric.name] = metric.result()
        return logs

    # ------------------------------------------------------------ inference
    def _batches_forward(self, x, batch_size):
        ops = self.ops
        for start in range(0, len(x), batch_size):
            out = ops.asarray(x[start:start + batch_size])
            for layer, options in self._infer_calls:
                out, _ = layer.forward(out, training=False, **options)
            yield start, out

    def predict(self, x, batch_size=32, verbose=0, steps=None):
        """Outputs for ``x`` as a host array of shape ``(N,) + output_shape``.

        Parameters
        ----------
        x : array, shape ``(N,) + input_shape``
        batch_size : int
            Samples per forward pass (memory, not results, depends on it).
        verbose : int
            Accepted for Keras's sake; prints nothing.
        steps : int, optional
            Predict the first ``steps * batch_size`` samples only.

        Examples
        --------
        >>> import numpy as np
        >>> import deepzoo as dz
        >>> model = dz.Sequential([dz.Dense(3, activation="softmax")], input_shape=(4,), seed=0)
        >>> model.predict(np.zeros((2, 4))).shape
        (2, 3)
        """
        batch_size = validation.positive_int("predict", "batch_size", 32 if batch_size is None else batch_size)
        x = self._prepare_x(x)
        if steps is not None:
            x = x[:validation.positive_int("predict", "steps", steps) * batch_size]
        result = np.empty((len(x),) + self.output_shape, dtype=self.dtype)
        for start, out in self._batches_forward(x, batch_size):
            result[start:start + len(out)] = self.ops.to_host(out)
        return result

    def evaluate(self, x, y, batch_size=32, verbose=0, return_dict=False, steps=None):
        """Loss and metrics on ``(x, y)``, as Keras returns them.

        Parameters
        ----------
        x, y : arrays
            As for :meth:`fit`.
        batch_size : int
            Samples per forward pass.
        verbose : int
            Accepted for Keras's sake; prints nothing.
        return_dict : bool
            Return ``{"loss": ..., "accuracy": ...}`` instead of Keras's form.
        steps : int, optional
            Evaluate the first ``steps * batch_size`` samples only.

        Returns
        -------
        The loss alone (a float) when the model was compiled without metrics, else
        the list ``[loss, metric_1, ...]`` in the order ``compile`` got them
        (:attr:`metrics_names` names them).

        Examples
        --------
        >>> import numpy as np
        >>> import deepzoo as dz
        >>> model = dz.Sequential([dz.Dense(2, activation="softmax")], input_shape=(3,), seed=0)
        >>> model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> loss, accuracy = model.evaluate(np.zeros((4, 3)), np.array([0, 1, 0, 1]))
        >>> round(loss, 4), accuracy
        (0.6931, 0.5)
        """
        self._require_compiled("evaluate")
        batch_size = validation.positive_int("evaluate", "batch_size", 32 if batch_size is None else batch_size)
        x = self._prepare_x(x)
        y = self._prepare_y(y, x)
        if steps is not None:
            keep = validation.positive_int("evaluate", "steps", steps) * batch_size
            x, y = x[:keep], y[:keep]
        logs = self._evaluate(x, y, batch_size)
        if return_dict:
            return logs
        if len(logs) == 1:
            return Score(logs["loss"], logs)
        return ScoreList(logs.values(), logs)

    def _evaluate(self, x, y, batch_size):
        fresh = [metric_lib.get(spec, self.loss) for spec in self.metric_specs]
        total = 0.0
        for start, out in self._batches_forward(x, batch_size):
            yb = self.ops.asarray(y[start:start + len(out)])
            value, _ = self.loss.forward(self.ops, out, yb)
            total += value * len(out)
            for metric in fresh:
                metric.update(self.ops, out, yb)
        return {"loss": total / len(x) + self._add_penalties(gradients=False),
                **{m.name: m.result() for m in fresh}}

    # --------------------------------------------------------------- weights
    def get_weights(self) -> list:
        """Every parameter as a host array (copies), layer by layer: Keras's flat list.

        :meth:`get_weights_by_layer` gives the same arrays by name.
        """
        by_layer = self.get_weights_by_layer()
        return WeightList([array for layer in by_layer.values() for array in layer.values()], by_layer)

    def get_weights_by_layer(self) -> dict:
        """``{layer name: {param name: host array}}`` (copies)."""
        if not self.built:
            self.build()
        return {layer.name: layer.get_weights() for layer in self.layers}

    def set_weights(self, weights) -> None:
        """Replace every parameter: a list as :meth:`get_weights` gives (Keras's form), or a
        dict as :meth:`get_weights_by_layer` gives. An unbuilt model is built first."""
        if not self.built:
            self.build()  # or NotBuiltError, saying how to give the input shape
        if isinstance(weights, dict):
            for layer in self.layers:
                if layer.params:
                    if layer.name not in weights:
                        raise ShapeError(f"set_weights: no weights given for layer '{layer.name}'")
                    layer.set_weights(weights[layer.name])
            return
        weights = list(weights)
        expected = sum(len(layer.params) for layer in self.layers)
        if len(weights) != expected:
            raise ShapeError(f"set_weights: model '{self.name}' has {expected} weight arrays, "
                             f"received a list of {len(weights)}")
        arrays = iter(weights)
        for layer in self.layers:
            layer.set_weights({key: next(arrays) for key in layer.params})

    def save(self, path) -> None:
        """Save architecture, weights, optimizer and random state to one file (see :mod:`deepzoo.saving`)."""
        saving.save_model(self, path)

    def save_weights(self, path) -> None:
        """Save the weights only, with the architecture for checking them when loading."""
        saving.save_weights(self, path)

    def load_weights(self, path) -> None:
        """Load weights saved from a model with the same layer names and shapes."""
        saving.load_weights(self, path)

    def count_params(self) -> int:
        if not self.built:
            self.build()
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=print) -> None:
        """Print a Keras-style table of layers, output shapes and parameter counts."""
        if not self.built:
            self.build()
        width = max([28] + [len(f"{layer.name} ({type(layer).__name__})") + 2 for layer in self.layers])
        rule = "_" * (width + 37)
        lines = [f'Model: "{self.name}"', rule,
                 f" {'Layer (type)':<{width}}{'Output Shape':<26}{'Param #':>9}", "=" * len(rule)]
        for i, layer in enumerate(self.layers):
            label = f"{layer.name} ({type(layer).__name__})"
            shape = "(None, " + ", ".join(map(str, layer.output_shape)) + ")"
            lines.append(f" {label:<{width}}{shape:<26}{layer.count_params():>9,}")
            lines.append("=" * len(rule) if i == len(self.layers) - 1 else "")
        total = self.count_params()
        frozen = sum(int(np.prod(param.shape)) for layer in self.layers for key, param in layer.params.items()
                     if key not in layer.trainable_keys())
        lines += [f"Total params: {total:,}", f"Trainable params: {total - frozen:,}",
                  f"Non-trainable params: {frozen:,}", rule]
        for line in lines:
            print_fn(line)

    def __repr__(self):
        return f"<Sequential '{self.name}' layers={[layer.name for layer in self.layers]}>"


def load_model(path, *, device=None, max_bytes=4 << 30) -> Sequential:
    """Read a model written by :meth:`Sequential.save` (compiled, if it was).

    ``device`` is where the loaded model computes (as for :class:`Sequential`);
    a file saved from one device loads on any other. ``max_bytes`` caps what the
    file may make deepzoo allocate (see :mod:`deepzoo.saving`).
    """
    return saving.read_model(path, Sequential, device=device, max_bytes=max_bytes)


# ------------------------------------------------------------------ results
def _by_name_is_deprecated(what, name):
    warnings.warn(f"{what}[{name!r}] is deprecated: {what} returns Keras's form now; "
                  f"{'pass return_dict=True' if what == 'evaluate()' else 'use get_weights_by_layer()'} "
                  f"for the dict", DeprecationWarning, stacklevel=3)


class ScoreList(list):
    """What :meth:`Sequential.evaluate` returns with metrics: ``[loss, metric, ...]``.

    Looking a figure up by name (``score["accuracy"]``), as evaluate's results
    allowed before they took Keras's form, still works with a DeprecationWarning.
    """

    def __init__(self, values, logs):
        super().__init__(values)
        self._logs = dict(logs)

    def __getitem__(self, key):
        if isinstance(key, str):
            _by_name_is_deprecated("evaluate()", key)
            return self._logs[key]
        return super().__getitem__(key)


class Score(float):
    """What :meth:`Sequential.evaluate` returns without metrics: the loss, a float
    that still answers ``score["loss"]`` (deprecated)."""

    def __new__(cls, value, logs):
        score = super().__new__(cls, value)
        score._logs = dict(logs)
        return score

    def __getitem__(self, key):
        _by_name_is_deprecated("evaluate()", key)
        return self._logs[key]


class WeightList(list):
    """What :meth:`Sequential.get_weights` returns: Keras's flat list of arrays; the
    former lookup by layer name (``weights["dense"]``) still works, deprecated."""

    def __init__(self, arrays, by_layer):
        super().__init__(arrays)
        self._by_layer = by_layer

    def __getitem__(self, key):
        if isinstance(key, str):
            _by_name_is_deprecated("get_weights()", key)
            return self._by_layer[key]
        return super().__getitem__(key)
