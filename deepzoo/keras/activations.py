"""``keras.activations``: deepzoo's activations, callable on arrays as Keras's functions are.

``keras.activations.relu(x)`` computes ReLU of an array; ``Dense(8,
activation=keras.activations.relu)`` uses it in a layer.
"""

from ..activations import ELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from ..activations import Linear as _Linear
from ._missing import missing_names

__all__ = ["elu", "leaky_relu", "linear", "relu", "sigmoid", "softmax", "tanh"]

relu, sigmoid, tanh, softmax, elu, linear = ReLU(), Sigmoid(), Tanh(), Softmax(), ELU(), _Linear()
leaky_relu = LeakyReLU(0.2)  # Keras's default negative slope for this function

__getattr__ = missing_names("keras.activations", {
    "selu": "", "gelu": "", "swish": "", "silu": "", "softplus": "", "softsign": "",
    "hard_sigmoid": "", "exponential": "", "mish": "",
})
