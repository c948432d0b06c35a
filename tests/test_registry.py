"""The registries: lazy entry points, clear errors, no shadowing, broken plugins contained."""

import subprocess
import sys
import textwrap
import warnings

import pytest

import deepzoo
from deepzoo.errors import RegistryError
from deepzoo.registry import PluginWarning, Registry


def make_fake_distribution(root, dist, group_lines, modules):
    """Write an installed-looking distribution (dist-info + modules) under ``root``."""
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(group_lines)
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("zoo_test_")]:
        del sys.modules[name]


def test_builtins_come_from_deepzoos_own_entry_points():
    assert {"dense", "maxout", "dropout", "flatten", "activation"} <= set(deepzoo.registry.layers.names())
    assert deepzoo.registry.layers.find("dense")["source"] == "built-in"
    assert deepzoo.registry.layers.find("dense")["entry_point"] == "deepzoo.layers.dense:Dense"
    assert deepzoo.registry.layers.get("dense") is deepzoo.Dense


def test_unknown_name_lists_available_names_and_closest_match():
    with pytest.raises(RegistryError) as err:
        deepzoo.registry.activations.get("reul")
    message = str(err.value)
    assert "unknown activation 'reul'" in message
    assert "Did you mean 'relu'?" in message
    assert "sigmoid" in message and "tanh" in message
    with pytest.raises(RegistryError, match="Did you mean 'dense'"):
        deepzoo.Sequential([deepzoo.layers.create("dence", units=3)])


def test_unknown_names_in_compile_and_dense():
    with pytest.raises(RegistryError, match="unknown optimizer 'adamm'.*Did you mean 'adam'"):
        deepzoo.Sequential([deepzoo.Dense(1)]).compile(optimizer="adamm", loss="mse")
    with pytest.raises(RegistryError, match="unknown loss"):
        deepzoo.Sequential([deepzoo.Dense(1)]).compile(loss="cross_entropy")
    with pytest.raises(RegistryError, match="unknown activation 'rleu'"):
        deepzoo.Dense(3, activation="rleu")


def test_register_in_code_as_decorator_and_call():
    reg = Registry("activations")

    @reg.register("double")
    class Double:
        pass

    def halve():
        pass

    reg.register("halve", halve)
    assert reg.get("double") is Double
    assert reg.get("HALVE") is halve
    assert reg.find("double")["source"] == "registered in code"
    assert reg.name_of(Double) == "double"


def test_taken_name_needs_explicit_override():
    reg = Registry("layers")
    with pytest.raises(RegistryError, match="already taken by built-in.*override=True"):
        reg.register("dense", object())
    replacement = type("MyDense", (), {})
    reg.register("dense", replacement, override=True)
    assert reg.get("dense") is replacement
    # the module-wide registry is untouched
    assert deepzoo.registry.layers.get("dense") is deepzoo.Dense


def test_public_register_functions(request):
    @deepzoo.register_activation("zoo_test_square")
    class Square(deepzoo.activations.ActivationFunction):
        name = "zoo_test_square"

    request.addfinalizer(lambda: deepzoo.registry.activations.unregister("zoo_test_square"))
    assert deepzoo.activations.get("zoo_test_square").__class__ is Square


def test_entry_points_are_read_lazily_and_plugins_imported_on_demand(plugin_path):
    make_fake_distribution(
        plugin_path, "zoo-test-lazy",
        "[deepzoo.layers]\nzoo_lazy = zoo_test_lazy:Thing\n",
        {"zoo_test_lazy": "class Thing:\n    pass\n"},
    )
    reg = Registry("layers")
    assert not reg._scanned
    assert "zoo_lazy" in reg.names()
    assert "zoo_test_lazy" not in sys.modules  # listing imports nothing
    assert reg.find_source("zoo_lazy") == "plugin (zoo-test-lazy)"
    thing = reg.get("zoo_lazy")
    assert "zoo_test_lazy" in sys.modules and thing.__name__ == "Thing"


def test_broken_plugin_warns_and_leaves_other_names_working(plugin_path):
    make_fake_distribution(
        plugin_path, "zoo-test-broken",
        "[deepzoo.layers]\nzoo_broken = zoo_test_broken:Layer\n",
        {"zoo_test_broken": "raise ImportError('this plugin is broken on purpose')\n"},
    )
    reg = Registry("layers")
    assert reg.get("dense") is deepzoo.Dense
    with pytest.warns(PluginWarning, match="zoo_broken.*zoo-test-broken.*broken on purpose"):
        with pytest.raises(RegistryError, match="could not be loaded"):
            reg.get("zoo_broken")
    assert reg.get("maxout") is deepzoo.Maxout


def test_plugin_cannot_shadow_a_builtin(plugin_path):
    make_fake_distribution(
        plugin_path, "zoo-test-shadow",
        "[deepzoo.layers]\ndense = zoo_test_shadow:FakeDense\n",
        {"zoo_test_shadow": "class FakeDense:\n    pass\n"},
    )
    reg = Registry("layers")
    with pytest.warns(PluginWarning, match="'dense' from zoo-test-shadow .* skipped.*built-in"):
        names = reg.names()
    assert names.count("dense") == 1
    assert reg.get("dense") is deepzoo.Dense
    assert "zoo_test_shadow" not in sys.modules


def test_broken_plugin_never_breaks_import_deepzoo(tmp_path):
    make_fake_distribution(
        tmp_path, "zoo-test-import",
        "[deepzoo.layers]\nzoo_bad = zoo_test_import:X\n",
        {"zoo_test_import": "raise RuntimeError('boom')\n"},
    )
    code = "import deepzoo, sys; print('zoo_test_import' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path), "PATH": ""}, check=True)
    assert out.stdout.strip() == "False"


def test_import_deepzoo_is_light():
    code = ("import sys, deepzoo; heavy = [m for m in ('numba', 'numba.cuda', 'matplotlib', "
            "'pooch', 'tqdm', 'torch') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_registry_rejects_bad_names():
    with pytest.raises(RegistryError, match="non-empty string"):
        Registry("layers").register("", object())
    with pytest.raises(RegistryError, match="by name"):
        deepzoo.registry.layers.get(3)


def test_find_tells_where_a_name_was_defined():
    info = deepzoo.registry.optimizers.find("adam")
    assert info["module"] == "deepzoo.optimizers"
    assert info["file"].endswith("optimizers.py") and info["line"] > 1


def test_no_warnings_for_a_clean_install():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for reg in deepzoo.registry.REGISTRIES.values():
            Registry(reg.kind).names()
