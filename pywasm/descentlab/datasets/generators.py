"""Seeded 2-D toy datasets: moons, circles, spirals, blobs, xor, checkerboard, linear.

Every generator returns ``(X, y)`` with ``X`` float64 of shape ``(n, 2)`` and
``y`` int64 of shape ``(n,)``.  Classes are balanced (their sizes differ by at
most one) and the rows are shuffled.  All randomness comes from
``np.random.default_rng(seed)`` (``random``, ``standard_normal``,
``permutation``) and the trigonometry from the deterministic kernels, so a seed
gives the same bytes natively and in the browser.  Noise is isotropic Gaussian
with standard deviation ``noise``, added to both coordinates.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .. import kernels as K
from ..errors import SpecError
from ..fields import check_number
from .limits import MAX_SAMPLES, MAX_SEED

TWO_PI = 2.0 * K.PI
CIRCLES_FACTOR = 0.5  # radius of the inner circle relative to the outer one
SPIRAL_TURNS = 1.0  # full turns each spiral arm makes
SPIRAL_R0 = 0.1  # inner radius where the arms start (they would all touch at 0)
BLOB_RADIUS = 2.0  # blob centres sit evenly on a circle of this radius
CHECKER_TILES = 4  # tiles per side of the checkerboard on [-1, 1]²
LINEAR_MARGIN = 0.1  # gap on each side of the separating line (before noise)
MIN_N = 4  # points of one generated piece, at least


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


def polar(r, angle) -> np.ndarray:
    """Points at radius ``r`` (scalar or shape (n,)) and ``angle`` (shape (n,)): shape (n, 2)."""
    return np.stack([r * K.cos(angle), r * K.sin(angle)], axis=1)


def moons(n, noise, classes, rng):
    """Two interleaving half circles (upper one class 0), centred on the origin."""
    n0, n1 = _class_sizes(n, 2)
    t0 = K.PI * rng.random(n0)
    t1 = K.PI * rng.random(n1)
    upper = polar(1.0, t0) - np.array([0.5, 0.25])
    lower = np.array([0.5, 0.25]) - polar(1.0, t1)  # the upper moon turned over and shifted
    return _finish([upper, lower], noise, rng)


def circles(n, noise, classes, rng):
    """A circle of radius 1 (class 0) around one of radius 0.5 (class 1)."""
    n0, n1 = _class_sizes(n, 2)
    outer = polar(1.0, TWO_PI * rng.random(n0))
    inner = polar(CIRCLES_FACTOR, TWO_PI * rng.random(n1))
    return _finish([outer, inner], noise, rng)


def spirals(n, noise, classes, rng):
    """``classes`` spiral arms wound around the origin, one class per arm."""
    parts = []
    for c, size in enumerate(_class_sizes(n, classes)):
        t = rng.random(size)  # position along the arm, 0 (centre) to 1 (outside)
        r = SPIRAL_R0 + (1.0 - SPIRAL_R0) * t
        parts.append(polar(r, TWO_PI * (c / classes + SPIRAL_TURNS * t)))
    return _finish(parts, noise, rng)


def blobs(n, noise, classes, rng):
    """Gaussian blobs (std ``noise``) centred evenly on a circle, one per class."""
    parts = []
    for c, size in enumerate(_class_sizes(n, classes)):
        centre = polar(np.array([BLOB_RADIUS]), np.array([TWO_PI * c / classes]))
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
        "n": {"default": 200, "min": MIN_N, "max": MAX_SAMPLES},
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


def generate(name: str, n=None, noise=None, classes=None, rng=None):
    """Run 2-D generator ``name`` (a key of ``GENERATORS``) with its parameters checked.

    ``None`` means the generator's default.

    Returns
    -------
    X : ndarray of float64, shape (n, 2)
    y : ndarray of int64, shape (n,)

    Raises
    ------
    SpecError
        naming ``dataset``, ``n``, ``noise`` or ``classes``.
    """
    if name not in GENERATORS:
        raise SpecError("dataset", f"unknown dataset {name!r}; allowed: {sorted(GENERATORS) + ['digits']}")
    p = GENERATORS[name].params

    def checked(key, value, integer):
        return check_number(p[key]["default"] if value is None else value, key, p[key]["min"], p[key]["max"],
                            integer)

    n, noise = checked("n", n, True), checked("noise", noise, False)
    if "classes" in p:
        classes = checked("classes", classes, True)
    elif classes is not None and classes != FIXED_CLASSES:
        raise SpecError("classes", f"{name!r} always has {FIXED_CLASSES} classes")
    return GENERATORS[name].fn(n, noise, classes or FIXED_CLASSES, rng)


__all__ = ["Generator", "GENERATORS", "RECIPE_GENERATORS", "FIXED_CLASSES", "generate", "polar", "moons",
           "circles", "spirals", "blobs", "blob", "xor", "checkerboard", "linear"]
