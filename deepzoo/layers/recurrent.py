"""Recurrent layers: :class:`SimpleRNN`, :class:`LSTM` and :class:`GRU` over ``(batch, time, features)``."""

from __future__ import annotations

from .. import activations as act
from .. import initializers
from ..errors import ConfigError, MissingFeatureError, ShapeError
from ..geometry import describe_shape
from .base import Layer, check_positive_int


class _Recurrent(Layer):
    """Shared arguments, shapes and weights; subclasses define ``gates`` and the step."""

    gates = 1
    example_input_shape = (4, 3)

    #: the activations the fused step kernels compute (Keras's defaults)
    fixed_activations = {"activation": "tanh", "recurrent_activation": "sigmoid"}

    def __init__(self, units, return_sequences=False, return_state=False,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", activation="tanh", recurrent_activation="sigmoid",
                 dropout=0.0, recurrent_dropout=0.0, go_backwards=False, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("activation", activation), ("recurrent_activation", recurrent_activation)):
            if arg in self.fixed_activations and value != self.fixed_activations[arg]:
                raise MissingFeatureError(
                    f"layer '{self.name}': {arg}={value!r}; deepzoo's {type(self).__name__} computes "
                    f"{arg}={self.fixed_activations[arg]!r} (Keras's default) in one fused kernel per step "
                    f"and implements no other")
        if dropout or recurrent_dropout:
            raise MissingFeatureError(
                f"layer '{self.name}': dropout and recurrent_dropout inside the recurrence are not "
                f"implemented; put a Dropout layer before or after the {type(self).__name__} instead")
        self.go_backwards = bool(go_backwards)
        self.units = check_positive_int(self.name, "units", units)
        self.return_sequences = bool(return_sequences)
        if return_state:
            raise ConfigError(
                f"layer '{self.name}': return_state=True gives several outputs, which a Sequential "
                f"model cannot pass on; use return_sequences to get every step's output"
            )
        self.kernel_initializer = initializers.get(kernel_initializer or "glorot_uniform")
        self.recurrent_initializer = initializers.get(recurrent_initializer or "orthogonal")
        self.bias_initializer = initializers.get(bias_initializer or "zeros")

    def check_input_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ShapeError(
                f"layer '{self.name}' ({type(self).__name__}) expects sequences of shape "
                f"(batch, time, features), but its input has shape {describe_shape(input_shape)}. "
                + ("Use RepeatVector(n) to turn one vector per sample into a sequence of n steps."
                   if len(input_shape) == 1 else "")
            )

    def create_params(self, input_shape):
        features, width = input_shape[1], self.gates * self.units
        self.add_param("kernel", (features, width), self.kernel_initializer, features, width)
        self.add_param("recurrent_kernel", (self.units, width), self.recurrent_initializer,
                       self.units, width)
        self.add_param("bias", (width,), self.initial_bias(), features, width)

    def initial_bias(self):
        """The initializer of the bias (a subclass may add to the configured one)."""
        return self.bias_initializer

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units) if self.return_sequences else (self.units,)

    def _inputs_times_kernel(self, x, repeated_input, expand=True):
        """``x @ kernel + bias`` for every step at once, time-major (T, N, width), and the
        input as the backward needs it. With ``go_backwards`` the steps are read from the
        last to the first. With ``repeated_input`` (a per-call option, see
        :mod:`deepzoo.layers.base`) ``x`` is one vector per sample, read at every step:
        one product of N rows instead of T N, its rows copied to every step (or, without
        ``expand``, given once, as (1, N, width))."""
        ops = self.ops
        if repeated_input:
            self.check_repeated_input(x, repeated_input)
            n = x.shape[0]
            xw = ops.matmul(x, self.params["kernel"])
            ops.add_bias(xw, self._input_bias(self.params["bias"]))
            if not expand:
                return x, ops.reshape(xw, (1, n, -1))
            # (N, W) -> (T, N, W): the time-major sequence of T equal steps (reversed alike)
            steps = ops.repeat_steps(ops.reshape(xw, (1, -1)), repeated_input)
            return x, ops.reshape(steps, (repeated_input, n, -1))
        self.check_input(x)
        xt = ops.to_time_major(ops.reverse_steps(x) if self.go_backwards else x)
        t, n, f = xt.shape
        xw = ops.matmul(ops.reshape(xt, (t * n, f)), self.params["kernel"])
        ops.add_bias(xw, self._input_bias(self.params["bias"]))
        return xt, ops.reshape(xw, (t, n, -1))

    def _states(self, t, n):
        """A (T + 1, N, U) array for a state over T steps: ``[0]`` holds the zeros it starts
        from; the steps write the rest, so only that row is zeroed."""
        states = self.ops.empty((t + 1, n, self.units), self.dtype)
        self.ops.fill(states[0], 0)
        return states

    def check_repeated_input(self, x, repeats):
        """Raise a clear :class:`ShapeError` unless ``x`` is (N, F) and ``repeats`` steps of it
        make this built layer's input."""
        if repeats != self.input_shape[0] or tuple(x.shape[1:]) != self.input_shape[1:]:
            raise ShapeError(
                f"layer '{self.name}' ({type(self).__name__}) expected one vector of shape "
                f"{describe_shape(self.input_shape[1:])} per sample, repeated for "
                f"{self.input_shape[0]} steps, but received an array of shape {tuple(x.shape)} "
                f"repeated for {repeats} steps")

    def _input_bias(self, bias):
        """The part of ``bias`` (or of its gradient) added to the inputs' product."""
        return bias

    def _add_recurrent(self, xw_step, h_all, step, recurrent):
        """``z = x_t W + b + h_{t-1} R``, added into ``xw_step`` (no longer needed after);
        at the first step ``h_0 = 0`` and there is nothing to add."""
        if step:
            self.ops.matmul(h_all[step], recurrent, out=xw_step, accumulate=True)
        return xw_step

    def _carry_back(self, dz_all, dh_all, step, recurrent_t):
        """Add ``dz_t R^T``, the gradient reaching ``h_{t-1}`` through the recurrence, to
        that step's output gradient in ``dh_all`` (``recurrent_t`` is ``R^T`` from
        ``ops.transposed``, once per backward); ``h_0`` is a constant, so the first step
        carries nothing."""
        if step:
            self.ops.matmul(dz_all[step], recurrent_t, out=dh_all[step - 1], accumulate=True)

    def _recurrent_kernel_gradient(self, h_all, dz_all):
        """``grad R += sum_t h_{t-1}^T dz_t``, as one product over the steps; ``h_0 = 0``
        adds nothing, so the first step is left out (a seventh fewer rows over 7 steps)."""
        ops = self.ops
        t, n, width = dz_all.shape
        if t > 1:
            rows = (t - 1) * n
            ops.matmul(ops.reshape(h_all[1:-1], (rows, -1)), ops.reshape(dz_all[1:], (rows, width)),
                       trans_a=True, out=self.grads["recurrent_kernel"], accumulate=True)

    def _output(self, h_all):
        """Every step's output (N, T, U), or the last step's (N, U)."""
        ops = self.ops
        return ops.to_time_major(h_all[1:]) if self.return_sequences else h_all[-1]

    def _output_gradient(self, dy, shape):
        """dL/dh per step, time-major (T, N, U), from the gradient of :meth:`_output`: a
        new array, into which the backward adds what each step carries back."""
        ops = self.ops
        if self.return_sequences:
            return ops.to_time_major(dy)
        dh = ops.alloc(shape, self.dtype)
        ops.assign(dh[-1], dy)
        return dh

    def _input_gradients(self, xt, dz_all, input_gradient, repeated_input):
        """Kernel, bias and input gradients from dL/dz of every step (one product each).
        A repeated input (``xt`` is then (N, F)) was read at every step: its gradient
        is the sum over the steps, ``(sum_t dz_t) W^T``, and so is the kernel's."""
        ops = self.ops
        t, n, width = dz_all.shape
        dz2 = ops.reshape(dz_all, (t * n, width))
        ops.sum_rows(dz2, out=self._input_bias(self.grads["bias"]))
        if repeated_input:
            # (T, N, W) -> (N, W): the sum over steps
            dz_sum = ops.reshape(ops.sum_steps(ops.reshape(dz_all, (1, t, n * width))), (n, width))
            ops.matmul(xt, dz_sum, trans_a=True, out=self.grads["kernel"], accumulate=True)
            return ops.matmul(dz_sum, self.params["kernel"], trans_b=True) if input_gradient else None
        f = xt.shape[2]
        ops.matmul(ops.reshape(xt, (t * n, f)), dz2, trans_a=True, out=self.grads["kernel"],
                   accumulate=True)
        if not input_gradient:
            return None
        dx = ops.to_time_major(ops.reshape(ops.matmul(dz2, self.params["kernel"], trans_b=True), (t, n, f)))
        return ops.reverse_steps(dx) if self.go_backwards else dx

    def get_config(self):
        extra = {"go_backwards": True} if self.go_backwards else {}
        return {**super().get_config(), "units": self.units, **extra,
                "return_sequences": self.return_sequences,
                "kernel_initializer": initializers.name_of(self.kernel_initializer),
                "recurrent_initializer": initializers.name_of(self.recurrent_initializer),
                "bias_initializer": initializers.name_of(self.bias_initializer)}


class SimpleRNN(_Recurrent):
    r"""The plain recurrent layer: :math:`h_t = f(x_t W + h_{t-1} R + b)`, from :math:`h_0 = 0`.

    ``f`` is ``activation``: tanh by default, or any activation an Ops computes
    (``"relu"``, ``"sigmoid"`` ...). Shapes: ``x`` ``(N, T, F)``; ``kernel`` W
    ``(F, U)``, ``recurrent_kernel`` R ``(U, U)``, ``bias`` ``(U,)``; output ``(N, U)``
    (the last step), or ``(N, T, U)`` with ``return_sequences``. Backpropagation
    through time runs the steps in reverse: :math:`dz_t = (dh_t + dz_{t+1} R^T) f'(z_t)`.
    ``go_backwards`` reads the steps from the last to the first (as LSTM and GRU do).
    """

    default_name = "simple_rnn"
    example_args = {"units": 5, "return_sequences": True}
    fixed_activations = {"recurrent_activation": "sigmoid"}  # it has none; Keras's default is let through

    def __init__(self, units, return_sequences=False, return_state=False, activation="tanh", **kwargs):
        super().__init__(units, return_sequences, return_state, activation=activation, **kwargs)
        self.activation = act.get(activation or "linear")
        if self.activation.op is None:
            raise MissingFeatureError(f"layer '{self.name}': activation {activation!r} has no Ops name; a "
                                      f"recurrent step needs an activation an Ops computes (tanh, relu ...)")

    def get_config(self):
        return {**super().get_config(), "activation": act.serialize(self.activation)}

    def forward(self, x, training=False, *, input_gradient=True, repeated_input=0):
        ops, recurrent = self.ops, self.params["recurrent_kernel"]
        xt, xw = self._inputs_times_kernel(x, repeated_input)
        t, n, _ = xw.shape
        h_all = self._states(t, n)
        name, alpha = self.activation.op, self.activation.alpha
        for step in range(t):
            z = self._add_recurrent(xw[step], h_all, step, recurrent)
            ops.activate(name, z, alpha, out=h_all[step + 1])

        def backward(dy):
            dh_all = self._output_gradient(dy, h_all[1:].shape)
            dz_all = ops.empty(dh_all.shape, self.dtype)
            recurrent_t = ops.transposed(recurrent, rows=(t - 1) * n) if t > 1 else None
            for step in reversed(range(t)):
                ops.activate_backward(name, dh_all[step], h_all[step + 1], alpha, out=dz_all[step])
                self._carry_back(dz_all, dh_all, step, recurrent_t)
            self._recurrent_kernel_gradient(h_all, dz_all)
            return self._input_gradients(xt, dz_all, input_gradient, repeated_input)

        return self._output(h_all), backward


class LSTM(_Recurrent):
    r"""Long short-term memory (Hochreiter & Schmidhuber, 1997), with Keras's layout.

    Each step computes four gates from :math:`z_t = x_t W + h_{t-1} R + b`, in the
    order input, forget, cell candidate, output (see
    :mod:`deepzoo.backend.reference.recurrent`), then :math:`c_t = f c_{t-1} + i g` and
    :math:`h_t = o \tanh(c_t)`, from :math:`h_0 = c_0 = 0`.

    Shapes: ``x`` ``(N, T, F)``; ``kernel`` ``(F, 4U)``, ``recurrent_kernel``
    ``(U, 4U)``, ``bias`` ``(4U,)``; parameters ``4 (F U + U U + U)``, as in Keras.
    Output ``(N, U)``, or ``(N, T, U)`` with ``return_sequences``. With
    ``unit_forget_bias`` (Keras's default) the forget gate's bias starts at 1.
    """

    default_name = "lstm"
    gates = 4
    example_args = {"units": 3, "return_sequences": True}

    def __init__(self, units, return_sequences=False, return_state=False, unit_forget_bias=True,
                 **kwargs):
        super().__init__(units, return_sequences, return_state, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def initial_bias(self):
        if self.unit_forget_bias:
            return initializers.UnitForgetBias(self.bias_initializer, self.units)
        return self.bias_initializer

    def forward(self, x, training=False, *, input_gradient=True, repeated_input=0):
        ops, recurrent, u = self.ops, self.params["recurrent_kernel"], self.units
        xt, xw = self._inputs_times_kernel(x, repeated_input, expand=False)
        t, n = repeated_input or xw.shape[0], xw.shape[1]
        h_all, c_all = self._states(t, n), self._states(t, n)
        gates = ops.empty((t, n, 4 * u), self.dtype)
        tanh_c = ops.empty((t, n, u), self.dtype)
        ops.lstm_steps(xw, recurrent, h_all, c_all, gates, tanh_c)

        def backward(dy):
            dh_all = self._output_gradient(dy, h_all[1:].shape)
            dz_all = ops.empty((t, n, 4 * u), self.dtype)
            recurrent_t = ops.transposed(recurrent, rows=(t - 1) * n) if t > 1 else None
            ops.lstm_steps_backward(dh_all, gates, c_all, tanh_c, recurrent_t, dz_all)
            self._recurrent_kernel_gradient(h_all, dz_all)
            return self._input_gradients(xt, dz_all, input_gradient, repeated_input)

        return self._output(h_all), backward

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(_Recurrent):
    r"""Gated recurrent unit (Cho et al., 2014), with Keras 3's layout (``reset_after=True``,
    PyTorch's formula).

    Each step splits the input side :math:`x_t W + b_{in}` and the recurrent side
    :math:`h_{t-1} R + b_{rec}` into three blocks, update ``z``, reset ``r`` and
    candidate ``h~``:

    .. math:: z = \sigma(x_z + r_z), \quad r = \sigma(x_r + r_r), \quad
              \tilde h = \tanh(x_h + r \odot r_h), \quad h_t = z \odot h_{t-1} + (1 - z) \odot \tilde h

    from :math:`h_0 = 0`. The reset gate scales the recurrent side *after* its
    product (``reset_after``), which is why there are two biases.

    Shapes: ``x`` ``(N, T, F)``; ``kernel`` W ``(F, 3U)``, ``recurrent_kernel`` R
    ``(U, 3U)``, ``bias`` ``(2, 3U)`` (row 0 for the inputs, row 1 for the recurrent
    side); parameters ``3 (F U + U U + 2 U)``, as in Keras. Output ``(N, U)``, or
    ``(N, T, U)`` with ``return_sequences``. Only ``reset_after=True`` is implemented.
    """

    default_name = "gru"
    gates = 3
    example_args = {"units": 3, "return_sequences": True}

    def __init__(self, units, return_sequences=False, return_state=False, reset_after=True, **kwargs):
        super().__init__(units, return_sequences, return_state, **kwargs)
        if not reset_after:
            raise MissingFeatureError(f"layer '{self.name}': reset_after=False (Keras 2's GRU) is not "
                                      f"implemented; deepzoo's GRU is Keras 3's, reset_after=True")

    def create_params(self, input_shape):
        features, width = input_shape[1], 3 * self.units
        self.add_param("kernel", (features, width), self.kernel_initializer, features, width)
        self.add_param("recurrent_kernel", (self.units, width), self.recurrent_initializer, self.units, width)
        self.add_param("bias", (2, width), self.bias_initializer, features, width)

    def _input_bias(self, bias):
        return bias[0]

    def forward(self, x, training=False, *, input_gradient=True, repeated_input=0):
        ops, recurrent, u = self.ops, self.params["recurrent_kernel"], self.units
        xt, xw = self._inputs_times_kernel(x, repeated_input)
        t, n, _ = xw.shape
        h_all = self._states(t, n)
        gates = ops.empty((t, n, 3 * u), self.dtype)
        rec_all = ops.empty((t, n, 3 * u), self.dtype)
        recurrent_bias = self.params["bias"][1]
        for step in range(t):
            ops.matmul(h_all[step], recurrent, out=rec_all[step])
            ops.add_bias(rec_all[step], recurrent_bias)
            ops.gru_step(xw[step], rec_all[step], h_all[step], h_all[step + 1], gates[step])

        def backward(dy):
            dh_all = self._output_gradient(dy, h_all[1:].shape)
            dx_all = ops.empty((t, n, 3 * u), self.dtype)
            drec_all = ops.empty((t, n, 3 * u), self.dtype)
            recurrent_t = ops.transposed(recurrent, rows=(t - 1) * n) if t > 1 else None
            for step in reversed(range(t)):
                direct = ops.gru_step_backward(dh_all[step], gates[step], rec_all[step], h_all[step],
                                               dx_all[step], drec_all[step])
                if step:  # h_{t-1} gets dh * z directly and drec R^T through the recurrence
                    ops.add(dh_all[step - 1], direct, out=dh_all[step - 1])
                    self._carry_back(drec_all, dh_all, step, recurrent_t)
            drec2 = ops.reshape(drec_all, (t * n, 3 * u))
            self._recurrent_kernel_gradient(h_all, drec_all)
            ops.sum_rows(drec2, out=self.grads["bias"][1])
            return self._input_gradients(xt, dx_all, input_gradient, repeated_input)

        return self._output(h_all), backward
