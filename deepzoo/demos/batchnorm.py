"""Batch normalization on the deep-learning lecture's MNIST network, with and without.

Two copies of the lecture's MLP (784-512-512-10, dropout 0.2) start from the same
seed and see the same batches; one has a BatchNormalization layer after each
hidden Dense layer, before its ReLU. Both train with SGD (momentum 0.9,
learning rate 0.01), where normalization helps most, and the demo prints their
validation accuracy epoch by epoch and their test accuracy at the end.
"""

from __future__ import annotations

import click

from ..layers import Activation, BatchNormalization, Dense, Dropout
from ..model import Sequential
from ..optimizers import SGD
from .common import finish
from .mnist_common import mnist_options, train_on_mnist


def build_mlp(normalize, seed=0, device=None):
    """The lecture's MLP, with a BatchNormalization before each hidden ReLU if ``normalize``."""
    layers = []
    for _ in range(2):
        layers += [Dense(512), BatchNormalization()] if normalize else [Dense(512)]
        layers += [Activation("relu"), Dropout(0.2)]
    model = Sequential(layers + [Dense(10, activation="softmax")], input_shape=(784,), seed=seed, device=device)
    model.compile(optimizer=SGD(0.01, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def compare(epochs=3, batch_size=64, validation_split=0.15, seed=0, limit=10_000, device=None, data_dir=None,
            verbose=0, test_limit=None):
    """``{"without": MnistRun, "with": MnistRun}``: both networks trained on the same data."""
    return {label: train_on_mnist(build_mlp(normalize, seed, device), flatten=True, epochs=epochs,
                                  batch_size=batch_size, validation_split=validation_split, limit=limit,
                                  test_limit=test_limit, data_dir=data_dir, verbose=verbose)
            for label, normalize in (("without", False), ("with", True))}


@click.command(help=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1]
               + "\n\nLecture: beyond 'Intro to AI 3: deep learning'.")
@mnist_options(epochs=3, batch_size=64, validation_split=0.15)
def command(epochs, batch_size, validation_split, seed, limit, test_limit, device, data_dir, plot_path, quiet,
            save_path):
    runs = compare(epochs, batch_size, validation_split, seed, limit or 10_000, device, data_dir,
                   verbose=0 if quiet else 1, test_limit=test_limit)
    click.echo("epoch  validation accuracy without  with batch normalization")
    for epoch in range(len(runs["with"].history.history["val_accuracy"])):
        without, with_ = (runs[k].history.history["val_accuracy"][epoch] for k in ("without", "with"))
        click.echo(f"{epoch + 1:>5}  {without:>27.2%}  {with_:>24.2%}")
    click.echo("test accuracy: " + ", ".join(f"{k} {runs[k].test_accuracy:.2%}" for k in ("without", "with")))
    if plot_path:
        from matplotlib.ticker import MaxNLocator

        from ..plotting import figure, save_or_return

        fig = figure(plot_path, figsize=(10, 4))
        for ax, metric in zip(fig.subplots(1, 2), ("val_loss", "val_accuracy")):
            for label, run in runs.items():
                values = run.history.history[metric]
                ax.plot(range(1, len(values) + 1), values, "o-", label=f"{label} batch normalization")
            ax.set(xlabel="epoch", title=metric.replace("val_", "validation "))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend()
        click.echo(f"plot written: {save_or_return(fig, plot_path)}")
    finish(runs["with"].model, save_path)


command.lecture = "the MNIST MLP with and without batch normalization (beyond 'Intro to AI 3')"
