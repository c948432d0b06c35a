"""The addition data set and the LSTM adder demo (small settings)."""

import pytest
from click.testing import CliRunner

from deepzoo import ConfigError
from deepzoo.cli import main
from deepzoo.datasets import addition, decode
from deepzoo.demos.addition import build_adder, train_adder


def test_questions_answers_and_one_hot():
    train, test = addition(200, 50, digits=3, seed=3)
    for q, a in zip(train.questions, train.answers):
        left, right = q.split("+")
        assert len(left) == len(right) == 3 and len(a) == 3
        assert int(left) + int(right) == int(a) < 1000
    assert train.x.shape == (200, 7, 11) and train.y.shape == (200, 3, 11)
    assert decode(train.x) == train.questions and decode(train.y) == train.answers
    assert not set(train.questions) & set(test.questions)  # never the same question twice
    assert addition(200, 50, seed=3)[0].questions == train.questions  # seeded


def test_zero_padding_reversal_and_longer_answers():
    train, _ = addition(300, 10, digits=3, same_digits=False, reverse=True, seed=0)
    for q, a in zip(train.questions, train.answers):
        left, right = q[::-1].split("+")
        assert int(left) + int(right) == int(a) and len(a) == 4
    assert any(int(a) >= 1000 for a in train.answers)
    small, _ = addition(3, 1, digits=1, seed=0)
    assert all(len(q) == 3 for q in small.questions)
    with pytest.raises(ConfigError, match="distinct questions asked for"):
        addition(60, 10, digits=1)


def test_adder_learns_something_small():
    run = train_adder(samples=1000, test_samples=100, digits=2, epochs=40, early_stopping=False,
                      encoder=32, decoder=32)
    assert run.train_digit_accuracy > 0.25  # chance is 0.1 per digit
    assert len(run.predictions) == 100 and all(len(p) == 2 for p in run.predictions)
    assert build_adder().count_params() == 75_561


def test_addition_cli(tmp_path):
    result = CliRunner().invoke(main, ["demo", "addition", "--digits", "2", "--samples", "300",
                                       "--test-samples", "40", "--epochs", "3", "--quiet",
                                       "--plot", str(tmp_path / "a.png")])
    assert result.exit_code == 0, result.output
    assert "per-digit accuracy: training" in result.output and "whole answers right" in result.output
    assert result.output.count("=") >= 10 and ("✓" in result.output or "✗" in result.output)
    assert (tmp_path / "a.png").exists()
