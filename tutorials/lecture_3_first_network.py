"""
My first neural network, from scratch
=====================================

This tutorial follows the lecture *My first neural network*: gradient descent
on a straight line, a sigmoid for a yes/no question, the forward pass of a
small network written as matrix products, backpropagation by the chain rule,
and finally a network that reads handwritten digits, written twice: by hand in
NumPy, the way the lecture does it, and with deepzoo's layers.
"""

# %%
# A line through house prices
# ---------------------------
# The model has one weight and one bias, ``price = w * area + b``. Its error on
# the data is the lectures' :math:`E = \frac{1}{2} \sum (t - y)^2`, and gradient
# descent moves each parameter against its slope, :math:`w \leftarrow w - \alpha
# \, dE/dw`. The demo behind ``deepzoo demo linreg`` does exactly that; its
# ``fit_line`` function is used here directly.
from deepzoo.demos import linreg

for lr in (0.0005, 0.01, 0.06):
    run = linreg.fit_line(lr=lr, epochs=200)
    print(f"learning rate {lr}: {run.verdict}")

# %%
# With 0.01 the descent reaches the least-squares line; 20 times smaller, it is
# still far away after 200 steps; six times larger, every step overshoots the
# minimum by more than the last and the error explodes. The right panel shows
# the error surface over :math:`(w, b)` and the path the descent took.
run = linreg.fit_line(lr=0.01, epochs=200)
figure = linreg.plot_linreg(run)

# %%
# Two or three rooms? A sigmoid answers with a probability
# --------------------------------------------------------
# Squeezing the line's score through :math:`\sigma(y) = 1 / (1 + e^{-y})` turns
# it into a probability. With cross-entropy as the error, the slope with respect
# to the score is simply :math:`a - t`, the lecture's result. The decision
# threshold sits where :math:`a = 0.5`, that is at :math:`x = -b / w`.
from deepzoo.demos import logreg

x, t = logreg.flats()
rooms = logreg.train_logistic(x, t)
print(f"threshold: {-rooms.bias / rooms.weights[0] * 100:.1f} square metres, "
      f"training accuracy {rooms.accuracy:.1%}")

# %%
# The forward pass as matrix products
# -----------------------------------
# The lecture's worked example has three inputs, three hidden and three output
# nodes, sigmoid everywhere and no biases: :math:`X_{hidden} = W_{input\_hidden}
# \cdot I`, :math:`O_{hidden} = \sigma(X_{hidden})`, and the same again for the
# output layer.
from deepzoo.demos import forward_pass

example = forward_pass.run_example(targets=(0.01, 0.99, 0.01), lr=0.1)
print("X_hidden =", example.x_hidden.round(3))
print("O_hidden =", example.o_hidden.round(3))
print("O_output =", forward_pass.cut3(example.o_output), "(three decimals, cut as on the slides)")

# %%
# Backpropagation
# ---------------
# The lecture first shares each output error among the links that feed it, in
# proportion to their weights. The chain rule gives the exact slope instead: it
# also multiplies by each output's own slope :math:`o (1 - o)`, and it does not
# divide by the sum of the weights. Both are shown side by side.
print("output errors t - o            ", example.output_errors.round(3))
print("split in proportion to weights ", example.split_errors.round(3))
print("exact slope dE/dO_hidden       ", example.hidden_gradient.round(3))

# %%
# Digits, written by hand
# -----------------------
# The hands-on part builds a 784-100-10 network in a few lines of NumPy: no
# biases, sigmoid activations, weights drawn from a normal distribution with
# standard deviation :math:`1/\sqrt{\text{incoming links}}`, and one update
# after every single image. The lecture's version sends the output *errors* back
# through the weights; the version below sends back the errors times the
# outputs' slopes, which is the exact gradient of :math:`E`.
import numpy as np


class TinyNetwork:
    def __init__(self, w_input_hidden, w_hidden_output, learning_rate):
        self.wih, self.who, self.lr = w_input_hidden.copy(), w_hidden_output.copy(), learning_rate

    @staticmethod
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def query(self, inputs):
        hidden = self.sigmoid(self.wih @ np.array(inputs, ndmin=2).T)
        return self.sigmoid(self.who @ hidden)

    def train(self, inputs, targets):
        i, t = np.array(inputs, ndmin=2).T, np.array(targets, ndmin=2).T
        hidden = self.sigmoid(self.wih @ i)
        output = self.sigmoid(self.who @ hidden)
        output_delta = (t - output) * output * (1 - output)
        hidden_delta = (self.who.T @ output_delta) * hidden * (1 - hidden)
        self.who += self.lr * output_delta @ hidden.T
        self.wih += self.lr * hidden_delta @ i.T


# %%
# The same network with deepzoo
# -----------------------------
# ``deepzoo demo digits`` builds it from two ``Dense`` layers, trained on the
# lecture's error with plain SGD and batches of one image. Starting both from
# the same weights and feeding the same images in the same order, they end with
# the same weights.
from deepzoo.datasets import load_mnist
from deepzoo.demos import digits

(train_images, train_labels), (test_images, test_labels) = load_mnist()
x_train = digits.scale_inputs(train_images[:3000]).astype("float64")
t_train = digits.targets(train_labels[:3000]).astype("float64")

import deepzoo as dz

model = dz.Sequential([
    dz.Dense(100, activation="sigmoid", use_bias=False, kernel_initializer="normal_fan_in"),
    dz.Dense(10, activation="sigmoid", use_bias=False, kernel_initializer="normal_fan_in"),
], input_shape=(784,), dtype="float64", seed=0)
model.compile(optimizer=dz.SGD(0.3), loss="sum_squared_error")
weights = model.get_weights_by_layer()
by_hand = TinyNetwork(weights["dense"]["kernel"].T, weights["dense_1"]["kernel"].T, 0.3)

model.fit(x_train, t_train, batch_size=1, epochs=1, shuffle=False, verbose=0)
for image, target in zip(x_train, t_train):
    by_hand.train(image, target)

difference = np.abs(model.get_weights_by_layer()["dense"]["kernel"].T - by_hand.wih).max()
print(f"largest difference between the two sets of weights after 3,000 images: {difference:.1e}")

# %%
# Both now read digits they have never seen about equally well:
x_test = digits.scale_inputs(test_images[:2000]).astype("float64")
ours = (model.predict(x_test).argmax(axis=1) == test_labels[:2000]).mean()
theirs = (by_hand.query(x_test).argmax(axis=0) == test_labels[:2000]).mean()
print(f"test accuracy after 3,000 training images: deepzoo {ours:.1%}, by hand {theirs:.1%}")

# %%
# Trained on all 60,000 images for one epoch at learning rate 0.3, the network
# reaches 95.6% on the 10,000 test images, and 97.0% after five epochs at 0.1
# (``benchmarks/lecture_accuracy.py``; published figures for this network:
# 94.7% and 96.6%).
