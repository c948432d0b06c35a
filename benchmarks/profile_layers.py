"""Where a training step of the image models spends its time, layer by layer.

    python benchmarks/profile_layers.py
    python benchmarks/profile_layers.py --system-malloc   # without deepzoo.backend.cpu.memory
    python benchmarks/profile_layers.py --threads 1       # deepzoo's kernels on one thread
    python benchmarks/profile_layers.py --fusion          # only: convolution and pooling as one op or two

For the MNIST ConvNet (batch 128) and LeNet-5 (batch 64) it prints each layer's
forward and backward time (best of 30 steps), LeNet-5's forward pass alone at
the inference batch of 256 (as ``run.py``'s workload 10), then, for the ConvNet's second
convolution, the whole layer both ways the CPU can run it (im2col and BLAS, or
Winograd's F(2x2, 3x3), which it uses) and the parts of Winograd's work measured
one by one. With ``--fusion`` it times only whole training steps of both models
with each convolution and the max pooling after it run as one op (what the model
does) and as two layers, alternating step by step.
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


def fused_steps(model, batch, reps=60):
    """Whole training steps with each convolution and the max pooling after it as one op
    (the model's own per-call options) and as two, alternating step by step."""
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.random((batch, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    fused = model._train_options
    apart = [{k: v for k, v in options.items() if k not in ("pool_after", "pooled_by_previous")}
             for options in fused]
    times = {"as one op": [], "as two layers": []}
    for _ in range(reps):
        for name, options in (("as one op", fused), ("as two layers", apart)):
            model._train_options = options
            start = time.perf_counter()
            model.train_on_batch(x, y)
            times[name].append(time.perf_counter() - start)
    model._train_options = fused
    for name, steps in times.items():
        print(f"  convolution and max pooling {name:<14} step: best {min(steps[5:]) * 1e3:.2f} ms, "
              f"median {np.median(steps[5:]) * 1e3:.2f} ms")


def conv_parts():
    from deepzoo.backend.cpu import conv, conv_kernels

    ops = deepzoo.get_ops("numba")
    rng = np.random.default_rng(0)
    x = rng.random((128, 26, 26, 32), dtype=np.float32)
    kernel = rng.random((3, 3, 32, 64), dtype=np.float32) - 0.5
    window = ((1, 1), (1, 1), ((0, 0), (0, 0)))
    z = ops.conv2d(x, kernel, *window, activation="relu")
    dz = rng.random(z.shape, dtype=np.float32)
    grad = np.zeros_like(kernel)
    print("  whole layer, on deepzoo's threads:")
    winograd = conv._WINOGRAD_CHANNELS
    for name, channels in (("im2col and BLAS", 1 << 30), ("Winograd's F(2x2, 3x3)", winograd)):
        conv._WINOGRAD_CHANNELS = channels  # what makes NumbaCPUOps choose Winograd's transforms
        forward = best(lambda: ops.conv2d(x, kernel, *window, activation="relu"))
        backward = best(lambda: ops.conv2d_backward(x, z, dz, kernel, *window, grad, activation="relu"))
        print(f"    {name:<24} forward {forward * 1e3:6.2f} ms   backward {backward * 1e3:6.2f} ms")
    conv._WINOGRAD_CHANNELS = winograd
    # Winograd's parts, one image at a time as NumbaCPUOps runs them, on one thread, times 128
    one = np.zeros((1, 26, 26, 32), np.float32)
    one[:] = x[:1]
    v, u = np.empty((144, 16, 32), np.float32), ops._winograd_kernel(kernel)
    m, wt = np.empty((144, 16, 64), np.float32), np.empty((144, 16, 64), np.float32)
    bias, y = np.zeros(64, np.float32), np.empty((1, 24, 24, 64), np.float32)
    du, dxp = np.empty((16, 32, 64), np.float32), np.zeros((1, 26, 26, 32), np.float32)
    grads = dz[:576].reshape(1, 24, 24, 64)
    u_t = np.ascontiguousarray(u.transpose(0, 2, 1))
    parts = {
        "forward: input transform": lambda: conv_kernels.winograd_input(one, 12, 12, v),
        "forward: 16 products": lambda: np.matmul(v.transpose(1, 0, 2), u, out=m.transpose(1, 0, 2)),
        "forward: output transform": lambda: conv_kernels.winograd_output(m, 12, 12, bias, True, y),
        "both grads: dY transform": lambda: conv_kernels.winograd_output_grad(grads, 12, 12, wt),
        "kernel grad: 16 products": lambda: np.matmul(v.transpose(1, 2, 0), wt.transpose(1, 0, 2), out=du),
        "input grad: 16 products": lambda: np.matmul(wt.transpose(1, 0, 2), u_t, out=v.transpose(1, 0, 2)),
        "input grad: into the patches": lambda: conv_kernels.winograd_input_grad(v, 12, 12, dxp),
    }
    print("  Winograd's parts, one thread, 128 images one at a time:")
    for name, work in parts.items():
        print(f"    {name:<28}{best(work) * 128 * 1e3:7.2f} ms")
    a = rng.random((2048, 2048), dtype=np.float32)
    peak = 2 * 2048 ** 3 / best(lambda: a @ a, 5)
    print(f"  a 2048 x 2048 SGEMM on this machine: {peak / 1e9:.0f} GFLOP/s")


def main():
    from deepzoo.backend.cpu.ops import NumbaCPUOps

    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else None
    keep = "--system-malloc" not in sys.argv
    deepzoo.set_backend(NumbaCPUOps(keep_freed_memory=keep, threads=threads))
    if not keep:
        print("(glibc's default thresholds: freed temporaries go back to the system)")
    if threads is not None:
        print(f"({threads} thread(s) for deepzoo's kernels)")
    if "--fusion" in sys.argv:
        for name, model, batch in (("LeNet-5", workloads._lenet_model(), 64),
                                   ("MNIST ConvNet", workloads._mnist_cnn_model(), 128)):
            print(f"{name}, batch {batch}, {len(model.layers)} layers:")
            fused_steps(model, batch, 60 if batch == 64 else 15)
        return
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
