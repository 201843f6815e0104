"""The largest spec of each kind that the work budget allows: time, memory, progress gaps.

    PYTHONPATH=pywasm .venv/bin/python bench/bench_budget.py [--only KIND ...]

For each kind it finds, by bisection over one driving field, the largest spec that
``descentlab.validate`` still accepts (see ``pywasm/descentlab/budget.py``), runs it
natively in a fresh process and prints:

* the estimate (``budget``'s seconds and memory) next to what the run took;
* the peak resident memory of that process (``ru_maxrss``);
* the longest gap between two progress items (Stop waits at most that long),
  and the phase it ended in.

It asserts nothing: the figures go into the README.  The machine is shared and its
speed drifts, so compare the ratio of measured to estimated seconds within one run.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "pywasm"))

import descentlab  # noqa: E402
from descentlab import budget, network, projection, tsne  # noqa: E402
from descentlab.errors import SpecError  # noqa: E402

OPTIMIZERS = [{"name": n} for n in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
                                    "adamw", "amsgrad", "nadam", "lion", "adam")]

# kind label -> (template spec, path of the field to grow, lowest value, highest value)
CASES = {
    "landscape": ({"kind": "landscape", "function": "rastrigin", "steps": 10, "record_state": True,
                   "optimizers": OPTIMIZERS}, ("steps",), 10, 10_000),
    "grid": ({"kind": "grid", "function": "goldstein_price", "size": [512, 10], "levels": 60},
             ("size", 1), 2, 512),
    "regime": ({"kind": "regime", "function": "rastrigin", "steps": 250, "optimizer": {"name": "adam"},
                "x": {"param": "lr", "min": 1e-4, "max": 1.0, "n": 40},
                "y": {"param": "beta1", "min": 0.0, "max": 0.99, "n": 2}}, ("y", "n"), 2, 40),
    "dataset": ({"kind": "dataset", "dataset": {"name": "spirals", "n": 5000}}, ("dataset", "n"), 20, 5000),
    "network (moons, 12 optimizers)": (
        {"kind": "network", "dataset": {"name": "moons", "n": 1000}, "model": {"hidden": [32, 32]},
         "batch_size": 32, "epochs": 1, "snapshot_every": "auto", "optimizers": OPTIMIZERS}, ("epochs",), 1, 1000),
    "network (digits, 3 optimizers)": (
        {"kind": "network", "dataset": {"name": "digits"}, "model": {"hidden": [64]},
         "batch_size": 32, "epochs": 1, "snapshot_every": "auto", "optimizers": OPTIMIZERS[6:9]},
        ("epochs",), 1, 1000),
    "network (batch 1)": (
        {"kind": "network", "dataset": {"name": "moons", "n": 500}, "model": {"hidden": [16, 16]},
         "batch_size": 1, "epochs": 1, "snapshot_every": "auto", "optimizers": OPTIMIZERS[:1]}, ("epochs",), 1, 1000),
    "tsne (digits, exact)": ({"kind": "tsne", "dataset": {"name": "digits"}, "method": "exact", "max_iter": 1},
                             ("max_iter",), 1, 10_000),
    "tsne (Barnes-Hut)": ({"kind": "tsne", "dataset": {"name": "blobs", "n": 100}, "method": "barnes_hut",
                           "max_iter": 1000}, ("dataset", "n"), 100, 10_000),
    "projection (trajectories)": (
        {"kind": "projection", "network": {"dataset": {"name": "moons", "n": 400}, "model": {"hidden": [16, 16]},
                                           "epochs": 40, "snapshot_every": 400,
                                           "optimizers": OPTIMIZERS[:6]},
         "max_iter": 500, "grid": 21}, ("network", "snapshot_every"), 1, 400),
    "projection (activations, digits)": (
        {"kind": "projection", "target": "activations",
         "network": {"dataset": {"name": "digits"}, "model": {"hidden": [32]}, "epochs": 5,
                     "optimizers": [{"name": "adam"}]}, "max_iter": 250}, ("max_iter",), 250, 2000),
}
DECREASING = {("network", "snapshot_every")}  # a smaller value is the bigger spec


def with_value(spec, path, value):
    out = copy.deepcopy(spec)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def accepted(spec) -> bool:
    try:
        descentlab.validate(copy.deepcopy(spec))
        return True
    except SpecError:
        return False


def largest(spec, path, lo, hi):
    """The spec with the largest (or, for DECREASING fields, smallest) value that validates."""
    least, most = (hi, lo) if tuple(path) in DECREASING else (lo, hi)  # least work, most work
    if accepted(with_value(spec, path, most)):
        return with_value(spec, path, most)
    if not accepted(with_value(spec, path, least)):
        raise SystemExit(f"even {path} = {least} is refused: {spec}")
    good, bad = least, most
    while abs(bad - good) > 1:
        mid = (good + bad) // 2
        if accepted(with_value(spec, path, mid)):
            good = mid
        else:
            bad = mid
    return with_value(spec, path, good)


def estimate(spec) -> budget.Cost | None:
    """The budget's estimate of a spec, read by catching what check() would see."""
    seen = []
    original = budget.check
    budget.check = lambda cost: seen.append(cost) or cost
    try:
        descentlab.validate(copy.deepcopy(spec))
    finally:
        budget.check = original
    return seen[-1] if seen else None


CHILD = r"""
import json, resource, sys, time
import descentlab
spec = json.loads(sys.stdin.read())
t0 = time.perf_counter(); last = t0; gap = (0.0, "start")
for item in descentlab.iter_run(spec):
    now = time.perf_counter()
    if now - last > gap[0]:
        gap = (now - last, item.get("phase", "result" if "result" in item else "-"))
    last = now
took = time.perf_counter() - t0
print(json.dumps({"seconds": took, "gap": gap[0], "gap_phase": gap[1],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(spec) -> dict:
    env = {"PYTHONPATH": str(ROOT / "pywasm"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(spec), capture_output=True, text=True,
                         env=env)
    if out.returncode:
        raise SystemExit(f"the run failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only the cases whose label contains one of these words")
    args = parser.parse_args()
    print(f"budget: {budget.SECONDS:g} s, {budget.MEMORY_BYTES / 2**20:.0f} MB; progress at least every"
          f" {budget.PROGRESS_SECONDS:g} s estimated (promise: 0.25 s)")
    print(f"{'case':<36} {'largest allowed':<28} {'est. s':>7} {'run s':>7} {'est. MB':>8} {'peak MB':>8}"
          f" {'longest gap':>12}")
    for label, (spec, path, lo, hi) in CASES.items():
        if args.only and not any(w in label for w in args.only):
            continue
        big = largest(spec, path, lo, hi)
        node = big
        for key in path:
            node = node[key]
        cost = estimate(big)
        t0 = time.perf_counter()
        m = measure(big)
        wall = time.perf_counter() - t0
        est_s = f"{cost.seconds:7.1f}" if cost else "      -"
        est_mb = f"{cost.memory / 2**20:8.0f}" if cost else "       -"
        print(f"{label:<36} {'.'.join(map(str, path)) + ' = ' + str(node):<28} {est_s} {m['seconds']:7.1f}"
              f" {est_mb} {m['rss_mb']:8.0f} {m['gap']:8.3f} s ({m['gap_phase']}) [{wall:.0f} s wall]", flush=True)


if __name__ == "__main__":
    main()
