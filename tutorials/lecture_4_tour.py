"""
Neural networks, a tour
=======================

This tutorial follows the lecture *Neural networks*: learning as minimising a
loss, the universal approximation theorem, convolutions (kernel size, stride,
padding, dilation) drawn on a real image, LeNet-5, and recurrent networks.
"""

# %%
# Learning is minimising a loss
# -----------------------------
# A model :math:`f(x, \theta)` is trained by making the loss
# :math:`L(f(x, \theta), y)` small, one gradient step at a time:
# :math:`\theta \leftarrow \theta - \eta \nabla_\theta L`. Backpropagation is
# the multivariate chain rule, applied from the loss back to every parameter;
# ``deepzoo.gradcheck`` checks it against finite differences:
import numpy as np

import deepzoo as dz

layer = dz.Dense(3, activation="tanh")
print(dz.gradcheck(layer, np.random.default_rng(0).standard_normal((4, 5))))

# %%
# Universal approximation (Cybenko, 1989)
# ---------------------------------------
# One hidden layer of enough sigmoid units can follow any continuous curve on an
# interval. One unit makes a single step; three already follow one period of a
# sine closely.
import matplotlib.pyplot as plt

from deepzoo.demos.approximation import fit_sine, target

fig, ax = plt.subplots(figsize=(7, 3.5))
for units in (1, 3, 10):
    xs, fit, error = fit_sine(units, epochs=2000)
    ax.plot(xs, fit, label=f"{units} units (largest error {error:.3f})")
ax.plot(xs, target(xs), "k", lw=3, alpha=0.3, label="sin(x)")
ax.legend()

# %%
# Convolutions on a real image
# ----------------------------
# A convolution slides a small kernel over the image. Its **kernel size** sets
# the patch it sees, its **stride** how far it jumps, **padding** adds zeros at
# the border (``"same"`` keeps the size), and **dilation** spreads the kernel's
# taps apart to see further with the same number of weights (atrous
# convolution). The output sizes:
from deepzoo.datasets import load_mnist

(images, _), _ = load_mnist()
digit = (images[0] / 255.0).astype("float32")[None, :, :, None]  # one image, one channel
for args in (dict(kernel_size=3), dict(kernel_size=3, strides=2), dict(kernel_size=3, padding="same"),
             dict(kernel_size=3, dilation_rate=2), dict(kernel_size=5)):
    conv = dz.Conv2D(1, **args)
    print(f"{str(args):<40} -> output {conv(digit).shape[1:3]}")

# %%
# Two hand-made 3x3 kernels that respond to vertical and horizontal edges show
# what a feature map is: the same small pattern detector, applied everywhere.
edges = dz.Conv2D(2, 3, padding="same", use_bias=False)
edges.build((28, 28, 1))
vertical = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype="float32")
edges.set_weights({"kernel": np.stack([vertical, vertical.T], axis=-1)[:, :, None, :]})
maps = edges(digit)[0]
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, image, title in zip(axes, (digit[0, :, :, 0], maps[:, :, 0], maps[:, :, 1]),
                            ("the digit", "vertical edges", "horizontal edges")):
    ax.imshow(image, cmap="gray")
    ax.set_title(title)
    ax.axis("off")

# %%
# LeNet-5 (LeCun et al., 1998)
# ----------------------------
# Convolutions and subsampling, twice, then three dense layers. ``deepzoo demo
# lenet`` trains this version (ReLU and max pooling) to 99.03% on MNIST's test
# set.
from deepzoo.demos.lenet import build_lenet

build_lenet().summary()

# %%
# The same network in the Keras spelling, which runs on deepzoo unchanged; a
# 5x5 convolution with ``padding="same"`` pads two pixels on each side, as
# ``padding=2`` does above:
from deepzoo import keras
from deepzoo.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D

keras_lenet = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    Conv2D(6, (5, 5), padding="same", activation="relu"), MaxPooling2D((2, 2)),
    Conv2D(16, (5, 5), activation="relu"), MaxPooling2D((2, 2)), Flatten(),
    Dense(120, activation="relu"), Dense(84, activation="relu"), Dense(10, activation="softmax"),
])
print("parameters:", keras_lenet.count_params())

# %%
# Recurrent networks
# ------------------
# A recurrent layer reads a sequence one step at a time and carries a state from
# step to step: :math:`h_t = \tanh(x_t W + h_{t-1} R + b)`. The LSTM adds a cell
# and three gates that decide what to keep, what to forget and what to show,
# which lets it carry information across many steps.
sequence = np.random.default_rng(0).standard_normal((2, 6, 3)).astype("float32")
for recurrent in (dz.SimpleRNN(4), dz.LSTM(4), dz.LSTM(4, return_sequences=True)):
    print(f"{type(recurrent).__name__:<9} return_sequences={recurrent.return_sequences!s:<5} "
          f"output {recurrent(sequence).shape}, parameters {recurrent.count_params()}")

# %%
# The practical problems the lecture lists (data, overfitting, local minima, the
# number of parameters and training time) all show up in the other tutorials:
# the first one guards its adder against overfitting with a validation set and
# early stopping, the universal-approximation fits above already need thousands
# of steps, and the benchmarks page measures the time.
