"""The ``"tsne"`` spec: reading it, its cost, and running it."""

from __future__ import annotations

import numpy as np

from .. import budget, datasets, legacy
from ..errors import SpecError
from ..pca import cost_seconds as pca_seconds
from ..fields import Fields, check_number
from . import barnes_hut, parallel
from .affinities import conditional_probabilities, symmetrize
from .descent import (CHECK_EVERY, DEFAULT_MAX_ITER, EARLY_EXAGGERATION, EARLY_EXAGGERATION_ITER, PERPLEXITY,
                      descend, initial_embedding_steps, learning_rate_auto)
from .exact import ExactObjective

# --- limits of the spec ------------------------------------------------------------
MAX_POINTS = 10_000  # the fast method; the exact one stops at EXACT_MAX_N
EXACT_MAX_N = 5000  # dense P is n² float64: 200 MB here, and O(n²) work per iteration
# method "auto": exact up to here, Barnes-Hut above.  Exact costs n² per iteration,
# Barnes-Hut n log n with a larger constant; in the browser (one thread) Barnes-Hut
# already wins on digits, 1797 points: 33-42 s against 44-57 s (bench/bench_tsne.py).
AUTO_EXACT_MAX_N = 1500
MIN_POINTS = 5  # perplexity >= 1 needs n - 1 > 3
MAX_DIMENSIONS = 1024
MAX_VALUES = 2_000_000  # points x dimensions of uploaded data
MAX_ABS_VALUE = 1e9  # coordinates of uploaded points
MAX_LABEL = 999
MAX_SEED = datasets.MAX_SEED
MIN_PERPLEXITY = 1.0  # exp(entropy) >= 1 for any distribution
MAX_PERPLEXITY = 100.0  # the paper suggests 5-50; Barnes-Hut keeps 3·perplexity neighbours
MAX_ITER = 10_000
MAX_EARLY_EXAGGERATION = 100.0
MAX_LEARNING_RATE = 1e6

METHODS = ("auto", "exact", "barnes_hut")
INITS = ("pca", "random")


# --- the spec -------------------------------------------------------------------------


def _read_points(d: Fields):
    points = d.array("points", MIN_POINTS, MAX_POINTS)
    first = points[0]
    if not isinstance(first, list) or not 1 <= len(first) <= MAX_DIMENSIONS:
        raise SpecError(d.field("points[0]"), f"must be a list of 1 to {MAX_DIMENSIONS} numbers")
    dim = len(first)
    if len(points) * dim > MAX_VALUES:
        raise SpecError(d.field("points"), f"points x dimensions must be at most {MAX_VALUES}, "
                        f"got {len(points)} x {dim}")
    for i, row in enumerate(points):
        if not isinstance(row, list) or len(row) != dim:
            raise SpecError(d.field(f"points[{i}]"), f"must have {dim} numbers like the first row")
    try:
        X = np.array(points)
    except (TypeError, ValueError):
        X = None
    if X is None or X.dtype.kind not in "iuf" or X.shape != (len(points), dim):
        # slow path, only to name the offending entry
        for i, row in enumerate(points):
            for j, v in enumerate(row):
                check_number(v, d.field(f"points[{i}][{j}]"), -MAX_ABS_VALUE, MAX_ABS_VALUE)
        raise SpecError(d.field("points"), "must be a list of lists of numbers")  # pragma: no cover
    X = X.astype(np.float64)
    bad = ~(np.abs(X) <= MAX_ABS_VALUE)  # also catches nan
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        check_number(points[i][j], d.field(f"points[{i}][{j}]"), -MAX_ABS_VALUE, MAX_ABS_VALUE)
    return points, X


def read_data(fields: Fields) -> tuple[dict, np.ndarray, np.ndarray | None]:
    """The ``dataset`` object: a named dataset (``name``, as in a network spec) or uploaded ``points``.

    Returns
    -------
    data : dict
        Normalised: ``{"name": name, "n", "seed", ...}`` or ``{"points": [...]}``.
    X : ndarray of float64, shape (n, d)
    labels : ndarray of int or None
    """
    d = fields.sub("dataset")
    if d.has("points"):
        points, X = _read_points(d)
        d.done()
        return {"points": points}, X, None
    out = datasets.read_named(d, "name", MIN_POINTS, MAX_POINTS)
    d.done()
    X, y = datasets.make(out["name"], n=out.get("n"), noise=out.get("noise"), classes=out.get("classes"),
                         seed=out["seed"])
    return out, np.asarray(X, dtype=np.float64), np.asarray(y)


def read_spec(spec: dict) -> dict:
    """Validate a ``"tsne"`` spec completely; return it with every default filled in.

    The form of earlier versions, ``data: {dataset: name}``, is accepted (see
    :mod:`descentlab.legacy`); its errors name the fields as it spells them.

    Raises
    ------
    SpecError
        naming the first offending field and its allowed range.
    """
    spec, old_field = legacy.tsne_dataset(spec)
    try:
        return _read_spec(spec)
    except SpecError as e:
        raise SpecError(old_field(e.field), e.message) from None


def _read_spec(spec: dict) -> dict:
    fields = Fields(spec, "")
    fields.choice("kind", {"tsne"})
    data, X, _ = read_data(fields)
    n, dim = X.shape
    hi = min(MAX_PERPLEXITY, (n - 1) / 3.0)
    if not MIN_PERPLEXITY < hi:
        raise SpecError("dataset", f"t-SNE needs more than {3 * MIN_PERPLEXITY + 1:g} points, got {n}")
    try:
        perplexity = fields.number("perplexity", MIN_PERPLEXITY, hi, PERPLEXITY,
                                   hi_open=hi < MAX_PERPLEXITY)
    except SpecError as e:
        raise SpecError(e.field, f"{e.message} (for {n} points: 3 x perplexity < n - 1 = {n - 1})") from None
    seed = fields.number("seed", 0, MAX_SEED, 0, integer=True)
    method = fields.choice("method", METHODS, "auto")
    if method == "exact" and n > EXACT_MAX_N:
        raise SpecError("method", f"exact t-SNE handles at most {EXACT_MAX_N} points, got {n}; "
                        "use barnes_hut or auto")
    max_iter = fields.number("max_iter", 1, MAX_ITER, DEFAULT_MAX_ITER, integer=True)
    ee = fields.number("early_exaggeration", 1.0, MAX_EARLY_EXAGGERATION, EARLY_EXAGGERATION)
    ee_iter = fields.number("early_exaggeration_iter", 0, max_iter,
                            min(EARLY_EXAGGERATION_ITER, max_iter), integer=True)
    lr = fields.value("learning_rate", "auto")
    if lr != "auto":
        if isinstance(lr, str):
            raise SpecError("learning_rate", f'must be "auto" or a number in (0, {MAX_LEARNING_RATE:g}]')
        lr = fields.number("learning_rate", 0.0, MAX_LEARNING_RATE, lo_open=True)
    init = fields.choice("init", INITS, "pca")
    if init == "pca" and dim < 2:
        raise SpecError("init", f'"pca" needs data with at least 2 dimensions, got {dim}; use "random"')
    labels = None  # a dataset's own labels are loaded with it in iterate()
    if fields.has("labels"):
        given = fields.array("labels", n, n)
        labels = [check_number(v, f"labels[{i}]", 0, MAX_LABEL, integer=True) for i, v in enumerate(given)]
    fields.done()
    if not (X.max(axis=0) - X.min(axis=0)).max() > 0.0:
        raise SpecError("dataset", "all points are identical; t-SNE needs at least two distinct points")
    out = {"kind": "tsne", "dataset": data, "perplexity": perplexity, "seed": seed, "method": method,
           "max_iter": max_iter, "early_exaggeration": ee, "early_exaggeration_iter": ee_iter,
           "learning_rate": lr, "init": init}
    budget.check(cost(out, n, dim))
    if labels is not None:
        out["labels"] = labels
    return out


# Seconds of the parts of t-SNE, natively on the reference machine (bench/bench_budget.py).
AFFINITY_PAIR_SECONDS = 1.0e-6  # per pair: distances and the perplexity binary search (exact)
AFFINITY_PAIR_DIM_SECONDS = 2.0e-9  # per pair and dimension: squared distances
EXACT_PAIR_SECONDS = 1.6e-8  # per pair and iteration: forces of exact t-SNE
SPARSE_AFFINITY_PAIR_SECONDS = 1.5e-7  # per pair: nearest neighbours (Barnes-Hut)
TREE_POINT_SECONDS = 2.0e-6  # per point and iteration: Barnes-Hut tree, plus ...
TREE_POINT_LEVEL_SECONDS = 1.0e-6  # ... per point, iteration and tree level (log2 n)
EXACT_ARRAYS = 4  # n x n float64 arrays alive at once in exact t-SNE (P, its halves, blocks)


def exact_iteration_seconds(n: int) -> float:
    """Estimated seconds of one iteration of exact t-SNE of ``n`` points."""
    return EXACT_PAIR_SECONDS * n * n


def exact_cost(n: int, dims: int, max_iter: int, init: str = "pca") -> budget.Cost:
    """Estimated time and memory of exact t-SNE of ``n`` points in ``dims`` dimensions."""
    seconds = (n * n * (AFFINITY_PAIR_SECONDS + AFFINITY_PAIR_DIM_SECONDS * dims)
               + max_iter * exact_iteration_seconds(n)
               + (pca_seconds(n, dims) if init == "pca" else 0.0))
    memory = EXACT_ARRAYS * n * n * budget.FLOAT_BYTES
    return budget.Cost(seconds, memory, (), "")


def cost(spec: dict, n: int, dims: int) -> budget.Cost:
    """Estimated time and memory of a validated ``"tsne"`` spec of ``n`` points in ``dims`` dimensions."""
    drivers = (("dataset", f"{n} points x {dims} dimensions"), ("max_iter", spec["max_iter"]))
    if resolve_method(spec["method"], n) == "exact":
        c = exact_cost(n, dims, spec["max_iter"], spec["init"])
        return budget.Cost(c.seconds, c.memory, (("method", "exact"),) + drivers,
                           "Use fewer points or iterations, or method barnes_hut.")
    neighbours = int(3 * spec["perplexity"]) + 1
    seconds = (n * n * (SPARSE_AFFINITY_PAIR_SECONDS + AFFINITY_PAIR_DIM_SECONDS * dims)
               + spec["max_iter"] * bh_iteration_seconds(n)
               + (pca_seconds(n, dims) if spec["init"] == "pca" else 0.0))
    memory = n * (neighbours * 4 + dims * 2) * budget.FLOAT_BYTES + parallel.ROW_BLOCK * budget.FLOAT_BYTES * parallel.WORKING_BLOCKS
    return budget.Cost(seconds, memory, drivers, "Use fewer points or fewer iterations.")


def bh_iteration_seconds(n: int) -> float:
    """Estimated seconds of one Barnes-Hut iteration of ``n`` points."""
    return n * (TREE_POINT_SECONDS + TREE_POINT_LEVEL_SECONDS * max(n, 2).bit_length())  # levels ~ log2 n


def resolve_method(method: str, n: int) -> str:
    """``"auto"`` becomes ``"exact"`` up to ``AUTO_EXACT_MAX_N`` points, else ``"barnes_hut"``."""
    if method == "auto":
        return "exact" if n <= AUTO_EXACT_MAX_N else "barnes_hut"
    return method


def load(data: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """The data of a normalised ``data`` object: ``(X (n, d) float64, labels or None)``."""
    if "points" in data:
        return np.asarray(data["points"], dtype=np.float64), None
    X, y = datasets.make(data["name"], n=data.get("n"), noise=data.get("noise"),
                         classes=data.get("classes"), seed=data["seed"])
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def _affinity_progress(steps, total):
    """Re-yield an affinity generator's ``(rows_done, rows)`` as progress items; return its value."""
    while True:
        try:
            done, rows = next(steps)
        except StopIteration as stop:
            return stop.value
        yield {"done": 0, "total": total, "phase": "affinities", "rows_done": done, "rows": rows}


def iterate(spec: dict):
    """Run a validated ``"tsne"`` spec.

    Yields progress items ``{"done", "total", "phase", ...}``: while affinities
    are computed ``phase == "affinities"`` with ``rows_done`` of ``rows``; then
    every ``CHECK_EVERY`` iterations ``phase == "optimize"`` with ``stage``,
    ``embedding`` (n x 2 list) and ``kl``.  The last item holds ``"result"``.
    """
    X, dataset_labels = load(spec["dataset"])
    n = X.shape[0]
    total = spec["max_iter"]
    method = resolve_method(spec["method"], n)
    if method == "exact":
        P, _beta, _entropy = yield from _affinity_progress(conditional_probabilities(X, spec["perplexity"]), total)
        P = symmetrize(P)
        yield {"done": 0, "total": total, "phase": "affinities", "heartbeat": True}
        objective = ExactObjective(P)
    else:
        sparse = yield from _affinity_progress(barnes_hut.sparse_joint_probabilities(X, spec["perplexity"]), total)
        objective = barnes_hut.BarnesHutObjective(*sparse)
    yield {"done": 0, "total": total, "phase": "affinities", "heartbeat": True}
    lr = spec["learning_rate"]
    lr = learning_rate_auto(n, spec["early_exaggeration"]) if lr == "auto" else float(lr)
    Y = yield from budget.beats(initial_embedding_steps(X, spec["init"], spec["seed"]),
                          {"done": 0, "total": total, "phase": "optimize", "heartbeat": True})
    history = []
    step = {"done": 0, "Y": Y, "kl": None}
    iteration = exact_iteration_seconds(n) if method == "exact" else bh_iteration_seconds(n)
    for step in descend(objective, Y, max_iter=spec["max_iter"], learning_rate=lr,
                        early_exaggeration=spec["early_exaggeration"],
                        early_exaggeration_iter=spec["early_exaggeration_iter"],
                        beat_every=budget.chunk(iteration)):
        if step.get("heartbeat"):
            yield {"done": step["done"], "total": total, "phase": "optimize", "heartbeat": True}
            continue
        history.append([step["done"], step["kl"]])
        yield {"done": step["done"], "total": total, "phase": "optimize", "stage": step["stage"],
               "embedding": step["Y"].tolist(), "kl": step["kl"]}
    labels = spec.get("labels")
    if labels is None and dataset_labels is not None:
        labels = [int(v) for v in dataset_labels]
    result = {"kind": "tsne", "method": method, "n": n, "dimensions": int(X.shape[1]),
              "dataset": spec["dataset"].get("name", "points"), "perplexity": spec["perplexity"],
              "seed": spec["seed"], "init": spec["init"], "learning_rate": lr,
              "early_exaggeration": spec["early_exaggeration"],
              "early_exaggeration_iter": spec["early_exaggeration_iter"], "max_iter": spec["max_iter"],
              "iterations": step["done"], "embedding": step["Y"].tolist(), "kl": step["kl"],
              "kl_history": history}
    if labels is not None:
        result["labels"] = labels
    yield {"done": total, "total": total, "result": result}

