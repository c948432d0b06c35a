"""Where a training step of the image models spends its time, layer by layer.

    python benchmarks/profile_layers.py
    python benchmarks/profile_layers.py --system-malloc   # without deepzoo.backend.cpu.memory
    python benchmarks/profile_layers.py --threads 1       # deepzoo's kernels on one thread

For the MNIST ConvNet (batch 128) and LeNet-5 (batch 64) it prints each layer's
forward and backward time (best of 30 steps), LeNet-5's forward pass alone at
the inference batch of 256 (as ``run.py``'s workload 10), then, for the ConvNet's second
convolution, the parts of its work measured one by one (building the columns,
the three matrix products, scattering the input gradient back) and the rate of
its matrix products against the rate this machine's BLAS reaches on a large
square product.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import workloads  # noqa: E402
from timing import best  # noqa: E402

import deepzoo  # noqa: E402


def per_layer(model, batch, reps=30):
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((batch, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0)
    forward = {layer.name: np.inf for layer in model.layers}
    backward = dict(forward)
    steps = []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(reps):
        begin = time.perf_counter()
        out, backs = x, []
        for layer in model.layers:
            start = time.perf_counter()
            out, back = layer.forward(out, training=True)
            forward[layer.name] = min(forward[layer.name], time.perf_counter() - start)
            backs.append((layer, back))
        _, grad = model.loss.forward(model.ops, out, y, fused=True)
        for layer, back in reversed(backs):
            start = time.perf_counter()
            grad = back(grad)
            backward[layer.name] = min(backward[layer.name], time.perf_counter() - start)
        model.optimizer.step(model.ops, model.named_params)
        steps.append(time.perf_counter() - begin)
    for layer in model.layers:
        print(f"  {layer.name:<14}{type(layer).__name__:<12} forward {forward[layer.name] * 1e3:6.2f} ms"
              f"   backward {backward[layer.name] * 1e3:6.2f} ms")
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / reps
    print(f"  whole step: best {min(steps) * 1e3:.1f} ms, median {np.median(steps) * 1e3:.1f} ms, "
          f"{faults:.0f} page faults per step")


def inference_per_layer(model, batch, reps=30):
    model.build()
    x = np.random.default_rng(0).random((batch, 28, 28, 1), dtype=np.float32)
    times = {layer.name: np.inf for layer in model.layers}
    for _ in range(reps):
        out = x
        for layer in model.layers:
            start = time.perf_counter()
            out, _ = layer.forward(out)
            times[layer.name] = min(times[layer.name], time.perf_counter() - start)
    for layer in model.layers:
        print(f"  {layer.name:<14}{type(layer).__name__:<12} forward {times[layer.name] * 1e3:6.2f} ms")
    print(f"  sum: {sum(times.values()) * 1e3:.1f} ms")


def conv_parts():
    ops = deepzoo.get_ops("numba")
    rng = np.random.default_rng(0)
    x = rng.random((128, 26, 26, 32), dtype=np.float32)
    kernel = rng.random((3, 3, 32, 64), dtype=np.float32)
    window = ((1, 1), (1, 1), ((0, 0), (0, 0)))
    cols = ops.im2col(x, (3, 3), *window)
    k2 = kernel.reshape(-1, 64)
    dz = rng.random((cols.shape[0], 64), dtype=np.float32)
    images, rows, _ = ops._chunks(x.shape, (3, 3), *window, x.dtype)
    m = images * rows
    chunk, dz_chunk = cols[:m], dz[:m]
    out, grad, dcols = np.empty((m, 64), np.float32), np.empty((288, 64), np.float32), np.empty_like(chunk)
    chunks = 128 / images
    parts = {
        "im2col (whole batch)": best(lambda: ops.im2col(x, (3, 3), *window, out=cols)),
        "product cols @ K": best(lambda: np.matmul(chunk, k2, out=out)) * chunks,
        "product cols.T @ dz": best(lambda: np.matmul(chunk.T, dz_chunk, out=grad)) * chunks,
        "product dz @ K.T": best(lambda: np.matmul(dz_chunk, k2.T, out=dcols)) * chunks,
        "col2im (whole batch)": best(lambda: ops.col2im(cols, x.shape, (3, 3), *window)),
    }
    for name, seconds in parts.items():
        print(f"  {name:<24}{seconds * 1e3:7.2f} ms")
    flops = 2 * cols.shape[0] * 288 * 64 * 3
    products = sum(v for k, v in parts.items() if k.startswith("product"))
    a = rng.random((2048, 2048), dtype=np.float32)
    peak = 2 * 2048 ** 3 / best(lambda: a @ a, 5)
    print(f"  the three products: {flops / products / 1e9:.0f} GFLOP/s; a 2048 x 2048 SGEMM on "
          f"this machine: {peak / 1e9:.0f} GFLOP/s ({flops / products / peak:.0%} of it); "
          f"chunks of {images} images")


def main():
    from deepzoo.backend.cpu.ops import NumbaCPUOps

    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else None
    keep = "--system-malloc" not in sys.argv
    deepzoo.set_backend(NumbaCPUOps(keep_freed_memory=keep, threads=threads))
    if not keep:
        print("(glibc's default thresholds: freed temporaries go back to the system)")
    if threads is not None:
        print(f"({threads} thread(s) for deepzoo's kernels)")
    print("MNIST ConvNet, batch 128:")
    per_layer(workloads._mnist_cnn_model(), 128)
    print("LeNet-5, batch 64:")
    per_layer(workloads._lenet_model(), 64)
    print("LeNet-5 inference, batch 256:")
    inference_per_layer(workloads._lenet_model(), 256)
    print("second convolution of the ConvNet (128 x 26 x 26 x 32 -> 64 channels, 3 x 3):")
    conv_parts()


if __name__ == "__main__":
    main()
