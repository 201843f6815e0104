"""t-SNE's input affinities: distances, the perplexity search and the joint P (van der Maaten & Hinton 2008, section 2)."""

from __future__ import annotations

import math

import numpy as np

from .. import kernels as K
from . import parallel
from .parallel import row_blocks, run_parallel, split_range


PERPLEXITY_TOL = 1e-5  # |exp(H_i) - perplexity| at most this, for every row
PERPLEXITY_STEPS = 100  # binary-search steps per row at most (as sklearn)
EXP_SAFE = 700.0  # exp(-700) ~ 1e-304 is still a normal float64
MACHINE_EPSILON = float(np.finfo(np.float64).eps)  # floor of p_ij (as sklearn)


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

    A generator: yields ``(rows_done, n)`` after each group of ``parallel.WORKERS``
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
    for g in range(0, len(blocks), parallel.WORKERS):
        group = blocks[g:g + parallel.WORKERS]
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
    tile = max(1, int(math.sqrt(parallel.ROW_BLOCK)))
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

