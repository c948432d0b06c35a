"""The playground's data sets and input features (NumPy only).

Every data set is a set of points ``p`` in the square ``[-6, 6] x [-6, 6]`` with
a target: a class (0 or 1) or, for the regression sets, a number. ``noise`` (0 to
50, in percent, as in the TensorFlow Playground) scatters the points or their
targets. The same name, size, noise and seed always give the same points, so a
program exported from the page rebuilds exactly the data the page trained on.
"""

from __future__ import annotations

import numpy as np

#: the half-width of the input square every data set lives in
EXTENT = 6.0

#: name -> (what the page calls it, "classification" or "regression")
DATASETS = {
    "xor": ("XOR", "classification"),
    "circle": ("Circle", "classification"),
    "gaussians": ("Two Gaussians", "classification"),
    "spiral": ("Spiral", "classification"),
    "moons": ("Moons", "classification"),
    "plane": ("Plane (regression)", "regression"),
    "house": ("House prices (lecture 2)", "regression"),
    "pima": ("Pima: glucose and BMI (lecture 5)", "classification"),
    "sine": ("Universal approximation: sin", "regression"),
}

#: input features the network may see, as functions of the points ``p`` (N, 2)
FEATURES = {
    "x1": lambda p: p[:, 0],
    "x2": lambda p: p[:, 1],
    "x1^2": lambda p: p[:, 0] ** 2,
    "x2^2": lambda p: p[:, 1] ** 2,
    "x1*x2": lambda p: p[:, 0] * p[:, 1],
    "sin(x1)": lambda p: np.sin(p[:, 0]),
    "sin(x2)": lambda p: np.sin(p[:, 1]),
}


def features(points, names) -> np.ndarray:
    """The network's inputs: one column per feature in ``names`` (float32)."""
    return np.column_stack([FEATURES[name](np.asarray(points, dtype=np.float64)) for name in names]) \
        .astype(np.float32)


def make_dataset(name, n=500, noise=0.0, seed=0, data_dir=None):
    """``(points, targets)``: points (N, 2) and targets (N,) of data set ``name``."""
    rng = np.random.default_rng(seed)
    spread = noise / 100.0
    if name == "xor":
        p = rng.uniform(-5, 5, (n, 2))
        p += np.sign(p) * 0.3  # a margin along the axes
        targets = (p[:, 0] * p[:, 1] > 0).astype(np.float32)
        p += rng.normal(0, spread * 5, p.shape)
    elif name == "circle":
        radius = np.concatenate([rng.uniform(0, 2.5, n // 2), rng.uniform(3.5, 5, n - n // 2)])
        angle = rng.uniform(0, 2 * np.pi, n)
        p = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
        p += rng.normal(0, spread * 5, p.shape)
        targets = (np.arange(n) < n // 2).astype(np.float32)
    elif name == "gaussians":
        half = n // 2
        scale = 1 + 2 * spread
        p = np.concatenate([rng.normal(2, scale, (half, 2)), rng.normal(-2, scale, (n - half, 2))])
        targets = (np.arange(n) < half).astype(np.float32)
    elif name == "spiral":
        half = n // 2
        t = np.concatenate([np.linspace(0, 1, half), np.linspace(0, 1, n - half)])
        turn = np.concatenate([np.zeros(half), np.full(n - half, np.pi)])
        radius, angle = 5 * t, 1.75 * 2 * np.pi * t + turn
        p = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
        p += rng.normal(0, spread * 5 + 0.05, p.shape)
        targets = (np.arange(n) < half).astype(np.float32)
    elif name == "moons":
        half = n // 2
        a, b = rng.uniform(0, np.pi, half), rng.uniform(0, np.pi, n - half)
        p = np.concatenate([np.column_stack([np.cos(a) * 3 - 1.5, np.sin(a) * 3 - 0.75]),
                            np.column_stack([1.5 - np.cos(b) * 3, 0.75 - np.sin(b) * 3])])
        p += rng.normal(0, spread * 3 + 0.1, p.shape)
        targets = (np.arange(n) < half).astype(np.float32)
    elif name == "plane":
        p = rng.uniform(-5, 5, (n, 2))
        targets = ((p[:, 0] + p[:, 1]) / 10 + rng.normal(0, spread, n)).astype(np.float32)
    elif name == "house":
        from ..demos.linreg import house_prices

        area, price = house_prices(n=n, seed=seed, noise=0.05 + spread)
        # area 0.3-1.5 (x 100 m^2) along x1; x2 carries nothing
        p = np.column_stack([(area[:, 0] - 0.9) * 8, rng.uniform(-5, 5, n)])
        targets = ((price[:, 0] - 2.55) / 1.5).astype(np.float32)
    elif name == "pima":
        from ..datasets import load_pima

        x, y = load_pima(data_dir=data_dir)
        pick = rng.permutation(len(x))[:n]
        columns = x[pick][:, [1, 5]]  # plasma glucose and body-mass index
        valid = (columns > 0).all(axis=1)  # zeros stand for missing measurements
        columns, y = columns[valid], y[pick][valid]
        p = (columns - columns.mean(axis=0)) / columns.std(axis=0) * 2
        targets = y.astype(np.float32)
    elif name == "sine":
        x1 = np.sort(rng.uniform(-5, 5, n))
        p = np.column_stack([x1, np.zeros(n)])
        targets = (np.sin(x1 * np.pi / 5) + rng.normal(0, spread, n)).astype(np.float32)
    else:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    return np.clip(p, -EXTENT, EXTENT).astype(np.float32), targets.astype(np.float32)


def split(points, targets, train_fraction, seed=0):
    """Shuffle with ``seed`` and cut: ``(train_points, train_targets, test_points, test_targets)``."""
    order = np.random.default_rng(seed + 1).permutation(len(points))
    cut = max(1, min(len(points) - 1, int(round(len(points) * train_fraction))))
    train, test = order[:cut], order[cut:]
    return points[train], targets[train], points[test], targets[test]


def grid(size) -> np.ndarray:
    """``size * size`` points covering the square, row by row from the top (y = +EXTENT)."""
    ticks = np.linspace(-EXTENT, EXTENT, size, dtype=np.float32)
    xs, ys = np.meshgrid(ticks, ticks[::-1])
    return np.column_stack([xs.ravel(), ys.ravel()])
