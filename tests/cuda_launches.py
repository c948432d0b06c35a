"""Record every CUDA kernel launch the CUDA Ops make, with the types of its arguments.

Run in numba's simulator (``NUMBA_ENABLE_CUDASIM=1``), which executes the kernels
as Python, so every op really runs: every registered layer (with each per-call
option it takes), activation, loss, metric and optimizer, in float32 and float64,
and the tiled matrix product in every transposition. Each launch is written down
as the kernel's module and name and, per argument, its numba type (arrays as
dtype, dimensions and layout). ``test_cuda_compile.py`` then compiles exactly
those for real GPUs, so the list of kernels and signatures cannot drift from
what the Ops launch::

    NUMBA_ENABLE_CUDASIM=1 python tests/cuda_launches.py launches.json
"""

from __future__ import annotations

import json
import sys

import numba
import numpy as np
from numba.cuda.simulator import kernel as simulated

import deepzoo as dz
from deepzoo import registry, testing
from deepzoo.backend.cuda import conv_kernels, dense_kernels, recurrent_kernels, training_kernels
from deepzoo.backend.cuda.ops import NumbaCUDAOps

KERNEL_MODULES = (dense_kernels, conv_kernels, recurrent_kernels, training_kernels)


def kernel_names() -> dict:
    """id of each kernel object -> ``"module:name"``, for every kernel of the CUDA family."""
    return {id(obj): f"{module.__name__}:{attr}" for module in KERNEL_MODULES
            for attr, obj in vars(module).items()
            if isinstance(obj, simulated.FakeCUDAKernel) and not obj._device}


def describe(value):
    """An argument's numba type as JSON: ``["array", dtype, ndim, layout]`` or ``["scalar", name]``."""
    array = getattr(value, "_ary", value)  # the simulator's device arrays wrap a NumPy array
    kind = numba.typeof(array)
    if isinstance(kind, numba.types.Array):
        return ["array", str(kind.dtype), kind.ndim, kind.layout]
    return ["scalar", str(kind)]


def record(run) -> list:
    """Call ``run()`` and return the distinct launches it made."""
    names, launches = kernel_names(), set()
    original = simulated.FakeCUDAKernel.__call__

    def recording_call(self, *args):
        if not self._device and not simulated._kernel_context:
            name = names.get(id(self), f"unknown:{self.fn.__module__}.{self.fn.__qualname__}")
            launches.add(json.dumps([name, [describe(a) for a in args]]))
        return original(self, *args)

    simulated.FakeCUDAKernel.__call__ = recording_call
    try:
        run()
    finally:
        simulated.FakeCUDAKernel.__call__ = original
    return sorted(json.loads(item) for item in launches)


def drive(ops, dtype, rng):
    """Every op a model can reach, through the registered building blocks."""
    host = lambda a: ops.asarray(np.asarray(a, dtype=dtype))  # noqa: E731
    for name in registry.layers.names():
        cls = registry.layers.get(name)
        if cls.example_input_shape is None:
            continue
        options = [{}] + [{option: value} for option, value in
                          (("input_gradient", False), ("fused_activation", True)) if cls.accepts(option)]
        for option in options:
            layer = cls.from_config(dict(cls.example_args))
            layer.ops, layer.dtype = ops, np.dtype(dtype)
            layer.build(cls.example_input_shape, rng=rng)
            x = host(layer.example_input(rng, (3,) + tuple(cls.example_input_shape)))
            for training in (False, True):
                y, backward = layer.forward(x, training=training, **option)
                backward(host(np.ones(y.shape)))
    for name in registry.activations.names():
        y, backward = registry.activations.get(name)().forward(ops, host(rng.standard_normal((3, 4))))
        backward(host(np.ones((3, 4))))
    for name in registry.losses.names():
        loss = registry.losses.get(name)()
        y, t = testing.loss_example(loss, rng)
        for fused in (False, True):
            loss.forward(ops, host(y), ops.asarray(loss.prepare_targets(t, dtype)), fused=fused)
    for name in registry.metrics.names():
        metric, loss = registry.metrics.get(name)(), registry.losses.get(_loss_for(name))()
        y, t = testing.loss_example(loss, rng)
        metric.update(ops, host(y), ops.asarray(loss.prepare_targets(t, dtype)))
    for optimizer in [registry.optimizers.get(name)() for name in registry.optimizers.names()] + \
            [dz.SGD(0.1, momentum=0.9), dz.SGD(0.1, momentum=0.9, nesterov=True)]:
        param, grad = host(rng.standard_normal((4, 3))), host(rng.standard_normal((4, 3)))
        for _ in range(2):
            optimizer.step(ops, [("p", param, grad)])
    # primitives no built-in block calls, which a plugin's layer may
    ops.one_hot(np.array([0, 2, 1]), 3, dtype)
    ops.scale(host(rng.standard_normal((3, 4))), 2.0)


def _loss_for(metric: str) -> str:
    """A loss whose example targets suit the metric registered as ``metric``."""
    for name in registry.losses.names():
        if registry.losses.get(name).accuracy == metric:
            return name
    return "mean_squared_error"


def drive_tiled_products(ops, dtype, rng):
    """The shared-memory product in each transposition, with and without accumulating,
    and the block-parallel column sums (a bias's gradient)."""
    dy = ops.asarray(rng.standard_normal((5, 3)).astype(dtype))
    y = ops.asarray(rng.random((5, 3)).astype(dtype))
    ops.sum_rows(dy, ops.alloc((3,), dtype))
    ops.bias_activation_backward(dy, y, "relu", 0.0, ops.alloc((3,), dtype))
    for trans_a in (False, True):
        for trans_b in (False, True):
            a = rng.standard_normal((2, 3) if trans_a else (3, 2)).astype(dtype)
            b = rng.standard_normal((4, 2) if trans_b else (2, 4)).astype(dtype)
            out = ops.alloc((3, 4), dtype)
            for accumulate in (False, True):
                ops.matmul(ops.asarray(a), ops.asarray(b), trans_a, trans_b, out=out, accumulate=accumulate)


def main(path):
    rng = np.random.default_rng(0)
    plain, tiled = NumbaCUDAOps(tiled_matmul=False), NumbaCUDAOps(tiled_matmul=True)

    def run():
        for dtype in ("float32", "float64"):
            drive(plain, dtype, rng)
            drive_tiled_products(tiled, dtype, rng)

    launches = record(run)
    with open(path, "w") as f:
        json.dump(launches, f, indent=0)
    print(f"{len(launches)} distinct launches of {len({name for name, _ in launches})} kernels")


if __name__ == "__main__":
    main(sys.argv[1])
