"""Data sets of the lectures and helpers to prepare them.

``load_mnist`` and ``load_pima`` read local copies when there are some (the
``data_dir`` argument, then the ``DEEPZOO_DATA`` folder) and otherwise download
the files once into the user's cache, checking their SHA-256 checksums.
``addition`` generates the addition questions of the first lecture's case study.
"""

from .addition import addition, decode
from .mnist import load_mnist
from .pima import load_pima
from .utils import one_hot, to_categorical, train_test_split

__all__ = ["load_mnist", "load_pima", "one_hot", "to_categorical", "train_test_split", "addition", "decode"]
