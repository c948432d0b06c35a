"""The ``deepzoo`` command line (click).

``deepzoo --version``, ``deepzoo list [KIND]``, ``deepzoo info``,
``deepzoo demo NAME``, ``deepzoo predict`` and ``deepzoo playground``. Demos are
click commands registered in the ``deepzoo.demos`` entry-point group, so plugins
can add their own. The CLI holds no training logic: each demo calls a plain
function that the tutorials and tests call too.
"""

from __future__ import annotations

import math
import os
import platform
import sys

import click

from . import registry
from ._version import __version__
from .demos.common import OutputFile
from .errors import DeepZooError


class _Group(click.Group):
    """A click group that turns deepzoo errors into one-line messages on stderr.

    A bad option prints one line too (``Error: Invalid value for '--epochs': ...``;
    ``--help`` shows the usage) and exits with 2; Ctrl-C exits with 130 wherever it
    comes, before, during or after training.
    """

    def main(self, *args, standalone_mode=True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("interrupted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        import numpy as np

        try:
            # overflow on the way to a NaN loss is reported once, by TerminateOnNaN,
            # rather than as NumPy warnings
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return super().invoke(ctx)
        except DeepZooError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:  # Ctrl-C before or between trainings: 130, as during one
            click.echo("interrupted", err=True)
            ctx.exit(130)


class _DemoGroup(_Group):
    """Subcommands come from the demo registry, imported only when chosen."""

    def list_commands(self, ctx):
        return [name.replace("_", "-") for name in registry.demos.names()]

    def get_command(self, ctx, name):
        if name not in registry.demos:
            return None
        command = registry.demos.get(name)
        command.name = name.replace("_", "-")  # its function is called `command`; say its own name
        return command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deepzoo")
def main():
    """deepzoo: learn deep learning by running it.

    Start with `deepzoo demo xor`, then `deepzoo demo` for the other demos.
    """


@main.command("list")
@click.argument("kind", required=False, type=click.Choice(sorted(registry.REGISTRIES)))
def list_command(kind):
    """List the registered layers, activations, losses, optimizers or demos."""
    kinds = [kind] if kind else list(registry.REGISTRIES)
    for k in kinds:
        reg = registry.REGISTRIES[k]
        click.echo(f"{k}:")
        for name in reg.names():
            shown = name.replace("_", "-") if k == "demos" else name  # as `deepzoo demo` spells it
            click.echo(f"  {shown:<34}{reg.find_source(name)}")


@main.command()
def info():
    """Versions, BLAS, threads and whether a CUDA GPU can be used."""
    import numpy as np

    from .backend import current_backend, get_ops
    from .backend.cpu.threads import cpu_count

    try:
        import numba

        numba_version = numba.__version__
    except ImportError as exc:  # pragma: no cover - numba is a dependency
        numba_version = f"not importable ({exc})"
    rows = [
        ("deepzoo", __version__),
        ("python", f"{platform.python_version()} ({platform.machine()})"),
        ("numpy", np.__version__),
        ("numba", numba_version),
        ("blas", _blas_name()),
        ("cpu cores", str(os.cpu_count())),
        ("cpu threads", f"{cpu_count()} (DEEPZOO_NUM_THREADS or NumbaCPUOps(threads=...) sets another count)"),
        ("backend", f"{get_ops().describe()} (the default, {current_backend()!r})"),
        ("cuda", _cuda_status()),
    ]
    for key, value in rows:
        click.echo(f"{key:<15}{value}")


def _blas_name() -> str:
    import numpy as np

    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy without mode="dicts"
        return "unknown"


def _cuda_status() -> str:
    from .backend import cuda_status

    return cuda_status().describe()


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: a free one).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; print the address only.")
@click.option("--device", default=None, metavar="DEVICE", help="Where to train: cpu (numba), numpy, cuda.")
@click.option("--data-dir", type=click.Path(exists=True, file_okay=False), metavar="DIR", default=None,
              help="Folder with the Pima file, for its data set (default: DEEPZOO_DATA, then the cache).")
def playground(port, no_browser, device, data_dir):
    """A neural-network playground in the browser, training deepzoo models live.

    Build a small network, watch it learn a data set in the plane, then take the
    deepzoo program that reproduces the run. Lecture: 'Neural networks'
    (universal approximation) and 'Can neural networks solve 2+2?' (XOR).
    """
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
        import websockets  # noqa: F401
    except ImportError as exc:
        raise DeepZooError(f"the playground needs its extra ({exc.name} is missing): "
                           f"pip install '.[playground]' from the repository") from None
    from .backend import get_ops
    from .playground.server import serve

    if device is not None:
        get_ops(device)  # an unusable device fails here, before the server starts
    serve(port=port, open_browser=not no_browser, device=device, data_dir=data_dir)


@main.command()
@click.argument("model_path", type=click.Path(exists=True, dir_okay=False))
@click.argument("input_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--output", "output_path", type=OutputFile((".npy",)), metavar="FILE", default=None,
              help="Write the predictions to this .npy file instead of printing them.")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True,
              help="Samples per forward pass.")
def predict(model_path, input_path, output_path, batch_size):
    """Run a saved model on the samples of INPUT_PATH (a .npy array, batch first)."""
    import numpy as np

    from .model import load_model
    from .saving import save_array

    if output_path and os.path.realpath(output_path) == os.path.realpath(model_path):
        raise click.ClickException(f"--output {output_path} is the model file itself; choose another file")
    model = load_model(model_path)
    inputs = _read_inputs(input_path)
    outputs = model.predict(inputs, batch_size=batch_size)
    if output_path:
        save_array(output_path, outputs)
        click.echo(f"{len(outputs)} predictions of shape {outputs.shape[1:]} written to {output_path}")
        return
    classes = outputs.ndim == 2 and outputs.shape[1] > 1
    for i, row in enumerate(outputs):
        values = np.array2string(np.asarray(row), precision=4, suppress_small=True, max_line_width=120)
        click.echo(f"{i}: class {int(np.argmax(row))}  {values}" if classes else f"{i}: {values}")


#: the largest input file ``predict`` reads (its header is checked before any allocation)
MAX_INPUT_BYTES = 4 << 30


def _read_inputs(path):
    """The array in the .npy file ``path``, its header checked before its data is read."""
    import numpy as np

    from .saving import read_npy_header

    try:
        with open(path, "rb") as f:
            shape, _, dtype = read_npy_header(f)
            size = math.prod(shape) * dtype.itemsize
            if dtype.hasobject or dtype.kind not in "biuf":
                raise ValueError(f"its dtype is {dtype}, not a number type")
            if size > MAX_INPUT_BYTES:
                raise ValueError(f"its header declares {size:,} bytes (shape {shape}), more than "
                                 f"{MAX_INPUT_BYTES:,}")
            f.seek(0)
            return np.load(f, allow_pickle=False)
    except (ValueError, OSError, EOFError, OverflowError, SyntaxError) as exc:
        raise click.ClickException(f"{path} is not a .npy array of numbers ({exc})") from None


@main.group(cls=_DemoGroup, invoke_without_command=True)
@click.pass_context
def demo(ctx):
    """Run a demo; without a name, list them with the lecture each follows."""
    if ctx.invoked_subcommand is None:
        click.echo("Demos (run `deepzoo demo NAME --help` for options):")
        for name in registry.demos.names():
            try:
                command = registry.demos.get(name)
                name = name.replace("_", "-")
                about = getattr(command, "lecture", None) or command.get_short_help_str(60)
            except DeepZooError as exc:
                about = f"(unavailable: {exc})"
            click.echo(f"  {name:<14}{about}")
