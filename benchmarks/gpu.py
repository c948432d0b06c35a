"""Time one training epoch on an NVIDIA GPU: deepzoo's CUDA backend against PyTorch CUDA.

    pip install '.[cuda]' torch        # a CUDA build of torch
    python benchmarks/gpu.py           # MLP, ConvNet and LSTM adder, 60,000 / 60,000 / 45,000 samples
    python benchmarks/gpu.py --quick   # a tenth of the samples (the times are of that tenth)

Workloads (float32, synthetic data of the real shapes, as in ``workloads.py``):

* ``mnist_mlp``: the lecture's MLP, Adam, batch 64 (target ratio <= 2.0);
* ``mnist_cnn``: the Keras MNIST ConvNet, Adadelta, batch 128 (target ratio <= 2.0);
* ``adder``: the Keras example's LSTM adder (128 - 128), Adam, batch 32 (target ratio <= 1.5).

Like for like: each library first trains on a few batches, the last one as short
as the epoch's last, so that kernels are compiled (numba) or tuned (cuDNN) before
the clock starts; PyTorch computes in true float32 (TF32 off for products and
convolutions); both copy each batch to the GPU, add each batch's loss and
correct answers (deepzoo's accuracy metric) up on the GPU and read them at the
epoch's end (deepzoo's default TerminateOnNaN reads the loss every 50 batches
besides), use the same
optimizer settings (epsilon included), and the clock stops after the device has
finished. Each line ends with the epoch's loss and accuracy, to show that both
trained. A ratio below 1 means deepzoo is faster. Without a usable GPU the script
says why and exits with status 2.
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
TARGET = {"mnist_mlp": 2.0, "mnist_cnn": 2.0, "adder": 1.5}


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
    warm = 4 * batch + (len(x) % batch or batch)  # four full batches and one as short as the last
    model.fit(x[:warm], y[:warm], batch_size=batch, epochs=1, verbose=0)
    synchronize()
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    synchronize()
    seconds = time.perf_counter() - start
    return seconds, history.history["loss"][-1], history.history["accuracy"][-1]


def torch_epoch(workload, n):
    import torch
    from torch import nn

    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 products, as deepzoo's
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True  # tuned during the warm-up below, not the timed epoch
    x, _, labels = data(workload, n)
    if workload == "mnist_cnn":
        x = x.transpose(0, 3, 1, 2).copy()  # channels first for PyTorch
    model = {"mnist_mlp": workloads.torch_mlp_model, "mnist_cnn": workloads.torch_cnn_model,
             "adder": lambda: workloads.torch_adder_model(128, 128, 4)}[workload]().cuda()
    if workload == "mnist_cnn":
        opt = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.95, eps=1e-6)  # deepzoo's epsilon
    else:
        opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    cross_entropy = nn.CrossEntropyLoss()

    def loss(out, target):
        return cross_entropy(out, target.reshape(-1))

    batch = BATCH[workload]
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)

    def epoch(xs, ys):  # batches are copied to the GPU one by one, as deepzoo does
        model.train()
        # the loss and the metric add up on the GPU and are read once, as deepzoo's fit does
        # when no callback asks for a batch's figures
        total = torch.zeros((), dtype=torch.float64, device="cuda")
        correct = torch.zeros((), dtype=torch.int64, device="cuda")
        for start in range(0, len(xs), batch):
            xb, yb = xs[start:start + batch].cuda(), ys[start:start + batch].cuda()
            opt.zero_grad()
            out = model(xb)
            value = loss(out, yb)
            value.backward()
            opt.step()
            total += value.detach() * len(xb)
            correct += (out.argmax(dim=-1).reshape(-1) == yb.reshape(-1)).sum()  # the metric, on the GPU
        positions = ys.numel()
        return total.item() / len(xs), correct.item() / positions

    warm = 4 * batch + (len(xt) % batch or batch)  # four full batches and one as short as the last
    epoch(xt[:warm], yt[:warm])
    torch.cuda.synchronize()
    start = time.perf_counter()
    final_loss, accuracy = epoch(xt, yt)
    torch.cuda.synchronize()
    return time.perf_counter() - start, final_loss, accuracy


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
    print(f"{'workload':<12}{'samples':>9}{'deepzoo s':>11}{'PyTorch s':>11}{'ratio':>8}{'target':>8}"
          f"   deepzoo loss/acc   PyTorch loss/acc")
    for workload in args.only or list(SAMPLES):
        n = SAMPLES[workload] // (10 if args.quick else 1)
        ours = min((deepzoo_epoch(workload, n) for _ in range(args.repeat)), key=lambda run: run[0])
        theirs = min((torch_epoch(workload, n) for _ in range(args.repeat)), key=lambda run: run[0])
        print(f"{workload:<12}{n:>9,}{ours[0]:>11.2f}{theirs[0]:>11.2f}{ours[0] / theirs[0]:>8.2f}"
              f"{TARGET[workload]:>8.1f}   {ours[1]:.4f} / {ours[2]:.3f}    {theirs[1]:.4f} / {theirs[2]:.3f}")


if __name__ == "__main__":
    main()
