"""PCA from deterministic operations: agrees with LAPACK's eigh, signs fixed, edge cases."""

import numpy as np
import pytest

from descentlab import datasets
from descentlab import pca as P


def reference(X, k):
    """Top-k eigenpairs of the sample covariance by np.linalg.eigh, signs as svd_flip."""
    C = np.cov(np.asarray(X, dtype=np.float64), rowvar=False)
    w, v = np.linalg.eigh(C)
    w, v = w[::-1][:k], v[:, ::-1][:, :k].T
    for row in v:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1.0
    return w, v, np.trace(C)


def spectrum_data(n=400, d=12, seed=0):
    """Data with well separated variances (so eigenvectors are well defined)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    scales = np.linspace(5.0, 0.5, d)
    return (rng.standard_normal((n, d)) * scales) @ Q.T + rng.standard_normal(d)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_matches_eigh_on_digits(k):
    X, _ = datasets.make("digits")
    out = P.pca(X, k)
    w, v, total = reference(X, k)
    assert out["components"].shape == (k, 64)
    np.testing.assert_allclose(out["components"], v, rtol=0, atol=1e-8)
    np.testing.assert_allclose(out["explained_variance"], w, rtol=1e-10)
    np.testing.assert_allclose(out["explained_variance_ratio"], w / total, rtol=1e-10)
    np.testing.assert_allclose(out["mean"], X.mean(axis=0), rtol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_eigh_on_random_spectrum(seed):
    X = spectrum_data(seed=seed)
    out = P.pca(X, 4, seed=seed)
    w, v, total = reference(X, 4)
    np.testing.assert_allclose(out["components"], v, rtol=0, atol=1e-8)
    np.testing.assert_allclose(out["explained_variance_ratio"], w / total, rtol=1e-10)
    # orthonormal rows; projection is the centred data in component coordinates
    np.testing.assert_allclose(out["components"] @ out["components"].T, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(out["projected"], (X - X.mean(axis=0)) @ out["components"].T, atol=1e-10)


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
    w, v, _ = reference(X, 3)
    np.testing.assert_allclose(out["components"], v, atol=1e-8)
    np.testing.assert_allclose(out["explained_variance"], w, rtol=1e-10)
    dup = np.repeat(spectrum_data(n=60, d=3), 2, axis=1)  # each column twice: rank 3 of 6
    out = P.pca(dup, 4)
    assert out["explained_variance"][3] < 1e-12
    np.testing.assert_allclose(out["components"] @ out["components"].T, np.eye(4), atol=1e-12)


@pytest.mark.parametrize("n, d, k", [(10, 40, 3), (30, 2000, 2), (3, 50, 5), (2, 7, 2)])
def test_wide_data_through_the_gram_matrix(n, d, k):
    """d > n (network weight snapshots): eigenvectors from the n x n Gram matrix."""
    rng = np.random.default_rng(n + d)
    X = rng.standard_normal((n, d)) * np.linspace(3.0, 1.0, d)
    out = P.pca(X, k)
    assert out["components"].shape == (k, d)
    np.testing.assert_allclose(out["components"] @ out["components"].T, np.eye(k), atol=1e-12)
    Xc = X - X.mean(axis=0)
    s = np.linalg.svd(Xc, compute_uv=False)
    var = np.zeros(k)
    r = min(k, n - 1)
    var[:r] = s[:r] ** 2 / (n - 1)
    np.testing.assert_allclose(out["explained_variance"], var, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["projected"], Xc @ out["components"].T, atol=1e-10)
    np.testing.assert_allclose(out["explained_variance_ratio"].sum(), var.sum() / (s ** 2 / (n - 1)).sum())


def test_constant_and_one_dimensional_data():
    out = P.pca(np.ones((5, 3)), 2)
    assert np.all(out["explained_variance"] == 0.0)
    assert np.all(out["explained_variance_ratio"] == 0.0)
    assert np.all(out["projected"] == 0.0)
    line = np.arange(8.0)[:, None]
    out = P.pca(line, 1)
    np.testing.assert_allclose(out["components"], [[1.0]])
    np.testing.assert_allclose(out["explained_variance_ratio"], [1.0])


def test_jacobi_eigh():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((9, 9))
    H = A + A.T
    w, V = P.jacobi_eigh(H)
    ref = np.linalg.eigvalsh(H)[::-1]
    np.testing.assert_allclose(w, ref, atol=1e-12)
    np.testing.assert_allclose(V.T @ V, np.eye(9), atol=1e-13)
    np.testing.assert_allclose(H @ V, V * w, atol=1e-11)
    assert V.flags.c_contiguous


@pytest.mark.parametrize("bad", [0, 4])
def test_rejects_bad_arguments(bad):
    with pytest.raises(ValueError):
        P.pca(np.ones((5, 3)), bad)
    with pytest.raises(ValueError):
        P.pca(np.ones((1, 3)), 1)
