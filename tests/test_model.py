"""Sequential: building, training, seeding, summaries, callbacks and clear errors."""

import numpy as np
import pytest

import deepzoo
from deepzoo import (
    Activation,
    ConfigError,
    DataError,
    Dense,
    Dropout,
    EarlyStopping,
    Flatten,
    Maxout,
    NotBuiltError,
    Sequential,
    ShapeError,
    TerminateOnNaN,
)
from deepzoo.demos.xor import T as XOR_T
from deepzoo.demos.xor import X as XOR_X
from deepzoo.demos.xor import train_xor


def blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[0, 5], [5, 0], [-4, -4]])
    x = centres[labels] + rng.standard_normal((n, 2))
    return x.astype("float32"), np.eye(3, dtype="float32")[labels], labels


def mlp(seed=0, device=None):
    model = Sequential([Dense(16, activation="relu"), Dropout(0.1), Dense(3, activation="softmax")],
                       seed=seed, device=device)
    model.compile(optimizer=deepzoo.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("seed", range(20))
def test_xor_demo_succeeds_for_every_seed(seed):
    result = train_xor(seed=seed)
    assert result.solved, f"seed {seed}: outputs {result.outputs.ravel()}"
    assert result.final_loss < 0.01


def test_same_seed_same_weights_and_same_loss_curve():
    x, y, _ = blobs()
    a, b, c = mlp(seed=7), mlp(seed=7), mlp(seed=8)
    ha = a.fit(x, y, batch_size=16, epochs=3, verbose=0).history["loss"]
    hb = b.fit(x, y, batch_size=16, epochs=3, verbose=0).history["loss"]
    hc = c.fit(x, y, batch_size=16, epochs=3, verbose=0).history["loss"]
    assert ha == hb
    assert ha != hc


def test_training_reaches_high_accuracy_on_both_backends(ops):
    x, y, labels = blobs()
    model = mlp(seed=0, device=ops.name)
    history = model.fit(x, y, batch_size=16, epochs=15, verbose=0, validation_split=0.2)
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    assert history.history["val_accuracy"][-1] > 0.95
    loss, accuracy = model.evaluate(x, y)  # Keras's form: [loss, *metrics]
    result = model.evaluate(x, y, return_dict=True)
    assert result == {"loss": loss, "accuracy": accuracy} and accuracy > 0.95
    predictions = model.predict(x)
    assert predictions.shape == (200, 3)
    np.testing.assert_allclose(predictions.sum(axis=1), 1, rtol=1e-5)
    assert (predictions.argmax(1) == labels).mean() == pytest.approx(result["accuracy"])


def test_backends_train_to_the_same_weights():
    x, y, _ = blobs(64)
    weights = []
    for device in ("numpy", "numba"):
        model = mlp(seed=3, device=device)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        weights.append(model.get_weights_by_layer())
    for layer, params in weights[0].items():
        for key, value in params.items():
            np.testing.assert_allclose(weights[1][layer][key], value, rtol=1e-4, atol=1e-5)


def test_sparse_labels_and_sum_squared_error_losses_train():
    x, _, labels = blobs()
    model = Sequential([Dense(8, activation="tanh"), Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer=deepzoo.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, batch_size=20, epochs=10, verbose=0)
    assert history.history["accuracy"][-1] > 0.95
    reg = Sequential([Dense(1)], seed=0)
    reg.compile(optimizer=deepzoo.SGD(0.01), loss="sse", metrics=["mse"])
    xs = np.linspace(-1, 1, 32)[:, None]
    history = reg.fit(xs, 3 * xs + 1, batch_size=32, epochs=200, verbose=0)
    np.testing.assert_allclose(reg.layers[0].get_weights()["kernel"], [[3]], atol=1e-3)
    assert history.history["mse"][-1] < 1e-5


def test_summary_counts_match_keras():
    model = Sequential([Dense(512, activation="relu"), Dropout(0.2), Dense(512, activation="relu"),
                        Dropout(0.2), Dense(10, activation="softmax")], input_shape=(784,))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert model.count_params() == 669_706  # Keras's count for the lecture's MNIST MLP
    assert "Total params: 669,706" in text
    assert "dense_1 (Dense)" in text and "dropout_1 (Dropout)" in text and "(None, 512)" in text
    other = Sequential([Flatten(), Maxout(4, pieces=3), Activation("relu"), Dense(2)],
                       input_shape=(2, 3))
    assert other.count_params() == 6 * 12 + 12 + 4 * 2 + 2


def test_add_refuses_non_layers_and_duplicates():
    model = Sequential()
    with pytest.raises(ConfigError, match="received the class Dense; call it first"):
        model.add(Dense)
    with pytest.raises(ConfigError, match="expects a Layer, received str"):
        model.add("dense")
    layer = Dense(2, name="out")
    model.add(layer)
    with pytest.raises(ConfigError, match="already in model"):
        model.add(layer)
    with pytest.raises(ConfigError, match="already has a layer named 'out'"):
        model.add(Dense(3, name="out"))


def test_wrong_feature_count_names_layer_expected_and_received():
    model = mlp()
    model.build((2,))
    with pytest.raises(ShapeError) as err:
        model.fit(np.zeros((4, 3)), np.zeros((4, 3)), verbose=0)
    message = str(err.value)
    assert "first layer 'dense' (Dense)" in message
    assert "(batch, 2)" in message and "(4, 3)" in message


def test_wrong_rank_and_single_sample_hint():
    model = mlp()
    model.build((2,))
    with pytest.raises(ShapeError, match=r"received x of shape \(2,\).*add a batch axis: x\[None\]"):
        model.predict(np.zeros(2))
    with pytest.raises(ShapeError, match="Add a Flatten layer"):
        Sequential([Dense(3)]).build((4, 4))


def test_data_errors_are_clear():
    model = mlp()
    x, y, _ = blobs(10)
    with pytest.raises(DataError, match="x and y must have the same number of samples: x has 10, y has 9"):
        model.fit(x, y[:9], verbose=0)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DataError, match=r"x contains NaN or infinite values \(first at index \(3, 1\)"):
        model.fit(bad, y, verbose=0)
    with pytest.raises(DataError, match="x must hold numbers; received an array of dtype <U"):
        model.fit(np.array([["a", "b"]] * 10), y, verbose=0)
    with pytest.raises(ConfigError, match="batch_size must be a positive integer, received 0"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ConfigError, match="validation_split must be a number in"):
        model.fit(x, y, validation_split=1.5, verbose=0)
    with pytest.raises(ShapeError, match=r"targets must have shape \(batch, 3\).*received \(10, 2\)"):
        model.fit(x, y[:, :2], verbose=0)
    with pytest.raises(ConfigError, match="initial_epoch must be an integer >= 0, received -1"):
        model.fit(x, y, initial_epoch=-1, verbose=0)
    with pytest.raises(ConfigError, match="must be compiled before fit"):
        Sequential([Dense(1)]).fit(x, y, verbose=0)


def test_layer_and_optimizer_arguments_are_validated():
    with pytest.raises(ConfigError, match="layer 'dense': units must be a positive integer, received 0"):
        Dense(0)
    with pytest.raises(ConfigError, match="layer 'dropout': rate must be in"):
        Dropout(1.0)
    with pytest.raises(ConfigError, match="optimizer 'adam': beta_1 must be a number in"):
        deepzoo.Adam(beta_1=1.0)
    with pytest.raises(ConfigError, match="optimizer 'sgd': learning_rate"):
        deepzoo.SGD(-0.1)
    with pytest.raises(ConfigError, match="nesterov=True needs a momentum"):
        deepzoo.SGD(0.1, nesterov=True)
    with pytest.raises(ConfigError, match="alpha must be in"):
        Dense(2, activation=deepzoo.activations.LeakyReLU(alpha=2))
    with pytest.raises(NotBuiltError, match="does not know its input shape"):
        Sequential([Dense(2)]).summary()


def test_early_stopping_restores_best_weights_and_is_reusable():
    x, y, _ = blobs()
    model = mlp()
    stopper = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)

    class Scramble(deepzoo.Callback):  # make every epoch after the second worse
        def on_epoch_end(self, epoch, logs=None):
            if epoch >= 1:
                w = self.model.get_weights_by_layer()
                w["dense_1"]["kernel"] = w["dense_1"]["kernel"] * 0 + 1.0 * (epoch + 1)
                self.model.set_weights(w)

    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0, validation_split=0.25,
                        callbacks=[stopper, Scramble()])
    assert len(history.epoch) < 20 and stopper.stopped_epoch is not None
    best = int(np.argmin(history.history["val_loss"]))
    assert stopper.best_epoch == best
    x_val, y_val = x[-50:], y[-50:]
    assert model.evaluate(x_val, y_val)[0] == pytest.approx(history.history["val_loss"][best], rel=1e-5)
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[stopper])
    assert stopper.wait <= 1


def test_early_stopping_without_validation_says_what_is_missing():
    model = mlp()
    x, y, _ = blobs(20)
    with pytest.raises(ConfigError, match="monitors 'val_loss'.*Pass validation data"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[EarlyStopping()])


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_terminate_on_nan_names_epoch_and_batch():
    x = np.random.default_rng(0).standard_normal((64, 4)).astype("float32") * 100
    model = Sequential([Dense(32, activation="relu"), Dense(1)], seed=0)
    model.compile(optimizer=deepzoo.SGD(10.0), loss="mse")
    nan_guard = TerminateOnNaN()
    history = model.fit(x, x[:, :1] ** 3, batch_size=8, epochs=50, verbose=0, callbacks=[nan_guard])
    assert len(history.epoch) < 50
    assert "loss became" in nan_guard.message and "epoch 1, batch" in nan_guard.message
    assert "smaller learning rate" in nan_guard.message


def test_progress_bar_writes_to_the_given_stream(capsys):
    import io

    stream = io.StringIO()
    x, y, _ = blobs(40)
    mlp().fit(x, y, batch_size=10, epochs=2, verbose=1, progress_file=stream)
    text = stream.getvalue()
    assert "Epoch 2/2" in text and "4/4" in text and "loss:" in text and "/step" in text
    assert capsys.readouterr().out == ""


def test_validation_data_and_history_keys():
    x, y, _ = blobs()
    history = mlp().fit(x[:150], y[:150], epochs=2, verbose=0, validation_data=(x[150:], y[150:]))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1]


def test_xor_model_in_float64_passes_gradcheck():
    model = Sequential([Dense(4, activation="tanh"), Dense(1, activation="sigmoid")],
                       input_shape=(2,), seed=0)
    assert deepzoo.gradcheck(model, XOR_X).ok
    assert XOR_T.shape == (4, 1)


def test_train_on_batch_builds_a_model_that_has_not_seen_data_and_needs_compile():
    model = Sequential([Dense(3, activation="relu"), Dense(1)], input_shape=(2,), seed=0)
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    with pytest.raises(ConfigError, match="must be compiled before train_on_batch"):
        model.train_on_batch(x, y)
    model.compile(optimizer="sgd", loss="mse")
    assert not model.built
    assert np.isfinite(model.train_on_batch(x, y)) and model.built


@pytest.mark.parametrize("n,batch_size,one_off_steps", [(130, 64, [2]), (128, 64, []), (5, 32, [])])
def test_only_a_short_last_batch_after_full_ones_runs_as_one_off_work(monkeypatch, n, batch_size,
                                                                      one_off_steps):
    """``fit`` runs an epoch's short last batch inside ``Ops.one_off`` (the CPU then leaves
    its small-batch kernels uncompiled for it); not full batches, and not an epoch that is
    one short batch, which is steady work."""
    import contextlib

    model = Sequential([Dense(4, activation="relu"), Dense(3, activation="softmax")], input_shape=(2,), seed=0)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x, y, _ = blobs(n)
    steps, marked = [], []

    @contextlib.contextmanager
    def one_off():
        marked.append(len(steps))
        yield

    step = model._train_step
    monkeypatch.setattr(model.ops, "one_off", one_off)
    monkeypatch.setattr(model, "_train_step", lambda *args: (steps.append(len(args[0])), step(*args))[1])
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    assert marked == one_off_steps
    assert sum(steps) == n
