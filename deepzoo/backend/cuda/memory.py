"""Device memory from the driver's stream-ordered pool, so that a training step allocates nothing.

Every op of the CUDA backend returns a new device array: a step of the Keras
MNIST ConvNet asks for about thirty. numba's own allocator calls ``cuMemAlloc``
for each, which costs tens of microseconds and may wait for the GPU, and frees
them in batches. :class:`PooledMemoryManager` is a numba External Memory
Management plugin that takes them from the driver's memory pool instead
(``cuMemAllocAsync`` and ``cuMemFreeAsync`` on the stream the kernels run on,
CUDA 11.2 and later). The pool keeps what is freed (its release threshold is set
to the maximum), so from the second step on each request is served from memory
the first step already took; ``tests/cuda_step_costs.py`` counts that the bytes
alive never exceed the first step's peak.

:func:`install` is called by :mod:`.target` before numba creates its CUDA
context. On a GPU without memory pools, or where the pool cannot be set up (then
with a warning), each array is allocated with ``cuMemAlloc`` as numba would.
"""

from __future__ import annotations

import warnings
import weakref

#: the pool's release threshold: keep everything that was freed
KEEP_ALL = 2**64 - 1


def plugin():
    """The plugin class (defined when called: it needs numba-cuda's driver module)."""
    from numba.cuda.cudadrv import driver as numba_driver
    from numba.cuda.cudadrv.driver import binding, driver

    class PooledMemoryManager(numba_driver.GetIpcHandleMixin, numba_driver.HostOnlyCUDAMemoryManager):
        """numba's device allocations from the device's default memory pool, freed in
        stream order (after the work queued before the free)."""

        #: the stream deepzoo launches its kernels on: the legacy default stream
        stream = binding.CUstream(0)

        def initialize(self):
            device = self.context.device
            self.pooled = False
            try:
                if device.MEMORY_POOLS_SUPPORTED:
                    pool = driver.cuDeviceGetDefaultMemPool(device.id)
                    driver.cuMemPoolSetAttribute(
                        pool, binding.CUmemPool_attribute.CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                        binding.cuuint64_t(KEEP_ALL))
                    self.pooled = True
            except numba_driver.CudaAPIError as exc:  # plain allocations still work
                warnings.warn(f"deepzoo: the CUDA memory pool could not be set up ({exc}); "
                              f"device arrays are allocated one by one", RuntimeWarning, stacklevel=2)

        def memalloc(self, size):
            if not getattr(self, "pooled", False):
                return self._plain(size)
            stream = self.stream
            ptr = self._attempt_allocation(lambda: driver.cuMemAllocAsync(size, stream))

            def free():
                try:
                    driver.cuMemFreeAsync(ptr, stream)
                except numba_driver.CudaAPIError:  # the context is already gone at interpreter exit
                    pass

            return numba_driver.MemoryPointer(weakref.proxy(self.context), ptr, size, finalizer=free)

        def _plain(self, size):
            ptr = self._attempt_allocation(lambda: driver.cuMemAlloc(size))
            return numba_driver.MemoryPointer(weakref.proxy(self.context), ptr, size,
                                              finalizer=lambda: driver.cuMemFree(ptr))

        def get_memory_info(self):
            free, total = driver.cuMemGetInfo()
            return numba_driver.MemoryInfo(free=free, total=total)

        @property
        def interface_version(self):
            return 1

    return PooledMemoryManager


def install(cuda) -> None:
    """Make numba allocate through :func:`plugin`'s class in the CUDA contexts it creates
    from now on (a context made before keeps numba's allocator)."""
    cuda.set_memory_manager(plugin())
