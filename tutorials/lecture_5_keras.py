"""
Easy coding in Keras style
==========================

This tutorial follows the lecture *Neural network: easy coding in Keras*: the
activation functions side by side, the Pima Indians diabetes network built
layer by layer as in Keras, and the MNIST ConvNet.
"""

# %%
# Activations side by side
# ------------------------
# sigmoid and tanh squash, ReLU cuts negatives to zero, leaky ReLU keeps a small
# slope there (:math:`\max(0.1x, x)` in the lecture), ELU bends smoothly to
# :math:`-\alpha`, and a Maxout unit takes the larger of two learned lines,
# :math:`\max(w_1 x + b_1, w_2 x + b_2)`. The dashed curves are the derivatives,
# computed by each activation's own backward pass.
from deepzoo.demos.activations import plot_activations

figure = plot_activations()

# %%
# Example 1: will she develop diabetes?
# -------------------------------------
# Eight measurements of 768 women, and whether each developed diabetes within
# five years. The Keras model is a stack: 12 ReLU units, 8 ReLU units, one
# sigmoid output, binary cross-entropy and Adam.
import numpy as np

import deepzoo as dz
from deepzoo.datasets import load_pima, train_test_split

x, y = load_pima()
x_train, x_test, y_train, y_test = train_test_split(x, y.astype("float32"), test_fraction=0.2, seed=0)
mean, std = x_train.mean(axis=0), x_train.std(axis=0)
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std  # every column on the same scale

model = dz.Sequential([dz.Dense(12, activation="relu"), dz.Dense(8, activation="relu"),
                       dz.Dense(1, activation="sigmoid")], input_shape=(8,), seed=0)
model.compile(optimizer=dz.Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=10, epochs=150, verbose=0)
print(f"accuracy on the training data {model.evaluate(x_train, y_train, return_dict=True)['accuracy']:.1%}, "
      f"on the held-out data {model.evaluate(x_test, y_test, return_dict=True)['accuracy']:.1%}")

# %%
# The popular version of this example reports its accuracy on the data it was
# trained on; the held-out figure is the honest one. Over five seeds it averages
# 76.2% here (``deepzoo demo diabetes --seeds 5``).
#
# The same network in Keras's spelling
# ------------------------------------
# A program written for Keras runs once ``import keras`` becomes
# ``from deepzoo import keras``: the objects behind the Keras names are
# deepzoo's own, so this is the model above, typed as the lecture types it.
from deepzoo import keras  # (a Keras program says: import keras)
from deepzoo.keras.layers import Dense

keras_model = keras.models.Sequential()
keras_model.add(Dense(12, input_dim=8, activation="relu"))
keras_model.add(Dense(8, activation="relu"))
keras_model.add(Dense(1, activation="sigmoid"))
keras_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
keras_model.fit(x_train, y_train, epochs=150, batch_size=10, verbose=0)
scores = keras_model.evaluate(x_test, y_test)
print(f"{keras_model.metrics_names[1]}: {scores[1]:.1%} on the held-out data")

# %%
# Example 3: the MNIST ConvNet
# ----------------------------
# Two 3x3 convolutions (32 and 64 filters), 2x2 max pooling, dropout, a dense
# layer of 128 and ten softmax outputs: 1,199,882 parameters, trained with
# Adadelta. Here it is in the Keras spelling of the lecture's notebook;
# ``deepzoo demo mnist-cnn`` builds the same network from deepzoo's names
# (``dz.Conv2D(32, 3, activation="relu")``, ``dz.MaxPool2D(2)`` ...). A few
# hundred images show the shapes and that it learns.
from deepzoo.datasets import load_mnist
from deepzoo.keras.layers import Conv2D, Dropout, Flatten, MaxPooling2D

cnn = keras.models.Sequential()
cnn.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
cnn.add(Conv2D(64, (3, 3), activation="relu"))
cnn.add(MaxPooling2D(pool_size=(2, 2)))
cnn.add(Dropout(0.25))
cnn.add(Flatten())
cnn.add(Dense(128, activation="relu"))
cnn.add(Dropout(0.5))
cnn.add(Dense(10, activation="softmax"))
cnn.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
            metrics=["accuracy"])
cnn.summary()

(images, labels), (test_images, test_labels) = load_mnist()
xi = images[:1024].reshape(-1, 28, 28, 1).astype("float32") / 255
yi = keras.utils.to_categorical(labels[:1024], 10)
history = cnn.fit(xi, yi, batch_size=128, epochs=2, verbose=0)
print("training loss per epoch:", np.round(history.history["loss"], 3))

# %%
# Trained on the full training set for the lecture's 12 epochs, this network
# reaches 99.06% on the 10,000 test images (the lecture reports 99.25%;
# ``benchmarks/README.md``).
