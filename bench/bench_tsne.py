"""Benchmark Descent Lab's t-SNE (exact and Barnes-Hut): natively, in the browser, and scikit-learn.

    PYTHONPATH=pywasm .venv/bin/python bench/bench_tsne.py               # digits and a 5000-point set
    PYTHONPATH=pywasm .venv/bin/python bench/bench_tsne.py --quick       # 300 iterations, smaller sets
    PYTHONPATH=pywasm .venv/bin/python bench/bench_tsne.py --no-browser  # native and scikit-learn only

For each dataset and method it reports wall and CPU time, the method's own final KL
(Barnes-Hut's is over its sparse P, so not comparable with the exact one), the
KL of the final embedding under the *exact* P (comparable across methods),
trustworthiness with k = 10 (Venna & Kaski 2001, as ``sklearn.manifold``), the
1-minute load average when the row started, and for Descent Lab the first hex
digits of the result's digest.  KL (exact P) and trustworthiness are always
computed here, natively, from the returned embedding.

Rows:

* ``descentlab native``: ``tsne.iterate`` on the validated spec, in this process
  with ``--workers`` threads; CPU time is over all threads.
* ``descentlab browser``: the same spec through ``window.descentlab.run(spec)``
  in headless Chromium (``dist/`` is rebuilt and served on 127.0.0.1), which runs
  Pyodide in a web worker on one thread.  The time is the page's round trip of
  ``run()``, so it also covers handing the spec to the worker and validating it
  there; CPU time is not measured.  One small warm-up run of each method goes
  first.  After the table, the browser digest is compared with the native one:
  equal digests mean bit-identical results.
* ``scikit-learn``: its own ``TSNE`` with the same settings: perplexity 30,
  ``init="pca"``, ``learning_rate="auto"``, ``max_iter``, and its default early
  exaggeration.  Optional (``pip install scikit-learn`` into the venv for the
  bench only; it is not a dependency of Descent Lab).

The larger set is the digits augmented to 5000 points: rows drawn with
replacement (seeded) plus Gaussian jitter of 1 grey level, labels kept.  Both
sets go to Descent Lab as ``{"points": ...}``.

Runs are sequential, never two at once.  The load column is the larger 1-minute
load average at the start and end of the row; it includes this bench's own
threads (native rows use ``--workers``) and lags by about a minute.  Above
1.5 x the CPU count the row is flagged "disturbed".
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "pywasm"))

from descentlab import __version__, datasets, tsne  # noqa: E402
from descentlab.digest import digest  # noqa: E402

AUGMENT_JITTER = 1.0  # std of the Gaussian jitter added to augmented digits (pixel values 0..16)

from common import load_build_tool  # noqa: E402  (bench/common.py: build.py as a module)

TOOL = load_build_tool()
CHROMIUM, CHROMIUM_ARGS = TOOL.CHROMIUM, TOOL.CHROMIUM_ARGS
# Only the fields the bench needs come back from the page (not kl_history, labels, ...).
TIMED_RUN_JS = """async (spec) => {
    const t0 = performance.now();
    const r = await window.descentlab.run(spec);
    return {ms: performance.now() - t0, embedding: r.embedding, kl: r.kl, digest: r.digest};
}"""


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


def tsne_spec(X, method, max_iter):
    """The spec both Descent Lab rows run (native and browser)."""
    return {"kind": "tsne", "data": {"points": X.tolist()}, "method": method, "max_iter": max_iter}


class Run:
    """One row's outcome: embedding, own KL, wall and CPU seconds (None: not measured), digest."""

    def __init__(self, Y, kl, seconds, cpu=None, digest=None):
        self.Y, self.kl, self.seconds, self.cpu, self.digest = np.asarray(Y, dtype=np.float64), kl, seconds, cpu, digest


def native(X, method, max_iter):
    spec = tsne.read_spec(tsne_spec(X, method, max_iter))
    start, cpu = time.perf_counter(), time.process_time()
    for item in tsne.iterate(spec):
        pass
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = item["result"]
    return Run(result["embedding"], result["kl"], seconds, cpu, digest(result))  # as descentlab.run adds it


def sklearn_tsne(X, method, max_iter):
    from sklearn.manifold import TSNE

    model = TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto", method=method,
                 max_iter=max_iter, random_state=0)
    start, cpu = time.perf_counter(), time.process_time()
    Y = model.fit_transform(X)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return Run(Y, float(model.kl_divergence_), seconds, cpu)


class Browser:
    """dist/ served on 127.0.0.1 and one headless Chromium page with ``descentlab`` ready."""

    def __enter__(self):
        tool = TOOL
        self.info = tool.build(quiet=True)
        self.server = tool.make_server(tool.DIST, "127.0.0.1", 0, quiet=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.chromium = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        self.page = self.chromium.new_page()
        self.page.goto(f"http://127.0.0.1:{self.server.server_address[1]}/")
        self.page.wait_for_function("() => window.descentlab !== undefined", timeout=120_000)
        self.version = self.page.evaluate("async () => (await window.descentlab.ready).version")
        self.chromium_version = self.chromium.version
        # Warm-up: the first run of each method pays for imports and first calls.
        warm = augmented_digits(200, seed=1)[0]
        for method in ("exact", "barnes_hut"):
            self.page.evaluate(TIMED_RUN_JS, tsne_spec(warm, method, 20))
        return self

    def __call__(self, X, method, max_iter):
        out = self.page.evaluate(TIMED_RUN_JS, tsne_spec(X, method, max_iter))
        return Run(out["embedding"], out["kl"], out["ms"] / 1000.0, None, out["digest"])

    def __exit__(self, *exc):
        self.chromium.close()
        self.playwright.stop()
        self.server.shutdown()


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
    parser.add_argument("--workers", type=int, default=tsne.parallel.WORKERS, help="native threads (results do not change)")
    parser.add_argument("--browser", action=argparse.BooleanOptionalAction, default=True,
                        help="also run in headless Chromium (default: on)")
    args = parser.parse_args(argv)
    tsne.parallel.WORKERS = args.workers
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
          f"descentlab {__version__}, scikit-learn {sk_version or 'not installed'}, {os.cpu_count()} CPUs, "
          f"native threads {tsne.parallel.WORKERS}")
    load_start = os.getloadavg()
    print(f"# load average at start (1/5/15 min): {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}")

    browser = Browser().__enter__() if args.browser else None
    if browser:
        print(f"# browser: Chromium {browser.chromium_version} headless ({CHROMIUM}), descentlab {browser.version} "
              f"in Pyodide {browser.info['pyodide_version']}, 1 thread; time = descentlab.run() round trip")
    print()
    print("| data | n x d | implementation | method | wall (s) | CPU (s) | KL (own) | KL (exact P) "
          "| trustworthiness | load | digest |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    digests = []  # (data, method, native digest, browser digest)
    try:
        for name, X in sets:
            exact_kl = ExactKL(X)
            # exact is O(n²) in time and memory: on digits always, on the large set when asked
            methods = ["exact", "barnes_hut"] if name == "digits" or args.exact_large else ["barnes_hut"]
            runs = [("descentlab native", m, native) for m in methods]
            if browser:
                runs += [("descentlab browser", m, browser) for m in methods]
            if sk_version:
                runs += [("scikit-learn", m, sklearn_tsne) for m in methods]
            native_digest = {}
            for impl, method, fn in runs:
                load = os.getloadavg()[0]
                r = fn(X, method, max_iter)
                load = max(load, os.getloadavg()[0])
                if impl == "descentlab native":
                    native_digest[method] = r.digest
                    mark = r.digest[:12]
                elif impl == "descentlab browser":
                    same = r.digest == native_digest.get(method)
                    digests.append((name, method, native_digest.get(method), r.digest))
                    mark = r.digest[:12] + (" = native" if same else " ≠ native")
                else:
                    mark = ""
                cpu = "–" if r.cpu is None else f"{r.cpu:.1f}"
                row = (f"| {name} | {X.shape[0]} x {X.shape[1]} | {impl} | {method} | {r.seconds:.1f} | {cpu} "
                       f"| {r.kl:.4f} | {exact_kl(r.Y):.4f} | {trustworthiness(X, r.Y):.4f} "
                       f"| {load:.1f}{' disturbed' if load > 1.5 * os.cpu_count() else ''} | {mark} |")
                print(row, flush=True)
    finally:
        if browser:
            browser.__exit__(None, None, None)

    load_end = os.getloadavg()
    print()
    print(f"# load average at end (1/5/15 min): {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")
    if digests:
        print("# browser digest == native digest:")
        for name, method, n_digest, b_digest in digests:
            verdict = "yes" if n_digest == b_digest else "NO"
            print(f"#   {name}, {method}: {verdict}  (native {n_digest[:16]}, browser {b_digest[:16]})")


if __name__ == "__main__":
    main()
