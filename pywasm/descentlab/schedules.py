"""Learning-rate schedules: the η_t an optimizer uses at its t-th step.

A schedule is a field of an optimizer entry::

    {"name": "sgd", "lr": 0.1, "schedule": {"name": "cosine", "T_max": 200, "eta_min": 0.0}}

Names, parameters and defaults follow ``torch.optim.lr_scheduler``, so the numbers
are PyTorch's: the lr used at step t = 1, 2, ... equals what a torch optimizer uses at
its t-th ``optimizer.step()`` when ``scheduler.step()`` is called after each
``optimizer.step()``.  That lr is the scheduler's value after ``e = t − 1`` calls of
``scheduler.step()``, so every formula below is written in ``e``.  The optimizer's own
``lr`` is the base lr η (``base_lrs`` in torch); ``onecycle`` sets its own from
``max_lr``.  Two schedules are compositions torch builds with ``SequentialLR``
(``warmup_cosine``, ``wsd``); their names and parameters are documented below.

Every value comes from a closed form in ``+ − * /``, ``K.cos``, ``K.sqrt`` and
``K.powi`` (see ``docs/determinism.md``), so it has the same bits natively and in
the browser; torch computes some of them recursively (η_t from η_{t−1}), which
differs from the closed form by a few ulp (``tests/test_schedules.py`` measures it).
"""

from __future__ import annotations

from bisect import bisect_right
from functools import lru_cache
from typing import Callable, NamedTuple

from . import kernels as K
from .errors import SpecError
from .optimizers.base import SCHEDULE_CACHE_SIZE
from .fields import REQUIRED, Fields, check_number

MAX_SCHEDULE_STEPS = 1_000_000  # step counts in a schedule; a run is far shorter (network: 50 000)
MAX_MILESTONES = 100  # multistep: milestones in the list
MAX_VALUES = 100_000  # values(): points of an lr(t) preview
LR_MAX = 10.0  # the largest lr an optimizer accepts (optimizers.base.LR)
MAX_DIV_FACTOR = 1.0e8  # onecycle: max_lr / div_factor / final_div_factor stays a normal float
FROM_LR = object()  # default of onecycle's max_lr: the optimizer entry's lr


class Param(NamedTuple):
    """One schedule parameter: its kind, default and allowed range.

    ``kind`` is ``"int"``, ``"float"``, ``"bool"``, ``"choice"`` (one of ``options``),
    ``"milestones"`` (increasing integers) or ``"momentum"`` (a value in the range
    the optimizer declares for the hyper-parameter it cycles, ``momentum`` or ``beta1``).
    """

    kind: str
    default: object = REQUIRED
    lo: float = 0.0
    hi: float = 0.0
    lo_open: bool = False
    hi_open: bool = False
    options: tuple = ()


STEPS = Param("int", REQUIRED, 1, MAX_SCHEDULE_STEPS)
GAMMA = Param("float", 0.1, 0.0, 1.0, lo_open=True)  # a decay: 0 < γ ≤ 1 (γ > 1 would grow without end)
ETA_MIN = Param("float", 0.0, 0.0, LR_MAX)
START_FACTOR = Param("float", 1.0 / 3.0, 0.0, 1.0, lo_open=True)  # torch refuses 0: lr 0 at the first step
END_FACTOR = Param("float", 1.0, 0.0, 1.0)


# ---------------------------------------------------------------- the formulas, in e = t − 1

def _step(s: dict, base_lr: float, e: int) -> float:
    """StepLR: η γ^⌊e / step_size⌋."""
    return base_lr * K.powi(s["gamma"], e // s["step_size"])


def _multistep(s: dict, base_lr: float, e: int) -> float:
    """MultiStepLR: η γ^(number of milestones ≤ e)."""
    return base_lr * K.powi(s["gamma"], bisect_right(s["milestones"], e))


def _exponential(s: dict, base_lr: float, e: int) -> float:
    """ExponentialLR: η γ^e."""
    return base_lr * K.powi(s["gamma"], e)


def _cosine_factor(e: int, period: int) -> float:
    """(1 + cos(π e / T)) / 2, the cosine annealing curve of SGDR (Loshchilov & Hutter 2017, eq. 5).

    cos(π e / T) has period 2T in e; reducing e modulo 2T first is exact integer
    arithmetic and keeps K.cos's argument in [0, 2π) however long the run.
    """
    return (1.0 + K.cos(K.PI * (e % (2 * period)) / period)) / 2.0


def _cosine(s: dict, base_lr: float, e: int) -> float:
    """CosineAnnealingLR: η_min + (η − η_min)(1 + cos(π e / T_max)) / 2.

    Past T_max the curve climbs again (torch's cosine is periodic, without restarts).
    """
    eta_min = s["eta_min"]
    return eta_min + (base_lr - eta_min) * _cosine_factor(e, s["T_max"])


def _warmup(start_factor: float, end_factor: float, total_iters: int, base_lr: float, e: int) -> float:
    """LinearLR: η (f₀ + (f₁ − f₀) min(e, T) / T), f₀ = start_factor, f₁ = end_factor, T = total_iters."""
    return base_lr * (start_factor + (end_factor - start_factor) * min(total_iters, e) / total_iters)


def _linear(s: dict, base_lr: float, e: int) -> float:
    return _warmup(s["start_factor"], s["end_factor"], s["total_iters"], base_lr, e)


def _warmup_cosine(s: dict, base_lr: float, e: int) -> float:
    """Linear warm-up over ``warmup_steps``, then cosine from η down to η_min at ``total_steps``.

    torch: ``SequentialLR([LinearLR(start_factor, 1.0, warmup_steps),
    CosineAnnealingLR(T_max=total_steps − warmup_steps, eta_min)], milestones=[warmup_steps])``.
    Past ``total_steps`` the lr stays at η_min (torch's cosine would climb again).
    """
    warm, total, eta_min = s["warmup_steps"], s["total_steps"], s["eta_min"]
    if e < warm:
        return _warmup(s["start_factor"], 1.0, warm, base_lr, e)
    if e >= total:
        return eta_min
    return eta_min + (base_lr - eta_min) * _cosine_factor(e - warm, total - warm)


def _wsd(s: dict, base_lr: float, e: int) -> float:
    """Warm-up, stable, decay: linear warm-up to η, η held, then a decay to η · end_factor.

    The decay takes the last ``decay_steps`` of ``total_steps``; its shape is
    ``linear`` (torch ``LinearLR(1.0, end_factor, decay_steps)``) or ``1-sqrt``,
    η (f₁ + (1 − f₁)(1 − √p)) with p the fraction of the decay done (Hägele et al.
    2024, who found it better than linear).  Past ``total_steps`` the lr stays at η f₁.
    """
    warm, decay, total, end = s["warmup_steps"], s["decay_steps"], s["total_steps"], s["end_factor"]
    decay_start = total - decay
    if e < warm:
        return _warmup(s["start_factor"], 1.0, warm, base_lr, e)
    if e < decay_start:
        return base_lr
    if s["decay_shape"] == "linear":
        return _warmup(1.0, end, decay, base_lr, e - decay_start)
    done = min(e - decay_start, decay) / decay
    return base_lr * (end + (1.0 - end) * (1.0 - K.sqrt(done)))


def _onecycle_phases(s: dict) -> list[tuple]:
    """OneCycleLR's phases: ``(end_step, lr from, lr to, momentum from, momentum to)``.

    The phase ends are computed as torch computes them (``float(pct_start *
    total_steps) − 1``), so a step falls in the same phase on both sides.
    """
    max_lr = s["max_lr"]
    initial = max_lr / s["div_factor"]
    final = initial / s["final_div_factor"]
    m_lo, m_hi = s["base_momentum"], s["max_momentum"]
    total, pct = s["total_steps"], s["pct_start"]
    up = float(pct * total) - 1
    if s["three_phase"]:  # the paper's three phases (Smith & Topin 2019)
        return [(up, initial, max_lr, m_hi, m_lo), (float(2 * pct * total) - 2, max_lr, initial, m_lo, m_hi),
                (total - 1, initial, final, m_hi, m_hi)]
    return [(up, initial, max_lr, m_hi, m_lo), (total - 1, max_lr, final, m_lo, m_hi)]  # fastai's two


def _anneal(strategy: str, start: float, end: float, pct: float) -> float:
    """From ``start`` (pct 0) to ``end`` (pct 1): half a cosine, or a straight line."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (K.cos(K.PI * pct) + 1.0)
    return (end - start) * pct + start


def _onecycle_at(s: dict, e: int) -> tuple[float, float]:
    """OneCycleLR's ``(lr, momentum)`` after ``e`` scheduler steps."""
    phases = _onecycle_phases(s)
    start = 0.0
    for i, (end, lr0, lr1, m0, m1) in enumerate(phases):
        if e <= end or i == len(phases) - 1:
            pct = (e - start) / (end - start)
            return _anneal(s["anneal_strategy"], lr0, lr1, pct), _anneal(s["anneal_strategy"], m0, m1, pct)
        start = end
    raise AssertionError("unreachable")  # pragma: no cover: the last phase always answers


def _onecycle(s: dict, base_lr: float, e: int) -> float:
    """OneCycleLR: up from max_lr / div_factor to max_lr, then down to that / final_div_factor."""
    return _onecycle_at(s, e)[0]


# ---------------------------------------------------------------- the table

class Schedule(NamedTuple):
    """What Descent Lab knows about one schedule.

    Attributes
    ----------
    title : str
        Display name.
    torch : str
        The ``torch.optim.lr_scheduler`` construction it equals.
    params : dict
        ``name -> Param``, in the order of torch's signature.
    lr : callable
        ``lr(schedule, base_lr, e) -> float``: the lr after ``e`` scheduler steps.
    summary : str
        When to use it.
    paper : str
        Where it comes from.
    """

    title: str
    torch: str
    params: dict
    lr: Callable
    summary: str
    paper: str


SGDR = ("Loshchilov, I. & Hutter, F. (2017). SGDR: stochastic gradient descent with warm restarts. "
        "ICLR. arXiv:1608.03983")
GOYAL = ("Goyal, P. et al. (2017). Accurate, large minibatch SGD: training ImageNet in 1 hour. "
         "arXiv:1706.02677")

SCHEDULES: dict[str, Schedule] = {
    "step": Schedule(
        "Step decay", "StepLR(step_size, gamma)",
        {"step_size": STEPS, "gamma": GAMMA}, _step,
        "Multiply the lr by gamma every step_size steps: the classic staircase of ImageNet training.",
        "He, K. et al. (2016). Deep residual learning for image recognition. CVPR."),
    "multistep": Schedule(
        "Multi-step decay", "MultiStepLR(milestones, gamma)",
        {"milestones": Param("milestones", REQUIRED, 1, MAX_SCHEDULE_STEPS), "gamma": GAMMA}, _multistep,
        "Multiply the lr by gamma at each milestone step: a staircase with hand-placed drops.",
        "He, K. et al. (2016). Deep residual learning for image recognition. CVPR."),
    "exponential": Schedule(
        "Exponential decay", "ExponentialLR(gamma)",
        {"gamma": Param("float", REQUIRED, 0.0, 1.0, lo_open=True)}, _exponential,
        "Multiply the lr by gamma at every step: a smooth decay that never stops shrinking.",
        "PyTorch: torch.optim.lr_scheduler.ExponentialLR."),
    "cosine": Schedule(
        "Cosine annealing", "CosineAnnealingLR(T_max, eta_min)",
        {"T_max": STEPS, "eta_min": ETA_MIN}, _cosine,
        "Follow half a cosine from the lr down to eta_min over T_max steps: large steps early, "
        "small ones to settle at the end (past T_max it climbs again, as in torch).",
        SGDR),
    "linear": Schedule(
        "Linear (warm-up)", "LinearLR(start_factor, end_factor, total_iters)",
        {"start_factor": START_FACTOR, "end_factor": END_FACTOR,
         "total_iters": Param("int", 5, 1, MAX_SCHEDULE_STEPS)}, _linear,
        "Scale the lr by a factor that moves in a straight line from start_factor to end_factor over "
        "total_iters steps, then stays: with the defaults, a warm-up from a third of the lr.",
        GOYAL),
    "onecycle": Schedule(
        "One cycle", "OneCycleLR(max_lr, total_steps, pct_start, anneal_strategy, cycle_momentum, "
        "base_momentum, max_momentum, div_factor, final_div_factor, three_phase)",
        {"max_lr": Param("float", FROM_LR, 0.0, LR_MAX, lo_open=True),
         "total_steps": STEPS,
         "pct_start": Param("float", 0.3, 0.0, 1.0, lo_open=True, hi_open=True),
         "anneal_strategy": Param("choice", "cos", options=("cos", "linear")),
         "cycle_momentum": Param("bool", True),
         "base_momentum": Param("momentum", 0.85),
         "max_momentum": Param("momentum", 0.95),
         "div_factor": Param("float", 25.0, 1.0, MAX_DIV_FACTOR),
         "final_div_factor": Param("float", 1e4, 1.0, MAX_DIV_FACTOR),
         "three_phase": Param("bool", False)}, _onecycle,
        "Climb from max_lr / div_factor to max_lr over the first pct_start of total_steps, then anneal "
        "far below the start; momentum (or Adam's beta1) moves the other way, from max_momentum down to "
        "base_momentum and back. The optimizer's own lr is not used: max_lr defaults to it. "
        "Refuses a run longer than total_steps, as torch does.",
        "Smith, L. N. & Topin, N. (2019). Super-convergence: very fast training of neural networks using "
        "large learning rates. Proc. SPIE 11006. arXiv:1708.07120"),
    "warmup_cosine": Schedule(
        "Warm-up + cosine", "SequentialLR([LinearLR(start_factor, 1.0, warmup_steps), "
        "CosineAnnealingLR(total_steps - warmup_steps, eta_min)], milestones=[warmup_steps])",
        {"warmup_steps": STEPS, "total_steps": Param("int", REQUIRED, 2, MAX_SCHEDULE_STEPS),
         "eta_min": ETA_MIN, "start_factor": START_FACTOR}, _warmup_cosine,
        "Warm up linearly from start_factor times the lr to the lr over warmup_steps, then follow half "
        "a cosine down to eta_min at total_steps, and stay there: the usual schedule of transformers.",
        GOYAL + "\n" + SGDR),
    "wsd": Schedule(
        "Warm-up, stable, decay", "SequentialLR([LinearLR(start_factor, 1.0, warmup_steps), "
        "ConstantLR(1.0), LinearLR(1.0, end_factor, decay_steps)], "
        "milestones=[warmup_steps, total_steps - decay_steps])",
        {"warmup_steps": Param("int", 0, 0, MAX_SCHEDULE_STEPS), "decay_steps": STEPS, "total_steps": STEPS,
         "start_factor": START_FACTOR, "end_factor": Param("float", 0.0, 0.0, 1.0),
         "decay_shape": Param("choice", "linear", options=("linear", "1-sqrt"))}, _wsd,
        "Warm up over warmup_steps, hold the lr, then decay it to end_factor times the lr over the last "
        "decay_steps of total_steps (linearly, or as 1 - sqrt). The stable phase can go on as long as "
        "wanted and a decay branch off from any point, so one run serves many training lengths.",
        "Hu, S. et al. (2024). MiniCPM: unveiling the potential of small language models with scalable "
        "training strategies. arXiv:2404.06395\n"
        "Hägele, A. et al. (2024). Scaling laws and compute-optimal training beyond fixed training "
        "durations. NeurIPS. arXiv:2405.18392"),
}


# ---------------------------------------------------------------- reading a spec

def read_schedule(obj, path: str, base_lr: float, cycled: str | None, cycled_range: tuple | None) -> dict:
    """Validate a ``schedule`` object; return it with every parameter, defaults filled in.

    Parameters
    ----------
    obj : object
        The spec's ``schedule`` value.
    path : str
        Its field path, e.g. ``optimizers[0].schedule``.
    base_lr : float
        The optimizer's lr (onecycle's default ``max_lr``).
    cycled : str or None
        The hyper-parameter onecycle's momentum cycling drives: ``"momentum"``,
        ``"beta1"``, or None when the optimizer has neither.
    cycled_range : tuple or None
        ``(lo, hi, kind)`` of that hyper-parameter, as the optimizer declares it.

    Raises
    ------
    SpecError
        Naming the field (``<path>.T_max``) and its allowed range.
    """
    fields = Fields(obj, path)
    name = fields.choice("name", SCHEDULES)
    out = {"name": name}
    for key, p in SCHEDULES[name].params.items():
        out[key] = _read_param(fields, key, p, base_lr, cycled_range)
    fields.done()
    _check_together(name, out, fields, cycled)
    return out


def _read_param(fields: Fields, key: str, p: Param, base_lr: float, cycled_range):
    if p.kind == "bool":
        return fields.boolean(key, p.default)
    if p.kind == "choice":
        return fields.choice(key, p.options, p.default)
    if p.kind == "milestones":
        items = fields.array(key, 1, MAX_MILESTONES)
        out = [check_number(v, fields.field(f"{key}[{i}]"), p.lo, p.hi, integer=True) for i, v in enumerate(items)]
        for i in range(1, len(out)):
            if out[i] <= out[i - 1]:
                raise SpecError(fields.field(f"{key}[{i}]"),
                                f"milestones must increase: {out[i]} follows {out[i - 1]}")
        return out
    if p.kind == "momentum":
        lo, hi, _ = cycled_range if cycled_range is not None else (0.0, 0.9999, "float")
        return fields.number(key, lo, hi, p.default)
    default = base_lr if p.default is FROM_LR else p.default
    return fields.number(key, p.lo, p.hi, default, integer=(p.kind == "int"), lo_open=p.lo_open,
                         hi_open=p.hi_open)


def _check_together(name: str, s: dict, fields: Fields, cycled: str | None) -> None:
    """Combinations a range cannot express (torch refuses or divides by zero on the same)."""
    if name == "onecycle":
        phases = _onecycle_phases(s)
        start = 0.0
        for end, *_ in phases:
            if not end > start:  # a phase of no length: torch's pct = 0 / 0
                raise SpecError(fields.field("pct_start"),
                                f"leaves a phase of no steps with total_steps {s['total_steps']}: pct_start x"
                                f" total_steps must be above 1{' and below (total_steps + 1) / 2' if s['three_phase'] else ''},"
                                f" got {s['pct_start'] * s['total_steps']:g}")
            start = end
        if s["cycle_momentum"] and cycled is None:
            raise SpecError(fields.field("cycle_momentum"),
                            "this optimizer has neither momentum nor beta1 to cycle; set cycle_momentum to false"
                            " (torch refuses the same)")
    elif name == "warmup_cosine" and not s["warmup_steps"] < s["total_steps"]:
        raise SpecError(fields.field("warmup_steps"),
                        f"must be below total_steps ({s['total_steps']}), got {s['warmup_steps']}")
    elif name == "wsd" and s["warmup_steps"] + s["decay_steps"] > s["total_steps"]:
        raise SpecError(fields.field("decay_steps"),
                        f"warmup_steps + decay_steps must be at most total_steps ({s['total_steps']}),"
                        f" got {s['warmup_steps']} + {s['decay_steps']}")


def check_run_length(schedule: dict, steps: int, path: str) -> None:
    """Refuse a onecycle schedule shorter than the run (torch raises at step total_steps + 1).

    ``path`` names the schedule, e.g. ``optimizers[0].schedule``.
    """
    if schedule["name"] == "onecycle" and steps > schedule["total_steps"]:
        raise SpecError(f"{path}.total_steps", f"must be at least the run's {steps} steps (onecycle ends"
                        f" there; torch refuses to step past it), got {schedule['total_steps']}")


# ---------------------------------------------------------------- values

def freeze(schedule: dict) -> tuple:
    """A validated schedule as a hashable key for :func:`at` (lists become tuples)."""
    return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in schedule.items())


@lru_cache(maxsize=SCHEDULE_CACHE_SIZE)
def at(frozen: tuple, base_lr: float, t: int) -> tuple:
    """``(lr, momentum)`` of optimizer step ``t`` (from 1); momentum None unless onecycle cycles it.

    Kept across runs like ``optimizers.base.bias_correction``: a landscape asks for
    the same t = 1..steps for every optimizer and at every drag of the start point.
    """
    s = dict(frozen)
    if s["name"] == "onecycle":
        lr, momentum = _onecycle_at(s, t - 1)
        return float(lr), (float(momentum) if s["cycle_momentum"] else None)
    return float(SCHEDULES[s["name"]].lr(s, base_lr, t - 1)), None


def lr_at(schedule: dict, base_lr: float, t: int) -> float:
    """The lr of optimizer step ``t`` (from 1) under a validated ``schedule``."""
    return at(freeze(schedule), base_lr, t)[0]


def momentum_at(schedule: dict, t: int) -> float | None:
    """onecycle's momentum (or beta1) of step ``t`` when it cycles it, else None."""
    return at(freeze(schedule), 0.0, t)[1]


def values(schedule, base_lr: float, steps: int) -> list[float]:
    """The lr of steps 1..``steps``: an lr(t) preview for the page.

    ``schedule`` is the spec's object (validated here; onecycle's momentum range is
    then beta1's widest, [0, 0.9999]).  Raises ``SpecError`` naming ``schedule.<field>``,
    ``base_lr`` or ``steps``.
    """
    base_lr = Fields({"base_lr": base_lr}, "").number("base_lr", 0.0, LR_MAX, lo_open=True)
    steps = Fields({"steps": steps}, "").number("steps", 1, MAX_VALUES, integer=True)
    s = read_schedule(schedule, "schedule", base_lr, "momentum", None)
    check_run_length(s, steps, "schedule")
    return [lr_at(s, base_lr, t) for t in range(1, steps + 1)]


def describe() -> list[dict]:
    """Every schedule for the catalog: name, title, torch equivalent, parameters, summary, paper."""
    out = []
    for name, sch in SCHEDULES.items():
        params = {}
        for key, p in sch.params.items():
            item = {"kind": p.kind}
            if p.default is FROM_LR:
                item["default"] = "lr"
            elif p.default is not REQUIRED:
                item["default"] = p.default
            if p.kind in ("int", "float", "milestones"):
                item.update(lo=p.lo, hi=p.hi, lo_open=p.lo_open, hi_open=p.hi_open)
            if p.options:
                item["options"] = list(p.options)
            params[key] = item
        out.append({"name": name, "title": sch.title, "torch": sch.torch, "params": params,
                    "summary": sch.summary, "paper": sch.paper})
    return out
