"""A fair comparison: each optimizer of a scene at its own best learning rate (``"tune"`` spec).

::

    {"kind": "tune", "scene": <a landscape or network spec>,
     "lr": {"min": 1e-4, "max": 1.0, "points": 9}, "repeats": 3}

Racing optimizers at one shared learning rate mostly measures which one that lr
suits.  A tune runs every optimizer of the scene at each lr of a log grid,
``min · (max / min)^(i / (points − 1))``, keeps its best one, and then reruns it
``repeats`` times with the scene varied, to show how much of the ranking is luck:

- **Best lr.** On a landscape, the lowest final loss; in a network, the lowest
  validation loss over the epochs (the epoch early stopping would keep).  A run that
  diverged ranks after every run that did not (among them, the one that lasted
  longer first); ties go to the smaller lr.
- **Schedules.** The grid value replaces the entry's ``lr``, the schedule's base lr,
  so the whole schedule is scaled: cosine's and warm-up + cosine's ``eta_min`` is
  multiplied by the same factor, every other schedule parameter is a factor or a
  step count already.  For ``onecycle`` the grid value is its peak ``max_lr``.
- **Learner code.** An entry with code runs only with ``allow_code``, as in every
  kind; it is tuned through its ``lr`` hyper-parameter, which it must declare.
- **Repeats.** Repeat 0 is the scene as given (its run at the best lr is the grid's).
  On a landscape, repeat r ≥ 1 starts at the scene's start moved by
  ``(2u − 1) · JITTER`` of the domain's width along each axis, ``u`` uniform in [0, 1)
  from ``default_rng([JITTER_SEED, r])``, clamped into the domain (grown to hold the
  scene's start); a start where f or its gradient is not finite is drawn again, at
  most ``JITTER_DRAWS`` times, then the scene's start is used.  With ``noise``,
  repeat r also uses noise seed ``seed + r``.  In a network, repeat r uses seed
  ``seed + r`` (initial weights, validation split and batch order).  A repeat that
  diverges leaves the band at its divergence step (``running`` counts the rest).

Each run is an ordinary run of the scene's kind (a landscape race, a network
trained alone), so a tuned run equals the scene's run of that entry at that lr.
"""

from __future__ import annotations

import numpy as np

from . import budget, landscape, network, optimizers
from . import kernels as K
from .datasets.sources import load
from .errors import SpecError
from .fields import Fields
from .optimizers import REGISTRY
from .optimizers.base import LR
from .schedules import LR_MAX

SCENES = {"landscape": (landscape.read_spec, landscape.iterate),
          "network": (network.read_spec, network.iterate)}
LR_LO, LR_HI = LR[0], LR[1]  # the lr range every optimizer declares
DEFAULT_LR = {"min": 1e-4, "max": 1.0, "points": 9}
MIN_POINTS, MAX_POINTS = 2, 25
DEFAULT_REPEATS, MAX_REPEATS = 3, 9
JITTER = 0.05  # a repeat's start moves up to this share of the domain's width along each axis
JITTER_SEED = 16  # first word of each repeat's jitter generator (the issue that asked for it)
JITTER_DRAWS = 8  # tries at a start where a custom f is finite, before the scene's own start is used
GRID_BOUNDARY = 8  # a network's grid and repeat runs draw the smallest boundary grid: nobody looks at it
SCHEDULE_LRS = ("eta_min",)  # schedule parameters that are learning rates, scaled with the base lr
NOTES = {
    "landscape": "This ranking holds for this function, these starts and these settings only;"
                 " other problems can rank optimizers differently.",
    "network": "This ranking holds for this dataset, this network, these seeds and these settings only;"
               " other problems can rank optimizers differently.",
}
CRITERIA = {"landscape": "lowest final loss", "network": "lowest validation loss over the epochs"}
SPREAD_FLOATS = 8  # per step and optimizer: the repeats' curves are gone once median, min and max are kept


# ---------------------------------------------------------------- reading a spec

def read_spec(spec: dict) -> dict:
    fields = Fields(spec, "")
    fields.choice("kind", {"tune"})
    scene = _read_scene(fields)
    lr = _read_lr(fields)
    repeats = fields.number("repeats", 1, MAX_REPEATS, DEFAULT_REPEATS, integer=True)
    fields.done()
    _check_entries(scene, lr)
    out = {"kind": "tune", "scene": scene, "lr": lr, "repeats": repeats}
    budget.check(cost(out))
    return out


def _read_scene(fields: Fields) -> dict:
    """The scene, checked by its own kind; its errors name ``scene.<field>``."""
    raw = fields.value("scene")
    kind = Fields(raw, "scene").choice("kind", SCENES)
    if "only" in raw:
        raise SpecError("scene.only", "is not allowed in a tune: it compares every optimizer of the scene")
    try:
        return SCENES[kind][0](raw)
    except SpecError as e:
        raise SpecError(f"scene.{e.field}", e.message) from None


def _read_lr(fields: Fields) -> dict:
    """``lr``: ``{"min", "max", "points"}``, LR_LO <= min < max <= LR_HI, points in [2, 25]."""
    f = fields.sub("lr", {})
    lo = f.number("min", LR_LO, LR_HI, DEFAULT_LR["min"])
    hi = f.number("max", LR_LO, LR_HI, DEFAULT_LR["max"])
    if not lo < hi:
        raise SpecError("lr.max", f"must be greater than lr.min ({lo:g}), got {hi:g}")
    points = f.number("points", MIN_POINTS, MAX_POINTS, DEFAULT_LR["points"], integer=True)
    f.done()
    return {"min": lo, "max": hi, "points": points}


def _check_entries(scene: dict, lr: dict) -> None:
    """Every entry can take every lr of the grid: a range of its own, an lr hyper of its code, a scaled eta_min."""
    for i, entry in enumerate(scene["optimizers"]):
        where = f"scene.optimizers[{i}]"
        if "fork" in entry:  # each optimizer is tuned alone, from the start: a fork's parent is not there
            raise SpecError(f"{where}.fork", "cannot be tuned: a tune runs each optimizer alone from the"
                            " start; remove this fork (or this optimizer) from the scene")
        if entry["name"] == "custom":
            if "lr" not in entry["params"] or isinstance(entry["params"]["lr"], bool):
                raise SpecError(f"{where}.hyper", "has no number lr to tune: declare lr=... in update's"
                                " hyper-parameters, or leave this optimizer out of the tune")
            continue
        if "base" in entry:  # SAM: its base optimizer holds the lr (and any schedule)
            entry, where = entry["base"], f"{where}.base"
        lo, hi, _ = _lr_range(entry["name"])
        if lr["min"] < lo:
            raise SpecError("lr.min", f"must be at least {lo:g}, the smallest lr {entry['name']} takes")
        if lr["max"] > hi:
            raise SpecError("lr.max", f"must be at most {hi:g}, the largest lr {entry['name']} takes")
        schedule = entry.get("schedule")
        if schedule is None or schedule["name"] == "onecycle":  # onecycle's max_lr is the grid value itself
            continue
        for key in SCHEDULE_LRS:
            if key in schedule and schedule[key] * (lr["max"] / entry["params"]["lr"]) > LR_MAX:
                raise SpecError("lr.max", f"scales {where}.schedule.{key} ({schedule[key]:g}) past {LR_MAX:g};"
                                f" lower lr.max or {key}")


def lr_values(lr: dict) -> np.ndarray:
    """The grid: ndarray (points,), ``min · (max / min)^(i / (points − 1))``, both ends exact.

    The power is ``exp(t · log(max / min))`` through the deterministic kernels.
    """
    n = lr["points"]
    t = np.arange(n, dtype=np.float64) / (n - 1)
    values = lr["min"] * K.exp(t * float(K.log(lr["max"] / lr["min"])))
    values[0], values[-1] = lr["min"], lr["max"]
    return values


def _lr_range(name: str) -> tuple:
    """``(lo, hi, kind)`` of a built-in optimizer's lr: the registry's, or an extra one's module (Muon)."""
    if name in REGISTRY:
        return REGISTRY[name].ranges["lr"]
    return optimizers.EXTRA[name].RANGES["lr"]


def tuned_entry(entry: dict, lr: float) -> dict:
    """A validated optimizer entry with its lr set to ``lr``, its schedule scaled along (see the module).

    SAM's lr is its base optimizer's: the base is tuned, the probe radius ρ stays.
    """
    if "base" in entry:
        return dict(entry, base=tuned_entry(entry["base"], lr))
    out = dict(entry, params=dict(entry["params"], lr=float(lr)))
    schedule = entry.get("schedule")
    if schedule is not None:
        schedule = dict(schedule)
        if schedule["name"] == "onecycle":
            schedule["max_lr"] = float(lr)
        else:
            scale = float(lr) / entry["params"]["lr"]
            for key in SCHEDULE_LRS:
                if key in schedule:
                    schedule[key] = schedule[key] * scale
        out["schedule"] = schedule
    return out


# ---------------------------------------------------------------- cost

def cost(spec: dict) -> budget.Cost:
    """Every grid run and repeat, plus the scene rerun at the best lrs (see :mod:`descentlab.budget`)."""
    scene = spec["scene"]
    points, repeats = spec["lr"]["points"], spec["repeats"]
    k = len(scene["optimizers"])
    runs = k * (points + repeats - 1)  # repeat 0 is the grid's run at the best lr
    if scene["kind"] == "landscape":
        one = landscape.cost(dict(scene, optimizers=scene["optimizers"][:1], record_state=False, only=None))
        whole = landscape.cost(scene)
        length, length_field = scene["steps"] + 1, ("scene.steps", scene["steps"])
        kept = points * length * budget.FLOAT_BYTES  # one optimizer's grid losses at a time
    else:
        shape, layout = _network_shape(scene)
        one = network.cost(_network_variant(scene, scene["optimizers"][0], scene["seed"], shape[0]), shape, layout)
        whole = network.cost(scene, shape, layout)
        length = network.run_steps(scene, shape[0])
        length_field = ("scene.epochs", scene["epochs"])
        kept = points * (length + scene["epochs"]) * budget.LIST_FLOAT_BYTES
    spread = k * length * SPREAD_FLOATS * (budget.LIST_FLOAT_BYTES + budget.JSON_FLOAT_BYTES)
    return budget.Cost(
        seconds=runs * one.seconds + whole.seconds,
        memory=whole.memory + spread + kept + repeats * length * budget.LIST_FLOAT_BYTES,
        drivers=(("lr.points", points), ("repeats", repeats), ("scene.optimizers", f"{k} runs"), length_field),
        hint="Use fewer lr.points or repeats, or a smaller scene (fewer steps or epochs, fewer optimizers).")


def _network_shape(scene: dict) -> tuple:
    """The dataset's ``(n, d)`` and the network's layout."""
    X, y = load(scene["dataset"])
    return X.shape, network._layout(scene, X.shape[1], int(y.max()) + 1)


def _network_variant(scene: dict, entry: dict, seed: int, n_points: int) -> dict:
    """The checked network spec of one grid or repeat run: ``entry`` alone, seed ``seed``,
    two snapshots and the smallest boundary grid (neither changes the training)."""
    steps = network.run_steps(scene, n_points)
    return dict(scene, optimizers=[entry], seed=seed, snapshot_every=steps, boundary_size=GRID_BOUNDARY)


# ---------------------------------------------------------------- running

def iterate(spec: dict):
    """Every grid run, then every repeat, optimizer by optimizer, then the scene at the best lrs.

    Yields ``{"done", "total"}`` with ``done`` counting runs (the final scene counts one
    per optimizer), heartbeats within runs, and last the result.
    """
    scene = spec["scene"]
    kind = scene["kind"]
    entries = scene["optimizers"]
    lrs = lr_values(spec["lr"])
    k, repeats = len(entries), spec["repeats"]
    total = k * (len(lrs) + repeats - 1) + k
    progress = {"done": 0, "total": total}
    one_run = _landscape_run if kind == "landscape" else _network_run
    context = _context(scene)
    tuned = []
    for i, entry in enumerate(entries):
        field = f"scene.optimizers[{i}]"
        grid = []
        for lr in lrs:
            grid.append((yield from one_run(scene, tuned_entry(entry, lr), 0, field, context, progress)))
            progress["done"] += 1
            yield dict(progress)
        best = min(range(len(grid)), key=lambda j: _rank(grid[j], j))
        best_entry = tuned_entry(entry, lrs[best])
        variations = [grid[best]]
        for r in range(1, repeats):
            variations.append((yield from one_run(scene, best_entry, r, field, context, progress)))
            progress["done"] += 1
            yield dict(progress)
        tuned.append({"entry": best_entry, "grid": _grid(lrs, grid), "best_index": best,
                      "best_lr": float(lrs[best]), "best_diverged": grid[best]["diverged_at"] is not None,
                      "spread": _spread_of(kind, variations, context)})
    result = yield from _scene_result(scene, [t.pop("entry") for t in tuned], progress)
    runs = result.pop("runs")
    for t, run in zip(tuned, runs):
        t["best_run"] = run
    yield dict(progress, result={
        "kind": "tune", "scene": result, "lr": dict(spec["lr"], values=lrs.tolist()),
        "repeats": repeats, "criterion": CRITERIA[kind], "tuned": tuned, "notes": NOTES[kind]})


def _context(scene: dict) -> dict:
    """What every run of a scene shares: a landscape's function, domain and f_min; a network's size."""
    if scene["kind"] == "landscape":
        return {"surface": landscape.surface(scene), "f_min": landscape.surface_info(scene)["f_min"]}
    X, _ = load(scene["dataset"])
    return {"n_points": len(X)}


def _rank(run: dict, index: int) -> tuple:
    """Sort key of a grid run: not diverged by score, then diverged, the longest-lasting first."""
    if run["diverged_at"] is None and run["score"] is not None:
        return (0, run["score"], index)
    return (1, -(run["diverged_at"] or 0), index)


def _grid(lrs: np.ndarray, grid: list) -> dict:
    """The grid as the page lists it; ``loss`` is null exactly where ``diverged``."""
    diverged = [run["diverged_at"] is not None for run in grid]
    return {"lr": lrs.tolist(), "loss": [None if d else run["score"] for d, run in zip(diverged, grid)],
            "diverged": diverged, "diverged_at": [run["diverged_at"] for run in grid]}


def _scene_steps(steps, progress: dict, share: tuple | None = None):
    """Re-yield a run's progress as heartbeats of ``progress``, return its value.

    ``share = (runs, )``: the scene's own items ``{"done", "total"}`` advance ``done``
    by that share of ``runs``.  A learner code's error names ``scene.`` fields.
    """
    base = progress["done"]
    while True:
        try:
            item = next(steps)
        except StopIteration as stop:
            return stop.value
        except SpecError as e:
            field = e.field if e.field.startswith("scene") else f"scene.{e.field}"
            raise SpecError(field, e.message) from None
        if share is not None and isinstance(item, dict) and item.get("total"):
            progress["done"] = base + share[0] * item["done"] // item["total"]
        yield dict(progress)


def _landscape_run(scene: dict, entry: dict, repeat: int, field: str, context: dict, progress: dict):
    """One race of ``entry`` on repeat ``repeat``'s variant of the scene; returns its loss curve and score."""
    variant = dict(scene, record_state=False, only=None, start=_start(scene, repeat, context))
    if repeat and "noise" in scene:
        variant["noise"] = dict(scene["noise"], seed=(scene["noise"]["seed"] + repeat) % (landscape.MAX_NOISE_SEED + 1))
    run = yield from _scene_steps(landscape.race_steps(variant, entry, field), progress)
    return {"curve": run["loss"], "diverged_at": run["diverged_at"], "score": run["final_loss"],
            "start": variant["start"], "noise_seed": variant.get("noise", {}).get("seed")}


def _start(scene: dict, repeat: int, context: dict) -> list:
    """Repeat ``repeat``'s start: the scene's for 0, else jittered (see the module)."""
    start = [float(v) for v in scene["start"]]
    if repeat == 0:
        return start
    fn, fparams = context["surface"], scene["function_params"]
    rng = np.random.default_rng([JITTER_SEED, repeat])
    for _ in range(JITTER_DRAWS):
        u = rng.random(2)
        point = []
        for axis in range(2):
            lo, hi = (float(v) for v in fn.domain[axis])
            lo, hi = min(lo, start[axis]), max(hi, start[axis])
            value = start[axis] + (2.0 * float(u[axis]) - 1.0) * JITTER * (hi - lo)
            point.append(min(max(value, lo), hi))
        if _finite_at(fn, fparams, point):
            return point
    return start


def _finite_at(fn, fparams: dict, point: list) -> bool:
    x, y = point
    if fn.value_and_grad is not None:
        value, (gx, gy) = fn.value_and_grad(x, y, **fparams)
    else:
        value, (gx, gy) = fn.f(x, y, **fparams), fn.grad(x, y, **fparams)
    return all(abs(float(v)) < float("inf") for v in (value, gx, gy))


def _network_run(scene: dict, entry: dict, repeat: int, field: str, context: dict, progress: dict):
    """``entry`` trained alone on seed ``seed + repeat``; returns its per-step loss, validation losses and score."""
    seed = (scene["seed"] + repeat) % (network.MAX_SEED + 1)
    steps = network.iterate(_network_variant(scene, entry, seed, context["n_points"]))
    result = yield from _scene_steps(_result_of(steps), progress)
    run = result["runs"][0]
    val = [v for v in run["epochs"]["val_loss"] if v is not None]
    return {"curve": run["train_loss"], "val": val, "diverged_at": run["diverged_at"],
            "score": min(val) if val else None, "seed": seed}


def _result_of(items):
    """A kind's ``iterate`` as a generator that returns its result."""
    for item in items:
        if "result" in item:
            return item["result"]
        yield item
    raise RuntimeError("the scene produced no result")  # pragma: no cover


def _scene_result(scene: dict, entries: list, progress: dict):
    """The scene run through its own kind, every optimizer at its best lr: its whole result."""
    spec = dict(scene, optimizers=entries)
    return (yield from _scene_steps(_result_of(SCENES[scene["kind"]][1](spec)), progress, (len(entries),)))


# ---------------------------------------------------------------- spread

def _spread_of(kind: str, variations: list, context: dict) -> dict:
    """Median, min and max per step over the repeats, and what each repeat varied."""
    out = {"repeats": len(variations), "diverged_at": [v["diverged_at"] for v in variations],
           **spread([v["curve"] for v in variations])}
    if kind == "landscape":
        out["starts"] = [v["start"] for v in variations]
        if variations[0]["noise_seed"] is not None:
            out["noise_seeds"] = [v["noise_seed"] for v in variations]
        if context["f_min"] is not None:  # the page plots f − f_min on a log axis
            out["above_min"] = spread([np.asarray(v["curve"]) - context["f_min"] for v in variations])
    else:
        out["seeds"] = [v["seed"] for v in variations]
        out["val_loss"] = spread([v["val"] for v in variations])
    return out


def spread(curves: list) -> dict:
    """Per-step statistics of curves that may end early (a run that diverged).

    Parameters
    ----------
    curves : list of R array_like of float, lengths L_r
        Every value finite.

    Returns
    -------
    dict
        ``median``, ``min``, ``max``: lists of length max L_r, over the curves still
        running at that step; ``running``: how many are.  The median of an even count is
        the mean of the two middle values, ``a / 2 + b / 2`` (no overflow); sorting is
        ``np.sort``, bit-identical everywhere, and -0.0 is read as 0.0 first, since sort
        may order the two zeros either way.
    """
    length = max(len(c) for c in curves)
    if length == 0:
        return {"median": [], "min": [], "max": [], "running": []}
    table = np.full((len(curves), length), np.inf)
    for r, c in enumerate(curves):
        table[r, :len(c)] = np.asarray(c, dtype=np.float64) + 0.0
    running = np.sum(table < np.inf, axis=0)  # at least one: the longest curve
    ordered = np.sort(table, axis=0)
    cols = np.arange(length)
    low = ordered[(running - 1) // 2, cols]
    high = ordered[running // 2, cols]
    median = np.where(running % 2 == 1, low, 0.5 * low + 0.5 * high)
    return {"median": median.tolist(), "min": ordered[0].tolist(), "max": ordered[running - 1, cols].tolist(),
            "running": running.tolist()}
