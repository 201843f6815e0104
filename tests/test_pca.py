"""PCA from deterministic operations: eigen-residuals, orthonormality, LAPACK within its own error.

Every test datum is built with the deterministic kernels (``K.matmul``, Householder
reflections), never with BLAS's ``@`` or LAPACK's ``qr``, so every machine feeds the
PCA the same numbers.  The checks are invariants of an eigen-decomposition, which do
not depend on any reference library:

* the eigen-residual ``‖C u_i - λ_i u_i‖ / λ_1`` of every component (the PCA's own
  stopping test, ``P.TOL``, bounds it when it iterates);
* orthonormality of the components;
* exact, hand-derived eigenpairs where the matrix allows it.

Where LAPACK's ``eigh`` is still consulted, the tolerance leaves room for its own
error: a backward-stable solver returns the exact eigenpairs of ``C + E`` with
``‖E‖ <= c·d·eps·‖C‖`` (Anderson et al., *LAPACK Users' Guide*, 3rd ed., 1999, §4.7),
so an eigenvalue may move by ``‖E‖`` (Weyl) and an eigenvector by ``‖E‖ / gap``
(Davis & Kahan 1970; Golub & Van Loan, *Matrix Computations*, 4th ed., Thm 8.1.12).
"""

import math

import numpy as np
import pytest

from descentlab import datasets
from descentlab import kernels as K
from descentlab import pca as P

EPS = np.finfo(np.float64).eps
ORTHO_TOL = 1e-13  # max |U Uᵀ - I|: two Gram-Schmidt passes leave O(d·eps)
DIRECT_RESIDUAL = 1e-14  # relative residual of pairs from Jacobi alone (p == d): O(d·eps)
LAPACK_C = 10.0  # the constant c of LAPACK's backward error c·d·eps·‖C‖, with room to spare


# --- deterministic test data and invariants ----------------------------------------


def matmul(a, b):
    """The deterministic product on C-contiguous copies (as the PCA computes its own)."""
    return K.matmul(np.ascontiguousarray(a), np.ascontiguousarray(b))


def covariance(X):
    """``Xcᵀ Xc / (n - 1)`` with the very operations of ``P.pca``: the same bits as its own C."""
    X = np.asarray(X, dtype=np.float64)
    Xc = X - X.mean(axis=0)
    return matmul(Xc.T, Xc) / (len(X) - 1)


def householder_orthogonal(d, rng):
    """A random orthogonal d x d matrix: the product of d Householder reflections."""
    Q = np.eye(d)
    for _ in range(d):
        v = rng.standard_normal(d)
        Q = Q - (2.0 / float((v * v).sum())) * (matmul(Q, v[:, None]) * v[None, :])  # Q (I - 2vvᵀ/vᵀv)
    return Q


def spectrum_data(n=400, d=12, seed=0):
    """Data with well separated variances (so eigenvectors are well defined), built without BLAS."""
    rng = np.random.default_rng(seed)
    Q = householder_orthogonal(d, rng)
    scales = np.linspace(5.0, 0.5, d)
    return matmul(rng.standard_normal((n, d)) * scales, Q.T) + rng.standard_normal(d)


def hadamard(m):
    """The 2**m x 2**m Sylvester-Hadamard matrix: ±1 entries, exactly orthogonal columns."""
    H = np.ones((1, 1))
    for _ in range(m):
        H = np.block([[H, H], [H, -H]])
    return H


def residuals(C, values, vectors):
    """``‖C u_i - λ_i u_i‖ / λ_1`` for every column ``u_i`` of ``vectors`` (shape (d, k))."""
    R = matmul(C, vectors) - vectors * values
    return np.sqrt((R * R).sum(axis=0)) / max(float(values[0]), np.finfo(float).tiny)


def assert_orthonormal_rows(components):
    k = components.shape[0]
    assert np.abs(matmul(components, components.T) - np.eye(k)).max() <= ORTHO_TOL


def lapack_reference(C, k):
    """Top-k eigenpairs of ``C`` by np.linalg.eigh (signs as svd_flip) and what they may err by.

    Returns
    -------
    values : (k,); vectors : (k, d), rows; value_err : float
        LAPACK's eigenvalue error bound ``c·d·eps·‖C‖₂``.
    gaps : (k,)
        Distance from each of the top-k eigenvalues to the nearest other one.
    """
    d = C.shape[0]
    w, v = np.linalg.eigh(C)
    w, v = w[::-1], v[:, ::-1].T
    for row in v:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1.0
    value_err = LAPACK_C * d * EPS * float(np.abs(w).max())
    others = np.abs(w[:k, None] - w[None, :])
    others[np.arange(k), np.arange(k)] = np.inf
    return w[:k], v[:k], value_err, others.min(axis=1)


def assert_matches_lapack(C, out, k):
    """Eigenvalues within both solvers' errors; eigenvectors within (error / gap)."""
    ours = out["explained_variance"]
    r = residuals(C, ours, out["components"].T) * float(ours[0])  # absolute residual norms
    w, v, value_err, gaps = lapack_reference(C, k)
    # Weyl: each of ours lies within ‖r‖ of an exact eigenvalue, LAPACK's within value_err
    np.testing.assert_array_less(np.abs(ours - w), r + value_err + EPS * np.abs(w))
    # Davis-Kahan: each vector is within (‖r‖ + ‖E‖) / gap of the exact one, in angle
    angle = (r + value_err) / gaps
    for i in range(k):
        assert np.abs(out["components"][i] - v[i]).max() <= 2.0 * angle[i], i


# --- agreement with the invariants, and with LAPACK within its error --------------


@pytest.mark.parametrize("k", [1, 2, 5])
def test_digits_eigenpairs(k):
    X, _ = datasets.make("digits")
    out = P.pca(X, k)
    C = covariance(X)
    assert out["components"].shape == (k, 64)
    assert residuals(C, out["explained_variance"], out["components"].T).max() <= P.TOL
    assert_orthonormal_rows(out["components"])
    assert_matches_lapack(C, out, k)
    total = float(np.diagonal(C).sum())
    np.testing.assert_allclose(out["explained_variance_ratio"], out["explained_variance"] / total, rtol=1e-14)
    np.testing.assert_allclose(out["mean"], X.mean(axis=0), rtol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_spectrum_eigenpairs(seed):
    X = spectrum_data(seed=seed)
    out = P.pca(X, 4, seed=seed)
    C = covariance(X)
    # d = 12 <= k + OVERSAMPLE: the block spans everything and Jacobi alone gives the pairs
    assert residuals(C, out["explained_variance"], out["components"].T).max() <= DIRECT_RESIDUAL
    assert_orthonormal_rows(out["components"])
    assert_matches_lapack(C, out, 4)
    # the projection is the centred data in component coordinates
    Xc = X - X.mean(axis=0)
    np.testing.assert_allclose(out["projected"], matmul(Xc, out["components"].T), rtol=0, atol=1e-13)


# --- the Jacobi stopping test (regressions) -----------------------------------------


def test_jacobi_on_a_nearly_diagonal_matrix_hand_derived():
    """diag(1, 2, 3, 4) coupled by ε = 1e-9 between the first two: exact pairs by hand.

    The 2 x 2 block [[1, ε], [ε, 2]] has eigenvalues 1.5 ± sqrt(1/4 + ε²), i.e. 1 - ε² and
    2 + ε² (both round to 1 and 2), and eigenvectors (1, -ε) and (ε, 1) up to O(ε²).  The off-
    diagonal mass 2ε² = 2e-18 vanishes next to ΣA² = 30 (its ulp is 3.6e-15): computed as
    ΣA² - Σdiag² it cancels to exactly 0.0, and a stopping test built on that difference
    returned the identity, whose residual is ε / λ_1 = 2.5e-10.
    """
    eps = 1e-9
    H = np.diag([1.0, 2.0, 3.0, 4.0])
    H[0, 1] = H[1, 0] = eps
    values, V = P.jacobi_eigh(H)
    assert values.tolist() == [4.0, 3.0, 2.0, 1.0]
    V = V * np.where(np.abs(V).max(axis=0) == V.max(axis=0), 1.0, -1.0)  # largest entry positive
    np.testing.assert_allclose(V[:, 2], [eps, 1.0, 0.0, 0.0], rtol=1e-15, atol=1e-24)
    np.testing.assert_allclose(V[:, 3], [1.0, -eps, 0.0, 0.0], rtol=1e-15, atol=1e-24)
    np.testing.assert_array_equal(V[:, :2], [[0, 0], [0, 0], [0, 1], [1, 0]])
    assert residuals(H, values, V).max() <= DIRECT_RESIDUAL


def test_jacobi_on_a_nearly_diagonal_covariance():
    """A covariance that is diagonal up to ~1e-8 of its norm: Jacobi must still sweep it.

    Columns are ±1 Hadamard patterns (exactly orthogonal and centred) with distinct scales;
    each also carries 1e-8 of its neighbour's pattern, which couples them.  The off-diagonal
    mass is ~1e-16 ‖C‖², below what ΣC² - Σdiag² can resolve.
    """
    d, delta = 12, 1e-8
    Hd = hadamard(6)
    X = Hd[:, 1:d + 1] * np.linspace(5.0, 0.5, d)
    X[:, :-1] = X[:, :-1] + delta * Hd[:, 2:d + 1]
    C = covariance(X)
    off = C - np.diag(np.diagonal(C))
    assert 1e-9 < np.abs(off).max() / np.abs(C).max() < 1e-7  # the regime the old test missed
    values, V = P.jacobi_eigh(C)
    assert residuals(C, values, V).max() <= DIRECT_RESIDUAL
    np.testing.assert_allclose(matmul(V.T, V), np.eye(d), rtol=0, atol=ORTHO_TOL)


def test_pca_where_jacobi_used_to_stop_early():
    """Data on which the old stopping test left an eigen-residual of 6.5e-9 (seed 23, found by scan).

    d = 12 <= k + OVERSAMPLE, so the PCA's answer is Jacobi's alone.  The data are built
    with the deterministic kernels, so every machine runs exactly this case.
    """
    X = spectrum_data(seed=23)
    out = P.pca(X, 4, seed=23)
    C = covariance(X)
    assert residuals(C, out["explained_variance"], out["components"].T).max() <= DIRECT_RESIDUAL
    assert_matches_lapack(C, out, 4)


# --- signs, shapes, seeds, degenerate data ------------------------------------------


def test_signs_and_shapes():
    X = spectrum_data(n=50, d=6)
    out = P.pca(X, 3)
    for row in out["components"]:
        j = np.flatnonzero(np.abs(row) == np.abs(row).max())[0]
        assert row[j] > 0.0
    assert out["projected"].shape == (50, 3)
    assert out["mean"].shape == (6,)
    assert out["explained_variance"].shape == out["explained_variance_ratio"].shape == (3,)
    assert np.all(np.diff(out["explained_variance"]) <= 0.0)


def test_deterministic_and_seed_independent():
    X, _ = datasets.make("digits", n=300, seed=4)
    a, b = P.pca(X, 2, seed=7), P.pca(X, 2, seed=7)
    for key in ("components", "projected", "explained_variance"):
        assert a[key].tobytes() == b[key].tobytes()
    c = P.pca(X, 2, seed=8)
    np.testing.assert_allclose(a["components"], c["components"], atol=1e-8)


def test_more_dimensions_than_points_and_rank_deficient():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((10, 40))  # rank 9 after centring
    out = P.pca(X, 3)
    C = covariance(X)
    assert residuals(C, out["explained_variance"], out["components"].T).max() <= P.TOL
    assert_orthonormal_rows(out["components"])
    assert_matches_lapack(C, out, 3)
    dup = np.repeat(spectrum_data(n=60, d=3), 2, axis=1)  # each column twice: rank 3 of 6
    out = P.pca(dup, 4)
    assert out["explained_variance"][3] < 1e-12
    assert_orthonormal_rows(out["components"])


@pytest.mark.parametrize("n, d, k", [(10, 40, 3), (30, 2000, 2), (3, 50, 5), (2, 7, 2)])
def test_wide_data_through_the_gram_matrix(n, d, k):
    """d > n (network weight snapshots): eigenvectors from the n x n Gram matrix."""
    rng = np.random.default_rng(n + d)
    X = rng.standard_normal((n, d)) * np.linspace(3.0, 1.0, d)
    out = P.pca(X, k)
    U = out["components"]
    assert U.shape == (k, d)
    assert_orthonormal_rows(U)
    Xc = X - X.mean(axis=0)
    # C u = Xcᵀ (Xc u) / (n - 1), without forming the d x d covariance
    CU = matmul(Xc.T, matmul(Xc, U.T)) / (n - 1)
    lam = out["explained_variance"]
    R = CU - U.T * lam
    assert np.sqrt((R * R).sum(axis=0)).max() <= P.TOL * float(lam[0]) * 10.0
    # the variances are the Gram matrix's top eigenvalues (zero past the rank n - 1)
    G = matmul(Xc, Xc.T) / (n - 1)
    w = np.linalg.eigvalsh(G)[::-1]
    r = min(k, n - 1)
    var = np.zeros(k)
    var[:r] = w[:r]
    np.testing.assert_allclose(lam, var, rtol=0, atol=P.TOL * float(lam[0]) + LAPACK_C * n * EPS * float(w[0]))
    np.testing.assert_allclose(out["projected"], matmul(Xc, U.T), rtol=0, atol=1e-12)
    total = float(np.diagonal(G).sum())  # trace(Xc Xcᵀ) = trace(Xcᵀ Xc): the total variance
    np.testing.assert_allclose(out["explained_variance_ratio"], lam / total, rtol=1e-12)


def test_constant_and_one_dimensional_data():
    out = P.pca(np.ones((5, 3)), 2)
    assert np.all(out["explained_variance"] == 0.0)
    assert np.all(out["explained_variance_ratio"] == 0.0)
    assert np.all(out["projected"] == 0.0)
    line = np.arange(8.0)[:, None]
    out = P.pca(line, 1)
    assert out["components"].tolist() == [[1.0]]
    assert out["explained_variance"].tolist() == [6.0]  # Σ (i - 3.5)² / 7 = 42 / 7
    assert out["explained_variance_ratio"].tolist() == [1.0]


def test_jacobi_eigh():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((9, 9))
    H = A + A.T
    w, V = P.jacobi_eigh(H)
    assert np.all(np.diff(w) <= 0.0)
    np.testing.assert_allclose(matmul(V.T, V), np.eye(9), rtol=0, atol=ORTHO_TOL)
    # residual relative to the largest |eigenvalue| (H is indefinite)
    R = matmul(H, V) - V * w
    assert math.sqrt(float((R * R).sum(axis=0).max())) <= DIRECT_RESIDUAL * float(np.abs(w).max())
    ref = np.linalg.eigvalsh(H)[::-1]
    np.testing.assert_allclose(w, ref, rtol=0, atol=LAPACK_C * 9 * EPS * float(np.abs(ref).max()))
    assert V.flags.c_contiguous


@pytest.mark.parametrize("bad", [0, 4])
def test_rejects_bad_arguments(bad):
    with pytest.raises(ValueError):
        P.pca(np.ones((5, 3)), bad)
    with pytest.raises(ValueError):
        P.pca(np.ones((1, 3)), 1)


@pytest.mark.parametrize("shape", [(60, 9), (9, 60), (31, 31)])
def test_pca_in_small_blocks_gives_the_same_bits_and_reports_progress(shape, monkeypatch):
    """Cut into the smallest blocks (two rows, a progress item every subspace step), PCA is bit-identical."""
    from descentlab import budget
    X = np.random.default_rng(5).standard_normal(shape)
    whole = P.pca(X, 2, seed=1)
    monkeypatch.setattr(budget, "PROGRESS_SECONDS", 1e-12)
    steps = P.pca_steps(X, 2, seed=1)
    tokens = 0
    while True:
        try:
            next(steps)
            tokens += 1
        except StopIteration as stop:
            cut = stop.value
            break
    assert tokens >= min(shape) // 2 + whole["iterations"] - 1
    for key in ("components", "projected", "explained_variance", "mean"):
        assert cut[key].tobytes() == whole[key].tobytes(), key
