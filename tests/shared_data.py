"""Where the tests find the lectures' data sets, and the marks that skip without them.

The tests never download: they read ``DEEPZOO_DATA`` or, where it is unset, the
``shared/data`` folder beside the repository's folder. A test that needs a data
set that is in neither place is skipped, saying which file it wanted.
"""

import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("DEEPZOO_DATA", Path(__file__).parents[2] / "shared" / "data"))
PIMA = DATA / "pima-indians-diabetes.csv"

needs_mnist = pytest.mark.skipif(
    not (DATA / "mnist").is_dir(),
    reason=f"the MNIST files are not in {DATA / 'mnist'} (set DEEPZOO_DATA to a folder holding them)")
needs_pima = pytest.mark.skipif(
    not PIMA.is_file(),
    reason=f"{PIMA.name} is not in {DATA} (set DEEPZOO_DATA to a folder holding it)")
