"""One shared contract, run over every registered layer, activation and loss (plugins too)."""

import pytest

from deepzoo import registry
from deepzoo.testing import check_activation, check_layer, check_loss


@pytest.mark.parametrize("name", registry.layers.names())
def test_layer_contract(ops, name):
    cls = registry.layers.get(name)
    if cls.example_input_shape is None:
        pytest.skip(f"layer '{name}' declares no example_input_shape")
    check_layer(cls.from_config(cls.example_args), cls.example_input_shape, ops=ops)


@pytest.mark.parametrize("name", registry.activations.names())
def test_activation_contract(ops, name):
    check_activation(registry.activations.get(name)(), ops=ops)


@pytest.mark.parametrize("name", registry.losses.names())
def test_loss_contract(ops, name):
    check_loss(registry.losses.get(name)(), ops=ops)
