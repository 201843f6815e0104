"""t-SNE, exact: the ``"tsne"`` spec (van der Maaten & Hinton 2008, JMLR 9:2579).

t-SNE places n points in the plane so that their neighbourhoods match those of
the high-dimensional data:

1. **Affinities.**  For each point i, a Gaussian over the others,
   ``p_{j|i} ∝ exp(-β_i ‖x_i - x_j‖²)``, whose precision ``β_i = 1 / (2σ_i²)``
   is found by binary search so that its perplexity ``exp(H_i)`` (H in nats)
   equals the user's ``perplexity`` (:func:`binary_search_perplexity`).  They
   are symmetrised into one joint distribution ``p_ij = (p_{j|i} + p_{i|j}) / 2n``.
2. **Embedding.**  Points ``y_i`` in 2-D define a heavy-tailed joint
   distribution ``q_ij = (1 + ‖y_i - y_j‖²)⁻¹ / Z`` (a Student t with one degree
   of freedom), ``Z = Σ_{k≠l} (1 + ‖y_k - y_l‖²)⁻¹``.
3. **Objective.**  ``KL(P‖Q) = Σ p_ij log(p_ij / q_ij)`` is minimised by gradient
   descent on the gradient (paper, eq. 5)
   ``∂KL/∂y_i = 4 Σ_j (p_ij - q_ij)(y_i - y_j)(1 + ‖y_i - y_j‖²)⁻¹``.

The optimisation follows scikit-learn 1.5's ``TSNE`` (``_gradient_descent``):
``early_exaggeration`` (12) multiplies P for the first 250 iterations with
momentum 0.5, then momentum 0.8; each coordinate has a gain that grows by 0.2
while the update keeps its sign and shrinks by x0.8 when it flips (Jacobs 1988,
"delta-bar-delta"), never below 0.01; ``learning_rate="auto"`` is
``max(n / early_exaggeration / 4, 50)`` (Belkina et al. 2019); the start is the
PCA projection scaled to a first-coordinate standard deviation of 1e-4
(Kobak & Berens 2019), from our own :mod:`descentlab.pca`.

This module computes everything exactly, O(n²) per iteration, for up to
``EXACT_MAX_N`` points; :mod:`descentlab.tsne_fast` holds the Barnes-Hut method
that ``method="auto"`` picks above ``AUTO_EXACT_MAX_N`` points.

Determinism.  Only operations of the bit-identical table in ``shared/DESIGN.md``
touch floating-point numbers: ``+ - * /``, ``sqrt``, ``maximum``, ``where``,
``sum`` along an axis and the kernels' ``exp``/``log``/``log1p``.  Index
bookkeeping (comparisons, integer arithmetic, gathers and scatters) is exact
and cannot differ.  Every per-point sum runs along one whole row, so the
results do not depend on the block sizes below (the tests change them and
compare bytes).

Speed.  Natively, row blocks are shared among ``WORKERS`` threads (NumPy
releases the GIL inside its loops); every block writes only its own rows, so
the bits do not depend on the number of threads.  Pyodide has no threads and
runs the same blocks one after another.

Memory.  The exact method keeps the dense joint P, n² float64 (26 MB for the
1797 digits, 200 MB at ``EXACT_MAX_N``); every other pairwise quantity is
computed in row blocks of at most ``ROW_BLOCK`` elements (and squared
distances in tiles of at most ``DIST_BLOCK`` element-differences), so the
working memory beside P is a few MB whatever n is.
"""

from __future__ import annotations

import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import datasets
from . import kernels as K
from .errors import SpecError
from .pca import pca
from .validate import Fields, check_number

# --- limits of the spec ------------------------------------------------------------
MAX_POINTS = 10_000  # the fast method; the exact one stops at EXACT_MAX_N
EXACT_MAX_N = 5000  # dense P is n² float64: 200 MB here, and O(n²) work per iteration
AUTO_EXACT_MAX_N = 2000  # method "auto": exact up to here (digits), Barnes-Hut above
MIN_POINTS = 5  # perplexity >= 1 needs n - 1 > 3
MAX_DIMENSIONS = 1024
MAX_VALUES = 2_000_000  # points x dimensions of uploaded data
MAX_ABS_VALUE = 1e9  # coordinates of uploaded points
MAX_LABEL = 999
MAX_SEED = 2**32 - 1
MIN_PERPLEXITY = 1.0  # exp(entropy) >= 1 for any distribution
MAX_PERPLEXITY = 100.0  # the paper suggests 5-50; Barnes-Hut keeps 3·perplexity neighbours
MAX_ITER = 10_000
MAX_EARLY_EXAGGERATION = 100.0
MAX_LEARNING_RATE = 1e6

# --- defaults and constants of the method (scikit-learn 1.5 TSNE) -------------------
PERPLEXITY = 30.0
DEFAULT_MAX_ITER = 1000
EARLY_EXAGGERATION = 12.0
EARLY_EXAGGERATION_ITER = 250  # sklearn's _EXPLORATION_MAX_ITER
MOMENTUM_EARLY = 0.5  # during early exaggeration
MOMENTUM_LATE = 0.8
GAIN_INCREASE = 0.2  # delta-bar-delta: added while update and gradient disagree in sign
GAIN_DECAY = 0.8  # ... multiplied when they agree
MIN_GAIN = 0.01
LEARNING_RATE_MIN = 50.0  # "auto": max(n / early_exaggeration / 4, 50)
CHECK_EVERY = 50  # sklearn's _N_ITER_CHECK: KL, convergence checks and progress
N_ITER_WITHOUT_PROGRESS = 300  # stop when KL has not improved for this many iterations
MIN_GRAD_NORM = 1e-7  # ... or when the gradient norm falls below this
INIT_STD = 1e-4  # std of the first coordinate of the initial embedding
DEGREES_OF_FREEDOM = 1  # Student t with one degree of freedom (the paper's choice)

PERPLEXITY_TOL = 1e-5  # |exp(H_i) - perplexity| at most this, for every row
PERPLEXITY_STEPS = 100  # binary-search steps per row at most (as sklearn)
MACHINE_EPSILON = float(np.finfo(np.float64).eps)  # floor of p_ij (as sklearn)

# --- block sizes: memory and cache, never results ----------------------------------
DIST_BLOCK = 1 << 20  # element differences per tile of squared_distances (8 MB)
ROW_BLOCK = 1 << 16  # elements per row block of pairwise work (512 kB: stays in cache)

# native threads for independent row blocks (Pyodide has none); results never depend on it
WORKERS = 1 if sys.platform == "emscripten" else max(1, min(2, os.cpu_count() or 1))
_POOL: list = []

METHODS = ("auto", "exact", "barnes_hut")
INITS = ("pca", "random")


# --- parallel row blocks -------------------------------------------------------------


def run_parallel(fn, tasks):
    """``[fn(t) for t in tasks]``, natively spread over ``WORKERS`` threads.

    Each task must write only outputs no other task touches; then the result is
    the same whatever the number of threads.
    """
    tasks = list(tasks)
    if WORKERS <= 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    if not _POOL or _POOL[0][0] != WORKERS:
        _POOL[:] = [(WORKERS, ThreadPoolExecutor(WORKERS, thread_name_prefix="descentlab"))]
    return list(_POOL[0][1].map(fn, tasks))


def split_range(n, parts):
    """``[0, n)`` cut into ``parts`` contiguous ranges as equal as possible (empty ones dropped)."""
    cuts = [n * i // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def row_blocks(start, stop, width):
    """Consecutive ``(s, e)`` row ranges of ``start:stop`` with about ``ROW_BLOCK`` elements each."""
    rows = max(1, ROW_BLOCK // max(1, width))
    return [(s, min(stop, s + rows)) for s in range(start, stop, rows)]


# --- distances and affinities --------------------------------------------------------


def squared_distances(X, start=0, stop=None, Y=None):
    """Squared Euclidean distances from rows ``start:stop`` of ``X`` to all rows of ``Y``.

    Computed as ``Σ_k (x_k - y_k)²`` from the differences (no cancellation, exact
    zeros on the diagonal), in tiles of at most ``DIST_BLOCK`` differences.  Each
    entry is one ``sum`` over its own ``d`` differences, so the tiling never
    changes a bit of the result.

    Parameters
    ----------
    X : ndarray of float64, shape (n, d)
    start, stop : int
        Rows of ``X`` to measure from (default all).
    Y : ndarray of float64, shape (m, d), optional
        Points to measure to (default ``X``).

    Returns
    -------
    ndarray of float64, shape (stop - start, m)
    """
    Y = X if Y is None else Y
    stop = X.shape[0] if stop is None else stop
    m, d = Y.shape
    out = np.empty((stop - start, m), dtype=np.float64)
    cols = max(1, min(m, DIST_BLOCK // max(1, d)))
    rows = max(1, DIST_BLOCK // (cols * max(1, d)))
    for i in range(start, stop, rows):
        i1 = min(stop, i + rows)
        for j in range(0, m, cols):
            j1 = min(m, j + cols)
            diff = X[i:i1, None, :] - Y[None, j:j1, :]  # (rows, cols, d): the only big temporary
            np.multiply(diff, diff, out=diff)
            out[i - start:i1 - start, j:j1] = diff.sum(axis=2)
    return out


def binary_search_perplexity(dist, perplexity, self_index=None):
    """Conditional probabilities ``p_{j|i}`` whose perplexity is ``perplexity``.

    For each row, ``p_{j|i} = exp(-β d_j) / Σ exp(-β d_k)`` with ``β`` found by
    bisection (doubling or halving until the target is bracketed), exactly as
    scikit-learn's ``_binary_search_perplexity``: start at ``β = 1``; while the
    entropy ``H = log Σ e + β Σ d p`` (nats) is above ``log(perplexity)`` raise
    ``β``, else lower it.  A row stops when ``|exp(H) - perplexity| <=
    PERPLEXITY_TOL`` or after ``PERPLEXITY_STEPS`` steps.  Rows are independent:
    all are processed at once and a row leaves the batch when it converges.

    Distances are shifted by their row minimum before ``exp`` (which cancels in
    the normalisation and leaves H unchanged), so the largest term is exactly 1
    and no row underflows to an all-zero sum, which sklearn patches with 1e-8.

    Parameters
    ----------
    dist : ndarray of float64, shape (b, m)
        Squared distances from b points to m candidates.
    perplexity : float
        Target ``exp(H)``; needs at least ``perplexity`` candidates per row.
    self_index : ndarray of int, shape (b,), optional
        Column holding each row's own point, excluded (``p_{i|i} = 0``).

    Returns
    -------
    P : ndarray of float64, shape (b, m); rows sum to 1
    beta : ndarray of float64, shape (b,)
    entropy : ndarray of float64, shape (b,), nats
    """
    b, m = dist.shape
    rows = np.arange(b)
    shifted = np.array(dist, dtype=np.float64)
    if self_index is not None:
        shifted[rows, self_index] = np.inf
    shifted -= shifted.min(axis=1)[:, None]
    if self_index is not None:
        shifted[rows, self_index] = 0.0  # finite, so 0 * d stays 0; its weight is zeroed below
    target = float(K.log(perplexity))
    # |exp(H) - perplexity| <= tol  <=  |H - log(perplexity)| <= log1p(tol / perplexity)
    tol = float(K.log1p(PERPLEXITY_TOL / perplexity))
    beta = np.ones(b)
    beta_min = np.full(b, -np.inf)
    beta_max = np.full(b, np.inf)
    P = np.empty((b, m))
    entropy = np.empty(b)
    used = np.empty(b)  # the beta that P and entropy belong to
    active = rows
    for _step in range(PERPLEXITY_STEPS):
        d = shifted[active]
        bt = beta[active]
        e = K.exp(-d * bt[:, None])
        if self_index is not None:
            e[np.arange(len(active)), self_index[active]] = 0.0
        total = e.sum(axis=1)  # >= 1: the nearest candidate contributes exp(0)
        h = K.log(total) + bt * (d * e).sum(axis=1) / total
        P[active] = e / total[:, None]
        entropy[active] = h
        used[active] = bt
        diff = h - target
        going = np.abs(diff) > tol
        # entropy too high: the Gaussian is too wide, so raise beta (sklearn's update)
        up = diff > 0.0
        lo = np.where(up, bt, beta_min[active])
        hi = np.where(up, beta_max[active], bt)
        raised = np.where(hi == np.inf, bt * 2.0, (bt + hi) / 2.0)
        lowered = np.where(lo == -np.inf, bt / 2.0, (bt + lo) / 2.0)
        beta_min[active], beta_max[active] = lo, hi
        beta[active] = np.where(up, raised, lowered)
        active = active[going]
        if len(active) == 0:
            break
    return P, used, entropy


def conditional_probabilities(X, perplexity):
    """Exact conditional affinities, one row block at a time.

    A generator: yields ``(rows_done, n)`` after each group of ``WORKERS``
    blocks and returns ``(P, beta, entropy)`` with ``P`` of shape (n, n),
    ``p_{i|i} = 0``.
    """
    n = X.shape[0]
    P = np.empty((n, n))
    beta = np.empty(n)
    entropy = np.empty(n)

    def block(rows):
        s, e = rows
        D = squared_distances(X, s, e)
        P[s:e], beta[s:e], entropy[s:e] = binary_search_perplexity(D, perplexity, self_index=np.arange(s, e))

    blocks = row_blocks(0, n, n)
    for g in range(0, len(blocks), WORKERS):
        group = blocks[g:g + WORKERS]
        run_parallel(block, group)
        yield group[-1][1], n
    return P, beta, entropy


def symmetrize(P):
    """``p_ij = max((p_{j|i} + p_{i|j}) / 2n, eps)`` in place, zero diagonal.

    Tile by tile so no transposed copy of the n x n matrix is ever made;
    ``a + b == b + a`` exactly, so the result is exactly symmetric.

    Parameters
    ----------
    P : ndarray of float64, shape (n, n); conditional probabilities, overwritten

    Returns
    -------
    P : the same array, now the joint probabilities (sum 1 up to rounding)
    """
    n = P.shape[0]
    tile = max(1, int(math.sqrt(ROW_BLOCK)))
    for i in range(0, n, tile):
        i1 = min(n, i + tile)
        for j in range(i, n, tile):
            j1 = min(n, j + tile)
            S = np.maximum((P[i:i1, j:j1] + P[j:j1, i:i1].T) / (2.0 * n), MACHINE_EPSILON)
            P[i:i1, j:j1] = S
            P[j:j1, i:i1] = S.T
    P[np.arange(n), np.arange(n)] = 0.0
    return P


def joint_probabilities(X, perplexity):
    """The symmetric joint affinities P of exact t-SNE.

    Parameters
    ----------
    X : ndarray of float64, shape (n, d)
    perplexity : float

    Returns
    -------
    ndarray of float64, shape (n, n); zero diagonal, off-diagonal >= eps, sum 1
    """
    steps = conditional_probabilities(np.asarray(X, dtype=np.float64), perplexity)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return symmetrize(stop.value[0])


# --- the objective --------------------------------------------------------------------


def _xlogx_sum(P):
    """``Σ p log p`` over the positive entries, one row block at a time."""
    n = P.shape[0]
    out = np.empty(n)

    def rows(part):
        for s, e in row_blocks(part[0], part[1], P.shape[1]):
            p = P[s:e]
            out[s:e] = (p * K.log(np.where(p > 0.0, p, 1.0))).sum(axis=1)

    run_parallel(rows, split_range(n, WORKERS))
    return float(out.sum())


class ExactObjective:
    """KL(P‖Q) of exact t-SNE and its gradient, for a dense joint P.

    The gradient is split as in van der Maaten (2014, eq. 4):
    ``∂KL/∂y_i = 4 (α Σ_j p_ij w_ij (y_i - y_j) - Σ_j w_ij² (y_i - y_j) / Z)``
    with ``w_ij = (1 + ‖y_i - y_j‖²)⁻¹`` and ``α`` the exaggeration.  The
    attractive and repulsive sums and ``Z`` all come from one pass over row
    blocks that fit in cache.

    Parameters
    ----------
    P : ndarray of float64, shape (n, n)
        Joint probabilities from :func:`joint_probabilities`.
    """

    method = "exact"

    def __init__(self, P):
        self.P = P
        self.n = P.shape[0]
        self.p_sum = float(P.sum(axis=1).sum())
        self.p_log_p = _xlogx_sum(P)

    def gradient(self, Y, exaggeration=1.0):
        """``∂KL/∂Y`` with P multiplied by ``exaggeration``.

        Parameters
        ----------
        Y : ndarray of float64, shape (n, 2)
        exaggeration : float

        Returns
        -------
        ndarray of float64, shape (n, 2)
        """
        n = self.n
        y0, y1 = Y[:, 0].copy(), Y[:, 1].copy()
        attract = np.empty((n, 2))
        repulse = np.empty((n, 2))
        z_rows = np.empty(n)

        def rows(part):
            for s, e in row_blocks(part[0], part[1], n):
                dx = y0[s:e, None] - y0[None, :]  # (b, n): y_i - y_j
                dy = y1[s:e, None] - y1[None, :]
                w = dx * dx
                w += dy * dy
                w += 1.0
                np.divide(1.0, w, out=w)  # (1 + d²)⁻¹
                w[np.arange(e - s), np.arange(s, e)] = 0.0  # no j = i term
                z_rows[s:e] = w.sum(axis=1)
                pw = self.P[s:e] * w
                attract[s:e, 0] = (pw * dx).sum(axis=1)
                attract[s:e, 1] = (pw * dy).sum(axis=1)
                w *= w
                dx *= w
                dy *= w
                repulse[s:e, 0] = dx.sum(axis=1)
                repulse[s:e, 1] = dy.sum(axis=1)

        run_parallel(rows, split_range(n, WORKERS))
        Z = z_rows.sum()
        return 4.0 * (exaggeration * attract - repulse / Z)

    def kl(self, Y):
        """``KL(P‖Q) = Σ p log p + Σ p log(1 + d²) + log Z · Σ p`` (natural log).

        Parameters
        ----------
        Y : ndarray of float64, shape (n, 2)

        Returns
        -------
        float
        """
        n = self.n
        y0, y1 = Y[:, 0].copy(), Y[:, 1].copy()
        z_rows = np.empty(n)
        cross = np.empty(n)

        def rows(part):
            for s, e in row_blocks(part[0], part[1], n):
                dx = y0[s:e, None] - y0[None, :]
                dy = y1[s:e, None] - y1[None, :]
                d2 = dx * dx + dy * dy
                w = 1.0 / (1.0 + d2)
                w[np.arange(e - s), np.arange(s, e)] = 0.0
                z_rows[s:e] = w.sum(axis=1)
                cross[s:e] = (self.P[s:e] * K.log1p(d2)).sum(axis=1)  # diagonal: p = 0

        run_parallel(rows, split_range(n, WORKERS))
        Z = z_rows.sum()
        return self.p_log_p + float(cross.sum()) + float(K.log(Z)) * self.p_sum


# --- optimisation -------------------------------------------------------------------------


def learning_rate_auto(n, early_exaggeration):
    """sklearn's ``learning_rate="auto"``: ``max(n / early_exaggeration / 4, 50)``."""
    return max(n / early_exaggeration / 4.0, LEARNING_RATE_MIN)


def initial_embedding(X, init, seed):
    """The starting points: scaled PCA projection, or small Gaussian noise.

    Parameters
    ----------
    X : ndarray of float64, shape (n, d)
    init : {"pca", "random"}
    seed : int

    Returns
    -------
    ndarray of float64, shape (n, 2), first column with standard deviation 1e-4
    (pca) or i.i.d. N(0, 1e-8) entries (random)
    """
    if init == "random":
        return INIT_STD * np.random.default_rng(seed).standard_normal((X.shape[0], 2))
    Y = pca(X, 2, seed=seed)["projected"]
    return Y / np.std(Y[:, 0]) * INIT_STD


def descend(objective, Y, *, max_iter, learning_rate, early_exaggeration, early_exaggeration_iter):
    """Gradient descent with momentum and gains, in two stages (sklearn 1.5).

    A generator: after every ``CHECK_EVERY`` iterations (and at each stage end)
    it yields ``{"done", "stage", "Y", "kl"}``; its last item also has
    ``"finished": True``.  At each multiple of ``CHECK_EVERY`` it applies
    sklearn's stopping rules: no KL improvement for ``N_ITER_WITHOUT_PROGRESS``
    iterations, or a gradient norm below ``MIN_GRAD_NORM``.  KL is that of the
    yielded embedding (after the update), which sklearn evaluates one update
    earlier.

    Each stage starts with zero velocity and unit gains, as each call of
    sklearn's ``_gradient_descent`` does.
    """
    Y = np.array(Y, dtype=np.float64)
    stages = [("early_exaggeration", early_exaggeration, MOMENTUM_EARLY, early_exaggeration_iter,
               early_exaggeration_iter), ("main", 1.0, MOMENTUM_LATE, max_iter, N_ITER_WITHOUT_PROGRESS)]
    it = 0  # iterations done
    for name, exaggeration, momentum, stop_at, patience in stages:
        if it >= stop_at:
            continue
        update = np.zeros_like(Y)
        gains = np.ones_like(Y)
        best_kl, best_i = np.inf, it
        while it < stop_at:
            grad = objective.gradient(Y, exaggeration)
            # delta-bar-delta: a coordinate whose gradient keeps pointing the same way
            # (opposite to the last update's sign) speeds up; one that flips slows down
            agree = update * grad < 0.0
            gains = np.where(agree, gains + GAIN_INCREASE, gains * GAIN_DECAY)
            gains = np.maximum(gains, MIN_GAIN)
            grad = grad * gains
            update = momentum * update - learning_rate * grad
            Y = Y + update
            it += 1
            if it % CHECK_EVERY and it != stop_at:
                continue
            kl = objective.kl(Y)
            stop = False
            if it % CHECK_EVERY == 0:
                i = it - 1  # sklearn's loop index
                if kl < best_kl:
                    best_kl, best_i = kl, i
                elif i - best_i > patience:
                    stop = True
                if math.sqrt(float((grad * grad).sum())) <= MIN_GRAD_NORM:
                    stop = True
            finished = it >= max_iter or (stop and name == "main")
            yield {"done": it, "stage": name, "Y": Y, "kl": kl, "finished": finished}
            if finished:
                return
            if stop:
                break
    # only reached when max_iter <= early_exaggeration_iter stopped nothing above
    return  # pragma: no cover


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
    """The ``data`` object: a named dataset or uploaded points.

    Returns
    -------
    data : dict
        Normalised: ``{"dataset": name, "n", "seed", ...}`` or ``{"points": [...]}``.
    X : ndarray of float64, shape (n, d)
    labels : ndarray of int or None
    """
    d = fields.sub("data")
    if d.has("points"):
        points, X = _read_points(d)
        d.done()
        return {"points": points}, X, None
    name = d.choice("dataset", [*datasets.GENERATORS, "digits"])
    out = {"dataset": name}
    if name == "digits":
        if d.has("n"):
            out["n"] = d.number("n", MIN_POINTS, datasets.DIGITS_SHAPE[0], integer=True)
    else:
        for key, p in datasets.GENERATORS[name].params.items():
            if key == "seed":
                continue
            lo = max(p["min"], MIN_POINTS) if key == "n" else p["min"]
            hi = min(p["max"], MAX_POINTS) if key == "n" else p["max"]
            out[key] = d.number(key, lo, hi, p["default"], integer=key in ("n", "classes"))
    out["seed"] = d.number("seed", 0, MAX_SEED, 0, integer=True)
    d.done()
    X, y = datasets.make(name, n=out.get("n"), noise=out.get("noise"), classes=out.get("classes"),
                         seed=out["seed"])
    return out, np.asarray(X, dtype=np.float64), np.asarray(y)


def read_spec(spec: dict) -> dict:
    """Validate a ``"tsne"`` spec completely; return it with every default filled in.

    Raises
    ------
    SpecError
        naming the first offending field and its allowed range.
    """
    fields = Fields(spec, "")
    fields.choice("kind", {"tsne"})
    data, X, labels = read_data(fields)
    n, dim = X.shape
    hi = min(MAX_PERPLEXITY, (n - 1) / 3.0)
    if not MIN_PERPLEXITY < hi:
        raise SpecError("data", f"t-SNE needs more than {3 * MIN_PERPLEXITY + 1:g} points, got {n}")
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
    if fields.has("labels"):
        given = fields.array("labels", n, n)
        labels = [check_number(v, f"labels[{i}]", 0, MAX_LABEL, integer=True) for i, v in enumerate(given)]
    else:
        labels = None if labels is None else [int(v) for v in labels]
    fields.done()
    if not (X.max(axis=0) - X.min(axis=0)).max() > 0.0:
        raise SpecError("data", "all points are identical; t-SNE needs at least two distinct points")
    out = {"kind": "tsne", "data": data, "perplexity": perplexity, "seed": seed, "method": method,
           "max_iter": max_iter, "early_exaggeration": ee, "early_exaggeration_iter": ee_iter,
           "learning_rate": lr, "init": init}
    if labels is not None:
        out["labels"] = labels
    return out


def resolve_method(method: str, n: int) -> str:
    """``"auto"`` becomes ``"exact"`` up to ``AUTO_EXACT_MAX_N`` points, else ``"barnes_hut"``."""
    if method == "auto":
        return "exact" if n <= AUTO_EXACT_MAX_N else "barnes_hut"
    return method


def load(data: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """The data of a normalised ``data`` object: ``(X (n, d) float64, labels or None)``."""
    if "points" in data:
        return np.asarray(data["points"], dtype=np.float64), None
    X, y = datasets.make(data["dataset"], n=data.get("n"), noise=data.get("noise"),
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
    X, dataset_labels = load(spec["data"])
    n = X.shape[0]
    total = spec["max_iter"]
    method = resolve_method(spec["method"], n)
    if method == "exact":
        P, _beta, _entropy = yield from _affinity_progress(conditional_probabilities(X, spec["perplexity"]), total)
        objective = ExactObjective(symmetrize(P))
    else:
        from . import tsne_fast  # imports this module; deferred to avoid a cycle

        nbr, pval = yield from _affinity_progress(
            tsne_fast.sparse_joint_probabilities(X, spec["perplexity"]), total)
        objective = tsne_fast.BarnesHutObjective(nbr, pval)
    lr = spec["learning_rate"]
    lr = learning_rate_auto(n, spec["early_exaggeration"]) if lr == "auto" else float(lr)
    Y = initial_embedding(X, spec["init"], spec["seed"])
    history = []
    step = {"done": 0, "Y": Y, "kl": None}
    for step in descend(objective, Y, max_iter=spec["max_iter"], learning_rate=lr,
                        early_exaggeration=spec["early_exaggeration"],
                        early_exaggeration_iter=spec["early_exaggeration_iter"]):
        history.append([step["done"], step["kl"]])
        yield {"done": step["done"], "total": total, "phase": "optimize", "stage": step["stage"],
               "embedding": step["Y"].tolist(), "kl": step["kl"]}
    labels = spec.get("labels")
    if labels is None and dataset_labels is not None:
        labels = [int(v) for v in dataset_labels]
    result = {"kind": "tsne", "method": method, "n": n, "dimensions": int(X.shape[1]),
              "dataset": spec["data"].get("dataset", "points"), "perplexity": spec["perplexity"],
              "seed": spec["seed"], "init": spec["init"], "learning_rate": lr,
              "early_exaggeration": spec["early_exaggeration"],
              "early_exaggeration_iter": spec["early_exaggeration_iter"], "max_iter": spec["max_iter"],
              "iterations": step["done"], "embedding": step["Y"].tolist(), "kl": step["kl"],
              "kl_history": history}
    if labels is not None:
        result["labels"] = labels
    yield {"done": total, "total": total, "result": result}
