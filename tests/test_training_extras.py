"""Learning-rate callbacks, CSV logs, callbacks made of functions, and more initializers."""

import csv
import math

import numpy as np
import pytest

import deepzoo as dz
from deepzoo import initializers


def blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype(int)


def model(seed=0, lr=0.01):
    m = dz.Sequential([dz.Dense(6, activation="tanh"), dz.Dense(2, activation="softmax")], input_shape=(3,),
                      seed=seed)
    m.compile(optimizer=dz.SGD(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    seen = []
    m = model()
    scheduler = dz.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch)
    spy = dz.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(
        (m.optimizer.learning_rate, logs["learning_rate"])))
    m.fit(*blobs(), epochs=3, verbose=0, callbacks=[scheduler, spy])
    assert seen == [(0.1, 0.1), (0.05, 0.05), (0.025, 0.025)]
    with pytest.raises(dz.ConfigError, match="finite number > 0"):
        model().fit(*blobs(), epochs=1, verbose=0, callbacks=[dz.LearningRateScheduler(lambda e, lr: -1)])


def test_reduce_lr_on_plateau_follows_kerass_rules():
    m = model(lr=0.1)
    reducer = dz.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    reducer.set_model(m)
    rates = []
    for epoch, loss in enumerate([1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]):
        reducer.on_epoch_end(epoch, {"loss": loss})
        rates.append(m.optimizer.learning_rate)
    # Keras's sequence: the second flat epoch halves it; the cooldown epoch resets the count but is
    # counted itself once it ends, so every second flat epoch halves it, until the floor of 0.02
    assert rates == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02]


def test_csv_logger_writes_a_row_per_epoch_and_appends_on_resume(tmp_path):
    path = tmp_path / "log.csv"
    m = model()
    x, y = blobs()
    m.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[dz.CSVLogger(path)])
    m.fit(x, y, epochs=4, initial_epoch=2, verbose=0, validation_split=0.25,
          callbacks=[dz.CSVLogger(path, append=True)])
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2", "3"]
    assert all(math.isfinite(float(v)) for row in rows[1:] for v in row[1:])


def test_lambda_callback_refuses_unknown_hooks():
    with pytest.raises(dz.ConfigError, match="unknown hook"):
        dz.LambdaCallback(on_epoch_finish=print)


@pytest.mark.parametrize("name,expected_std,bound", [
    ("he_uniform", math.sqrt(6 / 200) / math.sqrt(3), math.sqrt(6 / 200)),
    ("glorot_normal", math.sqrt(2 / 300), None),
    ("lecun_normal", math.sqrt(1 / 200), None),
    ("lecun_uniform", math.sqrt(3 / 200) / math.sqrt(3), math.sqrt(3 / 200)),
    ("random_normal", 0.05, None),
    ("random_uniform", 0.05 / math.sqrt(3), 0.05),
])
def test_initializers_have_kerass_spread(name, expected_std, bound):
    values = initializers.get(name)((200, 100), 200, 100, np.random.default_rng(0))
    assert values.shape == (200, 100)
    assert values.std() == pytest.approx(expected_std, rel=0.03)
    assert abs(values.mean()) < 0.05 * expected_std + 1e-3
    if bound is not None:
        assert np.abs(values).max() <= bound
    elif name != "random_normal":  # truncated at two deviations of the untruncated normal
        assert np.abs(values).max() <= 2 * expected_std / 0.87962566103423978 + 1e-12
    layer = dz.Dense(3, kernel_initializer=name)
    assert layer.get_config()["kernel_initializer"] == name


def test_constant_initializer_by_object_and_by_name():
    from deepzoo import initializers

    layer = dz.Dense(3, kernel_initializer=initializers.Constant(0.25), bias_initializer="constant")
    layer.build((2,))
    weights = layer.get_weights()
    assert (weights["kernel"] == 0.25).all() and (weights["bias"] == 0).all()
    assert dz.keras.initializers.Constant is initializers.Constant
    with pytest.raises(dz.ConfigError, match="Constant: value must be a finite number"):
        initializers.Constant(float("nan"))


def test_a_batchs_logs_carry_the_figures_only_for_callbacks_that_read_them():
    import deepzoo as dz

    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[(x[:, 0] > 0).astype(int)]
    seen = {}

    class Reader(dz.Callback):  # has its own on_batch_end: asked to be shown the figures
        def on_batch_end(self, batch, logs=None):
            seen.setdefault("reader", []).append(sorted(logs))

    class Counter(dz.Callback):
        def wants_batch_logs(self, batch):
            return False

        def on_batch_end(self, batch, logs=None):
            seen.setdefault("counter", []).append(sorted(logs))

    for callbacks in ([Counter()], [Counter(), Reader()]):
        model = dz.Sequential([dz.Dense(2, activation="softmax")], input_shape=(3,), seed=0)
        model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=10, epochs=2, verbose=0, callbacks=callbacks,
                            terminate_on_nan=False)
        assert len(history.history["accuracy"]) == 2  # the epoch's logs always have them
    assert seen["counter"][:8] == [[]] * 8  # alone: nothing is worked out
    assert seen["counter"][8:] == [["accuracy", "loss"]] * 8  # beside a reader: what the reader gets
    assert seen["reader"] == [["accuracy", "loss"]] * 8


def _device_like_ops():
    """The reference Ops posing as a device whose figures are costly to read: ``fit`` then
    sums the epoch's loss with the losses' ``into``, as it does on a GPU."""
    from deepzoo.backend.reference import Ops

    class DeviceLike(Ops):
        device, reads = "device-like", 0

        def read_sum(self, into):
            self.reads += 1
            return super().read_sum(into)

    return DeviceLike()


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse", "kl_divergence"])
def test_on_a_device_the_epochs_loss_is_summed_there_and_read_once(loss):
    """The same losses as on the CPU, and with no callback asking, one reading per epoch
    (kl_divergence cannot sum into the device: its value comes back each batch)."""
    import deepzoo as dz

    rng = np.random.default_rng(1)
    x = rng.standard_normal((95, 3))
    y = np.eye(2)[(x[:, 0] > 0).astype(int)]
    histories, reads = [], None
    for device in ("numpy", _device_like_ops()):
        model = dz.Sequential([dz.Dense(4, activation="tanh"), dz.Dense(2, activation="softmax")],
                              input_shape=(3,), seed=0, dtype="float64", device=device)
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
        histories.append(model.fit(x, y, batch_size=10, epochs=3, verbose=0, terminate_on_nan=False).history)
        reads = getattr(model.ops, "reads", None)
    np.testing.assert_allclose(histories[1]["loss"], histories[0]["loss"], rtol=1e-12)
    assert histories[1]["accuracy"] == histories[0]["accuracy"]
    assert reads == 3


def test_on_a_device_terminate_on_nan_reads_the_loss_every_fifty_batches_and_says_between_which():
    import deepzoo as dz

    x = np.ones((1000, 2))
    y = np.zeros((1000, 1))
    x[130] = 1e200  # batch 131 of 1,000 makes the loss infinite, and the weights NaN
    model = dz.Sequential([dz.Dense(1)], input_shape=(2,), seed=0, dtype="float64", device=_device_like_ops())
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(RuntimeWarning, match=r"loss became (nan|inf) in epoch 1, one of batches 101 to 150\."):
        model.fit(x, y, batch_size=1, epochs=1, verbose=0, shuffle=False)
    assert model.ops.reads == 3 + 1  # batches 50, 100, 150, and the epoch's logs
    model = dz.Sequential([dz.Dense(1)], input_shape=(2,), seed=0, dtype="float64")  # the CPU: every batch
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(RuntimeWarning, match=r"loss became (nan|inf) in epoch 1, batch 131\."):
        model.fit(x, y, batch_size=1, epochs=1, verbose=0, shuffle=False)
