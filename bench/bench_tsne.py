"""Benchmark Descent Lab's t-SNE (exact and Barnes-Hut) against scikit-learn, natively.

    PYTHONPATH=pywasm .venv/bin/python bench/bench_tsne.py            # digits and a 5000-point set
    PYTHONPATH=pywasm .venv/bin/python bench/bench_tsne.py --quick    # 300 iterations, smaller sets

For each dataset and method it reports wall and CPU time (all threads), the method's own final KL
(Barnes-Hut's is over its sparse P, so not comparable with the exact one), the
KL of the final embedding under the *exact* P (comparable across methods), and
trustworthiness with k = 10 (Venna & Kaski 2001, as ``sklearn.manifold``).

scikit-learn is optional (``pip install scikit-learn`` into the venv for the
bench only; it is not a dependency of Descent Lab).  It runs its own ``TSNE``
with the same settings: perplexity 30, ``init="pca"``, ``learning_rate="auto"``,
``max_iter``, and its default early exaggeration.

The larger set is the digits augmented to 5000 points: rows drawn with
replacement (seeded) plus Gaussian jitter of 1 grey level, labels kept.

``--browser URL`` is reserved for timings measured in the browser worker; the
page does not expose that yet.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pywasm"))

from descentlab import datasets, tsne  # noqa: E402

AUGMENT_JITTER = 1.0  # std of the Gaussian jitter added to augmented digits (pixel values 0..16)


def trustworthiness(X, Y, k=10, block=512):
    """sklearn's trustworthiness, in NumPy, in row blocks (n up to ~10⁴)."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n = len(X)
    sx, sy = (X * X).sum(1), (Y * Y).sum(1)
    total = 0
    for s in range(0, n, block):
        e = min(n, s + block)
        dx = sx[s:e, None] + sx[None, :] - 2.0 * X[s:e] @ X.T
        dy = sy[s:e, None] + sy[None, :] - 2.0 * Y[s:e] @ Y.T
        rows = np.arange(e - s)
        dx[rows, np.arange(s, e)] = np.inf
        dy[rows, np.arange(s, e)] = np.inf
        order_x = np.argsort(dx, axis=1, kind="stable")
        near_y = np.argsort(dy, axis=1, kind="stable")[:, :k]
        rank = np.empty((e - s, n), dtype=np.int64)
        rank[rows[:, None], order_x] = np.arange(1, n + 1)[None, :]
        excess = rank[rows[:, None], near_y] - k
        total += int(excess[excess > 0].sum())
    return 1.0 - total * (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))


def augmented_digits(n, seed=0):
    """Digits rows drawn with replacement plus jitter: (n, 64) float64 and labels."""
    X, y = datasets.load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(X), n)
    return X[pick] + AUGMENT_JITTER * rng.standard_normal((n, X.shape[1])), y[pick]


def ours(X, method, max_iter):
    spec = tsne.read_spec({"kind": "tsne", "data": {"points": X.tolist()}, "method": method,
                           "max_iter": max_iter})
    start, cpu = time.perf_counter(), time.process_time()
    for item in tsne.iterate(spec):
        pass
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = item["result"]
    return np.array(result["embedding"]), result["kl"], seconds, cpu


def theirs(X, method, max_iter):
    from sklearn.manifold import TSNE

    model = TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto", method=method,
                 max_iter=max_iter, random_state=0)
    start, cpu = time.perf_counter(), time.process_time()
    Y = model.fit_transform(X)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return np.asarray(Y, dtype=np.float64), float(model.kl_divergence_), seconds, cpu


class ExactKL:
    """KL(P‖Q) of embeddings of ``X`` under its exact P (computed once; n <= EXACT_MAX_N)."""

    def __init__(self, X):
        self.X = X
        self.objective = None

    def __call__(self, Y):
        if len(self.X) > tsne.EXACT_MAX_N:
            return float("nan")
        if self.objective is None:
            self.objective = tsne.ExactObjective(tsne.joint_probabilities(self.X, 30.0))
        return self.objective.kl(Y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 iterations, 2000-point large set")
    parser.add_argument("--large", type=int, default=5000, help="size of the augmented set")
    parser.add_argument("--exact-large", action="store_true", help="also run exact t-SNE on the large set")
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--workers", type=int, default=tsne.WORKERS, help="native threads (results do not change)")
    parser.add_argument("--browser", metavar="URL", help="not available yet: timings in the browser worker")
    args = parser.parse_args(argv)
    if args.browser:
        parser.error("--browser is not implemented yet; the page has no benchmark entry point")
    tsne.WORKERS = args.workers
    max_iter = 300 if args.quick else 1000
    large = min(args.large, 2000) if args.quick else args.large
    try:
        if args.no_sklearn:
            raise ImportError
        import sklearn
        sk_version = sklearn.__version__
    except ImportError:
        sk_version = None

    digits, _ = datasets.load_digits()
    sets = [("digits", digits), (f"digits x{large} + jitter", augmented_digits(large)[0])]
    print(f"# t-SNE benchmark: {max_iter} iterations, perplexity 30, init pca")
    print(f"# {platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
          f"scikit-learn {sk_version or 'not installed'}, {os.cpu_count()} CPUs, "
          f"descentlab threads {tsne.WORKERS}, load {os.getloadavg()[0]:.1f}")
    print()
    print("| data | n x d | implementation | method | wall (s) | CPU (s) | KL (own) | KL (exact P) | trustworthiness |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|")
    for name, X in sets:
        exact_kl = ExactKL(X)
        runs = []
        if len(X) <= tsne.AUTO_EXACT_MAX_N or args.exact_large:
            runs.append(("descentlab", "exact", ours))
        runs.append(("descentlab", "barnes_hut", ours))
        if sk_version:
            if len(X) <= tsne.AUTO_EXACT_MAX_N or args.exact_large:
                runs.append(("scikit-learn", "exact", theirs))
            runs.append(("scikit-learn", "barnes_hut", theirs))
        for impl, method, fn in runs:
            load = os.getloadavg()[0]
            Y, kl, seconds, cpu = fn(X, method, max_iter)
            row = (f"| {name} | {X.shape[0]} x {X.shape[1]} | {impl} | {method} | {seconds:.1f} | {cpu:.1f} | {kl:.4f} | "
                   f"{exact_kl(Y):.4f} | {trustworthiness(X, Y):.4f} |")
            if max(load, os.getloadavg()[0]) > 1.5 * os.cpu_count():
                row += f" (load {max(load, os.getloadavg()[0]):.1f}: timing disturbed)"
            print(row, flush=True)


if __name__ == "__main__":
    main()
