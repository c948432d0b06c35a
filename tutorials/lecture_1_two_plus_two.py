"""
Can neural networks solve 2+2?
==============================

This tutorial follows the lecture of the same name: Rosenblatt's perceptron and
its learning rule, the XOR function that a single perceptron cannot learn
(Minsky and Papert, 1969), the multi-layer network that can, and the lecture's
case study, an LSTM encoder-decoder that learns to add three-digit numbers.
"""

# %%
# The perceptron and its learning rule
# ------------------------------------
# A perceptron outputs 1 when :math:`w \cdot x + b \ge 0` and 0 otherwise. Its
# rule visits the examples one by one and, after each mistake, moves the weights
# towards the right answer: :math:`w \leftarrow w + \eta (t - y) x`. On AND and
# OR the mistakes stop after a few passes; on XOR they never do.
from deepzoo.demos.perceptron import INPUTS, TARGETS, train_perceptron

for name, targets in TARGETS.items():
    run = train_perceptron(INPUTS, targets, lr=0.1, epochs=20)
    print(f"{name:>3}: mistakes per pass {run.errors_per_epoch} -> "
          f"{'learned' if run.converged else 'never learned'}")

# %%
# No straight line puts (0, 1) and (1, 0) on one side and (0, 0), (1, 1) on the
# other, so no single threshold unit can compute XOR.
#
# A hidden layer solves XOR
# -------------------------
# Two or more hidden units can each draw a line, and the output unit combines
# them. ``deepzoo demo xor`` trains a 2-4-1 network; its training function is
# called here directly. The figure shows the decision boundary it learned.
from deepzoo.demos.xor import T, X, train_xor
from deepzoo.plotting import plot_decision_boundary_and_loss

result = train_xor(seed=0)
for (a, b), target, output in zip(X.astype(int), T[:, 0], result.outputs[:, 0]):
    print(f"{a} xor {b} = {int(target)}   network: {output:.3f}")
figure = plot_decision_boundary_and_loss(result.model, X, T, result.history)

# %%
# The case study: an LSTM that adds
# ---------------------------------
# Each question, such as ``"012+345"``, is a sequence of seven characters, each
# one-hot over the eleven symbols ``0123456789+``. An LSTM with 100 units reads
# it; its last state is repeated once per answer digit, a second LSTM with 50
# units decodes the repeats, and the same softmax layer turns each decoder step
# into a digit.

from deepzoo.datasets import addition, decode
from deepzoo.demos.addition import build_adder, train_adder

build_adder().summary()

# %%
# Its parameters add up as in the lecture: 44,800 + 0 + 30,200 + 561 = 75,561.
# The lecture shows the Keras summary of this model; in Keras's spelling, which
# runs on deepzoo with ``from deepzoo import keras`` in place of ``import keras``,
# the same stack reads:
from deepzoo import keras
from deepzoo.keras import layers

keras_adder = keras.Sequential([
    keras.Input(shape=(7, 11)),
    layers.LSTM(100),
    layers.RepeatVector(4),
    layers.LSTM(50, return_sequences=True),
    layers.TimeDistributed(layers.Dense(11, activation="softmax")),
])
print("parameters:", keras_adder.count_params())

# %%
# Here is a short run on 2,000 two-digit questions (a full run is quoted below):
train, test = addition(samples=5, test_samples=1, digits=3, seed=0)
print("questions:", train.questions, "answers:", train.answers, "input shape:", train.x.shape)

run = train_adder(samples=2000, test_samples=300, digits=2, epochs=40, early_stopping=False, seed=0)
for question, answer, guess in list(zip(run.questions, run.answers, run.predictions))[:6]:
    print(f"{question} = {guess}  {'right' if guess == answer else 'wrong, ' + answer}")
print(f"per-digit accuracy: training {run.train_digit_accuracy:.1%}, unseen {run.test_digit_accuracy:.1%}")

# %%
# Overfitting and early stopping
# ------------------------------
# A network can learn its training questions by heart and still fail on new
# ones: that is overfitting. Holding some training questions out for validation
# and keeping the weights of the epoch where the validation loss was lowest
# (``EarlyStopping(restore_best_weights=True)``) guards against it. With the
# lecture's setting (5,000 three-digit questions, early stopping),
# ``deepzoo demo addition`` reached 99.6% of the training digits and 96.6% of
# the digits of 1,000 unseen questions (91.1% of those answers entirely right);
# the lecture reports 94% with early stopping (``benchmarks/README.md``). Trained
# on only 1,000 questions for 300 epochs without early stopping, the same network
# answers 93.7% of its training digits and 33.8% of the unseen ones: it has
# learned the questions, not addition.
print("decoded:", decode(test.y))
