"""Checks of user-supplied arrays and arguments, with messages that say what to fix.

Every function raises a :class:`~deepzoo.errors.DeepZooError` subclass naming the
argument, what was expected and what was received.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError, DataError


def numeric_array(name: str, value) -> np.ndarray:
    """``value`` as a NumPy array of numbers with no NaN or infinity."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists, for instance
        raise DataError(f"{name} could not be turned into an array: {exc}") from None
    if array.dtype.kind not in "biuf":
        raise DataError(
            f"{name} must hold numbers; received an array of dtype {array.dtype} "
            f"(first element {array.flat[0]!r})" if array.size else
            f"{name} must hold numbers; received an empty array of dtype {array.dtype}"
        )
    if array.ndim == 0:
        raise DataError(f"{name} must be an array with a batch axis; received the scalar {array!r}")
    if array.shape[0] == 0:
        raise DataError(f"{name} is empty: received an array of shape {array.shape}")
    if array.dtype.kind == "f":
        _require_finite(name, array)
    return array


def _require_finite(name: str, array: np.ndarray) -> None:
    # A sum is finite exactly when every term is, unless it overflows; only then is
    # the elementwise test (a boolean array as large as the data) needed.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(array.sum()):
            return
    finite = np.isfinite(array)
    if not finite.all():
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise DataError(
            f"{name} contains NaN or infinite values (first at index {where}: "
            f"{array[where]}); remove or fill them before training"
        )


def cast_finite(name: str, array: np.ndarray, dtype) -> np.ndarray:
    """``array`` in ``dtype``, refusing values that the cast turns into infinities
    (``1e300`` in float32), with the column that holds them and its range."""
    with np.errstate(over="ignore", invalid="ignore"):  # the check below says it once, clearly
        cast = array.astype(dtype, copy=False)
    if cast is array or cast.dtype.itemsize >= array.dtype.itemsize and array.dtype.kind == "f":
        return cast
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(cast.sum()):
            return cast
    flat = cast.reshape(len(cast), -1)
    bad = ~np.isfinite(flat)
    if not bad.any():
        return cast
    column = int(np.argwhere(bad.any(axis=0))[0, 0])
    values = array.reshape(len(array), -1)[:, column]
    raise DataError(
        f"{name} holds values beyond the range of {np.dtype(dtype).name} "
        f"(+-{float(np.finfo(dtype).max):.3g}) in column {column}, from {values.min():.3g} to "
        f"{values.max():.3g}; scale the inputs (divide by their largest magnitude, for instance)"
    )


def same_length(x_name: str, x, y_name: str, y) -> None:
    """Refuse arrays with different numbers of samples."""
    if x.shape[0] != y.shape[0]:
        raise DataError(
            f"{x_name} and {y_name} must have the same number of samples: {x_name} has "
            f"{x.shape[0]}, {y_name} has {y.shape[0]}"
        )


def positive_int(where: str, name: str, value) -> int:
    """``value`` as an int >= 1, or a ConfigError naming ``where`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{where}: {name} must be a positive integer, received {value!r}")
    return int(value)


def number_in(where: str, name: str, value, low, high, low_open=False, high_open=False) -> float:
    """``value`` as a float in the interval from ``low`` to ``high`` (each end closed unless
    ``*_open``), or a ConfigError that writes the interval out: ``(0, 1]``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        raise ConfigError(f"{where}: {name} must be a number in {lo}{low}, {high}{hi}, received {value!r}")
    return float(value)


def fraction(where: str, name: str, value) -> float:
    """``value`` as a float in [0, 1), or a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ConfigError(f"{where}: {name} must be a number in [0, 1), received {value!r}")
    return float(value)


def pair(layer: str, arg: str, value) -> tuple:
    """``3`` -> ``(3, 3)``; ``(3, 2)`` stays; anything else is a ConfigError naming the layer."""
    values = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(values) != 2:
        raise ConfigError(f"layer '{layer}': {arg} must be an integer or a pair, received {value!r}")
    return tuple(positive_int(f"layer '{layer}'", arg, v) for v in values)


def check_padding(layer: str, padding):
    """``"valid"``, ``"same"``, an int or an (rows, columns) pair of ints >= 0."""
    if isinstance(padding, str):
        if padding.lower() in ("valid", "same"):
            return padding.lower()
    else:
        values = (padding, padding) if not isinstance(padding, (tuple, list)) else tuple(padding)
        if len(values) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                    for v in values):
            return values
    raise ConfigError(
        f"layer '{layer}': padding must be 'valid', 'same', an integer >= 0 or a pair of them, "
        f"received {padding!r}"
    )
