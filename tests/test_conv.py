"""Conv2D and pooling: PyTorch reference values, backend equality, gradients, errors."""


import numpy as np
import pytest
from fixtures.grids import CONV_CASES, POOL_CASES

import deepzoo as dz
from deepzoo import ConfigError, ShapeError, gradcheck
from deepzoo.backend import cuda_status
from deepzoo.backend.reference import Ops
from deepzoo.layers import AveragePooling2D, Conv2D, Dense, Flatten, MaxPool2D

TOL = {"rtol": 1e-9, "atol": 1e-10}
CUDA = cuda_status()


def run_layer(layer, ops, x, weights=None, dy=None, training=True):
    layer.ops = ops
    layer.dtype = np.dtype("float64")
    layer.build(x.shape[1:])
    if weights:
        layer.set_weights(weights)
    y, backward = layer.forward(ops.asarray(x), training=training)
    layer.zero_grads()
    dx = backward(ops.asarray(dy)) if dy is not None else None
    return ops.to_host(y), (ops.to_host(dx) if dx is not None else None)


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv2d_matches_torch(ops, torch_ref, case):
    _, _, _, _, filters, kernel, strides, padding, dilation = CONV_CASES[case]
    k = f"conv/{case}/"
    layer = Conv2D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation)
    y, dx = run_layer(layer, ops, torch_ref[k + "x"],
                      {"kernel": torch_ref[k + "kernel"], "bias": torch_ref[k + "bias"]},
                      torch_ref[k + "w"])
    np.testing.assert_allclose(y, torch_ref[k + "y"], **TOL)
    np.testing.assert_allclose(dx, torch_ref[k + "dx"], **TOL)
    np.testing.assert_allclose(ops.to_host(layer.grads["kernel"]), torch_ref[k + "dkernel"], **TOL)
    np.testing.assert_allclose(ops.to_host(layer.grads["bias"]), torch_ref[k + "dbias"], **TOL)
    assert layer.output_shape == y.shape[1:]


@pytest.mark.parametrize("case", range(len(POOL_CASES)))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_torch(ops, torch_ref, case, kind):
    _, _, _, _, pool, strides = POOL_CASES[case]
    k = f"pool/{kind}/{case}/"
    layer = (MaxPool2D if kind == "max" else AveragePooling2D)(pool, strides=strides)
    y, dx = run_layer(layer, ops, torch_ref[k + "x"], dy=torch_ref[k + "w"])
    np.testing.assert_allclose(y, torch_ref[k + "y"], **TOL)
    np.testing.assert_allclose(dx, torch_ref[k + "dx"], **TOL)


GEOMETRIES = [  # (x shape, kernel, strides, dilation, pads[, filters; 3 if not given])
    ((2, 7, 6, 3), (3, 3), (1, 1), (1, 1), ((0, 0), (0, 0))),
    ((24, 26, 26, 32), (3, 3), (1, 1), (1, 1), ((0, 0), (0, 0))),  # several chunks
    ((2, 7, 6, 5), (3, 2), (2, 1), (1, 2), ((1, 0), (2, 1))),
    ((3, 9, 8, 1), (5, 5), (1, 1), (1, 1), ((2, 2), (2, 2))),
    ((1, 6, 6, 8), (2, 2), (2, 2), (1, 1), ((0, 0), (0, 0))),
    ((2, 9, 8, 1), (3, 2), (1, 1), (2, 3), ((1, 2), (0, 3))),  # stride 1, dilated: direct on the CPU
    ((2, 8, 7, 1), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1)), 40),  # im2col on the CPU
    # Winograd's F(2x2, 3x3) on the CPU: whole tiles, odd sizes with lopsided pads, and
    # a batch cut into pieces over the threads, each transformed one image at a time
    ((2, 8, 6, 9), (3, 3), (1, 1), (1, 1), ((0, 0), (0, 0)), 9),
    ((3, 9, 8, 12), (3, 3), (1, 1), (1, 1), ((2, 0), (0, 1)), 9),
    ((16, 26, 26, 32), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1)), 64),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry", range(len(GEOMETRIES)))
def test_conv_and_pool_ops_equal_reference(host_ops, geometry, dtype):
    ops = host_ops
    shape, kernel, strides, dilation, pads, *filters = GEOMETRIES[geometry]
    if ops.device == "cuda" and shape[0] > 3 and CUDA.simulator:
        pytest.skip("the CPU's chunking case is too large for the CUDA simulator")
    ref, rng = Ops(), np.random.default_rng(geometry)
    x = rng.standard_normal(shape).astype(dtype)
    cols = ref.im2col(x, kernel, strides, dilation, pads)
    np.testing.assert_array_equal(ops.im2col(x, kernel, strides, dilation, pads), cols)
    filters = filters[0] if filters else 3
    kernel_values = rng.standard_normal((*kernel, shape[3], filters)).astype(dtype)
    z = ops.conv2d(x, kernel_values, strides, dilation, pads)
    # float32 sums of up to 288 products of outputs near 30: BLAS adds them in an order
    # that depends on the shape of each product, which a split over threads changes
    atol = 1e-4 if dtype == np.float32 else 1e-5
    np.testing.assert_allclose(z, ref.conv2d(x, kernel_values, strides, dilation, pads), rtol=1e-5, atol=atol)
    dz = rng.standard_normal(z.shape).astype(dtype)
    grads = [np.ones_like(kernel_values), np.ones_like(kernel_values)]
    biases = [np.ones(filters, dtype), np.ones(filters, dtype)]  # added into, as the layers' are
    dxs = [o.conv2d_backward(x, z, dz, kernel_values, strides, dilation, pads, g, b)
           for o, g, b in ((ops, grads[0], biases[0]), (ref, grads[1], biases[1]))]
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(biases[0], biases[1], rtol=1e-5, atol=1e-3)
    alone = np.ones_like(kernel_values)  # the kernel gradient alone, as for a first layer
    assert ops.conv2d_backward(x, z, dz, kernel_values, strides, dilation, pads, alone, need_dx=False) is None
    np.testing.assert_allclose(alone, grads[1], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(dxs[0], dxs[1], rtol=1e-5, atol=atol)
    dcols = rng.standard_normal(cols.shape).astype(dtype)
    np.testing.assert_allclose(ops.col2im(dcols, shape, kernel, strides, dilation, pads),
                               ref.col2im(dcols, shape, kernel, strides, dilation, pads), rtol=1e-5, atol=1e-6)
    if any(p >= k for pair, k in zip(pads, kernel) for p in pair):
        return  # a window could lie wholly in the padding: not a pooling geometry
    y, which = ops.max_pool2d(x, kernel, strides, pads)
    y_ref, which_ref = ref.max_pool2d(x, kernel, strides, pads)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(which, which_ref)
    y_alone, no_which = ops.max_pool2d(x, kernel, strides, pads, with_argmax=False)
    assert no_which is None
    np.testing.assert_array_equal(y_alone, y_ref)
    dy = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_allclose(ops.max_pool2d_backward(dy, which, shape, kernel, strides, pads),
                               ref.max_pool2d_backward(dy, which_ref, shape, kernel, strides, pads),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.avg_pool2d(x, kernel, strides, pads),
                               ref.avg_pool2d(x, kernel, strides, pads), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.avg_pool2d_backward(dy, shape, kernel, strides, pads),
                               ref.avg_pool2d_backward(dy, shape, kernel, strides, pads), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("args", [
    dict(filters=2, kernel_size=3, strides=1, padding="same", dilation_rate=1),
    dict(filters=3, kernel_size=(2, 3), strides=(2, 1), padding="valid", dilation_rate=(1, 2)),
    dict(filters=2, kernel_size=3, strides=2, padding=1, dilation_rate=2, activation="relu"),
])
def test_conv2d_gradients_by_finite_differences(args):
    x = np.random.default_rng(1).standard_normal((2, 7, 6, 3))
    result = gradcheck(Conv2D(**args), x)
    assert result.ok, str(result)


@pytest.mark.parametrize("layer", [MaxPool2D(2), MaxPool2D(3, strides=2, padding="same"),
                                   AveragePooling2D((2, 3), strides=1, padding="same")])
def test_pool_gradients_by_finite_differences(layer):
    x = np.random.default_rng(2).permutation(2 * 7 * 6 * 2).reshape(2, 7, 6, 2) / 10.0  # no ties
    assert gradcheck(layer, x).ok


def test_model_summaries_match_keras_counts():
    cnn = dz.Sequential([
        Conv2D(32, 3, activation="relu"), Conv2D(64, 3, activation="relu"), MaxPool2D(2),
        dz.Dropout(0.25), Flatten(), Dense(128, activation="relu"), dz.Dropout(0.5),
        Dense(10, activation="softmax"),
    ], input_shape=(28, 28, 1))
    assert cnn.count_params() == 1_199_882
    assert [layer.output_shape for layer in cnn.layers[:3]] == [(26, 26, 32), (24, 24, 64), (12, 12, 64)]
    lenet = dz.Sequential([
        Conv2D(6, 5, padding=2, activation="relu"), MaxPool2D(2), Conv2D(16, 5, activation="relu"),
        MaxPool2D(2), Flatten(), Dense(120), Dense(84), Dense(10)], input_shape=(28, 28, 1))
    assert lenet.count_params() == 61_706


def test_clear_errors_for_bad_shapes_and_arguments():
    with pytest.raises(ShapeError, match=r"window spans 5 pixels along the height, more than the "
                                         r"padded input's 4"):
        dz.Sequential([Conv2D(2, 5)], input_shape=(4, 4, 1)).build()
    with pytest.raises(ShapeError, match=r"'dense' \(Dense\) expects 2-D input.*Add a Flatten layer"):
        dz.Sequential([Conv2D(2, 3), Dense(3)], input_shape=(6, 6, 1)).build()
    with pytest.raises(ShapeError, match=r"expects images of shape \(batch, height, width, channels\)"):
        dz.Sequential([Conv2D(2, 3)], input_shape=(36,)).build()
    with pytest.raises(ConfigError, match="padding must be 'valid', 'same'"):
        Conv2D(2, 3, padding="full")
    with pytest.raises(ConfigError, match="strides must be a positive integer, received 0"):
        Conv2D(2, 3, strides=0)
    with pytest.raises(ConfigError, match="padding must be 'valid' or 'same'"):
        MaxPool2D(2, padding=1)
    model = dz.Sequential([Conv2D(2, 3)], input_shape=(6, 6, 1))
    with pytest.raises(ShapeError, match=r"expects input of shape \(batch, 6, 6, 1\).*\(3, 6, 6\)"):
        model.predict(np.zeros((3, 6, 6)))


def test_max_pool_inference_keeps_no_winners_but_its_backward_still_works(ops):
    x = np.random.default_rng(0).standard_normal((3, 6, 6, 2))
    dy = np.random.default_rng(1).standard_normal((3, 3, 3, 2))
    y_train, dx_train = run_layer(MaxPool2D(2), ops, x, dy=dy, training=True)
    y_infer, dx_infer = run_layer(MaxPool2D(2), ops, x, dy=dy, training=False)
    np.testing.assert_array_equal(y_infer, y_train)
    np.testing.assert_array_equal(dx_infer, dx_train)


@pytest.mark.parametrize("channels", [3, 8, 24])  # the CPU has kernels for few channels and for many
@pytest.mark.parametrize("window", [((2, 2), (2, 2), ((0, 0), (0, 0))), ((3, 2), (1, 2), ((0, 0), (0, 0))),
                                    ((3, 3), (2, 2), ((1, 1), (0, 1)))])
def test_max_pool_ties_go_to_the_first_tap_in_row_major_order(host_ops, channels, window):
    # three values only: most windows hold a tie, and the winners must still match
    x = np.random.default_rng(channels).integers(0, 3, (2, 7, 8, channels)).astype(np.float32)
    y, which = host_ops.max_pool2d(host_ops.asarray(x), *window)
    y_ref, which_ref = Ops().max_pool2d(x, *window)
    np.testing.assert_array_equal(host_ops.to_host(y), y_ref)
    np.testing.assert_array_equal(host_ops.to_host(which), which_ref)


# (convolution, pooling, input): LeNet-5's first pair (padding 2, few channels: the
# CPU's direct kernels and row pooling), windows that do not tile the image, padded
# pooling with many channels (the ConvNet-like im2col path), no activation
CONV_POOL_CASES = [
    (dict(filters=6, kernel_size=5, padding=2, activation="relu"), dict(), (28, 28, 1)),
    (dict(filters=4, kernel_size=3, activation="tanh"), dict(pool_size=3, strides=2), (10, 11, 2)),
    (dict(filters=10, kernel_size=3, padding="same", activation="relu"), dict(padding="same"), (7, 7, 9)),
    (dict(filters=3, kernel_size=2, activation=None), dict(pool_size=2), (6, 8, 3)),
    # windows that tile the output (no zeroing before the unpooling): im2col, Winograd, direct
    (dict(filters=5, kernel_size=3, activation=None), dict(pool_size=2), (10, 8, 2)),
    (dict(filters=7, kernel_size=(3, 2), activation="relu"), dict(pool_size=(2, 3)), (10, 7, 3)),
    (dict(filters=12, kernel_size=3, activation="relu"), dict(), (10, 10, 9)),
    (dict(filters=4, kernel_size=3, padding=1, activation=None), dict(), (8, 8, 1)),
]


@pytest.mark.parametrize("case", range(len(CONV_POOL_CASES)))
@pytest.mark.parametrize("training", [True, False])
def test_a_convolution_that_pools_gives_what_the_two_layers_give(ops, case, training):
    """``pool_after``: the convolution runs the max pooling after it as one op. Output,
    input gradient and every parameter gradient equal those of the two layers."""
    conv_args, pool_args, shape = CONV_POOL_CASES[case]
    conv, pool = Conv2D(**conv_args), MaxPool2D(**pool_args)
    for layer in (conv, pool):
        layer.ops, layer.dtype = ops, np.dtype("float64")
    conv.build(shape)
    pool.build(conv.output_shape)
    assert conv.can_pool(pool)
    rng = np.random.default_rng(case)
    x = ops.asarray(rng.standard_normal((5, *shape)))
    dy = ops.asarray(rng.standard_normal((5, *pool.output_shape)))
    results = []
    for conv_options, pool_options in (({}, {}), ({"pool_after": pool}, {"pooled_by_previous": True})):
        z, conv_back = conv.forward(x, training=training, **conv_options)
        y, pool_back = pool.forward(z, training=training, **pool_options)
        conv.zero_grads()
        dx = conv_back(pool_back(dy))
        # copies: the next pass adds into the same gradient arrays again
        results.append([np.array(ops.to_host(a)) for a in (y, dx, *conv.grads.values())])
    for apart, together in zip(*results):
        np.testing.assert_allclose(together, apart, rtol=1e-12, atol=1e-13)


def test_a_model_runs_each_convolution_and_the_max_pooling_after_it_as_one_op():
    model = dz.Sequential([Conv2D(6, 5, padding=2, activation="relu"), MaxPool2D(2),
                           Conv2D(4, 3, activation="relu"), AveragePooling2D(2), Flatten(),
                           Dense(3, activation="softmax")], input_shape=(12, 12, 1), seed=0)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.build()
    assert model._infer_options[0] == {"pool_after": model.layers[1]}
    assert model._infer_options[1] == {"pooled_by_previous": True}
    assert model._infer_options[2:4] == [{}, {}]  # average pooling is not fused
    assert model._train_options[0] == {"pool_after": model.layers[1], "input_gradient": False}
    x = np.random.default_rng(0).standard_normal((9, 12, 12, 1)).astype("float32")
    layer_by_layer = x
    for layer in model.layers:
        layer_by_layer = layer(layer_by_layer)
    np.testing.assert_allclose(model.predict(x), layer_by_layer, rtol=1e-5, atol=1e-6)
    with pytest.raises(ShapeError, match="already pooled, of shape \\(batch, 6, 6, 6\\)"):
        model.layers[1].forward(x, pooled_by_previous=True)
    assert not Conv2D(2, 3, activation="relu").can_pool(AveragePooling2D(2))

    class OtherMax(MaxPool2D):  # a subclass may pool otherwise: left to itself
        pass

    assert not Conv2D(2, 3, activation="relu").can_pool(OtherMax(2))
