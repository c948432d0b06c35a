"""
Write your own layer
====================

A layer of your own takes four steps: write it against the layer contract, check
its gradients, ship it as a plugin with one line of ``pyproject.toml``, and use
it by name like any built-in, saving and loading included. The layer written
here is also the example plugin of deepzoo's test suite
(``tests/plugin_example``), which the tests install with pip.
"""

# %%
# 1. The layer
# ------------
# A learnable scale per feature, :math:`y_{nj} = x_{nj} s_j`. ``create_params``
# declares the parameter (its shape, initializer and fans; ``build`` allocates
# it); ``forward`` returns the output and a function that, given :math:`dL/dy`,
# adds :math:`dL/ds_j = \sum_n dy_{nj} x_{nj}` into the layer's gradient and
# returns :math:`dL/dx = dy \, s`. All arithmetic goes through ``self.ops``, so
# the layer runs on every backend.
from deepzoo.errors import ShapeError
from deepzoo.layers import Layer


class Scale(Layer):
    default_name = "scale"
    example_input_shape = (4,)

    def check_input_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ShapeError(f"layer '{self.name}' expects (batch, features), got {input_shape}")

    def create_params(self, input_shape):
        self.add_param("scale", input_shape, "ones", input_shape[0], input_shape[0])

    def forward(self, x, training=False):
        self.check_input(x)
        ops, s = self.ops, self.params["scale"]
        y = ops.multiply(x, s)

        def backward(dy):
            ops.sum_rows(ops.multiply(dy, x), out=self.grads["scale"])
            return ops.multiply(dy, s)

        return y, backward


# %%
# 2. Check it
# -----------
# ``deepzoo.gradcheck`` compares the backward pass with finite differences in
# float64; ``deepzoo.testing.check_layer`` runs the whole contract every built-in
# layer passes (shapes, gradients, the config round trip).
import os

import numpy as np

import deepzoo as dz
from deepzoo.testing import check_layer

x = np.random.default_rng(0).standard_normal((3, 4))
print(dz.gradcheck(Scale(), x))
check_layer(Scale(), input_shape=(4,))
print("the layer contract holds")

# %%
# 3. Ship it
# ----------
# In the plugin package's ``pyproject.toml``, one entry point makes the layer
# known to deepzoo by name once the package is installed::
#
#     [project.entry-points."deepzoo.layers"]
#     scale = "zoo_scale:Scale"
#
# ``deepzoo list layers`` then shows ``scale  plugin (zoo-scale)``. A plugin
# cannot take a built-in's name. Without installing a package, the same
# registration can be done in code:
dz.register_layer("scale", Scale)

# %%
# 4. Use it by name, save it, load it
# -----------------------------------
model = dz.Sequential([dz.layers.create("scale"), dz.Dense(1)], input_shape=(4,), seed=0)
model.compile(optimizer=dz.SGD(0.05), loss="mse")
inputs = np.random.default_rng(1).standard_normal((64, 4)).astype("float32")
outputs = inputs @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")
history = model.fit(inputs, outputs, batch_size=16, epochs=40, verbose=0)
print(f"loss {history.history['loss'][0]:.3f} -> {history.history['loss'][-1]:.5f}")

model.save("scaled.dzm")
again = dz.load_model("scaled.dzm")  # the layer is found by its registered name
print("same predictions after loading:", np.array_equal(again.predict(inputs), model.predict(inputs)))
os.remove("scaled.dzm")
dz.registry.layers.unregister("scale")
