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
    """Stop once ``monitor`` has gone ``patience`` epochs without improving by ``min_delta``.

    The rules are Keras's: ``patience=0`` stops at the first epoch that does not
    improve, ``patience=3`` after three such epochs in a row. With
    ``restore_best_weights`` the model gets back the weights of its best epoch.
    ``mode`` is ``"min"``, ``"max"`` or ``"auto"`` (max for names containing
    "acc"). ``baseline``: training also stops if the monitored figure has not
    reached it within ``patience`` epochs. ``start_from_epoch``: the first epochs
    (a warm-up) are not watched. ``verbose=1`` says when and why it stopped. The
    state is reset at the start of every ``fit``, so one instance can be reused.
    """

    def __init__(self, monitor="val_loss", patience=0, min_delta=0.0, mode="auto",
                 restore_best_weights=False, *, verbose=0, baseline=None, start_from_epoch=0):
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ConfigError(f"EarlyStopping: patience must be an integer >= 0, received {patience!r}")
        if not isinstance(min_delta, (int, float)) or min_delta < 0:
            raise ConfigError(f"EarlyStopping: min_delta must be a number >= 0, received {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ConfigError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', received {mode!r}")
        if not isinstance(start_from_epoch, int) or isinstance(start_from_epoch, bool) or start_from_epoch < 0:
            raise ConfigError(f"EarlyStopping: start_from_epoch must be an integer >= 0, "
                              f"received {start_from_epoch!r}")
        if baseline is not None and (isinstance(baseline, bool) or not isinstance(baseline, (int, float))):
            raise ConfigError(f"EarlyStopping: baseline must be a number or None, received {baseline!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = float(min_delta)
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.restore_best_weights = restore_best_weights
        self.verbose = verbose
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0
        self.stopped_epoch = None

    def _improved(self, value, reference):
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ConfigError(
                f"EarlyStopping monitors '{self.monitor}', but the logs only have "
                f"{', '.join(sorted(logs))}. Pass validation data to monitor a 'val_' figure."
            )
        if epoch < self.start_from_epoch:
            return
        value = logs[self.monitor]
        self.wait += 1
        if self._improved(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: early stopping, {self.monitor} has not improved for "
                      f"{self.wait} epochs (best {self.best:.4f}, epoch {self.best_epoch + 1})"
                      if self.best_epoch is not None else
                      f"Epoch {epoch + 1}: early stopping, {self.monitor} never improved", flush=True)

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose and self.stopped_epoch is not None:
                print(f"Restoring the weights of epoch {self.best_epoch + 1}, the best one.", flush=True)
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
