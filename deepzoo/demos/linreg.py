"""Linear regression by gradient descent: a flat's price from its area.

The model is one weight and one bias, y = w * x + b, fitted to generated data by
gradient descent on the lectures' error E = 1/2 sum (t - y)^2 over the whole
data set, w <- w - lr * dE/dw. The learning rate decides everything: too small
and the error crawls down, too large and every step overshoots the minimum and
the error explodes. Areas are in units of 100 m^2 and prices of 100,000 EUR,
so that the numbers stay near 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import click
import numpy as np

from ..callbacks import Callback
from ..layers import Dense
from ..model import Sequential
from ..optimizers import SGD
from .common import PLOT_FILE, POSITIVE_INT, POSITIVE_NUMBER, SEED, device_option


def house_prices(n=40, seed=0, w=2.5, b=0.3, noise=0.15):
    """Areas in [0.3, 1.5] (x 100 m^2) and prices w * area + b plus noise (x 100,000 EUR)."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(0.3, 1.5, n)
    return area[:, None], (w * area + b + rng.normal(0, noise, n))[:, None]


class _Path(Callback):
    """Records (w, b) and the error after every step; stops once the error explodes."""

    def __init__(self):
        self.points, self.errors = [], []

    def on_epoch_end(self, epoch, logs=None):
        weights = self.model.layers[0].get_weights()
        self.points.append((float(weights["kernel"][0, 0]), float(weights["bias"][0])))
        self.errors.append(logs["loss"])
        if not math.isfinite(logs["loss"]) or logs["loss"] > 1e12:
            self.model.stop_training = True


@dataclass
class LinregRun:
    w: float
    b: float
    errors: list
    path: list = field(repr=False)
    best: tuple = (0.0, 0.0, 0.0)  # least-squares w, b and their error
    diverged_at: int | None = None

    @property
    def verdict(self) -> str:
        if self.diverged_at is not None:
            return (f"diverged: the error grew at every step and passed 1e12 after {self.diverged_at} "
                    f"steps; the learning rate is too large, each step overshoots the minimum")
        gap = self.errors[-1] - self.best[2]
        if gap > 0.01 * max(self.best[2], 1e-12):
            return (f"still {gap:.4g} above the least error after {len(self.errors)} steps: the "
                    f"learning rate is too small (or give it more --epochs)")
        return f"converged: within 1% of the least error after {len(self.errors)} steps"


def fit_line(lr=0.01, epochs=200, seed=0, n=40, device=None):
    """Gradient descent from w = b = 0 on the whole data set each step."""
    x, t = house_prices(n, seed)
    model = Sequential([Dense(1, kernel_initializer="zeros")], input_shape=(1,), dtype="float64",
                       seed=seed, device=device)
    model.compile(optimizer=SGD(lr), loss="sum_squared_error")
    path = _Path()
    model.fit(x, t, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0, callbacks=[path])
    design = np.hstack([x, np.ones_like(x)])
    (w_best, b_best), *_ = np.linalg.lstsq(design, t[:, 0], rcond=None)
    best_error = 0.5 * float(np.sum((design @ [w_best, b_best] - t[:, 0]) ** 2))
    diverged = None if math.isfinite(path.errors[-1]) and path.errors[-1] <= 1e12 else len(path.errors)
    w, b = path.points[-1]
    return LinregRun(w, b, path.errors, [(0.0, 0.0)] + path.points, (w_best, b_best, best_error),
                     diverged)


def plot_linreg(run, path=None, seed=0, n=40):
    """Data with the fitted line, and the error surface with the descent's path.

    Saves a PNG to ``path``; without a path the figure is left open and returned.
    """
    from matplotlib.ticker import MaxNLocator

    from ..plotting import figure, save_or_return

    x, t = house_prices(n, seed)
    fig = figure(path, figsize=(11, 4.3))
    left, right = fig.subplots(1, 2)
    left.scatter(x[:, 0] * 100, t[:, 0] * 100, s=18, label="flats")
    grid = np.linspace(0.3, 1.5, 50)
    if run.diverged_at is None:
        # in the axes' units: price (1,000 EUR) = w * area (m^2) + 100 b
        left.plot(grid * 100, (run.w * grid + run.b) * 100, "r",
                  label=f"price = {run.w:.2f} x area + {100 * run.b:.0f}  (1,000 EUR, m^2)")
    left.set(xlabel="area (m^2)", ylabel="price (1,000 EUR)", title="data and the fitted line")
    left.legend()
    w_best, b_best, _ = run.best
    points = np.array([p for p in run.path if all(map(math.isfinite, p))][:200])
    span = max(3.0, float(np.abs(points - [w_best, b_best]).max()) * 1.1) if len(points) else 3.0
    ws = np.linspace(w_best - span, w_best + span, 120)
    bs = np.linspace(b_best - span, b_best + span, 120)
    wg, bg = np.meshgrid(ws, bs)
    errors = 0.5 * ((wg[..., None] * x[:, 0] + bg[..., None] - t[:, 0]) ** 2).sum(-1)
    right.contour(wg, bg, np.log10(errors), levels=25, cmap="viridis")
    if len(points):
        right.plot(points[:, 0], points[:, 1], "r.-", ms=3, lw=1, label="gradient descent")
    right.plot([w_best], [b_best], "k*", ms=12, label="minimum")
    right.set(xlabel="w", ylabel="b", title="error surface E(w, b) (log scale)")
    # a diverging descent spans orders of magnitude: few ticks, in powers of ten
    right.xaxis.set_major_locator(MaxNLocator(5))
    right.yaxis.set_major_locator(MaxNLocator(5))
    right.ticklabel_format(style="sci", scilimits=(-3, 4))
    right.legend()
    return save_or_return(fig, path)


@click.command(help=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1]
               + "\n\nLecture: 'My first neural network' (linear regression).")
@click.option("--lr", type=POSITIVE_NUMBER, default=0.01, show_default=True,
              help="Learning rate; try 0.0005 (crawls) and 0.06 (diverges).")
@click.option("--epochs", type=POSITIVE_INT, default=200, show_default=True, help="Gradient-descent steps.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the generated flats.")
@click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
              help="Save the fitted line and the error surface with the descent's path (PNG).")
@device_option
def command(lr, epochs, seed, plot_path, device):
    run = fit_line(lr, epochs, seed, device=device)
    click.echo(f"least-squares line: price = {run.best[0]:.3f} * area + {run.best[1]:.3f}, "
               f"error E = {run.best[2]:.4f}")
    if run.diverged_at is None:
        click.echo(f"gradient descent:   price = {run.w:.3f} * area + {run.b:.3f}, "
                   f"error E = {run.errors[-1]:.4f}")
        marks = sorted({0, len(run.errors) // 10, len(run.errors) // 2, len(run.errors) - 1})
        click.echo("error after step " + ", ".join(f"{i + 1}: {run.errors[i]:.4g}" for i in marks))
    click.echo(run.verdict)
    if plot_path:
        click.echo(f"plot written to {plot_linreg(run, plot_path, seed)}")


command.lecture = "linear regression and the learning rate ('My first neural network')"
