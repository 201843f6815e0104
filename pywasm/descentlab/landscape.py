"""Optimizers racing on a 2-D test function: the ``"landscape"`` and ``"grid"`` specs.

Each optimizer starts at the same point and takes ``steps`` steps on the
function's analytic gradient.  A run that leaves ``DIVERGENCE_BOUND`` or whose
loss stops being finite is stopped and reports ``diverged_at``, the step at
which that happened; its path ends at the last finite point, so nothing
downstream ever has to draw a NaN.
"""

from __future__ import annotations

import numpy as np

from . import budget, contours, optimizer_spec, optimizers
from .errors import SpecError
from .functions import FUNCTIONS, evaluate
from .optimizer_spec import read_optimizers
from .fields import Fields, check_number

MAX_STEPS = 10_000  # per run; the page keeps every point of every path
START_BOUND = 1.0e4  # |x|, |y| of the start point
DIVERGENCE_BOUND = 1.0e6  # a run whose |x| or |y| passes this has diverged
MAX_GRID_SIDE = 512  # grid spec: at most 512 x 512 evaluations
MAX_LEVELS = 60  # contour lines per grid

# Native seconds on the reference machine (bench/bench_budget.py), on the high side.
STEP_SECONDS = 4e-5  # one optimizer step of the race (the slowest optimizer and function)
RECORD_STEP_SECONDS = 2.5e-4  # the same, recording what the code computed (optimizers.record)
RECORD_FLOATS = 24  # per step, recorded quantities of x and y with their list overhead (measured)
RUN_FLOATS = 4  # per step of a run: x, y, loss, loss above the minimum
POINT_SECONDS = 2.4e-6  # grid: evaluating one point, shading it, listing it
LEVEL_POINT_SECONDS = 3e-7  # grid: one contour level, per point (the busiest levels; the mean is half)
GRID_FLOATS = 6  # per grid point: z, shade and their temporaries


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
    optimizer_spec.check_run_length(runs, steps)
    record = fields.boolean("record_state", False)
    # "only": i runs the i-th optimizer alone, the whole spec validated all the same, so
    # a pool of workers can share one scene and an error names the field as in the spec
    only = fields.number("only", 0, len(runs) - 1, integer=True) if fields.has("only") else None
    fields.done()
    out = {"kind": "landscape", "function": name, "function_params": fparams, "start": start,
           "steps": steps, "optimizers": runs, "record_state": record, "only": only}
    budget.check(cost(out))
    return out


def cost(spec: dict) -> budget.Cost:
    """The work of a ``"landscape"`` or ``"grid"`` spec (see :mod:`descentlab.budget`)."""
    if spec["kind"] == "grid":
        return _grid_cost(spec)
    runs = len(spec["optimizers"]) if spec["only"] is None else 1
    per_step = RECORD_STEP_SECONDS if spec["record_state"] else STEP_SECONDS
    floats = RUN_FLOATS + (RECORD_FLOATS if spec["record_state"] else 0)
    steps = runs * spec["steps"]
    return budget.Cost(
        seconds=steps * per_step,
        memory=steps * floats * (budget.FLOAT_BYTES + budget.LIST_FLOAT_BYTES + budget.JSON_FLOAT_BYTES),
        drivers=(("steps", spec["steps"]), ("optimizers", runs), ("record_state", spec["record_state"])),
        hint="Lower steps or use fewer optimizers; record_state costs about three times more per step.")


def _grid_cost(spec: dict) -> budget.Cost:
    points = spec["size"][0] * spec["size"][1]
    return budget.Cost(
        seconds=points * (POINT_SECONDS + spec["levels"] * LEVEL_POINT_SECONDS),
        memory=points * (GRID_FLOATS * budget.FLOAT_BYTES + 2 * (budget.LIST_FLOAT_BYTES + budget.JSON_FLOAT_BYTES)),
        drivers=(("size", spec["size"]), ("levels", spec["levels"])),
        hint="Use a smaller size or fewer levels.")


def race(spec: dict, entry: dict) -> dict:
    """Run one optimizer on the spec's function.

    Returns
    -------
    dict
        ``path`` ndarray (k+1, 2), the start first; ``loss`` ndarray (k+1,); ``diverged_at``
        (a step number or None); with ``record_state``, ``state`` maps each
        recorded quantity to an ndarray of its values at steps 1..k, a row per step.
    """
    return budget.drain(race_steps(spec, entry))


def race_steps(spec: dict, entry: dict, field: str = "optimizers[0]"):
    """:func:`race` as a generator: yields the step reached about every ``budget.PROGRESS_SECONDS``
    of work, and returns the run.  ``field`` names the entry in errors of a learner's code."""
    opt = optimizer_spec.make(entry, field)
    if spec["record_state"] or entry["name"] == "custom":  # learner code sees arrays, as it is told
        path, loss, diverged_at, trace = yield from _race_arrays(spec, entry, opt)
    else:
        try:
            path, loss, diverged_at = yield from _race_floats(spec, opt)
        except ZeroDivisionError:
            # Where CPython's x / 0.0 raises, NumPy returns inf or nan and the run is
            # reported as diverged.  No validated setting divides by zero today (every
            # eps >= 1e-12, every beta < 1); this keeps a future optimizer honest.
            path, loss, diverged_at, trace = yield from _race_arrays(spec, entry, opt)
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


def _race_floats(spec: dict, opt):
    """The race on Python floats, each coordinate with its own optimizer state.

    A generator: yields the step every ``budget.chunk(STEP_SECONDS)`` steps, returns
    ``(path, loss, diverged_at)``.

    Every optimizer is elementwise (``kernels.zeros_like`` and friends), so x and
    y can be stepped separately with the same bits as one 2-element array, at a
    fraction of NumPy's per-call cost on such tiny arrays.  This loop is what a
    drag on the canvas waits for, hence the inlined checks.
    """
    fn, fparams = FUNCTIONS[spec["function"]], spec["function_params"]
    f, grad, value_and_grad = fn.f, fn.grad, fn.value_and_grad
    update, bound, inf = opt.update, DIVERGENCE_BOUND, float("inf")
    every = budget.chunk(STEP_SECONDS)  # steps between two heartbeats
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
        if step % every == 0:
            yield step
    # flat float lists become arrays in one pass each; a list of [x, y] pairs would cost
    # NumPy a nested conversion (the digest and the worker's byte packing read arrays)
    return _path(xs, ys), np.array(loss), diverged_at


def _race_arrays(spec: dict, entry: dict, opt):
    """The race on one 2-element array, recording the inspector's quantities if asked.

    A generator like :func:`_race_floats`; returns ``(path, loss, diverged_at, trace)``.
    """
    fn, fparams = FUNCTIONS[spec["function"]], spec["function_params"]
    f, grad = fn.f, fn.grad
    x, y = (float(v) for v in spec["start"])
    p = np.array([x, y], dtype=np.float64)
    state = opt.init(p)
    # Flat lists of floats, not a small list per step: a million of those make each of
    # Python's full garbage collections take half a second in the middle of a run.
    xs, ys, loss = [x], [y], [float(f(x, y, **fparams))]
    trace: dict[str, list] = {}  # quantity -> its values at every step, one after another
    shapes: dict[str, tuple] = {}
    every = budget.chunk(RECORD_STEP_SECONDS if spec["record_state"] else STEP_SECONDS)
    for step in range(1, spec["steps"] + 1):
        gx, gy = grad(x, y, **fparams)
        g = np.array([gx, gy], dtype=np.float64)
        if spec["record_state"] and entry["name"] != "custom":  # the inspector shows what the code computed
            hyper = optimizer_spec.hyper_at(entry, state.step + 1)  # this step's lr when scheduled
            updates, new_state, recorded = optimizers.record(entry["name"], g, state, p, hyper)
        else:
            updates, new_state = opt.update(g, state, p)
            recorded = {"grad": g, "update": updates}
        new_p = p + updates
        nx, ny = new_p.tolist()
        value = float(f(nx, ny, **fparams)) if _inside(nx, ny) else float("nan")
        if not _finite(value):
            return _path(xs, ys), np.array(loss), step, _stack(trace, shapes)
        if spec["record_state"]:
            for key, val in recorded.items():
                val = np.asarray(val, dtype=np.float64)
                shapes.setdefault(key, val.shape)
                trace.setdefault(key, []).extend(val.ravel().tolist())
        p, state, x, y = new_p, new_state, nx, ny
        xs.append(x)
        ys.append(y)
        loss.append(value)
        if step % every == 0:
            yield step
    return _path(xs, ys), np.array(loss), None, _stack(trace, shapes)


def _path(xs: list, ys: list) -> np.ndarray:
    return np.stack([np.array(xs), np.array(ys)], axis=1)


def _stack(trace: dict, shapes: dict) -> dict:
    """Each quantity's values as one array, a row per step (as the lists of rows they replace)."""
    return {key: np.array(flat, dtype=np.float64).reshape(-1, *shapes[key]) for key, flat in trace.items()}


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
        steps = race_steps(spec, entry, f"optimizers[{i if spec['only'] is None else spec['only']}]")
        while True:  # a long run reports between its steps too (done counts whole runs)
            try:
                next(steps)
            except StopIteration as stop:
                runs.append(stop.value)
                break
            yield {"done": i, "total": total}
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
    out = {"kind": "grid", "function": name, "function_params": fparams, "size": size,
           "domain": [list(d) for d in domain], "levels": levels}
    budget.check(cost(out))
    return out


def iterate_grid(spec: dict):
    """Evaluate the function on an H x W grid, with log-spaced contours and shading.

    The grid is :func:`descentlab.functions.grid`'s, evaluated a block of rows at a
    time (every function is elementwise, so the bits are the same) and its contour
    levels a few at a time, with a heartbeat after each block.
    """
    h, w = spec["size"]
    (xmin, xmax), (ymin, ymax) = spec["domain"]
    xs = np.linspace(float(xmin), float(xmax), int(w))
    ys = np.linspace(float(ymin), float(ymax), int(h))
    total = h + spec["levels"]
    z = np.empty((h, w))
    rows = budget.chunk(w * POINT_SECONDS)
    for top in range(0, h, rows):
        z[top:top + rows] = evaluate(spec["function"], xs[None, :], ys[top:top + rows, None],
                                     **spec["function_params"])
        yield {"done": min(top + rows, h), "total": total}
    info = function_info(spec["function"], spec["function_params"])
    levels, base, offset = contours.log_levels(z, spec["levels"], info["f_min"])
    lines = []
    per_report = budget.chunk(h * w * LEVEL_POINT_SECONDS)
    for level in levels:
        lines.append(contours.segments(xs, ys, z, level).ravel().tolist())
        if len(lines) % per_report == 0:
            yield {"done": h + len(lines), "total": total}
    yield {"done": total, "total": total, "result": {
        "kind": "grid", "function": info,
        "x": xs.tolist(), "y": ys.tolist(), "z": z.tolist(),
        "shade": contours.shade(z, base, offset).tolist(),
        "levels": levels.tolist(), "contours": lines}}
