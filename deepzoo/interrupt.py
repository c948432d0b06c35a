"""Ctrl-C during training: finish the current batch, then stop cleanly.

While :class:`StopOnInterrupt` is active (in the main thread), the first Ctrl-C
only raises a flag; ``fit`` checks it after each batch and returns with the
weights of the last completed step and the history so far. A second Ctrl-C
interrupts at once, as usual.
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
