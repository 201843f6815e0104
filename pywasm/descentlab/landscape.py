"""Optimizers racing on a 2-D test function: the ``"landscape"`` and ``"grid"`` specs.

Each optimizer starts at the same point and takes ``steps`` steps on the
function's analytic gradient.  A run that leaves ``DIVERGENCE_BOUND`` or whose
loss stops being finite is stopped and reports ``diverged_at``, the step at
which that happened; its path ends at the last finite point, so nothing
downstream ever has to draw a NaN.
"""

from __future__ import annotations

import numpy as np

from . import contours, optimizers
from .errors import SpecError
from .functions import FUNCTIONS, grid
from .optimizer_spec import read_optimizers
from .validate import Fields, check_number

MAX_STEPS = 10_000  # per run; the page keeps every point of every path
START_BOUND = 1.0e4  # |x|, |y| of the start point
DIVERGENCE_BOUND = 1.0e6  # a run whose |x| or |y| passes this has diverged
MAX_GRID_SIDE = 512  # grid spec: at most 512 x 512 evaluations
MAX_LEVELS = 60  # contour lines per grid


def read_function(fields: Fields) -> tuple[str, dict]:
    """``function`` (an id) and ``function_params`` (e.g. condition, angle)."""
    name = fields.choice("function", FUNCTIONS)
    fn = FUNCTIONS[name]
    given = fields.sub("function_params", {})
    params = {}
    for key, p in fn.params.items():
        params[key] = given.number(key, p["min"], p["max"], p["default"])
    given.done()
    return name, params


def read_spec(spec: dict) -> dict:
    fields = Fields(spec, "")
    fields.choice("kind", {"landscape"})
    name, fparams = read_function(fields)
    start = fields.array("start", 2, 2, list(FUNCTIONS[name].start))
    start = [check_number(v, f"start[{i}]", -START_BOUND, START_BOUND) for i, v in enumerate(start)]
    steps = fields.number("steps", 1, MAX_STEPS, 500, integer=True)
    runs = read_optimizers(fields)
    record = fields.boolean("record_state", False)
    # "only": i runs the i-th optimizer alone, the whole spec validated all the same, so
    # a pool of workers can share one scene and an error names the field as in the spec
    only = fields.number("only", 0, len(runs) - 1, integer=True) if fields.has("only") else None
    fields.done()
    return {"kind": "landscape", "function": name, "function_params": fparams, "start": start,
            "steps": steps, "optimizers": runs, "record_state": record, "only": only}


def race(spec: dict, entry: dict) -> dict:
    """Run one optimizer on the spec's function.

    Returns
    -------
    dict
        ``path`` ndarray (k+1, 2), the start first; ``loss`` ndarray (k+1,); ``diverged_at``
        (a step number or None); with ``record_state``, ``state`` maps each
        recorded quantity to its values at steps 1..k.
    """
    opt = optimizers.make(entry["name"], **entry["params"])
    if spec["record_state"]:
        path, loss, diverged_at, trace = _race_arrays(spec, entry, opt)
    else:
        try:
            path, loss, diverged_at = _race_floats(spec, opt)
        except ZeroDivisionError:
            # Where CPython's x / 0.0 raises, NumPy returns inf or nan and the run is
            # reported as diverged.  No validated setting divides by zero today (every
            # eps >= 1e-12, every beta < 1); this keeps a future optimizer honest.
            path, loss, diverged_at, trace = _race_arrays(spec, entry, opt)
    run = dict(entry)
    run.update(path=path, loss=loss, diverged_at=diverged_at, final_loss=float(loss[-1]), steps_run=len(loss) - 1)
    if spec["record_state"]:
        run["state"] = trace
    return run


def _inside(x: float, y: float) -> bool:
    # NaN fails both comparisons, so a non-finite point counts as outside
    return abs(x) <= DIVERGENCE_BOUND and abs(y) <= DIVERGENCE_BOUND


def _finite(value: float) -> bool:
    return abs(value) < float("inf")


def _race_floats(spec: dict, opt) -> tuple[np.ndarray, np.ndarray, int | None]:
    """The race on Python floats, each coordinate with its own optimizer state.

    Every optimizer is elementwise (``kernels.zeros_like`` and friends), so x and
    y can be stepped separately with the same bits as one 2-element array, at a
    fraction of NumPy's per-call cost on such tiny arrays.  This loop is what a
    drag on the canvas waits for, hence the inlined checks.
    """
    fn, fparams = FUNCTIONS[spec["function"]], spec["function_params"]
    f, grad, value_and_grad = fn.f, fn.grad, fn.value_and_grad
    update, bound, inf = opt.update, DIVERGENCE_BOUND, float("inf")
    x, y = (float(v) for v in spec["start"])
    state_x, state_y = opt.init(x), opt.init(y)
    value, (gx, gy) = value_and_grad(x, y, **fparams) if value_and_grad else (f(x, y, **fparams), grad(x, y, **fparams))
    xs, ys, loss = [x], [y], [float(value)]
    diverged_at = None
    for step in range(1, spec["steps"] + 1):
        ux, state_x = update(float(gx), state_x, x)
        uy, state_y = update(float(gy), state_y, y)
        x, y = x + ux, y + uy
        # NaN fails both comparisons, so a non-finite point counts as outside
        if not (abs(x) <= bound and abs(y) <= bound):
            diverged_at = step
            break
        if value_and_grad:
            value, (gx, gy) = value_and_grad(x, y, **fparams)
        else:
            value = f(x, y, **fparams)
            gx, gy = grad(x, y, **fparams)
        if not abs(value) < inf:
            diverged_at = step
            break
        xs.append(x)
        ys.append(y)
        loss.append(float(value))
    # flat float lists become arrays in one pass each; a list of [x, y] pairs would cost
    # NumPy a nested conversion (the digest and the worker's byte packing read arrays)
    return np.stack([np.array(xs), np.array(ys)], axis=1), np.array(loss), diverged_at


def _race_arrays(spec: dict, entry: dict, opt) -> tuple[np.ndarray, np.ndarray, int | None, dict]:
    """The race on one 2-element array, recording the inspector's quantities if asked."""
    fn, fparams = FUNCTIONS[spec["function"]], spec["function_params"]
    f, grad = fn.f, fn.grad
    x, y = (float(v) for v in spec["start"])
    p = np.array([x, y], dtype=np.float64)
    state = opt.init(p)
    path, loss = [[x, y]], [float(f(x, y, **fparams))]
    trace: dict[str, list] = {}
    for step in range(1, spec["steps"] + 1):
        gx, gy = grad(x, y, **fparams)
        g = np.array([gx, gy], dtype=np.float64)
        updates, new_state = opt.update(g, state, p)
        new_p = p + updates
        nx, ny = new_p.tolist()
        value = float(f(nx, ny, **fparams)) if _inside(nx, ny) else float("nan")
        if not _finite(value):
            return np.array(path), np.array(loss), step, trace
        if spec["record_state"]:
            recorded = optimizers.record(entry["name"], g, state, new_state, updates, entry["params"])
            for key, val in recorded.items():
                trace.setdefault(key, []).append(np.asarray(val, dtype=np.float64).tolist())
        p, state, x, y = new_p, new_state, nx, ny
        path.append([x, y])
        loss.append(value)
    return np.array(path), np.array(loss), None, trace


def function_info(name: str, params: dict) -> dict:
    fn = FUNCTIONS[name]
    minima = [list(map(float, m)) for m in fn.minima]
    f_min = min((float(fn.f(mx, my, **params)) for mx, my in minima), default=None)
    return {"name": name, "title": fn.title, "params": params,
            "domain": [list(map(float, d)) for d in fn.domain], "minima": minima, "f_min": f_min}


def iterate(spec: dict):
    """Yield progress after each optimizer's run, then the whole result.

    With ``only`` set, ``runs`` holds that one optimizer's run, equal to the
    same entry of the whole scene's ``runs``.

    Progress carries counts only: the page draws a scene once it is complete, and
    sending each path twice would double the serialization cost while dragging.
    """
    runs = []
    entries = spec["optimizers"] if spec["only"] is None else [spec["optimizers"][spec["only"]]]
    total = len(entries)
    for i, entry in enumerate(entries):
        runs.append(race(spec, entry))
        yield {"done": i + 1, "total": total}
    info = function_info(spec["function"], spec["function_params"])
    if info["f_min"] is not None:  # the page plots f - f_min on a log axis
        for run in runs:
            run["loss_above_min"] = run["loss"] - info["f_min"]
    yield {"done": total, "total": total, "result": {
        "kind": "landscape", "function": info,
        "start": spec["start"], "steps": spec["steps"], "runs": runs}}


def read_grid_spec(spec: dict) -> dict:
    fields = Fields(spec, "")
    fields.choice("kind", {"grid"})
    name, fparams = read_function(fields)
    size = fields.array("size", 2, 2, [128, 128])
    size = [check_number(v, f"size[{i}]", 2, MAX_GRID_SIDE, integer=True) for i, v in enumerate(size)]
    domain = FUNCTIONS[name].domain
    if fields.has("domain"):
        box = fields.array("domain", 2, 2)
        domain = []
        for i, pair in enumerate(box):
            if not isinstance(pair, list) or len(pair) != 2:
                raise SpecError(f"domain[{i}]", "must be a pair [lo, hi]")
            lo = check_number(pair[0], f"domain[{i}][0]", -START_BOUND, START_BOUND)
            hi = check_number(pair[1], f"domain[{i}][1]", -START_BOUND, START_BOUND)
            if not lo < hi:
                raise SpecError(f"domain[{i}]", f"needs lo < hi, got [{lo:g}, {hi:g}]")
            domain.append((lo, hi))
    levels = fields.number("levels", 0, MAX_LEVELS, 20, integer=True)
    fields.done()
    return {"kind": "grid", "function": name, "function_params": fparams, "size": size,
            "domain": [list(d) for d in domain], "levels": levels}


def iterate_grid(spec: dict):
    """Evaluate the function on an H x W grid, with log-spaced contours and shading."""
    h, w = spec["size"]
    xs, ys, z = grid(spec["function"], h, w, domain=spec["domain"], **spec["function_params"])
    info = function_info(spec["function"], spec["function_params"])
    levels, base, offset = contours.log_levels(z, spec["levels"], info["f_min"])
    lines = [contours.segments(xs, ys, z, level).ravel().tolist() for level in levels]
    yield {"done": 1, "total": 1, "result": {
        "kind": "grid", "function": info,
        "x": xs.tolist(), "y": ys.tolist(), "z": z.tolist(),
        "shade": contours.shade(z, base, offset).tolist(),
        "levels": levels.tolist(), "contours": lines}}
