"""t-SNE, exact and Barnes-Hut: calibration, gradient, optimisation, determinism, specs, memory."""

import copy
import math
import tracemalloc

import numpy as np
import pytest

import descentlab

from descentlab import datasets, tsne
from descentlab.tsne import barnes_hut, parallel
from descentlab.digest import digest
from descentlab.errors import SpecError


def trustworthiness(X, Y, k=10):
    """scikit-learn's ``sklearn.manifold.trustworthiness`` (Venna & Kaski 2001), in NumPy.

    ``1 - 2 / (n k (2n - 3k - 1)) Σ_i Σ_{j ∈ U_i} (r(i, j) - k)``, where ``U_i``
    holds the k nearest neighbours of i in the embedding that are not among its
    k nearest in the input, and ``r(i, j)`` is j's rank among i's input neighbours.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n = len(X)

    def dist(A):
        D = ((A[:, None, :] - A[None, :, :]) ** 2).sum(axis=2)
        np.fill_diagonal(D, np.inf)
        return D

    order_x = np.argsort(dist(X), axis=1, kind="stable")
    near_y = np.argsort(dist(Y), axis=1, kind="stable")[:, :k]
    rank = np.empty((n, n), dtype=np.int64)
    rank[np.arange(n)[:, None], order_x] = np.arange(1, n + 1)[None, :]
    excess = rank[np.arange(n)[:, None], near_y] - k
    return 1.0 - excess[excess > 0].sum() * (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))


def run(spec):
    """Validate and run a spec; return (progress items, result with its digest)."""
    items = list(tsne.iterate(tsne.read_spec(spec)))
    result = items[-1]["result"]
    result["digest"] = digest(result)
    return items, result


def joint(X, perplexity):
    return tsne.joint_probabilities(np.asarray(X, dtype=np.float64), perplexity)


def sparse(X, perplexity):
    steps = barnes_hut.sparse_joint_probabilities(np.asarray(X, dtype=np.float64), perplexity)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def small_problem(n=30, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) + 3.0 * (np.arange(n) % 3)[:, None]
    Y = rng.standard_normal((n, 2))
    return X, Y


DIGITS_SUBSET = {"kind": "tsne", "dataset": {"name": "digits", "n": 400, "seed": 0}}
LIBM_ROOM = 1 + 1e-6  # relative room for NumPy's exp/log in a check against PERPLEXITY_TOL


# --- affinities ------------------------------------------------------------------------


def entropy_of(P):
    """Entropy in nats of each row, with NumPy's own log (independent of the kernels)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(P > 0, P * np.log(P), 0.0).sum(axis=1)


@pytest.mark.parametrize("perplexity", [5.0, 30.0, 50.0])
def test_perplexity_calibration_exact(perplexity):
    X, _ = datasets.make("digits", n=500, seed=1)
    steps = tsne.conditional_probabilities(X, perplexity)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            P, beta, H = stop.value
            break
    assert np.all(np.diagonal(P) == 0.0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    # every row hits the target: |exp(H) - perplexity| <= 1e-5 (so |H - log u| < 1e-5 too); NumPy's
    # exp and log (libm, or SVML to 4 ulp) may err by ~1e-13 here, hence the 1e-11 of room
    assert np.abs(np.exp(entropy_of(P)) - perplexity).max() <= tsne.PERPLEXITY_TOL * LIBM_ROOM
    assert np.abs(np.exp(H) - perplexity).max() <= tsne.PERPLEXITY_TOL * LIBM_ROOM
    assert np.all(beta > 0.0)


def test_perplexity_calibration_nearest_neighbors():
    X, _ = datasets.make("digits", n=500, seed=2)
    k = barnes_hut.n_neighbors(500, 30.0)
    index, dist = barnes_hut.nearest_neighbors(X, k)
    P, beta, H = tsne.binary_search_perplexity(dist, 30.0)
    assert np.abs(np.exp(entropy_of(P)) - 30.0).max() <= tsne.PERPLEXITY_TOL * LIBM_ROOM
    assert np.abs(np.exp(H) - 30.0).max() <= tsne.PERPLEXITY_TOL * LIBM_ROOM


def test_joint_probabilities_properties():
    X, _ = small_problem(n=60)
    P = joint(X, 10.0)
    assert np.array_equal(P, P.T)
    assert np.all(np.diagonal(P) == 0.0)
    off = P[~np.eye(60, dtype=bool)]
    assert off.min() >= tsne.MACHINE_EPSILON
    assert abs(P.sum() - 1.0) < 1e-12


def test_nearest_neighbors_exact_with_ties():
    # integer grid points: many equal distances, ties go to the lower index
    g = np.arange(6.0)
    X = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)[np.random.default_rng(0).permutation(36)]
    for k in (1, 4, 7, 35):
        index, dist = barnes_hut.nearest_neighbors(X, k)
        D = ((X[:, None] - X[None]) ** 2).sum(axis=2)
        np.fill_diagonal(D, np.inf)
        ref = np.lexsort((np.broadcast_to(np.arange(36), D.shape), D), axis=1)[:, :k]
        assert np.array_equal(index, np.sort(ref, axis=1))
        assert np.array_equal(dist, np.take_along_axis(D, index, axis=1))


def test_sparse_joint_probabilities():
    X, _ = datasets.make("digits", n=300, seed=3)
    row_start, cols, p = sparse(X, 20.0)
    n = 300
    dense = np.zeros((n, n))
    rows = np.repeat(np.arange(n), np.diff(row_start))
    dense[rows, cols] = p
    assert np.array_equal(dense, dense.T)
    assert np.all(np.diagonal(dense) == 0.0) and np.all(p > 0.0)
    assert abs(dense.sum() - 1.0) < 1e-12
    assert all(np.all(np.diff(cols[a:b]) > 0) for a, b in zip(row_start[:-1], row_start[1:]))
    k = barnes_hut.n_neighbors(n, 20.0)
    index, _ = barnes_hut.nearest_neighbors(X, k)
    knn = np.zeros((n, n), dtype=bool)
    knn[np.repeat(np.arange(n), k), index.ravel()] = True
    assert np.array_equal(dense > 0, knn | knn.T)  # the union of both neighbour lists


def test_padded_rows_cover_every_entry_once():
    rng = np.random.default_rng(9)
    n = 50
    lengths = rng.integers(1, 30, n)
    lengths[7] = 49  # a "hub" row as long as n - 1
    row_start = np.concatenate([[0], np.cumsum(lengths)])
    cols = np.concatenate([np.sort(rng.choice(n, size=L, replace=False)) for L in lengths])
    p = rng.random(len(cols)) + 0.1
    tables = barnes_hut.padded_rows(row_start, cols, p)
    seen = np.zeros(n, dtype=int)
    total = 0
    for rows, tc, tp in tables:
        seen[rows] += 1
        for r, c, v in zip(rows, tc, tp):
            a, b = row_start[r], row_start[r + 1]
            assert np.array_equal(c[:b - a], cols[a:b]) and np.array_equal(v[:b - a], p[a:b])
            assert np.all(c[b - a:] == r) and np.all(v[b - a:] == 0.0)
            assert b - a <= len(c) <= max(8, 1.25 * (b - a) + 8)
        total += tp.size
    assert np.all(seen == 1)
    assert total <= 1.25 * len(cols) + 8 * n


# --- objective and gradient ------------------------------------------------------------


def finite_difference(f, Y, h=1e-5):
    g = np.zeros_like(Y)
    for idx in np.ndindex(*Y.shape):
        Yp, Ym = Y.copy(), Y.copy()
        Yp[idx] += h
        Ym[idx] -= h
        g[idx] = (f(Yp) - f(Ym)) / (2 * h)
    return g


def test_exact_gradient_matches_finite_differences():
    X, Y = small_problem()
    objective = tsne.ExactObjective(joint(X, 5.0))
    analytic = objective.gradient(Y)
    numeric = finite_difference(objective.kl, Y)
    assert np.abs(analytic - numeric).max() <= 1e-6 * np.abs(analytic).max()


def test_exact_kl_matches_definition():
    X, Y = small_problem(n=25)
    P = joint(X, 5.0)
    W = 1.0 / (1.0 + ((Y[:, None] - Y[None]) ** 2).sum(axis=2))
    np.fill_diagonal(W, 0.0)
    Q = W / W.sum()
    off = ~np.eye(25, dtype=bool)
    reference = (P[off] * np.log(P[off] / Q[off])).sum()
    assert tsne.ExactObjective(P).kl(Y) == pytest.approx(reference, rel=1e-12)


def test_exaggeration_scales_attraction_only():
    X, Y = small_problem(n=20)
    obj = tsne.ExactObjective(joint(X, 5.0))
    g1, g12, g0 = obj.gradient(Y, 1.0), obj.gradient(Y, 12.0), obj.gradient(Y, 0.0)
    np.testing.assert_allclose(g12 - g0, 12.0 * (g1 - g0), rtol=1e-10, atol=1e-15)


def test_barnes_hut_angle_zero_is_exact():
    rng = np.random.default_rng(4)
    Y = rng.standard_normal((300, 2)) * 5.0
    Y[10] = Y[11] = Y[12]  # coincident points share a deepest-level leaf
    Z, force = barnes_hut.repulsion(Y, angle=0.0)
    diff = Y[:, None] - Y[None]
    W = 1.0 / (1.0 + (diff ** 2).sum(axis=2))
    np.fill_diagonal(W, 0.0)
    assert Z == pytest.approx(W.sum(), rel=1e-12)
    np.testing.assert_allclose(force, ((W ** 2)[:, :, None] * diff).sum(axis=1), rtol=1e-9, atol=1e-12)


def test_barnes_hut_approximation_error():
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((8, 2)) * 30.0
    Y = centres[rng.integers(0, 8, 2000)] + rng.standard_normal((2000, 2)) * 3.0
    Z, force = barnes_hut.repulsion(Y)
    diff = Y[:, None] - Y[None]
    W = 1.0 / (1.0 + (diff ** 2).sum(axis=2))
    np.fill_diagonal(W, 0.0)
    exact = ((W ** 2)[:, :, None] * diff).sum(axis=1)
    assert abs(Z / W.sum() - 1.0) < 0.02
    assert np.abs(force - exact).max() < 0.05 * np.abs(exact).max()


def test_barnes_hut_gradient_matches_finite_differences():
    X, Y = small_problem(n=40)
    objective = barnes_hut.BarnesHutObjective(*sparse(X, 5.0), angle=0.0)  # exact repulsion: a true gradient
    analytic = objective.gradient(Y)
    numeric = finite_difference(objective.kl, Y)
    assert np.abs(analytic - numeric).max() <= 1e-6 * np.abs(analytic).max()


def test_quadtree_masses():
    rng = np.random.default_rng(6)
    Y = rng.standard_normal((500, 2))
    levels, order = barnes_hut.build_quadtree(Y)
    assert np.array_equal(np.sort(order), np.arange(500))
    assert levels[0].count[0] == 500
    np.testing.assert_allclose(levels[0].com[:, 0], Y.mean(axis=0), rtol=1e-12)
    for upper, lower in zip(levels[:-1], levels[1:]):
        for c in range(len(upper.start)):
            kids = slice(upper.first_child[c], upper.first_child[c] + upper.n_children[c])
            if upper.n_children[c]:
                assert lower.count[kids].sum() == upper.count[c]
                assert lower.side == upper.side / 2
    for level in levels:  # every leaf holds one point, exactly at its centre
        leaf = level.leaf & (level.count == 1)
        assert np.array_equal(level.com[:, leaf].T, Y[order[level.start[leaf]]])


# --- optimisation ------------------------------------------------------------------------


def test_kl_decreases_after_early_exaggeration():
    items, result = run(dict(DIGITS_SUBSET, method="exact", max_iter=500, early_exaggeration_iter=100))
    after = [kl for it, kl in result["kl_history"] if it > 100]
    assert all(b <= a for a, b in zip(after, after[1:])), after
    assert after[-1] < after[0]
    assert result["iterations"] == 500 and result["kl"] == after[-1]


def test_progress_items_and_result_format():
    items, result = run(dict(DIGITS_SUBSET, max_iter=120, early_exaggeration_iter=60))
    phases = [it.get("phase") for it in items[:-1]]
    assert phases[0] == "affinities" and phases[-1] == "optimize"
    assert all(it["total"] == 120 for it in items)
    optimize = [it for it in items if it.get("phase") == "optimize" and not it.get("heartbeat")]
    assert [it["done"] for it in optimize] == [50, 60, 100, 120]
    beats = [it for it in items if it.get("heartbeat")]
    assert all(set(it) == {"done", "total", "phase", "heartbeat"} for it in beats)
    assert [it["stage"] for it in optimize] == ["early_exaggeration"] * 2 + ["main"] * 2
    assert all(len(it["embedding"]) == 400 and len(it["embedding"][0]) == 2 for it in optimize)
    assert result["kind"] == "tsne" and result["method"] == "exact" and result["n"] == 400
    assert result["kl_history"] == [[it["done"], it["kl"]] for it in optimize]
    assert result["embedding"] == optimize[-1]["embedding"] and result["kl"] == optimize[-1]["kl"]
    assert result["learning_rate"] == 50.0 and result["perplexity"] == 30.0
    assert len(result["labels"]) == 400 and set(result["labels"]) <= set(range(10))
    Y = np.array(result["embedding"])
    assert np.isfinite(Y).all()


def test_initial_embedding():
    X, _ = datasets.make("digits", n=200, seed=0)
    Y = tsne.initial_embedding(X, "pca", 0)
    assert np.std(Y[:, 0]) == pytest.approx(1e-4, rel=1e-12)
    assert np.std(Y[:, 1]) < np.std(Y[:, 0])
    R = tsne.initial_embedding(X, "random", 3)
    assert np.array_equal(R, 1e-4 * np.random.default_rng(3).standard_normal((200, 2)))


def test_learning_rate_auto():
    assert tsne.learning_rate_auto(1797, 12.0) == 50.0
    assert tsne.learning_rate_auto(6000, 12.0) == 125.0


def test_same_seed_same_digest_other_seed_differs():
    spec = {"kind": "tsne", "dataset": {"name": "blobs", "n": 150, "seed": 2}, "init": "random",
            "perplexity": 15, "max_iter": 100, "early_exaggeration_iter": 50, "seed": 11}
    for method in ("exact", "barnes_hut"):
        a = run(dict(spec, method=method))[1]["digest"]
        b = run(dict(spec, method=method))[1]["digest"]
        c = run(dict(spec, method=method, seed=12))[1]["digest"]
        assert a == b != c


def test_fast_method_close_to_exact():
    spec = dict(DIGITS_SUBSET, dataset={"name": "digits", "n": 800, "seed": 1}, max_iter=400)
    _, exact = run(dict(spec, method="exact"))
    _, fast = run(dict(spec, method="barnes_hut"))
    assert fast["method"] == "barnes_hut"
    X, _ = tsne.load(tsne.read_spec(spec)["dataset"])
    objective = tsne.ExactObjective(joint(X, 30.0))
    kl_exact = objective.kl(np.array(exact["embedding"]))
    kl_fast = objective.kl(np.array(fast["embedding"]))  # the fast embedding, judged by exact KL
    assert kl_exact == pytest.approx(exact["kl"], rel=1e-12)
    assert kl_fast < 1.1 * kl_exact
    assert trustworthiness(X, fast["embedding"]) > 0.97


def test_digits_trustworthiness():
    """The quality target: the default spec on all 1797 digits (auto: Barnes-Hut)."""
    items, result = run({"kind": "tsne", "dataset": {"name": "digits"}})
    assert result["method"] == "barnes_hut" and result["iterations"] == 1000
    X, _ = datasets.make("digits")
    assert trustworthiness(X, result["embedding"]) >= 0.98
    assert result["kl"] < 0.8


def test_method_auto_threshold():
    assert tsne.resolve_method("auto", tsne.AUTO_EXACT_MAX_N) == "exact"
    assert tsne.resolve_method("auto", tsne.AUTO_EXACT_MAX_N + 1) == "barnes_hut"
    assert tsne.resolve_method("exact", 10) == "exact"


def test_uploaded_points_and_labels():
    X, y = datasets.make("moons", n=60, seed=1)
    spec = {"kind": "tsne", "data": {"points": X.tolist()}, "perplexity": 10, "max_iter": 60,
            "early_exaggeration_iter": 30}
    _, result = run(spec)
    assert "labels" not in result and result["dataset"] == "points" and result["dimensions"] == 2
    _, labelled = run(dict(spec, labels=y.tolist()))
    assert labelled["labels"] == y.tolist()
    assert labelled["embedding"] == result["embedding"]


# --- determinism of the blocking ------------------------------------------------------------


def test_squared_distances():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((230, 17))
    reference = ((X[:, None] - X[None]) ** 2).sum(axis=2)
    full = tsne.squared_distances(X)
    np.testing.assert_allclose(full, reference, rtol=1e-12, atol=1e-12)
    assert np.all(np.diagonal(full) == 0.0) and np.all(full >= 0.0)
    distances = tsne.SquaredDistances(X)
    for s, e in ((0, 1), (5, 6), (229, 230), (3, 200), (0, 230)):  # any rows, the same bits
        assert distances.rows(s, e).tobytes() == full[s:e].tobytes()
    digits, _ = datasets.make("digits", n=50, seed=0)  # integer pixels: exact
    assert np.array_equal(tsne.squared_distances(digits), ((digits[:, None] - digits[None]) ** 2).sum(axis=2))


@pytest.mark.parametrize("row_block", [1 << 11, 1 << 14])
def test_affinity_blocks_identical_and_bounded(monkeypatch, row_block):
    """Row blocks change neither a bit of P nor the memory bound they promise."""
    X, _ = datasets.make("digits", n=400, seed=5)
    expected = joint(X, 20.0)
    n = len(X)
    monkeypatch.setattr(parallel, "ROW_BLOCK", row_block)
    monkeypatch.setattr(parallel, "WORKERS", 1)
    block_bytes = max(2, row_block // n) * n * 8
    tracemalloc.start()
    steps = tsne.conditional_probabilities(X, 20.0)
    try:
        while True:
            next(steps)
    except StopIteration as stop:
        P = stop.value[0]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert tsne.symmetrize(P).tobytes() == expected.tobytes()
    # P itself, the transposed data, the perplexity search's working set (16 block-sized arrays)
    # and einsum's fixed iteration buffers (~200 kB)
    assert peak <= P.nbytes + X.nbytes + parallel.WORKING_BLOCKS * block_bytes + 256 * 1024


@pytest.mark.parametrize("row_block", [1 << 8, 1 << 12])
def test_results_do_not_depend_on_blocks_or_threads(monkeypatch, row_block):
    X, Y = small_problem(n=90, d=6)
    base_P = joint(X, 8.0)
    base = tsne.ExactObjective(base_P)
    csr = sparse(X, 8.0)
    fast = barnes_hut.BarnesHutObjective(*csr)
    expected = [base_P.tobytes(), base.gradient(Y, 3.0).tobytes(), base.kl(Y),
                *(a.tobytes() for a in csr), fast.gradient(Y).tobytes(), fast.kl(Y)]
    monkeypatch.setattr(parallel, "ROW_BLOCK", row_block)
    monkeypatch.setattr(barnes_hut, "PAIR_BLOCK", 37)
    for workers in (1, 2, 3):
        monkeypatch.setattr(parallel, "WORKERS", workers)
        P = joint(X, 8.0)
        obj = tsne.ExactObjective(P)
        csr2 = sparse(X, 8.0)
        fast2 = barnes_hut.BarnesHutObjective(*csr2)
        got = [P.tobytes(), obj.gradient(Y, 3.0).tobytes(), obj.kl(Y),
               *(a.tobytes() for a in csr2), fast2.gradient(Y).tobytes(), fast2.kl(Y)]
        assert got == expected


def test_accumulate_is_sequential_and_split_invariant():
    rng = np.random.default_rng(8)
    points = np.sort(rng.integers(0, 20, 300))
    values = rng.standard_normal((2, 300)) * 10.0 ** rng.integers(-8, 8, 300)
    whole = np.zeros((2, 20))
    barnes_hut.accumulate(whole, points, values)
    split = np.zeros((2, 20))
    single = np.flatnonzero(points == points[150])  # one point alone in a call
    for s, e in ((0, 7), (7, single[0]), (single[0], single[-1] + 1), (single[-1] + 1, 300)):
        barnes_hut.accumulate(split, points[s:e], values[:, s:e])
    assert whole.tobytes() == split.tobytes()
    loop = np.zeros((2, 20))
    for i, pt in enumerate(points):  # plain left-to-right addition
        loop[:, pt] = loop[:, pt] + values[:, i]
    assert whole.tobytes() == loop.tobytes()


# --- the spec --------------------------------------------------------------------------------

# The form of earlier versions (data: {dataset}): its errors still name its own fields
BASE = {"kind": "tsne", "data": {"dataset": "moons", "n": 100, "seed": 0}, "perplexity": 20}
POINTS = {"kind": "tsne", "data": {"points": [[float(i), float(i % 7)] for i in range(30)]}, "perplexity": 5}


def changed(base, path, value):
    spec = copy.deepcopy(base)
    node = spec
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return spec


BAD = [
    (BASE, ("kind",), "tsn", "kind"),
    (BASE, ("data",), "digits", "data"),
    (BASE, ("data", "dataset"), "mnist", "data.dataset"),
    (BASE, ("data", "n"), 50000, "data.n"),
    (BASE, ("data", "n"), 4, "data.n"),
    (BASE, ("data", "noise"), -1, "data.noise"),
    (BASE, ("data", "seed"), -1, "data.seed"),
    (BASE, ("data", "size"), 3, "data.size"),
    (POINTS, ("data", "points", 1, 0), float("nan"), "data.points[1][0]"),
    (POINTS, ("data", "points", 2, 1), "7", "data.points[2][1]"),
    (POINTS, ("data", "points", 3, 1), 1e12, "data.points[3][1]"),
    (POINTS, ("data", "points", 4), [1.0], "data.points[4]"),
    (POINTS, ("data", "points"), [[1.0, 2.0]] * 3, "data.points"),
    (POINTS, ("data", "points"), [[0.0] * 1025] * 10, "data.points[0]"),
    (BASE, ("perplexity",), 40, "perplexity"),
    (BASE, ("perplexity",), 33, "perplexity"),
    (BASE, ("perplexity",), 0.5, "perplexity"),
    (BASE, ("perplexity",), "30", "perplexity"),
    (BASE, ("seed",), -1, "seed"),
    (BASE, ("method",), "fft", "method"),
    (BASE, ("max_iter",), 0, "max_iter"),
    (BASE, ("max_iter",), 10**6, "max_iter"),
    (BASE, ("max_iter",), 10.5, "max_iter"),
    (BASE, ("early_exaggeration",), 0.5, "early_exaggeration"),
    (changed(BASE, ("max_iter",), 100), ("early_exaggeration_iter",), 101, "early_exaggeration_iter"),
    (BASE, ("learning_rate",), "fast", "learning_rate"),
    (BASE, ("learning_rate",), 0, "learning_rate"),
    (BASE, ("learning_rate",), -5, "learning_rate"),
    (BASE, ("init",), "spectral", "init"),
    (BASE, ("labels",), [0, 1], "labels"),
    (BASE, ("labels",), [0] * 99 + [-1], "labels[99]"),
    (BASE, ("perplexityy",), 30, "perplexityy"),
]


@pytest.mark.parametrize("base, path, value, field", BAD)
def test_spec_errors_name_the_field(base, path, value, field):
    with pytest.raises(SpecError) as info:
        tsne.read_spec(changed(base, path, value))
    assert info.value.field == field


def test_spec_error_messages_give_ranges():
    with pytest.raises(SpecError) as info:
        tsne.read_spec(changed(BASE, ("perplexity",), 40))
    assert "[1, 33)" in info.value.message and "n - 1 = 99" in info.value.message
    with pytest.raises(SpecError) as info:
        tsne.read_spec({"kind": "tsne", "data": {"points": [[0.0, 0.0]] * 100}})
    assert info.value.field == "data" and "identical" in info.value.message
    with pytest.raises(SpecError) as info:
        tsne.read_spec({"kind": "tsne", "data": {"points": [[float(i)] for i in range(40)]}, "perplexity": 5})
    assert info.value.field == "init"
    big = {"kind": "tsne", "data": {"points": [[float(i), 0.0] for i in range(tsne.EXACT_MAX_N + 1)]},
           "method": "exact"}
    with pytest.raises(SpecError) as info:
        tsne.read_spec(big)
    assert info.value.field == "method"
    # Barnes-Hut takes that many points, for as many iterations as the work budget allows
    assert tsne.read_spec(dict(big, method="auto", max_iter=250))["method"] == "auto"


def test_spec_defaults():
    spec = tsne.read_spec({"kind": "tsne", "dataset": {"name": "digits"}})
    assert spec == {"kind": "tsne", "dataset": {"name": "digits", "seed": 0}, "perplexity": 30.0,
                    "seed": 0, "method": "auto", "max_iter": 1000, "early_exaggeration": 12.0,
                    "early_exaggeration_iter": 250, "learning_rate": "auto", "init": "pca"}
    assert tsne.read_spec(changed(BASE, ("max_iter",), 100))["early_exaggeration_iter"] == 100
    assert tsne.read_spec(changed(BASE, ("learning_rate",), 200))["learning_rate"] == 200.0
    assert math.isclose(tsne.read_spec(changed(BASE, ("perplexity",), 32.9))["perplexity"], 32.9)


def test_the_old_data_form_reads_as_the_dataset_form():
    old = {"kind": "tsne", "data": {"dataset": "moons", "n": 60, "seed": 3}, "max_iter": 60, "perplexity": 10}
    new = {"kind": "tsne", "dataset": {"name": "moons", "n": 60, "seed": 3}, "max_iter": 60, "perplexity": 10}
    assert tsne.read_spec(old) == tsne.read_spec(new)
    assert descentlab.run(old)["digest"] == descentlab.run(new)["digest"]
    with pytest.raises(SpecError) as info:
        tsne.read_spec(dict(new, dataset={"name": "moons", "n": 2}))
    assert info.value.field == "dataset.n"
    with pytest.raises(SpecError) as info:
        tsne.read_spec(dict(old, data={"dataset": "nope"}))
    assert info.value.field == "data.dataset"
