"""Every registered activation function and its derivative, on one figure.

Each panel draws f(x) and f'(x) on [-4, 4], the derivative computed by the
activation's own backward pass (so a plugin's activation is checked too). Two
panels show what a single curve cannot: a Maxout unit, max(w1 x + b1, w2 x + b2),
whose pieces are learned; and softmax, which acts on a vector: for the pair
(x, 0) its first output is sigmoid(x).
"""

from __future__ import annotations

import click
import numpy as np

from .. import registry
from ..backend import get_ops
from .common import PLOT_FILE


def curves(x=None):
    """``{name: (f(x), f'(x))}`` for every registered activation that builds with defaults."""
    ops = get_ops("numpy")
    x = np.linspace(-4, 4, 401) if x is None else x
    result = {}
    for name in registry.activations.names():
        try:
            result[name] = _curve(registry.activations.get(name)(), name, x, ops)
        except Exception as exc:  # a plugin that cannot be drawn is reported, not fatal
            result[name] = exc
    # a Maxout unit with two fixed pieces: max(0.5 x + 1, -x - 0.5)
    pieces = np.column_stack([0.5 * x + 1, -x - 0.5])
    result["maxout (2 pieces)"] = (pieces.max(axis=1), np.where(pieces[:, 0] >= pieces[:, 1], 0.5, -1.0))
    return x, result


def _curve(activation, name, x, ops):
    if name == "softmax":  # the pair (x, 0)
        pairs = np.column_stack([x, np.zeros_like(x)])
        y = activation.apply(ops, pairs)
        dy = activation.backward(ops, np.column_stack([np.ones_like(x), np.zeros_like(x)]), y)
        return y[:, 0], dy[:, 0]
    column = x[:, None]
    y = activation.apply(ops, column.copy())
    return y[:, 0], activation.backward(ops, np.ones_like(column), y)[:, 0]


def plot_activations(path=None):
    """All curves on one figure; saved to ``path``, or returned open without one."""
    from ..plotting import figure, save_or_return

    x, result = curves()
    shown = {k: v for k, v in result.items() if not isinstance(v, Exception)}
    cols = 4
    rows = -(-len(shown) // cols)
    fig = figure(path, figsize=(3.2 * cols, 2.6 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (name, (y, dy)) in zip(axes.flat, shown.items()):
        ax.plot(x, y, label="f(x)")
        ax.plot(x, dy, "--", label="f'(x)")
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.set_title(name + (" of (x, 0)" if name == "softmax" else ""))
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    axes.flat[0].legend()
    return save_or_return(fig, path)


@click.command(help=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1]
               + "\n\nLectures: 'Neural networks' and 'easy coding in Keras'.")
@click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
              help="Also draw every curve and its derivative into this file (PNG, PDF, SVG...).")
def command(plot_path):
    x, result = curves(np.array([-2.0, 0.5, 2.0]))
    click.echo(f"{'activation':<20}{'f(-2)':>9}{'f(0.5)':>9}{'f(2)':>9}   f'(-2)  f'(0.5)  f'(2)")
    for name, value in result.items():
        if isinstance(value, Exception):
            click.echo(f"{name:<20}(cannot be drawn: {type(value).__name__}: {value})")
            continue
        y, dy = value
        click.echo(f"{name:<20}" + "".join(f"{v:9.3f}" for v in y) + "  " + "".join(f"{v:8.3f}" for v in dy))
    if plot_path:
        click.echo(f"figure written to {plot_activations(plot_path)}")


command.lecture = "every activation and its derivative ('Neural networks', 'easy coding in Keras')"
