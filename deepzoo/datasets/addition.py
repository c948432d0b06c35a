"""Addition questions for a sequence-to-sequence network: "012+345" -> "357".

Each character is one step of a sequence, one-hot over the vocabulary
``"0123456789+"`` (11 symbols). Operands are zero-padded to ``digits`` places;
answers too, to ``digits`` places when ``same_digits`` (as in the lecture, which
keeps only sums below 10**digits) or to ``digits + 1`` otherwise. ``reverse``
reverses each question, the trick of the Keras addition example: the first
digits the decoder must produce then sit close to the last ones the encoder read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

VOCABULARY = "0123456789+"
_INDEX = {ch: i for i, ch in enumerate(VOCABULARY)}


@dataclass
class AdditionSet:
    questions: list      # strings as read by the network (reversed if asked)
    answers: list        # strings
    x: np.ndarray        # (N, question length, 11) one-hot
    y: np.ndarray        # (N, answer length, 11) one-hot


def encode(strings, length=None) -> np.ndarray:
    """Strings of vocabulary symbols -> one-hot array (N, length, 11)."""
    length = length or max(len(s) for s in strings)
    out = np.zeros((len(strings), length, len(VOCABULARY)), dtype=np.float32)
    for row, text in enumerate(strings):
        if len(text) != length or any(ch not in _INDEX for ch in text):
            raise ConfigError(f"cannot encode {text!r}: expected {length} symbols of {VOCABULARY!r}")
        out[row, np.arange(length), [_INDEX[ch] for ch in text]] = 1
    return out


def decode(array) -> list:
    """One-hot or probability rows (N, length, 11) -> strings (the most likely symbol per step)."""
    indices = np.asarray(array).argmax(axis=-1)
    return ["".join(VOCABULARY[i] for i in row) for row in indices]


def addition(samples=5000, test_samples=1000, digits=3, same_digits=True, reverse=False, seed=0):
    """Train and test sets of distinct questions; no question is in both.

    Returns ``(train, test)``, two :class:`AdditionSet`.
    """
    if not isinstance(digits, int) or not 1 <= digits <= 6:
        raise ConfigError(f"addition: digits must be an integer from 1 to 6, received {digits!r}")
    limit = 10 ** digits
    total = samples + test_samples
    possible = limit * (limit + 1) // 2 if same_digits else limit * limit
    if total > possible:
        raise ConfigError(f"addition: {total:,} distinct questions asked for, but {digits}-digit "
                          f"operands give only {possible:,}")
    rng = np.random.default_rng(seed)
    seen, pairs = set(), []
    while len(pairs) < total:
        a, b = (int(v) for v in rng.integers(0, limit, 2))
        if (same_digits and a + b >= limit) or (a, b) in seen:
            continue
        seen.add((a, b))
        pairs.append((a, b))
    width = digits if same_digits else digits + 1

    def build(chunk):
        questions = [f"{a:0{digits}d}+{b:0{digits}d}" for a, b in chunk]
        if reverse:
            questions = [q[::-1] for q in questions]
        answers = [f"{a + b:0{width}d}" for a, b in chunk]
        return AdditionSet(questions, answers, encode(questions, 2 * digits + 1), encode(answers, width))

    return build(pairs[:samples]), build(pairs[samples:])
