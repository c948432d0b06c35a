"""Run a Keras program of tests/keras_programs in full on deepzoo, imports changed, and report
its accuracy on the MNIST test set.

    python benchmarks/keras_programs.py lecture1_mnist_mlp.py
    python benchmarks/keras_programs.py classic_mnist_convnet.py

The test suite runs the same programs on a slice of the data; this runs them as
written (every sample, every epoch), then evaluates the trained ``model`` on
MNIST's 10,000 test images. MNIST is read from ``DEEPZOO_DATA`` (or downloaded).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))

from test_keras_programs import PROGRAMS, with_deepzoo_imports  # noqa: E402


def main(name):
    import numpy as np

    from deepzoo.datasets import load_mnist

    source = with_deepzoo_imports((PROGRAMS / name).read_text())
    namespace = {"__name__": "__main__"}
    start = time.perf_counter()
    exec(compile(source, str(PROGRAMS / name), "exec"), namespace)
    seconds = time.perf_counter() - start
    model = namespace["model"]
    _, (x_test, y_test) = load_mnist()
    x = x_test.astype("float32").reshape((len(x_test),) + model.input_shape) / 255
    accuracy = float((model.predict(x, batch_size=256).argmax(axis=1) == y_test).mean())
    print(f"{name}: {model.count_params():,} parameters, trained in {seconds:.0f} s; "
          f"accuracy on the 10,000 MNIST test images: {accuracy:.2%}")
    return np.isfinite(accuracy)


if __name__ == "__main__":
    main(sys.argv[1])
