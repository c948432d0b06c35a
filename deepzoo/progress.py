"""The progress display of ``fit``, laid out as Keras lays it out.

``verbose=1`` prints ``Epoch k/N``, then a bar that moves while the epoch runs
(steps done, time left, the running loss and metrics), and when the epoch ends
replaces the bar with the epoch's line::

    Epoch 3/10
    797/797 - 3s 3.9ms/step - loss: 0.0299 - accuracy: 0.9905 - val_loss: 0.0833 - val_accuracy: 0.9803

That line is printed whole, never cut to the terminal's width (a narrow terminal
wraps it). ``verbose=2`` prints the two lines without the moving bar, ``verbose=0``
nothing. The CLI sends it to stderr. For long runs of tiny epochs,
``ProgressBar(verbose=2, every=100)`` prints every hundredth epoch.

The bar is tqdm's text bar, also in a notebook: it needs no widget library, and a
saved notebook keeps the epoch lines. During the first step of the first
``fit`` of a process the bar says that kernels are being compiled, which on a
machine with an empty numba cache takes seconds.
"""

from __future__ import annotations

import sys
import time

from .callbacks import Callback

#: whether a fit in this process has taken a step already (kernels are compiled by then)
_stepped = False


def format_logs(logs: dict) -> str:
    """``{"loss": 0.1234}`` -> ``"loss: 0.1234"``."""
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class ProgressBar(Callback):
    """The progress display of ``fit``; see the module docstring for ``verbose`` and ``every``."""

    def __init__(self, verbose=1, file=None, refresh_seconds=0.25, every=1):
        self.verbose = verbose
        self.every = max(int(every), 1)
        self.file = file
        self.refresh_seconds = refresh_seconds
        self.bar = None
        self._refresh = False

    def on_train_begin(self, logs=None):
        self.epochs = self.model.fit_params["epochs"]
        self.steps = self.model.fit_params["steps"]

    def _shown(self, epoch) -> bool:
        return self.verbose == 1 or (epoch + 1) % self.every == 0 or epoch + 1 == self.epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.last_refresh = self.start
        if not self._shown(epoch):
            return
        print(f"Epoch {epoch + 1}/{self.epochs}", file=self._stream(), flush=True)
        if self.verbose == 1:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.steps, unit="step", file=self._stream(), leave=False, dynamic_ncols=True,
                bar_format="{n_fmt}/{total_fmt} [{bar:20}] ETA {remaining}{postfix}",
            )
            if not _stepped:
                self.bar.set_postfix_str("compiling kernels (a few seconds on a first run)")

    def on_batch_end(self, batch, logs=None):
        global _stepped
        _stepped = True
        if self.bar is None:
            return
        if self._refresh:
            self.last_refresh = time.perf_counter()
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=False)
        self.bar.update(1)

    def wants_batch_logs(self, batch):
        # decided here, before the batch's logs are made, and kept for on_batch_end
        self._refresh = self.bar is not None and (
            batch == 0 or time.perf_counter() - self.last_refresh > self.refresh_seconds)
        return self._refresh

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self.start
        if self.bar is not None:
            self.bar.close()  # leave=False: the bar's line is cleared for the epoch's line
            self.bar = None
        if self._shown(epoch):
            per_step = elapsed / max(self.steps, 1)
            print(f"{self.steps}/{self.steps} - {_whole_seconds(elapsed)} {_duration(per_step)}/step - "
                  f"{format_logs(logs or {})}", file=self._stream(), flush=True)

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _stream(self):
        return self.file or (sys.stdout if self.verbose == 2 else sys.stderr)


def _whole_seconds(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 1 else f"{seconds:.2f}s"


def _duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f}ms"
    return f"{seconds * 1e6:.0f}us"
