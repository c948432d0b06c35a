"""MNIST: 70,000 handwritten digits of 28 x 28 grey pixels (LeCun, Cortes, Burges).

:func:`load_mnist` reads the four original IDX files (gzip-compressed) and
returns uint8 arrays, as Keras's loader does::

    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_train.shape, y_train.shape   # (60000, 28, 28), (60000,)

The IDX format: a big-endian header (a magic number whose last byte gives the
number of dimensions, then one 32-bit size per dimension), then the raw bytes.
"""

from __future__ import annotations

import gzip

import numpy as np

from ..errors import DataError
from .fetch import fetch

URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


def read_idx(source, name=None) -> np.ndarray:
    """Parse one gzip-compressed IDX file of unsigned bytes (a path, or its bytes) into an array."""
    if isinstance(source, (bytes, bytearray)):
        path = name or "an IDX file"
        try:
            data = gzip.decompress(source)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path} is not gzip-compressed ({exc})") from None
    else:
        path = source
        with gzip.open(path, "rb") as f:
            data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path} is not an IDX file of unsigned bytes (header {data[:4]!r})")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(data) != header + int(np.prod(shape)):
        raise DataError(f"{path}: the header announces shape {shape}, but the file holds "
                        f"{len(data) - header} bytes of data")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load_mnist(data_dir=None, cache_dir=None, url=URL):
    """MNIST as ``(x_train, y_train), (x_test, y_test)``, uint8 arrays.

    Parameters
    ----------
    data_dir : str or Path, optional
        A folder holding the four ``*-ubyte.gz`` files (or a ``mnist/`` folder with them).
        Otherwise ``DEEPZOO_DATA`` and then the user cache are searched, and missing
        files are downloaded into the cache (see :mod:`deepzoo.datasets.fetch`).
    cache_dir : str or Path, optional
        Where downloads go instead of the user cache.
    url : str
        Base address of the mirror to download from.
    """
    contents = fetch("MNIST", FILES, "mnist", url, data_dir=data_dir, cache_dir=cache_dir)
    x_train, y_train, x_test, y_test = (read_idx(contents[name], name) for name in FILES)
    return (x_train, y_train), (x_test, y_test)
