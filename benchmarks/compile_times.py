"""How long numba spends compiling each kernel during one command, with an empty cache.

    python benchmarks/compile_times.py demo lenet --limit 500 --epochs 1 --quiet

Runs ``deepzoo`` with those arguments in this process, with ``NUMBA_CACHE_DIR`` set
to a fresh folder, timing every top-level compilation (a kernel together with the
helpers it calls), then prints them, slowest first, with the total and the
process's time. numba's own start-up is done before the clock starts.
"""

from __future__ import annotations

import atexit
import collections
import os
import shutil
import sys
import tempfile
import time


def main(argv):
    cache = tempfile.mkdtemp(prefix="deepzoo-compile-times-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    os.environ["NUMBA_CACHE_DIR"] = cache
    from numba import njit
    from numba.core import dispatcher

    njit(lambda x: x + 1)(1.0)  # numba's first compilation sets up LLVM: not a kernel's cost
    compiling, depth = collections.defaultdict(list), [0]
    original = dispatcher.Dispatcher.compile

    def timed(self, signature):
        depth[0] += 1
        start = time.perf_counter()
        try:
            return original(self, signature)
        finally:
            depth[0] -= 1
            if depth[0] == 0:  # nested compilations count in their caller's time
                name = f"{self.py_func.__module__.rsplit('.', 1)[-1]}.{self.py_func.__name__}"
                compiling[name].append(time.perf_counter() - start)

    dispatcher.Dispatcher.compile = timed
    from deepzoo.cli import main as deepzoo

    start = time.perf_counter()
    try:
        deepzoo(argv, standalone_mode=False)
    finally:
        elapsed = time.perf_counter() - start
        total = sum(sum(times) for times in compiling.values())
        print(f"compiling: {total:.2f} s over {sum(map(len, compiling.values()))} compilations; "
              f"the command: {elapsed:.2f} s")
        for name, times in sorted(compiling.items(), key=lambda item: -sum(item[1])):
            print(f"{sum(times):7.2f} s  {len(times)}x  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
