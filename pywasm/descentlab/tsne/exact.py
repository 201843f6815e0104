"""Exact t-SNE's objective: KL(P‖Q) and its gradient, O(n²) per iteration."""

from __future__ import annotations

import numpy as np

from .. import kernels as K
from . import parallel
from .parallel import row_blocks, run_parallel, split_range


# --- the objective --------------------------------------------------------------------


def _xlogx_sum(P):
    """``Σ p log p`` over the positive entries, one row block at a time."""
    n = P.shape[0]
    out = np.empty(n)

    def rows(part):
        for s, e in row_blocks(part[0], part[1], P.shape[1]):
            p = P[s:e]
            out[s:e] = (p * K.log(np.where(p > 0.0, p, 1.0))).sum(axis=1)

    run_parallel(rows, split_range(n, parallel.WORKERS))
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

        run_parallel(rows, split_range(n, parallel.WORKERS))
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

