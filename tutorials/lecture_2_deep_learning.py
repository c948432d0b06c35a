"""
Deep learning, the Keras way
============================

This tutorial follows the lecture *Intro to AI 3: deep learning*: neurons and
layers, learning by backpropagation, keeping data aside to know when to stop,
and the lecture's MNIST network with dropout, its loss curves and its
confusion matrix. Each model is written twice, in deepzoo's own spelling and
in the Keras spelling the lecture prints, which runs on deepzoo unchanged.
"""

# %%
# The data
# --------
# MNIST holds 60,000 training and 10,000 test images of handwritten digits,
# 28 x 28 grey pixels each. The network sees each image as 784 numbers in
# [0, 1]; each label becomes a one-hot vector of ten numbers.
import numpy as np

import deepzoo as dz
from deepzoo.datasets import load_mnist, to_categorical

(train_images, train_labels), (test_images, test_labels) = load_mnist()
x = train_images[:8000].reshape(-1, 784).astype("float32") / 255
y = to_categorical(train_labels[:8000], 10)
print("inputs", x.shape, "in", (float(x.min()), float(x.max())), "targets", y.shape, "first:", y[0])

# %%
# The network
# -----------
# Two hidden layers of 512 ReLU units, each followed by dropout (during
# training a random 20% of their outputs are set to zero, so no unit can rely
# on any single other one), then ten softmax outputs; categorical
# cross-entropy, Adam. In deepzoo's spelling:
model = dz.Sequential([
    dz.Dense(512, activation="relu"), dz.Dropout(0.2),
    dz.Dense(512, activation="relu"), dz.Dropout(0.2),
    dz.Dense(10, activation="softmax"),
], input_shape=(784,), seed=0)
model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
model.summary()

# %%
# The lecture's slide builds the same network the Keras way, one ``add`` at a
# time with separate activation layers. With ``from deepzoo import keras`` in
# place of ``import keras`` that code runs as printed, and it has the same
# 669,706 parameters:
from deepzoo import keras
from deepzoo.keras.layers import Activation, Dense, Dropout

keras_model = keras.models.Sequential()
keras_model.add(Dense(512, input_shape=(784,)))
keras_model.add(Activation("relu"))
keras_model.add(Dropout(0.2))
keras_model.add(Dense(512))
keras_model.add(Activation("relu"))
keras_model.add(Dropout(0.2))
keras_model.add(Dense(10))
keras_model.add(Activation("softmax"))
keras_model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
print("parameters:", keras_model.count_params())

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
# digits nobody tuned it on? ``evaluate`` returns the loss and then the
# metrics, in the order given to ``compile``, as Keras does.
x_test = test_images[:2000].reshape(-1, 784).astype("float32") / 255
loss, accuracy = model.evaluate(x_test, to_categorical(test_labels[:2000], 10), verbose=0)
print(f"test loss {loss:.3f}, test accuracy on 2,000 images: {accuracy:.1%}")

# %%
# The confusion matrix counts, for each true digit (a row), which digit the
# network answered (a column); the diagonal holds the right answers.
from deepzoo.metrics import confusion_matrix
from deepzoo.plotting import plot_confusion_matrix

predicted = model.predict(x_test, verbose=0).argmax(axis=1)
matrix = confusion_matrix(test_labels[:2000], predicted, 10)
figure = plot_confusion_matrix(matrix, title="MNIST MLP, 2,000 test images")
mistakes = matrix - np.diag(np.diag(matrix))
true, answered = np.unravel_index(mistakes.argmax(), mistakes.shape)
print(f"most frequent mistake: a {true} read as a {answered} ({mistakes.max()} times)")

# %%
# Trained on all 51,000 training images for the lecture's 10 epochs, the same
# network reaches 98.01% on the 10,000 test images (``benchmarks/README.md``).
