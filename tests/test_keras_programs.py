"""Programs written for Keras run on deepzoo with only their imports changed.

Each program in ``keras_programs/`` is a Keras program (``import keras``,
``from keras.layers import Dense``); this test rewrites its import lines to
``deepzoo.keras`` and runs it. Nothing else in the program changes. To keep the
suite short, ``fit`` and ``evaluate`` are given a smaller share of the work: the
first samples of the data and at most two epochs (the full runs are in
``benchmarks/keras_programs.py``). The programs keep their data: MNIST from
``DEEPZOO_DATA``, Pima's CSV file copied beside the program.
"""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from shared_data import DATA, PIMA, needs_mnist, needs_pima

import deepzoo
from deepzoo.model import Sequential

PROGRAMS = Path(__file__).parent / "keras_programs"
KERAS_IMPORT = re.compile(
    r"^(\s*)(import keras\b|from (?:tensorflow\.)?keras\b|from tensorflow import keras\b)", re.MULTILINE)


def with_deepzoo_imports(source: str) -> str:
    """``import keras`` -> ``from deepzoo import keras``; ``from keras.x`` -> ``from deepzoo.keras.x``."""
    def replace(match):
        indent, statement = match.groups()
        if statement.startswith("import keras") or statement.startswith("from tensorflow import"):
            return f"{indent}from deepzoo import keras"
        return f"{indent}from deepzoo.keras"

    return KERAS_IMPORT.sub(replace, source)


def test_the_import_rewrite_changes_imports_only():
    source = "import keras\nfrom keras.layers import Dense\nfrom tensorflow import keras\nx = 'keras'\n"
    expected = ("from deepzoo import keras\nfrom deepzoo.keras.layers import Dense\n"
                "from deepzoo import keras\nx = 'keras'\n")
    assert with_deepzoo_imports(source) == expected


@pytest.fixture
def run_program(monkeypatch, tmp_path, capsys):
    """Run a program from keras_programs/ with its imports changed, on a share of its work."""
    fit, evaluate = Sequential.fit, Sequential.evaluate

    def short_fit(self, x, y, *args, epochs=1, validation_data=None, **kwargs):
        if validation_data is not None:
            validation_data = tuple(a[:SAMPLES] for a in validation_data)
        return fit(self, x[:SAMPLES], y[:SAMPLES], *args, epochs=min(epochs, 2),
                   validation_data=validation_data, **kwargs)

    def short_evaluate(self, x, y, *args, **kwargs):
        return evaluate(self, x[:SAMPLES], y[:SAMPLES], *args, **kwargs)

    monkeypatch.setattr(Sequential, "fit", short_fit)
    monkeypatch.setattr(Sequential, "evaluate", short_evaluate)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEEPZOO_DATA", str(DATA))  # where needs_mnist found the files: never a download

    def run(name):
        source = with_deepzoo_imports((PROGRAMS / name).read_text())
        imports = [line for line in source.splitlines() if line.lstrip().startswith(("import ", "from "))]
        assert all("deepzoo" in line for line in imports if "keras" in line), imports
        namespace = {"__name__": "__main__"}
        exec(compile(source, str(PROGRAMS / name), "exec"), namespace)
        return namespace, capsys.readouterr().out

    return run


SAMPLES = 2000


def lowered(history):
    return history.history["loss"][-1] < history.history["loss"][0]


@needs_mnist
def test_lecture_1_mnist_mlp(run_program):
    pytest.importorskip("sklearn", reason="the lecture's program splits the data with scikit-learn")
    ns, out = run_program("lecture1_mnist_mlp.py")
    assert "X_train shape (60000, 28, 28)" in out and "Testing matrix shape (10000, 784)" in out
    assert ns["model"].count_params() == 669_706
    assert lowered(ns["results"]) and "val_accuracy" in ns["results"].history


@needs_pima
def test_lecture_4_pima_mlp(run_program, tmp_path):
    shutil.copy(PIMA, tmp_path / "pima-indians-diabetes.csv")
    ns, out = run_program("lecture4_pima_mlp.py")
    assert ns["model"].count_params() == 12 * 9 + 8 * 13 + 9  # 221
    assert lowered(ns["history"])
    assert re.search(r"\naccuracy: \d+\.\d\d%", out)


def test_lecture_0_adder(run_program):
    ns, out = run_program("lecture0_adder.py")
    assert ns["model"].count_params() == 75_561
    for count in ("44,800", "30,200", "561", "Total params: 75,561"):
        assert count in out
    assert lowered(ns["history"])


@needs_mnist
def test_classic_mnist_convnet(run_program):
    ns, out = run_program("classic_mnist_convnet.py")
    assert ns["model"].count_params() == 1_199_882
    assert "x_train shape: (60000, 28, 28, 1)" in out
    loss, accuracy = ns["score"]
    assert re.search(r"Test loss: \d", out) and 0 <= accuracy <= 1


@needs_mnist
def test_keras_3_simple_convnet(run_program):
    ns, out = run_program("keras3_simple_convnet.py")
    assert ns["model"].count_params() == 34_826
    assert "Total params: 34,826" in out and 0 <= ns["score"][1] <= 1


@needs_mnist
def test_classic_mnist_mlp(run_program):
    ns, out = run_program("classic_mnist_mlp.py")
    assert ns["model"].count_params() == 669_706
    assert "Total params: 669,706" in out and "60000 train samples" in out
    assert lowered(ns["history"])


# ------------------------------------------------------- the facade's names
#: every public name of the facade, by module, and Keras 3's path for it
KERAS_3_PATHS = {
    "keras": ["Input", "Sequential", "activations", "backend", "callbacks", "datasets", "initializers",
              "layers", "losses", "metrics", "models", "optimizers", "regularizers", "utils"],
    "keras.models": ["Sequential", "load_model"],
    "keras.regularizers": ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2", "serialize"],
    "keras.layers": ["Activation", "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D",
                     "BatchNormalization", "Bidirectional", "Conv1D", "Conv2D", "Dense",
                     "Dropout", "ELU", "Embedding", "Flatten", "GRU", "GlobalAveragePooling1D",
                     "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D",
                     "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPooling1D",
                     "GlobalMaxPooling2D", "Input", "InputLayer", "LSTM", "Layer",
                     "LayerNormalization", "LeakyReLU", "MaxPool1D", "MaxPool2D",
                     "MaxPooling1D", "MaxPooling2D", "PReLU", "ReLU", "RepeatVector", "Reshape",
                     "SimpleRNN", "Softmax", "TimeDistributed", "ZeroPadding2D"],
    "keras.optimizers": ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "Optimizer",
                         "RMSprop", "get", "schedules"],
    "keras.optimizers.schedules": ["CosineDecay", "ExponentialDecay", "LearningRateSchedule",
                                   "PiecewiseConstantDecay", "deserialize", "serialize"],
    "keras.losses": ["BinaryCrossentropy", "CategoricalCrossentropy", "Hinge", "Huber", "KLDivergence", "Loss",
                     "MeanAbsoluteError", "MeanSquaredError", "SparseCategoricalCrossentropy",
                     "binary_crossentropy", "categorical_crossentropy", "get", "hinge", "huber",
                     "kl_divergence", "kld", "mae", "mean_absolute_error", "mean_squared_error", "mse",
                     "sparse_categorical_crossentropy"],
    "keras.metrics": ["BinaryAccuracy", "CategoricalAccuracy", "MeanAbsoluteError", "Metric", "Precision",
                      "Recall", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy"],
    "keras.callbacks": ["CSVLogger", "Callback", "EarlyStopping", "History", "LambdaCallback",
                        "LearningRateScheduler", "ModelCheckpoint", "ReduceLROnPlateau", "TerminateOnNaN"],
    "keras.initializers": ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal",
                           "LecunUniform", "Ones", "Orthogonal", "RandomNormal", "RandomUniform", "Zeros"],
    "keras.activations": ["elu", "leaky_relu", "linear", "relu", "sigmoid", "softmax", "tanh"],
    "keras.backend": ["image_data_format", "set_image_data_format"],
    "keras.utils": ["to_categorical"],
    "keras.datasets": ["mnist"],
    "keras.datasets.mnist": ["load_data"],
}


#: names only Keras 2 had, for Keras 2 programs
KERAS_2_ONLY = {"keras.utils": {"np_utils"}}


def test_every_public_facade_name_is_a_keras_3_name():
    """The facade adds no name of its own: its ``__all__`` equals the table, checked once by
    hand against Keras 3's documented paths (Keras itself is not a dependency). Keras 2's
    ``np_utils`` and ``layers.core`` are the only additions, for Keras 2 programs."""
    import importlib

    for module, names in KERAS_3_PATHS.items():
        facade = importlib.import_module("deepzoo." + module)
        assert sorted(set(facade.__all__) - KERAS_2_ONLY.get(module, set())) == sorted(names), module
        for name in names:
            assert getattr(facade, name) is not None
    for module in ("keras.layers.core", "keras.layers.convolutional", "keras.layers.recurrent",
                   "keras.utils.np_utils"):
        facade = importlib.import_module("deepzoo." + module)
        assert set(facade.__all__) <= set(KERAS_3_PATHS["keras.layers"]) | {"to_categorical"}


def test_a_missing_keras_feature_fails_at_once_naming_it():
    with pytest.raises(deepzoo.errors.MissingFeatureError, match="keras.layers.Conv2DTranspose"):
        from deepzoo.keras.layers import Conv2DTranspose  # noqa: F401
    with pytest.raises(deepzoo.errors.MissingFeatureError, match="kernel_constraint"):
        deepzoo.keras.layers.Dense(4, kernel_constraint="max_norm")
    with pytest.raises(deepzoo.errors.MissingFeatureError, match="functional API"):
        deepzoo.keras.Model  # noqa: B018 - the lookup is what raises
    with pytest.raises(AttributeError):
        deepzoo.keras.layers.NotAKerasName  # noqa: B018 - the lookup is what raises


def test_keras_semantics_of_evaluate_get_weights_and_to_categorical():
    x = np.random.default_rng(0).standard_normal((10, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    plain = Sequential([deepzoo.keras.layers.Dense(1, input_dim=3)], seed=0)
    plain.compile(loss="mse", optimizer="sgd")
    loss = plain.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    with pytest.warns(DeprecationWarning, match="return_dict=True"):
        assert loss["loss"] == loss
    model = Sequential([deepzoo.Dense(2, activation="relu"), deepzoo.Dense(1, activation="sigmoid")],
                       input_shape=(3,), seed=0)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    score = model.evaluate(x, y, verbose=0)
    assert model.metrics_names == ["loss", "accuracy"] and len(score) == 2
    assert model.evaluate(x, y, return_dict=True) == {"loss": score[0], "accuracy": score[1]}
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(3, 2), (2,), (2, 1), (1,)]
    fresh = Sequential([deepzoo.Dense(2, activation="relu"), deepzoo.Dense(1, activation="sigmoid")],
                       input_shape=(3,), seed=5)
    fresh.set_weights(weights)  # builds the unbuilt model first
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))
    unknown = Sequential([deepzoo.Dense(1)])
    with pytest.raises(deepzoo.NotBuiltError):
        unknown.set_weights([np.zeros((3, 1)), np.zeros(1)])
    to_categorical = deepzoo.keras.utils.to_categorical
    np.testing.assert_array_equal(to_categorical(np.array([[1.0], [0.0]]), 3), [[0, 1, 0], [1, 0, 0]])
    with pytest.raises(deepzoo.DataError):
        to_categorical([0.5, 1])


def test_validation_split_holds_out_as_many_samples_as_keras():
    x = np.zeros((10, 1), dtype="float32")
    model = Sequential([deepzoo.Dense(1)], input_shape=(1,), seed=0)
    model.compile(loss="mse")
    seen = []

    class Count(deepzoo.Callback):
        def on_train_begin(self, logs=None):
            seen.append(self.model.fit_params["samples"])

    model.fit(x, x, validation_split=0.25, epochs=1, verbose=0, callbacks=[Count()])
    assert seen == [7]  # Keras trains on int(10 * 0.75) = 7 and validates on 3


class _Watched:
    """The little of a model EarlyStopping touches."""

    stop_training = False

    def get_weights(self):
        return []

    def set_weights(self, weights):
        pass


def _stopped_at(stopper, values):
    stopper.set_model(_Watched())
    stopper.on_train_begin()
    for epoch, value in enumerate(values):
        stopper.on_epoch_end(epoch, {"val_loss": value})
        if stopper.model.stop_training:
            return epoch
    return None


def test_early_stopping_counts_patience_as_keras_does():
    from deepzoo.callbacks import EarlyStopping

    # improving, improving, then worse: patience 2 stops at the second worse epoch
    assert _stopped_at(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.96, 0.97]) == 3
    assert _stopped_at(EarlyStopping(patience=0), [1.0, 0.9, 0.95]) == 2
    assert _stopped_at(EarlyStopping(patience=1, min_delta=0.2), [1.0, 0.9, 0.5]) == 1
    assert _stopped_at(EarlyStopping(patience=1, start_from_epoch=2), [1.0, 2.0, 3.0, 0.5, 0.7]) == 4
    # the baseline: improving on the best but never reaching 0.5, patience runs out
    assert _stopped_at(EarlyStopping(patience=2, baseline=0.5), [1.0, 0.9, 0.95]) == 2


def test_a_frozen_layer_keeps_its_weights_and_summary_counts_it():
    x = np.random.default_rng(0).standard_normal((32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = Sequential([deepzoo.Dense(4, activation="tanh"), deepzoo.Dense(1)], input_shape=(3,), seed=0)
    model.compile(optimizer="adam", loss="mse")
    model.build()
    model.layers[0].trainable = False  # as in Keras, after the model is made
    frozen = model.layers[0].get_weights()["kernel"].copy()
    trained = model.layers[1].get_weights()["kernel"].copy()
    model.fit(x, y, epochs=3, verbose=0)
    np.testing.assert_array_equal(model.layers[0].get_weights()["kernel"], frozen)
    assert not np.array_equal(model.layers[1].get_weights()["kernel"], trained)
    lines = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 5" in lines and "Non-trainable params: 16" in lines
    again = deepzoo.Dense.from_config(model.layers[0].get_config())
    assert again.trainable is False
    model.layers[0].trainable = True
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(model.layers[0].get_weights()["kernel"], frozen)


@pytest.mark.parametrize("make", [
    lambda: deepzoo.losses.CategoricalCrossentropy(from_logits=True),
    lambda: deepzoo.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    lambda: deepzoo.losses.SparseCategoricalCrossentropy(from_logits=True),
    lambda: deepzoo.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
], ids=["cce-logits", "cce-logits-smoothing", "scce-logits", "bce-logits-smoothing"])
def test_losses_from_logits_and_with_smoothing(make):
    """Finite differences always; PyTorch's values too where it is installed."""
    loss = make()
    rng = np.random.default_rng(0)
    z = rng.standard_normal((5, 4)) * 3
    labels = rng.integers(0, 4, 5)
    if isinstance(loss, deepzoo.losses.BinaryCrossentropy):
        targets = rng.integers(0, 2, (5, 4)).astype(float)
    elif isinstance(loss, deepzoo.losses.SparseCategoricalCrossentropy):
        targets = labels
    else:
        targets = np.eye(4)[labels]
    ops = deepzoo.get_ops("numpy")
    prepared = loss.prepare_targets(targets, np.float64)
    value, grad = loss.forward(ops, z.copy(), prepared)
    step = 1e-6
    numeric = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (loss.forward(ops, up, prepared)[0]
                          - loss.forward(ops, down, prepared)[0]) / (2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()
    torch = pytest.importorskip("torch")
    logits = torch.tensor(z)
    smoothing = getattr(loss, "label_smoothing", 0.0)
    if isinstance(loss, deepzoo.losses.BinaryCrossentropy):
        expected = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, torch.tensor(targets * (1 - smoothing) + smoothing / 2))
    else:
        expected = torch.nn.functional.cross_entropy(logits, torch.tensor(labels), label_smoothing=smoothing)
    assert value == pytest.approx(expected.item(), rel=1e-10)


def test_keras_2_lr_still_works_with_a_deprecation_note():
    with pytest.warns(DeprecationWarning, match="learning_rate="):
        optimizer = deepzoo.keras.optimizers.RMSprop(lr=0.01)
    assert optimizer.learning_rate == 0.01


def keras_3_steps(name, param, grads, lr, eps=1e-7, rho=0.9, beta_1=0.9, beta_2=0.999, initial=0.1):
    """Keras 3's ``update_step`` of each optimizer, transcribed into NumPy (float64)."""
    p, s, m, v = param.copy(), np.full_like(param, initial if name == "Adagrad" else 0.0), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        if name == "RMSprop":
            s = rho * s + (1 - rho) * g * g
            p = p - lr * g / np.sqrt(s + eps)
        elif name == "Adagrad":
            s = s + g * g
            p = p - lr * g / np.sqrt(s + eps)
        elif name == "Adam":
            alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            m = m + (g - m) * (1 - beta_1)
            v = v + (g * g - v) * (1 - beta_2)
            p = p - alpha * m / (np.sqrt(v) + eps)
    return p


@pytest.mark.parametrize("name", ["RMSprop", "Adagrad", "Adam"])
def test_facade_optimizers_follow_keras_3_formulas_and_defaults(name, rng):
    """Tiny gradients, where ``eps`` matters: the facade's step is Keras's, deepzoo's own is torch's."""
    from deepzoo.backend.reference import Ops

    ops, lr = Ops(), 0.01
    param, grads = rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) * 1e-5 for _ in range(4)]
    expected = keras_3_steps(name, param, grads, lr, eps=1e-4)
    results = {}
    for label, optimizer in (("keras", getattr(deepzoo.keras.optimizers, name)(learning_rate=lr, epsilon=1e-4)),
                             ("deepzoo", getattr(deepzoo.optimizers, name)(learning_rate=lr, epsilon=1e-4))):
        p = param.copy()
        if name == "Adagrad":
            optimizer.initial_accumulator_value = 0.1  # compare the formulas, not this default
        for g in grads:
            optimizer.step(ops, [("w", p, g.copy())])
        results[label] = p
    np.testing.assert_allclose(results["keras"] - param, expected - param, rtol=1e-9)
    assert not np.allclose(results["deepzoo"] - param, expected - param, rtol=1e-5, atol=0)


def test_facade_optimizer_defaults_are_keras_3s():
    k = deepzoo.keras.optimizers
    assert (k.Adadelta().learning_rate, k.Adadelta().epsilon) == (0.001, 1e-7)
    assert (k.Adagrad().learning_rate, k.Adagrad().initial_accumulator_value) == (0.001, 0.1)
    assert k.RMSprop().get_config() == {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7, "formula": "keras"}
    assert deepzoo.optimizers.RMSprop().get_config() == {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7}
    assert deepzoo.optimizers.Adadelta().learning_rate == 1.0
    k.SGD(name="SGD", clipnorm=None)  # Keras's defaults for what deepzoo lacks are accepted
    with pytest.raises(deepzoo.errors.MissingFeatureError, match=r"RMSprop\(centered=True\)"):
        k.RMSprop(centered=True)
    with pytest.raises(deepzoo.errors.MissingFeatureError, match="clipnorm"):
        k.Adam(clipnorm=1.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'learnin_rate'"):
        k.Adam(learnin_rate=0.1)
    with pytest.raises(deepzoo.errors.ConfigError, match="formula must be one of torch, keras"):
        deepzoo.optimizers.Adam(formula="tf")


def test_a_facade_optimizer_is_saved_and_loaded_with_its_formula(tmp_path, rng):
    model = deepzoo.keras.Sequential([deepzoo.keras.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer=deepzoo.keras.optimizers.RMSprop(learning_rate=0.01), loss="mse")
    x, y = rng.standard_normal((8, 3)).astype("float32"), rng.standard_normal((8, 2)).astype("float32")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.dzm")
    loaded = deepzoo.keras.models.load_model(tmp_path / "m.dzm")
    assert type(loaded.optimizer) is deepzoo.optimizers.RMSprop
    assert loaded.optimizer.formula == "keras"
    model.fit(x, y, epochs=1, verbose=0)
    loaded.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_facade_imports_every_way_a_program_spells_it():
    """In a fresh interpreter each time: ``from deepzoo import keras`` once recursed."""
    import subprocess
    import sys

    for statement in ("from deepzoo import keras; keras.Sequential",
                      "import deepzoo; deepzoo.keras.layers.Dense",
                      "import deepzoo.keras as keras; keras.Input", "from deepzoo.keras.layers import Dense"):
        done = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (statement, done.stderr[-500:])
