"""Run every tutorial as the notebook a reader downloads, each in a fresh empty folder.

    python docs/run_notebooks.py docs/tutorials      # after sphinx-build made the notebooks

The documentation build runs the tutorials as scripts; this runs the ``.ipynb``
files that sphinx-gallery makes from them, through a Jupyter kernel (nbclient),
the way a reader opens them: away from the repository, with only deepzoo
installed. A notebook that raises fails, and a tutorial that draws figures must
have them in its output cells (images, not a text repr).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run(notebook: Path) -> int:
    """Execute one notebook in a fresh folder; returns how many images its outputs hold."""
    book = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(notebook, folder)
        client = NotebookClient(book, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": folder}})
        client.execute()
    return sum(1 for cell in book.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
               if "image/png" in output.get("data", {}))


def main(folder):
    notebooks = sorted(Path(folder).glob("*.ipynb"))
    if not notebooks:
        sys.exit(f"no notebooks in {folder}: build the documentation first")
    failures = []
    for notebook in notebooks:
        source = notebook.with_suffix(".py").read_text() if notebook.with_suffix(".py").exists() else ""
        try:
            images = run(notebook)
        except Exception as exc:  # the notebook's own error, shown with its name
            failures.append(f"{notebook.name}: {type(exc).__name__}: {str(exc)[-1500:]}")
            continue
        draws = "plot_" in source or "plt." in source
        print(f"{notebook.name}: ran, {images} figure(s) in its outputs")
        if draws and images == 0:
            failures.append(f"{notebook.name} draws figures, but none is in its outputs")
    if failures:
        sys.exit("\n".join(failures))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/tutorials")
