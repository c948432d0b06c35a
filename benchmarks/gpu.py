"""Time one training epoch on an NVIDIA GPU: deepzoo's CUDA backend against PyTorch CUDA.

    pip install '.[cuda]' torch        # a CUDA build of torch
    python benchmarks/gpu.py           # MLP, ConvNet and LSTM adder, 60,000 / 60,000 / 45,000 samples
    python benchmarks/gpu.py --quick   # a tenth of the samples, times scaled up

Workloads (float32, synthetic data of the real shapes, as in ``workloads.py``):

* ``mnist_mlp``: the lecture's MLP, Adam, batch 64;
* ``mnist_cnn``: the Keras MNIST ConvNet, Adadelta, batch 128 (target ratio <= 2.0);
* ``adder``: the Keras example's LSTM adder (128 - 128), Adam, batch 32 (target ratio <= 1.0).

Each library first trains on a few batches, so that kernels are compiled (numba)
or tuned (cuDNN) before the clock starts; both copy each batch to the GPU and
read each batch loss back, and the clock stops after the device has finished.
A ratio below 1 means deepzoo is faster. Without a usable GPU the script says
why and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import workloads  # noqa: E402  (the shared data and PyTorch models)

SAMPLES = {"mnist_mlp": 60_000, "mnist_cnn": 60_000, "adder": 45_000}
BATCH = {"mnist_mlp": 64, "mnist_cnn": 128, "adder": 32}
TARGET = {"mnist_cnn": 2.0, "adder": 1.0}


def data(workload, n):
    """Inputs, one-hot targets (deepzoo) and integer labels (PyTorch) for ``workload``."""
    if workload == "adder":
        x, labels = workloads.adder_data(n)
        labels = labels[:, :4]
        return x, np.eye(11, dtype=np.float32)[labels], labels
    x, y, labels = workloads.mnist_like(n)
    return (x if workload == "mnist_mlp" else x.reshape(-1, 28, 28, 1)), y, labels


def deepzoo_epoch(workload, n):
    from deepzoo.backend.cuda.target import synchronize
    from deepzoo.demos.addition import build_adder
    from deepzoo.demos.mnist_cnn import build_cnn
    from deepzoo.demos.mnist_mlp import build_mlp

    x, y, _ = data(workload, n)
    model = {"mnist_mlp": lambda: build_mlp(device="cuda"),
             "mnist_cnn": lambda: build_cnn(device="cuda"),
             "adder": lambda: build_adder(digits=3, same_digits=False, device="cuda",
                                          encoder=128, decoder=128)}[workload]()
    batch = BATCH[workload]
    model.fit(x[:4 * batch], y[:4 * batch], batch_size=batch, epochs=1, verbose=0)
    synchronize()
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    synchronize()
    return time.perf_counter() - start


def torch_epoch(workload, n):
    import torch
    from torch import nn

    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    x, _, labels = data(workload, n)
    if workload == "mnist_cnn":
        x = x.transpose(0, 3, 1, 2).copy()  # channels first for PyTorch
    model = {"mnist_mlp": workloads.torch_mlp_model, "mnist_cnn": workloads.torch_cnn_model,
             "adder": lambda: workloads.torch_adder_model(128, 128, 4)}[workload]().cuda()
    if workload == "mnist_cnn":
        opt = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-7)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    cross_entropy = nn.CrossEntropyLoss()

    def loss(out, target):
        return cross_entropy(out, target.reshape(-1))

    batch = BATCH[workload]
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)

    def epoch(xs, ys):  # batches are copied to the GPU one by one, as deepzoo does
        model.train()
        for start in range(0, len(xs), batch):
            xb, yb = xs[start:start + batch].cuda(), ys[start:start + batch].cuda()
            opt.zero_grad()
            value = loss(model(xb), yb)
            value.backward()
            opt.step()
            value.item()

    epoch(xt[:4 * batch], yt[:4 * batch])
    torch.cuda.synchronize()
    start = time.perf_counter()
    epoch(xt, yt)
    torch.cuda.synchronize()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the samples, times scaled")
    parser.add_argument("--only", nargs="*", choices=list(SAMPLES), help="workloads to run")
    parser.add_argument("--repeat", type=int, default=2, help="runs per figure (best is kept)")
    args = parser.parse_args()

    from deepzoo.backend import cuda_status

    status = cuda_status()
    if not status.usable or status.simulator:
        print(f"deepzoo cannot use a GPU here: {status.reason}")
        sys.exit(2)
    import torch

    if not torch.cuda.is_available():
        print(f"PyTorch {torch.__version__} sees no GPU (a CPU-only build?)")
        sys.exit(2)
    print(f"GPU: {status.device} (PyTorch: {torch.cuda.get_device_name()}); torch {torch.__version__}")
    print(f"{'workload':<12}{'deepzoo s':>11}{'PyTorch s':>11}{'ratio':>8}{'target':>8}")
    for workload in args.only or list(SAMPLES):
        n = SAMPLES[workload] // (10 if args.quick else 1)
        scale = SAMPLES[workload] / n
        ours = min(deepzoo_epoch(workload, n) for _ in range(args.repeat)) * scale
        theirs = min(torch_epoch(workload, n) for _ in range(args.repeat)) * scale
        target = f"{TARGET[workload]:.1f}" if workload in TARGET else "-"
        print(f"{workload:<12}{ours:>11.2f}{theirs:>11.2f}{ours / theirs:>8.2f}{target:>8}")


if __name__ == "__main__":
    main()
