"""A shared harness that every layer, activation and loss passes.

deepzoo's own test suite runs these checks over every registered name, plugins
included; a plugin author can call them from their tests too::

    from deepzoo.testing import check_layer
    check_layer(MyLayer(units=3), input_shape=(5,))

Each check raises ``AssertionError`` with a message saying what broke.
"""

from __future__ import annotations

import numpy as np

from .backend import get_ops
from .gradcheck import gradcheck


def check_layer(layer, input_shape, batch=3, seed=0, ops=None, atol=1e-6, rtol=1e-4):
    """Build, shape, backward-shape, gradient and config round-trip checks for one layer."""
    ops = get_ops(ops)
    rng = np.random.default_rng(seed)
    layer.ops = ops
    layer.dtype = np.dtype("float64")
    layer.build(input_shape, rng=rng)
    assert layer.built, f"{layer.name}: build() did not set built"
    assert set(layer.params) == set(layer.grads), (
        f"{layer.name}: params {sorted(layer.params)} and grads {sorted(layer.grads)} differ")
    for key in layer.params:
        assert layer.params[key].shape == layer.grads[key].shape, f"{layer.name}/{key}: grad shape"
    expected_count = sum(int(np.prod(p.shape)) for p in layer.params.values())
    assert layer.count_params() == expected_count

    x = layer.example_input(rng, (batch,) + tuple(input_shape))
    for training in (False, True):
        y, backward = layer.forward(ops.asarray(x), training=training)
        assert tuple(y.shape) == (batch,) + tuple(layer.output_shape), (
            f"{layer.name}: output shape {tuple(y.shape)}, output_shape says {layer.output_shape}")
        layer.zero_grads()
        dx = backward(ops.asarray(np.ones(y.shape)))
        assert tuple(dx.shape) == x.shape, f"{layer.name}: input gradient shape {tuple(dx.shape)}"

    result = gradcheck(layer, x, atol=atol, rtol=rtol, ops=ops)
    assert result.ok, f"{layer.name}: gradients disagree with finite differences\n{result}"

    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config(), f"{layer.name}: config round trip changed it"
    clone.ops = ops
    clone.build(input_shape, rng=np.random.default_rng(seed))
    clone.set_weights(layer.get_weights())
    y1, _ = layer.forward(ops.asarray(x), training=False)
    y2, _ = clone.forward(ops.asarray(x), training=False)
    np.testing.assert_allclose(ops.to_host(y2), ops.to_host(y1), rtol=1e-12, atol=1e-12)
    return result


def check_activation(activation, shape=(4, 6), seed=0, ops=None):
    """Shape, gradient and config round-trip checks for an activation function."""
    ops = get_ops(ops)
    x = away_from_kinks(np.random.default_rng(seed).standard_normal(shape) * 2)
    y, backward = activation.forward(ops, ops.asarray(x.copy()))
    assert tuple(y.shape) == shape
    assert tuple(backward(ops.asarray(np.ones(shape))).shape) == shape
    result = gradcheck(activation, x, ops=ops)
    assert result.ok, f"{activation}: gradients disagree with finite differences\n{result}"
    clone = type(activation).from_config(activation.get_config())
    assert clone.get_config() == activation.get_config()
    return result


def loss_example(loss, rng, n=5, k=4):
    """Predictions and targets that suit ``loss`` (probabilities for cross-entropies)."""
    name = loss.name
    if name in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
        e = np.exp(rng.standard_normal((n, k)))
        y = e / e.sum(axis=1, keepdims=True)
        labels = rng.integers(0, k, size=n)
        return y, (labels if name.startswith("sparse") else np.eye(k)[labels])
    if name == "binary_crossentropy":
        return rng.uniform(0.05, 0.95, (n, k)), rng.integers(0, 2, (n, k)).astype(float)
    return rng.uniform(0.1, 0.9, (n, k)), rng.uniform(0.1, 0.9, (n, k))


def check_loss(loss, seed=0, ops=None):
    """Value, gradient shape and finite-difference checks for a loss."""
    ops = get_ops(ops)
    y, t = loss_example(loss, np.random.default_rng(seed))
    value, grad = loss.forward(ops, ops.asarray(y), ops.asarray(loss.prepare_targets(t, np.float64)))
    assert np.isfinite(value), f"{loss.name}: loss value {value}"
    assert tuple(grad.shape) == y.shape
    result = gradcheck(loss, y, t, ops=ops)
    assert result.ok, f"{loss.name}: gradients disagree with finite differences\n{result}"
    return result


def away_from_kinks(x, gap=0.05):
    """Move values out of ``(-gap, gap)``, where ReLU-like functions have a kink."""
    return np.where(np.abs(x) < gap, np.sign(x) * gap + x, x)
