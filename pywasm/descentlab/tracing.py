"""One optimizer step, re-run under a tracer: the real code with the numbers each line computed.

The inspector must never show a template that could drift from the code.  So
``trace(spec, run=i, step=k)`` replays run ``i`` of a landscape spec up to step
``k - 1`` (on the 2-element array path, which gives the bits of the race), then
calls the optimizer's ``update`` once more under :func:`sys.settrace` and records,
after each line, the local variables that line assigned.  ``update`` may call
another optimizer's ``update`` (AdamW calls Adam's): every function of the
optimizers package that runs is traced, and its source follows in the listing.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import numpy as np

from . import landscape, optimizer_spec, optimizers
from .errors import SpecError
from .functions import FUNCTIONS
from .optimizers import REGISTRY

_PACKAGE = str(Path(optimizers.__file__).parent)  # functions traced: those of the optimizers package
SEPARATOR = ""  # the blank line between two traced functions in the listing


def in_optimizers(code) -> bool:
    """Whether ``code`` is an ``update`` function of the optimizers package (what is traced)."""
    return code.co_name == "update" and code.co_filename.startswith(_PACKAGE)





def _plain(value):
    """A recorded value as JSON: floats, lists of floats, a NamedTuple as a dict, else its repr."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, np.floating, np.integer)):
        return float(value) if not isinstance(value, (int, np.integer)) else int(value)
    if isinstance(value, np.ndarray):
        return value.astype(np.float64).tolist()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {f: _plain(v) for f, v in zip(value._fields, value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return repr(value)


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

    def __init__(self):
        self.events: list[tuple] = []  # (code, line, {name: value})
        self.codes: list = []  # traced code objects, in the order they first ran

    def __call__(self, frame, event, arg):
        if event != "call" or not in_optimizers(frame.f_code):
            return None
        if frame.f_code not in self.codes:
            self.codes.append(frame.f_code)
        return _LocalTracer(self, frame)


class _LocalTracer:
    def __init__(self, owner: _Tracer, frame):
        self.owner = owner
        self.line = None
        self.before = dict(frame.f_locals)
        # the def line shows the hyper-parameters this call received (AdamW calls Adam with λ = 0)
        code = frame.f_code
        hyper = code.co_varnames[3:code.co_argcount + code.co_kwonlyargcount]
        owner.events.append((code, code.co_firstlineno, {k: frame.f_locals[k] for k in hyper}))

    def __call__(self, frame, event, arg):
        if event in ("line", "return") and self.line is not None:
            now = frame.f_locals
            changed = {k: v for k, v in now.items()
                       if not k.startswith("__") and (k not in self.before or not _same(self.before[k], v))}
            if event == "return":
                changed["return"] = arg
            if changed:
                self.owner.events.append((frame.f_code, self.line, changed))
            self.before = dict(now)
        if event == "line":
            self.line = frame.f_lineno
        return self


def _replay(checked: dict, run: int, step: int):
    """Parameters, state and gradient before step ``step`` of run ``run`` (the race's bits)."""
    entry = checked["optimizers"][run]
    fn, fparams = FUNCTIONS[checked["function"]], checked["function_params"]
    opt = optimizer_spec.make(entry, f"optimizers[{run}]")  # the run's own optimizer: schedule, learner code
    p = np.array([float(v) for v in checked["start"]], dtype=np.float64)
    state = opt.init(p)
    for k in range(1, step + 1):
        g = np.array(fn.grad(float(p[0]), float(p[1]), **fparams), dtype=np.float64)
        if k == step:
            return entry, opt, p, state, g
        updates, state = opt.update(g, state, p)
        p = p + updates
        if not landscape._inside(float(p[0]), float(p[1])):
            raise SpecError("step", f"run {run} diverged at step {k}; trace a step from 1 to {k}")
    raise AssertionError("unreachable")  # pragma: no cover


def trace(spec, run: int = 0, step: int = 1, allow_code: bool = False) -> dict:
    """Step ``step`` (from 1) of run ``run`` of a landscape spec, traced line by line.

    Returns
    -------
    dict
        ``optimizer``: the registry name; ``source``: the lines of the traced
        ``update`` functions as shipped (the first is the optimizer's own; a
        blank line separates the next); ``lines``: ``[{"line": n, "values":
        {name: value}}]`` in execution order (a function's ``def`` line first,
        with the hyper-parameters it was called with), ``n`` a 1-based index into
        ``source``, each value a float or a list of floats (one per coordinate,
        x then y), a NamedTuple state as a dict of its fields; ``equations``: the
        update rule's lines from the optimizer's docstring; ``hyper``: its
        hyper-parameters; ``params``, ``grads``, ``state``: θ_{k−1}, g_k and the
        state before the step (a dict of its fields).

    Raises
    ------
    SpecError
        Naming ``run`` or ``step`` when they are out of range (or the run diverged earlier).
    """
    from .api import validate  # api imports the spec kinds, which import this package's siblings

    checked = validate(spec, allow_code)
    if checked["kind"] != "landscape":
        raise SpecError("kind", f"trace needs a landscape spec, got {checked['kind']!r}")
    n_runs = len(checked["optimizers"])
    if isinstance(run, bool) or not isinstance(run, int) or not 0 <= run < n_runs:
        raise SpecError("run", f"must be an integer from 0 to {n_runs - 1}, got {run!r}")
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= checked["steps"]:
        raise SpecError("step", f"must be an integer from 1 to {checked['steps']}, got {step!r}")
    if checked["optimizers"][run]["name"] == "custom":
        # learner code runs under its own budget tracer (learner.py), which one tracer cannot share yet
        raise SpecError("run", f"run {run} is learner code: trace follows the built-in optimizers only")
    entry, opt, p, state, g = _replay(checked, run, step)
    tracer = _Tracer()
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        opt.update(g, state, p)
    finally:
        sys.settrace(previous)
    source, offsets = [], {}
    for code in tracer.codes:
        lines, first = inspect.getsourcelines(code)
        if source:
            source.append(SEPARATOR)
        offsets[code] = len(source) - first + 1  # file line -> 1-based index in source
        source.extend(line.rstrip("\n") for line in lines)
    lines = [{"line": line + offsets[code], "values": {k: _plain(v) for k, v in values.items()}}
             for code, line, values in tracer.events]
    info = REGISTRY.get(entry["name"])
    title, equations = (info.title, info.equations.splitlines()) if info else (entry.get("label", "custom"), [])
    return {"optimizer": entry["name"], "title": title, "source": source, "lines": lines,
            "equations": equations, "hyper": optimizer_spec.hyper_at(entry, step),
            "params": p.tolist(), "grads": g.tolist(), "state": _plain(state), "step": step, "run": run}
