"""``keras.datasets``: the MNIST digits, loaded as Keras loads them."""

from .._missing import missing_names
from . import mnist

__all__ = ["mnist"]

__getattr__ = missing_names("keras.datasets", {
    "cifar10": "", "cifar100": "", "fashion_mnist": "", "imdb": "", "reuters": "", "boston_housing": "",
})
