"""
Beyond the lectures
===================

The lectures end where many first projects begin: a network that trains slowly,
a data set where one class is rare, a model that learns its training set by
heart. This guide tries remedies from the zoo on the lectures' own data: batch
normalization, class weights, a weight penalty with a learning rate that decays,
and a lighter recurrent cell for the adder of the first lecture.
"""

# %%
# Batch normalization
# -------------------
# A ``BatchNormalization`` layer rescales each of its inputs over the batch to
# mean 0 and variance 1, then lets the network choose a scale and a shift of its
# own (``gamma`` and ``beta``). The next layer then sees inputs of a steady size
# however the earlier weights move, which usually lets training go faster. While
# training it also keeps moving averages of the means and variances, and uses
# those at test time, when there may be no batch to average over.
#
# Here is lecture 2's MNIST network, with and without a normalization after
# each hidden ``Dense`` layer (before its ReLU), trained for three epochs on
# 8,000 images.
import matplotlib.pyplot as plt

import deepzoo as dz
from deepzoo.datasets import load_mnist, to_categorical

(images, labels), _ = load_mnist()
x = images[:8000].reshape(-1, 784).astype("float32") / 255
y = to_categorical(labels[:8000], 10)


def mlp(normalize):
    layers = []
    for _ in range(2):
        layers += [dz.Dense(512), dz.BatchNormalization()] if normalize else [dz.Dense(512)]
        layers += [dz.Activation("relu"), dz.Dropout(0.2)]
    model = dz.Sequential(layers + [dz.Dense(10, activation="softmax")], input_shape=(784,), seed=0)
    model.compile(optimizer=dz.SGD(0.01, momentum=0.9), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, normalize in zip(axes, (False, True)):
    history = mlp(normalize).fit(x, y, batch_size=64, epochs=3, validation_split=0.15, verbose=0)
    ax.plot(range(1, 4), history.history["loss"], "o-", label="training")
    ax.plot(range(1, 4), history.history["val_loss"], "s-", label="validation")
    ax.set(title="with BatchNormalization" if normalize else "without", xlabel="epoch", ylabel="loss",
           xticks=[1, 2, 3])
    ax.legend()
    print(f"{'with' if normalize else 'without'} batch normalization: validation accuracy after 3 epochs "
          f"{history.history['val_accuracy'][-1]:.1%}")

# %%
# The summary counts the moving averages as *non-trainable* parameters: they are
# saved with the model, but the optimizer never moves them.
mlp(True).summary()

# %%
# Class weights for a rare class
# ------------------------------
# In the Pima Indians data of lecture 5, 268 of the 768 women developed diabetes.
# A network can score well by answering "no" too often, and the figure that
# suffers is the *recall* of the rare class: the share of the women who did
# develop diabetes that the network flags. ``class_weight`` makes each mistake on
# the rare class count more in the loss; weighting the classes in inverse
# proportion to their sizes gives them equal say.
from deepzoo.datasets import load_pima, train_test_split

features, outcome = load_pima()
x_train, x_test, y_train, y_test = train_test_split(features, outcome.astype("float32"), test_fraction=0.25,
                                                    seed=0)
mean, std = x_train.mean(axis=0), x_train.std(axis=0)
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
balanced = {0: 1.0, 1: float((y_train == 0).sum() / (y_train == 1).sum())}
print("class weights:", {k: round(v, 2) for k, v in balanced.items()})

for class_weight in (None, balanced):
    model = dz.Sequential([dz.Dense(12, activation="relu"), dz.Dense(8, activation="relu"),
                           dz.Dense(1, activation="sigmoid")], input_shape=(8,), seed=0)
    model.compile(optimizer=dz.Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=10, epochs=60, verbose=0, class_weight=class_weight)
    flagged = model.predict(x_test).ravel() > 0.5
    recall = flagged[y_test == 1].mean()
    accuracy = (flagged == (y_test == 1)).mean()
    print(f"{'balanced' if class_weight else 'unweighted':>10}: recall of the diabetes class {recall:.1%}, "
          f"accuracy {accuracy:.1%}")

# %%
# The weighted network finds more of the women who developed diabetes, at the
# price of more false alarms: which balance is right depends on what a missed
# case costs against a false alarm, a question for the doctor, not the network.
#
# A weight penalty and a decaying learning rate
# ---------------------------------------------
# ``kernel_regularizer="l2"`` adds ``0.01 * sum(w ** 2)`` of a layer's weights to
# the loss, so that every step also pulls the weights towards zero: a network
# with smaller weights draws smoother boundaries and overfits less. A schedule
# lowers the learning rate as training goes on: large steps first, fine ones at
# the end.
schedule = dz.schedules.ExponentialDecay(0.01, decay_steps=100, decay_rate=0.5)
print("learning rate at steps 0, 100, 200:", [schedule(step) for step in (0, 100, 200)])
model = dz.Sequential([dz.Dense(12, activation="relu", kernel_regularizer="l2"),
                       dz.Dense(1, activation="sigmoid")], input_shape=(8,), seed=0)
model.compile(optimizer=dz.Adam(learning_rate=schedule), loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=30, verbose=0)
print(f"loss (with the penalty) after 30 epochs: {history.history['loss'][-1]:.3f}; held-out accuracy "
      f"{model.evaluate(x_test, y_test, return_dict=True)['accuracy']:.1%}")

# %%
# A GRU beside the LSTM
# ---------------------
# The gated recurrent unit (Cho et al., 2014) keeps the LSTM's idea, gates that
# decide what to keep, with one state instead of two and three gates instead
# of four: an update gate mixes the old state with a candidate, a reset gate
# decides how much of the old state the candidate sees. The lecture's adder
# with each cell, trained for the same epochs on the same two-digit questions:
from deepzoo.datasets import addition

train, test = addition(samples=2000, test_samples=300, digits=2, seed=0)
for cell in (dz.LSTM, dz.GRU):
    adder = dz.Sequential([cell(100), dz.RepeatVector(train.y.shape[1]), cell(50, return_sequences=True),
                           dz.TimeDistributed(dz.Dense(11, activation="softmax"))],
                          input_shape=train.x.shape[1:], seed=0)
    adder.compile(optimizer=dz.Adam(0.005), loss="categorical_crossentropy", metrics=["accuracy"])
    adder.fit(train.x, train.y, batch_size=32, epochs=15, verbose=0)
    right = adder.evaluate(test.x, test.y, return_dict=True)["accuracy"]
    print(f"{cell.__name__:>4}: {adder.count_params():,} parameters, {right:.1%} of the unseen digits right")

# %%
# With a quarter fewer parameters the GRU learns about as well here; which cell
# wins depends on the task, and trying both is cheap.
