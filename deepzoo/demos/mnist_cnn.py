"""The Keras lecture's MNIST ConvNet (the classic Keras example, 99.25% after 12 epochs).

Conv2D(32, 3x3, ReLU) - Conv2D(64, 3x3, ReLU) - MaxPool 2x2 - Dropout(0.25) -
Flatten - Dense(128, ReLU) - Dropout(0.5) - Dense(10, softmax): 1,199,882
parameters. Adadelta with learning rate 1.0 and rho 0.95 (the example's settings),
batches of 128, 12 epochs.
"""

from __future__ import annotations

from ..layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D
from ..model import Sequential
from ..optimizers import Adadelta
from .mnist_common import mnist_command, train_on_mnist


def build_cnn(seed=0, device=None):
    """The Keras MNIST ConvNet (1,199,882 parameters), compiled with Adadelta(1.0, rho=0.95)."""
    model = Sequential([
        Conv2D(32, 3, activation="relu"), Conv2D(64, 3, activation="relu"), MaxPool2D(2),
        Dropout(0.25), Flatten(), Dense(128, activation="relu"), Dropout(0.5),
        Dense(10, activation="softmax"),
    ], input_shape=(28, 28, 1), seed=seed, device=device)
    model.compile(optimizer=Adadelta(1.0, rho=0.95), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train_cnn(epochs=12, batch_size=128, validation_split=0.1, seed=0, limit=None, device=None,
              data_dir=None, verbose=1, test_limit=None):
    """Train the Keras MNIST ConvNet; returns a :class:`~deepzoo.demos.mnist_common.MnistRun`."""
    return train_on_mnist(build_cnn(seed, device), flatten=False, epochs=epochs,
                          batch_size=batch_size, validation_split=validation_split, limit=limit,
                          test_limit=test_limit, data_dir=data_dir, verbose=verbose)


command = mnist_command(
    train_cnn, epochs=12, batch_size=128, validation_split=0.1, title="MNIST ConvNet",
    help=__doc__ + "\nLecture: 'Neural network: easy coding in Keras'.",
    lecture="the Keras MNIST ConvNet, 1,199,882 parameters ('easy coding in Keras')",
)
