"""Can a neural network solve 2+2? An LSTM encoder-decoder learns to add.

The question, e.g. "012+345", is read one character at a time (one-hot over
"0123456789+") by LSTM(100); its final state is repeated once per answer digit
(RepeatVector), decoded by LSTM(50) and turned into one digit per step by a
softmax layer shared across the steps: 44,800 + 0 + 30,200 + 561 = 75,561
parameters. With 5,000 training questions it learns its training set almost
perfectly but answers unseen questions much worse (overfitting); early
stopping on a validation set keeps the weights of the epoch that generalised
best.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click
import numpy as np

from ..callbacks import EarlyStopping, TerminateOnNaN
from ..datasets.addition import addition, decode
from ..layers import LSTM, Dense, RepeatVector, TimeDistributed
from ..model import Sequential
from ..optimizers import Adam
from .common import PLOT_FILE, POSITIVE_INT, SEED, device_option, finish, save_option


def build_adder(digits=3, same_digits=True, seed=0, device=None, encoder=100, decoder=50):
    """The encoder-decoder (LSTM - RepeatVector - LSTM - TimeDistributed(Dense)), compiled."""
    answer = digits if same_digits else digits + 1
    model = Sequential([
        LSTM(encoder), RepeatVector(answer), LSTM(decoder, return_sequences=True),
        TimeDistributed(Dense(11, activation="softmax")),
    ], input_shape=(2 * digits + 1, 11), seed=seed, device=device)
    model.compile(optimizer=Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@dataclass
class AdditionRun:
    model: Sequential
    history: object
    train_digit_accuracy: float
    test_digit_accuracy: float
    test_answer_accuracy: float
    questions: list
    answers: list
    predictions: list
    best_epoch: int | None  # the epoch early stopping kept (0-based), or None


def scores(model, data):
    """Per-digit accuracy, whole-answer accuracy and the decoded answers on ``data``."""
    predicted = decode(model.predict(data.x, batch_size=512))
    truth = np.array([list(a) for a in data.answers])
    guess = np.array([list(p) for p in predicted])
    return float(np.mean(truth == guess)), float(np.mean((truth == guess).all(axis=1))), predicted


def train_adder(samples=5000, test_samples=1000, digits=3, same_digits=True, reverse=False,
                epochs=400, batch_size=32, early_stopping=True, patience=21, seed=0, device=None,
                verbose=0, encoder=100, decoder=50):
    """Train on ``samples`` questions (10% of them validate each epoch), score on unseen ones."""
    train, test = addition(samples, test_samples, digits, same_digits, reverse, seed)
    model = build_adder(digits, same_digits, seed, device, encoder, decoder)
    callbacks = [TerminateOnNaN()]
    stopper = EarlyStopping("val_loss", patience=patience, restore_best_weights=True)
    if early_stopping:
        callbacks.append(stopper)
    history = model.fit(train.x, train.y, batch_size=batch_size, epochs=epochs, validation_split=0.1,
                        verbose=verbose, callbacks=callbacks, progress_file=sys.stderr)
    train_digits, _, _ = scores(model, train)
    test_digits, test_answers, predicted = scores(model, test)
    return AdditionRun(model, history, train_digits, test_digits, test_answers, test.questions,
                       test.answers, predicted, stopper.best_epoch if early_stopping else None)


@click.command(help=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1]
               + "\n\nLecture: 'Can neural networks solve 2+2?' (the case study).")
@click.option("--digits", type=POSITIVE_INT, default=3, show_default=True, help="Digits per operand.")
@click.option("--samples", type=POSITIVE_INT, default=5000, show_default=True, help="Training questions.")
@click.option("--test-samples", type=POSITIVE_INT, default=1000, show_default=True,
              help="Unseen questions to score.")
@click.option("--epochs", type=POSITIVE_INT, default=400, show_default=True,
              help="Most passes over the questions.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the questions and the weights.")
@click.option("--reverse", is_flag=True, help="Feed each question reversed (the Keras example's trick).")
@click.option("--no-early-stopping", is_flag=True,
              help="Train all epochs; with --samples 1000 the network learns its training "
                   "questions by heart and fails on new ones.")
@device_option
@click.option("--plot", "plot_path", type=PLOT_FILE, metavar="FILE", default=None,
              help="Save the training and validation curves (PNG).")
@click.option("--quiet", is_flag=True, help="No progress display.")
@save_option
def command(digits, samples, test_samples, epochs, seed, reverse, no_early_stopping, device, plot_path,
            quiet, save_path):
    run = train_adder(samples, test_samples, digits, True, reverse, epochs,
                      early_stopping=not no_early_stopping, seed=seed, device=device,
                      verbose=0 if quiet else 2)
    finish(run.model, save_path)
    for question, answer, guess in list(zip(run.questions, run.answers, run.predictions))[:10]:
        shown = question[::-1] if reverse else question
        click.echo(f"  {shown} = {guess}  {'✓' if guess == answer else '✗ (' + answer + ')'}")
    epochs_run = len(run.history.history["loss"])
    note = f" (early stopping kept the weights of epoch {run.best_epoch + 1})" \
        if run.best_epoch is not None else ""
    click.echo(f"trained {epochs_run} epochs{note}")
    click.echo(f"per-digit accuracy: training {run.train_digit_accuracy:.1%}, unseen questions "
               f"{run.test_digit_accuracy:.1%}; whole answers right on unseen questions: "
               f"{run.test_answer_accuracy:.1%}")
    if plot_path:
        from ..plotting import plot_history

        click.echo(f"plot written to {plot_history(run.history, plot_path, title='LSTM adder')}")


command.lecture = "the LSTM encoder-decoder that adds ('Can neural networks solve 2+2?')"
