"""``NumbaCPUOps``: the reference Ops with its hot operations compiled by numba.

Every method here has the meaning its namesake has in
:class:`~deepzoo.backend.reference.Ops` (read that one first); this family only
changes how it is computed. It is split as the reference is, file for file:

* ``dense.py``: products (NumPy's BLAS) and one-pass elementwise kernels;
* ``conv.py``: convolution and pooling, cut along the batch over all cores;
* ``recurrent.py``: LSTM steps;
* ``training.py``: losses, metrics and optimizer updates;
* ``base.py``: the threads, the BLAS policy and the scratch buffers they share.

The ``@njit`` kernels sit beside each part (``dense_kernels.py`` ...), and
``ops.py`` puts the parts together as ``NumbaCPUOps``. Importing it imports numba
but compiles nothing: each kernel compiles the first
time a model calls it, and the result is cached on disk.
"""
