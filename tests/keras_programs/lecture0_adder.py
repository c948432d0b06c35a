# Adding two three-digit numbers with an LSTM encoder-decoder, read and answered
# one character at a time.
import numpy as np
from keras.layers import LSTM, Dense, RepeatVector, TimeDistributed
from keras.models import Sequential

digits, questions = 3, 5000
rng = np.random.default_rng(0)
a = rng.integers(0, 10 ** digits, questions)
b = rng.integers(0, 10 ** digits, questions)
query = [f"{x:0{digits}d}+{y:0{digits}d}" for x, y in zip(a, b)]
answer = [f"{x + y:<{digits + 1}d}" for x, y in zip(a, b)]


def encode(texts, alphabet):
    out = np.zeros((len(texts), len(texts[0]), len(alphabet)), dtype="float32")
    for i, text in enumerate(texts):
        for j, char in enumerate(text):
            out[i, j, alphabet.index(char)] = 1
    return out


x = encode(query, "0123456789+")
y = encode([text[:digits] for text in answer], "0123456789 ")

model = Sequential()
model.add(LSTM(100, input_shape=(2 * digits + 1, 11)))
model.add(RepeatVector(digits))
model.add(LSTM(50, return_sequences=True))
model.add(TimeDistributed(Dense(11, activation="softmax")))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()
history = model.fit(x, y, epochs=100, batch_size=32, validation_split=0.1, verbose=2)
