"""What the three MNIST demos share: data preparation, the training run, the report.

Each demo module builds its own model and calls :func:`train_on_mnist`; the
tutorials and the tests call the same function.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click
import numpy as np

from ..callbacks import TerminateOnNaN
from ..datasets import load_mnist, one_hot
from ..metrics import confusion_matrix
from .common import DATA_DIR, FRACTION, PLOT_FILE, POSITIVE_INT, SEED, device_option, finish, save_option


@dataclass
class MnistRun:
    model: object
    history: object
    test_loss: float
    test_accuracy: float
    confusion: np.ndarray  # [true digit, predicted digit]
    train_samples: int


def prepare(images, labels, flatten):
    """uint8 images -> float32 in [0, 1] (flattened to 784 or kept 28x28x1); one-hot labels."""
    x = images.astype(np.float32) / 255.0
    x = x.reshape(len(x), -1) if flatten else x[..., None]
    return x, one_hot(labels, 10)


def train_on_mnist(model, *, flatten, epochs, batch_size, validation_split, limit=None,
                   test_limit=None, data_dir=None, verbose=1):
    """Fit a compiled ``model`` on MNIST's training set and score it on the test set.

    ``limit`` and ``test_limit`` keep only the first images of each set (quick runs).
    """
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir=data_dir)
    x_train, y_train = x_train[:limit], y_train[:limit]
    x_test, y_test = x_test[:test_limit], y_test[:test_limit]
    x, y = prepare(x_train, y_train, flatten)
    xt, yt = prepare(x_test, y_test, flatten)
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs,
                        validation_split=validation_split, verbose=verbose, progress_file=sys.stderr,
                        callbacks=[TerminateOnNaN()])
    if model.interrupted is not None or model.stop_reason:
        return MnistRun(model, history, float("nan"), float("nan"), np.zeros((10, 10), int), len(x))
    probabilities = model.predict(xt, batch_size=512)
    predicted = probabilities.argmax(axis=1)
    return MnistRun(model, history, model.loss(probabilities, yt), float(np.mean(predicted == y_test)),
                    confusion_matrix(y_test, predicted, 10), len(x))


def report(run: MnistRun, plot_path, title, save_path=None):
    """Print the test figures; with ``plot_path`` save the curves and the confusion matrix."""
    finish(run.model, save_path)
    click.echo(f"trained on {run.train_samples:,} images; test loss {run.test_loss:.4f}, "
               f"test accuracy {run.test_accuracy:.2%}")
    hardest = np.argsort(np.diag(run.confusion) / run.confusion.sum(axis=1))[:3]
    click.echo("digits most often mistaken: " + ", ".join(
        f"{d} ({run.confusion[d, d]}/{run.confusion[d].sum()} right)" for d in hardest))
    if plot_path:
        from ..plotting import plot_training_report

        click.echo("plot written: " + plot_training_report(run.history, run.confusion, plot_path, title))


def mnist_options(epochs, batch_size, validation_split):
    """The command-line options every MNIST demo takes, with that demo's defaults."""
    def decorate(function):
        options = [
            click.option("--epochs", type=POSITIVE_INT, default=epochs, show_default=True,
                         help="Passes over the training set."),
            click.option("--batch-size", type=POSITIVE_INT, default=batch_size, show_default=True,
                         help="Images per step."),
            click.option("--validation-split", type=FRACTION, default=validation_split, show_default=True,
                         help="Share of the training images held out to validate each epoch."),
            click.option("--seed", type=SEED, default=0, show_default=True,
                         help="Seed of weights, shuffling, dropout."),
            click.option("--limit", type=POSITIVE_INT, default=None,
                         help="Train on the first N training images only (quick runs)."),
            click.option("--test-limit", type=POSITIVE_INT, default=None,
                         help="Score on the first N of the 10,000 test images only (quick runs)."),
            device_option,
            click.option("--data-dir", type=DATA_DIR, metavar="DIR", default=None,
                         help="Folder with the MNIST files (default: DEEPZOO_DATA, then the cache)."),
            click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
                         help="Save the loss and accuracy curves and the test set's confusion matrix "
                              "to this image (.png, .svg, .pdf ...)."),
            click.option("--quiet", is_flag=True, help="No progress display."),
            save_option,
        ]
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def mnist_command(train, *, epochs, batch_size, validation_split, title, help, lecture):
    """The ``deepzoo demo`` command of one MNIST demo: its options, a run of ``train``, the report."""

    @click.command(help=help)
    @mnist_options(epochs=epochs, batch_size=batch_size, validation_split=validation_split)
    def command(epochs, batch_size, validation_split, seed, limit, test_limit, device, data_dir, plot_path,
                quiet, save_path):
        run = train(epochs=epochs, batch_size=batch_size, validation_split=validation_split, seed=seed,
                    limit=limit, device=device, data_dir=data_dir, verbose=0 if quiet else 1,
                    test_limit=test_limit)
        report(run, plot_path, title, save_path)

    command.lecture = lecture
    return command
