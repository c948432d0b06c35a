"""The Pima Indians diabetes data set: 768 women, 8 measurements, diabetes within 5 years.

Columns: times pregnant, plasma glucose, diastolic blood pressure, triceps skin
fold, 2-hour serum insulin, body-mass index, diabetes pedigree function, age,
and the outcome (0 or 1). Missing measurements are recorded as 0, as in the
original data. Source: the National Institute of Diabetes and Digestive and
Kidney Diseases; donated by V. Sigillito (1990).
"""

from __future__ import annotations

import io

import numpy as np

from ..errors import DataError
from .fetch import fetch

URL = "https://raw.githubusercontent.com/jbrownlee/Datasets/master/"
FILE = "pima-indians-diabetes.csv"
SHA256 = "6bfe5d0f379d17a0e0819b996407e3c09bf80febd4287f2ed212190dfff154af"
FEATURES = ["pregnancies", "glucose", "blood_pressure", "skin_thickness", "insulin", "bmi",
            "pedigree", "age"]


def load_pima(data_dir=None, cache_dir=None, url=URL):
    """The data as ``(x, y)``: ``x`` float64 ``(768, 8)``, ``y`` int64 ``(768,)``.

    Files are found or downloaded as for :func:`~deepzoo.datasets.load_mnist`.
    """
    data = fetch("Pima Indians diabetes", {FILE: SHA256}, "pima", url, data_dir=data_dir,
                 cache_dir=cache_dir)[FILE]
    table = np.loadtxt(io.BytesIO(data), delimiter=",", ndmin=2)
    if table.shape[1] != 9:
        raise DataError(f"{FILE}: expected 9 columns, found {table.shape[1]}")
    return table[:, :8], table[:, 8].astype(np.int64)
