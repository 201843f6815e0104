"""Optimizers racing on a 2-D test function: the ``"landscape"`` and ``"grid"`` specs.

Each optimizer starts at the same point and takes ``steps`` steps on the
function's analytic gradient: a registered surface, or the learner's own
``"function": "custom"`` with an ``expression`` (see :mod:`descentlab.expression`).
With ``"noise": {"std": σ, "seed": s}`` each step's gradient gets Gaussian noise
added, the same draws at step k for every optimizer (it stands in for the noise
of mini-batches); an entry's ``clip_grad_norm`` or ``clip_grad_value`` then clips it.
Sophia is given the function's exact Hessian diagonal (∂²f/∂x², ∂²f/∂y²) at the steps
it refreshes its curvature (:func:`hessian_at`): noise is added to gradients only,
never to the Hessian, and clipping clips the gradient only.  A run that leaves ``DIVERGENCE_BOUND`` or whose
loss stops being finite is stopped and reports ``diverged_at``, the step at
which that happened; its path ends at the last finite point, so nothing
downstream ever has to draw a NaN.
"""

from __future__ import annotations

import numpy as np

from functools import lru_cache

from . import budget, contours, optimizer_spec, optimizers
from .errors import SpecError
from .expression import compile_expression
from .functions import FUNCTIONS, TestFunction, evaluate
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

CUSTOM = "custom"  # "function": "custom" with an "expression"
CUSTOM_DOMAIN = ((-3.0, 3.0), (-3.0, 3.0))  # the plot box of a custom function, unless given
CUSTOM_START = (0.15, 0.8)  # its default start: these fractions of the box along x and y
NODE_SECONDS = 2e-6  # per step, per microsecond of a custom expression's weight (expression.Expression.weight),
                     # the gradient and the loss of both the float and the recorded race, with a margin
NODE_POINT_SECONDS = 1e-8  # the same per grid point, where NumPy evaluates a whole block at once
MAX_NOISE_STD = 1.0e3  # noise std σ in [0, 1e3]
MAX_NOISE_SEED = 2**32 - 1
PLOT_BOUND = 1.0e100  # a grid value beyond this (or not finite) is drawn at the grid's largest finite value


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


def read_surface(fields: Fields) -> dict:
    """``function`` and its parameters, or ``"custom"`` with ``expression`` and an optional ``domain``.

    Returns
    -------
    dict
        ``{"function", "function_params"}``, plus ``"expression"`` and ``"domain"`` for a custom one.
    """
    if fields.choice("function", [*FUNCTIONS, CUSTOM]) != CUSTOM:
        name, fparams = read_function(fields)
        return {"function": name, "function_params": fparams}
    if fields.has("function_params") and fields.value("function_params") != {}:
        raise SpecError(fields.field("function_params"), "a custom function has no parameters: write"
                        " the numbers into its expression")
    fields.value("function_params", None)
    expression = compile_expression(fields.value("expression"), fields.field("expression")).source
    domain = read_domain(fields, CUSTOM_DOMAIN)
    return {"function": CUSTOM, "function_params": {}, "expression": expression, "domain": domain}


def read_domain(fields: Fields, default) -> list:
    """The optional ``domain`` ``[[xmin, xmax], [ymin, ymax]]``, each lo < hi, within ±START_BOUND."""
    if not fields.has("domain"):
        return [list(map(float, d)) for d in default]
    box = fields.array("domain", 2, 2)
    domain = []
    for i, pair in enumerate(box):
        if not isinstance(pair, list) or len(pair) != 2:
            raise SpecError(f"domain[{i}]", "must be a pair [lo, hi]")
        lo = check_number(pair[0], f"domain[{i}][0]", -START_BOUND, START_BOUND)
        hi = check_number(pair[1], f"domain[{i}][1]", -START_BOUND, START_BOUND)
        if not lo < hi:
            raise SpecError(f"domain[{i}]", f"needs lo < hi, got [{lo:g}, {hi:g}]")
        domain.append([lo, hi])
    return domain


def surface(spec: dict) -> TestFunction:
    """The function a checked landscape or grid spec descends: a registered one or its custom expression."""
    if spec["function"] != CUSTOM:
        return FUNCTIONS[spec["function"]]
    return _custom_surface(spec["expression"], tuple(map(tuple, spec["domain"])))


@lru_cache(maxsize=32)
def _custom_surface(source: str, domain: tuple) -> TestFunction:
    e = compile_expression(source)
    (x0, x1), (y0, y1) = domain
    start = (x0 + CUSTOM_START[0] * (x1 - x0), y0 + CUSTOM_START[1] * (y1 - y0))
    return TestFunction(CUSTOM, f"f(x, y) = {source}", e.value, e.grad, domain, [], None, start, {},
                        "Your own function.", value_and_grad=e.value_and_grad, hessian_diag=e.hessian_diag)


def read_noise(fields: Fields) -> dict | None:
    """``noise``: ``{"std": σ in [0, MAX_NOISE_STD], "seed": s in [0, 2**32 - 1]}`` (seed 0 unless given)."""
    if not fields.has("noise"):
        return None
    noise = fields.sub("noise")
    out = {"std": noise.number("std", 0.0, MAX_NOISE_STD),
           "seed": noise.number("seed", 0, MAX_NOISE_SEED, 0, integer=True)}
    noise.done()
    return out


def noise_draws(spec: dict):
    """σ·z for every step: ndarray (steps, 2), row k − 1 added to step k's gradient; None without noise.

    One seeded generator (PCG64, ``standard_normal``: bit-identical natively and in
    Pyodide, docs/determinism.md), drawn per step index, so every optimizer of the
    scene gets the same draws and a longer run extends a shorter one's.  σ = 0 adds
    nothing at all (not +0.0, which would turn a gradient of -0.0 into 0.0).
    """
    noise = spec.get("noise")
    if noise is None or noise["std"] == 0.0:
        return None
    z = np.random.default_rng(noise["seed"]).standard_normal((spec["steps"], 2))
    return noise["std"] * z


def gradient_fn(spec: dict):
    """The gradient run ``i`` of a checked landscape spec used at step ``k``, before clipping.

    Returns
    -------
    callable
        ``grad(p, k) -> ndarray (2,)`` for the point ``p`` (ndarray (2,), θ_{k−1}) and
        the step ``k`` from 1: the function's gradient (custom expressions included)
        plus step k's noise, with the race's bits.  The entry's clipping follows
        (``optimizer_spec.clipper(entry)``, or the update of ``optimizer_spec.make``).
    """
    fn, fparams, noise = surface(spec), spec["function_params"], noise_draws(spec)

    def grad(p, k: int):
        x, y = float(p[0]), float(p[1])
        gx, gy = fn.value_and_grad(x, y, **fparams)[1] if fn.value_and_grad else fn.grad(x, y, **fparams)
        gx, gy = float(gx), float(gy)
        if noise is not None:
            gx, gy = gx + float(noise[k - 1, 0]), gy + float(noise[k - 1, 1])
        return np.array([gx, gy], dtype=np.float64)

    return grad


def read_spec(spec: dict) -> dict:
    fields = Fields(spec, "")
    fields.choice("kind", {"landscape"})
    out = {"kind": "landscape", **read_surface(fields)}
    fn = surface(out)
    start = fields.array("start", 2, 2, list(fn.start))
    start = [check_number(v, f"start[{i}]", -START_BOUND, START_BOUND) for i, v in enumerate(start)]
    if out["function"] == CUSTOM:
        _check_start(fn, start)
    steps = fields.number("steps", 1, MAX_STEPS, 500, integer=True)
    noise = read_noise(fields)
    runs = read_optimizers(fields, fork=True)
    for i, entry in enumerate(runs):
        module = optimizers.EXTRA.get(entry["name"])
        if module is not None and "blocks" in getattr(module, "NEEDS", ()):
            raise SpecError(f"{fields.field('optimizers')}[{i}].name", module.REFUSED_ON_LANDSCAPE)
        if module is not None and "hessian" in getattr(module, "NEEDS", ()) and fn.hessian_diag is None:
            raise SpecError(f"{fields.field('optimizers')}[{i}].name", f"{module.TITLE} needs the exact curvature"
                            " (∂²f/∂x², ∂²f/∂y²), which this function does not provide; pick a built-in function")
    optimizer_spec.check_run_length(runs, steps)
    optimizer_spec.check_forks(runs, steps)
    record = fields.boolean("record_state", False)
    # "only": i runs the i-th optimizer alone, the whole spec validated all the same, so
    # a pool of workers can share one scene and an error names the field as in the spec
    only = fields.number("only", 0, len(runs) - 1, integer=True) if fields.has("only") else None
    fields.done()
    out.update(start=start, steps=steps, optimizers=runs, record_state=record, only=only)
    if noise is not None:  # absent, not null: a spec without noise keeps its checked form and digest
        out["noise"] = noise
    budget.check(cost(out))
    return out


def _check_start(fn: TestFunction, start: list) -> None:
    """A custom function must be finite, with a finite gradient, where every run starts."""
    value, (gx, gy) = fn.value_and_grad(float(start[0]), float(start[1]))
    if not all(_finite(v) for v in (value, gx, gy)):
        raise SpecError("start", f"f or its gradient is not finite at ({start[0]:g}, {start[1]:g})"
                        f" (f = {value:g}, gradient ({gx:g}, {gy:g})); start elsewhere or change the expression")


def cost(spec: dict) -> budget.Cost:
    """The work of a ``"landscape"`` or ``"grid"`` spec (see :mod:`descentlab.budget`)."""
    if spec["kind"] == "grid":
        return _grid_cost(spec)
    runs = len(spec["optimizers"]) if spec["only"] is None else 1
    per_step = RECORD_STEP_SECONDS if spec["record_state"] else STEP_SECONDS
    if spec["function"] == CUSTOM:
        per_step += NODE_SECONDS * compile_expression(spec["expression"]).weight
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
        seconds=points * (_point_seconds(spec) + spec["levels"] * LEVEL_POINT_SECONDS),
        memory=points * (GRID_FLOATS * budget.FLOAT_BYTES + 2 * (budget.LIST_FLOAT_BYTES + budget.JSON_FLOAT_BYTES)),
        drivers=(("size", spec["size"]), ("levels", spec["levels"])),
        hint="Use a smaller size or fewer levels.")


def _point_seconds(spec: dict) -> float:
    """Evaluating, shading and listing one grid point."""
    if spec["function"] != CUSTOM:
        return POINT_SECONDS
    return POINT_SECONDS + NODE_POINT_SECONDS * compile_expression(spec["expression"]).weight


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


def _elementwise(entry: dict) -> bool:
    """Whether the entry's optimizer treats each coordinate on its own (the float loop's premise)."""
    info = optimizers.REGISTRY.get(entry["name"])  # SAM (optimizers.EXTRA) couples x and y by ‖g‖
    return info is not None and getattr(info.module, "ELEMENTWISE", True)


def race_steps(spec: dict, entry: dict, field: str = "optimizers[0]"):
    """:func:`race` as a generator: yields the step reached about every ``budget.PROGRESS_SECONDS``
    of work, and returns the run.  ``field`` names the entry in errors of a learner's code."""
    opt = optimizer_spec.make(entry, field, clip=False)  # clipped here, where the steps are counted
    counts = {"clipped": 0}
    # learner code sees arrays, as it is told; so do optimizers of the whole array (LAMB's norms)
    probes = None
    if "fork" in entry or entry["name"] in optimizers.EXTRA or getattr(opt, "probe", None) is not None:
        path, loss, diverged_at, trace, probes = yield from _race_fork(spec, entry, opt, counts, field)
    elif spec["record_state"] or entry["name"] == "custom" or not _elementwise(entry):
        path, loss, diverged_at, trace = yield from _race_arrays(spec, entry, opt, counts)
    else:
        try:
            path, loss, diverged_at = yield from _race_floats(spec, opt, entry, counts)
        except ZeroDivisionError:
            # Where CPython's x / 0.0 raises, NumPy returns inf or nan and the run is
            # reported as diverged.  No validated setting divides by zero today (every
            # eps >= 1e-12, every beta < 1); this keeps a future optimizer honest.
            counts["clipped"] = 0
            path, loss, diverged_at, trace = yield from _race_arrays(spec, entry, opt, counts)
    run = dict(entry)
    run.update(path=path, loss=loss, diverged_at=diverged_at, final_loss=float(loss[-1]), steps_run=len(loss) - 1)
    if optimizer_spec.clipper(entry) is not None:
        run["clipped"] = counts["clipped"]  # steps whose gradient the clipping changed
    if spec["record_state"]:
        run["state"] = trace
    if probes is not None:
        run["probe"] = probes  # (steps_run, 2): where step k's gradient was taken (SAM's θ_{k−1} + ε_k)
    return run


def _inside(x: float, y: float) -> bool:
    # NaN fails both comparisons, so a non-finite point counts as outside
    return abs(x) <= DIVERGENCE_BOUND and abs(y) <= DIVERGENCE_BOUND


def _finite(value: float) -> bool:
    return abs(value) < float("inf")


def _race_floats(spec: dict, opt, entry: dict | None = None, counts: dict | None = None):
    """The race on Python floats, each coordinate with its own optimizer state.

    A generator: yields the step every ``budget.chunk(STEP_SECONDS)`` steps, returns
    ``(path, loss, diverged_at)``.  ``opt`` does not clip; the entry's clipping is
    applied here to (x, y) together, and ``counts["clipped"]`` counts the clipped steps.

    Every optimizer is elementwise (``kernels.zeros_like`` and friends), so x and
    y can be stepped separately with the same bits as one 2-element array, at a
    fraction of NumPy's per-call cost on such tiny arrays.  This loop is what a
    drag on the canvas waits for, hence the inlined checks.
    """
    fn, fparams = surface(spec), spec["function_params"]
    f, grad, value_and_grad = fn.f, fn.grad, fn.value_and_grad
    update, bound, inf = opt.update, DIVERGENCE_BOUND, float("inf")
    every = budget.chunk(STEP_SECONDS)  # steps between two heartbeats
    noise = noise_draws(spec)
    noise = None if noise is None else noise.ravel().tolist()  # x, y of step 1, then of step 2, ...
    clip = entry if entry is not None and optimizer_spec.clipper(entry) is not None else None
    clipped = 0
    x, y = (float(v) for v in spec["start"])
    state_x, state_y = opt.init(x), opt.init(y)
    value, (gx, gy) = value_and_grad(x, y, **fparams) if value_and_grad else (f(x, y, **fparams), grad(x, y, **fparams))
    xs, ys, loss = [x], [y], [float(value)]
    diverged_at = None
    for step in range(1, spec["steps"] + 1):
        if noise is not None:
            gx, gy = float(gx) + noise[2 * step - 2], float(gy) + noise[2 * step - 1]
        if clip is not None:
            gx, gy, hit = optimizer_spec.clip_pair(clip, float(gx), float(gy))
            clipped += hit
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
    if counts is not None:
        counts["clipped"] = clipped
    return _path(xs, ys), np.array(loss), diverged_at


def _race_arrays(spec: dict, entry: dict, opt, counts: dict | None = None):
    """The race on one 2-element array, recording the inspector's quantities if asked.

    A generator like :func:`_race_floats`; returns ``(path, loss, diverged_at, trace)``.
    With clipping, the trace's ``grad`` is the clipped gradient the update used and
    ``grad_raw`` the one before clipping.
    """
    carry = yield from _array_steps(spec, entry, opt, _begin(spec, opt), spec["steps"], counts)
    return _finish(carry)[:4]


def _begin(spec: dict, opt) -> dict:
    """Where every run starts: the spec's start point, a fresh state, step 0."""
    fn, fparams = surface(spec), spec["function_params"]
    x, y = (float(v) for v in spec["start"])
    p = np.array([x, y], dtype=np.float64)
    # Flat lists of floats, not a small list per step: a million of those make each of
    # Python's full garbage collections take half a second in the middle of a run.
    return {"p": p, "state": opt.init(p), "step": 0, "xs": [x], "ys": [y], "loss": [float(fn.f(x, y, **fparams))],
            "trace": {}, "shapes": {}, "diverged_at": None, "probe": [], "probed": False}


def _array_steps(spec: dict, entry: dict, opt, carry: dict, stop: int, counts: dict | None = None):
    """Steps ``carry["step"] + 1`` to ``stop`` of ``entry`` on the array loop, from ``carry``.

    A generator (a heartbeat every chunk of steps); returns ``carry`` advanced: ``p``,
    ``state``, ``step``, the path so far (``xs``, ``ys``, ``loss``), the recorded
    ``trace`` and ``diverged_at`` (the step at which the run stopped, or None).
    """
    fn, fparams = surface(spec), spec["function_params"]
    f = fn.f
    gradient = gradient_fn(spec)
    clip = optimizer_spec.clipper(entry)
    counts = {} if counts is None else counts
    counts["clipped"] = 0
    p, state, xs, ys, loss = carry["p"], carry["state"], carry["xs"], carry["ys"], carry["loss"]
    trace, shapes = carry["trace"], carry["shapes"]  # quantity -> its values at every step, one after another
    every = budget.chunk(RECORD_STEP_SECONDS if spec["record_state"] else STEP_SECONDS)
    probe = getattr(opt, "probe", None)
    wants_hessian = getattr(opt, "wants_hessian", None)  # Sophia: the exact diagonal when it refreshes h
    probes = carry["probe"]  # x, y where each step's gradient was taken: θ_{k−1}, or SAM's probe point
    stepper = entry.get("base", entry)  # the optimizer whose update runs (SAM's base)
    for step in range(carry["step"] + 1, stop + 1):
        g = raw = gradient(p, step)
        at = p
        if probe is not None:  # SAM: the base steps with the gradient at the probe point θ + ε
            g_params = g
            at = p + probe(g_params, p)
            g = raw = gradient(at, step)
            carry["probed"] = True
        probes.extend(at.tolist())
        if clip is not None:
            g, hit = clip(raw)
            counts["clipped"] += hit
        if wants_hessian is not None:
            hessian = hessian_at(spec, p) if wants_hessian(state) else None
            if spec["record_state"] and entry["name"] != "custom":
                updates, new_state, recorded = _record_hessian(entry, opt, g, state, p, hessian)
            else:
                updates, new_state = opt.update(g, state, p, hessian)
                recorded = {"grad": g, "update": updates}
        elif spec["record_state"] and entry["name"] != "custom":  # the inspector shows what the code computed
            hyper = optimizer_spec.hyper_at(stepper, state.step + 1)  # this step's lr when scheduled
            updates, new_state, recorded = optimizers.record(stepper["name"], g, state, p, hyper)
        else:
            updates, new_state = opt.update(g, state, p)
            recorded = {"grad": g, "update": updates}
        if clip is not None:
            recorded = dict(recorded, grad_raw=raw)
        if probe is not None:
            recorded = dict(recorded, grad_at_params=g_params)
        new_p = p + updates
        nx, ny = new_p.tolist()
        value = float(f(nx, ny, **fparams)) if _inside(nx, ny) else float("nan")
        if not _finite(value):
            del probes[len(probes) - 2:]  # the path ends before this step
            return dict(carry, p=p, state=state, step=step - 1, diverged_at=step)
        if spec["record_state"]:
            for key, val in recorded.items():
                val = np.asarray(val, dtype=np.float64)
                shapes.setdefault(key, val.shape)
                trace.setdefault(key, []).extend(val.ravel().tolist())
        p, state = new_p, new_state
        xs.append(nx)
        ys.append(ny)
        loss.append(value)
        if step % every == 0:
            yield step
    return dict(carry, p=p, state=state, step=stop)


def hessian_at(spec: dict, p) -> np.ndarray:
    """The exact Hessian diagonal (∂²f/∂x², ∂²f/∂y²) of a checked spec's function at ``p``.

    What Sophia is given at the steps it refreshes its curvature.  The spec's ``noise``
    is added to gradients only, never to this: a mini-batch's noise is in its
    gradient, and the curvature stands for Sophia's estimate of the full Hessian.

    Parameters
    ----------
    p : ndarray (2,), θ_{k−1}

    Returns
    -------
    ndarray (2,) of float64
    """
    fn = surface(spec)
    hx, hy = fn.hessian_diag(float(p[0]), float(p[1]), **spec["function_params"])
    return np.array([float(hx), float(hy)], dtype=np.float64)


def _record_hessian(entry: dict, opt, g, state, p, hessian) -> tuple:
    """Sophia's step under :func:`optimizers.base.capture`, and what the inspector shows of it,
    the curvature it was given (``hessian``, 0 at steps that keep h) included."""
    from .optimizers import base, sophia

    updates, new_state, variables = base.capture(lambda g_, s_, p_: opt.update(g_, s_, p_, hessian), g, state, p, {})
    hyper = optimizer_spec.hyper_at(entry, state.step + 1)
    shown = sophia.trace(g, new_state, updates, hyper, variables)
    shown["hessian"] = np.zeros(2) if hessian is None else hessian
    return updates, new_state, shown


def _finish(carry: dict) -> tuple:
    """``(path, loss, diverged_at, trace)`` of a finished carry; the trace keeps the quantities
    recorded at every step (a fork's parent and its own optimizer may record different ones)."""
    steps = len(carry["loss"]) - 1
    shapes = carry["shapes"]
    trace = {k: v for k, v in carry["trace"].items() if len(v) == steps * _size(shapes[k])}
    return _path(carry["xs"], carry["ys"]), np.array(carry["loss"]), carry["diverged_at"], _stack(trace, shapes), \
        (np.array(carry["probe"], dtype=np.float64).reshape(-1, 2) if carry["probed"] else None)


def _size(shape: tuple) -> int:
    size = 1
    for d in shape:
        size *= d
    return size


def fork_carry(spec: dict, index: int):
    """Run ``index`` of a checked landscape spec replayed to its end, on the array loop (a generator).

    A forked run first replays its parent (recursively, at most ``MAX_FORK_DEPTH``
    levels) up to the fork's step k, with the parent's own settings: the path up to k
    is the parent's, bit for bit.  From θ_k it continues with its own optimizer: with
    the parent's state when :func:`optimizer_spec.keeps_state` (the same optimizer, so
    its step count, moments and schedule carry on), else a fresh ``init(θ_k)`` (its
    step count, and so its schedule, start again at 1).  Noise draws stay those of the
    step number.  Returns the carry (see :func:`_array_steps`).
    """
    return _carry(spec, spec["optimizers"][index], f"optimizers[{index}]", spec["steps"], {})


def _carry(spec: dict, entry: dict, field: str, stop: int, counts: dict, opt=None):
    """Run ``entry`` (its parent first when it forks) to step ``stop``; returns the carry."""
    opt = optimizer_spec.make(entry, field, clip=False) if opt is None else opt
    fork = entry.get("fork")
    if fork is None:
        carry = _begin(spec, opt)
    else:
        parent = spec["optimizers"][fork["run"]]
        carry = yield from _carry(spec, parent, f"optimizers[{fork['run']}]", min(fork["step"], stop), {})
        if carry["diverged_at"] is not None or carry["step"] >= stop:
            return carry
        if not optimizer_spec.keeps_state(spec["optimizers"][fork["run"]], entry):
            carry = dict(carry, state=opt.init(carry["p"]))
    return (yield from _array_steps(spec, entry, opt, carry, stop, counts))


def _race_fork(spec: dict, entry: dict, opt, counts: dict, field: str):
    """A forked entry's race (see :func:`fork_carry`), or SAM's (whose probe needs the array loop);
    ``counts["clipped"]`` counts the entry's own steps only."""
    # the entry itself, not spec["optimizers"][i]: a caller may race a variant of it (tune's lr grid)
    carry = yield from _carry(spec, entry, field, spec["steps"], counts, opt)
    if "clipped" not in counts:
        counts["clipped"] = 0
    return _finish(carry)


def _path(xs: list, ys: list) -> np.ndarray:
    return np.stack([np.array(xs), np.array(ys)], axis=1)


def _stack(trace: dict, shapes: dict) -> dict:
    """Each quantity's values as one array, a row per step (as the lists of rows they replace)."""
    return {key: np.array(flat, dtype=np.float64).reshape(-1, *shapes[key]) for key, flat in trace.items()}


def function_info(name: str, params: dict) -> dict:
    """What the page shows of a registered function: title, domain, minima and f_min."""
    return _info(FUNCTIONS[name], name, params)


def _info(fn: TestFunction, name: str, params: dict) -> dict:
    minima = [list(map(float, m)) for m in fn.minima]
    f_min = min((float(fn.f(mx, my, **params)) for mx, my in minima), default=None)
    return {"name": name, "title": fn.title, "params": params,
            "domain": [list(map(float, d)) for d in fn.domain], "minima": minima, "f_min": f_min}


def surface_info(spec: dict) -> dict:
    """:func:`function_info` of a checked spec's function; a custom one adds its ``expression``."""
    info = _info(surface(spec), spec["function"], spec["function_params"])
    if spec["function"] == CUSTOM:
        info["expression"] = spec["expression"]
    return info


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
    info = surface_info(spec)
    if info["f_min"] is not None:  # the page plots f - f_min on a log axis
        for run in runs:
            run["loss_above_min"] = run["loss"] - info["f_min"]
    result = {"kind": "landscape", "function": info, "start": spec["start"], "steps": spec["steps"], "runs": runs}
    if spec.get("noise") is not None:
        result["noise"] = spec["noise"]
    yield {"done": total, "total": total, "result": result}


def read_grid_spec(spec: dict) -> dict:
    fields = Fields(spec, "")
    fields.choice("kind", {"grid"})
    out = {"kind": "grid", **read_surface(fields)}  # a custom function reads its domain here
    size = fields.array("size", 2, 2, [128, 128])
    size = [check_number(v, f"size[{i}]", 2, MAX_GRID_SIDE, integer=True) for i, v in enumerate(size)]
    if out["function"] != CUSTOM:
        out["domain"] = read_domain(fields, FUNCTIONS[out["function"]].domain)
    levels = fields.number("levels", 0, MAX_LEVELS, 20, integer=True)
    fields.done()
    out.update(size=size, levels=levels)
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
    custom = spec["function"] == CUSTOM
    rows = budget.chunk(w * _point_seconds(spec))
    for top in range(0, h, rows):
        if custom:
            z[top:top + rows] = surface(spec).f(xs[None, :], ys[top:top + rows, None])
        else:
            z[top:top + rows] = evaluate(spec["function"], xs[None, :], ys[top:top + rows, None],
                                         **spec["function_params"])
        yield {"done": min(top + rows, h), "total": total}
    info = surface_info(spec)
    undefined = None
    if custom:
        z, undefined = _drawable(z)
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
        "levels": levels.tolist(), "contours": lines,
        **({"undefined": undefined} if undefined else {})}}


def _drawable(z: np.ndarray) -> tuple[np.ndarray, list]:
    """A custom function's grid made drawable: every value finite and within ±PLOT_BOUND.

    Returns
    -------
    z : ndarray (H, W)
        Values that are not finite (``log`` of a negative, ``1/0``) become the largest
        finite value (a wall), the others are clipped to ±PLOT_BOUND so the log-spaced
        levels stay finite.
    undefined : list of int
        Flat indices ``i * W + j`` of the points where f is not finite (the page may mark them).
    """
    bad = ~np.isfinite(z)
    z = np.clip(np.where(bad, 0.0, z), -PLOT_BOUND, PLOT_BOUND)
    if bad.any():
        z = np.where(bad, z[~bad].max() if not bad.all() else 0.0, z)
    return z, np.flatnonzero(bad).tolist()
