"""The MNIST demos train for a few seconds on a subset: loss falls, accuracy rises far above chance.

The full runs and their accuracies are in benchmarks/ (mnist_accuracy.py).
"""

import re

import numpy as np
from click.testing import CliRunner
from shared_data import DATA as SHARED
from shared_data import needs_mnist

from deepzoo.cli import main
from deepzoo.demos.lenet import build_lenet, train_lenet
from deepzoo.demos.mnist_cnn import build_cnn, train_cnn
from deepzoo.demos.mnist_mlp import train_mlp

pytestmark = needs_mnist


def check_learned(run, accuracy):
    losses = run.history.history["loss"]
    assert losses[-1] < losses[0]
    assert run.test_accuracy > accuracy  # chance is 10%
    assert run.confusion.sum() == 1000 and run.confusion.trace() == round(run.test_accuracy * 1000)


def test_mlp_learns_on_a_subset():
    run = train_mlp(epochs=3, limit=3000, test_limit=1000, data_dir=SHARED, verbose=0)
    check_learned(run, 0.85)
    assert set(run.history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_cnn_learns_on_a_subset():
    run = train_cnn(epochs=2, limit=1000, test_limit=1000, data_dir=SHARED, verbose=0, batch_size=32)
    check_learned(run, 0.5)


def test_lenet_learns_on_a_subset():
    run = train_lenet(epochs=2, limit=2000, test_limit=1000, data_dir=SHARED, verbose=0)
    check_learned(run, 0.7)


def test_models_have_the_lecture_sizes():
    assert build_cnn().count_params() == 1_199_882
    assert build_lenet().count_params() == 61_706


def test_cli_mnist_mlp_with_plots(tmp_path):
    result = CliRunner().invoke(main, ["demo", "mnist-mlp", "--limit", "1000", "--epochs", "1", "--quiet",
                                       "--data-dir", str(SHARED), "--plot", str(tmp_path / "run.png")])
    assert result.exit_code == 0, result.output
    accuracy = float(re.search(r"test accuracy (\d+\.\d+)%", result.output).group(1))
    assert accuracy > 50
    assert "digits most often mistaken" in result.output
    assert (tmp_path / "run.png").read_bytes()[:4] == b"\x89PNG"
    assert f"plot written: {tmp_path / 'run.png'}" in result.output


def test_cli_demos_refuse_an_unusable_device():
    result = CliRunner().invoke(main, ["demo", "lenet", "--device", "tpu", "--limit", "10"])
    assert result.exit_code == 1
    assert "unknown device/backend 'tpu'" in result.stderr


def test_same_seed_same_first_epoch():
    a = train_mlp(epochs=1, limit=600, test_limit=100, data_dir=SHARED, verbose=0, seed=4)
    b = train_mlp(epochs=1, limit=600, test_limit=100, data_dir=SHARED, verbose=0, seed=4)
    assert a.history.history == b.history.history
    np.testing.assert_array_equal(a.confusion, b.confusion)
