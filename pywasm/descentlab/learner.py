"""Optimizers written by learners: compile the code, check its contract, run it with a budget.

The contract (the same in the page, in exercises and natively): the code defines,
at module level, ``init(params)``, which returns the state, and
``update(grads, state, params, <hyper-parameters as keyword arguments with
defaults>)``, which returns ``(updates, new_state)``; ``updates`` is added to
``params``.  The state may be a NamedTuple, a tuple or a dict of arrays and
numbers.  A second-order optimizer (a copy of Sophia) takes ``hessian`` after
``params``: the loop passes an estimate of diag(∇²f) when its ``wants_hessian(state,
...)`` says so (every step without one), else None.  A sharpness-aware optimizer (a copy of
SAM) also defines ``probe(grads, params, <its hyper-parameters>)``, which returns the offset ε
to a probe point: the loop then takes the gradient at ``params + ε`` (the same mini-batch) and
passes that to ``update``.  The code's hyper-parameters are those of ``update`` and ``probe``
together; each function is given the ones it names.  ``np`` (NumPy), ``K`` (the deterministic kernels: ``K.sqrt``,
``K.exp``, ...), ``NamedTuple`` and ``bias_correction`` are available.

This code is untrusted.  Natively it runs only when the caller opts in
(``descentlab.run(spec, allow_code=True)`` or ``--allow-code``); in the browser
it runs in a worker of its own without network or storage.  Here it gets a budget of
bytecode steps, so ``while True:`` stops with a clear error, and every error names the
learner's own line, never a frame of Descent Lab.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import contextvars
import inspect
import sys
import traceback
from typing import NamedTuple

import numpy as np

from . import kernels as K
from .errors import SpecError
from .optimizers.base import bias_correction

FILENAME = "<your code>"
MAX_CODE_CHARS = 20_000  # a few pages of code; a 1 MB paste is refused with its size
# Bytecode instructions of learner code one init or update may run. An update needs a few
# hundred (a few ten thousand with Python loops over a network's weights); counting costs
# about 1 µs an instruction natively and a few in the browser, so a "while True:" stops
# with its line in about a second there, well before the page's watchdog (CODE_SILENCE_MS
# in web/api.js) would have to kill the worker.
MAX_OPS_PER_CALL = 250_000
MAX_OPS_PER_RUN = 5_000_000  # all calls of one run together: a second or two natively
MAX_HYPER = 12  # keyword arguments of update
HYPER_BOUND = 1e6  # |a hyper-parameter| of learner code, given in a spec

# Whether the caller has opted in to running learner code (api.run(spec, allow_code=True)).
ALLOWED: contextvars.ContextVar = contextvars.ContextVar("descentlab_allow_code", default=False)


@contextlib.contextmanager
def allowed(flag: bool):
    """Within the block, specs may carry learner code when ``flag`` is true."""
    token = ALLOWED.set(bool(flag))
    try:
        yield
    finally:
        ALLOWED.reset(token)


class LearnerError(Exception):
    """The learner's code failed: ``line`` (1-based, in their code, or None) and ``message``."""

    def __init__(self, line, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


class ImportRefused(ImportError):
    """Learner code imported a module it may not use (see :data:`REFUSED_MODULES`)."""


class LearnerTimeout(BaseException):
    """The line budget ran out.  A BaseException, so a learner's ``except Exception`` cannot swallow it."""


class LearnerOptimizer(NamedTuple):
    """Compiled learner code: ``init``, ``update`` (budgeted) and ``update``'s defaults.

    A second-order optimizer (a copy of Sophia) takes ``hessian`` after ``params``
    (``takes_hessian``) and may say when it wants one (``wants_hessian(state, ...)``,
    budgeted, or None: every step); ``choices`` are ``update``'s text defaults (Sophia's
    ``hessian_distribution``): fixed by the code, not hyper-parameters of the entry.
    """

    init: object
    update: object
    defaults: dict
    source: str
    takes_hessian: bool = False
    wants_hessian: object = None
    choices: dict = {}
    probe: object = None


# Modules learner code may not import: the way out to the page (js, pyodide), to files,
# processes, sockets and the interpreter's insides.  Everything else of the standard library
# (math, itertools, functools, collections, typing, ...) imports as usual.  This is a
# courtesy with a clear message, not the wall: Python offers other ways to reach a loaded
# module, so in the browser the code worker also removes the network and storage from its
# JavaScript global scope before any learner code runs (web/worker.js, lockDown).
REFUSED_MODULES = frozenset({
    "js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "pyodide_http", "micropip",
    "os", "posix", "subprocess", "socket", "_socket", "ssl", "select", "urllib", "http",
    "ctypes", "_ctypes", "sys", "importlib", "builtins", "io", "_io", "pathlib", "shutil",
    "tempfile", "threading", "_thread", "multiprocessing", "signal", "asyncio", "gc",
    "inspect", "runpy", "code", "webbrowser", "pickle", "marshal",
})
REFUSED_BUILTINS = ("open", "exec", "eval", "compile", "breakpoint", "input", "help")


def _refusing_import(name, globals=None, locals=None, fromlist=(), level=0):
    """``__import__`` for learner code: refuses :data:`REFUSED_MODULES` (and relative imports)."""
    root = str(name).partition(".")[0]
    if level or root in REFUSED_MODULES:
        shown = "." * level + str(name or "") if level else root
        raise ImportRefused(f"import {shown} is not available in your code:"
                            " it runs without network or page access")
    return builtins.__import__(name, globals, locals, fromlist, level)


def _refused(name: str):
    def refuse(*args, **kwargs):
        raise ImportRefused(f"{name}() is not available in your code: it runs without files,"
                            " network or page access")
    refuse.__name__ = name
    return refuse


def _learner_builtins() -> dict:
    """Python's builtins, with imports checked and the ways to files and fresh code removed.

    (``exec``/``eval`` with a fresh dict of globals would get the unchecked builtins back.)
    """
    out = dict(vars(builtins))
    out["__import__"] = _refusing_import
    for name in REFUSED_BUILTINS:
        out[name] = _refused(name)
    return out


def namespace() -> dict:
    """What learner code can use without importing it, and the builtins it runs with."""
    return {"np": np, "K": K, "NamedTuple": NamedTuple, "bias_correction": bias_correction,
            "__name__": "learner", "__builtins__": _learner_builtins()}


def compile_optimizer(source) -> LearnerOptimizer:
    """Compile learner code and check its shape (not yet its numbers).

    Raises
    ------
    LearnerError
        A syntax error (with its line), code too long, a missing or malformed
        ``init``/``update``, or an error while the module body runs.
    """
    if not isinstance(source, str):
        raise LearnerError(None, "the code must be text")
    if len(source) > MAX_CODE_CHARS:
        raise LearnerError(None, f"the code is {len(source):,} characters long; at most {MAX_CODE_CHARS:,}"
                                 " (an optimizer fits in a page)")
    try:
        tree = ast.parse(source, FILENAME)
    except SyntaxError as e:
        raise LearnerError(e.lineno, f"SyntaxError: {e.msg}") from None
    env = namespace()
    _budgeted(lambda: exec(compile(tree, FILENAME, "exec"), env), "running the module")
    for name in ("init", "update"):
        if not callable(env.get(name)):
            raise LearnerError(None, f"define a function {name}(...) at module level")
    init, update, wants, probe = env["init"], env["update"], env.get("wants_hessian"), env.get("probe")
    defaults, choices = _hyper_defaults(update, ("grads", "state", "params"))
    takes_hessian = HESSIAN in list(inspect.signature(update).parameters)[3:]
    if wants is not None and not callable(wants):
        raise LearnerError(None, "wants_hessian must be a function wants_hessian(state, ...)")
    if probe is not None:
        if not callable(probe):
            raise LearnerError(None, "probe must be a function probe(grads, params, ...) returning the offset ε")
        line = getattr(getattr(probe, "__code__", None), "co_firstlineno", None)
        if takes_hessian:
            raise LearnerError(line, "an optimizer takes either a probe point (SAM) or a Hessian (Sophia), not both")
        more, more_choices = _hyper_defaults(probe, ("grads", "params"))
        defaults, choices = {**more, **defaults}, {**more_choices, **choices}
        if len(defaults) + len(choices) > MAX_HYPER:
            raise LearnerError(line, f"update and probe have {len(defaults) + len(choices)} hyper-parameters"
                                     f" together; at most {MAX_HYPER}")
    spent = [0]  # bytecode steps of this compiled code so far, across calls (a run's budget)
    update_takes, probe_takes = keywords(update, 3), keywords(probe, 2) if probe is not None else set()
    return LearnerOptimizer(
        init=lambda params, capture=None, **blocks: _budgeted(lambda: init(params, **blocks), "init", capture, spent),
        # positional-only: a hyper-parameter may be called p (Sophia's clip)
        update=lambda g, s, x, /, capture=None, **h: _budgeted(
            lambda: update(g, s, x, **named(update_takes, h)), "update", capture, spent),
        defaults=defaults, source=source, takes_hessian=takes_hessian,
        wants_hessian=None if wants is None or not takes_hessian else _budgeted_wants(wants, spent),
        choices=choices,
        probe=None if probe is None else lambda g, x, /, capture=None, **h: _budgeted(
            lambda: probe(g, x, **named(probe_takes, h)), "probe", capture, spent))


def keywords(fn, positional: int) -> set:
    """The names of ``fn``'s parameters after its first ``positional`` ones."""
    return set(list(inspect.signature(fn).parameters)[positional:])


def named(names: set, hyper: dict) -> dict:
    """The hyper-parameters among ``names``: each of the learner's functions (``update``, ``probe``,
    ``wants_hessian``) is given the ones it names (:func:`keywords`)."""
    return {k: v for k, v in hyper.items() if k in names}


def _budgeted_wants(wants, spent: list):
    """``wants_hessian(state, **hyper)`` under the run's budget, given the hyper-parameters it names."""
    names = keywords(wants, 1)

    def call(state, hyper: dict) -> bool:
        return bool(_budgeted(lambda: wants(state, **named(names, hyper)), "wants_hessian", None, spent))

    return call


HESSIAN = "hessian"  # update(grads, state, params, hessian, ...): the loop gives diag(∇²f) estimates


def _hyper_defaults(fn, first: tuple) -> tuple[dict, dict]:
    """The keyword defaults of ``fn(<first>, **hyper)`` (``update`` or ``probe``), checked: ``(numbers, texts)``.

    A ``hessian`` parameter is the loop's, not a hyper-parameter; a text default (a
    choice, e.g. ``hessian_distribution="gaussian"``) is fixed by the code.
    """
    line, n, name = getattr(getattr(fn, "__code__", None), "co_firstlineno", None), len(first), fn.__name__
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        raise LearnerError(line, f"{name} must be a function defined with def") from None
    if len(params) < n or any(p.default is not inspect.Parameter.empty for p in params[:n]):
        raise LearnerError(line, f"{name} must take ({', '.join(first)}, ...) first, without defaults")
    hyper = [p for p in params[n:] if p.name != HESSIAN or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if len(hyper) > MAX_HYPER:
        raise LearnerError(line, f"{name} has {len(hyper)} hyper-parameters; at most {MAX_HYPER}")
    out, texts = {}, {}
    for p in hyper:
        if p.default is inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise LearnerError(line, f"hyper-parameter {p.name!r} needs a default, e.g. {p.name}=0.01")
        d = p.default
        if isinstance(d, bool) or (isinstance(d, (int, float)) and np.isfinite(d)):
            out[p.name] = d
        elif isinstance(d, str):
            texts[p.name] = d
        else:
            raise LearnerError(line, f"the default of {p.name!r} must be a finite number, True/False or a text")
    return out, texts


def _budgeted(call, what: str, capture: dict | None = None, spent: list | None = None):
    """Run ``call()`` with a budget of bytecode steps on learner frames; map its errors to the learner's lines.

    With ``capture``, the locals of every learner function are copied into it when
    that function returns (an exercise compares them with the reference's).
    """
    counter = [0]
    left = MAX_OPS_PER_RUN - (spent[0] if spent else 0)
    limit = min(MAX_OPS_PER_CALL, left)

    def local(frame, event, arg):
        if event == "opcode":
            counter[0] += 1
            if counter[0] > limit:
                raise LearnerTimeout(frame.f_lineno, limit < MAX_OPS_PER_CALL)
        elif event == "return" and capture is not None:
            capture.update(frame.f_locals)
        return local

    def global_(frame, event, arg):
        if frame.f_code.co_filename != FILENAME:
            return None
        # count instructions, not lines: "while True: pass" on one line raises no line events
        frame.f_trace_opcodes, frame.f_trace_lines = True, False
        return local

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        return call()
    except LearnerError:
        raise
    except ImportRefused as e:
        raise LearnerError(_learner_line(e.__traceback__), str(e)) from None
    except LearnerTimeout as stop:
        if stop.args[1]:
            raise LearnerError(stop.args[0], f"your code ran more than {MAX_OPS_PER_RUN:,} steps in this run:"
                                             " use fewer steps, or simpler code") from None
        raise LearnerError(stop.args[0], f"{what} ran more than {MAX_OPS_PER_CALL:,} steps of your code:"
                                         " is there an endless loop?") from None
    except RecursionError:
        raise LearnerError(_learner_line(sys.exc_info()[2]), f"{what} recursed too deeply") from None
    except Exception as e:  # noqa: BLE001 - any error of learner code becomes a message
        raise LearnerError(_learner_line(e.__traceback__), f"{type(e).__name__}: {e}") from None
    finally:
        sys.settrace(previous)
        if spent is not None:
            spent[0] += counter[0]


def _learner_line(tb):
    """The last line of the learner's code in a traceback, or None."""
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == FILENAME:
            line = lineno
    return line


def check_state(state, params, line=None) -> None:
    """A state must be a NamedTuple, a tuple or a dict of arrays and numbers."""
    values = state.values() if isinstance(state, dict) else state if isinstance(state, tuple) else None
    if values is None:
        raise LearnerError(line, "the state must be a NamedTuple, a tuple or a dict of arrays and numbers,"
                                 f" got {type(state).__name__}")
    for v in values:
        if not (isinstance(v, (int, float, np.ndarray, np.floating, np.integer)) and not isinstance(v, bool)):
            raise LearnerError(line, "every entry of the state must be an array or a number,"
                                     f" got {type(v).__name__}")


def step(opt: LearnerOptimizer, grads, state, params, hyper: dict, t: int, **more):
    """One checked step of learner code: ``(updates, new_state)`` shaped like ``params``
    (``more``: ``hessian=`` for an update that takes it)."""
    out = opt.update(grads, state, params, **hyper, **more)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise LearnerError(None, f"update must return (updates, new_state); at step {t} it returned"
                                 f" {type(out).__name__}")
    updates, new_state = out
    shape = np.shape(params)
    if np.shape(updates) != shape:
        raise LearnerError(None, f"updates must have the shape of params {shape}; at step {t} they have"
                                 f" {np.shape(updates)}")
    check_state(new_state, params)
    return updates, new_state


def optimizer(entry: dict, field: str):
    """An ``Optimizer(init, update)`` running a validated ``custom`` entry's code, its hyper-parameters bound.

    Every step is checked (``step``); a failure becomes a ``SpecError`` naming ``field``
    (``optimizers[i].code``) with the learner's line and message.
    """
    from .errors import SpecError
    from .optimizers import Optimizer

    code = compile_optimizer(entry["code"])
    hyper = entry["params"]
    t = [0]

    # a network passes its layers' blocks to an init that takes them, as it does the built-in's
    takes_blocks = any(isinstance(node, ast.FunctionDef) and node.name == "init"
                       and "blocks" in [a.arg for a in node.args.args + node.args.kwonlyargs]
                       for node in ast.parse(entry["code"]).body)

    def init(params, blocks=None):
        try:
            state = code.init(params, **({"blocks": blocks} if takes_blocks and blocks is not None else {}))
            check_state(state, params)
            return state
        except LearnerError as e:
            raise SpecError(field, f"init: {e}") from None

    def update(grads, state, params, hessian=None):
        t[0] += 1
        more = {HESSIAN: hessian} if code.takes_hessian else {}
        try:
            return step(code, grads, state, params, hyper, t[0], **more)
        except LearnerError as e:
            raise SpecError(field, f"update at step {t[0]}: {e}") from None

    if code.probe is not None:
        return _probing_optimizer(code, init, update, hyper, field, t)
    if not code.takes_hessian:
        return Optimizer(init, lambda grads, state, params: update(grads, state, params))
    return _hessian_optimizer(code, init, update, hyper, field, t)


def _probing_optimizer(code: LearnerOptimizer, init, update, hyper: dict, field: str, t: list):
    """A ``ProbingOptimizer`` of learner code that defines ``probe``: the loop steps with the
    gradient at ``params + probe(grads, params)``, as it does for SAM."""
    from .errors import SpecError
    from .optimizers.base import ProbingOptimizer

    def probe(grads, params):
        shape = np.shape(params)
        try:
            out = code.probe(grads, params, **hyper)
        except LearnerError as e:
            raise SpecError(field, f"probe at step {t[0] + 1}: {e}") from None
        try:
            offset = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            offset = None
        if offset is None or offset.shape != shape:
            got = f"shape {offset.shape}" if offset is not None else type(out).__name__
            raise SpecError(field, f"probe at step {t[0] + 1}: must return the offset ε, an array shaped like"
                                   f" params {shape}; got {got}")
        return offset

    return ProbingOptimizer(init, lambda grads, state, params: update(grads, state, params), probe)


def _hessian_optimizer(code: LearnerOptimizer, init, update, hyper: dict, field: str, t: list):
    """A ``HessianOptimizer`` of learner code whose ``update`` takes ``hessian``: the loop asks the
    learner's ``wants_hessian`` (every step without one) and estimates with Sophia's Hutchinson,
    ``num_samples`` / ``hessian_distribution`` the learner's when ``update`` declares them."""
    from .errors import SpecError
    from .optimizers.base import HessianOptimizer
    from .optimizers import sophia

    def wants(state) -> bool:
        if code.wants_hessian is None:
            return True
        try:
            return code.wants_hessian(state, hyper)
        except LearnerError as e:
            raise SpecError(field, f"wants_hessian before step {t[0] + 1}: {e}") from None

    options = {k: v for k, v in {**hyper, **code.choices}.items() if k in ("num_samples", "hessian_distribution")}
    lo, hi = sophia.RANGES["num_samples"][:2]
    if "num_samples" in options:
        n = options["num_samples"]
        if isinstance(n, bool) or n != int(n) or not lo <= n <= hi:
            raise SpecError(f"{field}: num_samples", f"must be a whole number from {lo} to {hi}, got {n}")
        options["num_samples"] = int(n)
    if options.get("hessian_distribution", sophia.DISTRIBUTIONS[0]) not in sophia.DISTRIBUTIONS:
        raise SpecError(f"{field}: hessian_distribution", f"must be one of {', '.join(sophia.DISTRIBUTIONS)},"
                                                          f" got {options['hessian_distribution']!r}")

    def hutchinson(hvp, size, rng):
        return sophia.hutchinson(hvp, size, rng, **options)

    return HessianOptimizer(init, update, wants, hutchinson)
