"""The progress display of ``fit`` (a callback built on tqdm).

``verbose=1`` draws one bar per epoch with the steps done, the time per step and
the running loss and metrics, then leaves the epoch's final figures (validation
included) on its line. ``verbose=2`` prints only that final line per epoch, and
``verbose=0`` prints nothing. The CLI sends it to stderr. For long runs of tiny
epochs, ``ProgressBar(verbose=2, every=100)`` prints every hundredth epoch.
"""

from __future__ import annotations

import sys
import time

from .callbacks import Callback


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

    def on_train_begin(self, logs=None):
        self.epochs = self.model.fit_params["epochs"]
        self.steps = self.model.fit_params["steps"]

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.last_refresh = self.start
        if self.verbose == 1:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=self.steps,
                desc=f"Epoch {epoch + 1}/{self.epochs}",
                unit="step",
                file=self.file or sys.stderr,
                leave=True,
                dynamic_ncols=True,
                bar_format="{desc} {n_fmt}/{total_fmt} [{bar:20}] {elapsed} {rate_fmt}{postfix}",
            )

    def on_batch_end(self, batch, logs=None):
        if self.bar is None:
            return
        self.bar.update(1)
        now = time.perf_counter()
        if now - self.last_refresh > self.refresh_seconds:
            self.last_refresh = now
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self.start
        per_step = elapsed / max(self.steps, 1)
        summary = f"{_duration(per_step)}/step - {format_logs(logs or {})}"
        if self.bar is not None:
            self.bar.set_postfix_str(summary, refresh=True)
            self.bar.close()
            self.bar = None
        elif self.verbose == 2 and ((epoch + 1) % self.every == 0 or epoch + 1 == self.epochs):
            print(f"Epoch {epoch + 1}/{self.epochs} - {elapsed:.1f}s - {summary}",
                  file=self.file or sys.stdout, flush=True)

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f}ms"
    return f"{seconds * 1e6:.0f}us"
