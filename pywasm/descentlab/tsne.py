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
while its gradient keeps its sign and shrinks by x0.8 when the sign flips
(Jacobs 1988, "delta-bar-delta"), never below 0.01; ``learning_rate="auto"`` is
``max(n / early_exaggeration / 4, 50)`` (Belkina et al. 2019); the start is the
PCA projection scaled to a first-coordinate standard deviation of 1e-4
(Kobak & Berens 2019), from our own :mod:`descentlab.pca`.

This module computes everything exactly, O(n²) per iteration, for up to
``EXACT_MAX_N`` points; :mod:`descentlab.tsne_fast` holds the Barnes-Hut method
that ``method="auto"`` picks above ``AUTO_EXACT_MAX_N`` points.

Determinism.  Only operations of the bit-identical table in ``docs/determinism.md``
touch floating-point numbers: ``+ - * /``, ``sqrt``, ``maximum``, ``where``,
``sum`` along an axis, the kernels' ``exp``/``log``/``log1p`` and
``kernels.matmul`` (always on C-ordered operands, see :class:`SquaredDistances`).
``min``/``max`` and comparisons select values without rounding, and index
bookkeeping (integer arithmetic, ``sort`` of integer keys, gathers and
scatters) is exact, so neither can differ.  Every per-point sum runs along one
whole row, so the results do not depend on the block sizes below or on the
number of threads (the tests change them and compare bytes).

Speed.  Natively, row blocks are shared among ``WORKERS`` threads (NumPy
releases the GIL inside its loops); every block writes only its own rows, so
the bits do not depend on the number of threads.  Pyodide has no threads and
runs the same blocks one after another.

Memory.  The exact method keeps the dense joint P, n² float64 (26 MB for the
1797 digits, 200 MB at ``EXACT_MAX_N``); every other pairwise quantity is
computed in row blocks of about ``ROW_BLOCK`` elements (at least two rows),
at most ``WORKING_BLOCKS`` such blocks alive at a time per thread (the
perplexity search is the largest), so the working memory beside P is a few MB
(8 MB per thread by default) whatever n is.
"""

from __future__ import annotations

import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import budget, datasets
from . import kernels as K
from .errors import SpecError
from .pca import cost_seconds as pca_seconds, pca_steps
from .validate import Fields, check_number

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

PERPLEXITY_TOL = 1e-5  # |exp(H_i) - perplexity| at most this, for every row
PERPLEXITY_STEPS = 100  # binary-search steps per row at most (as sklearn)
EXP_SAFE = 700.0  # exp(-700) ~ 1e-304 is still a normal float64
MACHINE_EPSILON = float(np.finfo(np.float64).eps)  # floor of p_ij (as sklearn)

# --- block sizes: memory and cache, never results ----------------------------------
ROW_BLOCK = 1 << 16  # elements per row block of pairwise work (512 kB: stays in cache)
WORKING_BLOCKS = 17  # block-sized arrays alive at once at most (tested with tracemalloc)

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
    rows = max(2, ROW_BLOCK // max(1, width))
    return [(s, min(stop, s + rows)) for s in range(start, stop, rows)]


# --- distances and affinities --------------------------------------------------------


class SquaredDistances:
    """Rows of the matrix of squared Euclidean distances ``‖x_i - x_j‖²``, on demand.

    ``‖x_i‖² + ‖x_j‖² - 2 x_i·x_j``, the inner products of a block of rows
    with all points from :func:`kernels.matmul` (C-ordered operands: its einsum
    route is bit-identical only for those), clipped at 0 (rounding can make a
    tiny distance negative) and exactly 0 from a point to itself.  A block of
    b rows needs only its own (b, n) result: no (b, n, d) difference tensor.

    Parameters
    ----------
    X : ndarray of float64, shape (n, d)
    """

    def __init__(self, X):
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.XT = np.ascontiguousarray(self.X.T)
        self.norms = (self.X * self.X).sum(axis=1)

    def rows(self, start, stop):
        """Distances from points ``start:stop`` to all points; shape (stop - start, n)."""
        b = stop - start
        if b == 1:  # matmul takes another route, with a (1, d, n) temporary, for one row
            first = start if stop < len(self.X) else start - 1
            return self.rows(first, first + 2)[start - first:start - first + 1]
        G = K.matmul(self.X[start:stop], self.XT)
        G *= -2.0
        G += self.norms[start:stop, None]
        G += self.norms[None, :]
        np.maximum(G, 0.0, out=G)
        G[np.arange(b), np.arange(start, stop)] = 0.0
        return G


def squared_distances(X, start=0, stop=None):
    """Squared distances from rows ``start:stop`` of ``X`` to all rows (see :class:`SquaredDistances`).

    Returns
    -------
    ndarray of float64, shape (stop - start, n)
    """
    stop = len(X) if stop is None else stop
    return SquaredDistances(X).rows(start, stop)


def binary_search_perplexity(dist, perplexity, self_index=None):
    """Conditional probabilities ``p_{j|i}`` whose perplexity is ``perplexity``.

    For each row, ``p_{j|i} = exp(-β d_j) / Σ_k exp(-β d_k)`` with ``β`` found
    by scikit-learn's binary search (``_binary_search_perplexity``): while the
    entropy ``H = log Σ e + β Σ d p`` (nats) is above ``log(perplexity)`` raise
    ``β`` (double it, or bisect towards the upper bracket once there is one),
    else lower it (halve it, or bisect towards the lower bracket).  A row stops
    when ``|exp(H) - perplexity| <= PERPLEXITY_TOL`` or after
    ``PERPLEXITY_STEPS`` steps.  Rows are independent: all are processed at
    once and a row leaves the batch when it converges.

    Only the first step calls ``exp``.  Every later β is twice, half, or the
    mean of earlier ones, and ``exp(-β d)`` follows without another ``exp``:
    ``e(2β) = e(β)²``, ``e(β/2) = √e(β)`` and ``e((β₁ + β₂)/2) = √e(β₁)·√e(β₂)``.
    Each step then costs a few multiplications and square roots per entry
    instead of a whole exponential (~1e-14 relative drift after 100 steps).

    Two details differ from sklearn, neither changes the converged P:
    distances are shifted by their row minimum (cancels in the normalisation
    and leaves H unchanged; the largest term is exactly 1, so no row sum is
    ever 0), and the search starts at ``β = min(1, EXP_SAFE / max d)`` instead
    of 1 so that no ``e`` underflows at the start (a square root cannot bring
    back a value lost to underflow).

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
    d = np.array(dist, dtype=np.float64)
    if self_index is not None:
        d[rows, self_index] = np.inf
    d -= d.min(axis=1)[:, None]
    if self_index is not None:
        d[rows, self_index] = 0.0  # finite, so 0 * d stays 0; its weight is zeroed below
    target = float(K.log(perplexity))
    # |exp(H) - perplexity| <= tol  <=  |H - log(perplexity)| <= log1p(tol / perplexity)
    tol = float(K.log1p(PERPLEXITY_TOL / perplexity))
    far = d.max(axis=1)
    beta = np.where(far > EXP_SAFE, EXP_SAFE / np.maximum(far, EXP_SAFE), 1.0)  # min(1, EXP_SAFE / far)
    e = K.exp(-d * beta[:, None])
    if self_index is not None:
        e[rows, self_index] = 0.0  # stays 0 under squares, roots and products
    beta_min = np.full(b, -np.inf)
    beta_max = np.full(b, np.inf)
    root_min = np.zeros((b, m))  # √e at beta_min and at beta_max, once they exist
    root_max = np.zeros((b, m))
    P = np.empty((b, m))
    entropy = np.empty(b)
    used = np.empty(b)  # the beta that P and entropy belong to
    idx = rows  # the original row of each row still searching
    for step in range(PERPLEXITY_STEPS):
        total = e.sum(axis=1)  # >= 1: the nearest candidate contributes exp(0) = 1
        h = K.log(total) + beta * (d * e).sum(axis=1) / total
        diff = h - target
        done = np.abs(diff) <= tol
        if step == PERPLEXITY_STEPS - 1:
            done[:] = True
        P[idx[done]] = e[done] / total[done, None]
        entropy[idx[done]] = h[done]
        used[idx[done]] = beta[done]
        if done.all():
            break
        go = ~done
        idx, d, e, diff, beta = idx[go], d[go], e[go], diff[go], beta[go]
        beta_min, beta_max, root_min, root_max = beta_min[go], beta_max[go], root_min[go], root_max[go]
        # entropy too high: the Gaussian is too wide, so raise beta (sklearn's update)
        up = diff > 0.0
        root = np.sqrt(e)
        beta_min = np.where(up, beta, beta_min)
        beta_max = np.where(up, beta_max, beta)
        root_min = np.where(up[:, None], root, root_min)
        root_max = np.where(up[:, None], root_max, root)
        other = np.where(up, beta_max, beta_min)
        bracketed = np.abs(other) < np.inf
        e = np.where(bracketed[:, None], root * np.where(up[:, None], root_max, root_min),
                     np.where(up[:, None], e * e, root))
        beta = np.where(bracketed, (beta + other) / 2.0, np.where(up, beta * 2.0, beta / 2.0))
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
    distances = SquaredDistances(X)

    def block(rows):
        s, e = rows
        D = distances.rows(s, e)
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


def half_pairs(n):
    """Offsets ``t`` and weights that visit every unordered pair once: j = (i + t) mod n.

    Pairs ``{i, j}`` and ``{j, i}`` are the same; offsets ``1 .. ⌊n/2⌋`` from each
    i reach each pair once, except that for even n the offset n/2 reaches it
    from both ends, so it weighs 1/2.  Every row then has the same length, so a
    row's ``sum`` does not depend on how rows are blocked.

    Returns
    -------
    offsets : ndarray of int, shape (⌊n/2⌋,)
    weights : ndarray of float64, shape (⌊n/2⌋,)
    """
    offsets = np.arange(1, n // 2 + 1)
    weights = np.ones(len(offsets))
    if n % 2 == 0:
        weights[-1] = 0.5
    return offsets, weights


class ExactObjective:
    """KL(P‖Q) of exact t-SNE and its gradient, for a dense joint P.

    The gradient is split as in van der Maaten (2014, eq. 4):
    ``∂KL/∂y_i = 4 (α Σ_j p_ij w_ij (y_i - y_j) - Σ_j w_ij² (y_i - y_j) / Z)``
    with ``w_ij = (1 + ‖y_i - y_j‖²)⁻¹`` and ``α`` the exaggeration.  The
    attractive and repulsive sums, ``Z`` and, when asked, the KL divergence
    all come from one pass over row blocks that fit in cache
    (:meth:`forces`).

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
        self.offsets, self.weights = half_pairs(self.n)

    def forces(self, Y, with_kl=False):
        """The two halves of the gradient at ``Y``, and KL(P‖Q) if asked.

        ``KL = Σ p log p + Σ p log(1 + d²) + log Z · Σ p`` (natural log); the
        middle sum, the only one that needs a logarithm per pair, is taken over
        each unordered pair once (:func:`half_pairs`) and doubled.  ``log(1 + d²)``
        of the rounded ``1 + d²`` is off by at most ~1e-16 for close pairs, where
        ``log1p`` would be exact, and costs a quarter less.

        Parameters
        ----------
        Y : ndarray of float64, shape (n, 2)
        with_kl : bool

        Returns
        -------
        attraction : ndarray of float64, shape (n, 2)
            ``Σ_j p_ij w_ij (y_i - y_j)``
        repulsion : ndarray of float64, shape (n, 2)
            ``Σ_j w_ij² (y_i - y_j) / Z``
        kl : float or None
        """
        n = self.n
        y0, y1 = Y[:, 0].copy(), Y[:, 1].copy()
        attract = np.empty((n, 2))
        repulse = np.empty((n, 2))
        z_rows = np.empty(n)
        cross = np.empty(n)

        def rows(part):
            for s, e in row_blocks(part[0], part[1], n):
                b = e - s
                dx = y0[s:e, None] - y0[None, :]  # (b, n): y_i - y_j
                dy = y1[s:e, None] - y1[None, :]
                w = dx * dx
                w += dy * dy
                w += 1.0
                if with_kl:  # the pairs (i, i + t mod n): flat positions in this (b, n) block
                    flat = (np.arange(s, e)[:, None] + self.offsets) % n + (np.arange(b) * n)[:, None]
                    p = self.P[s:e].ravel()[flat] * self.weights
                    cross[s:e] = (p * K.log(w.ravel()[flat])).sum(axis=1)  # w holds 1 + d² here
                np.divide(1.0, w, out=w)  # (1 + d²)⁻¹
                w[np.arange(b), np.arange(s, e)] = 0.0  # no j = i term
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
        kl = None
        if with_kl:
            kl = self.p_log_p + 2.0 * float(cross.sum()) + float(K.log(Z)) * self.p_sum
        return attract, repulse / Z, kl

    def gradient(self, Y, exaggeration=1.0):
        """``∂KL/∂Y`` with P multiplied by ``exaggeration``; shape (n, 2)."""
        attract, repulse, _ = self.forces(Y)
        return 4.0 * (exaggeration * attract - repulse)

    def kl(self, Y):
        """KL(P‖Q) at ``Y`` (natural log)."""
        return self.forces(Y, with_kl=True)[2]


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
    return budget.drain(initial_embedding_steps(X, init, seed))


def initial_embedding_steps(X, init, seed):
    """:func:`initial_embedding` as a generator of PCA's progress items."""
    if init == "random":
        return INIT_STD * np.random.default_rng(seed).standard_normal((X.shape[0], 2))
    Y = (yield from pca_steps(X, 2, seed=seed))["projected"]
    spread = np.std(Y[:, 0])
    if not spread > 0.0:  # identical points: no direction to start along
        return INIT_STD * np.random.default_rng(seed).standard_normal((X.shape[0], 2))
    return Y / spread * INIT_STD


def descend(objective, Y, *, max_iter, learning_rate, early_exaggeration, early_exaggeration_iter, beat_every=0):
    """Gradient descent with momentum and gains, in two stages (sklearn 1.5).

    A generator: after every ``CHECK_EVERY`` iterations (and at each stage end)
    it yields ``{"done", "stage", "Y", "kl"}``, the KL divergence being that of
    the yielded embedding; its last item also has ``"finished": True``.  At each
    multiple of ``CHECK_EVERY`` it applies sklearn's stopping rules: no KL
    improvement for ``N_ITER_WITHOUT_PROGRESS`` iterations, or a gradient norm
    below ``MIN_GRAD_NORM``.  (sklearn evaluates the KL one update earlier, at
    the point where it takes the gradient.)

    The KL divergence comes with the forces of the next iteration's gradient,
    from the same pass (``objective.forces(Y, with_kl=True)``).  Each stage
    starts with zero velocity and unit gains, as each call of sklearn's
    ``_gradient_descent`` does.

    With ``beat_every > 0`` it also yields ``{"done", "stage", "heartbeat": True}``
    every ``beat_every`` iterations in between, so a caller can report progress
    and stop between two of them; the arithmetic is the same either way.
    """
    Y = np.array(Y, dtype=np.float64)
    stages = [("early_exaggeration", early_exaggeration, MOMENTUM_EARLY, early_exaggeration_iter,
               early_exaggeration_iter), ("main", 1.0, MOMENTUM_LATE, max_iter, N_ITER_WITHOUT_PROGRESS)]
    it = 0  # iterations done
    forces = None  # (attraction, repulsion) at the current Y, when already known
    for name, exaggeration, momentum, stop_at, patience in stages:
        if it >= stop_at:
            continue
        update = np.zeros_like(Y)
        gains = np.ones_like(Y)
        best_kl, best_i = np.inf, it
        while it < stop_at:
            attract, repulse = forces if forces is not None else objective.forces(Y)[:2]
            grad = 4.0 * (exaggeration * attract - repulse)
            # delta-bar-delta: a coordinate whose gradient keeps pointing the same way
            # (opposite to the last update's sign) speeds up; one that flips slows down
            agree = update * grad < 0.0
            gains = np.where(agree, gains + GAIN_INCREASE, gains * GAIN_DECAY)
            gains = np.maximum(gains, MIN_GAIN)
            grad = grad * gains
            update = momentum * update - learning_rate * grad
            Y = Y + update
            it += 1
            forces = None
            if it % CHECK_EVERY and it != stop_at:
                if beat_every and it % beat_every == 0:
                    yield {"done": it, "stage": name, "heartbeat": True}
                continue
            attract, repulse, kl = objective.forces(Y, with_kl=True)
            forces = (attract, repulse)
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
    out = datasets.read_named(d, "dataset", MIN_POINTS, MAX_POINTS)
    d.done()
    X, y = datasets.make(out["dataset"], n=out.get("n"), noise=out.get("noise"), classes=out.get("classes"),
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
    data, X, _ = read_data(fields)
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
    labels = None  # a dataset's own labels are loaded with it in iterate()
    if fields.has("labels"):
        given = fields.array("labels", n, n)
        labels = [check_number(v, f"labels[{i}]", 0, MAX_LABEL, integer=True) for i, v in enumerate(given)]
    fields.done()
    if not (X.max(axis=0) - X.min(axis=0)).max() > 0.0:
        raise SpecError("data", "all points are identical; t-SNE needs at least two distinct points")
    out = {"kind": "tsne", "data": data, "perplexity": perplexity, "seed": seed, "method": method,
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
    drivers = (("data", f"{n} points x {dims} dimensions"), ("max_iter", spec["max_iter"]))
    if resolve_method(spec["method"], n) == "exact":
        c = exact_cost(n, dims, spec["max_iter"], spec["init"])
        return budget.Cost(c.seconds, c.memory, (("method", "exact"),) + drivers,
                           "Use fewer points or iterations, or method barnes_hut.")
    neighbours = int(3 * spec["perplexity"]) + 1
    seconds = (n * n * (SPARSE_AFFINITY_PAIR_SECONDS + AFFINITY_PAIR_DIM_SECONDS * dims)
               + spec["max_iter"] * bh_iteration_seconds(n)
               + (pca_seconds(n, dims) if spec["init"] == "pca" else 0.0))
    memory = n * (neighbours * 4 + dims * 2) * budget.FLOAT_BYTES + ROW_BLOCK * budget.FLOAT_BYTES * WORKING_BLOCKS
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
    X, y = datasets.make(data["dataset"], n=data.get("n"), noise=data.get("noise"),
                         classes=data.get("classes"), seed=data["seed"])
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def _beats(steps, item):
    """Re-yield each progress token of a generator as ``item``; return its value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value
        yield dict(item)


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
        P = symmetrize(P)
        yield {"done": 0, "total": total, "phase": "affinities", "heartbeat": True}
        objective = ExactObjective(P)
    else:
        from . import tsne_fast  # imports this module; deferred to avoid a cycle

        sparse = yield from _affinity_progress(tsne_fast.sparse_joint_probabilities(X, spec["perplexity"]), total)
        objective = tsne_fast.BarnesHutObjective(*sparse)
    yield {"done": 0, "total": total, "phase": "affinities", "heartbeat": True}
    lr = spec["learning_rate"]
    lr = learning_rate_auto(n, spec["early_exaggeration"]) if lr == "auto" else float(lr)
    Y = yield from _beats(initial_embedding_steps(X, spec["init"], spec["seed"]),
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
              "dataset": spec["data"].get("dataset", "points"), "perplexity": spec["perplexity"],
              "seed": spec["seed"], "init": spec["init"], "learning_rate": lr,
              "early_exaggeration": spec["early_exaggeration"],
              "early_exaggeration_iter": spec["early_exaggeration_iter"], "max_iter": spec["max_iter"],
              "iterations": step["done"], "embedding": step["Y"].tolist(), "kl": step["kl"],
              "kl_history": history}
    if labels is not None:
        result["labels"] = labels
    yield {"done": total, "total": total, "result": result}
