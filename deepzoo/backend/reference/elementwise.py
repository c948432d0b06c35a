"""The elementwise activations one element at a time, for kernels that apply them in their loops.

:class:`~deepzoo.backend.reference.Ops` applies an activation to a whole array with
NumPy. A compiled kernel that fuses a product, a bias and an activation (the CUDA
product, the CPU's small dense layers) needs the same formula for one number
instead. These are those formulas, as plain Python functions that numba compiles
for either target: ``f(x, alpha, zero, one)`` for a forward, ``f(dy, y, alpha,
zero, one)`` for a backward, which gets the forward's output ``y``. ``zero`` and
``one`` come typed like the data: a bare ``0.0`` is a float64 in numba, and
float32 arithmetic that meets one is done in float64.

:func:`compile_activations` builds, for one target, the dispatch by number
(:data:`ACTIVATION_CODES`) that lets a kernel take the activation as an argument.
"""

from __future__ import annotations

import math
import types


def linear(x, alpha, zero, one):
    """``x``."""
    return x


def heaviside(x, alpha, zero, one):
    """1 where ``x >= 0``, else 0."""
    return one if x >= zero else zero


def sigmoid(x, alpha, zero, one):
    """``1 / (1 + exp(-x))``, computed without overflow for either sign."""
    # the exponential of a non-positive number never overflows
    if x >= zero:
        return one / (one + math.exp(-x))
    z = math.exp(x)
    return z / (one + z)


def tanh(x, alpha, zero, one):
    """``tanh(x)``."""
    return math.tanh(x)


def relu(x, alpha, zero, one):
    """``max(x, 0)``."""
    return x if x > zero else zero


def leaky_relu(x, alpha, zero, one):
    """``x`` where positive, else ``alpha * x``."""
    return x if x > zero else alpha * x


def elu(x, alpha, zero, one):
    """``x`` where positive, else ``alpha * (exp(x) - 1)``."""
    return x if x > zero else alpha * math.expm1(x)


def linear_backward(dy, y, alpha, zero, one):
    """``dy``."""
    return dy


def heaviside_backward(dy, y, alpha, zero, one):
    """0: the step has no slope (where it has one at all)."""
    return zero


def sigmoid_backward(dy, y, alpha, zero, one):
    """``dy * y * (1 - y)``."""
    return dy * y * (one - y)


def tanh_backward(dy, y, alpha, zero, one):
    """``dy * (1 - y**2)``."""
    return dy * (one - y * y)


def relu_backward(dy, y, alpha, zero, one):
    """``dy`` where the output is positive, else 0."""
    return dy if y > zero else zero


def leaky_relu_backward(dy, y, alpha, zero, one):
    """``dy`` where the output is positive, else ``alpha * dy``."""
    return dy if y > zero else alpha * dy


def elu_backward(dy, y, alpha, zero, one):
    """``dy`` where the output is positive, else ``dy * (y + alpha)``: the slope
    ``alpha * exp(x)`` is ``y + alpha``."""
    return dy if y > zero else dy * (y + alpha)


#: the activations a fused kernel can apply, by number (0: none)
ACTIVATION_CODES = {None: 0, "linear": 0, "relu": 1, "sigmoid": 2, "tanh": 3, "leaky_relu": 4,
                    "elu": 5, "heaviside": 6}


def rebind(fn, namespace):
    """``fn`` with ``namespace`` (a module's ``globals()``) as its globals.

    numba's CUDA simulator, whenever a kernel calls a device function defined in
    another module, scans that module's globals and swaps its ``cuda`` in and out,
    under a lock; within the kernel's own module that is done once per launch. So a
    CUDA kernel module gives the formulas it compiles its own globals: a simulated
    training step of the MNIST MLP took twice as long without. (On a GPU and on the
    CPU it changes nothing: numba reads the globals once, when it compiles.)
    """
    return types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)


def compile_activations(jit, namespace=None):
    """``(activate, activate_backward)`` compiled with ``jit`` (``numba.njit(inline="always")``
    or ``cuda.jit(device=True)``): ``activate(code, x, alpha, zero, one)`` applies the
    activation number ``code`` of :data:`ACTIVATION_CODES`, ``activate_backward(code, dy,
    y, alpha, zero, one)`` its backward. With ``namespace`` every function compiled has
    those globals (see :func:`rebind`)."""

    def own(fn):
        return fn if namespace is None else rebind(fn, namespace)

    f_relu, f_sigmoid, f_tanh, f_leaky, f_elu, f_heaviside = (
        jit(own(relu)), jit(own(sigmoid)), jit(own(tanh)), jit(own(leaky_relu)), jit(own(elu)),
        jit(own(heaviside)))
    b_relu, b_sigmoid, b_tanh, b_leaky, b_elu, b_heaviside = (
        jit(own(relu_backward)), jit(own(sigmoid_backward)), jit(own(tanh_backward)),
        jit(own(leaky_relu_backward)), jit(own(elu_backward)), jit(own(heaviside_backward)))

    def activate(code, x, alpha, zero, one):
        if code == 1:
            return f_relu(x, alpha, zero, one)
        if code == 2:
            return f_sigmoid(x, alpha, zero, one)
        if code == 3:
            return f_tanh(x, alpha, zero, one)
        if code == 4:
            return f_leaky(x, alpha, zero, one)
        if code == 5:
            return f_elu(x, alpha, zero, one)
        if code == 6:
            return f_heaviside(x, alpha, zero, one)
        return x

    def activate_backward(code, dy, y, alpha, zero, one):
        if code == 1:
            return b_relu(dy, y, alpha, zero, one)
        if code == 2:
            return b_sigmoid(dy, y, alpha, zero, one)
        if code == 3:
            return b_tanh(dy, y, alpha, zero, one)
        if code == 4:
            return b_leaky(dy, y, alpha, zero, one)
        if code == 5:
            return b_elu(dy, y, alpha, zero, one)
        if code == 6:
            return b_heaviside(dy, y, alpha, zero, one)
        return dy

    return jit(own(activate)), jit(own(activate_backward))
