"""The regime map: one optimizer over a grid of two hyper-parameters (``"regime"`` spec).

Which learning rates converge, which crawl and which blow up, and how a second
hyper-parameter (momentum, beta1, ...) moves that border, is the first thing a
learner should see of an optimizer.  Each cell is an ordinary landscape run;
the map records its final loss and the step at which it diverged, if it did.
"""

from __future__ import annotations

import numpy as np

from . import landscape
from .errors import SpecError
from .optimizer_spec import read_optimizer
from .optimizers import REGISTRY
from .validate import Fields, check_number

MAX_SIDE = 40  # cells per axis
MAX_WORK = 400_000  # cells x steps: the whole map is a few seconds in a browser tab
MAX_STEPS = 2000


def _axis(fields: Fields, key: str, optimizer: str) -> dict:
    a = fields.sub(key)
    ranges = REGISTRY[optimizer].ranges
    numeric = sorted(k for k, (_, _, kind) in ranges.items() if kind in ("float", "log"))
    param = a.choice("param", numeric)
    lo, hi, kind = ranges[param]
    start = a.number("min", lo, hi)
    stop = a.number("max", lo, hi)
    if not start < stop:
        raise SpecError(a.field("max"), f"must be greater than min ({start:g})")
    n = a.number("n", 2, MAX_SIDE, 12, integer=True)
    scale = a.choice("scale", {"linear", "log"}, "log" if kind == "log" else "linear")
    if scale == "log" and start <= 0.0:
        raise SpecError(a.field("min"), "must be positive on a log scale")
    a.done()
    return {"param": param, "min": start, "max": stop, "n": n, "scale": scale}


def axis_values(axis: dict) -> np.ndarray:
    """The ``n`` values of an axis, evenly spaced (in log10 on a log scale), ends included."""
    t = np.arange(axis["n"], dtype=np.float64) / (axis["n"] - 1)
    if axis["scale"] == "linear":
        return axis["min"] + t * (axis["max"] - axis["min"])
    # 10**u through the deterministic kernels: log10 spacing, exact ends
    from . import kernels as K
    lo, hi = K.log(axis["min"]), K.log(axis["max"])
    values = K.exp(lo + t * (hi - lo))
    values[0], values[-1] = axis["min"], axis["max"]
    return values


def read_spec(spec: dict) -> dict:
    fields = Fields(spec, "")
    fields.choice("kind", {"regime"})
    name, fparams = landscape.read_function(fields)
    start = fields.array("start", 2, 2, list(landscape.FUNCTIONS[name].start))
    start = [check_number(v, f"start[{i}]", -landscape.START_BOUND, landscape.START_BOUND)
             for i, v in enumerate(start)]
    steps = fields.number("steps", 1, MAX_STEPS, 300, integer=True)
    opt = read_optimizer(fields.value("optimizer"), "optimizer")
    x = _axis(fields, "x", opt["name"])
    y = _axis(fields, "y", opt["name"])
    if x["param"] == y["param"]:
        raise SpecError("y.param", f"must differ from x.param ({x['param']})")
    fields.done()
    work = x["n"] * y["n"] * steps
    if work > MAX_WORK:
        raise SpecError("steps", f"cells x steps must be at most {MAX_WORK}, got {x['n']} x {y['n']} x {steps}")
    return {"kind": "regime", "function": name, "function_params": fparams, "start": start,
            "steps": steps, "optimizer": opt, "x": x, "y": y}


def iterate(spec: dict):
    """Run every cell, one row (one value of the y parameter) per progress item."""
    xs, ys = axis_values(spec["x"]), axis_values(spec["y"])
    race_spec = {k: spec[k] for k in ("function", "function_params", "start", "steps")}
    race_spec["record_state"] = False
    final = np.full((len(ys), len(xs)), np.nan)
    diverged = [[None] * len(xs) for _ in ys]
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            entry = {"name": spec["optimizer"]["name"],
                     "params": dict(spec["optimizer"]["params"], **{spec["x"]["param"]: float(xv),
                                                                    spec["y"]["param"]: float(yv)})}
            run = landscape.race(race_spec, entry)
            diverged[i][j] = run["diverged_at"]
            if run["diverged_at"] is None:
                final[i, j] = run["final_loss"]
        yield {"done": i + 1, "total": len(ys), "row": i,
               "final_loss": [None if np.isnan(v) else float(v) for v in final[i]],
               "diverged_at": diverged[i]}
    yield {"done": len(ys), "total": len(ys), "result": {
        "kind": "regime", "function": landscape.function_info(spec["function"], spec["function_params"]),
        "optimizer": spec["optimizer"], "start": spec["start"], "steps": spec["steps"],
        "x": dict(spec["x"], values=xs.tolist()), "y": dict(spec["y"], values=ys.tolist()),
        "final_loss": [[None if np.isnan(v) else float(v) for v in row] for row in final],
        "diverged_at": diverged}}
