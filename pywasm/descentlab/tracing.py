"""One optimizer step, re-run under a tracer: the real code with the numbers each line computed.

The inspector must never show a template that could drift from the code.  So
``trace(spec, run=i, step=k)`` replays run ``i`` up to step ``k - 1`` with the
very loop that recorded it (a landscape's 2-element array path, which gives the
bits of the race; a network's ``_Run.train`` over the same mini-batches), then
calls the optimizer's ``update`` once more under :func:`sys.settrace` and
records, after each line, the local variables that line assigned.  ``update``
may call another optimizer's ``update`` (AdamW calls Adam's): every ``update``
of the optimizers package that runs is traced, and its source follows in the
listing.  A learner's code is traced the same way, inside the bytecode budget
of :mod:`descentlab.learner` (both tracers see every one of its frames).

Replaying a network run costs at most the training of that one run up to step
``k`` (no evaluations, no boundaries), which the spec's own work budget
(:mod:`descentlab.budget`, checked by validation) already allows.
"""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import numpy as np

from . import landscape, learner, network, optimizer_spec, optimizers
from .errors import SpecError
from .optimizers import EXTRA, REGISTRY
from .optimizers import base as base_module

_PACKAGE = str(Path(optimizers.__file__).parent)  # functions traced: those of the optimizers package
SEPARATOR = ""  # the blank line between two traced functions in the listing
HYPER_FIRST = 3  # update(grads, state, params, <hyper-parameters>): where the def line's values start


def in_optimizers(code) -> bool:
    """Whether ``code`` is an ``update`` function of the optimizers package (what is traced)."""
    return code.co_name == "update" and code.co_filename.startswith(_PACKAGE)


def in_learner(code) -> bool:
    """Whether ``code`` is a function of the learner's code (all of it is traced)."""
    return code.co_filename == learner.FILENAME


def _as_list(array: np.ndarray):
    return array.astype(np.float64).tolist()


def _plain(value, array=_as_list):
    """A recorded value as JSON: floats, lists of floats, a NamedTuple or dict as a dict, else its repr.

    ``array`` turns an ndarray into JSON (by default its values as a list)."""
    if isinstance(value, (bool, str)) or value is None:  # a choice, e.g. Sophia's hessian_distribution
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        return array(value)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {f: _plain(v, array) for f, v in zip(value._fields, value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v, array) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, array) for k, v in value.items()}
    return repr(value)


def _picker(flat: int, size: int):
    """``_plain`` for a network: an array shaped like θ shows its element ``flat`` only."""
    def element(value: np.ndarray):
        if value.shape == (size,):
            return float(value[flat])
        return float(value) if value.size == 1 else f"array of shape {value.shape}"
    return lambda value: _plain(value, element)


def _snapshot(value):
    """A copy of a local's value as it is now: code may fill an array in place (``u[i] = ...``) later."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*map(_snapshot, value))
    if isinstance(value, (tuple, list)):
        return type(value)(map(_snapshot, value))
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.tobytes() == b.tobytes()
    try:
        return bool(a == b) if not isinstance(a, tuple) else all(_same(x, y) for x, y in zip(a, b))
    except ValueError:
        return False


class _Tracer:
    """Records, for every line of the traced functions, the locals it assigned (and what it returned)."""

    def __init__(self, wanted):
        self.wanted = wanted  # code -> bool: which functions are traced
        self.events: list[tuple] = []  # (code, line, {name: value})
        self.codes: list = []  # traced code objects, in the order they first ran

    def __call__(self, frame, event, arg):
        if event != "call" or not self.wanted(frame.f_code):
            return None
        if frame.f_code not in self.codes:
            self.codes.append(frame.f_code)
        return _LocalTracer(self, frame)


class _LocalTracer:
    def __init__(self, owner: _Tracer, frame):
        self.owner = owner
        self.line = None
        self.before = {k: _snapshot(v) for k, v in frame.f_locals.items()}
        # the def line shows the hyper-parameters this call received (AdamW calls Adam with λ = 0)
        code = frame.f_code
        hyper = code.co_varnames[HYPER_FIRST:code.co_argcount + code.co_kwonlyargcount]
        owner.events.append((code, code.co_firstlineno, {k: frame.f_locals[k] for k in hyper}))

    def __call__(self, frame, event, arg):
        if event in ("line", "return") and self.line is not None:
            now = {k: _snapshot(v) for k, v in frame.f_locals.items() if not k.startswith("__")}
            changed = {k: v for k, v in now.items() if k not in self.before or not _same(self.before[k], v)}
            if event == "return":
                changed["return"] = _snapshot(arg)
            if changed:
                self.owner.events.append((frame.f_code, self.line, changed))
            self.before = now
        if event == "line":
            self.line = frame.f_lineno
        return self


class _WithBudget:
    """The learner's budget tracer (learner.py) and a :class:`_Tracer` on the same frames.

    Installed inside ``learner._budgeted``: the budget's tracer is then the global
    one, and stays the judge of every opcode (its ``LearnerTimeout`` stops the code
    as in a run); ours also asks for line events to record the values.
    """

    def __init__(self, budget, tracer: _Tracer):
        self.budget, self.tracer = budget, tracer

    def __call__(self, frame, event, arg):
        counted = self.budget(frame, event, arg)
        recorded = self.tracer(frame, event, arg)
        if counted is None:
            return recorded
        if recorded is None:
            return counted
        frame.f_trace_lines = True
        return _Both(counted, recorded)


class _Both:
    """One frame's two local tracers: the budget's (opcodes) and ours (lines)."""

    def __init__(self, counted, recorded):
        self.counted, self.recorded = counted, recorded

    def __call__(self, frame, event, arg):
        self.counted(frame, event, arg)
        self.recorded(frame, event, arg)
        return self


def _run_traced(call, tracer, budgeted: bool = False):
    """``call()`` under ``tracer``; ``budgeted``: inside ``learner._budgeted``, whose tracer stays on."""
    installed = sys.gettrace()
    sys.settrace(_WithBudget(installed, tracer) if budgeted else tracer)
    try:
        return call()
    finally:
        sys.settrace(installed)


def _landscape_replay(checked: dict, run: int, step: int):
    """Parameters, state and gradient before step ``step`` of run ``run`` (the race's bits).

    The gradient is the race's own (``landscape.gradient_fn``: a custom expression and the
    spec's noise included), before clipping: ``optimizer_spec.make`` clips inside ``update``.
    A forked run's steps up to its fork are its parent's (traced as the parent's); after
    it, the replay starts from the parent's θ_k and state, as ``landscape.fork_carry``.
    """
    entry = checked["optimizers"][run]
    fork = entry.get("fork")
    if fork is not None and step <= fork["step"]:
        return _landscape_replay(checked, fork["run"], step)
    fn, fparams = landscape.surface(checked), checked["function_params"]
    grad = landscape.gradient_fn(checked)
    opt = optimizer_spec.make(entry, f"optimizers[{run}]")  # the run's own optimizer: schedule, clipping, learner code
    first = 1
    if fork is None:
        p = np.array([float(v) for v in checked["start"]], dtype=np.float64)
        state = opt.init(p)
    else:
        parent, p, state, g, probed = _landscape_replay(checked, fork["run"], fork["step"])
        parent_opt = optimizer_spec.make(parent, f"optimizers[{fork['run']}]")
        updates, state = _update(parent_opt, g, state, p, probed.get("hessian"))
        p = _stepped(p, updates, fn, fparams, fork["run"], fork["step"])
        if not optimizer_spec.keeps_state(parent, entry):
            state = opt.init(p)
        first = fork["step"] + 1
    wants = getattr(opt, "wants_hessian", None)
    for k in range(first, step + 1):
        g, probed = _probed(opt, lambda q: grad(q, k), p)
        if wants is not None:  # Sophia: the exact diagonal at the steps that refresh h, as the race gives it
            probed["hessian"] = landscape.hessian_at(checked, p) if wants(state) else None
        if k == step:
            return entry, p, state, g, probed
        updates, state = _update(opt, g, state, p, probed.get("hessian"))
        p = _stepped(p, updates, fn, fparams, run, k)
    raise AssertionError("unreachable")  # pragma: no cover


def _update(opt, g, state, p, hessian=None):
    """``opt.update``, given Sophia's Hessian when the optimizer takes one."""
    if getattr(opt, "wants_hessian", None) is not None:
        return opt.update(g, state, p, hessian)
    return opt.update(g, state, p)


def _probed(opt, gradient, p):
    """The gradient ``update`` steps with: at θ, or (SAM) at its probe point θ + ε, as the loops take it.

    Returns ``(g, shown)``; ``shown`` is ``{}`` or SAM's ``{"probe": θ + ε, "grads_at_params": ∇f(θ)}``.
    """
    g = gradient(p)
    probe = getattr(opt, "probe", None)
    if probe is None:
        return g, {}
    at = p + probe(g, p)
    return gradient(at), {"probe": at, "grads_at_params": g}


def _stepped(p, updates, fn, fparams, run: int, k: int):
    """θ_k = θ_{k−1} + update, or the SpecError of a run that stopped there."""
    p = p + updates
    x, y = float(p[0]), float(p[1])
    # where the race stops (landscape._array_steps): outside the domain or a non-finite value
    if not (landscape._inside(x, y) and landscape._finite(float(fn.f(x, y, **fparams)))):
        raise SpecError("step", f"run {run} diverged at step {k}; trace a step from 1 to {k}")
    return p


def _network_replay(checked: dict, ctx: dict, run: int, step: int):
    """θ, state and mini-batch gradient before step ``step`` of network run ``run``.

    The run is replayed by ``network.replay`` (``_Run.train`` itself over the same
    mini-batches, following a fork), so θ and the state carry the recorded run's bits.
    The entry returned is the one that takes step ``step``: a fork's parent before the
    fork (traced as the parent's, as on a landscape), its own from the fork on.
    """
    r, idx = network.replay(checked, ctx, run, step)
    if r.diverged_at is not None:
        raise SpecError("step", f"run {run} diverged at step {r.diverged_at}; trace a step from 1 to"
                                f" {r.diverged_at}")
    if r.segment < 0 or (r.segment < len(r.plan) - 1 and r.step >= r.until):
        r._begin_segment()  # as train does before the step: a fork's own optimizer from its step on
    entry = r.plan[r.segment][0]
    g, probed = _probed(r.opt, lambda q: network.mlp.loss_and_grad(q, ctx["layout"], ctx["Xtr"][idx], ctx["ytr"][idx],
                                                          checked["model"]["activation"], checked["loss"],
                                                          checked["l2"])[1], r.theta)
    if getattr(r.opt, "wants_hessian", None) is not None:
        probed["hessian"] = r.hessian(idx, checked, ctx)
    return entry, r.theta, r.state, g, ctx["layout"], probed


def _arrays(layout) -> list[dict]:
    """The network's parameter arrays in θ's order: W1, b1, W2, b2, ... with their offsets."""
    out = []
    for i, slot in enumerate(layout.layers, start=1):
        out.append({"name": f"W{i}", "shape": list(slot.w_shape), "offset": slot.w_offset})
        out.append({"name": f"b{i}", "shape": list(slot.b_shape), "offset": slot.b_offset})
    return out


def _read_param(param, arrays: list[dict]) -> dict:
    """``[layer, index]`` checked against the arrays: ``{"layer", "index", "name", "flat"}``."""
    if param is None:
        param = [0, 0]
    if not (isinstance(param, (list, tuple)) and len(param) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in param)):
        raise SpecError("param", f"must be [layer, index], two integers, got {param!r}")
    layer, index = param
    if not 0 <= layer < len(arrays):
        names = ", ".join(a["name"] for a in arrays)
        raise SpecError("param[0]", f"must be a layer from 0 to {len(arrays) - 1} ({names}), got {layer}")
    a = arrays[layer]
    size = a["shape"][0] * (a["shape"][1] if len(a["shape"]) == 2 else 1)
    if not 0 <= index < size:
        raise SpecError("param[1]", f"must be an index from 0 to {size - 1} into {a['name']}"
                                    f" (shape {tuple(a['shape'])}), got {index}")
    where = f"{index // a['shape'][1]}, {index % a['shape'][1]}" if len(a["shape"]) == 2 else str(index)
    return {"layer": layer, "index": index, "name": f"{a['name']}[{where}]", "flat": a["offset"] + index}


def _listing(tracer: _Tracer, entry: dict) -> tuple[list[str], dict]:
    """The source lines shown and, per traced code object, file line -> 1-based line of the listing."""
    if entry["name"] == "custom":  # the learner's whole code, their own line numbers
        return entry["code"].splitlines(), {code: 0 for code in tracer.codes}
    source, offsets = [], {}
    for code in tracer.codes:
        lines, first = inspect.getsourcelines(code)
        if source:
            source.append(SEPARATOR)
        offsets[code] = len(source) - first + 1
        source.extend(line.rstrip("\n") for line in lines)
    return source, offsets


def _init_source(entry: dict) -> list[str]:
    """The lines of ``init``: the module's as shipped, or the learner's ``def init`` block."""
    if entry["name"] != "custom":
        stepper = entry.get("base", entry)  # SAM's state is its base's
        module = EXTRA[stepper["name"]] if stepper["name"] in EXTRA else REGISTRY[stepper["name"]].module
        return [line.rstrip("\n") for line in inspect.getsourcelines(module.init)[0]]
    lines = entry["code"].splitlines()
    for node in ast.parse(entry["code"]).body:
        if isinstance(node, ast.FunctionDef) and node.name == "init":
            return lines[node.lineno - 1:node.end_lineno]
    return []


def _traced_step(entry: dict, run: int, step: int, g, state, p, probed: dict) -> _Tracer:
    """Call step ``step``'s ``update`` once more under a tracer (the learner's under its budget).

    ``probed``: what the loop gave the step (see :func:`_probed`): Sophia's ``hessian``; for
    learner code with a ``probe`` (a copy of SAM), its probe is traced first, called as the
    loop called it (∇f(θ) at θ), so the listing shows both of the learner's functions.
    """
    hessian = probed.get("hessian")
    if entry["name"] != "custom":
        tracer = _Tracer(in_optimizers)
        opt = optimizer_spec.make(entry, f"optimizers[{run}]")  # a schedule's step-t lr, as the run had
        _run_traced(lambda: _update(opt, g, state, p, hessian), tracer)
        return tracer
    tracer = _Tracer(in_learner)
    env = learner.namespace()
    code = compile(entry["code"], learner.FILENAME, "exec")
    field = f"optimizers[{run}].code"

    def traced(fn, what, *args, **hyper):
        """The learner's ``fn(*args)`` given the hyper-parameters it names (as learner.optimizer does)."""
        given = learner.named(learner.keywords(fn, len(args)), hyper)
        return learner._budgeted(lambda: _run_traced(lambda: fn(*args, **given), tracer, budgeted=True), what)

    what = "running the module"
    try:
        learner._budgeted(lambda: exec(code, env), what)
        if "probe" in probed and callable(env.get("probe")):
            what = "probe"
            traced(env["probe"], "probe", probed["grads_at_params"], p, **entry["params"])
        what = "update"
        takes = learner.HESSIAN in list(inspect.signature(env["update"]).parameters)[3:]  # a copy of Sophia
        more = {learner.HESSIAN: hessian} if takes else {}
        learner.step(learner.LearnerOptimizer(None, lambda g_, s_, p_, **h: traced(env["update"], "update", g_, s_, p_,
                                                                                    **h), {}, entry["code"]),
                     g, state, p, entry["params"], step, **more)
    except learner.LearnerError as e:
        raise SpecError(field, f"{what} at step {step}: {e}") from None
    return tracer


def trace(spec, run: int = 0, step: int = 1, param=None, *, allow_code: bool = False) -> dict:
    """Step ``step`` (from 1) of run ``run`` of a landscape or network spec, traced line by line.

    Parameters
    ----------
    spec : dict
        A landscape or network spec, as for :func:`descentlab.run`.
    run, step : int
        The optimizer's index in ``spec["optimizers"]`` and the step, from 1.
    param : [layer, index], optional
        Network specs only: the parameter whose values are shown, ``layer`` an index
        into the parameter arrays ``W1, b1, W2, ...`` and ``index`` a flat (row-major)
        index into that array; ``[0, 0]`` when omitted.
    allow_code : bool, keyword only
        Whether the spec may carry learner code (which then runs here).

    Returns
    -------
    dict
        ``optimizer``: the registry name (or ``"custom"``); ``title``; ``source``: the
        lines of the traced ``update`` functions as shipped (the first is the
        optimizer's own; a blank line separates the next), or the learner's whole
        code; ``init_source``: the lines of ``init``; ``lines``: ``[{"line": n,
        "values": {name: value}}]`` in execution order (a function's ``def`` line
        first, with the hyper-parameters it was called with), ``n`` a 1-based index
        into ``source``, each value a float or (landscape) a list of floats, x then y,
        a state as a dict of its fields; ``equations``: the update rule's lines from
        the optimizer's docstring; ``hyper``: the hyper-parameters at this step;
        ``params``, ``grads``, ``state``: θ_{k−1}, g_k and the state before the step.
        Network specs also give ``param`` ``{"layer", "index", "name"}`` (e.g.
        ``"W1[3, 7]"``) and ``arrays`` (``[{"name", "shape", "offset"}]``), and every
        value shaped like θ is that parameter's element.

    Raises
    ------
    SpecError
        Naming ``kind``, ``run``, ``step`` or ``param`` when out of range (or the run
        diverged earlier), or ``optimizers[i].code`` when learner code fails.
    """
    from .api import validate  # api imports the spec kinds, which import this package's siblings

    checked = validate(spec, allow_code)
    kind = checked["kind"]
    if kind not in ("landscape", "network"):
        raise SpecError("kind", f"trace needs a landscape or network spec, got {kind!r}")
    n_runs = len(checked["optimizers"])
    if isinstance(run, bool) or not isinstance(run, int) or not 0 <= run < n_runs:
        raise SpecError("run", f"must be an integer from 0 to {n_runs - 1}, got {run!r}")
    if kind == "landscape" and param is not None:
        raise SpecError("param", "selects a network's parameter; a landscape shows x and y")
    ctx = network._prepare(checked) if kind == "network" else None
    last = checked["steps"] if ctx is None else network.run_steps(checked, len(ctx["Xtr"]) + len(ctx["Xva"]))
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= last:
        raise SpecError("step", f"must be an integer from 1 to {last}, got {step!r}")
    if kind == "landscape":
        entry, p, state, g, probed = _landscape_replay(checked, run, step)
        show, extra = _plain, {}
    else:
        entry, p, state, g, layout, probed = _network_replay(checked, ctx, run, step)
        arrays = _arrays(layout)
        chosen = _read_param(param, arrays)
        show = _picker(chosen.pop("flat"), layout.size)
        extra = {"param": chosen, "arrays": arrays}
    tracer = _traced_step(entry, run, step, g, state, p, probed)
    clip = optimizer_spec.clipper(entry)
    if clip is not None:  # update (optimizer_spec.make) clipped g before the optimizer saw it
        extra["grads_raw"] = show(g)
        g = clip(g)[0]
    source, offsets = _listing(tracer, entry)
    lines = [{"line": line + offsets[code], "values": {k: show(v) for k, v in values.items()}}
             for code, line, values in tracer.events]
    info = REGISTRY.get(entry.get("base", entry)["name"])
    title, equations = (info.title, info.equations.splitlines()) if info else (entry.get("label", "custom"), [])
    if entry["name"] in EXTRA and "base" in entry:  # SAM: its probe's equations, then its base's update
        module = EXTRA[entry["name"]]
        title = f"{module.TITLE} ({title})"
        equations = base_module._equations(inspect.cleandoc(module.probe.__doc__), entry["name"]).splitlines() \
            + [""] + equations
        extra.update((k, show(v)) for k, v in probed.items())  # probe point θ + ε and the gradient at θ
    elif "probe" in probed:  # learner code with a probe (a copy of SAM): where its gradient was taken
        extra.update((k, show(v)) for k, v in probed.items())
    elif entry["name"] in EXTRA:  # Muon, Sophia: their own update's equations
        module = EXTRA[entry["name"]]
        title = module.TITLE
        equations = base_module._equations(inspect.cleandoc(module.update.__doc__), entry["name"]).splitlines()
    if "hessian" in probed:  # Sophia or a copy of it: the diagonal it was given at this step (None: h kept)
        extra["hessian"] = None if probed["hessian"] is None else show(probed["hessian"])
    # a fork whose state started fresh counts its own steps (its schedule restarts)
    t = state.step + 1 if isinstance(getattr(state, "step", None), int) else step
    hyper = optimizer_spec.hyper_at(entry, t) if (info or entry["name"] in EXTRA) else dict(entry["params"])
    return {"kind": kind, "optimizer": entry["name"], "title": title, "source": source,
            "init_source": _init_source(entry), "lines": lines, "equations": equations, "hyper": hyper,
            "params": show(p), "grads": show(g), "state": show(state), "step": step, "run": run, **extra}
