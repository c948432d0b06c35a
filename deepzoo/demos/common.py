"""What the demo commands share: their options' types, checked before any work, and
what every demo does once its model has trained."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import click

from ..errors import ConfigError, DeepZooError
from ..validation import number_in

#: counts that must be at least 1 (epochs, samples, batch sizes, hidden units)
POSITIVE_INT = click.IntRange(min=1)
#: seeds: NumPy takes any integer >= 0
SEED = click.IntRange(min=0)


class NumberIn(click.ParamType):
    """A number in an interval, checked by :func:`deepzoo.validation.number_in` (nan and, with an
    open end at infinity, inf are refused): ``NumberIn(0, inf, low_open=True)`` is a learning rate."""

    name = "NUMBER"

    def __init__(self, low, high, low_open=False, high_open=False):
        self.bounds = (low, high, low_open, high_open)

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        try:
            return number_in("the option", "the value", number, *self.bounds)
        except ConfigError as exc:
            self.fail(str(exc).split(": ", 1)[1], param, ctx)


class PositiveInts(click.ParamType):
    """Comma-separated integers >= 1: ``1,3,10,50``."""

    name = "N,N,..."

    def convert(self, value, param, ctx):
        if isinstance(value, (list, tuple)):
            return list(value)
        try:
            numbers = [int(part) for part in str(value).split(",")]
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of integers, e.g. 1,3,10", param, ctx)
        if any(n < 1 for n in numbers):
            self.fail(f"{value!r}: every number must be at least 1", param, ctx)
        return numbers


#: a learning rate: finite and > 0
POSITIVE_NUMBER = NumberIn(0, math.inf, low_open=True, high_open=True)
#: a share of the data, in [0, 1)
FRACTION = NumberIn(0, 1, high_open=True)

#: file types matplotlib writes
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp")


class OutputFile(click.ParamType):
    """A file the command will write: its folder must exist and be writable, and it must not
    be a folder; with ``suffixes``, its extension must be one of them. Checked before training."""

    name = "FILE"

    def __init__(self, suffixes=None):
        self.suffixes = suffixes

    def convert(self, value, param, ctx):
        path = Path(value)
        if path.is_dir():
            self.fail(f"{value} is a folder; give a file name", param, ctx)
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            self.fail(f"the folder {folder} does not exist", param, ctx)
        if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
            self.fail(f"{value} cannot be written here (no permission)", param, ctx)
        if self.suffixes and path.suffix.lower() not in self.suffixes:
            self.fail(f"{value}: the file type must be one of {', '.join(self.suffixes)}", param, ctx)
        return str(path)


#: a folder of data files that must exist
DATA_DIR = click.Path(exists=True, file_okay=False)
PLOT_FILE = OutputFile(PLOT_SUFFIXES)

save_option = click.option("--save", "save_path", type=OutputFile(), metavar="FILE", default=None,
                           help="Save the trained model to this file (load it with "
                                "deepzoo.load_model, or use it with `deepzoo predict`).")


device_option = click.option("--device", default="cpu", show_default=True,
                             help="Where to train: cpu (numba), numpy (the reference) or cuda "
                                  "(an NVIDIA GPU, with deepzoo[cuda]).")


def finish(model, save_path=None) -> None:
    """Save the model if asked, then end the command if training did not complete.

    Ctrl-C during training exits with code 130 after one line on stderr; a loss
    that became NaN or infinite is reported as an error (exit code 1).
    """
    if save_path:
        model.save(save_path)
        click.echo(f"model saved to {save_path}", err=True)
    if model.interrupted is not None:
        epoch, steps = model.interrupted
        click.echo(f"interrupted during epoch {epoch + 1} after {steps} steps; the weights of "
                   f"the last completed step are kept" + (" and saved" if save_path else ""), err=True)
        sys.exit(130)
    if model.stop_reason:
        raise DeepZooError(model.stop_reason)
