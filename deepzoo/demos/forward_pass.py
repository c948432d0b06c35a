"""The lecture's worked example: a 3-3-3 sigmoid network computed step by step.

Input I = (0.9, 0.1, 0.8), no biases, sigmoid everywhere:

    X_hidden = W_input_hidden . I        O_hidden = sigmoid(X_hidden)
    X_output = W_hidden_output . O_hidden  O_output = sigmoid(X_output) = (0.726, 0.708, 0.778)

Then one backward pass for chosen targets: the output errors split over the
links in proportion to their weights (the lecture's rule), next to the exact
gradient the chain rule gives, and the weights after one step of gradient
descent. Last, the lecture's single-weight update example.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
import numpy as np

from ..layers import Dense
from ..model import Sequential
from ..optimizers import SGD
from .common import PLOT_FILE, POSITIVE_NUMBER

I = np.array([0.9, 0.1, 0.8])  # noqa: E741 (the lecture names the input I)
W_INPUT_HIDDEN = np.array([[0.9, 0.3, 0.4], [0.2, 0.8, 0.2], [0.1, 0.5, 0.6]])
W_HIDDEN_OUTPUT = np.array([[0.3, 0.7, 0.5], [0.6, 0.5, 0.2], [0.8, 0.1, 0.9]])


@dataclass
class WorkedExample:
    x_hidden: np.ndarray
    o_hidden: np.ndarray
    x_output: np.ndarray
    o_output: np.ndarray
    output_errors: np.ndarray            # t - o
    split_errors: np.ndarray             # the lecture's proportional split
    backpropagated_errors: np.ndarray    # W^T e, the split without normalising
    hidden_gradient: np.ndarray          # exact dE/dO_hidden
    new_w_input_hidden: np.ndarray
    new_w_hidden_output: np.ndarray


def build_network():
    """The 3-3-3 network with the lecture's weights, as deepzoo layers (float64).

    A lecture matrix W maps column vectors (``X = W . I``); a Dense kernel maps
    rows (``X = I @ kernel``), so the kernel is W transposed.
    """
    model = Sequential([Dense(3, activation="sigmoid", use_bias=False),
                        Dense(3, activation="sigmoid", use_bias=False)],
                       input_shape=(3,), dtype="float64", seed=0)
    model.build()
    model.layers[0].set_weights({"kernel": W_INPUT_HIDDEN.T})
    model.layers[1].set_weights({"kernel": W_HIDDEN_OUTPUT.T})
    return model


def run_example(targets=(0.01, 0.99, 0.01), lr=0.1) -> WorkedExample:
    """Forward pass, error split, exact gradient and one SGD step on E = 1/2 sum (t - o)^2."""
    model = build_network()
    hidden, output = model.layers
    x = I[None, :]
    o_hidden, _ = hidden.forward(x)
    o_output, _ = output.forward(o_hidden)
    t = np.asarray(targets, dtype=float)
    errors = t - o_output[0]
    # the lecture: each output error is shared among its incoming links by weight
    shares = W_HIDDEN_OUTPUT / W_HIDDEN_OUTPUT.sum(axis=1, keepdims=True)
    split = shares.T @ errors
    # the chain rule: dE/dO_hidden = -W^T ((t - o) o (1 - o))
    delta = errors * o_output[0] * (1 - o_output[0])
    gradient = -W_HIDDEN_OUTPUT.T @ delta
    model.compile(optimizer=SGD(lr), loss="sum_squared_error")
    model.train_on_batch(x, t[None, :])
    return WorkedExample(
        x_hidden=W_INPUT_HIDDEN @ I, o_hidden=o_hidden[0], x_output=W_HIDDEN_OUTPUT @ o_hidden[0],
        o_output=o_output[0], output_errors=errors, split_errors=split,
        backpropagated_errors=W_HIDDEN_OUTPUT.T @ errors, hidden_gradient=gradient,
        new_w_input_hidden=model.layers[0].get_weights()["kernel"].T,
        new_w_hidden_output=model.layers[1].get_weights()["kernel"].T)


def weight_update_example(lr=0.1, sigmoid_value=None):
    """The lecture's single update of w11 = 2.0 (hidden -> output), error e1 = 0.8.

    Both hidden outputs are 0.4 and the other weight 3.0, so the output node sums
    2.0 * 0.4 + 3.0 * 0.4 = 2.0. With E = (t - o)^2 (no 1/2, as on that slide) the
    slope is -2 e1 sigmoid(2)(1 - sigmoid(2)) 0.4. The slide rounds sigmoid(2)
    to 0.88; pass ``sigmoid_value=0.88`` to follow it.
    """
    s = sigmoid_value if sigmoid_value is not None else 1 / (1 + np.exp(-2.0))
    slope = -2 * 0.8 * s * (1 - s) * 0.4
    return slope, 2.0 - lr * slope


def plot_network(ex, path):
    """The 3-3-3 network: each node with its output, each link with its weight."""
    from matplotlib.patches import Circle

    from ..plotting import figure, save_or_return

    fig = figure(path, figsize=(8, 4.5))
    ax = fig.subplots()
    layers = [I, ex.o_hidden, ex.o_output]
    names = ["input I", "O_hidden", "O_output"]
    for col, (matrix, _) in enumerate(((W_INPUT_HIDDEN, 0), (W_HIDDEN_OUTPUT, 1))):
        for j in range(3):          # destination node
            for i in range(3):      # source node
                ax.plot([col, col + 1], [2 - i, 2 - j], color="tab:blue",
                        lw=0.5 + 3 * matrix[j, i], alpha=0.5)
                along = 0.25 + 0.12 * j  # label each link a quarter or so along it
                ax.text(col + along, 2 - i - along * (j - i), f"{matrix[j, i]:.1f}", fontsize=7,
                        color="tab:blue", ha="center", va="center",
                        bbox={"fc": "white", "ec": "none", "pad": 0.5})
    for col, (values, name) in enumerate(zip(layers, names)):
        for i, value in enumerate(values):
            ax.add_patch(Circle((col, 2 - i), 0.17, color="white", ec="black", zorder=3))
            ax.text(col, 2 - i, f"{value:.3f}", ha="center", va="center", fontsize=8, zorder=4)
        ax.text(col, 2.45, name, ha="center")
    ax.set(xlim=(-0.4, 2.4), ylim=(-0.4, 2.7), aspect="equal")
    ax.axis("off")
    ax.set_title("link width = weight; node = its output (sigmoid, no biases)")
    return save_or_return(fig, path)


def _vector(v, digits=4):
    return "(" + ", ".join(f"{x:.{digits}f}" for x in v) + ")"


def cut3(v):
    """Three decimals cut, not rounded, as the slides print them."""
    return np.trunc(np.asarray(v) * 1000) / 1000


def _matrix(m):
    return "\n".join("    " + "  ".join(f"{x:8.5f}" for x in row) for row in m)


@click.command(help=__doc__.split("\n\n")[0] + "\n\nLecture: 'My first neural network'.")
@click.option("--targets", nargs=3, type=float, default=(0.01, 0.99, 0.01), show_default=True,
              help="Targets of the three output nodes for the backward pass.")
@click.option("--lr", type=POSITIVE_NUMBER, default=0.1, show_default=True, help="Learning rate of the update.")
@click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
              help="Draw the network with its weights and node outputs (PNG).")
def command(targets, lr, plot_path):
    """(The example is fixed, so this demo has no --seed.)"""
    ex = run_example(targets, lr)
    click.echo("Forward pass (no biases, sigmoid activations):")
    click.echo(f"  X_hidden = W_input_hidden . I   = {_vector(ex.x_hidden)}")
    click.echo("    (the slide prints 0.16 for the first value: 0.9*0.9 + 0.3*0.1 + 0.4*0.8 = 1.16)")
    click.echo(f"  O_hidden = sigmoid(X_hidden)    = {_vector(ex.o_hidden)}")
    click.echo(f"  X_output = W_hidden_output . O  = {_vector(ex.x_output)}")
    click.echo(f"  O_output = sigmoid(X_output)    = {_vector(ex.o_output)}")
    click.echo(f"  to three decimals, cut as on the slides: O_output = {_vector(cut3(ex.o_output), 3)}")
    click.echo(f"\nBackward pass for targets {_vector(targets, 2)}:")
    click.echo(f"  output errors t - o                    {_vector(ex.output_errors)}")
    click.echo(f"  hidden errors, split by link weight    {_vector(ex.split_errors)}")
    click.echo(f"  hidden errors, W^T . e (no division)   {_vector(ex.backpropagated_errors)}")
    click.echo(f"  exact slope dE/dO_hidden (chain rule)  {_vector(ex.hidden_gradient)}")
    click.echo("  The split is a picture of the idea; the chain rule also multiplies by each")
    click.echo("  output's slope o(1 - o) and does not divide by the sum of the weights.")
    click.echo(f"\nWeights after one gradient-descent step (learning rate {lr}, E = 1/2 sum (t - o)^2):")
    click.echo("  W_input_hidden:\n" + _matrix(ex.new_w_input_hidden))
    click.echo("  W_hidden_output:\n" + _matrix(ex.new_w_hidden_output))
    slope, w = weight_update_example(0.1, 0.88)
    exact_slope, exact_w = weight_update_example(0.1)
    click.echo("\nThe lecture's update of one weight, w11 = 2.0, with error 0.8:")
    click.echo(f"  sigmoid(2) rounded to 0.88: slope {slope:.4f}, w11 = 2.0 + 0.1 * {-slope:.4f} = {w:.5f}"
               " (the slide: 2.00675)")
    click.echo(f"  sigmoid(2) = 0.8808:        slope {exact_slope:.4f}, w11 = {exact_w:.5f}")
    if plot_path:
        click.echo(f"plot written to {plot_network(ex, plot_path)}")


command.lecture = "the worked 3-3-3 forward and backward pass ('My first neural network')"
