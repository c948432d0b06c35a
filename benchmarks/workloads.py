"""The benchmark workloads, written twice: once with deepzoo, once with PyTorch.

Each ``deepzoo_*`` / ``torch_*`` pair builds the same architecture on the same
synthetic data (float32, the real shapes) and returns the seconds the timed part
took. The data are random: speed does not depend on what the digits look like.

``run.py`` calls this file once per measurement, in a fresh process, so that one
library's idle threads never compete with the other's for the cores::

    python benchmarks/workloads.py deepzoo xor 5000 2   # library, workload, size, threads
"""

from __future__ import annotations

import time

import numpy as np

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def mnist_like(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=np.float32)
    labels = rng.integers(0, 10, n)
    return x, np.eye(10, dtype=np.float32)[labels], labels


# ----------------------------------------------------------------- deepzoo
def deepzoo_xor(steps):
    import deepzoo as dz

    model = dz.Sequential([dz.Dense(4, activation="tanh"), dz.Dense(1, activation="sigmoid")],
                          input_shape=(2,), seed=0)
    model.compile(optimizer=dz.SGD(0.5), loss="binary_crossentropy")
    model.fit(XOR_X, XOR_Y, batch_size=4, epochs=5, verbose=0, shuffle=False)  # compile kernels
    start = time.perf_counter()
    model.fit(XOR_X, XOR_Y, batch_size=4, epochs=steps, verbose=0, shuffle=False)
    return time.perf_counter() - start


def deepzoo_mnist_mlp(n):
    import deepzoo as dz

    x, y, _ = mnist_like(n)
    model = dz.Sequential([
        dz.Dense(512, activation="relu"), dz.Dropout(0.2),
        dz.Dense(512, activation="relu"), dz.Dropout(0.2),
        dz.Dense(10, activation="softmax"),
    ], input_shape=(784,), seed=0)
    model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:256], y[:256], batch_size=64, epochs=1, verbose=0)  # compile kernels
    start = time.perf_counter()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    return time.perf_counter() - start


def deepzoo_mlp_batchnorm(n):
    """The lecture's MLP with BatchNormalization after each hidden Dense (before its ReLU)."""
    import deepzoo as dz

    x, y, _ = mnist_like(n)
    layers = []
    for _ in range(2):
        layers += [dz.Dense(512), dz.BatchNormalization(), dz.Activation("relu"), dz.Dropout(0.2)]
    model = dz.Sequential(layers + [dz.Dense(10, activation="softmax")], input_shape=(784,), seed=0)
    model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:256], y[:256], batch_size=64, epochs=1, verbose=0)  # compile kernels
    start = time.perf_counter()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    return time.perf_counter() - start


def text_like(n, vocabulary=5000, steps=200, seed=0):
    """Token ids (n, steps) and 0/1 labels, for the text-style workloads."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, vocabulary, (n, steps)), rng.integers(0, 2, n).astype(np.float32)


def deepzoo_text_conv(n):
    """Embedding(5000, 64) - Conv1D(64, 5, relu) - GlobalMaxPooling1D - Dense(1, sigmoid), Adam, batch 32."""
    import deepzoo as dz

    x, y = text_like(n)
    model = dz.Sequential([dz.Embedding(5000, 64), dz.Conv1D(64, 5, activation="relu"), dz.GlobalMaxPooling1D(),
                           dz.Dense(1, activation="sigmoid")], input_shape=(200,), seed=0)
    model.compile(optimizer=dz.Adam(0.001), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:128], y[:128], batch_size=32, epochs=1, verbose=0)  # compile kernels
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    return time.perf_counter() - start


def deepzoo_online_sigmoid(n):
    import deepzoo as dz

    x, y, _ = mnist_like(n)
    y = y * 0.98 + 0.01
    model = dz.Sequential([
        dz.Dense(100, activation="sigmoid", kernel_initializer="normal_fan_in"),
        dz.Dense(10, activation="sigmoid", kernel_initializer="normal_fan_in"),
    ], input_shape=(784,), seed=0)
    model.compile(optimizer=dz.SGD(0.1), loss="mean_squared_error")
    model.fit(x[:16], y[:16], batch_size=1, epochs=1, verbose=0)  # compile kernels
    start = time.perf_counter()
    model.fit(x, y, batch_size=1, epochs=1, verbose=0)
    return time.perf_counter() - start


def _mnist_cnn_model():
    import deepzoo as dz

    return dz.Sequential([
        dz.Conv2D(32, 3, activation="relu"), dz.Conv2D(64, 3, activation="relu"),
        dz.MaxPool2D(2), dz.Dropout(0.25), dz.Flatten(),
        dz.Dense(128, activation="relu"), dz.Dropout(0.5), dz.Dense(10, activation="softmax"),
    ], input_shape=(28, 28, 1), seed=0)


def _lenet_model():
    import deepzoo as dz

    return dz.Sequential([
        dz.Conv2D(6, 5, padding=2, activation="relu"), dz.MaxPool2D(2),
        dz.Conv2D(16, 5, activation="relu"), dz.MaxPool2D(2), dz.Flatten(),
        dz.Dense(120, activation="relu"), dz.Dense(84, activation="relu"),
        dz.Dense(10, activation="softmax"),
    ], input_shape=(28, 28, 1), seed=0)


def _deepzoo_images(model, optimizer, n, batch_size):
    x, y, _ = mnist_like(n)
    x = x.reshape(-1, 28, 28, 1)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:2 * batch_size], y[:2 * batch_size], batch_size=batch_size, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return time.perf_counter() - start


def deepzoo_mnist_cnn(n):
    import deepzoo as dz

    return _deepzoo_images(_mnist_cnn_model(), dz.Adadelta(1.0, rho=0.95), n, 128)


def deepzoo_lenet(n):
    import deepzoo as dz

    return _deepzoo_images(_lenet_model(), dz.Adam(0.001), n, 64)


def _deepzoo_inference(model, n):
    x = mnist_like(n)[0].reshape(-1, 28, 28, 1)
    model.predict(x[:256], batch_size=256)
    start = time.perf_counter()
    model.predict(x, batch_size=256)
    return time.perf_counter() - start


def deepzoo_cnn_inference(n):
    return _deepzoo_inference(_mnist_cnn_model(), n)


def deepzoo_lenet_inference(n):
    return _deepzoo_inference(_lenet_model(), n)


def adder_data(n, digits=3):
    rng = np.random.default_rng(0)
    x = np.eye(11, dtype=np.float32)[rng.integers(0, 11, (n, 2 * digits + 1))]
    labels = rng.integers(0, 10, (n, digits + 1))
    return x, labels


def deepzoo_adder_model(n, encoder, decoder, answer, cell="LSTM"):
    """The adder (``cell`` encoder, repeated summary, decoder, a Dense per step) and ``n``
    questions with their one-hot answers."""
    import deepzoo as dz

    x, labels = adder_data(n)
    y = np.eye(11, dtype=np.float32)[labels[:, :answer]]
    recurrent = getattr(dz, cell)
    model = dz.Sequential([recurrent(encoder), dz.RepeatVector(answer),
                           recurrent(decoder, return_sequences=True),
                           dz.TimeDistributed(dz.Dense(11, activation="softmax"))],
                          input_shape=(7, 11), seed=0)
    return model, x, y


def _deepzoo_adder(n, encoder, decoder, answer, cell="LSTM"):
    import deepzoo as dz

    model, x, y = deepzoo_adder_model(n, encoder, decoder, answer, cell)
    model.compile(optimizer=dz.Adam(0.001), loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    return time.perf_counter() - start


def deepzoo_adder_inference(n):
    """Predictions of the lecture's adder for ``n`` questions, batches of 32."""
    import deepzoo as dz

    x, _ = adder_data(n)
    model = dz.Sequential([dz.LSTM(100), dz.RepeatVector(3), dz.LSTM(50, return_sequences=True),
                           dz.TimeDistributed(dz.Dense(11, activation="softmax"))],
                          input_shape=(7, 11), seed=0)
    model.predict(x[:64], batch_size=32)
    start = time.perf_counter()
    model.predict(x, batch_size=32)
    return time.perf_counter() - start


def deepzoo_adder_lecture(n):
    """The lecture's LSTM(100) - RepeatVector(3) - LSTM(50) - TimeDistributed(Dense(11))."""
    return _deepzoo_adder(n, 100, 50, 3)


def deepzoo_adder_gru(n):
    """The lecture's adder with GRU(100) and GRU(50) in place of the LSTMs."""
    return _deepzoo_adder(n, 100, 50, 3, cell="GRU")


def deepzoo_adder_keras(n):
    """The Keras example's LSTM(128) - RepeatVector(4) - LSTM(128) - TimeDistributed(Dense)."""
    return _deepzoo_adder(n, 128, 128, 4)


# ----------------------------------------------------------------- PyTorch
def torch_loop(model, loss_fn, opt, x, y, batch_size, shuffle=True, seed=0):
    import torch

    n = len(x)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)) if shuffle else None
    xs, ys = (x[order], y[order]) if shuffle else (x, y)
    model.train()
    for start in range(0, n, batch_size):
        xb, yb = xs[start:start + batch_size], ys[start:start + batch_size]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        loss.item()  # deepzoo reports every batch loss to the host too


def torch_xor(steps):
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x, y = torch.from_numpy(XOR_X), torch.from_numpy(XOR_Y)
    loss_fn = nn.BCELoss()
    for _ in range(5):
        torch_loop(model, loss_fn, opt, x, y, 4, shuffle=False)
    start = time.perf_counter()
    for _ in range(steps):
        torch_loop(model, loss_fn, opt, x, y, 4, shuffle=False)
    return time.perf_counter() - start


def torch_mnist_mlp(n):
    import torch
    from torch import nn

    torch.manual_seed(0)
    x, _, labels = mnist_like(n)
    model = torch_mlp_model()
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax + cross-entropy, fused, as in deepzoo
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)
    torch_loop(model, loss_fn, opt, xt[:256], yt[:256], 64)
    start = time.perf_counter()
    torch_loop(model, loss_fn, opt, xt, yt, 64)
    return time.perf_counter() - start


def torch_mlp_batchnorm(n):
    import torch
    from torch import nn

    torch.manual_seed(0)
    x, _, labels = mnist_like(n)
    # Keras's BatchNormalization: epsilon 1e-3, moving averages at 0.99 (PyTorch's momentum 0.01)
    model = nn.Sequential(nn.Linear(784, 512), nn.BatchNorm1d(512, eps=1e-3, momentum=0.01), nn.ReLU(),
                          nn.Dropout(0.2), nn.Linear(512, 512), nn.BatchNorm1d(512, eps=1e-3, momentum=0.01),
                          nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)
    torch_loop(model, loss_fn, opt, xt[:256], yt[:256], 64)
    start = time.perf_counter()
    torch_loop(model, loss_fn, opt, xt, yt, 64)
    return time.perf_counter() - start


def torch_text_conv(n):
    import torch
    from torch import nn

    torch.manual_seed(0)
    x, y = text_like(n)

    class TextConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.conv, self.out = nn.Embedding(5000, 64), nn.Conv1d(64, 64, 5), nn.Linear(64, 1)

        def forward(self, ids):
            h = torch.relu(self.conv(self.embed(ids).transpose(1, 2)))
            return self.out(h.amax(dim=2))

    model = TextConv()
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    loss_fn = nn.BCEWithLogitsLoss()  # sigmoid + cross-entropy, fused, as in deepzoo
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).reshape(-1, 1)
    torch_loop(model, loss_fn, opt, xt[:128], yt[:128], 32)
    start = time.perf_counter()
    torch_loop(model, loss_fn, opt, xt, yt, 32)
    return time.perf_counter() - start


def torch_mlp_model():
    """The lecture's MLP; its softmax is inside the loss."""
    from torch import nn

    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512),
                         nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))


def torch_online_sigmoid(n):
    import torch
    from torch import nn

    torch.manual_seed(0)
    x, y, _ = mnist_like(n)
    y = y * 0.98 + 0.01
    model = nn.Sequential(nn.Linear(784, 100), nn.Sigmoid(), nn.Linear(100, 10), nn.Sigmoid())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    torch_loop(model, nn.MSELoss(), opt, xt[:16], yt[:16], 1)
    start = time.perf_counter()
    torch_loop(model, nn.MSELoss(), opt, xt, yt, 1)
    return time.perf_counter() - start


def torch_cnn_model():
    """The Keras MNIST ConvNet; its softmax is inside the loss."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10))


def _torch_lenet():
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
        nn.ReLU(), nn.Linear(84, 10))


def _torch_images(model, make_optimizer, n, batch_size):
    import torch
    from torch import nn

    torch.manual_seed(0)
    x, _, labels = mnist_like(n)
    xt = torch.from_numpy(x.reshape(-1, 1, 28, 28))  # PyTorch's own layout: channels first
    yt = torch.from_numpy(labels)
    opt = make_optimizer(model.parameters())
    torch_loop(model, nn.CrossEntropyLoss(), opt, xt[:2 * batch_size], yt[:2 * batch_size], batch_size)
    start = time.perf_counter()
    torch_loop(model, nn.CrossEntropyLoss(), opt, xt, yt, batch_size)
    return time.perf_counter() - start


def torch_mnist_cnn(n):
    import torch

    torch.manual_seed(0)
    return _torch_images(torch_cnn_model(), lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95), n, 128)


def torch_lenet(n):
    import torch

    torch.manual_seed(0)
    return _torch_images(_torch_lenet(), lambda p: torch.optim.Adam(p, lr=0.001), n, 64)


def _torch_inference(model, n):
    import torch

    x = torch.from_numpy(mnist_like(n)[0].reshape(-1, 1, 28, 28))
    model.eval()
    with torch.no_grad():
        model(x[:256])
        start = time.perf_counter()
        for i in range(0, n, 256):
            torch.softmax(model(x[i:i + 256]), dim=1).numpy()
    return time.perf_counter() - start


def torch_cnn_inference(n):
    import torch

    torch.manual_seed(0)
    return _torch_inference(torch_cnn_model(), n)


def torch_lenet_inference(n):
    import torch

    torch.manual_seed(0)
    return _torch_inference(_torch_lenet(), n)


def torch_adder_model(encoder, decoder, answer, cell="LSTM"):
    """LSTM (or GRU) encoder, repeated summary, decoder, a Dense per step (softmax in the loss)."""
    from torch import nn

    class Adder(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = getattr(nn, cell)(11, encoder, batch_first=True)
            self.decoder = getattr(nn, cell)(encoder, decoder, batch_first=True)
            self.out = nn.Linear(decoder, 11)

        def forward(self, x):
            _, state = self.encoder(x)
            h = state[0] if isinstance(state, tuple) else state
            repeated = h[-1].unsqueeze(1).expand(-1, answer, -1)
            y, _ = self.decoder(repeated)
            return self.out(y).reshape(-1, 11)

    return Adder()


def _torch_adder(n, encoder, decoder, answer, cell="LSTM"):
    import torch
    from torch import nn

    torch.manual_seed(0)
    x, labels = adder_data(n)
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels[:, :answer].reshape(-1, answer))
    model = torch_adder_model(encoder, decoder, answer, cell)
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def loss(out, y):
        return loss_fn(out, y.reshape(-1))

    torch_loop(model, loss, opt, xt[:64], yt[:64], 32)
    start = time.perf_counter()
    torch_loop(model, loss, opt, xt, yt, 32)
    return time.perf_counter() - start


def torch_adder_inference(n):
    import torch
    from torch import nn

    torch.manual_seed(0)
    encoder, decoder, out = nn.LSTM(11, 100, batch_first=True), nn.LSTM(100, 50, batch_first=True), \
        nn.Linear(50, 11)
    x = torch.from_numpy(adder_data(n)[0])

    def predict(batch):
        _, (h, _) = encoder(batch)
        y, _ = decoder(h[-1].unsqueeze(1).expand(-1, 3, -1))
        return torch.softmax(out(y), dim=-1).numpy()

    with torch.no_grad():
        predict(x[:64])
        start = time.perf_counter()
        for i in range(0, n, 32):
            predict(x[i:i + 32])
    return time.perf_counter() - start


def torch_adder_lecture(n):
    return _torch_adder(n, 100, 50, 3)


def torch_adder_gru(n):
    return _torch_adder(n, 100, 50, 3, cell="GRU")


def torch_adder_keras(n):
    return _torch_adder(n, 128, 128, 4)


# --------------------------------------------------------------------- JAX
# A jit-compiled training step (forward, gradients, update), called once per batch
# with the loss read back to the host every step, as the other two libraries do.
def _jax_train(params, loss, update, batches, warm_up):
    import jax

    @jax.jit
    def step(params, state, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        params, state = update(params, grads, state)
        return params, state, value

    state = None
    state = update.init(params)
    for x, y in batches[:warm_up]:
        params, state, value = step(params, state, x, y)
        float(value)
    start = time.perf_counter()
    for x, y in batches:
        params, state, value = step(params, state, x, y)
        float(value)  # the loss of every step on the host
    return time.perf_counter() - start


def _jax_sgd(lr):
    import jax

    def update(params, grads, state):
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), state

    update.init = lambda params: ()
    return update


def _jax_adam(lr, b1=0.9, b2=0.999, eps=1e-7):
    import jax
    import jax.numpy as jnp

    def update(params, grads, state):
        m, v, t = state
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
        scale = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
        params = jax.tree_util.tree_map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + eps), params, m, v)
        return params, (m, v, t)

    update.init = lambda params: (jax.tree_util.tree_map(jnp.zeros_like, params),
                                  jax.tree_util.tree_map(jnp.zeros_like, params), 0)
    return update


def _jax_dense(key, n_in, n_out):
    import jax

    weights = jax.random.normal(key, (n_in, n_out)) * (2 / (n_in + n_out)) ** 0.5
    return {"w": weights, "b": jax.numpy.zeros(n_out)}


def jax_xor(steps):
    import jax
    import jax.numpy as jnp

    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    params = [_jax_dense(k1, 2, 4), _jax_dense(k2, 4, 1)]

    def loss(params, x, y):
        p = jax.nn.sigmoid(jnp.tanh(x @ params[0]["w"] + params[0]["b"]) @ params[1]["w"] + params[1]["b"])
        p = jnp.clip(p, 1e-7, 1 - 1e-7)
        return -jnp.mean(y * jnp.log(p) + (1 - y) * jnp.log(1 - p))

    x, y = jnp.asarray(XOR_X), jnp.asarray(XOR_Y)
    return _jax_train(params, loss, _jax_sgd(0.5), [(x, y)] * steps, warm_up=5)


def jax_online_sigmoid(n):
    import jax
    import jax.numpy as jnp

    x, y, _ = mnist_like(n)
    y = y * 0.98 + 0.01
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    params = [_jax_dense(k1, 784, 100), _jax_dense(k2, 100, 10)]

    def loss(params, x, y):
        h = jax.nn.sigmoid(x @ params[0]["w"] + params[0]["b"])
        return jnp.mean((jax.nn.sigmoid(h @ params[1]["w"] + params[1]["b"]) - y) ** 2)

    batches = [(jnp.asarray(x[i:i + 1]), jnp.asarray(y[i:i + 1])) for i in range(n)]
    return _jax_train(params, loss, _jax_sgd(0.1), batches, warm_up=16)


def jax_mnist_mlp(n):
    """The lecture's MLP with dropout 0.2, Adam, batch 64."""
    import jax
    import jax.numpy as jnp

    x, y, _ = mnist_like(n)
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    params = [_jax_dense(keys[0], 784, 512), _jax_dense(keys[1], 512, 512), _jax_dense(keys[2], 512, 10)]

    def loss(params, x, y):
        key = jax.random.PRNGKey(x.shape[0])  # a fixed mask stream: the cost of dropout, not its randomness
        h = x
        for layer, k in zip(params[:2], jax.random.split(key, 2)):
            h = jax.nn.relu(h @ layer["w"] + layer["b"])
            h = jnp.where(jax.random.bernoulli(k, 0.8, h.shape), h / 0.8, 0)
        logits = h @ params[2]["w"] + params[2]["b"]
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(logits), axis=1))

    order = np.random.default_rng(0).permutation(n)
    batches = [(jnp.asarray(x[order[i:i + 64]]), jnp.asarray(y[order[i:i + 64]])) for i in range(0, n - 63, 64)]
    return _jax_train(params, loss, _jax_adam(0.001), batches, warm_up=4)


def main(argv):
    library, workload, size, threads = argv[1], argv[2], int(argv[3]), int(argv[4])
    if library == "torch":
        import torch

        torch.set_flush_denormal(True)  # before the thread pool starts
        torch.set_num_threads(threads)
    if library == "jax":
        import jax

        jax.config.update("jax_platforms", "cpu")
    print(globals()[f"{library}_{workload}"](size))


if __name__ == "__main__":
    import sys

    main(sys.argv)
