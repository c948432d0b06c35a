"""The Keras lecture's first example: will a Pima Indian woman develop diabetes within five years?

Eight measurements -> Dense(12, ReLU) -> Dense(8, ReLU) -> Dense(1, sigmoid),
binary cross-entropy, Adam, 150 epochs, batches of 10. The popular version of
this example scores the network on the data it was trained on (about 76-77%).
Here a test set is held out (20%, picked by a seeded shuffle),
both figures are printed, and the inputs are standardised with the training
set's mean and standard deviation first: the raw columns range from 0-1
(pedigree) to 0-846 (insulin).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click
import numpy as np

from ..callbacks import TerminateOnNaN
from ..datasets import load_pima, train_test_split
from ..layers import Dense
from ..model import Sequential
from ..optimizers import Adam
from ..progress import ProgressBar
from .common import DATA_DIR, PLOT_FILE, POSITIVE_INT, SEED, device_option, finish, save_option


@dataclass
class DiabetesRun:
    model: Sequential
    train_accuracy: float
    test_accuracy: float
    history: object = None


def build_diabetes_network(seed=0, device=None):
    """8 -> 12 ReLU -> 8 ReLU -> 1 sigmoid, binary cross-entropy, Adam."""
    model = Sequential([Dense(12, activation="relu"), Dense(8, activation="relu"),
                        Dense(1, activation="sigmoid")], input_shape=(8,), seed=seed, device=device)
    model.compile(optimizer=Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def train_diabetes(epochs=150, batch_size=10, seed=0, standardise=True, data_dir=None, device=None,
                   verbose=0, progress_file=None):
    """Train on 80% of the data (split with ``seed``) and score on both parts."""
    x, y = load_pima(data_dir=data_dir)
    x_train, x_test, y_train, y_test = train_test_split(x, y.astype(np.float32), test_fraction=0.2,
                                                        seed=seed)
    if standardise:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    model = build_diabetes_network(seed, device)
    # the held-out set is only watched (the curves), never trained on
    callbacks = [TerminateOnNaN()]
    if verbose:  # 150 short epochs: a line every tenth of the run
        callbacks.append(ProgressBar(verbose=2, every=max(epochs // 10, 1), file=progress_file))
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0,
                        validation_data=(x_test, y_test), callbacks=callbacks)
    if model.interrupted is not None or model.stop_reason:
        return DiabetesRun(model, float("nan"), float("nan"))
    train = model.evaluate(x_train, y_train, return_dict=True)["accuracy"]
    test = model.evaluate(x_test, y_test, return_dict=True)["accuracy"]
    return DiabetesRun(model, train, test, history)


@click.command(help=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1]
               + "\n\nLecture: 'Neural network: easy coding in Keras' (example 1).")
@click.option("--epochs", type=POSITIVE_INT, default=150, show_default=True,
              help="Passes over the training set.")
@click.option("--batch-size", type=POSITIVE_INT, default=10, show_default=True, help="Samples per step.")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="Seed of the split, the weights and shuffling.")
@click.option("--seeds", type=POSITIVE_INT, default=1, show_default=True,
              help="Repeat with this many seeds and average.")
@click.option("--raw", is_flag=True, help="Do not standardise the inputs (see what it costs).")
@device_option
@click.option("--data-dir", type=DATA_DIR, metavar="DIR", default=None,
              help="Folder with pima-indians-diabetes.csv (default: DEEPZOO_DATA, then the cache).")
@click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
              help="Save the loss and accuracy curves of the first seed, training and held out (PNG).")
@click.option("--quiet", is_flag=True, help="No progress display.")
@save_option
def command(epochs, batch_size, seed, seeds, raw, device, data_dir, plot_path, quiet, save_path):
    tests = []
    for s in range(seed, seed + seeds):
        run = train_diabetes(epochs, batch_size, s, not raw, data_dir, device, verbose=0 if quiet else 1,
                             progress_file=sys.stderr)
        finish(run.model, save_path)
        tests.append(run.test_accuracy)
        if plot_path and s == seed:
            from ..plotting import plot_history

            plot_history(run.history, plot_path, title="Pima diabetes, 8-12-8-1 (validation = held out)")
        click.echo(f"seed {s}: accuracy on the training data {run.train_accuracy:.1%}, "
                   f"on the held-out test data {run.test_accuracy:.1%}")
    if seeds > 1:
        click.echo(f"mean held-out accuracy over {seeds} seeds: {np.mean(tests):.1%}")
    if plot_path:
        click.echo(f"plot written to {plot_path}")


command.lecture = "the Pima Indians diabetes MLP, with a held-out test set ('easy coding in Keras')"
