"""``NumbaCUDAOps``: every operation of the reference Ops, as CUDA kernels.

Each method has the meaning of its namesake in :class:`~deepzoo.backend.reference.Ops`
(read that one first); here the arrays are numba device arrays and the work is
done by ``@cuda.jit`` kernels. The family is split as the reference is, file for
file: ``dense.py``, ``conv.py``, ``recurrent.py`` and ``training.py`` hold the ops,
each beside its ``*_kernels.py``; ``base.py`` launches kernels and holds device
memory; ``target.py`` is the one module that imports numba's CUDA target;
``ops.py`` puts the parts together as ``NumbaCUDAOps``.

What stays on the host: the random numbers of dropout (drawn from the layer's
NumPy generator, so a seed gives the same masks on every device, then copied
over), and the final sum of a loss or metric over the rows of a batch, a few
hundred numbers copied back once per batch. Parameters, gradients, optimizer
state and activations stay on the device; only :meth:`to_host` brings them back.

Creating one raises :class:`~deepzoo.errors.BackendError`, with the reason,
when CUDA cannot be used here (see :mod:`deepzoo.backend.cuda.target`). This package's ``__init__``
imports nothing, so asking whether CUDA can be used never imports the kernels.
"""

