"""Count what one training step of the lecture models asks of a GPU.

A GPU step is cheap when it launches few kernels, moves only the batch across
the bus, reads nothing back unless asked, and takes its memory from what earlier
steps freed. This module counts those four things per step of ``fit`` for the
three models of ``benchmarks/gpu.py``, at their real shapes, without a GPU:
numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) stands in for the device,
but the kernels are only recorded, not run, so a ConvNet step of 128 images takes
a fraction of a second. The counts do not depend on what the kernels compute;
the simulator tests (``pytest -m cuda``) check that separately.

Launch sizes are those of a real GPU (the simulator's own are tiny) with an
H100's 132 SMs, so the count also finds products over large operands launched
with fewer blocks than that (where their k could be split further).

Allocations are counted twice: ``requests`` is every device array the step asks
for; ``growth`` is how many of them a stream-ordered pool that never returns
memory to the driver (what :mod:`deepzoo.backend.cuda.memory` installs) would
have to take from the driver, i.e. how often the bytes alive exceed the most
that were ever alive before. After the first step that should be 0::

    NUMBA_ENABLE_CUDASIM=1 python tests/cuda_step_costs.py
"""

from __future__ import annotations

import gc
import sys
import warnings
import weakref
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from deepzoo.backend.cuda.dense_kernels import BLOCK, K_TILE

#: an H100 has 132 streaming multiprocessors: a product over large operands should fill them
SMS = 132
#: "large": a product over more multiply-adds than this should not leave SMs idle
LARGE_PRODUCT = 1 << 22


@dataclass
class StepCosts:
    """What one step asked of the device."""

    launches: int = 0
    h2d: int = 0
    d2h: int = 0
    requests: int = 0
    growth: int = 0
    kernels: Counter = field(default_factory=Counter)
    underfilled: list = field(default_factory=list)


class Meter:
    """Patches the simulator so that kernels are recorded instead of run, and counts
    launches, copies and allocations into ``self.current``."""

    def __init__(self):
        self.current = StepCosts()
        self.live = 0  # bytes of device arrays alive now
        self.peak = 0  # the most that were ever alive: what the pool holds

    # --------------------------------------------------------------- counting
    def _allocated(self, array):
        nbytes = array.nbytes
        self.current.requests += 1
        self.live += nbytes
        if self.live > self.peak:
            self.current.growth += 1
            self.peak = self.live
        weakref.finalize(array._ary, self._freed, nbytes)  # views keep ._ary alive
        return array

    def _freed(self, nbytes):
        self.live -= nbytes

    def _launched(self, kernel, args):
        name = self._names.get(id(kernel)) or kernel.fn.__qualname__.split(".")[0].strip("_")
        self.current.launches += 1
        self.current.kernels[name] += 1
        blocks = int(np.prod(kernel.grid_dim))
        if name.startswith("gemm_f"):  # the tiled product (a, b, c, trans_a, trans_b, ...)
            a, c, trans_a = args[0], args[2], args[3]
            k = a.shape[0] if trans_a else a.shape[1]
            # a block's run of k is at least one K_TILE step: no launch can have more
            # blocks than output tiles times k steps
            tiles = -(-c.shape[0] // BLOCK) * -(-c.shape[1] // BLOCK)
            if c.size * k > LARGE_PRODUCT and blocks < min(SMS, tiles * -(-k // K_TILE)):
                self.current.underfilled.append((name, blocks, c.shape, k))

    # --------------------------------------------------------------- patching
    def __enter__(self):
        from numba import cuda
        from numba.cuda.simulator import kernel as simulated
        from numba.cuda.simulator.cudadrv import devicearray

        from deepzoo.backend.cuda import target

        if not target.status().simulator:
            raise RuntimeError("run with NUMBA_ENABLE_CUDASIM=1 set before numba is imported")
        from cuda_launches import kernel_names

        self._names = {key: name.split(":")[1] for key, name in kernel_names().items()}
        self._saved = [
            (target, "_status", target._status),
            (simulated.FakeCUDAKernel, "__call__", simulated.FakeCUDAKernel.__call__),
            (cuda, "device_array", cuda.device_array),
            (cuda, "to_device", cuda.to_device),
            (devicearray.FakeCUDAArray, "copy_to_host", devicearray.FakeCUDAArray.copy_to_host),
            (devicearray.FakeCUDAArray, "copy_to_device", devicearray.FakeCUDAArray.copy_to_device),
        ]
        meter, device_array, to_device = self, cuda.device_array, cuda.to_device
        copy_to_host, copy_to_device = devicearray.FakeCUDAArray.copy_to_host, \
            devicearray.FakeCUDAArray.copy_to_device
        # launch sizes and the tiled product as on a GPU
        target._status = target.CudaStatus(True, False, "counted", "")

        def record(kernel, *args):
            if kernel._device or simulated._kernel_context:
                return kernel.fn(*args)
            meter._launched(kernel, args)
            return None

        def counted_to_device(ary, *args, **kwargs):
            meter.current.h2d += 1
            return meter._allocated(to_device(ary, *args, **kwargs))

        def counted_copy_to_host(array, *args, **kwargs):
            meter.current.d2h += 1
            return copy_to_host(array, *args, **kwargs)

        def counted_copy_to_device(array, ary, *args, **kwargs):
            if not isinstance(ary, devicearray.FakeCUDAArray):  # a copy on the device crosses no bus
                meter.current.h2d += 1
            return copy_to_device(array, ary, *args, **kwargs)

        simulated.FakeCUDAKernel.__call__ = record
        cuda.device_array = lambda *a, **kw: meter._allocated(device_array(*a, **kw))
        cuda.to_device = counted_to_device
        devicearray.FakeCUDAArray.copy_to_host = counted_copy_to_host
        devicearray.FakeCUDAArray.copy_to_device = counted_copy_to_device
        return self

    def __exit__(self, *exc):
        for owner, attr, value in self._saved:
            setattr(owner, attr, value)


# ------------------------------------------------------------------ models
#: model name -> (builder, batch size); the shapes of benchmarks/gpu.py
MODELS = ("mnist_mlp", "mnist_cnn", "adder")


def build(name):
    """The model and a few batches of data of its real shapes."""
    from deepzoo.demos.addition import build_adder
    from deepzoo.demos.mnist_cnn import build_cnn
    from deepzoo.demos.mnist_mlp import build_mlp

    rng = np.random.default_rng(0)
    if name == "adder":
        model = build_adder(digits=3, same_digits=False, device="cuda", encoder=128, decoder=128)
        batch, x_shape, y_shape = 32, (7, 11), (4, 11)
    elif name == "mnist_cnn":
        model, batch, x_shape, y_shape = build_cnn(device="cuda"), 128, (28, 28, 1), (10,)
    else:
        model, batch, x_shape, y_shape = build_mlp(device="cuda"), 64, (784,), (10,)
    n = 4 * batch
    x = rng.random((n,) + x_shape, dtype=np.float32)
    y = np.eye(y_shape[-1], dtype=np.float32)[rng.integers(0, y_shape[-1], (n,) + y_shape[:-1])]
    return model, batch, x, y


def step_costs(name, steps=4) -> list:
    """:class:`StepCosts` of each of ``steps`` steps of ``fit`` (verbose=0, no callbacks
    of the caller's) on the model ``name``."""
    from deepzoo.callbacks import Callback

    costs = []

    class Split(Callback):
        def wants_batch_logs(self, batch):
            return False  # it reads no figure: a fit without callbacks

        def on_batch_end(self, batch, logs=None):
            gc.collect()  # a step's garbage is freed before the next step counts
            costs.append(meter.current)
            meter.current = StepCosts()

    with Meter() as meter:
        model, batch, x, y = build(name)
        tiled, model.ops.tiled_matmul = model.ops.tiled_matmul, True  # the product a GPU runs
        try:  # the kernels do not run: the loss is whatever the memory held, NaN included,
            # which the default TerminateOnNaN reads at the epoch's end and warns about
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                model.fit(x[:steps * batch], y[:steps * batch], batch_size=batch, epochs=1, verbose=0,
                          callbacks=[Split()], shuffle=False)
        finally:
            model.ops.tiled_matmul = tiled
    return costs


def main():
    print(f"{'model':10} {'step':>4} {'launches':>8} {'h2d':>4} {'d2h':>4} {'allocs':>6} {'growth':>6}"
          f"  underfilled products")
    for name in MODELS:
        for step, c in enumerate(step_costs(name), 1):
            print(f"{name:10} {step:4d} {c.launches:8d} {c.h2d:4d} {c.d2h:4d} {c.requests:6d} {c.growth:6d}"
                  f"  {c.underfilled or ''}")
        print("  kernels of the last step:", dict(c.kernels))


if __name__ == "__main__":
    sys.exit(main())
