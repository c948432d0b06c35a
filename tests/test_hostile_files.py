"""Hostile files and faults, round two: each finding of the second probe, kept fixed.

Every crafted file must fail fast with ModelFileError (and one line from the CLI,
never a traceback), within a memory limit; saves clean up after killed saves and
respect the umask; data that overflows float32 and NaN losses are reported.
"""

import io
import json
import os
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

import deepzoo as dz
from deepzoo import DataError, ModelFileError, ShapeError, load_model
from deepzoo.cli import main


def mlp(width=16, seed=0):
    model = dz.Sequential([dz.Dense(width, activation="relu"), dz.Dense(2, activation="softmax")],
                          input_shape=(4,), seed=seed)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture
def saved(tmp_path):
    model = mlp()
    model.fit(np.random.default_rng(0).standard_normal((32, 4)), np.arange(32) % 2, epochs=1, verbose=0)
    path = tmp_path / "model.dzm"
    model.save(path)
    return path


def rebuild(path, name="crafted.dzm", meta=None, replace=None, compress=None):
    """A copy of a model file with meta.json changed, entries replaced, or one entry compressed."""
    entries = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            entries[info.filename] = zf.read(info)
    if meta:
        description = json.loads(entries["meta.json"])
        meta(description)
        entries["meta.json"] = json.dumps(description).encode()
    entries.update(replace or {})
    out = path.with_name(name)
    with zipfile.ZipFile(out, "w") as zf:
        for entry, content in entries.items():
            method = compress[1] if compress and entry == compress[0] else zipfile.ZIP_STORED
            zf.writestr(entry, content, compress_type=method)
    return out


def npy_header(shape, descr="<f4", fortran=False):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return buffer.getvalue()


# ------------------------------------------------------ 1. compressed entries
@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, zipfile.ZIP_DEFLATED])
def test_a_compressed_entry_is_refused_before_anything_is_read(saved, method):
    crafted = rebuild(saved, compress=("weights/dense/kernel.npy", method))
    tracemalloc.start()
    with pytest.raises(ModelFileError, match="is compressed .* stored entries only"):
        load_model(crafted)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 << 20


# ----------------------------------------------- 2. one allocation per weight
def test_loading_allocates_each_weight_once_and_runs_no_initializer(tmp_path):
    model = dz.Sequential([dz.Dense(1000, kernel_initializer="orthogonal"), dz.Dense(1000)],
                          input_shape=(1000,), seed=0)
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path / "big.dzm"
    model.save(path)
    weight_bytes = sum(w.nbytes for w in model.get_weights())  # 8 MB
    dz.get_ops()  # the backend exists already, as in any process that loads a model
    tracemalloc.start()
    started = time.perf_counter()
    again = load_model(path)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1.5 * weight_bytes + (2 << 20), f"peak {peak:,} bytes for {weight_bytes:,} of weights"
    assert seconds < 2  # no QR decomposition of a 1000 x 1000 matrix, no second copy
    np.testing.assert_array_equal(again.predict(np.ones((1, 1000))), model.predict(np.ones((1, 1000))))


# ---------------------------------------------------- 3. one error type
def test_every_malformed_description_is_a_model_file_error(saved):
    cases = {
        "huge JSON integer": rebuild(saved, "a.dzm", replace={
            "meta.json": saved.read_bytes()[:0] + b'{"format": "deepzoo-model", "format_version": '
                         + b"9" * 5000 + b"}"}),
        "huge npy shape": rebuild(saved, "b.dzm", replace={
            "weights/dense/kernel.npy": npy_header((10**200, 10**200))}),
        "boolean iterations": rebuild(saved, "c.dzm", meta=lambda m: m["compile"]["optimizer"].__setitem__(
            "iterations", True)),
        "Fortran order": rebuild(saved, "d.dzm", replace={
            "weights/dense/kernel.npy": npy_header((4, 16), fortran=True) + bytes(4 * 16 * 4)}),
    }
    messages = {}
    for case, path in cases.items():
        with pytest.raises(ModelFileError) as caught:
            load_model(path)
        messages[case] = str(caught.value)
    assert "not valid JSON" in messages["huge JSON integer"]
    assert "claims shape" in messages["huge npy shape"]
    assert "'optimizer.iterations' must be an integer" in messages["boolean iterations"]
    assert "Fortran" in messages["Fortran order"] and "dtype" not in messages["Fortran order"]


class _FakeEntryPoint:
    """An installed plugin whose module does something on import."""

    def __init__(self, action):
        self.action, self.value = action, "evil_plugin:Layer"

    def load(self):
        return self.action()


@pytest.fixture
def plugin_slot(monkeypatch):
    """Install a fake plugin under the layer name 'evil' for one test."""
    from deepzoo.registry import Entry, layers

    layers.names()  # scan the entry points first

    def install(action):
        monkeypatch.setitem(layers._entries, "evil", Entry("evil", entry_point=_FakeEntryPoint(action),
                                                           distribution="evil-plugin"))
    return install


def test_a_plugin_cannot_end_the_process_or_pass_for_a_layer(saved, plugin_slot):
    crafted = rebuild(saved, meta=lambda m: m["model"]["layers"][0].__setitem__("class_name", "evil"))
    plugin_slot(lambda: sys.exit(3))
    with pytest.warns(dz.registry.PluginWarning), pytest.raises(ModelFileError, match="could not be loaded"):
        load_model(crafted)
    plugin_slot(lambda: (lambda **config: 42))  # a "layer" that makes an int
    with pytest.raises(ModelFileError, match="which is not a Layer class"):
        load_model(crafted)
    plugin_slot(lambda: (_ for _ in ()).throw(ImportError("no module named torch_helpers")))
    with pytest.warns(dz.registry.PluginWarning), pytest.raises(
            ModelFileError, match="installed but could not be loaded.*torch_helpers"):
        load_model(crafted)


# --------------------------------------------- 4. activation sizes
def test_a_config_that_implies_huge_activations_is_refused(saved, tmp_path):
    model = dz.Sequential([dz.RepeatVector(2), dz.Flatten()], input_shape=(2,))
    model.build()
    model.compile(loss="mse")
    path = tmp_path / "repeat.dzm"
    model.save(path)
    crafted = rebuild(path, meta=lambda m: m["model"]["layers"][0]["config"].__setitem__("n", 2**26))
    with pytest.raises(ModelFileError, match="would give each sample an output of shape"):
        load_model(crafted)
    with pytest.raises(ShapeError, match="the limit is 16,777,216"):
        dz.Sequential([dz.RepeatVector(2**26)], input_shape=(2,)).build()
    with pytest.raises(ShapeError, match="would give each sample"):
        dz.Sequential([dz.Conv2D(64, 3, padding=10**4)], input_shape=(8, 8, 1)).build()


# ----------------------------------------------- 5. and 6. data and NaN
def test_inputs_beyond_float32_are_named_not_turned_into_infinities():
    model = mlp()
    with pytest.raises(DataError, match=r"beyond the range of float32 .* column 1, from -1e\+300 to 1e\+300"):
        model.predict(np.array([[0.0, 1e300, 0, 0], [0, -1e300, 0, 0]]))


def test_a_nan_loss_stops_fit_by_default_and_says_where():
    model = dz.Sequential([dz.Dense(1)], input_shape=(2,), seed=0)
    model.compile(optimizer=dz.SGD(1e10), loss="mse")
    x = np.random.default_rng(0).standard_normal((64, 2)) * 1e3
    with pytest.warns(RuntimeWarning, match=r"loss became .* in epoch 1, batch \d+.*smaller learning rate"):
        history = model.fit(x, x[:, :1] * 1e3, epochs=50, verbose=0)
    assert len(history.epoch) <= 1
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="training stopped")  # opted out: every epoch runs
        history = model.fit(x, x[:, :1], epochs=3, verbose=0, terminate_on_nan=False)
    assert len(history.epoch) == 3


# ------------------------------------------------ 8. to 10. saving
def test_a_save_removes_what_killed_saves_left(tmp_path):
    model = mlp()
    target = tmp_path / "model.dzm"
    stale, fresh, other = (tmp_path / ".model.dzm.k1ll3d.tmp", tmp_path / ".model.dzm.inpr0g.tmp",
                           tmp_path / ".other.dzm.k1ll3d.tmp")
    for leftover in (stale, fresh, other):
        leftover.write_bytes(b"partial")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    model.save(target)
    assert not stale.exists() and fresh.exists() and other.exists()  # only this target's, only old ones
    assert load_model(target).count_params() == model.count_params()


def test_saved_files_follow_the_umask_and_keep_an_overwritten_files_mode(tmp_path):
    model = mlp()
    previous = os.umask(0o027)
    try:
        model.save(tmp_path / "new.dzm")
        assert stat.S_IMODE((tmp_path / "new.dzm").stat().st_mode) == 0o640
        os.chmod(tmp_path / "new.dzm", 0o644)
        model.save(tmp_path / "new.dzm")
        assert stat.S_IMODE((tmp_path / "new.dzm").stat().st_mode) == 0o644
    finally:
        os.umask(previous)


def test_path_edge_cases(tmp_path):
    model = mlp()
    long_name = tmp_path / ("m" * 250 + ".dzm")  # 254 characters: legal, and the limit is 255
    model.save(long_name)
    assert load_model(long_name).count_params() == model.count_params()
    with pytest.raises(ModelFileError, match="names no file"):
        model.save("")
    real = tmp_path / "real.dzm"
    model.save(real)
    link = tmp_path / "link.dzm"
    link.symlink_to(real)
    mlp(seed=1).save(link)
    assert link.is_symlink() and load_model(real).count_params() == model.count_params()
    with pytest.raises(ModelFileError, match="not a regular file"):
        load_model(tmp_path)


# ------------------------------------------- the CLI, on every crafted file
def test_predict_prints_one_line_for_every_crafted_file(saved, tmp_path, plugin_slot):
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.zeros((2, 4), dtype="float32"))
    crafted = [
        rebuild(saved, "c1.dzm", compress=("weights/dense/kernel.npy", zipfile.ZIP_LZMA)),
        rebuild(saved, "c2.dzm", replace={"weights/dense/kernel.npy": npy_header((10**200, 10**200))}),
        rebuild(saved, "c3.dzm", replace={"meta.json": b'{"format_version": ' + b"7" * 5000 + b"}"}),
        rebuild(saved, "c4.dzm", meta=lambda m: m["model"]["layers"][0].__setitem__("class_name", "evil")),
        tmp_path,
    ]
    plugin_slot(lambda: sys.exit(3))
    runner = CliRunner()
    for path in crafted:
        result = runner.invoke(main, ["predict", str(path), str(inputs)])
        assert result.exit_code in (1, 2), (path, result.output)  # 2: click's own usage error
        assert "Traceback" not in result.output
        assert len([line for line in result.output.splitlines() if line.startswith("Error")]) == 1
    huge = tmp_path / "huge.npy"
    huge.write_bytes(npy_header((2**40, 2**20)))  # declares 4 PiB
    result = runner.invoke(main, ["predict", str(saved), str(huge)])
    assert result.exit_code == 1 and "declares" in result.output and "Traceback" not in result.output
    odd_name = tmp_path / "model.npy"  # a model file with the output's extension
    odd_name.write_bytes(saved.read_bytes())
    result = runner.invoke(main, ["predict", str(odd_name), str(inputs), "--output", str(odd_name)])
    assert result.exit_code == 1 and "the model file itself" in result.output
    assert odd_name.read_bytes() == saved.read_bytes()


def test_crafted_files_fail_fast_under_a_memory_limit(saved, tmp_path):
    """The crafted files again, each loaded in a process that may not use more than 1 GiB."""
    crafted = [
        rebuild(saved, "m1.dzm", compress=("weights/dense/kernel.npy", zipfile.ZIP_BZIP2)),
        rebuild(saved, "m2.dzm", replace={"weights/dense/kernel.npy": npy_header((10**200, 10**200))}),
        rebuild(saved, "m3.dzm", meta=lambda m: m["model"]["layers"][0]["config"].__setitem__("units", 2**40)),
    ]
    script = textwrap.dedent("""
        import resource, sys, time
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        import deepzoo
        for path in sys.argv[1:]:
            started = time.perf_counter()
            try:
                deepzoo.load_model(path)
            except deepzoo.ModelFileError:
                pass
            else:
                sys.exit(f"{path} loaded")
            if time.perf_counter() - started > 2:
                sys.exit(f"{path} took too long")
    """)
    done = subprocess.run([sys.executable, "-c", script, *map(str, crafted)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]


def test_a_checkpoint_pattern_is_checked_before_training(tmp_path):
    with pytest.raises(dz.ConfigError, match="not a valid file name pattern"):
        dz.ModelCheckpoint(str(tmp_path / "run{epoch"))
    with pytest.raises(dz.ConfigError, match="fields need names"):
        dz.ModelCheckpoint(str(tmp_path / "run{}.dzm"))
    checkpoint = dz.ModelCheckpoint(str(tmp_path / "run{name}/m-{epoch}.dzm"))
    model = mlp()
    with pytest.raises(dz.ConfigError, match="names name, which the logs do not have"):
        model.fit(np.zeros((8, 4)), np.zeros(8), epochs=1, verbose=0, callbacks=[checkpoint])


def test_each_data_file_is_read_once(monkeypatch):
    from pathlib import Path

    from shared_data import DATA, needs_mnist  # noqa: F401

    if not (DATA / "mnist").is_dir():
        pytest.skip("the MNIST files are not here")
    reads = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or original(self))
    import gzip

    monkeypatch.setattr(gzip, "open", lambda *a, **k: pytest.fail("a file was opened a second time"))
    from deepzoo.datasets import load_mnist, mnist

    (x_train, _), _ = load_mnist(data_dir=DATA)
    assert sorted(reads) == sorted(mnist.FILES) and x_train.shape == (60000, 28, 28)


def test_no_writable_cache_folder_means_compiling_each_time_not_a_crash():
    """As with a read-only install and an unwritable home: numba finds no cache folder."""
    script = textwrap.dedent("""
        import warnings
        from numba.core import caching
        caching.CacheImpl._locator_classes = []  # no folder numba may write
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import numpy as np
            import deepzoo
            model = deepzoo.Sequential([deepzoo.Conv2D(2, 3, activation="relu"), deepzoo.Flatten(),
                                        deepzoo.Dense(1)], input_shape=(5, 5, 1), seed=0)
            model.compile(loss="mse")
            model.fit(np.ones((4, 5, 5, 1)), np.ones((4, 1)), verbose=0)
        told = [str(w.message) for w in caught if "NUMBA_CACHE_DIR" in str(w.message)]
        assert len(told) == 1, told
        print("trained without a cache")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "trained without a cache" in done.stdout, done.stderr[-2000:]


def test_a_damaged_kernel_cache_is_recompiled_not_a_crash(tmp_path):
    """Cache files cut short or overwritten (a full disk): the kernels compile again, once said."""
    script = textwrap.dedent("""
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import numpy as np
            import deepzoo
            model = deepzoo.Sequential([deepzoo.Dense(3, activation="relu"), deepzoo.Dense(1)],
                                       input_shape=(2,), seed=0)
            model.compile(loss="mse")
            model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
        print(sum("could not be read" in str(w.message) for w in caught))
    """)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}

    def run():
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                              env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        return int(done.stdout.split()[-1])

    assert run() == 0  # a cold cache, filled
    files = list((tmp_path / "cache").rglob("*.nbi")) + list((tmp_path / "cache").rglob("*.nbc"))
    assert files
    for damaged in files:
        damaged.write_bytes(b"cut short")
    assert run() == 1  # one warning for the whole run, and it trains
    assert run() == 0  # the rewritten cache is read again


def test_a_fractional_label_is_named_as_such():
    model = dz.Sequential([dz.Dense(3, activation="softmax")], input_shape=(2,))
    model.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(DataError, match=r"must be whole numbers .* received 1\.5"):
        model.fit(np.zeros((3, 2)), np.array([0, 1.5, 2]), verbose=0)
    with pytest.raises(DataError, match=r"class indices in \[0, 2\], received values from 0 to 3"):
        model.fit(np.zeros((3, 2)), np.array([0, 1, 3]), verbose=0)
