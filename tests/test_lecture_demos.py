"""The from-scratch lecture demos: the worked numbers, and each demo run small."""

import re

import numpy as np
import pytest
from click.testing import CliRunner
from shared_data import DATA as SHARED
from shared_data import needs_mnist as needs_data
from shared_data import needs_pima

import deepzoo as dz
from deepzoo.cli import main
from deepzoo.demos import activations, approximation, diabetes, digits, forward_pass, linreg, logreg


def test_worked_forward_pass_gives_the_slides_numbers():
    ex = forward_pass.run_example()
    np.testing.assert_allclose(ex.x_hidden, [1.16, 0.42, 0.62], atol=1e-12)
    np.testing.assert_array_equal(forward_pass.cut3(ex.o_hidden), [0.761, 0.603, 0.650])
    np.testing.assert_array_equal(forward_pass.cut3(ex.x_output), [0.975, 0.888, 1.254])
    np.testing.assert_array_equal(forward_pass.cut3(ex.o_output), [0.726, 0.708, 0.778])


def test_backward_pass_matches_the_chain_rule_by_hand():
    t, lr = np.array([0.01, 0.99, 0.01]), 0.1
    ex = forward_pass.run_example(t, lr)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    oh = sig(forward_pass.W_INPUT_HIDDEN @ forward_pass.I)
    oo = sig(forward_pass.W_HIDDEN_OUTPUT @ oh)
    delta_o = (t - oo) * oo * (1 - oo)
    delta_h = (forward_pass.W_HIDDEN_OUTPUT.T @ delta_o) * oh * (1 - oh)
    np.testing.assert_allclose(ex.new_w_hidden_output,
                               forward_pass.W_HIDDEN_OUTPUT + lr * np.outer(delta_o, oh), atol=1e-12)
    np.testing.assert_allclose(ex.new_w_input_hidden,
                               forward_pass.W_INPUT_HIDDEN + lr * np.outer(delta_h, forward_pass.I), atol=1e-12)
    # the lecture's proportional split of output errors over the links
    shares = forward_pass.W_HIDDEN_OUTPUT / forward_pass.W_HIDDEN_OUTPUT.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ex.split_errors, shares.T @ (t - oo))


def test_single_weight_update_example():
    slope, w = forward_pass.weight_update_example(0.1, 0.88)
    assert abs(-slope - 0.0675) < 2e-4 and abs(w - 2.00675) < 1e-5
    assert forward_pass.weight_update_example(0.1)[1] == pytest.approx(2.006720, abs=1e-6)


def test_forward_pass_cli_prints_the_numbers(tmp_path):
    out = CliRunner().invoke(main, ["demo", "forward-pass", "--plot", str(tmp_path / "f.png")]).output
    assert "O_output = (0.726, 0.708, 0.778)" in out
    assert "2.00676 (the slide: 2.00675)" in out
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


class LectureNetwork:
    """The lecture's tiny numpy network (no biases, sigmoid, online updates).

    One change: the lecture sends the output *errors* back (W^T e); the exact
    gradient of E = 1/2 sum (t - o)^2 sends back the errors times the outputs'
    slopes, W^T (e o (1 - o)), which is what deepzoo's backward computes.
    """

    def __init__(self, w_ih, w_ho, lr):
        self.w_ih, self.w_ho, self.lr = w_ih.copy(), w_ho.copy(), lr

    def train(self, inputs, targets):
        i, t = np.array(inputs, ndmin=2).T, np.array(targets, ndmin=2).T
        oh = 1 / (1 + np.exp(-self.w_ih @ i))
        oo = 1 / (1 + np.exp(-self.w_ho @ oh))
        eo = t - oo
        eh = self.w_ho.T @ (eo * oo * (1 - oo))
        self.w_ho += self.lr * (eo * oo * (1 - oo)) @ oh.T
        self.w_ih += self.lr * (eh * oh * (1 - oh)) @ i.T


def test_digits_network_agrees_with_the_lectures_numpy_class():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (20, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 20)
    model = dz.Sequential([dz.Dense(100, activation="sigmoid", use_bias=False),
                           dz.Dense(10, activation="sigmoid", use_bias=False)],
                          input_shape=(784,), dtype="float64", seed=1)
    model.compile(optimizer=dz.SGD(0.3), loss="sum_squared_error")
    w = model.get_weights_by_layer()
    reference = LectureNetwork(w["dense"]["kernel"].T, w["dense_1"]["kernel"].T, 0.3)
    x, t = digits.scale_inputs(images).astype("float64"), digits.targets(labels).astype("float64")
    model.fit(x, t, batch_size=1, epochs=1, shuffle=False, verbose=0)
    for xi, ti in zip(x, t):
        reference.train(xi, ti)
    np.testing.assert_allclose(model.get_weights_by_layer()["dense"]["kernel"].T, reference.w_ih, atol=1e-10)
    np.testing.assert_allclose(model.get_weights_by_layer()["dense_1"]["kernel"].T, reference.w_ho, atol=1e-10)


@needs_data
def test_digits_learns_on_a_subset(tmp_path):
    run = digits.train_digits(limit=3000, test_limit=1000, data_dir=SHARED, verbose=0)
    assert run.test_accuracy > 0.8
    assert digits.plot_digits(run, tmp_path / "d.png") and (tmp_path / "d.png").exists()


@needs_pima
def test_diabetes_reports_training_and_held_out_accuracy(tmp_path):
    run = diabetes.train_diabetes(epochs=20, data_dir=SHARED)
    assert 0.65 < run.test_accuracy <= 1 and 0.65 < run.train_accuracy <= 1
    out = CliRunner().invoke(main, ["demo", "diabetes", "--epochs", "5", "--seeds", "2", "--plot",
                                    str(tmp_path / "curves.png"), "--data-dir", str(SHARED)]).output
    assert (tmp_path / "curves.png").exists()
    assert re.search(r"seed 0: accuracy on the training data \d+\.\d%, on the held-out test data", out)
    assert "mean held-out accuracy over 2 seeds" in out


@pytest.mark.parametrize("lr,verdict", [(0.01, "converged"), (0.0005, "learning rate is too small"),
                                        (0.06, "diverged")])
def test_linreg_learning_rates(lr, verdict, tmp_path):
    result = CliRunner().invoke(main, ["demo", "linreg", "--lr", str(lr), "--plot", str(tmp_path / "l.png")])
    assert result.exit_code == 0 and verdict in result.output
    assert "nan" not in result.output.lower() and "inf" not in result.output.lower()
    assert (tmp_path / "l.png").exists()
    run = linreg.fit_line(lr=0.01, epochs=400)
    assert run.w == pytest.approx(run.best[0], abs=0.02) and run.b == pytest.approx(run.best[1], abs=0.02)


def test_logreg_threshold_and_boundary(tmp_path):
    x, t = logreg.flats()
    rooms = logreg.train_logistic(x, t)
    threshold = -rooms.bias / rooms.weights[0]
    assert x[t[:, 0] == 0].mean() < threshold < x[t[:, 0] == 1].mean()
    assert rooms.accuracy > 0.9
    xb, tb = logreg.breads()
    assert logreg.train_logistic(xb, tb, scale=10.0).accuracy > 0.95
    result = CliRunner().invoke(main, ["demo", "logreg", "--plot", str(tmp_path / "g.png")])
    assert "decision threshold" in result.output and (tmp_path / "g.png").exists()


def test_activation_curves_and_their_derivatives(tmp_path):
    x, result = activations.curves(np.linspace(-3, 3, 61))
    np.testing.assert_allclose(result["softmax"][0], 1 / (1 + np.exp(-x)))  # softmax of (x, 0)
    smooth = np.abs(x[1:-1]) > 0.15  # away from the kinks at 0
    for name, (y, dy) in result.items():
        if name in ("step", "maxout (2 pieces)"):
            continue
        numeric = (y[2:] - y[:-2]) / (x[2] - x[0])
        np.testing.assert_allclose(dy[1:-1][smooth], numeric[smooth], atol=0.02, err_msg=name)

    @dz.register_activation("zoo_test_square")
    class Square(dz.activations.ActivationFunction):
        name = "zoo_test_square"

        def apply(self, ops, x, out=None):
            return ops.multiply(x, x, out=out)

        def backward(self, ops, dy, y, out=None):
            raise NotImplementedError

    try:  # a plugin is drawn, or why it cannot be is shown
        assert isinstance(activations.curves()[1]["zoo_test_square"], NotImplementedError)
    finally:
        dz.registry.activations.unregister("zoo_test_square")
    result = CliRunner().invoke(main, ["demo", "activations", "--plot", str(tmp_path / "a.png")])
    assert result.exit_code == 0 and "maxout (2 pieces)" in result.output and (tmp_path / "a.png").exists()


def test_approximation_improves_with_units():
    one = approximation.fit_sine(1, epochs=1500)[2]
    ten = approximation.fit_sine(10, epochs=1500)[2]
    assert one > 0.5 and ten < 0.1
