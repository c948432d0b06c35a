"""The universal approximation theorem made visible (Cybenko, 1989).

One hidden layer of N sigmoid units, then a linear output, can approximate any
continuous function on an interval as closely as wanted, given enough units.
Here sin(x) on [0, 2 pi] is fitted with N = 1, 3, 10 and 50. One unit can only
make a single step; from three on the fit follows the curve. The theorem says
that good weights exist, not that training finds them: more units do not make
the plain gradient descent used here converge faster (see the errors).
"""

from __future__ import annotations

import click
import numpy as np

from ..layers import Dense
from ..model import Sequential
from ..optimizers import Adam
from .common import PLOT_FILE, POSITIVE_INT, SEED, PositiveInts, device_option


def target(x):
    """The curve to fit: one period of a sine."""
    return np.sin(x)


def fit_sine(units, epochs=5000, seed=0, n=200, device=None):
    """Fit :func:`target` with ``units`` sigmoid units; returns x, the fit and its largest error."""
    x = np.linspace(0, 2 * np.pi, n)[:, None]
    t = target(x)
    model = Sequential([Dense(units, activation="sigmoid"), Dense(1)], input_shape=(1,),
                       dtype="float64", seed=seed, device=device)
    model.compile(optimizer=Adam(0.02), loss="mean_squared_error")
    model.fit(x / np.pi - 1, t, batch_size=n, epochs=epochs, verbose=0)  # inputs in [-1, 1]
    fit = model.predict(x / np.pi - 1)
    return x[:, 0], fit[:, 0], float(np.abs(fit - t).max())


@click.command(help=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1]
               + "\n\nLecture: 'Neural networks' (universal approximation).")
@click.option("--units", type=PositiveInts(), default="1,3,10,50", show_default=True,
              help="Hidden sizes to try.")
@click.option("--epochs", type=POSITIVE_INT, default=5000, show_default=True,
              help="Full-batch Adam steps per fit.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the initial weights.")
@click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
              help="Save each fit and its error (PNG).")
@device_option
def command(units, epochs, seed, plot_path, device):
    sizes = list(units)
    fits = []
    for size in sizes:
        x, fit, error = fit_sine(size, epochs, seed, device=device)
        fits.append((size, fit, error))
        click.echo(f"{size:>3} sigmoid units: largest error {error:.4f}")
    if plot_path:
        from ..plotting import figure, save_or_return

        fig = figure(plot_path, figsize=(8, 6))
        top, bottom = fig.subplots(2, 1, sharex=True)
        top.plot(x, target(x), "k", lw=3, alpha=0.3, label="sin(x)")
        for size, fit, _ in fits:
            top.plot(x, fit, label=f"N = {size}")
            bottom.plot(x, fit - target(x), label=f"N = {size}")
        top.legend()
        top.set_title("one hidden layer of N sigmoid units")
        bottom.set(xlabel="x", ylabel="fit - sin(x)")
        click.echo(f"plot written to {save_or_return(fig, plot_path)}")


command.lecture = "universal approximation: sin(x) with 1 to 50 sigmoid units ('Neural networks')"
