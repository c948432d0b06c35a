"""All trainable parameters of a model in one array, so that an optimizer step is one call.

An optimizer's update is the same arithmetic on every number of every parameter
(see :mod:`deepzoo.optimizers`). Run per parameter, a step of the lectures' MLP
is six small calls (a kernel launch each on a GPU); run over one array that holds
every parameter, it is one. :class:`FlatParameters` copies the parameters into
one buffer, one for their gradients beside it, and gives each layer views of its
own part, so the layers read and accumulate exactly as before::

    buffer:  [ dense/kernel (784 x 512) | pad | dense/bias (512) | pad | dense_1/kernel ... ]
    layer.params["kernel"] is buffer[0:401408].reshape(784, 512)

Each part starts on a 64-byte boundary (the padding holds zeros, whose gradient
stays zero, so no optimizer ever moves it). The model makes the buffer when it
first needs its parameter list, and makes it again if a layer's arrays were
replaced since (:meth:`FlatParameters.intact`). Writing into ``layer.params[k]``
(as ``set_weights`` does) keeps the views; putting a new array there by hand is
not noticed: use ``set_weights``.
"""

from __future__ import annotations

import numpy as np

from .layers.base import Layer

#: each parameter's part starts at a multiple of this many bytes (a cache line)
ALIGN_BYTES = 64


class FlatParameters:
    """One buffer holding the parameters ``(layer, key)`` of ``entries``, and one for
    their gradients; the layers' ``params``/``grads`` become views of them.

    Attributes
    ----------
    keys : list of str
        ``"layer/key"`` of each parameter, in buffer order.
    param, grad : 1-D arrays of the Ops
        The two buffers.
    """

    def __init__(self, ops, entries, dtype):
        self.ops, self.dtype = ops, np.dtype(dtype)
        step = max(1, ALIGN_BYTES // self.dtype.itemsize)
        self.keys, self.parts, self._owners = [], [], []
        offset = 0
        for layer, key in entries:
            shape = tuple(layer.params[key].shape)
            size = int(np.prod(shape, dtype=np.int64))
            self.keys.append(f"{layer.name}/{key}")
            self.parts.append((offset, size, shape))
            offset += -(-size // step) * step
        self.param = ops.alloc((offset,), self.dtype)
        self.grad = ops.alloc((offset,), self.dtype)
        for (layer, key), part in zip(entries, self.parts):
            view = self.view(self.param, part)
            ops.assign(view, layer.params[key])
            grad = self.view(self.grad, part)
            if layer._grads is not None and key in layer._grads:  # a gradient a step left halfway
                ops.assign(grad, layer._grads[key])
            layer.replace_arrays(key, view, grad)
            self._owners.append((layer, key, view, grad))
        self._seen = Layer.arrays_replaced

    @staticmethod
    def view(buffer, part):
        """The part ``(offset, size, shape)`` of ``buffer`` as an array of its shape."""
        offset, size, shape = part
        return buffer[offset:offset + size].reshape(shape)

    def named_params(self) -> list:
        """``(key, parameter view, gradient view)`` of each parameter."""
        return [(name, view, grad) for name, (_, _, view, grad) in zip(self.keys, self._owners)]

    def intact(self) -> bool:
        """Whether every layer still holds the views (``set_weights`` writes into them;
        moving a layer to another device or building it again replaces them). Asked
        every step, so it looks at the layers only when some layer's arrays were
        replaced since it last looked (:attr:`Layer.arrays_replaced`)."""
        if self._seen == Layer.arrays_replaced:
            return True
        if all(layer.params.get(key) is view and (layer._grads or {}).get(key) is grad
               for layer, key, view, grad in self._owners):
            self._seen = Layer.arrays_replaced
            return True
        return False

    @classmethod
    def of(cls, ops, layers, reuse=None):
        """The flat parameters of the trainable parameters of ``layers``, or None when
        there are none or they do not share one dtype and the Ops; ``reuse`` when it
        already holds exactly those."""
        entries = [(layer, key) for layer in layers for key in layer.trainable_keys()]
        if reuse is not None and reuse.ops is ops and reuse.intact() and \
                reuse.keys == [f"{layer.name}/{key}" for layer, key in entries]:
            return reuse
        dtypes = {np.dtype(layer.params[key].dtype) for layer, key in entries}
        if not entries or len(dtypes) != 1 or any(layer.ops is not ops for layer, _ in entries):
            return None
        return cls(ops, entries, dtypes.pop())
