"""``keras.models``: :class:`~deepzoo.Sequential` and :func:`~deepzoo.load_model`."""

from ..model import Sequential, load_model
from ._missing import missing_names

__all__ = ["Sequential", "load_model"]

__getattr__ = missing_names("keras.models", {
    "Model": "Build the network as a Sequential model (the functional API is not in deepzoo).",
    "clone_model": "", "model_from_json": "",
})
