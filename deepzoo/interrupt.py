"""Ctrl-C during training: finish the current batch, then stop cleanly.

While :class:`StopOnInterrupt` is active (in the main thread), the first Ctrl-C
only raises a flag; ``fit`` checks it after each batch and returns with the
weights of the last completed step and the history so far. A second Ctrl-C
interrupts at once, as usual.

:class:`DeferInterrupt` holds a Ctrl-C back while a compiled extension (numba)
is being imported: an interrupt inside an extension's initialisation surfaces
as an ``ImportError`` and leaves the module half set up, so it is delivered
just after the import instead.
"""

from __future__ import annotations

import signal
import threading


class StopOnInterrupt:
    """Context manager: the first Ctrl-C sets ``requested`` instead of raising."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame):
        if self.requested:  # asked twice: stop right now
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


class DeferInterrupt:
    """Context manager: a Ctrl-C while it is active is delivered when it ends."""

    def __init__(self):
        self._signals = []
        self._previous = None

    def _handler(self, signum, frame):
        self._signals.append(signum)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc_info):
        if self._previous is None:
            return False
        signal.signal(signal.SIGINT, self._previous)
        if self._signals and callable(self._previous):
            self._previous(signal.SIGINT, None)  # Python's handler raises KeyboardInterrupt here
        elif self._signals and self._previous == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)
        return False
