"""Full runs of the LSTM adder (`deepzoo demo addition`).

    python benchmarks/addition_accuracy.py lecture     # 5,000 questions, early stopping
    python benchmarks/addition_accuracy.py overfit     # 5,000 questions, no early stopping
    python benchmarks/addition_accuracy.py small       # 1,000 questions, no early stopping
    python benchmarks/addition_accuracy.py keras       # 50,000 reversed questions (Keras example)

Each prints one Markdown row: per-digit accuracy on the training questions and
on 1,000 (or, for keras, 5,000) unseen ones, whole answers right, epochs, time.
"""

from __future__ import annotations

import sys
import time

from deepzoo.demos.addition import train_adder

SETTINGS = {
    "lecture": dict(samples=5000, test_samples=1000, epochs=400, early_stopping=True),
    "overfit": dict(samples=5000, test_samples=1000, epochs=300, early_stopping=False),
    "small": dict(samples=1000, test_samples=1000, epochs=300, early_stopping=False),
    "keras": dict(samples=45000, test_samples=5000, reverse=True, same_digits=False, epochs=40,
                  batch_size=32, encoder=128, decoder=128, early_stopping=True, patience=6),
}


def main(names):
    print("| setting | epochs | train per-digit | unseen per-digit | unseen whole answers | time |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in names or SETTINGS:
        start = time.perf_counter()
        run = train_adder(seed=0, **SETTINGS[name])
        epochs = len(run.history.history["loss"])
        kept = f" (kept {run.best_epoch + 1})" if run.best_epoch is not None else ""
        print(f"| {name} | {epochs}{kept} | {run.train_digit_accuracy:.1%} | {run.test_digit_accuracy:.1%} | "
              f"{run.test_answer_accuracy:.1%} | {(time.perf_counter() - start) / 60:.1f} min |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
