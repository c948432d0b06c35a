"""Interruption, NaN losses, predictions from the command line, flat memory."""

import os
import signal
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest
from click.testing import CliRunner

import deepzoo as dz
from deepzoo.cli import main


def blobs(n=256):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    x = (rng.standard_normal((n, 4)) + labels[:, None] * 2).astype("float32")
    return x, labels.astype("float32")


def model(seed=0):
    m = dz.Sequential([dz.Dense(8, activation="relu"), dz.Dense(1, activation="sigmoid")],
                      input_shape=(4,), seed=seed)
    m.compile(optimizer=dz.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    return m


def test_ctrl_c_stops_after_the_current_batch_and_keeps_the_work():
    x, y = blobs()

    class PressCtrlC(dz.Callback):
        def __init__(self):
            self.steps = 0

        def on_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.steps == 11:  # 8 batches per epoch: the third batch of the second epoch
                os.kill(os.getpid(), signal.SIGINT)
            self.weights = self.model.get_weights_by_layer()

    presser = PressCtrlC()
    m = model()
    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN in a background job
    history = m.fit(x, y, batch_size=32, epochs=50, verbose=0, callbacks=[presser])
    assert m.interrupted == (1, 3)  # epoch index 1, three steps done in it
    assert presser.steps == 11  # no batch ran after the one that was under way
    assert len(history.history["loss"]) == 1  # the completed epoch
    np.testing.assert_array_equal(m.get_weights_by_layer()["dense"]["kernel"],
                                  presser.weights["dense"]["kernel"])
    assert signal.getsignal(signal.SIGINT) is before  # handler restored
    m.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert m.interrupted is None


def test_cli_ctrl_c_exits_130_with_one_line():
    proc = subprocess.Popen(
        [sys.executable, "-m", "deepzoo", "demo", "xor", "--epochs", "100000000", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted during epoch ")
    assert "Traceback" not in err and out == ""


def test_cli_reports_a_nan_loss_once():
    result = CliRunner().invoke(main, ["demo", "xor", "--lr", "1e300", "--quiet"])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Error: training stopped: the loss became nan in epoch ")
    assert "Try a smaller learning rate" in result.stderr
    assert "RuntimeWarning" not in result.stderr


def test_cli_save_then_predict(tmp_path):
    runner = CliRunner()
    path = tmp_path / "xor.dzm"
    assert runner.invoke(main, ["demo", "xor", "--quiet", "--save", str(path)]).exit_code == 0
    np.save(tmp_path / "in.npy", np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32"))
    result = runner.invoke(main, ["predict", str(path), str(tmp_path / "in.npy")])
    assert result.exit_code == 0
    values = [float(line.split("[")[1].rstrip("]")) for line in result.output.splitlines()]
    assert [v > 0.5 for v in values] == [False, True, True, False]
    result = runner.invoke(main, ["predict", str(path), str(tmp_path / "in.npy"), "--output",
                                  str(tmp_path / "out.npy")])
    assert result.exit_code == 0 and np.load(tmp_path / "out.npy").shape == (4, 1)
    np.save(tmp_path / "bad.npy", np.zeros((2, 3), dtype="float32"))
    result = runner.invoke(main, ["predict", str(path), str(tmp_path / "bad.npy")])
    assert result.exit_code == 1 and "expects input of shape (batch, 2)" in result.stderr


def test_memory_stays_flat_over_epochs():
    x, y = blobs(2048)
    m = model()

    class Measure(dz.Callback):
        def __init__(self):
            self.current = []

        def on_epoch_end(self, epoch, logs=None):
            self.current.append(tracemalloc.get_traced_memory()[0])

    measure = Measure()
    tracemalloc.start()
    try:
        m.fit(x, y, batch_size=32, epochs=20, verbose=0, callbacks=[measure])
    finally:
        tracemalloc.stop()
    early, late = max(measure.current[2:6]), max(measure.current[-4:])
    assert late - early < 64 * 1024, measure.current  # no growth with the epoch count


def test_huge_finite_input_whose_sum_overflows_is_accepted():
    from deepzoo.validation import numeric_array

    x = np.full((4, 3), 3e38, dtype=np.float32)  # finite, but the sum is not
    assert numeric_array("x", x) is x


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_input_is_refused(bad):
    x, y = blobs(16)
    x[3, 2] = bad
    with pytest.raises(dz.DataError, match=r"x contains NaN or infinite values \(first at index \(3, 2\)"):
        model().fit(x, y, verbose=0)


def test_a_ctrl_c_held_back_during_an_import_arrives_when_it_is_done():
    from deepzoo.interrupt import DeferInterrupt

    found = signal.getsignal(signal.SIGINT)  # SIG_IGN where the tests run as a background job
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own: a KeyboardInterrupt
        steps = []
        with pytest.raises(KeyboardInterrupt):
            with DeferInterrupt():
                signal.raise_signal(signal.SIGINT)
                steps.append("the import went on")
        assert steps == ["the import went on"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # ignored before: stays ignored
        with DeferInterrupt():
            signal.raise_signal(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, found)


def test_models_train_with_numbas_jit_turned_off_for_debugging():
    """``NUMBA_DISABLE_JIT=1`` runs the CPU's kernels as Python, where BLAS cannot be called
    by address (``deepzoo/backend/cpu/blas.py``): the LSTM's steps and the products that add
    into their output then take NumPy's path, and give the compiled path's results."""
    script = (
        "import numpy as np, deepzoo as dz\n"
        "rng = np.random.default_rng(0)\n"
        "lstm = dz.Sequential([dz.LSTM(8), dz.RepeatVector(2), dz.LSTM(8, return_sequences=True),\n"
        "                      dz.TimeDistributed(dz.Dense(3, activation='softmax'))],\n"
        "                     input_shape=(4, 3), seed=0)\n"
        "mlp = dz.Sequential([dz.Dense(64, activation='relu'), dz.Dense(3, activation='softmax')],\n"
        "                    input_shape=(20,), seed=0)\n"
        "x1 = rng.random((16, 4, 3), np.float32)\n"
        "y1 = np.eye(3, dtype=np.float32)[rng.integers(0, 3, (16, 2))]\n"
        "x2, y2 = rng.random((64, 20), np.float32), np.eye(3, dtype=np.float32)[rng.integers(0, 3, 64)]\n"
        "for model, x, y in ((lstm, x1, y1), (mlp, x2, y2)):\n"
        "    model.compile(optimizer='adam', loss='categorical_crossentropy')\n"
        "    print(model.train_on_batch(x, y), model.train_on_batch(x, y))\n")
    results = {}
    for disabled in ("1", "0"):
        env = {**os.environ, "NUMBA_DISABLE_JIT": disabled}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        results[disabled] = np.array(done.stdout.split(), dtype=float)
    np.testing.assert_allclose(results["1"], results["0"], rtol=1e-5)
