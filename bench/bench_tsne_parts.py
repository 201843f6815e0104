#!/usr/bin/env python3
"""Where one Barnes-Hut t-SNE iteration goes, in the browser's Pyodide and natively (figures only).

    PYTHONPATH=pywasm .venv/bin/python bench/bench_tsne_parts.py [--repeats 10]

On the digits (1797 x 64, perplexity 30) it first runs 300 iterations natively to
get a spread-out embedding, as the optimisation has at its midpoint, then times
on that embedding:

  tree         build_quadtree (Morton sort, levels, centres of mass)
  repulsion    the whole Barnes-Hut pass: tree and walk (Z and the repulsive forces)
  attraction   the sparse P term: sum_j p_ij w_ij (y_i - y_j) over the non-zero p_ij
  gradient     one whole gradient (attraction + repulsion)
  iteration    one step of ``tsne.descend`` (gradient, gains, momentum), over 50 steps

natively (this process, one thread) and in headless Chromium: a page served from
dist/ loads Pyodide, NumPy and descentlab on its main thread with Pyodide's own
loadPackage (no worker, so the figures are the Python code's alone) and times the
same calls.

Beside them: scikit-learn's whole Barnes-Hut run on the same data divided by
its 1000 iterations (optional; ``pip install scikit-learn`` into the venv), the
per-iteration time the issue's target compares with.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "pywasm"))

from descentlab import datasets, tsne  # noqa: E402

from common import load_build_tool  # noqa: E402

TOOL = load_build_tool()
WARM_ITERATIONS = 300
DESCEND_STEPS = 50
PAGE = "/bench-tsne-parts.html"

# The same Python runs in both places: given Y (n, 2) and the digits, time the parts.
TIMING = """
import time, json
import numpy as np
from descentlab import datasets, tsne
from descentlab.tsne import barnes_hut as TF

def parts(Y, repeats):
    X, _ = datasets.load_digits()
    g = TF.sparse_joint_probabilities(X, 30.0)
    try:
        while True:
            next(g)
    except StopIteration as e:
        row_start, columns, p = e.value
    objective = TF.BarnesHutObjective(row_start, columns, p)

    def ms(fn):
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return 1000 * sorted(times)[len(times) // 2]

    out = {"nnz": int(len(columns)),
           "tree": ms(lambda: TF.build_quadtree(Y)),
           "repulsion": ms(lambda: TF.repulsion(Y)),
           "attraction": ms(lambda: objective.attraction(Y)),
           "gradient": ms(lambda: objective.gradient(Y))}
    steps = tsne.descend(objective, Y, max_iter=%(steps)d, learning_rate=150.0, early_exaggeration=12.0,
                         early_exaggeration_iter=0)
    t = time.perf_counter()
    next(steps)
    out["iteration"] = 1000 * (time.perf_counter() - t) / %(steps)d
    return out
""" % {"steps": DESCEND_STEPS}

HTML = """<!doctype html><meta charset="utf-8"><title>t-SNE parts</title>
<script src="./pyodide.js"></script>
<script>
window.timeParts = async (yBase64, repeats, code) => {
  const py = await loadPyodide({ indexURL: new URL("./", location.href).href });
  await py.loadPackage(["numpy", "descentlab"]);
  py.runPython(code);
  py.globals.set("y_b64", yBase64);
  py.globals.set("repeats", repeats);
  return py.runPython(`
import base64
Y = np.frombuffer(base64.b64decode(y_b64), dtype=np.float64).reshape(-1, 2).copy()
json.dumps(parts(Y, repeats))`);
};
</script>"""


def warm_embedding():
    spec = tsne.read_spec({"kind": "tsne", "data": {"dataset": "digits"}, "method": "barnes_hut",
                           "max_iter": WARM_ITERATIONS})
    Y = None
    for item in tsne.iterate(spec):
        if "result" in item:
            Y = np.array(item["result"]["embedding"], dtype=np.float64)
    return Y


def sklearn_per_iteration():
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        return None
    X, _ = datasets.load_digits()
    t = time.perf_counter()
    TSNE(perplexity=30.0, init="pca", learning_rate="auto", max_iter=1000, random_state=0).fit_transform(X)
    return 1000 * (time.perf_counter() - t) / 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    import base64
    Y = warm_embedding()
    namespace: dict = {}
    exec(TIMING, namespace)
    tsne.parallel.WORKERS = 1  # one thread, as in the browser
    native = namespace["parts"](Y, args.repeats)

    TOOL.build(quiet=True)
    httpd = TOOL.make_server(TOOL.DIST, "127.0.0.1", 0, quiet=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=TOOL.CHROMIUM, args=TOOL.CHROMIUM_ARGS)
        page = browser.new_page()
        page.route(base + PAGE, lambda route: route.fulfill(body=HTML, content_type="text/html"))
        page.goto(base + PAGE)
        wasm = json.loads(page.evaluate("([y, r, code]) => window.timeParts(y, r, code)",
                                        [base64.b64encode(Y.tobytes()).decode(), args.repeats, TIMING]))
        browser.close()
    httpd.shutdown()
    sk = sklearn_per_iteration()

    print(f"digits 1797 x 64, Barnes-Hut, embedding after {WARM_ITERATIONS} iterations; "
          f"{native['nnz']} non-zero p_ij; medians of {args.repeats}")
    print(f"  {'part':<12} {'native ms':>10} {'browser ms':>11}")
    for key in ("tree", "repulsion", "attraction", "gradient", "iteration"):
        print(f"  {key:<12} {native[key]:10.1f} {wasm[key]:11.1f}")
    if sk is not None:
        print(f"  scikit-learn Barnes-Hut, whole run / 1000 iterations: {sk:.1f} ms per iteration (natively)")


if __name__ == "__main__":
    main()
