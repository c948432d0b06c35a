"""The layer contract and the floors of the code, checked as a maintainer reads them."""

import ast
from pathlib import Path

import numpy as np
import pytest

import deepzoo as dz
from deepzoo.backend.reference import Ops
from deepzoo.layers import LSTM, Dense, Layer

PACKAGE = Path(dz.__file__).parent
LAYER_FAMILIES = ["dense", "conv", "pool", "core", "recurrent", "wrappers"]
GROUND = {"deepzoo.errors", "deepzoo.validation", "deepzoo.geometry", "deepzoo.seeding",
          "deepzoo.registry"}
BUILDING_BLOCKS = {"deepzoo.activations", "deepzoo.initializers"}


# ------------------------------------------------------------- the contract
def test_param_shapes_of_a_built_lstm_leaves_its_weights_alone():
    layer = LSTM(2)
    layer.ops = Ops()
    layer.build((3, 4), rng=np.random.default_rng(0))
    trained = np.full(8, 0.25)
    layer.set_weights({**layer.get_weights(), "bias": trained})
    kernel = layer.get_weights()["kernel"]
    assert layer.param_shapes((3, 4)) == {"kernel": (4, 8), "recurrent_kernel": (2, 8), "bias": (8,)}
    assert layer.param_shapes((5, 7))["kernel"] == (7, 8)  # another shape: still nothing changes
    np.testing.assert_array_equal(layer.get_weights()["bias"], trained)
    np.testing.assert_array_equal(layer.get_weights()["kernel"], kernel)
    assert layer.input_shape == (3, 4) and layer.output_shape == (2,)


def test_the_lstm_forget_gate_starts_at_one_through_its_initializer():
    layer = LSTM(3, bias_initializer="ones", unit_forget_bias=True)
    layer.ops = Ops()
    layer.build((2, 2))
    np.testing.assert_array_equal(layer.get_weights()["bias"], np.ones(12))
    plain = LSTM(3, unit_forget_bias=False)
    plain.ops = Ops()
    plain.build((2, 2))
    np.testing.assert_array_equal(plain.get_weights()["bias"], np.zeros(12))
    opened = LSTM(3)
    opened.ops = Ops()
    opened.build((2, 2))
    np.testing.assert_array_equal(opened.get_weights()["bias"], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert opened.get_config()["bias_initializer"] == "zeros"


class RecordingOps(Ops):
    """A hand-made Ops: the reference, writing down every product it is asked for."""

    def __init__(self):
        self.products = []

    def matmul(self, a, b, trans_a=False, trans_b=False, out=None, accumulate=False):
        self.products.append((tuple(a.shape), tuple(b.shape), trans_a, trans_b))
        return super().matmul(a, b, trans_a, trans_b, out, accumulate)


def test_a_layer_built_and_run_alone_computes_only_through_the_ops_it_was_given():
    ops = RecordingOps()
    layer = Dense(3, activation="tanh")
    layer.ops = ops
    layer.build((4,), rng=np.random.default_rng(1))
    x = np.random.default_rng(2).standard_normal((5, 4)).astype("float32")
    y, backward = layer.forward(x, training=True)
    w, b = layer.get_weights()["kernel"], layer.get_weights()["bias"]
    np.testing.assert_allclose(y, np.tanh(x @ w + b), rtol=1e-6)
    dx = backward(np.ones_like(y))
    np.testing.assert_allclose(dx, (1 - y**2) @ w.T, rtol=1e-5)
    assert ops.products == [((5, 4), (4, 3), False, False), ((5, 4), (5, 3), True, False),
                            ((5, 3), (4, 3), False, True)]
    # the first layer of a model is told nobody needs dL/dx: one product fewer
    ops.products.clear()
    y, backward = layer.forward(x, training=True, input_gradient=False)
    assert backward(np.ones_like(y)) is None and len(ops.products) == 2


def test_the_fused_option_skips_the_activation_backward_only_when_asked():
    layer = Dense(3, activation="softmax")
    layer.ops = Ops()
    layer.build((4,))
    x = np.random.default_rng(0).standard_normal((2, 4))
    y, backward = layer.forward(x, training=True, fused_activation=True)
    dz = np.random.default_rng(1).standard_normal(y.shape)
    np.testing.assert_allclose(backward(dz), dz @ layer.get_weights()["kernel"].T)
    assert Dense.accepts("fused_activation") and not Layer.accepts("fused_activation")


class PlainSoftmaxLayer(Layer):
    """A plugin-style layer with an ``activation`` attribute and a plain forward."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.activation = dz.activations.get("softmax")

    def forward(self, x, training=False):
        y, activation_backward = self.activation.forward(self.ops, x)
        return y, activation_backward


def test_a_layer_that_does_not_take_the_fused_option_is_never_fused():
    model = dz.Sequential([dz.Dense(3), PlainSoftmaxLayer()], input_shape=(2,), seed=0,
                          device="numpy")
    model.compile(loss="categorical_crossentropy")
    assert not model.fused_output
    dense_last = dz.Sequential([dz.Dense(3, activation="softmax")], input_shape=(2,), device="numpy")
    dense_last.compile(loss="categorical_crossentropy")
    assert dense_last.fused_output


def test_loading_a_model_runs_no_initializer(tmp_path):
    calls = []

    def counted(shape, fan_in, fan_out, rng):
        calls.append(shape)
        return rng.uniform(-1, 1, size=shape)

    dz.register_initializer("counted_for_test", counted)
    try:
        model = dz.Sequential([dz.Dense(4, kernel_initializer="counted_for_test"), dz.Dense(1)],
                              input_shape=(3,), seed=0)
        model.build()
        assert calls == [(3, 4)]
        model.save(tmp_path / "m.dzm")
        again = dz.load_model(tmp_path / "m.dzm")
        assert calls == [(3, 4)]
        assert again.layers[0].kernel_initializer is counted
        np.testing.assert_array_equal(again.get_weights_by_layer()["dense"]["kernel"],
                                      model.get_weights_by_layer()["dense"]["kernel"])
    finally:
        dz.registry.initializers.unregister("counted_for_test")


# ------------------------------------------------------------ the floors
def _imports(path: Path):
    """``(module imported, at module level?)`` for every import in a file, relative ones resolved."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    if path.name == "__init__.py":
        module = package
    tree = ast.parse(path.read_text())
    top_level = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                target = candidate if _is_module(candidate) else base
                found.append((target, id(node) in top_level))
    return module, found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _all_modules():
    return {m: found for m, found in map(_imports, sorted(PACKAGE.rglob("*.py")))}


def test_no_layer_imports_a_backend_module_but_the_one_documented_default():
    for name in LAYER_FAMILIES + ["base", "__init__"]:
        module, found = _imports(PACKAGE / "layers" / f"{name}.py")
        backend = [(target, top) for target, top in found if target.startswith("deepzoo.backend")]
        if name == "base":  # Layer.ops gives a standalone layer the default Ops, lazily
            assert backend == [("deepzoo.backend", False)], backend
        else:
            assert backend == [], f"{module} imports {backend}"


def test_each_layer_family_imports_only_the_ground_floor_blocks_and_base():
    allowed = GROUND | BUILDING_BLOCKS | {"deepzoo.layers.base", "math", "__future__", "numpy"}
    for name in LAYER_FAMILIES:
        module, found = _imports(PACKAGE / "layers" / f"{name}.py")
        stray = {target for target, _ in found if target not in allowed}
        assert not stray, f"{module} imports {sorted(stray)}"


def test_the_kernels_and_ops_know_nothing_of_layers_models_or_registries():
    for module, found in _all_modules().items():
        if module.startswith("deepzoo.backend."):
            above = {t for t, _ in found if t.startswith("deepzoo.") and not
                     (t.startswith("deepzoo.backend") or t in ("deepzoo.errors", "deepzoo.geometry"))}
            assert not above, f"{module} imports {sorted(above)}"


def test_there_is_no_import_circle_in_the_package():
    graph = {m: {t for t, _ in found if t.startswith("deepzoo") and t != m}
             for m, found in _all_modules().items()}
    # a package's own __init__ is imported before any of its modules: it is not an edge
    # of its modules, but it is one of the modules that import it
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for target in graph.get(node, ()):
            if node.startswith(target + "."):
                continue  # a module importing a name from its own package
            if state.get(target) == "open":
                pytest.fail("import circle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
