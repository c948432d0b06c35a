"""``keras.datasets.mnist``."""

__all__ = ["load_data"]


def load_data(path=None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(60000, 28, 28)`` and
    ``(10000, 28, 28)``, uint8 labels, as Keras returns them.

    The files come from deepzoo's loader: ``DEEPZOO_DATA`` if set, else the user
    cache, downloading them once with checksums. ``path`` (Keras's cache file
    name) is accepted and not used.
    """
    from ...datasets import load_mnist

    return load_mnist()
