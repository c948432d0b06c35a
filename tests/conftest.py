import os
from pathlib import Path

import numpy as np
import pytest

import deepzoo
from deepzoo.backend import cuda_status

FIXTURES = Path(__file__).parent / "fixtures"
CUDA = cuda_status()


def _backend_params():
    """Every backend; 'cuda' is marked ``cuda`` and skipped, with the reason, where it cannot run.

    'numba-split' is the numba backend on three threads, with every batch cut into
    the smallest pieces, so that each op's split over threads is checked on small shapes.
    """
    params = [name for name in deepzoo.available_backends() if name != "cuda"]
    skip = pytest.mark.skipif(not CUDA.usable, reason=f"no CUDA: {CUDA.reason}")
    return params + ["numba-split", pytest.param("cuda", marks=[pytest.mark.cuda, skip])]


_SPLIT_OPS = []


def split_everything(monkeypatch):
    """A numba Ops on three threads that splits every op it can (smallest parts)."""
    from deepzoo.backend.cpu import conv, dense, training
    from deepzoo.backend.cpu.ops import NumbaCPUOps

    for module, name in ((conv, "_PART_MACS"), (conv, "_PART_VALUES"), (dense, "_PART_PRODUCT"),
                         (training, "_PART_UPDATE")):
        monkeypatch.setattr(module, name, 1)
    if not _SPLIT_OPS:  # one instance for the session: its helper threads live as long
        _SPLIT_OPS.append(NumbaCPUOps(threads=3))
    ops = _SPLIT_OPS[0]
    # as right after a convolution: products and updates are cut into pieces too
    monkeypatch.setattr(ops, "_blas_held", lambda: True)
    monkeypatch.setattr(ops, "_threads_in_use", lambda: True)
    return ops


@pytest.fixture
def split_ops(monkeypatch):
    """The 'numba-split' backend alone."""
    return split_everything(monkeypatch)


@pytest.fixture(params=_backend_params())
def ops(request, monkeypatch):
    """Every backend, in turn (the CUDA one on a GPU or under NUMBA_ENABLE_CUDASIM=1)."""
    if request.param == "numba-split":
        return split_everything(monkeypatch)
    return deepzoo.get_ops(request.param)


class HostArrays:
    """A device Ops that takes and gives host arrays, so op tests can treat every backend alike.

    Each call copies the NumPy arguments to the device (one copy per distinct array, so
    ``out=x`` stays in place), runs the op, copies every argument back into its host array
    (ops write their results into arguments) and returns host arrays.
    """

    def __init__(self, ops):
        self.ops = ops

    def __getattr__(self, name):
        attr = getattr(self.ops, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            copies = {}

            def to_device(a):
                if not isinstance(a, np.ndarray):
                    return a
                if id(a) not in copies:
                    copies[id(a)] = (a, self.ops.asarray(a))
                return copies[id(a)][1]

            result = attr(*[to_device(a) for a in args], **{k: to_device(v) for k, v in kwargs.items()})
            for host, device in copies.values():
                host[...] = self.ops.to_host(device)
            if isinstance(result, tuple):
                return tuple(self._host(r) for r in result)
            return self._host(result)

        return call

    def _host(self, value):
        return self.ops.to_host(value) if hasattr(value, "copy_to_host") else value


@pytest.fixture
def host_ops(ops):
    """``ops`` callable with NumPy arrays, whichever device it computes on."""
    return ops if ops.device == "cpu" else HostArrays(ops)


@pytest.fixture(scope="session")
def torch_ref():
    with np.load(FIXTURES / "torch_reference.npz") as data:
        return {k: data[k] for k in data.files}


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_report_header(config):
    return (f"deepzoo {deepzoo.__version__}; DEEPZOO_DATA={os.environ.get('DEEPZOO_DATA', '(unset)')}; "
            f"cuda: {CUDA.describe()}")
