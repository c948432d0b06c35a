"""Callbacks: code that runs at fixed points of ``fit``.

A callback overrides any of the hooks below. ``logs`` holds host numbers only
(``{"loss": 0.31, "accuracy": 0.9, "val_loss": ...}``); a batch's logs hold the
loss and metrics when a callback asks for them (:meth:`Callback.wants_batch_logs`),
and are empty otherwise; an epoch's logs always hold them. Setting
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

    def wants_batch_logs(self, batch) -> bool:
        """Whether this batch's ``on_batch_end`` reads the loss or the metrics in ``logs``.
        ``fit`` works them out only when some callback says yes (otherwise ``logs`` is
        empty): on a GPU each figure is a copy back from the device, and a wait for the
        work queued before it. The default is yes for a callback with an ``on_batch_end``
        of its own."""
        return "on_batch_end" in vars(self) or type(self).on_batch_end is not Callback.on_batch_end


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
    """Stop training as soon as a batch loss is NaN or infinite, and say where.

    It reads the epoch's running loss, which stops being finite with the first batch
    whose loss is not. On the CPU that is every batch; on a GPU, where each reading
    is a copy and a wait, every ``DEVICE_EVERY`` batches (and at the epoch's end), and
    the message names the batches between two readings.
    """

    DEVICE_EVERY = 50

    def __init__(self):
        self.message = None
        self.every, self.epoch, self.checked = 1, 0, 0  # until fit says otherwise

    def on_train_begin(self, logs=None):
        self.every = 1 if self.model.ops.device == "cpu" else self.DEVICE_EVERY

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.checked = epoch, 0  # the batches up to here had finite losses

    def wants_batch_logs(self, batch):
        return (batch + 1) % self.every == 0

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None:
            self._check(loss, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        steps = self.model.fit_params["steps"]
        if self.checked < steps and not self.model.stop_training:
            self._check((logs or {}).get("loss", 0.0), steps)

    def _check(self, loss, batches):
        if math.isfinite(loss):
            self.checked = batches
            return
        where = (f"batch {batches}" if batches == self.checked + 1 else
                 f"one of batches {self.checked + 1} to {batches}")
        self.message = f"training stopped: the loss became {loss} in epoch {self.epoch + 1}, {where}. " \
                       f"Try a smaller learning rate."
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


def _set_learning_rate(model, value, who):
    """Give the model's optimizer a new learning rate (checked as the optimizer checks it)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{who}: a learning rate must be a finite number > 0, received {value!r}")
    model.optimizer.learning_rate = float(value)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, current_rate)``.

    ``epoch`` counts from 0, as in Keras. The rate in use is added to the epoch's
    logs as ``learning_rate`` for the callbacks that come after this one.
    """

    def __init__(self, schedule, verbose=0):
        if not callable(schedule):
            raise ConfigError(f"LearningRateScheduler: schedule must be a function "
                              f"(epoch, learning_rate) -> learning_rate, received {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        rate = self.schedule(epoch, self.model.optimizer.learning_rate)
        _set_learning_rate(self.model, rate, "LearningRateScheduler")
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {self.model.optimizer.learning_rate:.6g}", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.learning_rate


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` once ``monitor`` has not improved for ``patience``
    epochs (Keras's rules: ``min_delta``, ``cooldown`` epochs of rest after a reduction, never
    below ``min_lr``)."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor < 1:
            raise ConfigError(f"ReduceLROnPlateau: factor must be a number in (0, 1), received {factor!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"ReduceLROnPlateau: {name} must be an integer >= 0, received {value!r}")
        if mode not in ("auto", "min", "max"):
            raise ConfigError(f"ReduceLROnPlateau: mode must be 'auto', 'min' or 'max', received {mode!r}")
        self.monitor, self.factor, self.patience = monitor, float(factor), patience
        self.verbose, self.min_delta, self.cooldown, self.min_lr = verbose, float(min_delta), cooldown, min_lr
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_left = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if self.monitor not in logs:
            raise ConfigError(f"ReduceLROnPlateau monitors '{self.monitor}', but the logs only have "
                              f"{', '.join(sorted(logs))}")
        value = logs[self.monitor]
        if self.mode == "min":
            improved = value < self.best - self.min_delta
        else:
            improved = value > self.best + self.min_delta
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if improved:
            self.best, self.wait = value, 0
        elif self.cooldown_left == 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = self.model.optimizer.learning_rate
                new = max(old * self.factor, self.min_lr)
                if new < old:
                    _set_learning_rate(self.model, new, "ReduceLROnPlateau")
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing the learning rate to {new:.6g}",
                              flush=True)
                    self.cooldown_left, self.wait = self.cooldown, 0
        logs["learning_rate"] = self.model.optimizer.learning_rate


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file: ``epoch`` first, then the figures.

    With ``append`` a resumed run adds its rows to the file (the header is written
    only into an empty file). Each row is flushed as it is written.
    """

    def __init__(self, filename, separator=",", append=False):
        self.filename, self.separator, self.append = str(filename), separator, append
        self.file = None

    def on_train_begin(self, logs=None):
        import os

        fresh = not (self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0)
        self.file = open(self.filename, "a" if self.append else "w", newline="")  # closed at train end
        self.keys = None
        self.header_needed = fresh

    def on_epoch_end(self, epoch, logs=None):
        import csv

        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self.writer = csv.writer(self.file, delimiter=self.separator)
            if self.header_needed:
                self.writer.writerow(["epoch", *self.keys])
        self.writer.writerow([epoch, *(logs.get(key, "") for key in self.keys)])
        self.file.flush()

    def on_train_end(self, logs=None):
        if self.file is not None:
            self.file.close()
            self.file = None


class LambdaCallback(Callback):
    """A callback made of functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Each hook is a function taking what the hook takes (``on_train_begin(logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_batch_end(batch, logs)``...).
    """

    HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_end")

    def __init__(self, **hooks):
        unknown = set(hooks) - set(self.HOOKS)
        if unknown:
            raise ConfigError(f"LambdaCallback: unknown hook(s) {', '.join(sorted(unknown))}; "
                              f"the hooks are {', '.join(self.HOOKS)}")
        for name, function in hooks.items():
            if not callable(function):
                raise ConfigError(f"LambdaCallback: {name} must be a function, received {function!r}")
            setattr(self, name, function)
