"""Rosenblatt's perceptron (1958): it learns AND and OR, and never learns XOR.

A perceptron outputs ``y = step(w . x + b)`` (1 if the sum is >= 0, else 0). Its
learning rule visits the examples one at a time and moves the weights towards
every example it gets wrong:

    w <- w + lr * (t - y) * x        b <- b + lr * (t - y)

If a straight line separates the two classes, the rule stops making mistakes
after finitely many updates (the perceptron convergence theorem). XOR has no
such line, so the errors never reach zero: hidden layers are needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import click
import numpy as np

from ..activations import Step
from .common import POSITIVE_INT, POSITIVE_NUMBER, SEED

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
TARGETS = {
    "AND": np.array([0, 0, 0, 1], dtype=np.float64),
    "OR": np.array([0, 1, 1, 1], dtype=np.float64),
    "XOR": np.array([0, 1, 1, 0], dtype=np.float64),
}


@dataclass
class PerceptronRun:
    weights: np.ndarray
    bias: float
    errors_per_epoch: list = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return bool(self.errors_per_epoch) and self.errors_per_epoch[-1] == 0


def train_perceptron(x, t, lr=0.1, epochs=20, seed=0) -> PerceptronRun:
    """Apply the perceptron rule for up to ``epochs`` passes; stop after an error-free pass."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(-0.5, 0.5, size=x.shape[1])
    b = 0.0
    step = Step()
    run = PerceptronRun(w, b)
    for _ in range(epochs):
        errors = 0
        for xi, ti in zip(x, t):
            y = step(np.array([[xi @ w + b]]), ops="numpy")[0, 0]
            if y != ti:
                errors += 1
                w = w + lr * (ti - y) * xi
                b = b + lr * (ti - y)
        run.errors_per_epoch.append(errors)
        if errors == 0:
            break
    run.weights, run.bias = w, b
    return run


@click.command(help=__doc__.split("\n\n")[0] + "\n\nLecture: 'Can neural networks solve 2+2?'")
@click.option("--epochs", type=POSITIVE_INT, default=20, show_default=True,
              help="Most passes over the examples.")
@click.option("--lr", type=POSITIVE_NUMBER, default=0.1, show_default=True,
              help="Learning rate of the perceptron rule.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the initial weights.")
def command(epochs, lr, seed):
    for name, t in TARGETS.items():
        run = train_perceptron(INPUTS, t, lr=lr, epochs=epochs, seed=seed)
        click.echo(f"{name}: misclassified examples per epoch: "
                   + " ".join(str(e) for e in run.errors_per_epoch))
        if run.converged:
            w = ", ".join(f"{v:+.2f}" for v in run.weights)
            click.echo(f"  learned after {len(run.errors_per_epoch)} epochs: w = ({w}), b = {run.bias:+.2f}")
        else:
            click.echo(f"  still wrong after {epochs} epochs: no straight line separates {name}'s "
                       "classes, so a single perceptron cannot learn it (Minsky & Papert, 1969).")


command.lecture = "Rosenblatt's perceptron on AND, OR and XOR ('Can neural networks solve 2+2?')"
