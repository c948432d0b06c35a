"""XOR, the function a single perceptron cannot learn, solved with one hidden layer.

Minsky and Papert (1969) showed that one layer of threshold units cannot compute
XOR: no single straight line separates {(0,1), (1,0)} from {(0,0), (1,1)}. Two
hidden units can draw two lines, and the output unit combines them. This demo
trains a 2-4-1 network (tanh hidden units, a sigmoid output, binary cross-entropy,
SGD with momentum on the full batch of four examples).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click
import numpy as np

from ..callbacks import History, TerminateOnNaN
from ..layers import Dense
from ..model import Sequential
from ..optimizers import SGD
from ..progress import ProgressBar
from .common import PLOT_FILE, POSITIVE_INT, POSITIVE_NUMBER, SEED, device_option, finish, save_option

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
T = np.array([[0], [1], [1], [0]], dtype=np.float32)


@dataclass
class XorResult:
    model: Sequential
    history: History
    outputs: np.ndarray  # network output for the four rows of X

    @property
    def solved(self) -> bool:
        return bool(np.all((self.outputs > 0.5) == (T > 0.5)))

    @property
    def final_loss(self) -> float:
        return self.history.history["loss"][-1]


def train_xor(seed=0, epochs=1000, lr=0.5, momentum=0.9, hidden=4, device=None, verbose=0):
    """Train a 2-``hidden``-1 network on XOR and return the model, history and outputs."""
    model = Sequential(
        [Dense(hidden, activation="tanh"), Dense(1, activation="sigmoid")],
        input_shape=(2,), seed=seed, device=device,
    )
    model.compile(optimizer=SGD(lr, momentum=momentum), loss="binary_crossentropy",
                  metrics=["accuracy"])
    progress = [ProgressBar(verbose=2, every=max(epochs // 10, 1), file=sys.stderr)] if verbose else []
    history = model.fit(X, T, batch_size=4, epochs=epochs, shuffle=False, verbose=0,
                        callbacks=progress + [TerminateOnNaN()])
    return XorResult(model, history, model.predict(X))


def truth_table(result: XorResult) -> str:
    """The four rows of XOR with the network's outputs, as text."""
    lines = [" x1  x2 | target | output | ", "--------+--------+--------+------"]
    for (a, b), t, y in zip(X.astype(int), T[:, 0].astype(int), result.outputs[:, 0]):
        ok = "ok" if (y > 0.5) == (t > 0.5) else "WRONG"
        lines.append(f"  {a}   {b} |   {t}    | {y:.4f} | {ok}")
    return "\n".join(lines)


@click.command(help=__doc__.split("\n\n")[0] + "\n\nLecture: 'Can neural networks solve 2+2?'")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed for the initial weights.")
@click.option("--epochs", type=POSITIVE_INT, default=1000, show_default=True,
              help="Passes over the four examples.")
@click.option("--lr", type=POSITIVE_NUMBER, default=0.5, show_default=True,
              help="Learning rate of SGD (momentum 0.9).")
@click.option("--hidden", type=POSITIVE_INT, default=4, show_default=True,
              help="Hidden units (2 is the minimum).")
@click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
              help="Save the decision boundary and the loss curve to this PNG file.")
@click.option("--quiet", is_flag=True, help="Print only the table and the final loss.")
@device_option
@save_option
def command(seed, epochs, lr, hidden, plot_path, quiet, device, save_path):
    result = train_xor(seed=seed, epochs=epochs, lr=lr, hidden=hidden, device=device,
                       verbose=0 if quiet else 1)
    finish(result.model, save_path)
    click.echo(truth_table(result))
    click.echo(f"final loss: {result.final_loss:.5f}")
    if result.solved:
        click.echo("XOR solved: all four rows are on the right side of 0.5.")
    else:
        click.echo("XOR not solved with these settings; try more --epochs or another --seed.")
    if plot_path:
        from ..plotting import plot_decision_boundary_and_loss

        plot_decision_boundary_and_loss(result.model, X, T, result.history, plot_path,
                                        title=f"XOR with a 2-{hidden}-1 network")
        click.echo(f"plot written to {plot_path}")
    if not result.solved:
        sys.exit(1)


command.lecture = "XOR with a hidden layer ('Can neural networks solve 2+2?')"
