"""Where an epoch of a workload spends its time, one Ops call at a time.

    python benchmarks/profile_ops.py adder_keras        # or adder_lecture, adder_gru
    python benchmarks/profile_ops.py lenet 10000        # or mnist_cnn; the number of images

It builds the workload's deepzoo model as ``workloads.py`` does, fits it once on
two batches (compiling), times one plain epoch, then times one more epoch with
every public method of the model's Ops wrapped by a timer. A call made inside
another timed call counts for the outer one only. It prints microseconds per
training step for each op, and the products (``matmul``) by the shapes of their
operands. The timers add about a microsecond per call, so compare the per-step
sum with the plain epoch's.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import workloads  # noqa: E402

import deepzoo as dz  # noqa: E402

# encoder, decoder, answer digits, cell: as workloads.py's deepzoo_adder_* functions
ADDERS = {"adder_lecture": (100, 50, 3, "LSTM"), "adder_keras": (128, 128, 4, "LSTM"),
          "adder_gru": (100, 50, 3, "GRU")}


def model_and_data(name, n):
    if name in ADDERS:
        model, x, y = workloads.deepzoo_adder_model(n, *ADDERS[name])
        return model, dz.Adam(0.001), x, y, 32
    if name in ("lenet", "mnist_cnn"):
        x, y, _ = workloads.mnist_like(n)
        x = x.reshape(-1, 28, 28, 1)
        if name == "lenet":
            return workloads._lenet_model(), dz.Adam(0.001), x, y, 64
        return workloads._mnist_cnn_model(), dz.Adadelta(1.0, rho=0.95), x, y, 128
    raise SystemExit(f"unknown workload {name!r}: one of {', '.join([*ADDERS, 'lenet', 'mnist_cnn'])}")


def time_every_op(ops):
    """Wrap the public methods of ``type(ops)`` with timers; returns (time, calls, products)."""
    spent, calls, products, depth = Counter(), Counter(), Counter(), [0]
    cls = type(ops)
    for name in dir(cls):
        method = getattr(cls, name)
        if name.startswith("_") or not callable(method) or isinstance(method, type):
            continue

        def timed(self, *args, _method=method, _name=name, **kwargs):
            depth[0] += 1
            start = time.perf_counter()
            try:
                return _method(self, *args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    seconds = time.perf_counter() - start
                    spent[_name] += seconds
                    calls[_name] += 1
                    if _name == "matmul":
                        a, b = args[0], args[1]
                        flags = tuple(k for k in ("trans_a", "trans_b", "accumulate") if kwargs.get(k))
                        products[(a.shape, b.shape, flags)] += seconds

        setattr(cls, name, timed)
    return spent, calls, products


def main(argv):
    name = argv[1] if len(argv) > 1 else "adder_keras"
    n = int(argv[2]) if len(argv) > 2 else 5000
    model, optimizer, x, y, batch = model_and_data(name, n)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:2 * batch], y[:2 * batch], batch_size=batch, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    plain = time.perf_counter() - start
    spent, calls, products = time_every_op(model.ops)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    timed = time.perf_counter() - start
    steps = -(-len(x) // batch)
    print(f"{name}, {len(x):,} samples, batch {batch}: plain epoch {plain:.3f} s "
          f"({plain / steps * 1e3:.2f} ms a step); with timers {timed:.3f} s, of which the ops "
          f"{sum(spent.values()) / steps * 1e3:.2f} ms a step")
    for op, seconds in spent.most_common():
        print(f"  {op:<28}{seconds / steps * 1e6:9.1f} us a step {calls[op] / steps:6.1f} calls")
    print("products (a's shape, b's shape, options):")
    for (a, b, flags), seconds in products.most_common(12):
        print(f"  {str(a):>12} @ {str(b):<12} {' '.join(flags):<24}{seconds / steps * 1e6:9.1f} us a step")


if __name__ == "__main__":
    main(sys.argv)
