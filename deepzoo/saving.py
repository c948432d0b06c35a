"""Saving and loading models: one file, no pickle, written atomically.

A model file is a ZIP archive (stored, not compressed) holding

* ``meta.json``: the format and its version, deepzoo's version, the architecture
  (each layer by its registered name and its config), the compile settings, the
  optimizer's scalar state and the random generator's state;
* one ``.npy`` array per weight (``weights/<layer>/<param>.npy``) and per array of
  optimizer state (``optimizer/<layer>/<param>/<name>.npy``).

Arrays are read with ``allow_pickle=False``; nothing in a file can run code.
Every size is checked before anything is allocated: a corrupt, truncated or
hostile file raises :class:`~deepzoo.errors.ModelFileError` quickly.

A save writes a temporary file in the target's folder and renames it over the
target only once it is complete, so a crash or Ctrl-C during a save leaves the
previous file intact.
"""

from __future__ import annotations

import glob
import io
import json
import math
import os
import stat
import struct
import tempfile
import threading
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

from . import registry
from ._version import __version__
from .errors import ConfigError, DeepZooError, ModelFileError, RegistryError, ShapeError
from .layers.base import Layer, check_sample_size
from .losses import Loss
from .optimizers import Optimizer

_UMASK_LOCK = threading.Lock()

FORMAT = "deepzoo-model"
FORMAT_VERSION = 1
MAX_META_BYTES = 16 << 20
ALLOWED_DTYPES = {np.dtype(t) for t in ("float32", "float64", "int32", "int64")}
# what the zipfile module raises on damaged archives
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError,
               NotImplementedError, KeyError, OverflowError, struct.error)


# ----------------------------------------------------------------- writing
def save_model(model, path, weights_only=False) -> None:
    """Write ``model`` (architecture, weights, optimizer and random state) to ``path``."""
    if not model.built:
        model.build()
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "deepzoo_version": __version__,
            "kind": "weights" if weights_only else "model", "model": model_config(model)}
    arrays = {f"weights/{layer.name}/{key}": value
              for layer in model.layers for key, value in layer.get_weights().items()}
    if not weights_only:
        meta["rng_state"] = model.rng.bit_generator.state
        meta["compile"] = None
        if model.loss is not None:
            meta["compile"], state_arrays = _compile_config(model)
            arrays.update(state_arrays)
    _write_atomically(Path(path), meta, arrays)


def model_config(model) -> dict:
    """The architecture as JSON-ready data: name, input shape, dtype, layers by registered name."""
    layers = []
    for layer in model.layers:
        name = registry.layers.name_of(type(layer))
        if name is None:
            raise ConfigError(
                f"layer '{layer.name}' is a {type(layer).__name__}, which no registry knows; "
                f"register it (deepzoo.register_layer) or ship it as a plugin to save the model"
            )
        layers.append({"class_name": name, "config": layer.get_config()})
    return {"name": model.name, "input_shape": list(model.input_shape), "dtype": model.dtype.name,
            "layers": layers}


def _compile_config(model):
    optimizer = model.optimizer
    arrays, scalars = {}, {}
    for key, state in optimizer.state.items():
        scalars[key] = {}
        for name, value in state.items():
            if value is None or isinstance(value, (int, float)):
                scalars[key][name] = value
            else:
                arrays[f"optimizer/{key}/{name}"] = np.asarray(model.ops.to_host(value))
    config = {
        "optimizer": {"class_name": registry.optimizers.name_of(optimizer.saved_as or type(optimizer)),
                      "config": optimizer.get_config(), "iterations": optimizer.iterations,
                      "scalars": scalars},
        "loss": {"class_name": registry.losses.name_of(type(model.loss)),
                 "config": model.loss.get_config()},
        "metrics": [m if isinstance(m, str) else m.name for m in model.metric_specs],
    }
    return config, arrays


def _write_atomically(path: Path, meta: dict, arrays: dict) -> None:
    def write(raw):
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("meta.json", json.dumps(meta))
            for name, array in arrays.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as entry:
                    np.lib.format.write_array(entry, np.ascontiguousarray(array), allow_pickle=False)

    replace_atomically(path, write)


def save_array(path, array) -> None:
    """``numpy.save`` made atomic: the old file stays whole if the write fails."""
    replace_atomically(Path(path), lambda raw: np.lib.format.write_array(
        raw, np.ascontiguousarray(array), allow_pickle=False))


#: a temporary file of a save this old or older was left by a save that died (kill -9)
STALE_SECONDS = 60


def replace_atomically(path: Path, write) -> None:
    """Call ``write(binary_file)`` on a temporary file next to ``path``, then rename it over ``path``.

    The temporary file is ``.<name>.<random>.tmp`` in the target's folder (the name
    shortened so that it fits where the target's name fits); ones of the same
    target that a killed save left behind are removed first. The result gets the
    mode of the file it replaces, or ``0666`` less the umask for a new file, as
    ``open`` would give; a symlink is written through, not replaced.
    """
    path = Path(path)
    if not path.name or path.name in (".", ".."):
        raise ModelFileError(f"cannot save to {str(path)!r}: it names no file")
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ModelFileError(f"cannot save to {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise ModelFileError(f"cannot save to {path}: it is a folder")
    prefix = f".{path.name[:200]}."
    _remove_stale_temporaries(folder, prefix)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as raw:
            write(raw)
            raw.flush()
            os.fchmod(raw.fileno(), mode)
            os.fsync(raw.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _remove_stale_temporaries(folder: Path, prefix: str) -> None:
    now = time.time()
    for leftover in folder.glob(glob.escape(prefix) + "*.tmp"):
        try:
            if now - leftover.stat().st_mtime > STALE_SECONDS:
                leftover.unlink()
        except OSError:  # gone already, or not ours to remove
            pass


def _umask() -> int:
    with _UMASK_LOCK:  # reading the umask means setting it: keep other savers out meanwhile
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# ----------------------------------------------------------------- reading
def read_npy_header(stream):
    """``(shape, fortran_order, dtype)`` from the start of a ``.npy`` stream, reading no data.

    Raises ValueError (or what NumPy's parser raises) for anything but a version 1 or 2
    header; the caller decides whether the sizes it declares are acceptable.
    """
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(stream)
    raise ValueError(f"unsupported .npy version {version}")


class _Archive:
    """A model file opened for checked reading."""

    def __init__(self, path, max_bytes):
        self.path = Path(path)
        if not self.path.exists():
            raise ModelFileError(f"{self.path}: no such file")
        if not self.path.is_file():
            raise ModelFileError(f"{self.path} is not a regular file (a folder, a device or a pipe)")
        try:
            self.zip = zipfile.ZipFile(self.path)
            self.entries = {info.filename: info for info in self.zip.infolist()}
        except _ZIP_ERRORS as exc:
            raise ModelFileError(f"{self.path} is not a deepzoo model file ({exc})") from None
        total = sum(info.file_size for info in self.entries.values())
        if total > max_bytes:
            raise ModelFileError(f"{self.path} declares {total:,} bytes of content, more than the "
                                 f"limit of {max_bytes:,} (pass max_bytes= to allow it)")
        # zipfile inflates a BZIP2 or LZMA entry whole, whatever size it declares: deepzoo
        # writes stored entries only, and reads nothing else
        for info in self.entries.values():
            if info.compress_type != zipfile.ZIP_STORED:
                raise ModelFileError(f"{self.path}: entry '{info.filename}' is compressed (method "
                                     f"{info.compress_type}); deepzoo model files hold stored entries only")

    def read(self, name, limit):
        info = self.entries.get(name)
        if info is None:
            raise ModelFileError(f"{self.path} is missing '{name}'")
        if info.file_size > limit:
            raise ModelFileError(f"{self.path}: '{name}' declares {info.file_size:,} bytes, "
                                 f"more than the {limit:,} allowed")
        try:
            with self.zip.open(info) as entry:
                data = entry.read(info.file_size + 1)
        except _ZIP_ERRORS as exc:
            raise ModelFileError(f"{self.path}: '{name}' cannot be read ({exc})") from None
        if len(data) != info.file_size:
            raise ModelFileError(f"{self.path}: '{name}' holds {len(data):,} bytes, its header "
                                 f"says {info.file_size:,}")
        return data

    def header(self, name):
        """Shape and dtype of a stored array, read from its first bytes only."""
        info = self.entries.get(f"{name}.npy")
        if info is None:
            raise ModelFileError(f"{self.path} is missing the array '{name}'")
        try:
            with self.zip.open(info) as entry:
                stream = io.BytesIO(entry.read(min(info.file_size, 65536)))
            shape, fortran, dtype = read_npy_header(stream)
        except Exception as exc:  # any malformed header
            raise ModelFileError(f"{self.path}: '{name}' is not a valid array ({exc})") from None
        if dtype not in ALLOWED_DTYPES:
            raise ModelFileError(f"{self.path}: '{name}' has dtype {dtype}; expected one of "
                                 f"{sorted(str(d) for d in ALLOWED_DTYPES)}")
        if fortran:
            raise ModelFileError(f"{self.path}: '{name}' is stored in Fortran (column-major) order; "
                                 f"deepzoo writes and reads C order only")
        if math.prod(shape) * dtype.itemsize + stream.tell() != info.file_size:  # exact, however large
            raise ModelFileError(f"{self.path}: '{name}' claims shape {shape} but holds "
                                 f"{info.file_size:,} bytes")
        return tuple(shape), dtype

    def array(self, name, shape):
        """The array ``name``, which must have ``shape``, read straight into its own memory
        (a megabyte at a time: no second copy of it exists at any moment)."""
        stored, dtype = self.header(name)
        if stored != tuple(shape):
            raise ModelFileError(f"{self.path}: '{name}' has shape {stored}, expected {tuple(shape)}")
        info = self.entries[f"{name}.npy"]
        array = np.empty(stored, dtype=dtype)
        target = memoryview(array).cast("B") if array.nbytes else memoryview(bytearray())
        try:
            with self.zip.open(info) as entry:
                entry.read(info.file_size - array.nbytes)  # the header, checked by header()
                done = 0
                while done < array.nbytes:
                    chunk = entry.read(min(1 << 20, array.nbytes - done))
                    if not chunk:
                        break
                    target[done:done + len(chunk)] = chunk
                    done += len(chunk)
        except _ZIP_ERRORS as exc:
            raise ModelFileError(f"{self.path}: '{name}' cannot be read ({exc})") from None
        if done != array.nbytes:
            raise ModelFileError(f"{self.path}: '{name}' holds {done:,} bytes of data, its header says "
                                 f"{array.nbytes:,}")
        return array


def _expect(condition, path, what):
    if not condition:
        raise ModelFileError(f"{path}: invalid model description: {what}")


def _read_meta(archive):
    try:
        meta = json.loads(archive.read("meta.json", MAX_META_BYTES))
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, an integer of 4,300 digits
        raise ModelFileError(f"{archive.path}: meta.json is not valid JSON ({exc})") from None
    path = archive.path
    _expect(isinstance(meta, dict) and meta.get("format") == FORMAT, path,
            f"'format' must be '{FORMAT}'")
    version = meta.get("format_version")
    _expect(isinstance(version, int) and not isinstance(version, bool), path,
            "'format_version' must be an integer")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} uses format version {version}; this deepzoo "
                             f"({__version__}) reads up to {FORMAT_VERSION}. Upgrade deepzoo.")
    model = meta.get("model")
    _expect(isinstance(model, dict), path, "'model' must be an object")
    _expect(isinstance(model.get("name"), str), path, "'model.name' must be a string")
    shape = model.get("input_shape")
    _expect(isinstance(shape, list) and 0 < len(shape) <= 8 and all(
        isinstance(d, int) and not isinstance(d, bool) and 0 < d < 2**31 for d in shape),
        path, "'model.input_shape' must be a list of positive integers")
    _expect(model.get("dtype") in ("float32", "float64"), path, "'model.dtype' must be float32 or float64")
    layers = model.get("layers")
    _expect(isinstance(layers, list) and layers, path, "'model.layers' must be a non-empty list")
    for spec in layers:
        _expect(isinstance(spec, dict) and isinstance(spec.get("class_name"), str)
                and isinstance(spec.get("config"), dict), path,
                "each layer must be an object with 'class_name' (string) and 'config' (object)")
    return meta


def _make(kind_registry, spec, what, path, kind=None):
    name = spec.get("class_name")
    if name not in kind_registry:
        raise ModelFileError(
            f"{path}: {what} '{name}' is not installed here. Install the package that provides "
            f"it: such names come from the entry-point group '{kind_registry.group}'."
        )
    try:
        cls = kind_registry.get(name)
    except RegistryError as exc:  # installed, but its module failed to import
        raise ModelFileError(f"{path}: {what} '{name}' is installed but could not be loaded: {exc}") from None
    if kind is not None and not (isinstance(cls, type) and issubclass(cls, kind)):
        raise ModelFileError(f"{path}: {what} '{name}' is registered as {cls!r}, which is not a "
                             f"{kind.__name__} class")
    try:
        made = cls.from_config(spec.get("config", {}))
    except Exception as exc:  # a hostile config may break a constructor in any way
        raise ModelFileError(f"{path}: {what} '{name}' has an invalid config: "
                             f"{type(exc).__name__}: {exc}") from None
    if kind is not None and not isinstance(made, kind):
        raise ModelFileError(f"{path}: {what} '{name}' is registered as {cls!r}, which does not make "
                             f"a {kind.__name__}")
    return made


def _layers_checked_against_arrays(archive, meta):
    """Layers from the description, their weight shapes checked before anything is built."""
    path = archive.path
    layers, shape = [], tuple(meta["model"]["input_shape"])
    for index, spec in enumerate(meta["model"]["layers"]):
        layer = _make(registry.layers, spec, f"layer {index}", path, Layer)
        try:
            planned = layer.param_shapes(shape)
            shape = layer.output_shape_for(shape)
            check_sample_size(layer, shape)
        except Exception as exc:  # DeepZooError, or a hostile config's arithmetic
            raise ModelFileError(f"{path}: layer '{layer.name}' does not fit its input: "
                                 f"{type(exc).__name__}: {exc}") from None
        for key, expected in planned.items():
            stored, _ = archive.header(f"weights/{layer.name}/{key}")
            if stored != expected:
                raise ModelFileError(f"{path}: weight '{key}' of layer '{layer.name}' has shape "
                                     f"{stored}, but the layer's config needs {expected}")
        layers.append((layer, planned))
    return layers


def read_model(path, model_class, *, device=None, max_bytes=4 << 30):
    """Read a model written by :func:`save_model` as an instance of ``model_class``.

    This module knows models only through their public methods, so it imports no
    model class: :func:`deepzoo.load_model` passes :class:`~deepzoo.Sequential`.
    ``device`` is where the loaded model computes; a file saved from one device
    loads on any other.
    """
    archive = _Archive(path, max_bytes)
    with archive.zip:
        meta = _read_meta(archive)
        if meta.get("kind") == "weights":
            raise ModelFileError(f"{path} holds weights only; build the model and call "
                                 f"model.load_weights(path)")
        planned = _layers_checked_against_arrays(archive, meta)
        description = meta["model"]
        model = model_class([layer for layer, _ in planned], name=description["name"],
                            input_shape=tuple(description["input_shape"]), dtype=description["dtype"],
                            seed=np.random.default_rng(), device=device)
        # each parameter is allocated once, from the file: no initializer runs
        model.build(weights={layer.name: {key: archive.array(f"weights/{layer.name}/{key}", shape)
                                          for key, shape in shapes.items()}
                             for layer, shapes in planned})
        if meta.get("compile") is not None:
            _restore_compile(archive, model, meta["compile"])
        if "rng_state" in meta:
            try:
                model.rng.bit_generator.state = meta["rng_state"]
            except Exception as exc:  # numpy validates the state: any of its errors
                raise ModelFileError(f"{path}: invalid random generator state "
                                     f"({type(exc).__name__}: {exc})") from None
    return model


def _restore_compile(archive, model, config):
    path = archive.path
    _expect(isinstance(config, dict), path, "'compile' must be an object")
    for key in ("optimizer", "loss"):
        _expect(isinstance(config.get(key), dict), path, f"'compile.{key}' must be an object")
    metrics = config.get("metrics", [])
    _expect(isinstance(metrics, list) and all(isinstance(m, str) for m in metrics), path,
            "'compile.metrics' must be a list of strings")
    optimizer = _make(registry.optimizers, config["optimizer"], "optimizer", path, Optimizer)
    loss = _make(registry.losses, config["loss"], "loss", path, Loss)
    try:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    except DeepZooError as exc:
        raise ModelFileError(f"{path}: cannot compile the stored model: {exc}") from None
    iterations = config["optimizer"].get("iterations", 0)
    scalars = config["optimizer"].get("scalars", {})
    _expect(isinstance(iterations, int) and not isinstance(iterations, bool) and iterations >= 0, path,
            "'optimizer.iterations' must be an integer >= 0")
    _expect(isinstance(scalars, dict), path, "'optimizer.scalars' must be an object")
    optimizer.iterations = iterations
    params = {f"{layer.name}/{key}": param for layer in model.layers for key, param in layer.params.items()}
    for key, values in scalars.items():
        _expect(key in params and isinstance(values, dict), path,
                f"optimizer state for unknown parameter '{key}'")
        state = optimizer.init_state(model.ops, params[key])
        for name in state:
            if f"optimizer/{key}/{name}.npy" in archive.entries:
                array = archive.array(f"optimizer/{key}/{name}", params[key].shape)
                state[name] = model.ops.asarray(array.astype(model.dtype, copy=False))
            else:
                value = values.get(name)
                _expect(value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)),
                        path, f"optimizer state '{key}/{name}'")
                state[name] = value
        optimizer.state[key] = state
    optimizer._flat = None  # the flat state is made again from these


def save_weights(model, path) -> None:
    """Write only the weights of ``model`` (with its architecture, for checking)."""
    save_model(model, path, weights_only=True)


def load_weights(model, path, *, max_bytes=4 << 30) -> None:
    """Load weights saved by :func:`save_weights` or :func:`save_model` into a built model.

    Layers are matched by name; a missing layer or a shape that differs raises an error
    naming the layer.
    """
    if not model.built:
        model.build()
    archive = _Archive(path, max_bytes)
    with archive.zip:
        _read_meta(archive)
        values = {}
        for layer in model.layers:
            for key, param in layer.params.items():
                name = f"weights/{layer.name}/{key}"
                if f"{name}.npy" not in archive.entries:
                    raise ShapeError(f"{path} has no weight '{key}' for layer '{layer.name}'")
                stored, _ = archive.header(name)
                if stored != tuple(param.shape):
                    raise ShapeError(f"layer '{layer.name}': weight '{key}' in {path} has shape "
                                     f"{stored}, the layer has {tuple(param.shape)}")
                values.setdefault(layer.name, {})[key] = archive.array(name, stored)
        for layer in model.layers:
            if layer.params:
                layer.set_weights(values[layer.name])
