"""One playground session: settings, the deepzoo model they describe, training, pictures, code.

The page sends settings as a JSON object; :func:`check_settings` accepts only
registry names and numbers inside fixed bounds (never code), and says what is
wrong otherwise. A :class:`Session` then builds an ordinary
:class:`~deepzoo.Sequential` model and trains it with ``model.fit`` in whole
epochs, as many per call as fit in the time it is given, so that the program
:meth:`Session.code` writes (``fit(..., epochs=E)`` with the same seed) takes
exactly the same steps and ends at the same loss.
"""

from __future__ import annotations

import base64
import math
import time

import numpy as np

from .. import registry
from ..layers import Dense
from ..model import Sequential
from . import data

#: the largest network and pictures the page may ask for
MAX_LAYERS, MAX_UNITS = 8, 64
SURFACE, UNIT_MAP = 64, 16

DEFAULTS = {
    "dataset": "circle", "samples": 500, "noise": 0, "train_fraction": 0.5, "batch_size": 10,
    "features": ["x1", "x2"], "layers": [4, 2], "activation": "tanh", "loss": "auto",
    "optimizer": "sgd", "learning_rate": 0.03, "regularization": "none", "regularization_rate": 0.0,
    "seed": 0,
}
#: hidden activations offered: every registered one that works unit by unit
EXCLUDED_ACTIVATIONS = {"softmax"}
REGULARIZATIONS = ("none", "l1", "l2")


class SettingsError(ValueError):
    """Settings the playground refuses; the message says which and why."""


def _number(settings, key, low, high, integer=False):
    value = settings[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or \
            (integer and value != int(value)) or not low <= value <= high:
        kind = "a whole number" if integer else "a number"
        raise SettingsError(f"{key} must be {kind} from {low} to {high}; received {value!r}")
    return int(value) if integer else float(value)


def _choice(settings, key, options):
    value = settings[key]
    if value not in options:
        raise SettingsError(f"{key} must be one of {', '.join(map(str, options))}; received {value!r}")
    return value


def options() -> dict:
    """What the page's menus offer: data sets, features, and the registries' names (plugins included)."""
    return {
        "datasets": {name: label for name, (label, _) in data.DATASETS.items()},
        "features": list(data.FEATURES),
        "activations": [n for n in registry.activations.names() if n not in EXCLUDED_ACTIVATIONS],
        "losses": ["auto"] + [n for n in registry.losses.names() if "categorical" not in n],
        "optimizers": registry.optimizers.names(),
        "regularizations": list(REGULARIZATIONS),
        "defaults": DEFAULTS,
        "limits": {"layers": MAX_LAYERS, "units": MAX_UNITS},
    }


def check_settings(given) -> dict:
    """``given`` (from the page) completed with the defaults and checked; raises SettingsError."""
    if not isinstance(given, dict):
        raise SettingsError("settings must be an object")
    unknown = set(given) - set(DEFAULTS)
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(map(str, unknown)))}")
    s = {**DEFAULTS, **given}
    menus = options()
    checked = {
        "dataset": _choice(s, "dataset", list(data.DATASETS)),
        "samples": _number(s, "samples", 50, 1000, integer=True),
        "noise": _number(s, "noise", 0, 50),
        "train_fraction": _number(s, "train_fraction", 0.1, 0.9),
        "batch_size": _number(s, "batch_size", 1, 100, integer=True),
        "activation": _choice(s, "activation", menus["activations"]),
        "loss": _choice(s, "loss", menus["losses"]),
        "optimizer": _choice(s, "optimizer", menus["optimizers"]),
        "learning_rate": _number(s, "learning_rate", 1e-6, 10),
        "regularization": _choice(s, "regularization", REGULARIZATIONS),
        "regularization_rate": _number(s, "regularization_rate", 0, 1),
        "seed": _number(s, "seed", 0, 2**31 - 1, integer=True),
    }
    features = s["features"]
    if not isinstance(features, list) or not features or len(set(features)) != len(features) or \
            not all(f in data.FEATURES for f in features):
        raise SettingsError(f"features must be a non-empty list of distinct names from "
                            f"{', '.join(data.FEATURES)}; received {features!r}")
    layers = s["layers"]
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS or not all(
            isinstance(u, int) and not isinstance(u, bool) and 1 <= u <= MAX_UNITS for u in layers):
        raise SettingsError(f"layers must be a list of at most {MAX_LAYERS} unit counts from 1 to {MAX_UNITS}; "
                            f"received {layers!r}")
    checked.update(features=list(features), layers=list(layers))
    task = data.DATASETS[checked["dataset"]][1]
    if checked["loss"] == "auto":
        checked["loss"] = "binary_crossentropy" if task == "classification" else "mean_squared_error"
    if task == "regression" and checked["loss"] == "binary_crossentropy":
        raise SettingsError("binary_crossentropy needs targets 0 and 1; this data set's targets are numbers "
                            "(choose mean_squared_error, mean_absolute_error or huber)")
    return checked


def _bytes(values, low, high) -> str:
    """Values mapped from [low, high] to 0-255, as base64 text (the page's pixels)."""
    scaled = np.clip((np.asarray(values, dtype=np.float64) - low) / (high - low), 0, 1)
    return base64.b64encode(np.rint(scaled * 255).astype(np.uint8).tobytes()).decode("ascii")


class Session:
    """A network, its data and its training, as the page's settings describe them."""

    def __init__(self, settings, device=None, data_dir=None):
        self.settings = check_settings(settings)
        self.device = device
        s = self.settings
        self.task = data.DATASETS[s["dataset"]][1]
        points, targets = data.make_dataset(s["dataset"], s["samples"], s["noise"], s["seed"],
                                            data_dir=data_dir)
        self.train_points, self.train_targets, self.test_points, self.test_targets = data.split(
            points, targets, s["train_fraction"], s["seed"])
        self.x_train = data.features(self.train_points, s["features"])
        self.x_test = data.features(self.test_points, s["features"])
        self.surface_inputs = data.features(data.grid(SURFACE), s["features"])
        self.unit_inputs = data.features(data.grid(UNIT_MAP), s["features"])
        self.model = self._build()
        self.epoch, self.seconds_training, self.last_rate = 0, 0.0, 0.0
        self.train_loss = self.model.evaluate(self.x_train, self.train_targets)
        self.test_loss = self.model.evaluate(self.x_test, self.test_targets)

    def _build(self) -> Sequential:
        s = self.settings
        regularizer = None
        if s["regularization"] != "none" and s["regularization_rate"] > 0:
            regularizer = {"name": s["regularization"], s["regularization"]: s["regularization_rate"]}
        layers = [Dense(units, activation=s["activation"], kernel_regularizer=regularizer)
                  for units in s["layers"]]
        layers.append(Dense(1, activation="sigmoid" if self.task == "classification" else None))
        model = Sequential(layers, input_shape=(len(s["features"]),), seed=s["seed"], device=self.device)
        optimizer = registry.optimizers.get(s["optimizer"])(learning_rate=s["learning_rate"])
        model.compile(optimizer=optimizer, loss=s["loss"])
        return model

    @property
    def steps_per_epoch(self) -> int:
        return -(-len(self.x_train) // self.settings["batch_size"])

    def train(self, epochs=None, seconds=None) -> int:
        """Train ``epochs`` epochs, or as many as fit in about ``seconds``; returns how many."""
        if epochs is None:
            per_epoch = self.seconds_training / self.epoch if self.epoch else 0.002
            epochs = max(1, int(seconds / max(per_epoch, 1e-5)))
        start = time.perf_counter()
        self.model.fit(self.x_train, self.train_targets, batch_size=self.settings["batch_size"], epochs=epochs,
                       verbose=0, terminate_on_nan=False)
        elapsed = time.perf_counter() - start
        self.seconds_training += elapsed
        self.last_rate = epochs * self.steps_per_epoch / elapsed if elapsed > 0 else 0.0
        self.epoch += epochs
        self.train_loss = self.model.evaluate(self.x_train, self.train_targets)
        self.test_loss = self.model.evaluate(self.x_test, self.test_targets)
        return epochs

    def _hidden_outputs(self, x) -> list:
        """Each hidden layer's outputs for inputs ``x`` (host arrays)."""
        ops, out, outputs = self.model.ops, self.model.ops.asarray(x), []
        for layer in self.model.layers[:-1]:
            out, _ = layer.forward(out, training=False)
            outputs.append(ops.to_host(out))
        return outputs

    def frame(self) -> dict:
        """What the page draws now: losses, the output over the plane, each unit's map, the weights."""
        surface = self.model.predict(self.surface_inputs, batch_size=4096).ravel()
        low, high = (0.0, 1.0) if self.task == "classification" else (-1.0, 1.0)
        units = []
        for outputs in self._hidden_outputs(self.unit_inputs):
            bound = max(float(np.abs(outputs).max()), 1e-6)
            units.append([_bytes(outputs[:, j], -bound, bound) for j in range(outputs.shape[1])])
        weights = [np.round(layer.get_weights()["kernel"], 4).tolist() for layer in self.model.layers]
        frame = {"type": "frame", "epoch": self.epoch, "steps": self.epoch * self.steps_per_epoch,
                 "steps_per_second": round(self.last_rate), "train_loss": self.train_loss,
                 "test_loss": self.test_loss, "surface": _bytes(surface, low, high), "surface_size": SURFACE,
                 "units": units, "unit_size": UNIT_MAP, "weights": weights, "task": self.task}
        if self.settings["dataset"] == "sine":
            frame["curve"] = self._curve()
        return frame

    def _curve(self) -> dict:
        """Universal approximation: the fit along x1, and each unit of a single hidden layer's
        contribution to it (its output times its weight into the output unit)."""
        x1 = np.linspace(-5, 5, 101, dtype=np.float32)
        points = np.column_stack([x1, np.zeros_like(x1)])
        inputs = data.features(points, self.settings["features"])
        curve = {"x": x1.tolist(), "target": np.sin(x1 * np.pi / 5).tolist(),
                 "fit": self.model.predict(inputs).ravel().tolist()}
        if len(self.settings["layers"]) == 1:
            hidden = self._hidden_outputs(inputs)[0]
            w_out = self.model.layers[-1].get_weights()["kernel"][:, 0]
            curve["units"] = (hidden * w_out).T.round(4).tolist()
        return curve

    def points(self) -> dict:
        """The data for the page's scatter plot (sent once per reset)."""
        return {"type": "points", "train": self.train_points.round(3).tolist(),
                "train_targets": self.train_targets.round(3).tolist(),
                "test": self.test_points.round(3).tolist(), "test_targets": self.test_targets.round(3).tolist(),
                "extent": data.EXTENT, "task": self.task}

    def _regularizer_text(self, module) -> str:
        """The kernel_regularizer argument of the exported layers ('' for none)."""
        s = self.settings
        if s["regularization"] == "none" or s["regularization_rate"] <= 0:
            return ""
        penalty = f'{module}.regularizers.{s["regularization"].upper()}({s["regularization_rate"]!r})'
        return f", kernel_regularizer={penalty}"

    def _exported_data(self) -> str:
        """The lines of an exported program that rebuild the page's data and features."""
        s = self.settings
        return (
            f'points, targets = make_dataset("{s["dataset"]}", n={s["samples"]}, noise={s["noise"]!r}, '
            f'seed={s["seed"]})\n'
            f'train_points, y_train, test_points, y_test = split(points, targets, {s["train_fraction"]!r}, '
            f'seed={s["seed"]})\n'
            f"names = {s['features']!r}\n"
            f"x_train, x_test = features(train_points, names), features(test_points, names)\n\n"
        )

    def _exported_layers(self, dense) -> str:
        """The hidden and output layers of an exported program, each written ``dense(...)``."""
        s, regularizer = self.settings, self._regularizer_text(dense.split(".")[0])
        output = '"sigmoid"' if self.task == "classification" else "None"
        hidden = "".join(f'    {dense}({u}, activation="{s["activation"]}"{regularizer}),\n'
                         for u in s["layers"])
        return f"{hidden}    {dense}(1, activation={output}),\n"

    def code(self) -> str:
        """A deepzoo program that trains the same network on the same data, same seed, same epochs."""
        if not self.epoch:
            return "# press play first: the program reproduces a run of at least one epoch\n"
        s = self.settings
        return (
            f'"""The deepzoo playground\'s network, trained as the page trained it ({self.epoch} epochs)."""\n'
            f"import deepzoo as dz\n"
            f"from deepzoo.playground.data import features, make_dataset, split\n\n"
            f"{self._exported_data()}"
            f"model = dz.Sequential([\n{self._exported_layers('dz.Dense')}"
            f"], input_shape=({len(s['features'])},), seed={s['seed']})\n"
            f'optimizer = dz.registry.optimizers.get("{s["optimizer"]}")'
            f'(learning_rate={s["learning_rate"]!r})\n'
            f'model.compile(optimizer=optimizer, loss="{s["loss"]}")\n'
            f"model.fit(x_train, y_train, batch_size={s['batch_size']}, epochs={self.epoch}, verbose=0)\n"
            f'print(f"training loss {{model.evaluate(x_train, y_train):.6f}}, '
            f'test loss {{model.evaluate(x_test, y_test):.6f}}")\n'
        )

    def keras_code(self) -> str:
        """The same network in Keras's spelling (``from deepzoo import keras``). Its weights start
        from other random numbers, and Keras's optimizers use Keras's formulas, so its loss ends
        near the page's, not on it; :meth:`code` reproduces the page exactly."""
        from ..keras import optimizers as keras_optimizers

        s = self.settings
        names = {name.lower(): name for name in keras_optimizers.__all__ if name[0].isupper()}
        optimizer = names.get(s["optimizer"])
        if optimizer is None:
            return f"# the optimizer {s['optimizer']!r} is a plugin: it has no Keras spelling\n"
        return (
            f"from deepzoo import keras\n"
            f"from deepzoo.playground.data import features, make_dataset, split\n\n"
            f"{self._exported_data()}"
            f"model = keras.Sequential([\n    keras.Input(shape=({len(s['features'])},)),\n"
            f"{self._exported_layers('keras.layers.Dense')}])\n"
            f"model.compile(optimizer=keras.optimizers.{optimizer}(learning_rate={s['learning_rate']!r}), "
            f'loss="{s["loss"]}")\n'
            f"model.fit(x_train, y_train, batch_size={s['batch_size']}, epochs={max(self.epoch, 1)}, "
            f"verbose=0)\n"
            f"print(model.evaluate(x_test, y_test, verbose=0))\n"
        )
