"""Time deepzoo and PyTorch side by side, in one run, and print the ratios.

    python benchmarks/run.py            # every workload at full size
    python benchmarks/run.py --quick    # a smaller sample count, for a smoke test
    python benchmarks/run.py --cold-start   # every demo's start with an empty numba cache
    python benchmarks/run.py --contend --only xor adder_lecture   # quiet, then beside a busy core

Both libraries run on the CPU with the same number of threads, in float32, on
synthetic data of the real shapes (see ``workloads.py``), each measurement in a
fresh process. PyTorch is asked to flush denormal numbers to zero before its
thread pool starts; deepzoo's optimizer kernels flush tiny state values
themselves. A ratio below 1 means deepzoo is faster. Each figure is the best of
``--repeat`` runs, the two libraries' runs alternating.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


def time_once(library, workload, size, threads):
    """Seconds one fresh process takes for one workload."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, str(HERE / "workloads.py"), library, workload,
                          str(size), str(threads)], check=True, capture_output=True, text=True,
                         env=env)
    return float(out.stdout.split()[-1])


def best_of_both(workload, size, threads, repeat):
    """Best times of deepzoo and PyTorch, their runs alternated so that a slow spell of a
    shared machine does not fall on one library only."""
    times = {"deepzoo": [], "torch": []}
    for _ in range(repeat):
        for library in times:
            times[library].append(time_once(library, workload, size, threads))
    return min(times["deepzoo"]), min(times["torch"])


def wall_time(cmd, env=None, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return min(times)


def cold_starts(repeat=3):
    """Seconds from the command to its end, for every demo: each with an empty numba cache
    in a fresh process (best of ``repeat``), then once more with the cache it filled."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from test_cli_checks import QUICK_DEMOS

    python = sys.executable
    print(f"{'command':<72}{'empty cache':>12}{'warm':>8}")
    for name, arguments in QUICK_DEMOS.items():
        command = [python, "-m", "deepzoo", "demo", name, *arguments]
        cold = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "NUMBA_CACHE_DIR": cache, "MPLBACKEND": "Agg"}
                cold.append(wall_time(command, env=env, repeat=1))
                warm = wall_time(command, env=env, repeat=1)
        shown = " ".join(["deepzoo demo", name, *arguments])
        print(f"{shown:<72}{min(cold):>11.2f}s{warm:>7.2f}s", flush=True)


LIBRARIES = ("deepzoo", "torch", "jax")


def available(library) -> str | None:
    """None if ``library`` can run the workloads here, else why not."""
    import importlib.util

    module = {"deepzoo": "deepzoo", "torch": "torch", "jax": "jax"}[library]
    return None if importlib.util.find_spec(module) else f"{module} is not installed"


def contention(cases, threads, repeat):
    """Each workload quiet and beside one busy process (a pure-Python loop, on any core),
    the two conditions alternating; prints the slowdown per library."""
    busy_loop = [sys.executable, "-c", "while True: pass"]
    libraries = [lib for lib in LIBRARIES if available(lib) is None]
    for lib in LIBRARIES:
        if lib not in libraries:
            print(f"({lib} skipped: {available(lib)})")
    print(f"{'workload':<58}" + "".join(f"{lib + ' quiet':>14}{'busy':>8}{'x':>6}" for lib in libraries))
    for title, workload, size, factor, _ in cases:
        times = {(lib, busy): [] for lib in libraries for busy in (False, True)}
        supported = [lib for lib in libraries if _has_workload(lib, workload)]
        for _ in range(repeat):
            for busy in (False, True):
                rival = subprocess.Popen(busy_loop) if busy else None
                try:
                    for lib in supported:
                        times[(lib, busy)].append(time_once(lib, workload, size, threads) * factor)
                finally:
                    if rival is not None:
                        rival.kill()
                        rival.wait()
        row = f"{title:<58}"
        for lib in libraries:
            if lib not in supported:
                row += f"{'-':>14}{'-':>8}{'-':>6}"
                continue
            quiet, loaded = min(times[(lib, False)]), min(times[(lib, True)])
            row += f"{quiet:>13.3f}s{loaded:>7.3f}s{loaded / quiet:>6.2f}"
        print(row, flush=True)


def _has_workload(library, workload) -> bool:
    sys.path.insert(0, str(HERE))
    import workloads

    return hasattr(workloads, f"{library}_{workload}")


def blas_kernels() -> str:
    """Which BLAS NumPy loaded and which of its kernel families it runs: OpenBLAS picks one
    for the CPU unless ``OPENBLAS_CORETYPE`` names another (on AVX-512 CPUs its SkylakeX
    kernels run large float32 products about twice as fast as its Haswell ones)."""
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl then finds)
    import threadpoolctl

    for lib in threadpoolctl.threadpool_info():
        if lib.get("user_api") == "blas":
            forced = os.environ.get("OPENBLAS_CORETYPE")
            return f"{lib.get('internal_api')} {lib.get('version')}, {lib.get('architecture')} kernels" + \
                (f" (OPENBLAS_CORETYPE={forced})" if forced else "")
    return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 samples instead of 60,000")
    parser.add_argument("--repeat", type=int, default=2, help="runs per figure (best is kept)")
    parser.add_argument("--only", nargs="*", help="workload names to run (xor, mnist_mlp, "
                        "online_sigmoid, mnist_cnn, lenet, cnn_inference, lenet_inference, "
                        "adder_lecture, adder_keras, adder_inference, mlp_batchnorm, text_conv, adder_gru)")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up timings")
    parser.add_argument("--contend", action="store_true",
                        help="time each workload quiet and beside one busy process, alternating, and print "
                             "the slowdown per library (deepzoo, PyTorch, JAX where installed)")
    parser.add_argument("--cold-start", action="store_true",
                        help="only time every demo's start with an empty numba cache (needs the "
                             "data files: DEEPZOO_DATA)")
    args = parser.parse_args()
    if args.cold_start:
        cold_starts()
        return

    import numba
    import numpy as np
    import torch

    import deepzoo

    threads = os.cpu_count()

    samples = 10_000 if args.quick else 60_000
    scale = 60_000 / samples
    print(f"machine: {platform.processor() or platform.machine()}, {threads} cores; python "
          f"{platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
          f"torch {torch.__version__}, deepzoo {deepzoo.__version__}; threads: {threads} for both")
    print(f"NumPy's BLAS: {blas_kernels()}")
    print(f"samples per epoch: {samples:,}" + (" (times scaled to 60,000)" if args.quick else ""))
    print()

    rows = []
    cases = [
        ("1. XOR 2-4-1, batch 4, 5,000 SGD steps (total)", "xor", 5000, 1, args.repeat),
        ("2. MLP 784-512-512-10, dropout, Adam, batch 64 (epoch)", "mnist_mlp", samples, scale,
         args.repeat),
        ("3. 784-100-10 sigmoid, MSE, SGD, batch 1 (epoch)", "online_sigmoid", samples, scale, 1),
        ("4. MNIST ConvNet, Adadelta, batch 128 (epoch)", "mnist_cnn", samples, scale, args.repeat),
        ("5. LeNet-5, Adam, batch 64 (epoch)", "lenet", samples, scale, args.repeat),
        ("6. ConvNet inference, batch 256 (10,000 images)", "cnn_inference", 10_000, 1, args.repeat),
        ("7. LSTM adder (lecture), batch 32 (5,000 questions)", "adder_lecture", 5000, 1, args.repeat),
        ("8. LSTM adder (Keras example), batch 32 (5,000 questions)", "adder_keras", 5000, 1,
         args.repeat),
        ("9. LSTM adder (lecture) inference, batch 32 (5,000 questions)", "adder_inference", 5000, 1,
         args.repeat),
        ("10. LeNet-5 inference, batch 256 (10,000 images)", "lenet_inference", 10_000, 1, args.repeat),
        ("11. MLP of 2. with BatchNormalization, batch 64 (epoch)", "mlp_batchnorm", samples, scale,
         args.repeat),
        ("12. Embedding-Conv1D-GlobalMaxPool text model, batch 32 (10,000 sequences)", "text_conv", 10_000, 1,
         args.repeat),
        ("13. GRU adder (the lecture's, GRU cells), batch 32 (5,000 questions)", "adder_gru", 5000, 1,
         args.repeat),
    ]
    if args.only:
        cases = [case for case in cases if case[1] in args.only]
    if args.contend:
        contention(cases, threads, args.repeat)
        return
    for title, workload, size, factor, repeat in cases:
        dz, pt = best_of_both(workload, size, threads, repeat)
        rows.append((title, dz * factor, pt * factor))

    print(f"{'workload':<58}{'deepzoo':>10}{'PyTorch':>10}{'ratio':>8}")
    for name, dz, pt in rows:
        print(f"{name:<58}{dz:>9.3f}s{pt:>9.3f}s{dz / pt:>8.3f}")
    print()

    if args.no_startup:
        return
    python = sys.executable
    import_time = wall_time([python, "-c", "import deepzoo"], repeat=5) - \
        wall_time([python, "-c", "pass"], repeat=5)
    print(f"import deepzoo (beyond interpreter start): {import_time:.3f}s")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        demo = [python, "-m", "deepzoo", "demo", "xor", "--quiet"]
        cold = wall_time(demo, env=env, repeat=1)
        warm = wall_time(demo, env=env, repeat=3)
        print(f"deepzoo demo xor, empty numba cache: {cold:.2f}s")
        print(f"deepzoo demo xor, warm numba cache:  {warm:.2f}s")
        for name in ("linreg", "forward-pass"):
            seconds = wall_time([python, "-m", "deepzoo", "demo", name], env=env, repeat=3)
            print(f"deepzoo demo {name}, warm numba cache: {seconds:.2f}s")


if __name__ == "__main__":
    main()
