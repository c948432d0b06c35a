"""Embeddings: :class:`Embedding`, a learned vector for every token id."""

from __future__ import annotations

import numpy as np

from .. import initializers
from ..errors import DataError, MissingFeatureError
from .base import Layer, check_positive_int, take_regularizers


class Embedding(Layer):
    r"""Turn token ids into learned vectors: row ``i`` of a table stands for token ``i``.

    .. math:: y[n, t, :] = E[x[n, t], :]

    The input holds whole numbers from 0 to ``input_dim - 1`` (a model passes
    them as floats; each is rounded to the nearest integer). Shapes: ``x``
    ``(N, T)`` (or ``(N,)``, or any shape), ``embeddings`` E ``(input_dim, output_dim)``,
    ``y`` ``x.shape + (output_dim,)``; ``input_dim * output_dim`` parameters, as in
    Keras. The backward adds each output gradient to its token's row,
    ``dE[x[n, t]] += dy[n, t]`` (a token seen twice gets both); ids have no
    gradient, so the layer must come first.

    Parameters
    ----------
    input_dim : int
        The number of tokens (the largest id plus one).
    output_dim : int
        The length of each token's vector.
    embeddings_initializer : str or callable
        Keras's default: uniform in [-0.05, 0.05].
    embeddings_regularizer : str or Regularizer, optional
    mask_zero : bool
        Keras's padding mask; deepzoo has no masks, so only False is accepted.
    input_length : int, optional
        Keras 2's name for the sequence length (``input_shape=(input_length,)``).
    """

    default_name = "embedding"
    example_args = {"input_dim": 7, "output_dim": 3}
    example_input_shape = (4,)

    def __init__(self, input_dim, output_dim, embeddings_initializer="random_uniform",
                 embeddings_regularizer=None, mask_zero=False, input_length=None, **kwargs):
        if input_length is not None and kwargs.get("input_shape") is None:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = check_positive_int(self.name, "input_dim", input_dim)
        self.output_dim = check_positive_int(self.name, "output_dim", output_dim)
        if embeddings_initializer in (None, "uniform"):  # Keras's name for its RandomUniform(-0.05, 0.05)
            embeddings_initializer = "random_uniform"
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        take_regularizers(self, None, None)
        if embeddings_regularizer is not None:
            from .. import regularizers

            self.regularizers = {"embeddings": regularizers.get(embeddings_regularizer)}
        if mask_zero:
            raise MissingFeatureError(
                f"layer '{self.name}': mask_zero=True asks for a padding mask, which deepzoo does not "
                f"implement; pad with a token of its own and let the model learn to ignore it")

    def create_params(self, input_shape):
        self.add_param("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
                       self.input_dim, self.output_dim)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def example_input(self, rng, shape):
        return rng.integers(0, self.input_dim, shape).astype(np.float64)

    def _check_ids(self, x) -> None:
        ids = np.asarray(self.ops.to_host(x), dtype=np.float64)
        rounded = np.rint(ids)
        wrong = (np.abs(ids - rounded) > 1e-3) | (rounded < 0) | (rounded >= self.input_dim) | ~np.isfinite(ids)
        if wrong.any():
            bad = float(ids[wrong][0])
            raise DataError(f"layer '{self.name}' (Embedding) takes token ids, whole numbers from 0 to "
                            f"{self.input_dim - 1} (input_dim={self.input_dim}); received {bad!r}")

    def forward(self, x, training=False, *, input_gradient=True):
        self.check_input(x)
        self._check_ids(x)
        ops = self.ops
        y = ops.embedding_lookup(self.params["embeddings"], x)

        def backward(dy):
            ops.embedding_backward(x, dy, self.grads["embeddings"])
            return ops.alloc(tuple(x.shape), self.dtype) if input_gradient else None

        return y, backward

    def get_config(self):
        config = {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                  "embeddings_initializer": initializers.name_of(self.embeddings_initializer)}
        if "embeddings" in self.regularizers:
            config["embeddings_regularizer"] = self.regularizers["embeddings"].get_config()
        return config
