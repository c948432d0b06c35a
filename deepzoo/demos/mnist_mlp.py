"""The deep-learning lecture's MNIST network: two hidden layers of 512 ReLU units with dropout.

Each 28 x 28 image is flattened to 784 values in [0, 1]; the labels are one-hot.
The network is Dense(512, ReLU) - Dropout(0.2) - Dense(512, ReLU) - Dropout(0.2) -
Dense(10, softmax), trained with Adam on categorical cross-entropy, batches of
64, for 10 epochs, holding out 15% of the training images to validate each epoch.
"""

from __future__ import annotations

from ..layers import Dense, Dropout
from ..model import Sequential
from ..optimizers import Adam
from .mnist_common import mnist_command, train_on_mnist


def build_mlp(seed=0, device=None):
    """784 -> 512 ReLU -> dropout -> 512 ReLU -> dropout -> 10 softmax, compiled with Adam."""
    model = Sequential([
        Dense(512, activation="relu"), Dropout(0.2),
        Dense(512, activation="relu"), Dropout(0.2),
        Dense(10, activation="softmax"),
    ], input_shape=(784,), seed=seed, device=device)
    model.compile(optimizer=Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def train_mlp(epochs=10, batch_size=64, validation_split=0.15, seed=0, limit=None, device=None,
              data_dir=None, verbose=1, test_limit=None):
    """Train the lecture's MLP on MNIST; returns a :class:`~deepzoo.demos.mnist_common.MnistRun`."""
    return train_on_mnist(build_mlp(seed, device), flatten=True, epochs=epochs,
                          batch_size=batch_size, validation_split=validation_split, limit=limit,
                          test_limit=test_limit, data_dir=data_dir, verbose=verbose)


command = mnist_command(
    train_mlp, epochs=10, batch_size=64, validation_split=0.15, title="MNIST MLP 784-512-512-10",
    help=__doc__ + "\nLecture: 'Intro to AI 3: deep learning'.",
    lecture="MNIST MLP with dropout, loss curves, confusion matrix ('Intro to AI 3')",
)
