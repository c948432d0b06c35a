"""Logistic regression: a sigmoid turns a linear score into a probability.

First, two or three rooms from a flat's area alone: a = sigmoid(w * x + b) is the
probability of three rooms, trained on cross-entropy (whose slope with respect to
the score is simply a - t), and the decision threshold is the area where a = 0.5,
x = -b / w. Then two features, the lecture's brioche and baguette told apart by
width and length: the boundary where a = 0.5 is the line w1 * x1 + w2 * x2 + b = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
import numpy as np

from ..layers import Dense
from ..model import Sequential
from ..optimizers import SGD
from .common import PLOT_FILE, POSITIVE_INT, POSITIVE_NUMBER, SEED, device_option


def flats(n=60, seed=0):
    """Areas (x 100 m^2) of two-room flats (label 0) and three-room flats (label 1)."""
    rng = np.random.default_rng(seed)
    rooms = rng.integers(0, 2, n)
    area = np.where(rooms == 1, rng.normal(0.78, 0.10, n), rng.normal(0.52, 0.08, n))
    return area[:, None], rooms.astype(float)[:, None]


def breads(n=80, seed=0):
    """Width and length in cm of brioches (label 1: short and wide) and baguettes (0)."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 2, n)
    width = np.where(kind == 1, rng.normal(12, 1.5, n), rng.normal(6, 1.0, n))
    length = np.where(kind == 1, rng.normal(16, 2.0, n), rng.normal(55, 6.0, n))
    return np.column_stack([width, length]), kind.astype(float)[:, None]


@dataclass
class LogregRun:
    weights: np.ndarray
    bias: float
    accuracy: float
    model: Sequential


def train_logistic(x, t, lr=0.5, epochs=500, seed=0, scale=1.0, device=None):
    """One sigmoid unit on (x / scale), full-batch gradient descent on cross-entropy."""
    model = Sequential([Dense(1, activation="sigmoid", kernel_initializer="zeros")],
                       input_shape=(x.shape[1],), dtype="float64", seed=seed, device=device)
    model.compile(optimizer=SGD(lr), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x / scale, t, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0)
    weights = model.layers[0].get_weights()
    accuracy = model.evaluate(x / scale, t, return_dict=True)["accuracy"]
    return LogregRun(weights["kernel"][:, 0] / scale, float(weights["bias"][0]), accuracy, model)


def plot_logreg(rooms_run, bread_run, path, seed=0):
    """The probability curve over the area, and the brioche/baguette boundary (PNG)."""
    from ..plotting import figure, save_or_return

    fig = figure(path, figsize=(11, 4.3))
    left, right = fig.subplots(1, 2)
    x, t = flats(seed=seed)
    grid = np.linspace(x.min() - 0.1, x.max() + 0.1, 200)
    left.scatter(x[:, 0] * 100, t[:, 0], c=t[:, 0], cmap="coolwarm", edgecolors="k", s=25)
    left.plot(grid * 100, 1 / (1 + np.exp(-(rooms_run.weights[0] * grid + rooms_run.bias))), "k")
    threshold = -rooms_run.bias / rooms_run.weights[0]
    left.axvline(threshold * 100, ls="--", color="gray")
    left.set(xlabel="area (m^2)", ylabel="P(three rooms)", title=f"threshold {threshold * 100:.0f} m^2")
    xb, tb = breads(seed=seed)
    right.scatter(xb[:, 0], xb[:, 1], c=tb[:, 0], cmap="coolwarm", edgecolors="k", s=25)
    w1, w2 = bread_run.weights
    widths = np.linspace(xb[:, 0].min() - 1, xb[:, 0].max() + 1, 50)
    right.plot(widths, -(w1 * widths + bread_run.bias) / w2, "k--", label="a = 0.5")
    right.set(xlabel="width (cm)", ylabel="length (cm)", title="brioche (red) or baguette (blue)",
              ylim=(xb[:, 1].min() - 5, xb[:, 1].max() + 5))
    right.legend()
    return save_or_return(fig, path)


def _signed(value, digits=2):
    return f"{'-' if value < 0 else '+'} {abs(value):.{digits}f}"


@click.command(help=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1]
               + "\n\nLecture: 'My first neural network' (logistic regression).")
@click.option("--lr", type=POSITIVE_NUMBER, default=0.5, show_default=True, help="Learning rate.")
@click.option("--epochs", type=POSITIVE_INT, default=500, show_default=True, help="Gradient-descent steps.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the generated data.")
@click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
              help="Save the probability curve and the decision boundary (PNG).")
@device_option
def command(lr, epochs, seed, plot_path, device):
    x, t = flats(seed=seed)
    rooms = train_logistic(x, t, lr, epochs, seed, device=device)
    threshold = -rooms.bias / rooms.weights[0]
    click.echo(f"rooms from area: P(3 rooms) = sigmoid({rooms.weights[0]:.2f} * area {_signed(rooms.bias)}) "
               f"(area in 100 m^2)")
    click.echo(f"  decision threshold: {threshold * 100:.1f} m^2; training accuracy {rooms.accuracy:.1%}")
    xb, tb = breads(seed=seed)
    bread = train_logistic(xb, tb, lr, epochs, seed, scale=10.0, device=device)  # cm -> tens of cm
    w1, w2 = bread.weights
    click.echo(f"brioche or baguette: boundary {w1:.3f} * width {_signed(w2, 3)} * length "
               f"{_signed(bread.bias)} = 0; training accuracy {bread.accuracy:.1%}")
    if plot_path:
        click.echo(f"plot written to {plot_logreg(rooms, bread, plot_path, seed)}")


command.lecture = "logistic regression: rooms from area, brioche or baguette ('My first neural network')"
