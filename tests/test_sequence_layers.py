"""Conv1D, the 1-D poolings, Embedding, GRU and Bidirectional against PyTorch in float64
(fixtures/torch_sequence_reference.npz)."""

from pathlib import Path

import numpy as np
import pytest

import deepzoo as dz

REFERENCE = Path(__file__).parent / "fixtures" / "torch_sequence_reference.npz"
CONVOLUTIONS = {"conv1d_same": {"kernel_size": 3, "padding": "same"},
                "conv1d_strided_dilated": {"kernel_size": 3, "strides": 2, "dilation_rate": 2}}
POOLINGS = {"max_pooling1d": dz.MaxPooling1D(2), "average_pooling1d": dz.AveragePooling1D(3, strides=1),
            "global_average_pooling1d": dz.GlobalAveragePooling1D(),
            "global_max_pooling1d": dz.GlobalMaxPooling1D()}


def case(name):
    with np.load(REFERENCE) as data:
        return {key.split("/")[1]: data[key] for key in data.files if key.startswith(name + "/")}


@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_conv1d_matches_torch(ops, name):
    c = case(name)
    layer = dz.Conv1D(4, dtype="float64", **CONVOLUTIONS[name])
    layer.ops = ops
    layer.build(c["x"].shape[1:])
    layer.set_weights({"kernel": c["kernel"], "bias": c["bias"]})
    y, backward = layer.forward(ops.asarray(c["x"]), training=True)
    np.testing.assert_allclose(ops.to_host(y), c["y"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ops.to_host(backward(ops.asarray(c["dy"]))), c["dx"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ops.to_host(layer.grads["kernel"]), c["dkernel"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ops.to_host(layer.grads["bias"]), c["dbias"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(POOLINGS))
def test_poolings_1d_match_torch(ops, name):
    c = case(name)
    layer = type(POOLINGS[name]).from_config({**POOLINGS[name].get_config(), "dtype": "float64"})
    layer.ops = ops
    layer.build(c["x"].shape[1:])
    y, backward = layer.forward(ops.asarray(c["x"]), training=True)
    np.testing.assert_allclose(ops.to_host(y), c["y"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ops.to_host(backward(ops.asarray(c["dy"]))), c["dx"], rtol=1e-12, atol=1e-12)


def test_keras_shapes_and_parameter_counts():
    """Keras's documented counts: Conv1D(64, 5) on 64 channels has 5*64*64 + 64 = 20,544."""
    model = dz.Sequential([dz.Conv1D(64, 5, activation="relu"), dz.MaxPooling1D(2),
                           dz.Conv1D(8, 3, padding="same"), dz.GlobalMaxPooling1D(), dz.Dense(1)],
                          input_shape=(200, 64))
    model.build()
    assert [layer.output_shape for layer in model.layers] == [(196, 64), (98, 64), (98, 8), (8,), (1,)]
    assert model.layers[0].count_params() == 20_544
    assert dz.GlobalAveragePooling1D(keepdims=True).output_shape_for((5, 3)) == (1, 3)
    with pytest.raises(dz.ShapeError, match=r"Conv1D\) expects sequences of shape \(batch, steps, channels\)"):
        dz.Conv1D(2, 3).output_shape_for((4, 4, 1))


def test_embedding_matches_torch(ops):
    c = case("embedding")
    layer = dz.Embedding(6, 4, dtype="float64")
    layer.ops = ops
    layer.build(c["ids"].shape[1:])
    layer.set_weights({"embeddings": c["table"]})
    y, backward = layer.forward(ops.asarray(c["ids"].astype("float64")), training=True)
    np.testing.assert_array_equal(ops.to_host(y), c["y"])
    backward(ops.asarray(c["dy"]))
    np.testing.assert_allclose(ops.to_host(layer.grads["embeddings"]), c["dtable"], rtol=1e-12, atol=1e-14)


def test_embedding_refuses_what_it_cannot_take():
    with pytest.raises(dz.errors.MissingFeatureError, match="mask_zero=True asks for a padding mask"):
        dz.Embedding(10, 2, mask_zero=True)
    model = dz.Sequential([dz.Embedding(10, 2)], input_shape=(3,))
    with pytest.raises(dz.DataError, match=r"whole numbers from 0 to 9 \(input_dim=10\); received 2.5"):
        model.predict(np.array([[1, 2.5, 3]]))
    assert dz.Embedding(5000, 64, input_length=200).output_shape_for((200,)) == (200, 64)


def test_gru_matches_torch(ops):
    c = case("gru")
    layer = dz.GRU(4, return_sequences=True, dtype="float64")
    layer.ops = ops
    layer.build(c["x"].shape[1:])
    layer.set_weights({"kernel": c["kernel"], "recurrent_kernel": c["recurrent_kernel"], "bias": c["bias"]})
    y, backward = layer.forward(ops.asarray(c["x"]), training=True)
    np.testing.assert_allclose(ops.to_host(y), c["y"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ops.to_host(backward(ops.asarray(c["dy"]))), c["dx"], rtol=1e-10, atol=1e-12)
    for key in ("kernel", "recurrent_kernel", "bias"):
        np.testing.assert_allclose(ops.to_host(layer.grads[key]), c["d" + key], rtol=1e-10, atol=1e-12,
                                   err_msg=key)


def test_gru_keras_counts_and_refusals():
    """Keras's GRU(100) on 11 features: 3 (11 * 100 + 100 * 100 + 2 * 100) = 33,900 parameters."""
    assert dz.GRU(100).plan((7, 11))["bias"].shape == (2, 300)
    layer = dz.GRU(100)
    layer.build((7, 11))
    assert layer.count_params() == 33_900
    with pytest.raises(dz.errors.MissingFeatureError, match="reset_after=False"):
        dz.GRU(4, reset_after=False)
    with pytest.raises(dz.errors.MissingFeatureError, match="put a Dropout layer before or after"):
        dz.LSTM(4, dropout=0.2)
    with pytest.raises(dz.errors.MissingFeatureError, match="recurrent_activation='hard_sigmoid'"):
        dz.GRU(4, recurrent_activation="hard_sigmoid")
    dz.LSTM(4, activation="tanh", recurrent_activation="sigmoid")  # Keras's defaults, spelt out


def test_bidirectional_lstm_matches_torch(ops):
    c = case("bidirectional")
    layer = dz.Bidirectional(dz.LSTM(2, return_sequences=True, dtype="float64"), dtype="float64")
    layer.ops = ops
    layer.build(c["x"].shape[1:])
    layer.set_weights({key: c[key] for key in layer.params})
    y, backward = layer.forward(ops.asarray(c["x"]), training=True)
    np.testing.assert_allclose(ops.to_host(y), c["y"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ops.to_host(backward(ops.asarray(c["dy"]))), c["dx"], rtol=1e-10, atol=1e-12)


def test_bidirectional_counts_saves_and_refuses(tmp_path):
    """Keras's count for Bidirectional(LSTM(64)) on 16 features: 2 * 4 * (64 * (16 + 64) + 64) = 41,472."""
    model = dz.Sequential([dz.Bidirectional(dz.LSTM(64, return_sequences=True)),
                           dz.Bidirectional(dz.GRU(8), merge_mode="sum"), dz.Dense(1)], input_shape=(10, 16))
    model.compile(optimizer="adam", loss="mse")
    model.build()
    assert model.layers[0].count_params() == 41_472 and model.layers[1].output_shape == (8,)
    x = np.random.default_rng(0).standard_normal((4, 10, 16)).astype("float32")
    model.save(tmp_path / "bi.dzm")
    np.testing.assert_array_equal(dz.load_model(tmp_path / "bi.dzm").predict(x), model.predict(x))
    with pytest.raises(dz.errors.MissingFeatureError, match="merge_mode='mul'"):
        dz.Bidirectional(dz.LSTM(2), merge_mode="mul")
    with pytest.raises(dz.ConfigError, match="Bidirectional wraps a recurrent layer"):
        dz.Bidirectional(dz.Dense(2))


@pytest.mark.parametrize("make", [lambda: dz.SimpleRNN(3, return_sequences=True, dtype="float64"),
                                  lambda: dz.LSTM(3, return_sequences=True, dtype="float64"),
                                  lambda: dz.GRU(3, return_sequences=True, dtype="float64")])
def test_go_backwards_reads_the_steps_last_to_first(ops, make):
    """As in Keras: the layer runs over the reversed sequence and its outputs stay in that order."""
    x = np.random.default_rng(4).standard_normal((2, 5, 3))
    forwards, backwards = make(), type(make()).from_config({**make().get_config(), "go_backwards": True})
    for layer in (forwards, backwards):
        layer.ops = ops
        layer.build((5, 3), rng=np.random.default_rng(0))
    backwards.set_weights(forwards.get_weights())
    y, back = backwards.forward(ops.asarray(x), training=True)
    y_ref, back_ref = forwards.forward(ops.asarray(x[:, ::-1].copy()), training=True)
    np.testing.assert_allclose(ops.to_host(y), ops.to_host(y_ref), rtol=1e-12)
    dy = np.random.default_rng(5).standard_normal(y.shape)
    dx, dx_ref = ops.to_host(back(ops.asarray(dy))), ops.to_host(back_ref(ops.asarray(dy)))
    np.testing.assert_allclose(dx, dx_ref[:, ::-1], rtol=1e-12)


def test_simple_rnn_with_relu_equals_the_recurrence_written_out(ops):
    x = np.random.default_rng(6).standard_normal((2, 4, 3))
    layer = dz.SimpleRNN(2, activation="relu", return_sequences=True, dtype="float64")
    layer.ops = ops
    layer.build((4, 3), rng=np.random.default_rng(1))
    w = layer.get_weights()
    h, expected = np.zeros((2, 2)), []
    for t in range(4):
        h = np.maximum(x[:, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"], 0)
        expected.append(h)
    np.testing.assert_allclose(ops.to_host(layer.forward(ops.asarray(x))[0]), np.stack(expected, axis=1),
                               rtol=1e-12)
