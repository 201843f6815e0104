"""The regime map: one optimizer over a grid of two hyper-parameters (``"regime"`` spec).

Which learning rates converge, which crawl and which blow up, and how a second
hyper-parameter (momentum, beta1, ...) moves that border, is the first thing a
learner should see of an optimizer.  Each cell is an ordinary landscape run;
the map records its final loss and the step at which it diverged, if it did.
"""

from __future__ import annotations

import numpy as np

from . import budget, landscape, optimizers
from .errors import SpecError
from .optimizer_spec import read_optimizer
from .optimizers import REGISTRY
from .fields import Fields, check_number

MAX_SIDE = 40  # cells per axis
MAX_WORK = 400_000  # cells x steps: the whole map is a few seconds in a browser tab
MAX_STEPS = 2000

# Native seconds on the reference machine (bench/bench_budget.py), on the high side: a cell
# builds its optimizer and runs ``steps`` steps of the landscape race.
CELL_SECONDS = 1.0e-4
STEP_SECONDS = landscape.STEP_SECONDS
CELL_BYTES = 2 * (budget.LIST_FLOAT_BYTES + budget.JSON_FLOAT_BYTES)  # final loss, diverged_at


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
    # a map sweeps declared ranges of a fixed setting: no learner code, no schedule
    opt = read_optimizer(fields.value("optimizer"), "optimizer", custom=False, schedule=False)
    x = _axis(fields, "x", opt["name"])
    y = _axis(fields, "y", opt["name"])
    if x["param"] == y["param"]:
        raise SpecError("y.param", f"must differ from x.param ({x['param']})")
    fields.done()
    work = x["n"] * y["n"] * steps
    if work > MAX_WORK:
        raise SpecError("steps", f"cells x steps must be at most {MAX_WORK}, got {x['n']} x {y['n']} x {steps}")
    _check_cells(opt, x, y)
    out = {"kind": "regime", "function": name, "function_params": fparams, "start": start,
           "steps": steps, "optimizer": opt, "x": x, "y": y}
    budget.check(cost(out))
    return out


def _cell_params(opt: dict, settings: dict) -> dict:
    return dict(opt["params"], **{k: float(v) for k, v in settings.items()})


def _refusal(name: str, params: dict) -> str | None:
    """Why ``optimizers.make`` refuses these settings (e.g. Nesterov with dampening), or None."""
    try:
        optimizers.make(name, **params)
    except ValueError as e:
        return str(e)
    return None


def _check_cells(opt: dict, x: dict, y: dict) -> None:
    """Every cell must be a valid optimizer: a sweep may reach a combination a range cannot express.

    The error names the axis to change: its ``min`` or ``max`` when that end is
    refused too, else its ``param`` (only values inside the range are refused).
    """
    name = opt["name"]
    xs, ys = axis_values(x), axis_values(y)
    for yv in ys:
        for xv in xs:
            reason = _refusal(name, _cell_params(opt, {x["param"]: xv, y["param"]: yv}))
            if reason is None:
                continue
            # the axis to blame: one refused on its own, else y, with the other axis's value kept
            if _refusal(name, _cell_params(opt, {x["param"]: xv})) is not None:
                key, axis, other = "x", x, {}
            elif _refusal(name, _cell_params(opt, {y["param"]: yv})) is not None:
                key, axis, other = "y", y, {}
            else:
                key, axis, other = "y", y, {x["param"]: xv}
            end = next((e for e in ("min", "max")
                        if _refusal(name, _cell_params(opt, {**other, axis["param"]: axis[e]})) is not None), "param")
            cell = f"{x['param']} = {float(xv):g}, {y['param']} = {float(yv):g}"
            raise SpecError(f"{key}.{end}", f"the map reaches a setting {name} refuses ({cell}): {reason};"
                            f" sweep {axis['param']} over a range where every cell is allowed")


def cost(spec: dict) -> budget.Cost:
    """The map's work: every cell is a race of ``steps`` steps (see :mod:`descentlab.budget`)."""
    cells = spec["x"]["n"] * spec["y"]["n"]
    return budget.Cost(seconds=cells * (CELL_SECONDS + spec["steps"] * STEP_SECONDS),
                       memory=cells * CELL_BYTES,
                       drivers=(("steps", spec["steps"]), ("x.n", spec["x"]["n"]), ("y.n", spec["y"]["n"])),
                       hint="Lower steps, or use fewer cells (x.n, y.n).")


def iterate(spec: dict):
    """Run every cell; one item per row (one value of the y parameter) with its cells.

    Between rows, bare ``{"done", "total"}`` heartbeats (``done`` counts whole
    rows) keep progress and Stop within ``budget.PROGRESS_SECONDS`` of work.
    """
    xs, ys = axis_values(spec["x"]), axis_values(spec["y"])
    race_spec = {k: spec[k] for k in ("function", "function_params", "start", "steps")}
    race_spec["record_state"] = False
    final = np.full((len(ys), len(xs)), np.nan)
    diverged = [[None] * len(xs) for _ in ys]
    every = budget.chunk(CELL_SECONDS + spec["steps"] * STEP_SECONDS)  # cells between two reports
    cells = 0
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            entry = {"name": spec["optimizer"]["name"],
                     "params": dict(spec["optimizer"]["params"], **{spec["x"]["param"]: float(xv),
                                                                    spec["y"]["param"]: float(yv)})}
            run = landscape.race(race_spec, entry)
            diverged[i][j] = run["diverged_at"]
            if run["diverged_at"] is None:
                final[i, j] = run["final_loss"]
            cells += 1
            if cells % every == 0 and j + 1 < len(xs):
                yield {"done": i, "total": len(ys)}
        yield {"done": i + 1, "total": len(ys), "row": i,
               "final_loss": [None if np.isnan(v) else float(v) for v in final[i]],
               "diverged_at": diverged[i]}
    yield {"done": len(ys), "total": len(ys), "result": {
        "kind": "regime", "function": landscape.function_info(spec["function"], spec["function_params"]),
        "optimizer": spec["optimizer"], "start": spec["start"], "steps": spec["steps"],
        "x": dict(spec["x"], values=xs.tolist()), "y": dict(spec["y"], values=ys.tolist()),
        "final_loss": [[None if np.isnan(v) else float(v) for v in row] for row in final],
        "diverged_at": diverged}}
