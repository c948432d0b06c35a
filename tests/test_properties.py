"""Property-based checks: any valid layer configuration runs forward and backward
with the shapes ``output_shape`` predicts; invalid arguments give clear errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepzoo
from deepzoo import ConfigError, ShapeError
from deepzoo.layers import Activation, AveragePooling2D, Conv2D, Dense, Dropout, Flatten, Maxout, MaxPool2D

ACTIVATIONS = ["linear", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax"]
ops = deepzoo.get_ops("numba")


def flat_layers():
    return st.one_of(
        st.builds(Dense, st.integers(1, 9), activation=st.sampled_from(ACTIVATIONS + [None]),
                  use_bias=st.booleans()),
        st.builds(Maxout, st.integers(1, 5), pieces=st.integers(1, 4), use_bias=st.booleans()),
        st.builds(Activation, st.sampled_from(ACTIVATIONS)),
        st.builds(Dropout, st.floats(0, 0.9)),
    )


@settings(max_examples=60, deadline=None)
@given(layer=flat_layers(), batch=st.integers(1, 7), features=st.integers(1, 12),
       training=st.booleans())
def test_valid_layers_run_with_predicted_shapes(layer, batch, features, training):
    layer.ops = ops
    layer.build((features,))
    x = np.random.default_rng(0).standard_normal((batch, features)).astype("float32")
    y, backward = layer.forward(x, training=training)
    assert tuple(y.shape) == (batch,) + layer.output_shape
    dx = backward(np.ones(y.shape, dtype="float32"))
    assert dx.shape == x.shape
    for key, grad in layer.grads.items():
        assert grad.shape == layer.params[key].shape


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), batch=st.integers(1, 4))
def test_flatten_then_dense_on_any_rank(shape, batch):
    model = deepzoo.Sequential([Flatten(), Dense(3)], input_shape=tuple(shape), seed=0)
    out = model.predict(np.zeros((batch, *shape)))
    assert out.shape == (batch, 3)
    if len(shape) > 1:
        with pytest.raises(ShapeError, match="Add a Flatten layer"):
            deepzoo.Sequential([Dense(3)], input_shape=tuple(shape)).build()


@settings(max_examples=40, deadline=None)
@given(units=st.one_of(st.integers(-5, 0), st.floats(0.5, 3.5), st.text(max_size=2),
                       st.just(None), st.just(True)))
def test_invalid_units_are_refused_clearly(units):
    with pytest.raises(ConfigError, match=r"layer 'dense': units must be a positive integer, received"):
        Dense(units)


@settings(max_examples=40, deadline=None)
@given(expected=st.integers(1, 6), received=st.integers(1, 6), batch=st.integers(1, 5))
def test_feature_mismatch_message_names_both_shapes(expected, received, batch):
    layer = Dense(2)
    layer.build((expected,))
    x = np.zeros((batch, received), dtype="float32")
    if expected == received:
        assert layer.forward(x)[0].shape == (batch, 2)
    else:
        with pytest.raises(ShapeError) as err:
            layer.forward(x)
        assert f"(batch, {expected})" in str(err.value) and f"({batch}, {received})" in str(err.value)


def conv_layers():
    return st.builds(
        lambda filters, k, s, pad, d, act: Conv2D(filters, k, strides=s, padding=pad, dilation_rate=d,
                                                  activation=act),
        st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4)),
        st.tuples(st.integers(1, 3), st.integers(1, 3)),
        st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2)),
        st.tuples(st.integers(1, 2), st.integers(1, 2)), st.sampled_from([None, "relu", "tanh"]))


def pool_layers():
    return st.builds(lambda cls, p, s, pad: cls(p, strides=s, padding=pad),
                     st.sampled_from([MaxPool2D, AveragePooling2D]),
                     st.tuples(st.integers(1, 3), st.integers(1, 3)),
                     st.one_of(st.none(), st.integers(1, 3)), st.sampled_from(["valid", "same"]))


@settings(max_examples=80, deadline=None)
@given(layer=st.one_of(conv_layers(), pool_layers()), batch=st.integers(1, 3),
       h=st.integers(1, 9), w=st.integers(1, 9), c=st.integers(1, 3))
def test_image_layers_run_with_predicted_shapes_or_refuse_clearly(layer, batch, h, w, c):
    layer.ops = ops
    try:
        layer.build((h, w, c))
    except ShapeError as err:
        assert f"layer '{layer.name}'" in str(err) and "window spans" in str(err)
        return
    x = np.random.default_rng(0).standard_normal((batch, h, w, c)).astype("float32")
    y, backward = layer.forward(x, training=True)
    assert tuple(y.shape) == (batch,) + layer.output_shape
    assert backward(np.ones(y.shape, dtype="float32")).shape == x.shape
