"""Classification datasets: seeded 2-D toy generators and the 8×8 digits.

Every 2-D generator returns ``(X, y)`` with ``X`` float64 of shape ``(n, 2)`` and
``y`` int64 of shape ``(n,)``.  Classes are balanced (their sizes differ by at
most one) and the rows are shuffled.  All randomness comes from
``np.random.default_rng(seed)`` (``random``, ``standard_normal``,
``permutation``) and the trigonometry from the deterministic kernels, so a seed
gives the same bytes natively and in the browser.  Noise is isotropic Gaussian
with standard deviation ``noise``, added to both coordinates.

Besides the generators: ``load_digits`` (the real handwritten-digits data),
``make`` (one entry point for all of them), ``from_recipe`` (compose several
generated pieces, as the presets in ``datasets/*.json`` do), ``standardize`` and
``train_val_split``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from . import kernels as K
from .errors import SpecError
from .validate import check_number, key_name

TWO_PI = 2.0 * K.PI
CIRCLES_FACTOR = 0.5  # radius of the inner circle relative to the outer one
SPIRAL_TURNS = 1.0  # full turns each spiral arm makes
SPIRAL_R0 = 0.1  # inner radius where the arms start (they would all touch at 0)
BLOB_RADIUS = 2.0  # blob centres sit evenly on a circle of this radius
CHECKER_TILES = 4  # tiles per side of the checkerboard on [-1, 1]²
LINEAR_MARGIN = 0.1  # gap on each side of the separating line (before noise)
MAX_SEED = 2**32 - 1  # every seed of the lab (datasets, networks, t-SNE) is at most this

DIGITS_FILE = "digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
DIGITS_SHAPE = (1797, 64)
# Inside the installed wheel, then the repository's datasets/ when run from source.
DIGITS_PATHS = (
    Path(__file__).resolve().parent / "data" / DIGITS_FILE,
    Path(__file__).resolve().parents[2] / "datasets" / DIGITS_FILE,
)


class Generator(NamedTuple):
    """A 2-D dataset generator.

    Attributes
    ----------
    name : str
    title : str
    fn : callable
        ``fn(n, noise, classes, rng) -> (X, y)``.
    params : dict
        ``{name: {"default": d, "min": lo, "max": hi}}`` for ``n``, ``noise``,
        ``seed`` and, where the number of classes can vary, ``classes``.
    description : str
    """

    name: str
    title: str
    fn: Callable
    params: dict
    description: str


def _class_sizes(n: int, classes: int) -> list[int]:
    """Split ``n`` into ``classes`` sizes that differ by at most one."""
    return [n // classes + (1 if c < n % classes else 0) for c in range(classes)]


def _finish(parts: list[np.ndarray], noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-class points, label them 0, 1, ..., add noise, shuffle."""
    X = np.concatenate(parts, axis=0)
    y = np.concatenate([np.full(len(p), c, dtype=np.int64) for c, p in enumerate(parts)])
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _polar(r, angle) -> np.ndarray:
    return np.stack([r * K.cos(angle), r * K.sin(angle)], axis=1)


def moons(n, noise, classes, rng):
    """Two interleaving half circles (upper one class 0), centred on the origin."""
    n0, n1 = _class_sizes(n, 2)
    t0 = K.PI * rng.random(n0)
    t1 = K.PI * rng.random(n1)
    upper = _polar(1.0, t0) - np.array([0.5, 0.25])
    lower = np.array([0.5, 0.25]) - _polar(1.0, t1)  # the upper moon turned over and shifted
    return _finish([upper, lower], noise, rng)


def circles(n, noise, classes, rng):
    """A circle of radius 1 (class 0) around one of radius 0.5 (class 1)."""
    n0, n1 = _class_sizes(n, 2)
    outer = _polar(1.0, TWO_PI * rng.random(n0))
    inner = _polar(CIRCLES_FACTOR, TWO_PI * rng.random(n1))
    return _finish([outer, inner], noise, rng)


def spirals(n, noise, classes, rng):
    """``classes`` spiral arms wound around the origin, one class per arm."""
    parts = []
    for c, size in enumerate(_class_sizes(n, classes)):
        t = rng.random(size)  # position along the arm, 0 (centre) to 1 (outside)
        r = SPIRAL_R0 + (1.0 - SPIRAL_R0) * t
        parts.append(_polar(r, TWO_PI * (c / classes + SPIRAL_TURNS * t)))
    return _finish(parts, noise, rng)


def blobs(n, noise, classes, rng):
    """Gaussian blobs (std ``noise``) centred evenly on a circle, one per class."""
    parts = []
    for c, size in enumerate(_class_sizes(n, classes)):
        centre = _polar(np.array([BLOB_RADIUS]), np.array([TWO_PI * c / classes]))
        parts.append(np.repeat(centre, size, axis=0))
    return _finish(parts, noise, rng)


def blob(n, noise, classes, rng):
    """One Gaussian cluster (std ``noise``) at the origin, all class 0: a recipe part."""
    return _finish([np.zeros((n, 2))], noise, rng)


def xor(n, noise, classes, rng):
    """Uniform points in [-1, 1]²: class 0 where x and y have equal signs."""
    parts = []
    for c, size in enumerate(_class_sizes(n, 2)):
        mag = rng.random((size, 2))  # |x|, |y| in [0, 1)
        s = np.where(rng.random(size) < 0.5, 1.0, -1.0)  # which of the two quadrants
        sign_y = s if c == 0 else -s
        parts.append(np.stack([s * mag[:, 0], sign_y * mag[:, 1]], axis=1))
    return _finish(parts, noise, rng)


def checkerboard(n, noise, classes, rng):
    """Uniform points on a 4×4 checkerboard over [-1, 1]²; the colour is the class."""
    tile = 2.0 / CHECKER_TILES
    ij = np.array([(i, j) for i in range(CHECKER_TILES) for j in range(CHECKER_TILES)])
    parts = []
    for c, size in enumerate(_class_sizes(n, 2)):
        tiles = ij[(ij[:, 0] + ij[:, 1]) % 2 == c]  # the 8 tiles of colour c
        k = np.minimum(np.floor(len(tiles) * rng.random(size)), len(tiles) - 1)
        corner = tiles[k.astype(np.int64)].astype(np.float64)
        parts.append(-1.0 + tile * (corner + rng.random((size, 2))))
    return _finish(parts, noise, rng)


def linear(n, noise, classes, rng):
    """Uniform points in [-1, 1]² split by a random line through the origin.

    Points on the wrong side are mirrored across the line and every point is
    pushed ``LINEAR_MARGIN`` away from it, so without noise the classes are
    separable with a margin.
    """
    phi = TWO_PI * rng.random()
    w = np.array([K.cos(phi), K.sin(phi)])  # unit normal of the line
    parts = []
    for c, size in enumerate(_class_sizes(n, 2)):
        side = 1.0 if c == 1 else -1.0
        u = 2.0 * rng.random((size, 2)) - 1.0
        d = u[:, 0] * w[0] + u[:, 1] * w[1]  # signed distance to the line
        d_fixed = np.where(side * d < 0.0, -d, d)  # mirror onto the class's side
        u = u + (d_fixed - d)[:, None] * w + side * LINEAR_MARGIN * w
        parts.append(u)
    return _finish(parts, noise, rng)


def _params(noise_default: float, noise_max: float, classes: tuple[int, int, int] | None):
    p = {
        "n": {"default": 200, "min": 4, "max": 5000},
        "noise": {"default": noise_default, "min": 0.0, "max": noise_max},
        "seed": {"default": 0, "min": 0, "max": MAX_SEED},
    }
    if classes is not None:
        p["classes"] = dict(zip(("default", "min", "max"), classes))
    return p


GENERATORS: dict[str, Generator] = {
    g.name: g
    for g in [
        Generator("moons", "Two moons", moons, _params(0.1, 1.0, None),
                  "Two interleaving half circles: not linearly separable, but smooth."),
        Generator("circles", "Circles", circles, _params(0.05, 1.0, None),
                  "A ring around a smaller ring: the boundary must close around the centre."),
        Generator("spirals", "Spirals", spirals, _params(0.05, 1.0, (2, 2, 6)),
                  "Interleaved spiral arms, one per class: needs a deep or wide network."),
        Generator("blobs", "Blobs", blobs, _params(0.5, 2.0, (3, 2, 8)),
                  "Gaussian clusters around a circle, one per class: nearly linear."),
        Generator("xor", "XOR", xor, _params(0.05, 1.0, None),
                  "Opposite quadrants share a class: the classic problem a linear model fails."),
        Generator("checkerboard", "Checkerboard", checkerboard, _params(0.02, 1.0, None),
                  "A 4×4 board of alternating squares: many small regions to carve out."),
        Generator("linear", "Linearly separable", linear, _params(0.05, 1.0, None),
                  "Two classes on either side of a random line: a single layer suffices."),
    ]
}
FIXED_CLASSES = 2  # generators without a "classes" parameter make two classes

# Recipes may also use building blocks that are not datasets on their own.
RECIPE_GENERATORS: dict[str, Generator] = {
    **GENERATORS,
    "blob": Generator("blob", "Single blob", blob, _params(0.3, 2.0, (1, 1, 1)),
                      "One Gaussian cluster at the origin, one class: place it with shift."),
}


def _check(field: str, value, spec: dict, integer: bool):
    if integer and (isinstance(value, bool) or int(value) != value):
        raise SpecError(field, f"must be an integer, got {value!r}")
    value = int(value) if integer else float(value)
    if not spec["min"] <= value <= spec["max"]:
        raise SpecError(field, f"must be between {spec['min']} and {spec['max']}, got {value}")
    return value


def _generate(name: str, n, noise, classes, rng, field: str = ""):
    """Validate the parameters of generator ``name`` and run it with ``rng``.

    ``field`` is the spec path of a recipe component ("" outside recipes).
    """
    in_recipe = bool(field)  # recipes compose 2-D generators and "blob", not digits
    registry = RECIPE_GENERATORS if in_recipe else GENERATORS
    if name not in registry:
        allowed = sorted(registry) + ([] if in_recipe else ["digits"])
        raise SpecError(field + "generator" if in_recipe else "dataset",
                        f"unknown dataset {name!r}; allowed: {allowed}")
    g = registry[name]
    p = g.params
    n = _check(field + "n", p["n"]["default"] if n is None else n, p["n"], True)
    noise = _check(field + "noise", p["noise"]["default"] if noise is None else noise,
                   p["noise"], False)
    if "classes" in p:
        classes = p["classes"]["default"] if classes is None else classes
        classes = _check(field + "classes", classes, p["classes"], True)
    elif classes is not None and classes != FIXED_CLASSES:
        raise SpecError(field + "classes", f"{name!r} always has {FIXED_CLASSES} classes")
    else:
        classes = FIXED_CLASSES
    return g.fn(n, noise, classes, rng)


# --- handwritten digits ----------------------------------------------------------


@lru_cache(maxsize=1)
def _read_digits() -> tuple[np.ndarray, np.ndarray]:
    path = next((p for p in DIGITS_PATHS if p.is_file()), None)
    if path is None:
        raise FileNotFoundError(f"{DIGITS_FILE} not found; looked in "
                                + ", ".join(str(p) for p in DIGITS_PATHS))
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != DIGITS_SHA256:
        raise ValueError(f"{path} does not have the expected sha256 {DIGITS_SHA256}")
    lines = gzip.decompress(raw).decode("ascii").splitlines()
    table = np.array([[int(v) for v in row] for row in csv.reader(lines)], dtype=np.int64)
    X = table[:, :-1].astype(np.float64)  # 64 pixel counts, 0..16
    y = table[:, -1]  # the digit, 0..9
    if X.shape != DIGITS_SHAPE:
        raise ValueError(f"{path}: expected {DIGITS_SHAPE} pixels, got {X.shape}")
    return X, y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The UCI optical-recognition digits test set, as bundled with scikit-learn.

    Each row is an 8×8 image flattened row by row; each pixel counts the "on"
    pixels of a 4×4 block of the original 32×32 bitmap, so it lies in 0..16.
    See ``datasets/README.md`` for provenance and licence.

    Returns
    -------
    X : ndarray of float64, shape (1797, 64)
        Pixel values 0..16.
    y : ndarray of int64, shape (1797,)
        Digits 0..9.
    """
    X, y = _read_digits()
    return X.copy(), y.copy()


# --- one entry point -------------------------------------------------------------


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
    seed = _check("seed", seed, {"min": 0, "max": MAX_SEED}, True)
    rng = np.random.default_rng(seed)
    if name == "digits":
        X, y = load_digits()
        if n is None:
            return X, y
        n = _check("n", n, {"min": 1, "max": DIGITS_SHAPE[0]}, True)
        keep = rng.permutation(DIGITS_SHAPE[0])[:n]
        return X[keep], y[keep]
    return _generate(name, n, noise, classes, rng)


def read_named(d, key: str, min_n: int, max_n: int) -> dict:
    """A generator (or the digits) and its parameters, read from one spec object.

    Parameters
    ----------
    d : validate.Fields
        The object holding ``key`` (the dataset's name), its parameters and ``seed``.
    key : str
        Field of the name, e.g. ``"name"`` (network spec) or ``"dataset"`` (t-SNE).
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


RECIPE_KEYS = {"generator", "n", "noise", "classes", "label", "scale", "shift"}
RECIPE_TOP_KEYS = {"components", "seed"}
MAX_RECIPE_COMPONENTS = 32
MAX_RECIPE_POINTS = 5000  # all components together
MAX_RECIPE_LABEL = 99
RECIPE_COORD_BOUND = 100.0  # |scale| and |shift| at most this: keeps points finite and plottable


def from_recipe(recipe: dict) -> tuple[np.ndarray, np.ndarray]:
    """Compose a 2-D dataset from generated components.

    A recipe is ``{"components": [component, ...], "seed": s}``; a component is
    ``{"generator": name, "n": .., "noise": .., "classes": .., "scale": 1.0,
    "shift": [0, 0], "label": k}`` where everything but ``generator`` is optional.
    Component ``i`` is drawn with ``default_rng([s, i])``, then mapped
    ``x -> scale · x + shift``.

    Labels: by default each component's classes get fresh labels after those
    already used (two moons then three blobs give classes 0-1 and 2-4).  A
    component with ``"label": k`` puts *all* its points in class ``k`` instead,
    e.g. to add outliers to an existing class.  The final labels must be exactly
    0..C-1 with no gap.  Rows are shuffled with ``default_rng(s)``.

    The whole recipe is checked before anything is drawn: at most
    ``MAX_RECIPE_COMPONENTS`` components and ``MAX_RECIPE_POINTS`` points in
    all, numbers finite and in range (``|scale|``, ``|shift[j]|`` at most
    ``RECIPE_COORD_BOUND``; ``label`` 0..``MAX_RECIPE_LABEL``).  Every problem
    raises ``SpecError`` naming the field, e.g. ``recipe.components[1].scale``.

    Returns
    -------
    X : ndarray of float64, shape (total n, 2)
    y : ndarray of int64, shape (total n,)
    """
    if not isinstance(recipe, dict):
        raise SpecError("recipe", f"must be an object with components and seed, got {type(recipe).__name__}")
    unknown = sorted(key_name(k) for k in recipe if k not in RECIPE_TOP_KEYS)
    if unknown:
        raise SpecError("recipe." + unknown[0], f"unknown key; allowed: {sorted(RECIPE_TOP_KEYS)}")
    seed = check_number(recipe.get("seed", 0), "recipe.seed", 0, MAX_SEED, True)
    components = recipe.get("components")
    if not isinstance(components, list) or not components:
        raise SpecError("recipe.components", "must be a non-empty list")
    if len(components) > MAX_RECIPE_COMPONENTS:
        raise SpecError("recipe.components", f"at most {MAX_RECIPE_COMPONENTS} components, got {len(components)}")
    checked = []
    total = 0
    for i, comp in enumerate(components):
        field = f"recipe.components[{i}]."
        if not isinstance(comp, dict):
            raise SpecError(field[:-1], f"must be an object with a generator, got {type(comp).__name__}")
        unknown = sorted(key_name(k) for k in comp if k not in RECIPE_KEYS)
        if unknown:
            raise SpecError(field + unknown[0], f"unknown key; allowed: {sorted(RECIPE_KEYS)}")
        name = comp.get("generator")
        if not isinstance(name, str) or name not in RECIPE_GENERATORS:
            shown = repr(name) if isinstance(name, str) and len(name) <= 40 else f"({type(name).__name__})"
            raise SpecError(field + "generator", f"unknown dataset {shown}; allowed: {sorted(RECIPE_GENERATORS)}")
        p = RECIPE_GENERATORS[name].params
        values = {}
        for key in ("n", "noise", "classes"):
            value = comp.get(key)
            if value is None:  # absent (or null): the generator's default
                values[key] = p[key]["default"] if key in p else None
            elif key in p:
                values[key] = check_number(value, field + key, p[key]["min"], p[key]["max"], key != "noise")
            elif isinstance(value, bool) or value != FIXED_CLASSES:
                raise SpecError(field + key, f"{name!r} always has {FIXED_CLASSES} classes")
            else:
                values[key] = FIXED_CLASSES
        total += values["n"]
        if total > MAX_RECIPE_POINTS:
            raise SpecError(field + "n", f"the components may have at most {MAX_RECIPE_POINTS} points in all;"
                            f" this one brings the total to {total}")
        scale = check_number(comp.get("scale", 1.0), field + "scale", -RECIPE_COORD_BOUND,
                               RECIPE_COORD_BOUND, False)
        shift = comp.get("shift", [0.0, 0.0])
        if not isinstance(shift, (list, tuple)) or len(shift) != 2:
            raise SpecError(field + "shift", "must be a list of two numbers")
        shift = np.array([check_number(v, f"{field}shift[{j}]", -RECIPE_COORD_BOUND, RECIPE_COORD_BOUND, False)
                          for j, v in enumerate(shift)], dtype=np.float64)
        label = None
        if "label" in comp:
            label = check_number(comp["label"], field + "label", 0, MAX_RECIPE_LABEL, True)
        checked.append((name, values, scale, shift, label, field))
    Xs, ys = [], []
    next_label = 0
    for i, (name, values, scale, shift, label, field) in enumerate(checked):
        X, y = _generate(name, values["n"], values["noise"], values["classes"],
                         np.random.default_rng([seed, i]), field)
        X = scale * X + shift
        if label is not None:
            y = np.full_like(y, label)
            next_label = max(next_label, label + 1)
        else:
            y = y + next_label
            next_label = int(y.max()) + 1
        Xs.append(X)
        ys.append(y)
    X = np.concatenate(Xs)
    y = np.concatenate(ys)
    used = np.unique(y)
    if not np.array_equal(used, np.arange(len(used))):
        raise SpecError("recipe.components", f"labels must be 0..C-1 without gaps, got {used.tolist()}")
    order = np.random.default_rng(seed).permutation(len(y))
    return X[order], y[order]


# --- preparing data for training -------------------------------------------------


def standardize(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shift and scale every column to mean 0 and standard deviation 1.

    Columns that are constant (std 0, e.g. always-blank digit pixels) are only
    shifted.  Apply the returned ``mean`` and ``std`` to validation data as
    ``(X_val - mean) / std`` so both sets get the same transformation.

    Parameters
    ----------
    X : ndarray, shape (n, d)

    Returns
    -------
    Z : ndarray of float64, shape (n, d)
    mean : ndarray, shape (d,)
    std : ndarray, shape (d,)
        Population standard deviation, with 0 replaced by 1.
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    centred = X - mean
    std = np.sqrt((centred * centred).mean(axis=0))
    std = np.where(std > 0.0, std, 1.0)
    return centred / std, mean, std


def train_val_split(X, y, val_fraction: float = 0.2, seed: int = 0):
    """Stratified random split into training and validation sets.

    From each class, ``round(val_fraction × class size)`` examples (chosen by a
    seeded permutation) go to validation, so both sets keep the class
    proportions.  Each set is then shuffled.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray of int, shape (n,)
    val_fraction : float, strictly between 0 and 1
    seed : int

    Returns
    -------
    X_train, y_train, X_val, y_val : ndarrays
        Every row of ``X`` lands in exactly one of the two sets.
    """
    if not 0.0 < val_fraction < 1.0:
        raise SpecError("val_fraction", f"must be between 0 and 1 (exclusive), got {val_fraction}")
    X = np.asarray(X)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        k = int(np.floor(val_fraction * len(members) + 0.5))
        val.append(members[:k])
        train.append(members[k:])
    train = rng.permutation(np.concatenate(train))
    val = rng.permutation(np.concatenate(val))
    return X[train], y[train], X[val], y[val]
