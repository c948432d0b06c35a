"""The model's trainable parameters live in one array, and the optimizer steps it in one call."""

import numpy as np
import pytest

import deepzoo as dz
from deepzoo import registry


def _model(optimizer, device="numpy", seed=0):
    model = dz.Sequential([dz.Dense(5, activation="tanh"), dz.Dense(2, activation="softmax")],
                          input_shape=(4,), seed=seed, device=device)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _data(n=24):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, np.eye(2, dtype="float32")[(x[:, 0] > 0).astype(int)]


def test_parameters_are_views_of_one_buffer_and_the_optimizer_state_too():
    model = _model(dz.Adam(0.01))
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    flat = model._flat
    assert flat is not None and len(flat.keys) == 4
    for layer in model.layers:
        for key in layer.params:
            assert np.shares_memory(layer.params[key], flat.param)
            assert np.shares_memory(layer.grads[key], flat.grad)
    for key in flat.keys:
        assert np.shares_memory(model.optimizer.state[key]["m"], model.optimizer._flat[1]["m"])
        assert model.optimizer.state[key]["step"] == 6
    # each part starts on a 64-byte boundary; the padding between parts stays zero
    assert all(offset % 16 == 0 for offset, _, _ in flat.parts)
    used = np.zeros(flat.param.shape, bool)
    for offset, size, _ in flat.parts:
        used[offset:offset + size] = True
    assert not used.all() and not flat.param[~used].any() and not flat.grad.any()


OPTIMIZERS = sorted(name for name in registry.optimizers.names() if registry.optimizers.get(name).elementwise)


@pytest.mark.parametrize("device", ["numpy", "numba"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_one_flat_step_moves_every_parameter_as_per_parameter_steps_do(name, device):
    x, y = _data()
    make = registry.optimizers.get(name)
    flat, single = _model(make(), device), _model(make(), device)
    single.optimizer.elementwise = False  # one parameter at a time, as a plugin's optimizer is stepped
    for model in (flat, single):
        model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert flat._flat is not None and single.optimizer._flat is None
    for a, b in zip(flat.get_weights(), single.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_replacing_a_layers_arrays_makes_the_buffer_again():
    model = _model(dz.SGD(0.1, momentum=0.9))
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    first = model._flat
    model.layers[0].ops = dz.backend.get_ops("numba")  # moves its arrays: new ones, not views
    model.layers[1].ops = dz.backend.get_ops("numba")
    model.ops = model.layers[0].ops
    assert not first.intact()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model._flat is not first and model._flat.intact()
    assert np.shares_memory(model.layers[0].params["kernel"], model._flat.param)


def test_a_layer_unfrozen_later_keeps_its_own_step_count():
    x, y = _data()
    model = _model(dz.Adam(0.01))
    model.layers[0].trainable = False
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.layers[0].trainable = True
    before = model.layers[1].get_weights()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # steps now disagree: one parameter at a time
    state, first, second = model.optimizer.state, model.layers[0].name, model.layers[1].name
    assert state[f"{first}/kernel"]["step"] == 3 and state[f"{second}/kernel"]["step"] == 6
    assert not np.allclose(before["kernel"], model.layers[1].get_weights()["kernel"])


def test_a_resumed_model_steps_its_loaded_state_in_one_call(tmp_path):
    x, y = _data()
    model = _model(dz.Adam(0.01))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.save(tmp_path / "m.dzm")
    loaded = dz.load_model(tmp_path / "m.dzm")
    for m in (model, loaded):
        m.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert loaded.optimizer._flat is not None
    for a, b in zip(model.get_weights(), loaded.get_weights()):  # BLAS may round by the buffers' alignment
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
