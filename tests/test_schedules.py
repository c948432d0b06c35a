"""Learning-rate schedules: Keras's formulas, PyTorch's schedulers where they coincide, and in use."""

import math

import numpy as np
import pytest

import deepzoo as dz
from deepzoo import schedules


def test_the_formulas_step_by_step():
    exponential = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert [exponential(s) for s in (0, 5, 10, 20)] == pytest.approx([0.1, 0.1 / math.sqrt(2), 0.05, 0.025])
    staircase = schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert [staircase(s) for s in (0, 9, 10, 19, 20)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    piecewise = schedules.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1])
    assert [piecewise(s) for s in range(9)] == [1.0] * 4 + [0.5] * 3 + [0.1] * 2  # Keras: step <= boundary
    cosine = schedules.CosineDecay(0.2, decay_steps=4, alpha=0.1)
    assert [cosine(s) for s in (0, 2, 4, 9)] == pytest.approx([0.2, 0.2 * (0.9 * 0.5 + 0.1), 0.02, 0.02])


def test_exponential_and_cosine_decay_match_torch_schedulers():
    torch = pytest.importorskip("torch")
    for ours, make in (
        (schedules.ExponentialDecay(0.1, 5, 0.3),
         lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, 0.3 ** 0.2)),
        (schedules.CosineDecay(0.1, 12, alpha=0.05),
         lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12, eta_min=0.005)),
    ):
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        scheduler = make(optimizer)
        for step in range(12):
            assert ours(step) == pytest.approx(optimizer.param_groups[0]["lr"], rel=1e-9), (ours, step)
            optimizer.step()
            scheduler.step()


def test_an_optimizer_follows_its_schedule_and_saves_it(tmp_path):
    schedule = schedules.PiecewiseConstantDecay([2], [0.5, 0.0625])
    optimizer = dz.SGD(learning_rate=schedule)
    model = dz.Sequential([dz.Dense(1, use_bias=False, kernel_initializer="ones")], input_shape=(1,),
                          dtype="float64")
    model.compile(optimizer=optimizer, loss="sum_squared_error")
    seen = []
    for _ in range(4):
        seen.append(optimizer.learning_rate)
        model.fit(np.ones((1, 1)), np.zeros((1, 1)), epochs=1, verbose=0)  # dE/dw = w
    assert seen == [0.5, 0.5, 0.5, 0.0625]  # steps 0, 1, 2 use the first value
    assert model.get_weights()[0][0, 0] == pytest.approx(0.5 ** 3 * (1 - 0.0625))
    model.save(tmp_path / "m.dzm")
    loaded = dz.load_model(tmp_path / "m.dzm")
    assert loaded.optimizer.schedule.get_config() == schedule.get_config()
    assert loaded.optimizer.iterations == 4 and loaded.optimizer.learning_rate == 0.0625
    with pytest.raises(dz.ConfigError, match="its learning rate follows PiecewiseConstantDecay"):
        optimizer.learning_rate = 0.1


def test_keras_spelling_and_bad_arguments():
    from deepzoo import keras

    lr = keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=10000, decay_rate=0.9)
    assert keras.optimizers.Adam(learning_rate=lr).learning_rate == pytest.approx(1e-2)
    with pytest.raises(dz.ConfigError, match="values must have one more entry than boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1])
    with pytest.raises(dz.ConfigError, match="decay_steps must be a positive integer, received 0"):
        schedules.CosineDecay(0.1, 0)
