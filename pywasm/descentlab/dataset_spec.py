"""Looking at a dataset before training on it: the ``"dataset"`` spec.

The page's scatter plot, its preset previews, the "describe a dataset" box and
the CSV upload all ask the same question: which points, which classes?  The
spec names the dataset in one of five ways::

    {"kind": "dataset", "dataset": SOURCE, "samples": 8, "standardize": false}

    SOURCE = {"name": "moons", "n": 300, "noise": 0.2, "seed": 0}   # a generator or "digits"
           | {"recipe": {"components": [...], "seed": 0}}            # datasets.from_recipe
           | {"describe": "three spirals with a little noise"}      # describe.describe
           | {"csv": "x1,x2,label\\n...", "label_column": "label"}  # csvdata.parse_csv
           | {"points": [[x, y, ...], ...], "labels": [0, 1, ...]}

(``val_fraction`` is accepted and ignored, so the ``dataset`` object of a
``"network"`` spec can be sent here unchanged.)  Everything is validated up front
with the limits every dataset shares (:mod:`descentlab.datasets.limits`): at most
``MAX_SAMPLES`` points, ``MAX_FEATURES`` features, ``MAX_CLASSES`` classes.

The result carries the raw points ``X`` (n × d) and labels ``y``, and a 2-D
``projection`` for the plot: the points themselves when d = 2 (d = 1 gets a zero
second coordinate), else their first two principal components
(:func:`descentlab.pca.pca`; with ``"standardize": true`` computed on features
scaled to unit variance, as the network sees them).  Recipes, presets and
descriptions return the recipe used; descriptions also what was understood and
ignored; the digits return ``samples`` example images (8 × 8 pixel values 0..16),
taking classes in turn (the first 0, the first 1, ..., then the second 0, ...).
"""

from __future__ import annotations

import numpy as np

from . import budget, datasets
from .csvdata import MAX_CSV_BYTES, parse_csv
from .datasets.digits import DIGIT_SIDE
from .datasets.limits import MAX_SAMPLES, MAX_VAL_FRACTION, MIN_SAMPLES, MIN_VAL_FRACTION
from .datasets.sources import load, read_named, read_points, read_recipe
from .describe import MAX_TEXT_CHARS, describe
from .errors import SpecError
from .fields import Fields

SOURCES = ("name", "recipe", "describe", "csv", "points")
MAX_IMAGES = 64

# Native seconds on the reference machine (bench/bench_budget.py), on the high side.
VALUE_SECONDS = 1.5e-6  # per coordinate: drawing or loading, listing it twice (X and the plot)
VALUE_FLOATS = 8  # float64 copies and temporaries per coordinate


def _read_csv(d: Fields) -> dict:
    text = d.string("csv", MAX_CSV_BYTES)
    label_column = d.value("label_column", None)
    if label_column is not None and (isinstance(label_column, bool)
                                     or not isinstance(label_column, (str, int))):
        raise SpecError(d.field("label_column"), "must be a column name or a 0-based column index")
    try:
        table = parse_csv(text, label_column)
    except SpecError as e:
        raise SpecError(d.field("csv"), e.message) from None
    return {"points": np.array(table["points"], dtype=np.float64),
            "labels": np.array(table["labels"], dtype=np.int64),
            "columns": table["columns"], "label_column": table["label_column"],
            "class_names": table["classes"]}


def read_spec(spec: dict) -> dict:
    """Validate a ``"dataset"`` spec completely (parsing CSV and descriptions too)."""
    fields = Fields(spec, "")
    fields.choice("kind", {"dataset"})
    d = fields.sub("dataset")
    present = [k for k in SOURCES if d.has(k)]
    if len(present) != 1:
        got = ", ".join(present) if present else "none of them"
        raise SpecError("dataset", f"must have exactly one of {', '.join(SOURCES)}; got {got}")
    source = present[0]
    data = {"source": source}
    if source == "name":
        data.update(read_named(d, "name", MIN_SAMPLES, MAX_SAMPLES))
    elif source == "recipe":
        data.update(read_recipe(d))
    elif source == "describe":
        text = d.string("describe", MAX_TEXT_CHARS)
        said = describe(text)
        data.update(recipe=said["recipe"], understood=said["understood"], ignored=said["ignored"],
                    notes=said["notes"])
    elif source == "csv":
        data.update(_read_csv(d))
    else:
        data.update(read_points(d))
    if d.has("val_fraction"):  # accepted so a network spec's dataset can be previewed as it is
        d.number("val_fraction", MIN_VAL_FRACTION, MAX_VAL_FRACTION)
    d.done()
    samples = fields.number("samples", 0, MAX_IMAGES, 8, integer=True)
    standardize = fields.boolean("standardize", False)
    fields.done()
    out = {"kind": "dataset", "dataset": data, "samples": samples, "standardize": standardize}
    budget.check(cost(out))
    return out


def size(data: dict) -> tuple[int, int]:
    """``(points, features)`` of a validated ``dataset`` entry, without drawing it."""
    if "points" in data:
        return data["points"].shape
    if "recipe" in data:
        return sum(c["n"] for c in data["recipe"]["components"]), 2
    if data["name"] == "digits":
        return data.get("n", datasets.DIGITS_SHAPE[0]), datasets.DIGITS_SHAPE[1]
    return data["n"], 2


def cost(spec: dict) -> budget.Cost:
    """The work of a ``"dataset"`` spec (see :mod:`descentlab.budget`); its input is already read."""
    from .pca import cost_seconds  # only the wider datasets need it

    n, d = size(spec["dataset"])
    return budget.Cost(
        seconds=n * d * VALUE_SECONDS + (cost_seconds(n, d) if d > 2 else 0.0),
        memory=n * d * (VALUE_FLOATS * budget.FLOAT_BYTES + 2 * (budget.LIST_FLOAT_BYTES + budget.JSON_FLOAT_BYTES)),
        drivers=(("dataset", f"{n} points x {d} features"),),
        hint="Use fewer points or features.")


def projection(X: np.ndarray, standardize: bool = False) -> dict:
    """2-D coordinates for a scatter plot of ``X`` (n × d): :func:`projection_steps` run to its end."""
    return budget.drain(projection_steps(X, standardize))


def projection_steps(X: np.ndarray, standardize: bool = False):
    """2-D coordinates for a scatter plot of ``X`` (n × d), as a generator.

    It yields a progress token about every ``budget.PROGRESS_SECONDS`` of the
    principal components' work, and returns the projection.

    d = 2: the points themselves (``method`` "identity"; the ratios are each
    axis's share of the total variance).  d = 1: the values and a zero second
    coordinate.  d > 2: the first two principal components (``method`` "pca"),
    with ``explained_variance_ratio``, ``components`` (2 × d) and ``mean``.
    """
    n, d = X.shape
    if d <= 2:
        var = X.var(axis=0)
        total = var.sum()
        ratio = (var / total).tolist() if total > 0.0 else [1.0 / d] * d
        pts = X if d == 2 else np.concatenate([X, np.zeros((n, 1))], axis=1)
        return {"method": "identity", "points": pts.tolist(), "explained_variance_ratio": ratio}
    from .pca import pca_steps  # only the wider datasets need it

    Z = X
    if standardize:
        Z, _, _ = datasets.standardize(X)
    res = yield from pca_steps(Z, n_components=2, seed=0)
    out = {"method": "pca", "standardized": bool(standardize),
           "points": np.asarray(res["projected"], dtype=np.float64).tolist(),
           "explained_variance_ratio": np.asarray(res["explained_variance_ratio"], dtype=np.float64).tolist()}
    for key in ("components", "mean"):
        if key in res:
            out[key] = np.asarray(res[key], dtype=np.float64).tolist()
    return out


def example_images(X: np.ndarray, y: np.ndarray, count: int) -> list[dict]:
    """Up to ``count`` rows of ``X`` as 8×8 images, taking the classes in turn."""
    by_class = [np.flatnonzero(y == c) for c in range(int(y.max()) + 1)]
    out = []
    rank = 0
    while len(out) < count and any(rank < len(rows) for rows in by_class):
        for c, rows in enumerate(by_class):
            if rank < len(rows) and len(out) < count:
                pixels = X[rows[rank]].reshape(DIGIT_SIDE, DIGIT_SIDE)
                out.append({"label": c, "index": int(rows[rank]),
                            "pixels": [[int(v) for v in row] for row in pixels]})
        rank += 1
    return out


def iterate(spec: dict):
    """Build the dataset, then its projection, with heartbeats ``{"done", "total"}`` between."""
    data = spec["dataset"]
    X, y = load(data)
    yield {"done": 1, "total": 2}
    plane = projection_steps(X, spec["standardize"])
    while True:
        try:
            next(plane)
        except StopIteration as stop:
            plot = stop.value
            break
        yield {"done": 1, "total": 2}
    n, d = X.shape
    classes = int(y.max()) + 1
    result = {
        "kind": "dataset", "source": data["source"], "X": X.tolist(), "y": y.tolist(),
        "n": int(n), "d": int(d), "classes": classes,
        # not np.bincount: it casts to intp, which is int32 in wasm and refuses int64 labels
        "class_counts": (y[:, None] == np.arange(classes)).sum(axis=0).tolist(),
        "class_names": data.get("class_names", [str(c) for c in range(classes)]
                                if data.get("name") == "digits" else None),
        "projection": plot,
        "recipe": data.get("recipe"),
    }
    if data["source"] == "name":
        result["dataset"] = {k: v for k, v in data.items() if k != "source"}
    if data["source"] == "csv":
        result["columns"] = data["columns"]
        result["label_column"] = data["label_column"]
    if data["source"] == "describe":
        result.update(understood=data["understood"], ignored=data["ignored"], notes=data["notes"])
    if data.get("name") == "digits":
        result["images"] = example_images(X, y, spec["samples"])
    yield {"done": 2, "total": 2, "result": result}


__all__ = ["read_spec", "iterate", "load", "projection", "example_images", "SOURCES"]
