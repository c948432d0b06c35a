"""The timing rule shared by the benchmark scripts: warm up once, keep the best run."""

from __future__ import annotations

import time


def best(fn, repeat=20):
    """Seconds of the fastest of ``repeat`` calls of ``fn``, after one untimed call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
