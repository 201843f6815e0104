"""How a spec names an optimizer: ``{"name": "adam", "lr": 0.05, ...}``.

Shared by the landscape and network specs.  Every hyper-parameter is checked
against the range its optimizer declares, and the returned entry carries every
hyper-parameter with defaults filled in, so a result says exactly what ran.

An entry may carry a learning-rate ``schedule`` (see :mod:`descentlab.schedules`):
``make`` then returns an optimizer whose step t uses the scheduled lr (and, for
onecycle, momentum or beta1), t read from the state, so neither loop changes.

An entry may also clip its gradient before the update, as PyTorch does:
``"clip_grad_norm": c`` (``torch.nn.utils.clip_grad_norm_``: the total 2-norm over
all parameters scaled down to c) or ``"clip_grad_value": c``
(``torch.nn.utils.clip_grad_value_``: each coordinate clamped to [-c, c]).
``make``'s update clips what it is given; a loop that counts the clipped steps
clips with :func:`clipper` (or :func:`clip_pair`) and asks ``make`` for ``clip=False``.
"""

from __future__ import annotations

import types
from typing import Callable, NamedTuple

import numpy as np

from . import kernels as K
from . import learner, optimizers, schedules
from .errors import SpecError
from .optimizers import REGISTRY, Optimizer
from .optimizers.base import HessianOptimizer, ProbingOptimizer, with_defaults  # noqa: F401 - both are read from here too
from .fields import Fields

# Bound copies of a scheduled update, one per distinct set of scheduled values: a
# step schedule needs a handful, a cosine one a copy per step, so the cache is emptied
# when full (the landscape's x and y, stepped one after the other, share an entry).
BOUND_CACHE_SIZE = 1024
CYCLED = ("momentum", "beta1")  # what onecycle cycles, as torch: momentum if the optimizer has it, else beta1

MAX_OPTIMIZERS = 12  # runs per spec; each one is drawn and kept in memory
LABEL_MAX_LEN = 60
_COLOR_LEN = 7  # "#rrggbb"
CLIP_FIELDS = ("clip_grad_norm", "clip_grad_value")
CLIP_MAX = 1.0e6  # c in (0, CLIP_MAX]: beyond any gradient a finite run shows
MAX_FORK_DEPTH = 3  # a fork of a fork of a fork: each level replays its parent up to the fork
MAX_FORK_STEP = 50_000  # the longest run of any kind (network.MAX_STEPS); check_forks bounds it by the spec's steps
CLIP_NORM_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_: clip_coef = max_norm / (total_norm + 1e-6)


def read_optimizer(obj, path: str, custom: bool = True, schedule: bool = True, index: int | None = None) -> dict:
    """Validate one optimizer entry.

    ``schedule=False`` refuses a ``schedule`` field (a regime map varies fixed
    hyper-parameters).  ``index``: the entry's place in a list whose runs may
    ``fork`` from earlier ones (a landscape's); None refuses ``fork``.

    Returns
    -------
    dict
        ``{"name", "params": {every hyper-parameter}, "schedule"?, "label"?, "color"?}``
    """
    fields = Fields(obj, path)
    names = [*REGISTRY, *optimizers.EXTRA] if schedule else list(REGISTRY)  # a regime map: registered ones
    name = fields.choice("name", [*names, "custom"] if custom else names)
    fork = _read_fork(fields, index)
    if name == "custom":
        return _with_fork(_read_custom(fields), fork)
    if name == "sam":
        return _with_fork(_read_sam(fields, path), fork)
    if name in optimizers.EXTRA:  # Muon, Sophia: hyper-parameters from the module's update
        entry = {"name": name, "params": _read_extra_params(fields, optimizers.EXTRA[name])}
        if fields.has("schedule"):
            entry["schedule"] = _read_schedule(fields, name, entry["params"])
        _read_clip(fields, entry, True)
        _read_looks(fields, entry)
        fields.done()
        return _with_fork(entry, fork)
    info = REGISTRY[name]
    params = {}
    for key, default in info.defaults.items():
        lo, hi, kind = info.ranges[key]
        if kind == "bool":
            params[key] = fields.boolean(key, default)
        else:
            params[key] = fields.number(key, lo, hi, default, integer=(kind == "int"))
    try:  # combinations a range cannot express, e.g. nesterov without momentum
        optimizers.make(name, **params)
    except ValueError as e:
        culprit = next((k for k in ("nesterov", "ema") if params.get(k)), "name")
        raise SpecError(fields.field(culprit), str(e)) from None
    entry = {"name": name, "params": params}
    if not schedule and fields.has("schedule"):
        raise SpecError(fields.field("schedule"), "is not allowed here: this spec varies fixed hyper-parameters")
    if fields.has("schedule"):
        entry["schedule"] = _read_schedule(fields, name, params)
    _read_clip(fields, entry, schedule)
    _read_looks(fields, entry)
    fields.done()
    return _with_fork(entry, fork)


def _read_extra_params(fields: Fields, module) -> dict:
    """An EXTRA module's hyper-parameters, from its RANGES and the defaults of its ``probe`` or ``update``."""
    fn = getattr(module, "probe", None) or module.update
    defaults = dict(zip(fn.__code__.co_varnames[fn.__code__.co_argcount - len(fn.__defaults__):
                                                fn.__code__.co_argcount], fn.__defaults__))
    params = {}
    for key, default in defaults.items():
        lo, hi, kind = module.RANGES[key]
        if kind == "bool":
            params[key] = fields.boolean(key, default)
        elif kind == "choice":
            params[key] = fields.choice(key, lo, default)
        else:
            params[key] = fields.number(key, lo, hi, default, integer=(kind == "int"))
    return params


def _read_sam(fields: Fields, path: str) -> dict:
    """``{"name": "sam", "rho", "adaptive", "perturb_eps", "base": {a registered optimizer's entry}}``.

    The base carries the learning rate and any schedule; clipping (on the entry) clips
    the gradient the base steps with, the one at the probe point.
    """
    from .optimizers import sam

    params = _read_extra_params(fields, sam)
    if not fields.has("base"):
        raise SpecError(fields.field("base"), 'is required: the optimizer that steps, e.g. {"name": "sgd", "lr": 0.05}')
    if fields.has("schedule"):
        raise SpecError(fields.field("schedule"), "goes on the base optimizer: base.schedule")
    base = read_optimizer(fields.value("base"), fields.field("base"), custom=False)
    if base["name"] in optimizers.EXTRA:
        raise SpecError(f"{fields.field('base')}.name", f"must be a registered optimizer ({', '.join(REGISTRY)}),"
                        f" got {base['name']!r}")
    entry = {"name": "sam", "params": params, "base": base}
    _read_clip(fields, entry, True)
    _read_looks(fields, entry)
    fields.done()
    return entry


def _read_fork(fields: Fields, index: int | None) -> dict | None:
    """The optional ``fork``: ``{"run": i, "step": k}``, i an earlier entry (k is checked by
    :func:`check_forks` once the run length is known)."""
    if not fields.has("fork"):
        return None
    if index is None:
        raise SpecError(fields.field("fork"), "is not allowed here: only the runs of a landscape or network race can fork")
    if index == 0:
        raise SpecError(f"{fields.field('fork')}.run", "the first optimizer has no earlier run to fork from")
    f = fields.sub("fork")
    out = {"run": f.number("run", 0, index - 1, integer=True), "step": f.number("step", 1, MAX_FORK_STEP, integer=True)}
    f.done()
    return out


def _with_fork(entry: dict, fork: dict | None) -> dict:
    if fork is not None:
        entry["fork"] = fork
    return entry


def check_forks(entries: list[dict], steps: int, path: str = "optimizers") -> None:
    """Refuse a fork past the run's end or deeper than ``MAX_FORK_DEPTH`` (a fork of a fork of ...).

    Each level replays its parent's steps up to the fork, so depth multiplies the work.
    """
    for j, entry in enumerate(entries):
        fork = entry.get("fork")
        if fork is None:
            continue
        if fork["step"] > steps:
            raise SpecError(f"{path}[{j}].fork.step", f"must be an integer from 1 to {steps} (the run's steps),"
                            f" got {fork['step']}")
        depth, i = 1, fork["run"]
        while "fork" in entries[i]:
            depth, i = depth + 1, entries[i]["fork"]["run"]
        if depth > MAX_FORK_DEPTH:
            raise SpecError(f"{path}[{j}].fork.run", f"forks a fork {depth} levels deep; at most"
                            f" {MAX_FORK_DEPTH} (fork an earlier run instead)")


def keeps_state(parent: dict, entry: dict) -> bool:
    """Whether a fork continues with its parent's optimizer state: the same optimizer (the same
    code for a learner's, the same base optimizer for SAM's), whose state has the same fields;
    otherwise its state starts fresh."""
    if parent["name"] != entry["name"]:
        return False
    if entry["name"] == "custom":
        return parent["code"] == entry["code"]
    if "base" in entry:  # SAM's state is its base optimizer's
        return keeps_state(parent["base"], entry["base"])
    return True


def _read_schedule(fields: Fields, name: str, params: dict) -> dict:
    """The entry's ``schedule``, checked against its optimizer (the hyper-parameter onecycle cycles)."""
    ranges = REGISTRY[name].ranges if name in REGISTRY else optimizers.EXTRA[name].RANGES
    cycled = next((k for k in CYCLED if k in params), None)
    out = schedules.read_schedule(fields.value("schedule"), fields.field("schedule"), params["lr"], cycled,
                                  ranges[cycled] if cycled else None)
    if cycled is not None and momentum_cycled(out) and name in REGISTRY:
        for key in ("base_momentum", "max_momentum"):  # e.g. nesterov needs momentum > 0 throughout
            try:
                optimizers.make(name, **dict(params, **{cycled: out[key]}))
            except ValueError as e:
                raise SpecError(f"{fields.field('schedule')}.{key}", str(e)) from None
    return out


def momentum_cycled(schedule: dict | None) -> bool:
    return schedule is not None and schedule["name"] == "onecycle" and schedule["cycle_momentum"]


def check_run_length(entries: list[dict], steps: int, path: str = "optimizers") -> None:
    """Refuse a schedule that cannot last ``steps`` optimizer steps (onecycle's total_steps).

    For ``read_spec`` once the run length is known; ``path`` names the list of entries.
    """
    for i, entry in enumerate(entries):
        if entry.get("schedule") is not None:
            schedules.check_run_length(entry["schedule"], steps, f"{path}[{i}].schedule")


def hyper_at(entry: dict, t: int) -> dict:
    """Every hyper-parameter of a validated entry at optimizer step ``t`` (from 1), schedule applied
    (SAM's: its own and its base's)."""
    if "base" in entry:
        return dict(hyper_at(entry["base"], t), **entry["params"])
    schedule = entry.get("schedule")
    if schedule is None:
        return dict(entry["params"])
    return dict(entry["params"], **_scheduled(entry, schedule, t))


def _scheduled(entry: dict, schedule: dict, t: int, frozen: tuple | None = None) -> dict:
    """The hyper-parameters the schedule sets at step ``t``: lr, and the cycled momentum or beta1."""
    lr, momentum = schedules.at(frozen or schedules.freeze(schedule), entry["params"]["lr"], t)
    if momentum is None:
        return {"lr": lr}
    return {"lr": lr, next(k for k in CYCLED if k in entry["params"]): momentum}


def _read_clip(fields: Fields, entry: dict, allowed: bool) -> None:
    """The optional ``clip_grad_norm`` or ``clip_grad_value`` (one of them), c in (0, CLIP_MAX]."""
    given = [k for k in CLIP_FIELDS if fields.has(k)]
    if given and not allowed:
        raise SpecError(fields.field(given[0]), "is not allowed here: this spec varies fixed hyper-parameters")
    if len(given) == 2:
        raise SpecError(fields.field("clip_grad_value"), "cannot be given with clip_grad_norm: clip by one of them")
    for key in given:
        entry[key] = fields.number(key, 0.0, CLIP_MAX, lo_open=True)


def clipper(entry: dict):
    """The entry's gradient clipping as ``clip(g) -> (clipped g, whether it changed)``, or None.

    ``g`` is a float64 array holding every parameter (a network's flat weights, a
    landscape point's two coordinates); ``clip_grad_norm`` takes the 2-norm of all
    of it, as ``torch.nn.utils.clip_grad_norm_`` does over all parameters.
    """
    if "clip_grad_norm" in entry:
        return lambda g: _clip_norm(g, entry["clip_grad_norm"])
    if "clip_grad_value" in entry:
        return lambda g: _clip_value(g, entry["clip_grad_value"])
    return None


def _clip_norm(g, max_norm: float):
    """``torch.nn.utils.clip_grad_norm_(norm_type=2)``: g · min(1, c / (‖g‖₂ + 1e-6)).

    Parameters
    ----------
    g : ndarray of float64, any shape
    max_norm : float, c > 0

    Returns
    -------
    (ndarray of g's shape, bool)
    """
    g = np.asarray(g, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        total = K.sqrt(np.sum(g * g))
        coef = max_norm / (total + CLIP_NORM_EPS)
        if coef < 1.0:  # a nan norm (a nan gradient) is left as it is: the run diverges anyway
            return g * coef, True
    return g, False


def _clip_value(g, c: float):
    """``torch.nn.utils.clip_grad_value_``: each coordinate clamped to [-c, c] (nan stays nan)."""
    g = np.asarray(g, dtype=np.float64)
    out = np.clip(g, -c, c)
    return out, bool(np.any(np.abs(g) > c))


def clip_pair(entry: dict, gx: float, gy: float) -> tuple[float, float, bool]:
    """:func:`clipper`'s result for the array ``[gx, gy]``, on two Python floats (same bits).

    For the landscape race, which steps x and y as floats: the norm couples them.
    """
    if "clip_grad_norm" in entry:
        total = K.sqrt(gx * gx + gy * gy)  # np.sum of two squares adds them in this order
        coef = entry["clip_grad_norm"] / (total + CLIP_NORM_EPS)
        if coef < 1.0:
            return gx * coef, gy * coef, True
        return gx, gy, False
    c = entry["clip_grad_value"]
    cx, cy = _clamp(gx, c), _clamp(gy, c)
    return cx, cy, abs(gx) > c or abs(gy) > c


def _clamp(v: float, c: float) -> float:
    if v > c:
        return c
    if v < -c:
        return -c
    return v  # nan too


def _read_looks(fields: Fields, entry: dict) -> None:
    """The optional ``label`` and ``color`` of an entry."""
    if fields.has("label"):
        entry["label"] = fields.string("label", LABEL_MAX_LEN)
    if fields.has("color"):
        color = fields.string("color", _COLOR_LEN)
        if not (len(color) == _COLOR_LEN and color[0] == "#"
                and all(c in "0123456789abcdefABCDEF" for c in color[1:])):
            raise SpecError(fields.field("color"), f"must be a colour like #1f77b4, got {color!r}")
        entry["color"] = color


def _read_custom(fields: Fields) -> dict:
    """``{"name": "custom", "label", "code", "hyper": {...}}``: a learner's optimizer (see learner.py).

    Nothing of the code runs unless the caller opted in (``allow_code``); then it is
    compiled here, so a syntax error or a missing ``update`` is named before any work.
    """
    if not learner.ALLOWED.get():
        raise SpecError(fields.field("code"), "learner code runs only when allowed: descentlab.run(spec,"
                        " allow_code=True), python -m descentlab run --allow-code, or in the page after"
                        " you have read the code and agreed")
    if fields.has("schedule"):
        raise SpecError(fields.field("schedule"), "works with the registered optimizers only, not with your"
                        " own code (schedule the lr inside update, from state)")
    source = fields.string("code", learner.MAX_CODE_CHARS)
    try:
        compiled = learner.compile_optimizer(source)
    except learner.LearnerError as e:
        raise SpecError(fields.field("code"), str(e)) from None
    given = fields.sub("hyper", {})
    params = {}
    for key, default in compiled.defaults.items():
        if isinstance(default, bool):
            params[key] = given.boolean(key, default)
        else:
            value = given.number(key, -learner.HYPER_BOUND, learner.HYPER_BOUND, float(default))
            # an int default counts something (Muon's ns_steps feeds range()): a whole value stays an int
            params[key] = int(value) if isinstance(default, int) and value == int(value) else value
    given.done()
    entry = {"name": "custom", "label": "My optimizer", "code": source, "params": params}
    _read_clip(fields, entry, True)
    _read_looks(fields, entry)
    fields.done()
    return entry


def make(entry: dict, field: str, clip: bool = True):
    """The ``Optimizer`` a validated entry names: a registered one, or a learner's code.

    Its ``update`` clips the gradient first when the entry asks (``clip_grad_norm``,
    ``clip_grad_value``), over the whole ``grads`` it is given; ``clip=False`` leaves
    that to the caller (a loop that counts clipped steps, or steps x and y apart).

    With a ``schedule``, step t (``state.step + 1``: every built-in state counts its
    steps) runs ``update`` with the hyper-parameters :func:`hyper_at` gives for t.  t
    comes from the state, not from a count of calls, because the landscape steps x
    and y as two floats with a state each, two calls per step.
    """
    if entry["name"] == "sam":
        from .optimizers import sam

        base = make(entry["base"], f"{field}.base", clip=False)
        probe = with_defaults(sam.probe, entry["params"])
        opt = ProbingOptimizer(base.init, base.update, probe)
    elif entry["name"] == "sophia":
        from .optimizers import sophia

        inner = _extra_update(entry, sophia, field)
        params = entry["params"]

        def update(grads, state, params_, hessian=None):  # the Hessian is passed on, never clipped
            return inner(grads, state, params_, hessian)

        opt = HessianOptimizer(sophia.init, update, with_defaults(sophia.wants_hessian, params),
                               with_defaults(sophia.hutchinson, params))
    elif entry["name"] in optimizers.EXTRA:
        opt = Optimizer(optimizers.EXTRA[entry["name"]].init,
                        _extra_update(entry, optimizers.EXTRA[entry["name"]], field))
    else:
        opt = _unclipped(entry, field)
    clip_grads = clipper(entry) if clip else None
    if clip_grads is None:
        return opt
    inner_update = opt.update
    if isinstance(opt, HessianOptimizer):
        def update(grads, state, params, hessian=None):
            return inner_update(clip_grads(grads)[0], state, params, hessian)
    else:
        def update(grads, state, params):
            return inner_update(clip_grads(grads)[0], state, params)

    return opt._replace(update=update)


def _extra_update(entry: dict, module, field: str):
    """An EXTRA module's update with the entry's hyper-parameters bound, scheduled when it has a schedule
    (Sophia's takes the Hessian as a fourth argument, passed through)."""
    schedule = entry.get("schedule")
    if schedule is None:
        return with_defaults(module.update, entry["params"])
    return _scheduled_update(entry, schedule, field, module)


def _unclipped(entry: dict, field: str):
    if entry["name"] == "custom":
        return learner.optimizer(entry, f"{field}.code")
    opt = optimizers.make(entry["name"], **entry["params"])
    schedule = entry.get("schedule")
    if schedule is None:
        return opt
    return Optimizer(opt.init, _scheduled_update(entry, schedule, field))


def _scheduled_update(entry: dict, schedule: dict, field: str, module=None):
    """``update(grads, state, params, *more)`` with step t's scheduled hyper-parameters bound
    (``more``: Sophia's Hessian).  ``module``: an EXTRA optimizer's (else the registered one's)."""
    module = REGISTRY[entry["name"]].module if module is None else module
    template = with_defaults(module.update, entry["params"])  # the fixed ones
    names = template.__code__.co_varnames[:template.__code__.co_argcount][-len(template.__defaults__):]
    slots = [names.index(k) for k in _scheduled(entry, schedule, 1)]  # where lr (and momentum) sit
    last_t = schedule["total_steps"] if schedule["name"] == "onecycle" else None
    frozen = schedules.freeze(schedule)
    by_step: dict = {}    # t -> bound copy
    by_values: dict = {}  # scheduled values -> bound copy (a constant stretch shares one)

    def bound(t: int):
        if last_t is not None and t > last_t:  # read_spec should have refused it (check_run_length)
            schedules.check_run_length(schedule, t, f"{field}.schedule")
        key = tuple(_scheduled(entry, schedule, t, frozen).values())
        fn = by_values.get(key)
        if fn is None:
            if len(by_values) >= BOUND_CACHE_SIZE:
                by_values.clear()
            defaults = list(template.__defaults__)
            for slot, value in zip(slots, key):
                defaults[slot] = value
            # with_defaults' copy, its defaults swapped: same code, same bits, no signature to read per step
            fn = by_values[key] = types.FunctionType(template.__code__, template.__globals__, template.__name__,
                                                     tuple(defaults), template.__closure__)
        if len(by_step) >= BOUND_CACHE_SIZE:
            by_step.clear()
        by_step[t] = fn
        return fn

    def update(grads, state, params, *more):
        t = state.step + 1
        fn = by_step.get(t)
        if fn is None:
            fn = bound(t)
        return fn(grads, state, params, *more)

    return update


def read_optimizers(fields: Fields, fork: bool = False) -> list[dict]:
    """The ``optimizers`` list; ``fork``: whether an entry may fork an earlier one (see :func:`check_forks`)."""
    items = fields.array("optimizers", 1, MAX_OPTIMIZERS)
    return [read_optimizer(item, f"{fields.field('optimizers')}[{i}]", index=i if fork else None)
            for i, item in enumerate(items)]
