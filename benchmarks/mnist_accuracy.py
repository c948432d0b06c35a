"""Full training runs of the three MNIST demos, with their test accuracy.

    python benchmarks/mnist_accuracy.py                  # all three, default settings
    python benchmarks/mnist_accuracy.py mnist-cnn        # one of them

Each run uses the demo's own defaults (epochs, batch size, validation split)
and seed 0, on the real MNIST files (found through DEEPZOO_DATA or downloaded).
The results are printed as a Markdown table row, ready for benchmarks/README.md.
"""

from __future__ import annotations

import platform
import sys
import time

from deepzoo.demos.lenet import train_lenet
from deepzoo.demos.mnist_cnn import train_cnn
from deepzoo.demos.mnist_mlp import train_mlp

RUNS = {
    "mnist-mlp": (train_mlp, 10, 0.980),
    "mnist-cnn": (train_cnn, 12, 0.990),
    "lenet": (train_lenet, 15, 0.989),
}


def main(names):
    print(f"machine: {platform.machine()}, python {platform.python_version()}", flush=True)
    print("| demo | epochs | seed | test accuracy | target | time |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    failed = False
    for name in names or RUNS:
        train, epochs, target = RUNS[name]
        start = time.perf_counter()
        run = train(epochs=epochs, seed=0, verbose=2)
        minutes = (time.perf_counter() - start) / 60
        failed |= run.test_accuracy < target
        print(f"| {name} | {epochs} | 0 | {run.test_accuracy:.2%} | >= {target:.1%} | "
              f"{minutes:.1f} min |", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
