"""Figures for the demos and tutorials (matplotlib).

Each function takes plain arrays or a trained model and either writes a PNG file
(given a path) or returns the figure (without one), for a notebook to show.

Files are drawn on a bare :class:`matplotlib.figure.Figure`, which renders with
Agg without going through pyplot: deepzoo never switches the backend of a
running session, so a notebook's own plots keep showing. A figure returned for
display is made by pyplot, with the session's backend. matplotlib is imported
only when a plot is asked for.
"""

from __future__ import annotations

import numpy as np


def figure(path, **kwargs):
    """A new figure: off-screen when it is going to ``path``, else pyplot's, to be shown."""
    if path is None:
        import matplotlib.pyplot as plt

        return plt.figure(**kwargs)
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def save_or_return(fig, path):
    """Lay out ``fig``; save it to ``path`` as PNG, or return it if there is no path."""
    fig.tight_layout()
    if path is None:
        return fig
    fig.savefig(path, dpi=100)
    return str(path)


def plot_decision_boundary_and_loss(model, x, t, history, path=None, title=""):
    """Left: the model's output over the input plane with the data; right: the loss curve.

    Saves a PNG to ``path``; without a path the figure is left open and returned.
    """
    fig = figure(path, figsize=(10, 4.2))
    left, right = fig.subplots(1, 2)
    lo, hi = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.column_stack([g0.ravel(), g1.ravel()])
    out = model.predict(grid, batch_size=4096)[:, 0].reshape(g0.shape)
    image = left.contourf(g0, g1, out, levels=np.linspace(0, 1, 21), cmap="RdBu_r", alpha=0.8)
    left.contour(g0, g1, out, levels=[0.5], colors="k", linewidths=1.5)
    fig.colorbar(image, ax=left, label="network output")
    t = np.asarray(t).ravel()
    left.scatter(x[:, 0], x[:, 1], c=t, cmap="RdBu_r", edgecolors="k", s=120, vmin=0, vmax=1)
    left.set(xlabel="x1", ylabel="x2", title="decision boundary (output = 0.5)")
    right.plot(np.arange(1, len(history.history["loss"]) + 1), history.history["loss"])
    right.set(xlabel="epoch", ylabel="loss", title="training loss", yscale="log")
    if title:
        fig.suptitle(title)
    return save_or_return(fig, path)


def _history_panels(history) -> list:
    """The metrics ``history`` holds that get a panel: the loss, and the accuracy if measured."""
    return [m for m in ("loss", "accuracy") if m in history.history]


def _draw_history(ax, history, metric) -> None:
    """One metric per epoch on ``ax``: training, and validation where it was measured."""
    from matplotlib.ticker import MaxNLocator

    logs = history.history
    epochs = np.arange(1, len(logs["loss"]) + 1)
    ax.plot(epochs, logs[metric], "o-", label="training")
    if f"val_{metric}" in logs:
        ax.plot(epochs, logs[f"val_{metric}"], "s-", label="validation")
    ax.set(xlabel="epoch", ylabel=metric, title=metric)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    ax.grid(alpha=0.3)


def _draw_confusion(fig, ax, matrix, title) -> None:
    """``matrix[true, predicted]`` as a heat map on ``ax``, with the counts written in."""
    matrix = np.asarray(matrix)
    k = matrix.shape[0]
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax)
    limit = matrix.max() / 2
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if matrix[i, j] > limit else "black")
    ax.set(xticks=range(k), yticks=range(k), xlabel="predicted", ylabel="true", title=title)


def plot_history(history, path=None, title=""):
    """Training and validation loss (left) and accuracy (right) per epoch.

    Saves a PNG to ``path``; without a path the figure is left open and returned.
    """
    metrics = _history_panels(history)
    fig = figure(path, figsize=(5 * len(metrics), 4))
    for ax, metric in zip(fig.subplots(1, len(metrics), squeeze=False)[0], metrics):
        _draw_history(ax, history, metric)
    if title:
        fig.suptitle(title)
    return save_or_return(fig, path)


def plot_confusion_matrix(matrix, path=None, title="confusion matrix (test set)"):
    """A heat map of ``matrix[true, predicted]`` with the counts written in; saved to ``path``
    (returns the path), or returned as a figure when there is no path."""
    fig = figure(path, figsize=(6.5, 5.5))
    _draw_confusion(fig, fig.subplots(), matrix, title)
    return save_or_return(fig, path)


def plot_training_report(history, matrix, path=None, title=""):
    """One figure of a classifier's run: the curves of :func:`plot_history` and, beside them,
    the test set's confusion matrix of :func:`plot_confusion_matrix`."""
    metrics = _history_panels(history)
    fig = figure(path, figsize=(5 * len(metrics) + 6, 4.8))
    axes = fig.subplots(1, len(metrics) + 1, width_ratios=[1] * len(metrics) + [1.25])
    for ax, metric in zip(axes, metrics):
        _draw_history(ax, history, metric)
    _draw_confusion(fig, axes[-1], matrix, "confusion matrix (test set)")
    if title:
        fig.suptitle(title)
    return save_or_return(fig, path)
