"""What every part of ``NumbaCPUOps`` shares: its threads, BLAS policy and scratch buffers.

The thread and BLAS policy of the CPU family lives here and in ``threads.py``,
nowhere else:

* convolutions and pooling are cut into pieces along the batch and run on all
  cores at once (:class:`~deepzoo.backend.cpu.threads.Workers`);
* products go to BLAS whole, and BLAS uses its own threads, except right after
  this Ops has split work over its threads: then BLAS's spinning workers would
  take the cores deepzoo's threads need next, so BLAS stays on one thread, and
  large products are cut into pieces of rows like a convolution
  (``benchmarks/kernel_notes.py`` measures both costs). "Right after" is counted
  in products, not in time: :data:`HOLD_PRODUCTS` products with no split in
  between release the hold, so what an earlier model did in this process stops
  mattering within one step of the next. A model made of products alone (an
  MLP) thus leaves the threading to BLAS;
* an optimizer update over many parameters is cut into pieces too, but only
  while deepzoo's threads are in use (a ConvNet's): beside BLAS's spinning
  workers a helper of deepzoo's would wait for a core;
* while other programs compete for the cores (:class:`~deepzoo.backend.cpu.threads.Contention`),
  BLAS stays on one thread too, whatever deepzoo's own count: its spinning
  workers would wait for a partner the scheduler has put aside. The lecture's
  LSTM adder beside one busy process took 2.1 times as long as alone before this
  check, 1.3 times with it (``python benchmarks/run.py --contend``, in
  ``benchmarks/README.md``). Work that would be cut into pieces then runs on the
  calling thread alone: beside a busy program a helper waits for the core that
  program holds, and one thread was as fast or faster (LeNet-5, the MLP).

Creating a ``NumbaCPUOps`` also asks glibc to keep freed memory for reuse (see
:mod:`deepzoo.backend.cpu.memory`), which :meth:`CPUOpsBase.describe` (and so
``deepzoo info``) reports; ``NumbaCPUOps(keep_freed_memory=False)`` does not.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from ...errors import ConfigError
from ..reference import Ops
from . import memory
from .blas import gemm_address, small_product_limit
from .threads import Contention, Workers, default_threads

#: products without a split in between after which BLAS may use its threads again
HOLD_PRODUCTS = 64

#: Empty arrays, by (dtype, ndim), standing for an array argument not given to a kernel
#: (no bias, no input gradient), which numba needs typed all the same: they hold
#: nothing, so every thread may share them.
NOT_GIVEN = {(np.dtype(t), ndim): np.empty((0,) * ndim, dtype=t)
             for t in (np.float32, np.float64) for ndim in (1, 2)}


def flat(a):
    """A contiguous array as a 1-D view, for the element-wise kernels (they compile once
    per dtype that way, not once per rank). Never a copy: a kernel writing into a copy
    would lose its result. (``ravel`` copies only an array that is not contiguous, and
    only a copy has no ``base``; this costs a third of checking ``a.flags`` first, which
    matters for the small models' many tiny calls.)"""
    view = a.ravel()
    if view.base is None:
        raise ValueError(f"the CPU kernels take C-contiguous arrays; received strides {a.strides} "
                         f"for shape {a.shape}")
    return view


class _ThreadState(threading.local):
    """What each thread using one Ops keeps apart from the others (see CPUOpsBase).
    The class attributes are each new thread's starting values: reading them is a plain
    attribute lookup, which matters in the small models' steps, made of tiny calls."""

    one_off = False
    products_since_split = HOLD_PRODUCTS
    scratch = None


class CPUOpsBase(Ops):
    """The reference Ops with the CPU family's threads, BLAS policy and scratch buffers.

    ``threads``: how many threads share one op (default: every core this process
    may use). The results do not depend on timing; with another thread count, sums
    over a batch may differ in their last bits, since they are added in other pieces.
    """

    name = "numba"

    def __init__(self, keep_freed_memory=True, threads=None):
        if keep_freed_memory:
            memory.keep_freed_memory()
        if threads is None:
            try:
                threads = default_threads()
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"NumbaCPUOps: threads must be a positive integer, received {threads!r}")
        self.threads = threads
        self._workers = Workers(threads)
        self._contention = Contention()
        # Reused temporaries: one product per (shape, dtype), bounded by the number of
        # distinct parameter shapes in use, and one columns buffer per dtype. They are
        # per thread, so that two models trained in two threads never share one.
        self._local = _ThreadState()

    @property
    def _scratch(self) -> dict:
        if self._local.scratch is None:
            self._local.scratch = {}
        return self._local.scratch

    @contextlib.contextmanager
    def one_off(self):
        """Inside, on this thread, a few samples go through the general path (BLAS) instead
        of the small-batch kernels (``dense.py``): compiling those takes about 0.8 s, which
        a short last batch of 2 samples (450 images in batches of 64) would pay for
        nothing at a model's first start."""
        saved = self._one_off
        self._local.one_off = True
        try:
            yield
        finally:
            self._local.one_off = saved

    @property
    def _one_off(self) -> bool:
        return self._local.one_off

    def _out(self, x, out):
        return np.empty_like(x) if out is None else out

    @property
    def _products_since_split(self) -> int:
        """Products run on this thread since this Ops last split work over its threads."""
        return self._local.products_since_split

    def _threads_in_use(self) -> bool:
        """Whether this Ops split work over its threads within the last
        :data:`HOLD_PRODUCTS` products (so BLAS is being kept to one thread)."""
        return self._products_since_split < HOLD_PRODUCTS

    def _blas_held(self, products=1) -> bool:
        """Whether BLAS should stay on one thread for the next product, or the next
        ``products`` products (see the module docstring); counts them."""
        count = self._products_since_split
        self._local.products_since_split = count + products
        # contention counts with one thread of deepzoo's too: BLAS's own would spin there
        return count < HOLD_PRODUCTS or self._contention.busy()

    def _split(self, n, work, per_item, least):
        """``work(start, stop)`` over pieces of ``range(n)`` on every thread, each piece
        holding at least ``least`` units of work at ``per_item`` units per item; returns
        the pieces' results in order."""
        min_size = -(-least // max(1, per_item))
        if self.threads > 1 and self._contention.busy():
            # beside another busy program one thread is as fast, or faster: the
            # helper would wait for the core the other program holds
            return self._workers.split(n, work, n)
        if self.threads > 1 and n >= 2 * min_size:
            self._local.products_since_split = 0
        return self._workers.split(n, work, min_size)

    def describe(self) -> str:
        allocator = "freed memory kept for reuse (glibc thresholds raised)" if memory.kept() \
            else "system allocator defaults"
        steps = "inside numba, calling NumPy's OpenBLAS" if gemm_address(np.float32) else \
            "as a Python loop (NumPy's BLAS is not OpenBLAS with 64-bit integers, or numba's JIT is off)"
        pieces = "; products with a thin side cut for OpenBLAS's small-product kernels" \
            if small_product_limit() else ""
        return (f"numba: numba-compiled CPU kernels, {self.threads} thread(s) of deepzoo's own (numba's "
                f"threading layer unused: no prange; helpers held to cores other than the caller's), "
                f"BLAS kept to one thread inside them and while other programs compete for the cores"
                f"{pieces}; an LSTM's steps over a sequence run {steps}; {allocator}")
