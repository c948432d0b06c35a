"""Run a Keras program of tests/keras_programs in full on deepzoo, imports changed, and report
its accuracy on the MNIST test set.

    python benchmarks/keras_programs.py lecture1_mnist_mlp.py
    python benchmarks/keras_programs.py classic_mnist_convnet.py
    python benchmarks/keras_programs.py lecture1_mnist_mlp.py --runs 5 --torch

The test suite runs the same programs on a slice of the data; this runs them as
written (every sample, every epoch), then evaluates the trained ``model`` on
MNIST's 10,000 test images. The programs set no seed, so each run starts from
other weights; ``--runs N`` repeats the program and prints the spread.

``--torch`` (lecture1_mnist_mlp.py only) also trains the same network with
PyTorch the way Keras would (Glorot-uniform kernels, zero biases, Adam with
``eps=1e-7``, dropout 0.2, batch 64, 10 epochs on the same 85% of the training
set), as many times: what the program reaches in a mainstream framework, to set
deepzoo's figure beside. MNIST is read from ``DEEPZOO_DATA`` (or downloaded).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))

from test_keras_programs import PROGRAMS, with_deepzoo_imports  # noqa: E402


def run_program(name) -> tuple[float, float, int]:
    """Run the program once; returns (test accuracy, seconds, parameter count)."""
    from deepzoo.datasets import load_mnist

    source = with_deepzoo_imports((PROGRAMS / name).read_text())
    namespace = {"__name__": "__main__"}
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, str(PROGRAMS / name), "exec"), namespace)
    seconds = time.perf_counter() - start
    model = namespace["model"]
    _, (x_test, y_test) = load_mnist()
    x = x_test.astype("float32").reshape((len(x_test),) + model.input_shape) / 255
    accuracy = float((model.predict(x, batch_size=256, verbose=0).argmax(axis=1) == y_test).mean())
    return accuracy, seconds, model.count_params()


def run_torch_mlp(seed) -> tuple[float, float]:
    """Lecture 1's MLP in PyTorch with Keras's initialization and Adam; (test accuracy, seconds)."""
    import torch
    from sklearn.model_selection import train_test_split

    from deepzoo.datasets import load_mnist

    torch.manual_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_train = x_train.reshape(60000, 784).astype("float32") / 255
    x_train, _, y_train, _ = train_test_split(x_train, y_train, test_size=0.15, random_state=42)
    layers = [torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
              torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(512, 10)]
    for layer in layers:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    net = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train.astype("int64"))
    start = time.perf_counter()
    for _ in range(10):
        net.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        predicted = net(torch.from_numpy(x_test.reshape(10000, 784).astype("float32") / 255)).argmax(1)
    return float((predicted.numpy() == y_test).mean()), seconds


def report(label, accuracies, seconds):
    values = ", ".join(f"{a:.2%}" for a in accuracies)
    print(f"{label}: {values} (mean {np.mean(accuracies):.2%}, min {min(accuracies):.2%}; "
          f"{min(seconds):.0f} to {max(seconds):.0f} s a run)", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--torch", action="store_true")
    args = parser.parse_args(argv)
    runs = [run_program(args.program) for _ in range(args.runs)]
    print(f"{args.program}: {runs[0][2]:,} parameters")
    report("deepzoo, accuracy on the 10,000 MNIST test images", [r[0] for r in runs], [r[1] for r in runs])
    if args.torch:
        if args.program != "lecture1_mnist_mlp.py":
            parser.error("--torch has a transcription of lecture1_mnist_mlp.py only")
        torch_runs = [run_torch_mlp(seed) for seed in range(args.runs)]
        report("PyTorch, the same network trained as Keras trains it", [r[0] for r in torch_runs],
               [r[1] for r in torch_runs])
    return 0


if __name__ == "__main__":
    sys.exit(main())
