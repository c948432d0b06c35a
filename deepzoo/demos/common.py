"""What every demo command does once its model has trained."""

from __future__ import annotations

import sys

import click

from ..errors import DeepZooError

save_option = click.option("--save", "save_path", type=click.Path(dir_okay=False), default=None,
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
