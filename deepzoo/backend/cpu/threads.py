"""Spreading one operation over the CPU's cores, and keeping BLAS out of their way.

:class:`~deepzoo.backend.cpu.ops.NumbaCPUOps` cuts a batch of images into
one piece per core; every thread runs the same single-threaded numba kernel on
its piece (``Workers.split``). The kernels are compiled with
``nogil=True``, so the pieces really run at the same time. Each piece writes its
own slice of the output, and a sum over the batch (a kernel gradient) gets one
partial sum per piece, added in the order of the pieces: the result depends on
the number of threads, never on timing.

Why threads of our own rather than numba's ``prange`` or a multi-threaded BLAS:
on a small machine every core is busy with deepzoo's work, and a thread pool
whose idle threads spin while they wait for work takes the cores from the
others. After a multi-threaded product, OpenBLAS's workers spin for a while,
and a ``prange`` loop run then is several times slower; after a ``prange``
loop, numba's OpenMP workers spin for a while in turn, and a product split
over threads right then is slower too (``benchmarks/kernel_notes.py`` measures
both). So deepzoo runs BLAS on one thread inside its ops
(:func:`one_blas_thread`) and splits the large products over these threads as
well; idle threads here wait on a queue and use no CPU. Each helper is held to a
core other than the caller's (:class:`_Placement` says why).
"""

from __future__ import annotations

import ctypes
import functools
import os
import queue
import threading
import time

from threadpoolctl import ThreadpoolController


def cpu_count() -> int:
    """The cores this process may run on: its CPU affinity, capped by a cgroup's CPU quota
    (a container or a notebook service granted, say, 2 CPUs of a 16-core host)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
    quota = _cgroup_cpus()
    return max(1, min(cores, quota)) if quota else cores


def _cgroup_cpus(path="/sys/fs/cgroup/cpu.max") -> int | None:
    """The CPUs a cgroup v2 quota allows (``/sys/fs/cgroup/cpu.max``, rounded up), or None."""
    try:
        with open(path) as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else -(-int(quota) // int(period))
    except (OSError, ValueError):
        return None


def default_threads() -> int:
    """The threads a ``NumbaCPUOps`` uses unless told: ``DEEPZOO_NUM_THREADS`` when set (a
    positive integer), else :func:`cpu_count`."""
    given = os.environ.get("DEEPZOO_NUM_THREADS", "").strip()
    if given:
        if not given.isdigit() or int(given) < 1:
            raise ValueError(f"DEEPZOO_NUM_THREADS must be a positive integer, received {given!r}")
        return int(given)
    return cpu_count()


class Contention:
    """Whether other programs compete for this process's cores right now.

    Linux counts the threads that are running or ready to run, in
    ``/proc/loadavg`` (its fourth field, ``running/total``); this process's own
    are those in state ``R`` under ``/proc/self/task``. The others' count is the
    difference. When it reaches ``max(1, cores // 8)`` (one on a small machine; a
    big one always has a stray kernel thread) in two looks in a row (a system
    thread is runnable for a moment now and then), another program is busy: a
    notebook on the same two virtual CPUs, a browser. Then a thread that spins
    while it waits for a descheduled partner burns the time that partner needs;
    deepzoo keeps BLAS on one thread while it lasts (see
    :mod:`deepzoo.backend.cpu.base`). Looked at most every ``interval`` seconds
    (a look costs about 100 microseconds); never busy where the files do not exist.
    """

    def __init__(self, cores=None, interval=0.25, read=None):
        self.cores = cores or cpu_count()
        self.interval = interval
        self._read = read or _runnable_threads
        self._checked, self._busy, self._seen = float("-inf"), False, False

    def busy(self) -> bool:
        now = time.monotonic()
        if now - self._checked >= self.interval:
            self._checked = now
            counts = self._read()
            seen = counts is not None and counts[0] - counts[1] >= max(1, self.cores // 8)
            self._busy, self._seen = seen and self._seen, seen
        return self._busy


def _runnable_threads():
    """``(runnable threads on the machine, runnable threads of this process)``, or None."""
    try:
        with open("/proc/loadavg") as f:
            everyone = int(f.read().split()[3].split("/")[0])
        ours = 0
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/stat") as f:
                    ours += f.read().rsplit(")", 1)[1].split()[0] == "R"
            except OSError:  # the thread ended meanwhile
                pass
        return everyone, ours
    except (OSError, IndexError, ValueError):
        return None


class Workers:
    """``count`` threads (the caller plus ``count - 1`` helpers) that share one job.

    A job is cut into ``pieces_per_thread`` pieces per thread, and each thread
    takes the next piece as soon as it is done with one. Handing a helper its job
    is one put on a queue of its own and one get from another. One job at a time:
    a caller that finds the helpers busy (another thread's job, or a piece that
    splits again) does its whole job alone.

    One piece per thread: with more, a helper that wakes up late (a hand-over takes
    tens of microseconds on a virtual machine, ``benchmarks/kernel_notes.py`` part 1)
    takes fewer of them instead of holding the caller up, but every piece runs its
    op's Python glue again, and the threads take turns at the GIL for it.
    Alternating step by step (``benchmarks/kernel_notes.py`` part 8, two runs),
    LeNet-5's training step took 3.29 and 3.21 ms with one piece per thread against
    3.51 and 3.49 ms with two, the MNIST ConvNet's 52.3 and 50.0 against 56.4 and
    51.7 ms; their forward passes 1 to 3% less. While another program keeps a core
    busy, work is not split at all (:class:`Contention`).
    """

    pieces_per_thread = 1

    def __init__(self, count: int, place: bool = True):
        self.count = count  # at least 1 (NumbaCPUOps checks the count it is given)
        self._busy = threading.Lock()
        self._helpers = [_Helper(i) for i in range(count - 1)]
        # ``place=False`` leaves the helpers where the scheduler puts them (for comparison)
        self._placement = _Placement(self._helpers) if self._helpers and place else None

    def pieces(self, n: int, min_size: int = 1) -> list[tuple[int, int]]:
        """``range(n)`` cut into contiguous ``(start, stop)`` pieces of at least ``min_size``
        items, at most ``pieces_per_thread`` per thread (one piece when ``n`` is small
        or there is one thread). The cut depends only on ``n``, ``min_size`` and ``count``."""
        most = 1 if self.count == 1 else self.count * self.pieces_per_thread
        k = max(1, min(most, n // max(1, min_size)))
        bounds = [n * i // k for i in range(k + 1)]
        return list(zip(bounds[:-1], bounds[1:]))

    def split(self, n: int, work, min_size: int = 1) -> list:
        """Run ``work(start, stop)`` over the pieces of ``range(n)`` on all threads.

        Returns the results in the order of the pieces, whichever thread ran them.
        Every piece is finished before this returns, also when one fails (the
        failure is raised then), so no thread still writes into the caller's
        arrays afterwards.
        """
        pieces = self.pieces(n, min_size)
        if len(pieces) == 1 or not self._busy.acquire(blocking=False):
            return [work(start, stop) for start, stop in pieces]
        results = [None] * len(pieces)
        waiting = iter(range(len(pieces)))  # shared: each next() hands out one piece

        def take_pieces():
            for i in waiting:
                results[i] = work(*pieces[i])

        helpers = self._helpers[:len(pieces) - 1]
        if self._placement is not None:
            self._placement.place()
        try:
            for helper in helpers:
                helper.jobs.put(take_pieces)
            try:
                take_pieces()
            finally:
                failures = [error for error in (helper.done.get() for helper in helpers) if error]
        finally:
            self._busy.release()
        if failures:
            raise failures[0]
        return results


class _Placement:
    """Keeps each helper on a core of its own, away from the core of the thread that splits.

    On a virtual machine (a notebook service, most clouds) a helper that waits for
    work leaves its virtual CPU idle, and the host takes that CPU away meanwhile;
    Linux then counts it as unavailable and wakes the helper on the caller's own
    core, where the two share one core until the scheduler moves one of them, often
    for the whole op. Measured there (``benchmarks/kernel_notes.py`` part 7, 400 us
    of numba work split after a 1 ms pause): 453 us on two threads, more than the
    404 us one thread takes; 276 us with the helper held to the other core. LeNet-5's
    ``predict`` on 64 images after a 10 ms pause: 2.58 ms, 1.91 ms held.
    So before each split the helpers are pinned (``sched_setaffinity``) to the
    process's cores other than the caller's, which stays free to move. Only the
    helpers' own affinity is changed, and only when the caller has moved to another
    core; where Linux does not allow it, the scheduler keeps placing them.
    """

    def __init__(self, helpers):
        self._helpers = helpers
        self._placed_for = None  # the caller's core the helpers were placed around
        self._current_cpu = _sched_getcpu()
        try:
            self._cores = sorted(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # not on Linux
            self._current_cpu = None

    def place(self):
        """Pin the helpers to cores other than the calling thread's, unless they already are."""
        if self._current_cpu is None:
            return
        cpu = self._current_cpu()
        if cpu == self._placed_for or cpu < 0:
            return
        others = [core for core in self._cores if core != cpu]
        try:
            for helper, core in zip(self._helpers, others):
                os.sched_setaffinity(helper.native_id, {core})
        except OSError:  # a core this process may no longer use: stop placing
            self._current_cpu = None
            return
        self._placed_for = cpu


def _sched_getcpu():
    """The C library's ``sched_getcpu`` (the core the calling thread runs on), or None."""
    try:
        function = ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError, TypeError):  # TypeError: Windows has no process-wide CDLL(None)
        return None
    function.restype, function.argtypes = ctypes.c_int, []
    return function


class _Helper:
    """A daemon thread that runs the jobs from its queue and reports each one's failure."""

    def __init__(self, index):
        self.jobs, self.done = queue.SimpleQueue(), queue.SimpleQueue()
        thread = threading.Thread(target=self._serve, name=f"deepzoo-{index + 1}", daemon=True)
        thread.start()
        self.native_id = thread.native_id  # set once start() returns

    def _serve(self):
        while True:
            job = self.jobs.get()
            try:
                job()
                self.done.put(None)
            except BaseException as error:  # handed to the caller, which raises it
                self.done.put(error)


@functools.cache
def blas_libraries() -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded (NumPy's), found once: finding
    them scans every library the process has loaded."""
    return ThreadpoolController().select(user_api="blas").lib_controllers


class _OneBlasThread:
    """BLAS on one thread while any thread is inside; the count it had before, after.

    The count belongs to the whole process, so overlapping uses from several
    threads (two models trained at once) are counted: the first one in saves and
    lowers it, the last one out restores it, and a thread that leaves while
    another is still inside changes nothing.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._inside = 0
        self._saved = []

    def __enter__(self):
        with self._lock:
            if self._inside == 0:
                self._saved = [(lib, lib.num_threads) for lib in blas_libraries()]
                for lib, _ in self._saved:
                    lib.set_num_threads(1)
            self._inside += 1

    def held(self) -> bool:
        """Whether some thread is inside, so that BLAS runs on one thread now."""
        return self._inside > 0

    def __exit__(self, *exc):
        with self._lock:
            self._inside -= 1
            if self._inside == 0:
                for lib, count in self._saved:
                    if count is not None:  # a library that could not tell its count keeps one
                        lib.set_num_threads(count)


_one_blas_thread = _OneBlasThread()


def one_blas_thread():
    """A context in which NumPy's BLAS runs each product on the calling thread only.

    With one thread a product wakes none of BLAS's workers, so none spins
    afterwards. Setting the count is a call into the library (microseconds).
    """
    return _one_blas_thread
