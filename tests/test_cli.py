"""The deepzoo command line."""

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

import deepzoo
from deepzoo.cli import main


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and deepzoo.__version__ in result.output


def test_list_every_kind_and_one_kind(cli):
    result = cli("list")
    assert result.exit_code == 0
    for heading in ("layers:", "activations:", "losses:", "optimizers:", "demos:"):
        assert heading in result.output
    only = cli("list", "optimizers").output
    assert "adadelta" in only and "dense" not in only
    bad = cli("list", "widgets")
    assert bad.exit_code != 0 and "Invalid value" in bad.stderr


def test_info_reports_versions_blas_and_gpu(cli):
    output = cli("info").output
    for key in ("deepzoo", "python", "numpy", "numba", "blas", "cpu threads", "cuda"):
        assert re.search(rf"^{key}\s", output, re.M), key


def test_demo_without_name_lists_demos_with_their_lecture(cli):
    output = cli("demo").output
    assert re.search(r"xor\s+XOR with a hidden layer \('Can neural networks solve 2\+2\?'\)", output)
    assert "perceptron" in output


def test_demo_xor_prints_truth_table_and_writes_plot(cli, tmp_path):
    plot = tmp_path / "xor.png"
    result = cli("demo", "xor", "--quiet", "--seed", "3", "--plot", str(plot))
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.strip().endswith("ok")]
    assert len(rows) == 4
    assert "final loss:" in result.output and "XOR solved" in result.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_xor_reports_failure_with_exit_code(cli):
    result = cli("demo", "xor", "--quiet", "--epochs", "1")
    assert result.exit_code == 1 and "not solved" in result.output


def test_errors_go_to_stderr_with_nonzero_exit(cli):
    result = cli("demo", "xor", "--device", "tpu")  # a deepzoo error, raised while setting up
    assert result.exit_code == 1
    assert "Error: unknown device/backend 'tpu'" in result.stderr
    assert result.stdout == ""
    bad = cli("demo", "xor", "--epochs", "0")  # a bad option: click's check, before any work
    assert bad.exit_code == 2 and bad.stderr.strip() == (
        "Error: Invalid value for '--epochs': 0 is not in the range x>=1.") and bad.stdout == ""
    unknown = cli("demo", "xorr")
    assert unknown.exit_code == 2 and "No such command 'xorr'" in unknown.stderr


def test_demo_perceptron_learns_and_or_but_not_xor(cli):
    output = cli("demo", "perceptron").output
    assert re.search(r"AND: misclassified examples per epoch: .* 0\n", output)
    assert re.search(r"OR: misclassified examples per epoch: .* 0\n", output)
    assert re.search(r"XOR: .*\n  still wrong after 20 epochs", output)


@pytest.mark.parametrize("args", [[], ["list"], ["info"], ["demo"], ["demo", "xor"], ["demo", "perceptron"]])
def test_help_everywhere(cli, args):
    result = cli(*args, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_console_script_runs_demo_xor():
    out = subprocess.run([sys.executable, "-m", "deepzoo", "demo", "xor", "--quiet"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "XOR solved" in out.stdout
