import os
from pathlib import Path

import numpy as np
import pytest

import deepzoo

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(params=deepzoo.available_backends())
def ops(request):
    """Every backend available on this machine, in turn."""
    return deepzoo.get_ops(request.param)


@pytest.fixture(scope="session")
def torch_ref():
    with np.load(FIXTURES / "torch_reference.npz") as data:
        return {k: data[k] for k in data.files}


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_report_header(config):
    return f"deepzoo {deepzoo.__version__}; DEEPZOO_DATA={os.environ.get('DEEPZOO_DATA', '(unset)')}"
