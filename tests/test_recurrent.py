"""SimpleRNN, LSTM, RepeatVector and TimeDistributed: PyTorch references, backends, errors."""

import numpy as np
import pytest
from fixtures.grids import RECURRENT_SHAPES

import deepzoo as dz
from deepzoo import ConfigError, ShapeError, gradcheck
from deepzoo.backend.reference import Ops

TOL = {"rtol": 1e-9, "atol": 1e-10}


@pytest.mark.parametrize("shape", range(len(RECURRENT_SHAPES)))
@pytest.mark.parametrize("name,cls", [("lstm", dz.LSTM), ("rnn", dz.SimpleRNN)])
@pytest.mark.parametrize("sequences", [True, False])
def test_recurrent_layers_match_torch(ops, torch_ref, name, cls, sequences, shape):
    key = f"{name}/{shape}/{'seq' if sequences else 'last'}/"
    units = RECURRENT_SHAPES[shape][3]
    layer = cls(units, return_sequences=sequences, unit_forget_bias=False) if cls is dz.LSTM else \
        cls(units, return_sequences=sequences)
    layer.ops, layer.dtype = ops, np.dtype("float64")
    layer.build(torch_ref[key + "x"].shape[1:])
    layer.set_weights({k: torch_ref[key + k] for k in ("kernel", "recurrent_kernel", "bias")})
    y, backward = layer.forward(ops.asarray(torch_ref[key + "x"]), training=True)
    np.testing.assert_allclose(ops.to_host(y), torch_ref[key + "y"], **TOL)
    layer.zero_grads()
    dx = backward(ops.asarray(torch_ref[key + "w"]))
    np.testing.assert_allclose(ops.to_host(dx), torch_ref[key + "dx"], **TOL)
    for k in ("kernel", "recurrent_kernel", "bias"):
        np.testing.assert_allclose(ops.to_host(layer.grads[k]), torch_ref[key + "d" + k], **TOL, err_msg=k)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("u", [7, 37])  # 37: SIMD-wide runs of a gate's row and a remainder
def test_lstm_step_ops_equal_reference(host_ops, dtype, u):
    ops = host_ops
    ref, rng = Ops(), np.random.default_rng(0)
    n = 5
    z = (rng.standard_normal((n, 4 * u)) * 3).astype(dtype)
    c_prev = rng.standard_normal((n, u)).astype(dtype)
    outs = [[np.zeros((n, u), dtype), np.zeros((n, u), dtype), np.zeros((n, 4 * u), dtype),
             np.zeros((n, u), dtype)] for _ in range(2)]
    ops.lstm_step(z, c_prev, *outs[0])
    ref.lstm_step(z, c_prev, *outs[1])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    dh, dc = rng.standard_normal((n, u)).astype(dtype), rng.standard_normal((n, u)).astype(dtype)
    dz = [np.zeros((n, 4 * u), dtype) for _ in range(2)]
    dc_a = ops.lstm_step_backward(dh, dc, outs[0][2], c_prev, outs[0][3], dz[0])
    dc_b = ref.lstm_step_backward(dh, dc, outs[1][2], c_prev, outs[1][3], dz[1])
    np.testing.assert_allclose(dz[0], dz[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dc_a, dc_b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("u", [7, 37])
def test_gru_step_ops_equal_reference(host_ops, dtype, u):
    ops = host_ops
    ref, rng = Ops(), np.random.default_rng(1)
    n = 5
    xw, rec = [(rng.standard_normal((n, 3 * u)) * 3).astype(dtype) for _ in range(2)]
    h_prev = rng.standard_normal((n, u)).astype(dtype)
    outs = [[np.zeros((n, u), dtype), np.zeros((n, 3 * u), dtype)] for _ in range(2)]
    ops.gru_step(xw, rec, h_prev, *outs[0])
    ref.gru_step(xw, rec, h_prev, *outs[1])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("t,repeated", [(1, False), (2, False), (5, False), (4, True)])
@pytest.mark.parametrize("copy", [True, False])  # R^T as a contiguous copy, or the view R.T
def test_lstm_steps_ops_equal_reference(host_ops, dtype, t, repeated, copy):
    """A whole sequence's steps, each way (on the CPU one numba call with BLAS inside)."""
    rng, n, u = np.random.default_rng(2), 5, 37
    xw = rng.standard_normal((1 if repeated else t, n, 4 * u)).astype(dtype)
    recurrent = (rng.standard_normal((u, 4 * u)) * 0.3).astype(dtype)
    dh = rng.standard_normal((t, n, u)).astype(dtype)
    recurrent_t = None if t == 1 else np.ascontiguousarray(recurrent.T) if copy else recurrent.T
    results = []
    for ops in (host_ops, Ops()):
        h_all, c_all = np.zeros((t + 1, n, u), dtype), np.zeros((t + 1, n, u), dtype)
        gates, tanh_c = np.zeros((t, n, 4 * u), dtype), np.zeros((t, n, u), dtype)
        z, dh_all, dz_all = xw.copy(), dh.copy(), np.zeros((t, n, 4 * u), dtype)
        ops.lstm_steps(z, recurrent, h_all, c_all, gates, tanh_c)
        ops.lstm_steps_backward(dh_all, gates, c_all, tanh_c, recurrent_t, dz_all)
        results.append((h_all, c_all, gates, tanh_c, z, dh_all, dz_all))
    if repeated:
        np.testing.assert_array_equal(results[0][4], xw)  # a repeated input is read, not overwritten
    tol = {"rtol": 1e-4, "atol": 2e-5} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-12}
    names = ("h", "c", "gates", "tanh_c", "z", "dh", "dz")
    for name, a, b in zip(names, *results):
        np.testing.assert_allclose(a, b, **tol, err_msg=name)


def test_the_cpu_finds_numpys_gemm_where_numpy_brings_openblas():
    """NumPy's wheels from PyPI bring OpenBLAS with 64-bit integers: the CPU's recurrent
    steps then call its gemm from numba (``blas.py``); elsewhere they keep the Python loop."""
    from threadpoolctl import threadpool_info

    from deepzoo.backend.cpu.blas import gemm_address

    libraries = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
    if not any(lib.get("prefix") == "libscipy_openblas" and "64_" in lib.get("filepath", "")
               for lib in libraries):
        pytest.skip(f"NumPy's BLAS here is not OpenBLAS with 64-bit integers: {libraries}")
    assert gemm_address(np.float32) and gemm_address(np.float64)


def test_tanh32_is_within_4e_7_of_tanh_odd_and_keeps_nan():
    """The float32 LSTM and GRU steps of the CPU take their tanh from ``tanh32``."""
    from numba import njit

    from deepzoo.backend.cpu.recurrent_kernels import tanh32

    @njit
    def apply(x, out):
        for i in range(x.size):
            out[i] = tanh32(x[i])

    x = np.concatenate([np.linspace(-12, 12, 200_001, dtype=np.float32),
                        np.array([0, 1e-30, 1e-7, 7.905, 7.906, 30, 3e38, np.inf, np.nan], np.float32)])
    x = np.concatenate([x, -x])
    out = np.empty_like(x)
    apply(x, out)
    exact = np.tanh(x.astype(np.float64))
    finite = ~np.isnan(x)
    assert np.abs(out[finite] - exact[finite]).max() <= 4e-7
    assert np.isnan(out[~finite]).all()
    half = x.size // 2
    np.testing.assert_array_equal(out[:half], -out[half:])
    assert np.abs(out[finite]).max() <= 1


@pytest.mark.parametrize("shape,dtype", [((3, 5), np.float32), ((128, 512), np.float32),
                                         ((37, 256), np.float64), ((50, 200), np.float64)])
def test_transposed_is_a_new_contiguous_copy(host_ops, shape, dtype):
    """(128, 512) float32 and (37, 256) float64 have rows 2 KiB apart, which the CPU copies
    16 rows at a time (37: a last block of 5)."""
    matrix = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    before = matrix.copy()
    copy = host_ops.transposed(matrix)
    assert copy.shape == shape[::-1] and copy.dtype == dtype and copy.flags.c_contiguous
    np.testing.assert_array_equal(copy, before.T)
    copy[0, 0] += 1  # a copy: the matrix is untouched
    np.testing.assert_array_equal(matrix, before)
    # for a few rows of products a backend may hand back the view instead
    np.testing.assert_array_equal(host_ops.transposed(matrix, rows=4), before.T)


@pytest.mark.parametrize("cls,options", [(dz.LSTM, {}), (dz.GRU, {}), (dz.SimpleRNN, {}),
                                         (dz.LSTM, {"go_backwards": True})],
                         ids=["lstm", "gru", "rnn", "lstm-backwards"])
@pytest.mark.parametrize("sequences", [True, False])
def test_a_repeated_input_gives_what_the_repeated_sequence_gives(ops, cls, options, sequences):
    """``repeated_input=n``: one vector per sample read at all n steps, with one product
    instead of n, equals RepeatVector(n) then the layer, forward and all gradients."""
    rng = np.random.default_rng(2)
    repeat, layer = dz.RepeatVector(3), cls(5, return_sequences=sequences, **options)
    for one in (repeat, layer):
        one.ops, one.dtype = ops, np.dtype("float64")
    repeat.build((4,))
    layer.build((3, 4))
    x, dy = ops.asarray(rng.standard_normal((6, 4))), rng.standard_normal((6, 3, 5) if sequences else (6, 5))
    sequence, repeat_back = repeat.forward(x, training=True)
    results = []
    for y, backward in (layer.forward(sequence, training=True),
                        layer.forward(x, training=True, repeated_input=3)):
        layer.zero_grads()
        dx = backward(ops.asarray(dy))
        dx = repeat_back(dx) if len(results) == 0 else dx
        # copies: the next pass adds into the same gradient arrays again
        results.append([np.array(ops.to_host(a)) for a in (y, dx, *layer.grads.values())])
    for general, repeated in zip(*results):
        np.testing.assert_allclose(repeated, general, rtol=1e-12, atol=1e-13)
    with pytest.raises(ShapeError, match="repeated for 3 steps.*repeated for 4 steps"):
        layer.forward(x, repeated_input=4)


@pytest.mark.parametrize("cls", [dz.LSTM, dz.GRU, dz.SimpleRNN])
@pytest.mark.parametrize("repeated", [0, 3])
def test_recurrent_layers_write_every_array_they_take_unzeroed(host_ops, monkeypatch, cls, repeated):
    """Arrays from ``ops.empty`` hold whatever the memory held (a state's first row, the
    gates, the gradients through time): with NaN there, every output and gradient equals
    what zeroed memory gives."""
    rng = np.random.default_rng(4)
    layer = cls(5, return_sequences=True)
    layer.ops, layer.dtype = host_ops, np.dtype("float32")
    layer.build((3, 4))
    x = rng.standard_normal((6, 4) if repeated else (6, 3, 4)).astype(np.float32)
    dy = rng.standard_normal((6, 3, 5)).astype(np.float32)
    empty = host_ops.empty

    def poisoned_empty(shape, dtype="float32"):
        return host_ops.fill(empty(shape, dtype), np.nan)

    results = []
    for poisoned in (False, True):
        if poisoned:
            monkeypatch.setattr(host_ops, "empty", poisoned_empty)
        layer.zero_grads()
        y, backward = layer.forward(host_ops.asarray(x), training=True, repeated_input=repeated)
        dx = backward(host_ops.asarray(dy))
        results.append([np.array(host_ops.to_host(a)) for a in (y, dx, *layer.grads.values())])
    for clean, poisoned in zip(*results):
        assert np.isfinite(poisoned).all()
        np.testing.assert_array_equal(poisoned, clean)


def test_a_model_leaves_repeatvectors_copies_to_the_recurrent_layer_after_it():
    model = dz.Sequential([dz.LSTM(8), dz.RepeatVector(3), dz.GRU(6, return_sequences=True),
                           dz.TimeDistributed(dz.Dense(4, activation="softmax")), dz.Flatten(),
                           dz.RepeatVector(2), dz.TimeDistributed(dz.Dense(3))], input_shape=(5, 2), seed=0)
    model.compile(optimizer="adam", loss="mse")
    model.build()
    assert model._infer_options[1:3] == [{"repeated_by_next": True}, {"repeated_input": 3}]
    assert model._infer_options[5] == {}  # TimeDistributed reads the sequence RepeatVector makes
    assert model._train_options[0] == {"input_gradient": False}
    x = np.random.default_rng(0).standard_normal((7, 5, 2)).astype("float32")
    layer_by_layer = x
    for layer in model.layers:
        layer_by_layer = layer(layer_by_layer)
    np.testing.assert_allclose(model.predict(x), layer_by_layer, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer", [
    dz.LSTM(3), dz.LSTM(2, return_sequences=True), dz.SimpleRNN(4),
    dz.TimeDistributed(dz.Dense(3, activation="softmax")),
])
def test_gradients_through_time(layer):
    x = np.random.default_rng(5).standard_normal((2, 6, 3))
    assert gradcheck(layer, x).ok


def test_encoder_decoder_of_the_lecture_has_its_parameter_counts():
    model = dz.Sequential([dz.LSTM(100), dz.RepeatVector(3), dz.LSTM(50, return_sequences=True),
                           dz.TimeDistributed(dz.Dense(11, activation="softmax"))], input_shape=(7, 11))
    assert model.count_params() == 75_561
    assert [layer.count_params() for layer in model.layers] == [44_800, 0, 30_200, 561]
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    assert model.fused_output  # softmax inside TimeDistributed meets cross-entropy


def test_sequence_model_learns_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (256, 6, 1)).astype("float32")
    y = np.eye(2, dtype="float32")[x[:, :, 0].cumsum(axis=1).astype(int) % 2]  # running parity
    model = dz.Sequential([dz.LSTM(16, return_sequences=True),
                           dz.TimeDistributed(dz.Dense(2, activation="softmax"))], input_shape=(6, 1), seed=0)
    model.compile(optimizer=dz.Adam(0.02), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=40, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    model.save(tmp_path / "seq.dzm")
    np.testing.assert_array_equal(dz.load_model(tmp_path / "seq.dzm").predict(x), model.predict(x))


def test_clear_errors_for_recurrent_mistakes():
    with pytest.raises(ShapeError, match=r"'lstm' \(LSTM\) expects sequences of shape \(batch, time, "
                                         r"features\).*Use RepeatVector"):
        dz.Sequential([dz.LSTM(4)], input_shape=(10,)).build()
    with pytest.raises(ConfigError, match="return_state=True gives several outputs"):
        dz.LSTM(4, return_state=True)
    with pytest.raises(ShapeError, match=r"RepeatVector\) expects vectors"):
        dz.Sequential([dz.RepeatVector(3)], input_shape=(4, 2)).build()
    with pytest.raises(ConfigError, match="TimeDistributed wraps a Layer"):
        dz.TimeDistributed("dense")
