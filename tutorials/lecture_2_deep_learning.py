"""
Deep learning, the Keras way
============================

This tutorial follows the lecture *Intro to AI 3: deep learning*: neurons and
layers, learning by backpropagation, keeping data aside to know when to stop,
and the lecture's MNIST network with dropout, its loss curves and its
confusion matrix.
"""

# %%
# The data
# --------
# MNIST holds 60,000 training and 10,000 test images of handwritten digits,
# 28 x 28 grey pixels each. The network sees each image as 784 numbers in
# [0, 1]; each label becomes a one-hot vector of ten numbers.
from deepzoo.datasets import load_mnist
from deepzoo.demos.mnist_common import prepare

(train_images, train_labels), (test_images, test_labels) = load_mnist()
x, y = prepare(train_images[:8000], train_labels[:8000], flatten=True)
print("inputs", x.shape, "in", (float(x.min()), float(x.max())), "targets", y.shape, "first:", y[0])

# %%
# The network
# -----------
# Two hidden layers of 512 ReLU units, each followed by dropout (during
# training a random 20% of their outputs are set to zero, so no unit can rely
# on any single other one), then ten softmax outputs; categorical
# cross-entropy, Adam. The same builder serves ``deepzoo demo mnist-mlp``.
from deepzoo.demos.mnist_mlp import build_mlp

model = build_mlp(seed=0)
model.summary()

# %%
# Train, validate, stop
# ---------------------
# The lecture holds 15% of the training images out. They are never trained on;
# after every epoch the network is scored on them, which shows when it starts
# to learn its training set by heart instead of the digits. Here: 8,000 images
# and three epochs, to keep this page quick to build.
history = model.fit(x, y, batch_size=64, epochs=3, validation_split=0.15, verbose=0)
for epoch, (loss, val) in enumerate(zip(history.history["loss"], history.history["val_loss"]), 1):
    print(f"epoch {epoch}: training loss {loss:.3f}, validation loss {val:.3f}")

from deepzoo.plotting import plot_history

figure = plot_history(history, title="MNIST MLP, 8,000 images")

# %%
# The test set and the confusion matrix
# -------------------------------------
# The test images answer the final question: how well does the network read
# digits nobody tuned it on? The confusion matrix counts, for each true digit,
# which digit the network answered.
import numpy as np

from deepzoo.metrics import confusion_matrix

xt, _ = prepare(test_images[:2000], test_labels[:2000], flatten=True)
predicted = model.predict(xt).argmax(axis=1)
print(f"test accuracy on 2,000 images: {np.mean(predicted == test_labels[:2000]):.1%}")
matrix = confusion_matrix(test_labels[:2000], predicted, 10)
print(matrix)

# %%
# Trained on all 51,000 training images for the lecture's 10 epochs, the same
# network reaches 98.12% on the 10,000 test images (``benchmarks/README.md``).
