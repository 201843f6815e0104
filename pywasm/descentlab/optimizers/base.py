"""The shape every optimizer shares, and how the registry reads an optimizer's module.

An optimizer is a pair of pure functions, as in optax::

    init(params) -> state
    update(grads, state, params, <hyper-parameters with defaults>) -> (updates, new_state)

``updates`` is *added* to the parameters: ``new_params = params + updates``.
Parameters and gradients are float64 arrays or Python floats (a network
flattens all its weights into one vector; a landscape steps x and y as floats).
States are ``typing.NamedTuple`` s of a step count and arrays; nothing is ever
modified in place, so a state can be kept, compared or replayed freely.  This is
also the form of the code a learner writes in the page.

One module per registry entry holds everything known about that optimizer (see
CONTRIBUTING.md): ``TITLE``, ``RANGES``, the summary as the module docstring,
the equations and the paper in ``update``'s docstring, the defaults in
``update``'s signature, ``check`` for combinations a range cannot express and
``trace`` for what the inspector shows.  :func:`describe` reads them.
"""

from __future__ import annotations

import inspect
import sys
import textwrap
import types
from pathlib import Path
from functools import lru_cache
from typing import Callable, NamedTuple

from .. import kernels as K

# Step-indexed scalars depend only on (hyper-parameter, t): a landscape drag asks for
# the same t = 1..steps at every pointer move, so they are kept across runs.  Bounded to
# a few MB: 32 768 entries hold t = 1..1000 for 32 distinct values of beta (16 Adams
# with their own beta1 and beta2).  Past that the oldest are computed again: time, never bits.
SCHEDULE_CACHE_SIZE = 32_768

# Ranges shared by several optimizers: (lo, hi, kind), bounds inclusive; kind is "float"
# (a linear slider), "log" (a log-scale slider), "int" or "bool".
LR = (1e-6, 10.0, "log")
BETA = (0.0, 0.9999, "float")   # a decay rate in [0, 1): 1 would never forget
BETA2 = (0.0, 0.99999, "float")  # a second-moment decay: 0.999 is the usual default
MOMENTUM = (0.0, 0.999, "float")
WEIGHT_DECAY = (0.0, 1.0, "float")
EPS = (1e-12, 1e-1, "log")
BOOL = (False, True, "bool")


class Optimizer(NamedTuple):
    """An optimizer with its hyper-parameters bound, as ``make`` returns it."""

    init: Callable
    update: Callable


class HessianOptimizer(NamedTuple):
    """An optimizer whose step takes an estimate of diag(∇²f(θ)) (Sophia): before a step the loop
    asks ``wants_hessian(state)``; if so it passes the estimate to ``update(g, state, θ, hessian)``
    (the exact diagonal on a landscape, ``hutchinson(hvp, size, rng)`` in a network), else None."""

    init: Callable
    update: Callable        # update(grads, state, params, hessian=None) -> (updates, state)
    wants_hessian: Callable  # wants_hessian(state) -> bool
    hutchinson: Callable    # hutchinson(hvp, size, rng) -> ndarray (size,)


class ProbingOptimizer(NamedTuple):
    """An optimizer whose step needs the gradient at a second point (SAM): the loop calls
    ``probe(g, θ)`` for the offset ε, takes the gradient at θ + ε and passes that to ``update``."""

    init: Callable
    update: Callable
    probe: Callable  # probe(grads, params) -> ε, shaped like params


class OptimizerInfo(NamedTuple):
    """What the rest of Descent Lab knows about one registered optimizer, read from its module.

    Attributes
    ----------
    name : str
        Registry key: the module's name, e.g. ``"adam"``.
    module : module
        The optimizer's module (``init``, ``update``, ``check``, ``trace``).
    defaults : dict
        Every hyper-parameter with its default: ``update``'s keyword defaults.
    ranges : dict
        ``name -> (lo, hi, kind)``: the module's ``RANGES``.
    title : str
        Display name: the module's ``TITLE``.
    paper : str
        Citation(s): the References section of ``update``'s docstring.
    summary : str
        The problem it solves and when to prefer it: the module docstring.
    equations : str
        The update rule, one equation per line, then ``where <symbols>``: the
        literal block and the ``where`` line of ``update``'s docstring.
    trace : callable
        ``trace(grads, new_state, updates, hyper, variables) -> dict``: what the
        inspector shows, picked from the new state and the variables ``update``
        assigned (see :func:`capture`).
    """

    name: str
    module: object
    defaults: dict
    ranges: dict
    title: str
    paper: str
    summary: str
    equations: str
    trace: Callable


def describe(module) -> OptimizerInfo:
    """Read an optimizer module into an :class:`OptimizerInfo` (see CONTRIBUTING.md)."""
    name = module.__name__.rsplit(".", 1)[-1]
    params = inspect.signature(module.update).parameters
    defaults = {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}
    if set(defaults) != set(module.RANGES):
        raise TypeError(f"optimizer {name}: RANGES keys {sorted(module.RANGES)} differ from update's"
                        f" keyword arguments {sorted(defaults)}")
    doc = inspect.cleandoc(module.update.__doc__ or "")
    return OptimizerInfo(name=name, module=module, defaults=defaults, ranges=dict(module.RANGES),
                         title=module.TITLE, paper=_references(doc), summary=_paragraphs(module.__doc__),
                         equations=_equations(doc, name), trace=module.trace)


_KINDS = {"float": float, "log": float, "int": int, "bool": bool}


def bind(info: OptimizerInfo, hyper: dict) -> Optimizer:
    """``Optimizer(init, update)`` with ``update``'s hyper-parameters bound to ``hyper``.

    Every value is converted to its range's kind first (an integer 1 given for a
    float ``lr`` becomes 1.0), so the arithmetic is the same however it was given.
    """
    hyper = {k: _KINDS[info.ranges[k][2]](v) for k, v in hyper.items()}
    check = getattr(info.module, "check", None)
    if check is not None:
        check(**hyper)
    return Optimizer(info.module.init, with_defaults(info.module.update, hyper))


def with_defaults(fn, values: dict):
    """A copy of ``fn`` whose keyword defaults are ``values`` (the rest keep theirs).

    Same code, same bits; calling ``copy(grads, state, params)`` then passes the
    hyper-parameters as defaults, which costs a third of what ``functools.partial``
    with keywords costs per call (a landscape step is a few microseconds). The names of
    the defaulted parameters come from the code object: ``inspect.signature`` cost a
    sixth of a 100-step landscape run (a drag's preview), and it is asked for each
    optimizer of each run.
    """
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount][-len(fn.__defaults__):]
    defaults = tuple(values.get(name, d) for name, d in zip(names, fn.__defaults__))
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, defaults, fn.__closure__)
    copy.__doc__, copy.__qualname__, copy.__module__ = fn.__doc__, fn.__qualname__, fn.__module__
    return copy


def _paragraphs(text: str) -> str:
    """A docstring's paragraphs, each joined into one line, separated by blank lines."""
    paras = [" ".join(p.split()) for p in inspect.cleandoc(text or "").split("\n\n")]
    return "\n\n".join(p for p in paras if p)


def _equations(doc: str, name: str) -> str:
    """The literal block after the first ``::`` line and the ``where ...`` line after it."""
    lines = doc.splitlines()
    start = next((i for i, line in enumerate(lines) if line.rstrip().endswith("::")), None)
    if start is None:
        raise TypeError(f"optimizer {name}: update's docstring has no '::' block of equations")
    block, i = [], start + 1
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
        block.append(lines[i])
        i += 1
    rest = "\n".join(lines[i:]).split("\n\n")[0]
    if not rest.startswith("where "):
        raise TypeError(f"optimizer {name}: the equations must be followed by a 'where <symbols>' line")
    body = textwrap.dedent("\n".join(block)).strip("\n")
    return body + "\n" + " ".join(rest.split()).rstrip(".")


def _references(doc: str) -> str:
    """The References section of a numpydoc docstring, one reference per line."""
    parts = doc.split("References\n----------\n")
    if len(parts) != 2:
        return ""
    refs = parts[1].replace("*", "").split("\n\n")  # *emphasis* is for Sphinx, not the page
    return "\n".join(" ".join(r.split()) for r in refs if r.strip())


def is_update(code) -> bool:
    """Whether ``code`` is the ``update`` function of one of the optimizer modules."""
    return code.co_name == "update" and code.co_filename.startswith(_PACKAGE)


_PACKAGE = str(Path(__file__).parent)


def capture(update, grads, state, params, hyper: dict) -> tuple:
    """``update(grads, state, params, **hyper)``, and the variables its code assigned.

    Returns ``(updates, new_state, variables)``: the locals of every optimizer
    ``update`` that ran (AdamW's and the Adam it calls), arguments left out, the
    outer one's winning on a shared name.  The inspector shows these, the very
    values the code computed, never a recomputation.
    """
    variables: dict = {}

    def on_return(frame, event, arg):
        if event == "return":
            code = frame.f_code
            arguments = set(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
            variables.update((k, v) for k, v in frame.f_locals.items() if k not in arguments)
        return on_return

    def on_call(frame, event, arg):
        if is_update(frame.f_code):
            frame.f_trace_lines = False  # only the return matters here
            return on_return
        return None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        updates, new_state = update(grads, state, params, **hyper)
    finally:
        sys.settrace(previous)
    return updates, new_state, variables


@lru_cache(maxsize=SCHEDULE_CACHE_SIZE)
def bias_correction(beta: float, t: int) -> float:
    """1 - β^t: dividing by it undoes the bias of a running mean started at zero.

    β^t by repeated squaring (``kernels.powi``), so the bits are the same everywhere.
    """
    return 1.0 - K.powi(beta, t)
