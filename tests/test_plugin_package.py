"""A real third-party plugin package, built and installed, used by name."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = Path(__file__).parent / "plugin_example"


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory):
    """pip-install tests/plugin_example into a private folder put on PYTHONPATH."""
    pytest.importorskip("hatchling", reason="building the example plugin needs hatchling")
    root = tmp_path_factory.mktemp("plugin")
    source, target = root / "src", root / "site"
    shutil.copytree(PLUGIN, source)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(source)],
        check=True, capture_output=True, text=True,
    )
    return target


def run(target, *args, code=None):
    import os

    env = {**os.environ, "PYTHONPATH": str(target)}
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "deepzoo", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def test_plugin_layer_is_listed(installed_plugin):
    out = run(installed_plugin, "list", "layers")
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.strip().startswith("scale"))
    assert "plugin (zoo-scale)" in line


def test_plugin_layer_trains_by_name_and_passes_the_contract(installed_plugin):
    code = textwrap.dedent("""
        import numpy as np, deepzoo
        from deepzoo.testing import check_layer
        layer_cls = deepzoo.registry.layers.get("scale")
        check_layer(layer_cls(), (4,))
        model = deepzoo.Sequential([deepzoo.layers.create("scale"), deepzoo.Dense(1)], seed=0)
        model.compile(optimizer=deepzoo.SGD(0.05), loss="mse")
        x = np.random.default_rng(0).standard_normal((64, 4)).astype("float32")
        y = x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")
        history = model.fit(x, y, batch_size=16, epochs=40, verbose=0)
        print(type(model.layers[0]).__module__, history.history["loss"][0], history.history["loss"][-1])
    """)
    out = run(installed_plugin, code=code)
    assert out.returncode == 0, out.stderr
    module, first, last = out.stdout.split()
    assert module == "zoo_scale"
    assert float(last) < 0.01 * float(first)
