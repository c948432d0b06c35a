"""Every public name of deepzoo has a docstring."""

import importlib
import inspect
import pkgutil

import deepzoo
from deepzoo.backend import cuda_status

SKIP_MODULES = {"deepzoo.__main__"}
if not cuda_status().usable:  # the CUDA family's kernels compile for a GPU when imported
    SKIP_MODULES |= {f"deepzoo.backend.cuda.{name}" for name in (
        "base", "conv", "dense", "ops", "recurrent", "training",
        "conv_kernels", "dense_kernels", "recurrent_kernels", "training_kernels")}


def public_objects():
    for info in pkgutil.walk_packages(deepzoo.__path__, "deepzoo."):
        if info.name in SKIP_MODULES or any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        yield info.name, module
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"{info.name}.{name}", obj


def test_every_public_module_class_and_function_has_a_docstring():
    missing = [name for name, obj in public_objects() if not (inspect.getdoc(obj) or "").strip()]
    assert not missing, "missing docstrings: " + ", ".join(missing)
