"""deepzoo against reference values computed with PyTorch in float64.

The values live in ``fixtures/torch_reference.npz``; regenerate them with
``python tests/fixtures/generate_torch_reference.py``. The last test regenerates
them live when torch is installed and checks the file still matches.
"""

import numpy as np
import pytest

import deepzoo
from deepzoo import activations, losses, optimizers
from deepzoo.layers import Dense, Maxout

TOL = {"rtol": 1e-9, "atol": 1e-10}
ACTIVATION_NAMES = ["linear", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax"]
LOSS_NAMES = ["mean_squared_error", "sum_squared_error", "binary_crossentropy",
              "categorical_crossentropy", "sparse_categorical_crossentropy"]


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_matches_torch(ops, torch_ref, name):
    k = f"act/{name}/"
    fn = activations.get(name)  # leaky_relu default alpha 0.1, elu alpha 1.0: as generated
    y, backward = fn.forward(ops, ops.asarray(torch_ref[k + "x"].copy()))
    np.testing.assert_allclose(ops.to_host(y), torch_ref[k + "y"], **TOL)
    np.testing.assert_allclose(ops.to_host(backward(ops.asarray(torch_ref[k + "w"]))),
                               torch_ref[k + "dx"], **TOL)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_matches_torch(ops, torch_ref, name):
    k = f"loss/{name}/"
    loss = losses.get(name)
    t = loss.prepare_targets(torch_ref[k + "y_true"], np.float64)
    value, grad = loss.forward(ops, ops.asarray(torch_ref[k + "y_pred"]), ops.asarray(t))
    assert value == pytest.approx(float(torch_ref[k + "value"]), rel=1e-10)
    np.testing.assert_allclose(ops.to_host(grad), torch_ref[k + "grad"], **TOL)


def test_fused_softmax_crossentropy_matches_torch_cross_entropy(ops, torch_ref):
    k = "fused/softmax_ce/"
    y, _ = activations.get("softmax").forward(ops, ops.asarray(torch_ref[k + "logits"].copy()))
    loss = losses.get("sparse_categorical_crossentropy")
    value, grad = loss.forward(ops, y, ops.asarray(torch_ref[k + "labels"]), fused=True)
    assert value == pytest.approx(float(torch_ref[k + "value"]), rel=1e-10)
    np.testing.assert_allclose(ops.to_host(grad), torch_ref[k + "grad"], **TOL)


def test_fused_sigmoid_bce_matches_torch_bce_with_logits(ops, torch_ref):
    k = "fused/sigmoid_bce/"
    y, _ = activations.get("sigmoid").forward(ops, ops.asarray(torch_ref[k + "logits"].copy()))
    value, grad = losses.get("binary_crossentropy").forward(
        ops, y, ops.asarray(torch_ref[k + "targets"]), fused=True)
    assert value == pytest.approx(float(torch_ref[k + "value"]), rel=1e-8)
    np.testing.assert_allclose(ops.to_host(grad), torch_ref[k + "grad"], **TOL)


def _run_layer(layer, ops, prefix, torch_ref, weights):
    layer.ops = ops
    layer.dtype = np.dtype("float64")
    x = torch_ref[prefix + "x"]
    layer.build(x.shape[1:])
    layer.set_weights(weights)
    y, backward = layer.forward(ops.asarray(x), training=True)
    np.testing.assert_allclose(ops.to_host(y), torch_ref[prefix + "y"], **TOL)
    layer.zero_grads()
    dx = backward(ops.asarray(torch_ref[prefix + "w"]))
    np.testing.assert_allclose(ops.to_host(dx), torch_ref[prefix + "dx"], **TOL)
    np.testing.assert_allclose(ops.to_host(layer.grads["kernel"]), torch_ref[prefix + "dkernel"], **TOL)
    np.testing.assert_allclose(ops.to_host(layer.grads["bias"]), torch_ref[prefix + "dbias"], **TOL)


@pytest.mark.parametrize("name", [a for a in ACTIVATION_NAMES if a != "step"])
def test_dense_matches_torch(ops, torch_ref, name):
    k = f"dense/{name}/"
    _run_layer(Dense(3, activation=name), ops, k, torch_ref,
               {"kernel": torch_ref[k + "kernel"], "bias": torch_ref[k + "bias"]})


def test_maxout_matches_torch(ops, torch_ref):
    _run_layer(Maxout(3, pieces=2), ops, "maxout/", torch_ref,
               {"kernel": torch_ref["maxout/kernel"], "bias": torch_ref["maxout/bias"]})


OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1),
    "sgd_momentum": lambda: optimizers.SGD(0.1, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "adagrad": lambda: optimizers.Adagrad(0.1, epsilon=1e-7, initial_accumulator_value=0.1),
    "rmsprop": lambda: optimizers.RMSprop(0.01, rho=0.9, epsilon=1e-7),
    "adadelta": lambda: optimizers.Adadelta(1.0, rho=0.95, epsilon=1e-6),
    "adam": lambda: optimizers.Adam(0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_trajectory_matches_torch_optim(ops, torch_ref, name):
    """One step and a 20-step trajectory equal torch.optim's within 1e-6."""
    opt = OPTIMIZERS[name]()
    param = ops.asarray(torch_ref["optim/p0"].copy())
    grad = ops.alloc(param.shape, "float64")
    expected = torch_ref[f"optim/{name}/trajectory"]
    for step, g in enumerate(torch_ref["optim/grads"]):
        ops.assign(grad, ops.asarray(g))
        opt.step(ops, [("w", param, grad)])
        np.testing.assert_allclose(ops.to_host(param), expected[step], rtol=0, atol=1e-6,
                                   err_msg=f"{name}, step {step + 1}")


def test_fixture_file_is_reproducible_with_torch(tmp_path, torch_ref):
    torch = pytest.importorskip("torch")
    import importlib.util
    from pathlib import Path

    script = Path(__file__).parent / "fixtures" / "generate_torch_reference.py"
    spec = importlib.util.spec_from_file_location("generate", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.OUT = tmp_path / "fresh.npz"
    module.main()
    torch.set_default_dtype(torch.float32)
    with np.load(module.OUT) as fresh:
        assert set(fresh.files) == set(torch_ref)
        for key in fresh.files:
            np.testing.assert_allclose(fresh[key], torch_ref[key], rtol=1e-12, atol=1e-14, err_msg=key)


def test_deepzoo_never_imports_torch():
    import sys

    assert deepzoo is not None
    mods = [m for m in sys.modules if m.startswith("deepzoo")]
    assert mods
    for name in mods:
        src = getattr(sys.modules[name], "__file__", None) or ""
        if src.endswith(".py"):
            text = open(src, encoding="utf-8").read()
            assert "import torch" not in text, name


LAYER_CONFIGS = {"reshape": {"target_shape": [3, 4]}, "re_lu": {}, "leaky_re_lu": {"negative_slope": 0.2},
                 "elu": {"alpha": 0.5}, "softmax": {}, "global_average_pooling2d": {},
                 "global_max_pooling2d": {}, "zero_padding2d": {"padding": [[1, 0], [2, 1]]}}


@pytest.mark.parametrize("name", sorted(LAYER_CONFIGS))
def test_parameterless_layers_match_torch(ops, name):
    """Output and input gradient in float64 against PyTorch's (fixtures/torch_additions_reference.npz)."""
    from pathlib import Path

    from deepzoo import registry

    reference = np.load(Path(__file__).parent / "fixtures" / "torch_additions_reference.npz")
    x, dy = reference[f"{name}/x"], reference[f"{name}/dy"]
    layer = registry.layers.get(name).from_config({**LAYER_CONFIGS[name], "dtype": "float64"})
    layer.ops = ops
    layer.build(x.shape[1:])
    y, backward = layer.forward(ops.asarray(x), training=True)
    np.testing.assert_allclose(ops.to_host(y), reference[f"{name}/y"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ops.to_host(backward(ops.asarray(dy))), reference[f"{name}/dx"],
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,loss", [("mean_absolute_error", {}), ("huber", {}),
                                       ("huber_delta_0.5", {"delta": 0.5}), ("kl_divergence", {}),
                                       ("hinge", {})])
def test_regression_losses_match_torch(ops, name, loss):
    from pathlib import Path

    from deepzoo import registry

    reference = np.load(Path(__file__).parent / "fixtures" / "torch_additions_reference.npz")
    y, t = reference[f"{name}/y"], reference[f"{name}/t"]
    made = registry.losses.get(name.split("_delta")[0])(**loss)
    value, grad = made.forward(ops, ops.asarray(y), ops.asarray(t))
    assert value == pytest.approx(float(reference[f"{name}/value"]), rel=1e-12)
    np.testing.assert_allclose(ops.to_host(grad), reference[f"{name}/grad"], rtol=1e-12, atol=1e-15)


def test_prelu_matches_torch(ops):
    from pathlib import Path

    reference = np.load(Path(__file__).parent / "fixtures" / "torch_additions_reference.npz")
    layer = deepzoo.PReLU(shared_axes=[1], dtype="float64")
    layer.ops = ops
    layer.build((3, 4))
    layer.set_weights({"alpha": reference["p_re_lu/alpha"].reshape(1, 4)})
    y, backward = layer.forward(ops.asarray(reference["p_re_lu/x"]), training=True)
    np.testing.assert_allclose(ops.to_host(y), reference["p_re_lu/y"], rtol=1e-12, atol=1e-14)
    dx = backward(ops.asarray(reference["p_re_lu/dy"]))
    np.testing.assert_allclose(ops.to_host(dx), reference["p_re_lu/dx"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ops.to_host(layer.grads["alpha"]).ravel(), reference["p_re_lu/dalpha"],
                               rtol=1e-12)


def test_adamw_trajectory_matches_torch(ops):
    """20 steps of AdamW (weight decay 0.1) equal torch.optim.AdamW's within 1e-6."""
    from pathlib import Path

    from deepzoo.optimizers import AdamW

    reference = np.load(Path(__file__).parent / "fixtures" / "torch_additions_reference.npz")
    optimizer = AdamW(0.01, weight_decay=0.1, epsilon=1e-7)
    param = ops.asarray(reference["adamw/p0"].copy())
    grad = ops.alloc(param.shape, "float64")
    for step, g in enumerate(reference["adamw/grads"]):
        ops.assign(grad, ops.asarray(g))
        optimizer.step(ops, [("w", param, grad)])
        np.testing.assert_allclose(ops.to_host(param), reference["adamw/trajectory"][step], rtol=0, atol=1e-6,
                                   err_msg=f"step {step + 1}")


@pytest.mark.parametrize("name,epsilon", [("adamax", 1e-10), ("nadam", 1e-7)])
def test_adamax_and_nadam_trajectories_match_torch(ops, name, epsilon):
    """50 steps equal torch.optim.Adamax's and NAdam's within 1e-6."""
    from pathlib import Path

    from deepzoo import optimizers

    reference = np.load(Path(__file__).parent / "fixtures" / "torch_additions_reference.npz")
    optimizer = {"adamax": optimizers.Adamax, "nadam": optimizers.Nadam}[name](0.01, epsilon=epsilon)
    param = ops.asarray(reference[f"{name}/p0"].copy())
    grad = ops.alloc(param.shape, "float64")
    for step, g in enumerate(reference[f"{name}/grads"]):
        ops.assign(grad, ops.asarray(g))
        optimizer.step(ops, [("w", param, grad)])
        np.testing.assert_allclose(ops.to_host(param), reference[f"{name}/trajectory"][step], rtol=0, atol=1e-6,
                                   err_msg=f"step {step + 1}")
