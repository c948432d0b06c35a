"""LeNet-5 (LeCun et al., 1998) for 28 x 28 digits.

Conv2D(6, 5x5, padding 2) - MaxPool 2x2 - Conv2D(16, 5x5) - MaxPool 2x2 -
Dense(120) - Dense(84) - Dense(10, softmax): 61,706 parameters. Padding the
first convolution by 2 gives it the 32 x 32 field the original was designed for.

Choices: ReLU instead of the original scaled tanh, and max pooling instead of
its trainable average "subsampling", because both train faster and reach a
lower error with a plain optimizer; a softmax with cross-entropy replaces the
original RBF output units. Adam (learning rate 0.001), batches of 64.
"""

from __future__ import annotations

from ..layers import Conv2D, Dense, Flatten, MaxPool2D
from ..model import Sequential
from ..optimizers import Adam
from .mnist_common import mnist_command, train_on_mnist


def build_lenet(seed=0, device=None):
    """LeNet-5 for 28 x 28 digits (see the module docstring), compiled with Adam."""
    model = Sequential([
        Conv2D(6, 5, padding=2, activation="relu"), MaxPool2D(2),
        Conv2D(16, 5, activation="relu"), MaxPool2D(2), Flatten(),
        Dense(120, activation="relu"), Dense(84, activation="relu"),
        Dense(10, activation="softmax"),
    ], input_shape=(28, 28, 1), seed=seed, device=device)
    model.compile(optimizer=Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def train_lenet(epochs=15, batch_size=64, validation_split=0.1, seed=0, limit=None, device=None,
                data_dir=None, verbose=1, test_limit=None):
    """Train LeNet-5 on MNIST; returns a :class:`~deepzoo.demos.mnist_common.MnistRun`."""
    return train_on_mnist(build_lenet(seed, device), flatten=False, epochs=epochs,
                          batch_size=batch_size, validation_split=validation_split, limit=limit,
                          test_limit=test_limit, data_dir=data_dir, verbose=verbose)


command = mnist_command(
    train_lenet, epochs=15, batch_size=64, validation_split=0.1, title="LeNet-5",
    help=__doc__ + "\nLecture: 'Neural networks' (LeNet-5).",
    lecture="LeNet-5 on MNIST ('Neural networks')",
)
