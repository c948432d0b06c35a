"""Callbacks: code that runs at fixed points of ``fit``.

A callback overrides any of the hooks below. ``logs`` holds host numbers only
(``{"loss": 0.31, "accuracy": 0.9, "val_loss": ...}``). Setting
``model.stop_training = True`` ends ``fit`` after the current epoch.
"""

from __future__ import annotations

import math
import string
from collections import defaultdict

from .errors import ConfigError


class Callback:
    """Base class: override the hooks you need; ``self.model`` is the model being fit."""

    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


class History(Callback):
    """Records the logs of every epoch: ``history.history["loss"]`` is a list per epoch."""

    def __init__(self):
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class EarlyStopping(Callback):
    """Stop once ``monitor`` has gone more than ``patience`` epochs without improving by ``min_delta``.

    (Keras stops after ``patience`` such epochs, one sooner; see "Coming from Keras".)

    With ``restore_best_weights`` the model gets back the weights of its best epoch.
    The state is reset at the start of every ``fit``, so one instance can be reused.
    ``mode`` is ``"min"``, ``"max"`` or ``"auto"`` (max for names containing "acc").
    """

    def __init__(self, monitor="val_loss", patience=0, min_delta=0.0, mode="auto",
                 restore_best_weights=False):
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ConfigError(f"EarlyStopping: patience must be an integer >= 0, received {patience!r}")
        if not isinstance(min_delta, (int, float)) or min_delta < 0:
            raise ConfigError(f"EarlyStopping: min_delta must be a number >= 0, received {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ConfigError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', received {mode!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = float(min_delta)
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.restore_best_weights = restore_best_weights
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0
        self.stopped_epoch = None

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ConfigError(
                f"EarlyStopping monitors '{self.monitor}', but the logs only have "
                f"{', '.join(sorted(logs))}. Pass validation data to monitor a 'val_' figure."
            )
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch loss is NaN or infinite, and say where."""

    def __init__(self):
        self.message = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.message = (
                f"training stopped: the loss became {loss} in epoch {self.epoch + 1}, batch "
                f"{batch + 1}. Try a smaller learning rate."
            )
            self.model.stop_training = True
            self.model.stop_reason = self.message


class ModelCheckpoint(Callback):
    """Save the model at the end of each epoch (see :meth:`Sequential.save`).

    ``path`` may hold fields filled per epoch, e.g. ``"model-{epoch:02d}.dzm"``
    (``epoch`` counts from 1; the logs' names work too: ``{val_loss:.3f}``).
    With ``save_best_only`` a save happens only when ``monitor`` improves. Each
    save is atomic, and the file holds what resuming needs: weights, optimizer
    state and the random generator, so ``fit(..., initial_epoch=k)`` on the
    loaded model continues exactly as the run would have.
    """

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto"):
        if mode not in ("auto", "min", "max"):
            raise ConfigError(f"ModelCheckpoint: mode must be 'auto', 'min' or 'max', received {mode!r}")
        self.path = str(path)
        try:  # a malformed pattern is refused now, not after the first epoch
            self.fields = {name for _, name, _, _ in string.Formatter().parse(self.path) if name is not None}
            self.path.format_map(defaultdict(float, epoch=1))
        except (ValueError, IndexError, TypeError) as exc:
            raise ConfigError(f"ModelCheckpoint: {self.path!r} is not a valid file name pattern "
                              f"({exc}); fields need names, e.g. {{epoch:02d}}") from None
        if "" in self.fields or any(name.isdigit() for name in self.fields):
            raise ConfigError(f"ModelCheckpoint: the fields of {self.path!r} need names, e.g. {{epoch:02d}}")
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.best = None

    def on_train_begin(self, logs=None):
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            if self.monitor not in logs:
                raise ConfigError(f"ModelCheckpoint monitors '{self.monitor}', but the logs only have "
                                  f"{', '.join(sorted(logs))}")
            value = logs[self.monitor]
            better = self.best is None or (value < self.best if self.mode == "min" else value > self.best)
            if not better:
                return
            self.best = value
        unknown = self.fields - {"epoch"} - set(logs)
        if unknown:
            raise ConfigError(f"ModelCheckpoint: the file name pattern {self.path!r} names "
                              f"{', '.join(sorted(unknown))}, which the logs do not have (they have epoch, "
                              f"{', '.join(sorted(logs))})")
        self.model.save(self.path.format(epoch=epoch + 1, **logs))
