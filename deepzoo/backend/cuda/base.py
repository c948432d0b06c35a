"""What every part of ``NumbaCUDAOps`` shares: launching kernels and device memory.

Arrays are numba device arrays. Every kernel is a grid-stride loop (see
``dense_kernels.py``), launched by :meth:`CUDAOpsBase._run` over as many items
as it has to cover.
"""

from __future__ import annotations

import numpy as np

from ..reference import Ops
from . import dense_kernels, target


class CUDAOpsBase(Ops):
    """The reference Ops with device memory and kernel launches.

    Parameters
    ----------
    tiled_matmul : bool, optional
        Use the shared-memory tiled product. The default is yes on a GPU and no
        in the simulator, where each ``syncthreads`` costs milliseconds (see
        :func:`~deepzoo.backend.cuda.dense_kernels.gemm_simple`).
    """

    name = "cuda"
    device = "cuda"

    def __init__(self, tiled_matmul=None):
        target.require()
        self.tiled_matmul = (not target.status().simulator) if tiled_matmul is None else tiled_matmul
        # small arrays made once, for kernels' arguments (see dense.py): per dtype, a bias
        # not to add and a product's unused partial tiles; the split products' tickets
        self._no_bias_arrays, self._no_partial_arrays, self._ticket_array = {}, {}, None

    def describe(self) -> str:
        return "cuda: CUDA kernels through numba (" + target.status().describe() + ")"

    def _run(self, kernel, n, *args):
        """Launch a grid-stride ``kernel`` over ``n`` items."""
        kernel[target.launch_size(n)](*args)

    @staticmethod
    def _flat(x):
        return x.reshape(x.size)

    def _map(self, kernel, *arrays, alpha=0.0, out=None):
        """Run an elementwise kernel of dense_kernels over flat views; returns ``out``."""
        out = self._empty_like(arrays[0]) if out is None else out
        self._run(kernel, out.size, *[self._flat(a) for a in arrays],
                  arrays[0].dtype.type(alpha), self._flat(out))
        return out

    @staticmethod
    def _empty_like(x):
        return target.empty(x.shape, x.dtype)

    @staticmethod
    def _rows(x):
        # shape[ndim - 1], not shape[-1]: the simulator's shapes refuse negative indices
        return x.reshape(-1, x.shape[x.ndim - 1])

    # ------------------------------------------------------------------ memory
    def alloc(self, shape, dtype="float32"):
        return self.fill(target.empty(shape, dtype), 0)

    def empty(self, shape, dtype="float32"):
        return target.empty(shape, dtype)

    def asarray(self, x, dtype=None):
        return target.to_device(x, dtype)

    def to_host(self, x):
        return target.to_host(x)

    def fill(self, x, value):
        if x.size:
            self._run(dense_kernels.fill, x.size, self._flat(x), x.dtype.type(value), self._flat(x))
        return x

    def assign(self, dest, src):
        if not target.is_device_array(src):
            src = np.ascontiguousarray(src, dtype=dest.dtype)
        dest.copy_to_device(src)
        return dest

    def reshape(self, x, shape):
        return x.reshape(tuple(shape))
