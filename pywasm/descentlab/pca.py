"""Principal component analysis from deterministic operations only.

PCA finds the orthonormal directions of largest variance of centred data: the
top eigenvectors of its covariance matrix (Pearson 1901; Hotelling 1933).
``np.linalg`` and ``@`` are not bit-identical between native NumPy and Pyodide
(see ``docs/determinism.md``), so the eigenvectors come from *subspace iteration
with Rayleigh-Ritz* (Rutishauser 1970; Saad, *Numerical Methods for Large
Eigenvalue Problems*, 2011, ch. 5) built on :func:`kernels.matmul` and plain
arithmetic:

1. ``C = Xcᵀ Xc / (n - 1)``, the covariance of the centred data ``Xc`` (for
   wide data, d > n, the n x n Gram matrix ``Xc Xcᵀ / (n - 1)`` instead: same
   non-zero eigenvalues, eigenvectors mapped back by ``Xcᵀ``).
2. A block ``V`` of ``p = k + OVERSAMPLE`` orthonormal columns (seeded random
   start) is multiplied by ``C`` and re-orthonormalised (modified Gram-Schmidt,
   applied twice: "twice is enough", Giraud et al. 2005).  Its span converges
   to the top-``p`` eigenspace at the rate ``λ_{p+1} / λ_k`` per step; the extra
   columns make that rate small even when the top eigenvalues are close.
3. Every ``RITZ_EVERY`` steps the small matrix ``H = Vᵀ C V`` is diagonalised by
   cyclic Jacobi rotations (Golub & Van Loan, *Matrix Computations*, 4th ed.,
   Alg. 8.5.3), giving Ritz values and vectors; iteration stops once every one
   of the top ``k`` has a residual ``‖C u - θ u‖ <= tol · θ_1``.

Signs are fixed like scikit-learn's ``svd_flip(..., u_based_decision=False)``:
the entry of largest magnitude of every component is positive (the first such
entry on ties).
"""

from __future__ import annotations

import math

import numpy as np

from . import budget
from . import kernels as K

OVERSAMPLE = 10  # extra columns in the iterated block (as in randomized SVD)
MAX_ITERS = 1000  # subspace-iteration steps at most
TOL = 1e-12  # relative residual at which a Ritz pair counts as converged
RITZ_EVERY = 5  # steps between two Rayleigh-Ritz extractions
JACOBI_SWEEPS = 60  # cyclic Jacobi converges quadratically; 10 sweeps is typical
EPS = 2.220446049250313e-16  # float64 machine epsilon
# Cost model for budgets and progress (measured by bench/bench_budget.py): seconds per
# multiply-add of the covariance, per entry of C x block in a subspace step, and the
# Gram-Schmidt and Jacobi overhead; EXPECTED_ITERS is a generous typical step count.
MULTIPLY_ADD_SECONDS = 2.0e-9
ITERATION_SECONDS = 2.0e-9
FIXED_SECONDS = 0.3
STEP_SECONDS = 4.0e-3  # a subspace step besides C x block: Gram-Schmidt, and Jacobi every RITZ_EVERY steps
EXPECTED_ITERS = 200
DEGENERATE = 1e-10  # a column that loses this much of its norm to Gram-Schmidt is replaced


def _matmul(a, b):
    """:func:`kernels.matmul` on C-contiguous copies of ``a`` and ``b``.

    Its einsum route was measured bit-identical for C-ordered operands; with a
    Fortran-ordered operand (a transpose) NumPy picks a different inner loop
    whose vectorised partial sums differ between native and wasm.
    """
    return K.matmul(np.ascontiguousarray(a), np.ascontiguousarray(b))


def _gram_rows(A, B):
    """``A B`` (a covariance or Gram matrix) a block of rows at a time, yielding between blocks.

    Row ``i`` of ``A B`` depends only on row ``i`` of ``A``, and ``kernels.matmul``
    sums each row in the same order whatever the block, so the blocks give the
    bits of one product.  Blocks keep at least two rows: a single row takes
    matmul's matrix-vector route.
    """
    n, k = A.shape
    rows = max(2, budget.chunk(MULTIPLY_ADD_SECONDS * k * B.shape[1]))
    if rows >= n:
        return _matmul(A, B)
    parts = []
    for start in range(0, n, rows):
        stop = n if n - (start + rows) < 2 else start + rows  # no single-row block at the end
        parts.append(_matmul(A[start:stop], B))
        yield start
        if stop == n:
            break
    return np.concatenate(parts)


def cost_seconds(n: int, d: int) -> float:
    """Estimated native seconds of :func:`pca` of ``n`` points in ``d`` dimensions."""
    small, large = sorted((n, d))
    return FIXED_SECONDS + small * small * (MULTIPLY_ADD_SECONDS * large + ITERATION_SECONDS * EXPECTED_ITERS
                                            * (OVERSAMPLE + 2))


def _orthonormalize(W, rng):
    """Columns of ``W`` made orthonormal by modified Gram-Schmidt, twice.

    A column that is (numerically) in the span of the previous ones is replaced
    by a fresh random vector orthogonalised the same way, so the block keeps
    full rank even for a rank-deficient covariance.

    Parameters
    ----------
    W : ndarray, shape (d, p), p <= d
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of float64, shape (d, p), orthonormal columns
    """
    Q = np.array(W, dtype=np.float64, order="C")
    d, p = Q.shape
    for j in range(p):
        v = Q[:, j].copy()
        for _attempt in range(8):
            norm0 = math.sqrt(float((v * v).sum()))
            for _twice in range(2):
                for i in range(j):
                    v = v - float((Q[:, i] * v).sum()) * Q[:, i]
            norm = math.sqrt(float((v * v).sum()))
            if norm > DEGENERATE * norm0 and norm > 0.0:
                break
            v = rng.standard_normal(d)
        Q[:, j] = v / norm
    return Q


def jacobi_eigh(H):
    """Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations.

    Each rotation zeroes one off-diagonal pair (Golub & Van Loan, Alg. 8.5.2 /
    8.5.3); only ``+ - * /`` and ``sqrt`` are used, so the result is the same
    on every platform.

    Parameters
    ----------
    H : ndarray, shape (p, p), symmetric

    Returns
    -------
    values : ndarray of float64, shape (p,), in decreasing order
    vectors : ndarray of float64, shape (p, p); column ``i`` belongs to ``values[i]``
    """
    A = np.array(H, dtype=np.float64)
    p = A.shape[0]
    V = np.eye(p)
    scale = math.sqrt(float((A * A).sum()))
    # Stop once the off-diagonal part is negligible: ‖A - diag(A)‖_F <= EPS ‖A‖_F
    # (Golub & Van Loan, §8.5.3).  Its square is summed directly from the strictly
    # upper triangle: computing it as Σ A² - Σ diag(A)² cancels to exactly 0.0 once
    # the true value falls below ~EPS ‖A‖_F², and the sweeps would stop with
    # off-diagonal entries of ~1e-8 ‖A‖ left, i.e. eigen-residuals of ~1e-8 instead of ~1e-16.
    upper = np.triu_indices(p, 1)
    threshold = EPS * scale
    for _sweep in range(JACOBI_SWEEPS):
        above = A[upper]
        off = 2.0 * float((above * above).sum())  # both triangles: A stays symmetric
        if off <= threshold * threshold:
            break
        for a in range(p - 1):
            for b in range(a + 1, p):
                apq = float(A[a, b])
                if apq == 0.0:
                    continue
                tau = (float(A[b, b]) - float(A[a, a])) / (2.0 * apq)
                if abs(tau) > 1e150:  # tau² would overflow; t ~ 1 / (2 tau)
                    t = 0.5 / tau
                elif tau >= 0.0:
                    t = 1.0 / (tau + math.sqrt(1.0 + tau * tau))
                else:
                    t = 1.0 / (tau - math.sqrt(1.0 + tau * tau))
                c = 1.0 / math.sqrt(1.0 + t * t)
                s = t * c
                # A <- Jᵀ A J with J the rotation by (c, s) in the (a, b) plane
                col_a, col_b = A[:, a].copy(), A[:, b].copy()
                A[:, a] = c * col_a - s * col_b
                A[:, b] = s * col_a + c * col_b
                row_a, row_b = A[a, :].copy(), A[b, :].copy()
                A[a, :] = c * row_a - s * row_b
                A[b, :] = s * row_a + c * row_b
                A[a, b] = A[b, a] = 0.0
                col_a, col_b = V[:, a].copy(), V[:, b].copy()
                V[:, a] = c * col_a - s * col_b
                V[:, b] = s * col_a + c * col_b
    values = np.diagonal(A).copy()
    order = sorted(range(p), key=lambda i: -values[i])  # stable: ties keep their order
    return values[order], np.ascontiguousarray(V[:, order])


def top_eigenvectors(C, k, seed=0, iters=MAX_ITERS, tol=TOL):
    """:func:`top_eigenvector_steps` run to its end: ``(values, vectors, iterations)``."""
    return budget.drain(top_eigenvector_steps(C, k, seed, iters, tol))


def top_eigenvector_steps(C, k, seed=0, iters=MAX_ITERS, tol=TOL):
    """The ``k`` leading eigenpairs of a symmetric positive semi-definite matrix.

    Parameters
    ----------
    C : ndarray, shape (d, d), symmetric PSD
    k : int, 1 <= k <= d
    seed : int
        Seeds the random starting block (``np.random.default_rng(seed)``).
    iters : int
        Maximum subspace-iteration steps.
    tol : float
        Convergence when every residual ``‖C u_i - θ_i u_i‖ <= tol · θ_1``.

    Returns
    -------
    values : ndarray of float64, shape (k,), decreasing
    vectors : ndarray of float64, shape (d, k), orthonormal columns
    iterations : int
        Steps taken.

    A generator: it yields the step number every few steps (about
    ``budget.PROGRESS_SECONDS`` of work), so a caller can report progress.
    """
    C = np.asarray(C, dtype=np.float64)
    d = C.shape[0]
    p = min(d, k + OVERSAMPLE)
    rng = np.random.default_rng(seed)
    V = _orthonormalize(rng.standard_normal((d, p)), rng)
    theta = np.zeros(p)
    step = 0
    every = budget.chunk(ITERATION_SECONDS * d * d * p + STEP_SECONDS)  # steps between two progress items
    for step in range(1, iters + 1):
        if step % every == 0:
            yield step
        W = _matmul(C, V)
        if step % RITZ_EVERY == 0 or step == iters or p == d:
            H = _matmul(V.T, W)
            theta, S = jacobi_eigh(0.5 * (H + H.T))
            U = _matmul(V, S)
            CU = _matmul(W, S)  # = C U, since W = C V
            R = CU[:, :k] - U[:, :k] * theta[:k]
            worst = math.sqrt(float((R * R).sum(axis=0).max()))
            # p == d: V spans everything, so the Ritz pairs are exact already
            if p == d or worst <= tol * max(float(theta[0]), 0.0):
                V = U
                break
            W = CU
        V = _orthonormalize(W, rng)
    return theta[:k].copy(), np.ascontiguousarray(V[:, :k]), step


def flip_signs(components):
    """Make the largest-magnitude entry of each row positive (sklearn's ``svd_flip``).

    Parameters
    ----------
    components : ndarray, shape (k, d)

    Returns
    -------
    ndarray, shape (k, d)
    """
    out = np.array(components, dtype=np.float64)
    for i in range(out.shape[0]):
        a = np.abs(out[i])
        j = int(np.flatnonzero(a == a.max())[0])  # first entry of largest magnitude
        if out[i, j] < 0.0:
            out[i] = -out[i]
    return out


def _components_from_gram(Xc, k, seed, iters, tol):
    """A generator of progress items returning the top-k eigenpairs of the covariance through the n x n Gram matrix (for d > n).

    With ``Xc = U S Vᵀ``, ``Xc Xcᵀ / (n - 1)`` has the same non-zero eigenvalues
    as the d x d covariance, and a right singular vector is ``v = Xcᵀ u / ‖Xcᵀ u‖``.
    Directions beyond the rank (zero variance) are completed orthonormally.

    Returns
    -------
    values : ndarray, shape (k,); vectors : ndarray, shape (d, k); steps : int
    """
    n, d = Xc.shape
    G = (yield from _gram_rows(Xc, Xc.T)) / (n - 1)
    m = min(k, n)
    values, U, steps = yield from top_eigenvector_steps(G, m, seed=seed, iters=iters, tol=tol)
    V = _matmul(Xc.T, U)  # (d, m); column i has norm sqrt((n - 1) λ_i)
    rank = values > DEGENERATE * max(float(values[0]), 0.0)
    V[:, ~rank] = 0.0  # no direction of variance there: completed below
    values = np.concatenate([np.where(rank, values, 0.0), np.zeros(k - m)])
    rng = np.random.default_rng([seed, 1])
    V = _orthonormalize(np.concatenate([V, np.zeros((d, k - m))], axis=1), rng)
    return values, V, steps


def pca(X, n_components=2, seed=0, iters=MAX_ITERS, tol=TOL):
    """Principal component analysis of the rows of ``X``: :func:`pca_steps` run to its end."""
    return budget.drain(pca_steps(X, n_components, seed, iters, tol))


def pca_steps(X, n_components=2, seed=0, iters=MAX_ITERS, tol=TOL):
    """Principal component analysis of the rows of ``X``, as a generator.

    It yields a progress token after every block of the covariance (or Gram)
    matrix and every few subspace steps, each about ``budget.PROGRESS_SECONDS``
    of work, and returns the result; the blocks give the same bits as one pass.

    The eigenvectors come from the d x d covariance when ``d <= n`` and from the
    n x n Gram matrix otherwise (e.g. a few hundred snapshots of a network's
    many weights), so the work is ``O(n d min(n, d))`` and the memory
    ``O(min(n, d)²)`` besides the data.

    Parameters
    ----------
    X : array_like, shape (n, d), n >= 2
    n_components : int, 1 <= n_components <= d
    seed : int
        Seeds the start of the subspace iteration; the converged components do
        not depend on it beyond ``tol``.
    iters : int
        Maximum subspace-iteration steps.
    tol : float
        Relative residual for convergence (see :func:`top_eigenvectors`).

    Returns
    -------
    dict with
        ``components`` (k, d): orthonormal directions, largest variance first;
        ``mean`` (d,); ``explained_variance`` (k,): variance along each
        component (``ddof = 1``, as scikit-learn); ``explained_variance_ratio``
        (k,): that variance over the total variance (the covariance's trace;
        0 when the data are constant); ``projected`` (n, k): the centred data
        in component coordinates; ``iterations``: subspace steps taken.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"pca needs a 2-D array with at least 2 rows, got shape {X.shape}")
    n, d = X.shape
    if not 1 <= n_components <= d:
        raise ValueError(f"n_components must be between 1 and {d}, got {n_components}")
    mean = X.mean(axis=0)
    Xc = X - mean
    if d <= n:
        C = (yield from _gram_rows(Xc.T, Xc)) / (n - 1)
        values, vectors, steps = yield from top_eigenvector_steps(C, n_components, seed=seed, iters=iters, tol=tol)
    else:
        values, vectors, steps = yield from _components_from_gram(Xc, n_components, seed, iters, tol)
    values = np.maximum(values, 0.0)  # a PSD matrix; rounding may leave -tiny
    components = flip_signs(vectors.T)
    total = float((Xc * Xc).sum(axis=0).sum()) / (n - 1)  # the covariance's trace
    ratio = values / total if total > 0.0 else np.zeros_like(values)
    projected = _matmul(Xc, components.T)
    return {"components": components, "mean": mean, "explained_variance": values,
            "explained_variance_ratio": ratio, "projected": projected, "iterations": steps}
