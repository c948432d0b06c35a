"""The hands-on digit recogniser: a 784-100-10 sigmoid network trained one image at a time.

As in the lecture's hands-on part: pixels scaled into (0.01, 1.0), targets 0.01
and 0.99 (a sigmoid never reaches 0 or 1), no biases, weights drawn from
normal(0, 1 / sqrt(incoming links)), the error E = 1/2 sum (t - o)^2 and plain
gradient descent after every single image. Published figures for this network:
94.7% after one epoch at learning rate 0.3, 96.6% after five at 0.1.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click
import numpy as np

from ..callbacks import TerminateOnNaN
from ..datasets import load_mnist
from ..layers import Dense
from ..model import Sequential
from ..optimizers import SGD
from .common import DATA_DIR, PLOT_FILE, POSITIVE_INT, POSITIVE_NUMBER, SEED, device_option, finish, save_option


def scale_inputs(images):
    """uint8 pixels -> (0.01, 1.0]: zero inputs would stop their weights from learning."""
    return images.reshape(len(images), -1).astype(np.float32) / 255.0 * 0.99 + 0.01


def targets(labels):
    """Labels -> rows of 0.01 with 0.99 at the label (a sigmoid cannot reach 0 or 1)."""
    t = np.full((len(labels), 10), 0.01, dtype=np.float32)
    t[np.arange(len(labels)), labels] = 0.99
    return t


def build_digits_network(lr=0.3, seed=0, device=None):
    """784 -> 100 -> 10 sigmoid units without biases, E = 1/2 sum (t - o)^2, plain SGD."""
    model = Sequential([
        Dense(100, activation="sigmoid", use_bias=False, kernel_initializer="normal_fan_in"),
        Dense(10, activation="sigmoid", use_bias=False, kernel_initializer="normal_fan_in"),
    ], input_shape=(784,), seed=seed, device=device)
    model.compile(optimizer=SGD(lr), loss="sum_squared_error")
    return model


@dataclass
class DigitsRun:
    model: Sequential
    test_accuracy: float
    train_samples: int
    test_images: np.ndarray = None
    test_labels: np.ndarray = None
    predicted: np.ndarray = None


def train_digits(epochs=1, lr=0.3, seed=0, limit=None, test_limit=None, data_dir=None, device=None,
                 verbose=1):
    """Train the hand-built network online (batch 1); returns the test accuracy."""
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir=data_dir)
    x_train, y_train = x_train[:limit], y_train[:limit]
    x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    model = build_digits_network(lr, seed, device)
    model.fit(scale_inputs(x_train), targets(y_train), batch_size=1, epochs=epochs, verbose=verbose,
              progress_file=sys.stderr, callbacks=[TerminateOnNaN()])
    if model.interrupted is not None or model.stop_reason:
        return DigitsRun(model, float("nan"), len(x_train))
    predicted = model.predict(scale_inputs(x_test), batch_size=1000).argmax(axis=1)
    return DigitsRun(model, float(np.mean(predicted == y_test)), len(x_train), x_test, y_test, predicted)


def plot_digits(run, path, count=24):
    """The first test digits with the network's answers, mistakes first, in red."""
    from ..plotting import figure, save_or_return

    wrong = np.flatnonzero(run.predicted != run.test_labels)
    right = np.flatnonzero(run.predicted == run.test_labels)
    shown = np.concatenate([wrong[: count // 2], right])[:count]
    fig = figure(path, figsize=(count // 3 * 1.3, 4.4))
    axes = fig.subplots(3, count // 3)
    for ax, i in zip(axes.flat, shown):
        ax.imshow(run.test_images[i], cmap="gray_r")
        ok = run.predicted[i] == run.test_labels[i]
        ax.set_title(f"{run.predicted[i]}" if ok else f"{run.predicted[i]} (is {run.test_labels[i]})",
                     color="black" if ok else "red", fontsize=9)
        ax.axis("off")
    fig.suptitle(f"test accuracy {run.test_accuracy:.2%}; mistakes in red")
    return save_or_return(fig, path)


@click.command(help=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1]
               + "\n\nLecture: 'My first neural network' (hands-on part).")
@click.option("--epochs", type=POSITIVE_INT, default=1, show_default=True,
              help="Passes over the training images.")
@click.option("--lr", type=POSITIVE_NUMBER, default=0.3, show_default=True, help="Learning rate.")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="Seed of the initial weights and shuffling.")
@click.option("--limit", type=POSITIVE_INT, default=None, help="Train on the first N images only.")
@device_option
@click.option("--data-dir", type=DATA_DIR, metavar="DIR", default=None,
              help="Folder with the MNIST files (default: DEEPZOO_DATA, then the cache).")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
              help="Save test digits with the network's answers (PNG).")
@save_option
def command(epochs, lr, seed, limit, device, data_dir, quiet, plot_path, save_path):
    run = train_digits(epochs, lr, seed, limit, None, data_dir, device, 0 if quiet else 1)
    finish(run.model, save_path)
    click.echo(f"trained on {run.train_samples:,} images, {epochs} epoch(s) at learning rate {lr}: "
               f"test accuracy {run.test_accuracy:.2%}")
    if plot_path:
        click.echo(f"plot written to {plot_digits(run, plot_path)}")


command.lecture = "the hand-built 784-100-10 digit network ('My first neural network')"
