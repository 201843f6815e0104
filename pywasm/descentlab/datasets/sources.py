"""Where a spec's points come from: a name, a recipe or uploaded points.

The ``"network"`` and ``"dataset"`` specs (and the t-SNE spec, for names) hold
a ``dataset`` object that names its points in one of these ways::

    {"name": "moons", "n": 300, "noise": 0.2, "seed": 0}   # a generator, or "digits"
    {"recipe": {"components": [...], "seed": 0}}            # see recipes.py
    {"points": [[x, y, ...], ...], "labels": [0, 1, ...]}

The readers here check one of them completely, within the shared limits of
:mod:`descentlab.datasets.limits` (a spec kind passes its own bounds where it has
them), and :func:`load` turns a checked one into arrays.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import SpecError
from ..fields import Fields, check_number
from .digits import DIGITS_SHAPE, load_digits
from .generators import GENERATORS, generate
from .limits import MAX_ABS, MAX_CLASSES, MAX_FEATURES, MAX_SAMPLES, MAX_SEED
from .recipes import from_recipe, recipe_size, validate_recipe

MIN_POINTS = 2  # uploaded points to look at: a preview needs no validation part


def make(name: str, n: int | None = None, noise: float | None = None,
         classes: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Build dataset ``name`` (a key of ``GENERATORS``, or ``"digits"``).

    Parameters
    ----------
    name : str
    n : int, optional
        Number of points (default from ``GENERATORS``).  For digits: if given,
        a seeded random subset of ``n`` rows; all 1797 otherwise.
    noise : float, optional
        Standard deviation of the Gaussian noise (ignored for digits).
    classes : int, optional
        Number of classes, where the generator has that parameter.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    X : ndarray of float64, shape (n, 2), or (n, 64) for digits
    y : ndarray of int64, shape (n,)
    """
    rng = np.random.default_rng(check_number(seed, "seed", 0, MAX_SEED, integer=True))
    if name != "digits":
        return generate(name, n, noise, classes, rng)
    X, y = load_digits()
    if n is None:
        return X, y
    keep = rng.permutation(DIGITS_SHAPE[0])[:check_number(n, "n", 1, DIGITS_SHAPE[0], integer=True)]
    return X[keep], y[keep]


def read_named(d: Fields, key: str, min_n: int, max_n: int) -> dict:
    """A generator (or the digits) and its parameters, read from one spec object.

    Parameters
    ----------
    d : fields.Fields
        The object holding ``key`` (the dataset's name), its parameters and ``seed``.
    key : str
        Field of the name, e.g. ``"name"``.
    min_n, max_n : int
        The spec kind's own bounds on ``n``, within the generator's.

    Returns
    -------
    dict
        ``{key: name, <parameters>, "seed": s}``, every default filled in.
    """
    name = d.choice(key, [*GENERATORS, "digits"])
    out = {key: name}
    if name == "digits":
        if d.has("n"):
            out["n"] = d.number("n", min_n, DIGITS_SHAPE[0], integer=True)
    else:
        for param, p in GENERATORS[name].params.items():
            if param == "seed":
                continue
            lo = max(p["min"], min_n) if param == "n" else p["min"]
            hi = min(p["max"], max_n) if param == "n" else p["max"]
            out[param] = d.number(param, lo, hi, p["default"], integer=param in ("n", "classes"))
    out["seed"] = d.number("seed", 0, MAX_SEED, 0, integer=True)
    return out


def read_recipe(d: Fields, min_points: int | None = None) -> dict:
    """``{"recipe": checked recipe}``; with ``min_points``, it must make that many points and two classes."""
    recipe = validate_recipe(d.value("recipe"), d.field("recipe"))
    if min_points is not None:
        points, classes = recipe_size(recipe)
        if points < min_points:
            raise SpecError(d.field("recipe"), f"must make at least {min_points} points, got {points}")
        if classes < 2:
            raise SpecError(d.field("recipe"), f"must make at least 2 classes, got {classes}")
    return {"recipe": recipe}


def read_points(d: Fields, min_points: int = MIN_POINTS) -> dict:
    """Uploaded ``points`` and ``labels``, checked; ``{"points": X (n, d), "labels": y (n,)}``."""
    points = d.array("points", min_points, MAX_SAMPLES)
    labels = d.array("labels", len(points), len(points))
    X = _coordinates(d, points)
    for i, v in enumerate(labels):
        # the range first: float() of an integer too large for a float raises
        if (isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 <= v < MAX_CLASSES
                or not float(v).is_integer()):
            check_number(v, d.field(f"labels[{i}]"), 0, MAX_CLASSES - 1, integer=True)  # raises
    y = [int(v) for v in labels]
    if len(set(y)) < 2:
        raise SpecError(d.field("labels"), "must contain at least 2 classes")
    return {"points": X, "labels": np.array(y, dtype=np.int64)}


def _coordinates(d: Fields, points: list) -> np.ndarray:
    """The rows of ``points`` as an (n, d) float64 array: equal lengths, finite, at most ``MAX_ABS``."""
    first = points[0]
    if not isinstance(first, list) or not 1 <= len(first) <= MAX_FEATURES:
        raise SpecError(d.field("points[0]"), f"must be a list of 1 to {MAX_FEATURES} numbers")
    width = len(first)
    for i, row in enumerate(points):
        if not isinstance(row, list) or len(row) != width:
            raise SpecError(d.field(f"points[{i}]"), f"must have {width} numbers like the first row")
    # JSON gives ints and floats; anything else is found and named the slow way
    if not {type(v) for row in points for v in row} <= {int, float}:
        for i, row in enumerate(points):
            for j, v in enumerate(row):
                if isinstance(v, bool) or not isinstance(v, numbers.Real):
                    check_number(v, d.field(f"points[{i}][{j}]"), -MAX_ABS, MAX_ABS)  # raises, naming the type
    try:
        X = np.array(points, dtype=np.float64)
    except OverflowError:  # an integer too large for a float: out of range, find and name it
        X = np.array([[v if abs(v) <= MAX_ABS else np.inf for v in row] for row in points], dtype=np.float64)
    bad = ~(np.abs(X) <= MAX_ABS)  # also catches nan
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        check_number(points[i][j], d.field(f"points[{i}][{j}]"), -MAX_ABS, MAX_ABS)
    return X


def load(data: dict) -> tuple[np.ndarray, np.ndarray]:
    """The points and labels of a checked ``dataset`` object: (X (n, d) float64, y (n,) int64)."""
    if "points" in data:
        return np.array(data["points"], dtype=np.float64), np.array(data["labels"], dtype=np.int64)
    if "recipe" in data:
        return from_recipe(data["recipe"])
    return make(data["name"], n=data.get("n"), noise=data.get("noise"), classes=data.get("classes"),
                seed=data["seed"])


__all__ = ["make", "read_named", "read_recipe", "read_points", "load", "MIN_POINTS"]
