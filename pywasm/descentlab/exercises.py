"""Guided exercises: write an optimizer, and a check compares it with Descent Lab's own, step by step.

The order is the one a course teaches: SGD, momentum (PyTorch's form), Nesterov,
AdaGrad, RMSprop, Adam with bias correction, AdamW's decoupled decay.  Each
exercise has the equations (read from the reference optimizer's module, the one
source), a skeleton with ``# TODO`` lines, hints to reveal one at a time, and a
table of common mistakes keyed by the quantity that first goes wrong.

``check(exercise_id, source)`` runs the learner's ``update`` beside the
reference on the same gradients and parameters (several random sequences,
shapes (2,) and (3, 4), a zero gradient, the first step) and reports the first
difference, named after the reference's own variables: the learner's locals
with the same names are compared in the order the reference computes them,
then the updates and the new state.
"""

from __future__ import annotations

import ast
import builtins
from typing import NamedTuple

import numpy as np

from . import learner, optimizers
from .optimizers import REGISTRY
from .optimizers.base import capture

RTOL = 1e-9  # learner code may use NumPy's own sqrt or reorder a sum: compare values, not bits
ATOL = 1e-12
STEPS = 6
SHAPES = ((2,), (3, 4))
SEEDS = (0, 1, 2)

_STATE = '''class State(NamedTuple):
    step: int
{fields}


def init(params):
    return State(step=0, {zeros})
'''


class Exercise(NamedTuple):
    id: str
    title: str
    reference: str  # registry name of the optimizer that checks it
    hyper: dict  # hyper-parameters the check uses (the learner's defaults are overridden)
    skeleton: str
    fields: tuple  # the state's fields besides step: the ones the check compares
    hints: tuple
    mistakes: dict  # quantity -> a question pointing at the usual mistake; the check compares these, in order


def _skeleton(fields: dict, signature: str, body: str) -> tuple:
    """The skeleton's text and its state's fields (``fields``: name -> what it holds)."""
    state = _STATE.format(fields="\n".join(f"    {k}: np.ndarray  # {v}" for k, v in fields.items()),
                          zeros=", ".join(f"{k}=K.zeros_like(params)" for k in fields) or "")
    state = state.replace("State(step=0, )", "State(step=0)")
    return f"{state}\n\ndef update(grads, state, params, {signature}):\n{body}", tuple(fields)


EXERCISES = {e.id: e for e in [
    Exercise("sgd", "SGD", "sgd", {"lr": 0.1, "weight_decay": 0.1},
             *_skeleton({}, "lr=0.01, weight_decay=0.0",
                       "    g = grads  # TODO: add the L2 term λθ (weight_decay * params)\n"
                       "    updates = ...  # TODO: a step against the gradient, of size lr\n"
                       "    return updates, State(state.step + 1)\n"),
             ("The update is added to the parameters, so it points against the gradient.",
              "updates = -lr * g"),
             {"g": "is the gradient grads + weight_decay * params?",
              "updates": "did you multiply by -lr (minus: downhill)?"}),
    Exercise("momentum", "SGD with momentum (PyTorch's form)", "momentum", {"lr": 0.05, "momentum": 0.9},
             *_skeleton({"momentum_buffer": "b_t"}, "lr=0.01, momentum=0.9",
                       "    g = grads\n"
                       "    if state.step == 0:\n"
                       "        b = ...  # TODO: PyTorch starts the buffer at the first gradient\n"
                       "    else:\n"
                       "        b = ...  # TODO: keep a fraction momentum of the old buffer, add g\n"
                       "    updates = ...  # TODO: step along the buffer\n"
                       "    return updates, State(state.step + 1, b)\n"),
             ("b_1 = g_1: the first step is plain SGD.", "b_t = μ b_{t−1} + g_t (no 1 − μ factor in PyTorch).",
              "updates = -lr * b"),
             {"b": "is b_t = momentum * b_{t−1} + g_t, with b_1 = g_1?",
              "momentum_buffer": "does the state keep the new buffer b_t?",
              "updates": "does the step follow the buffer, -lr * b?"}),
    Exercise("nesterov", "Nesterov momentum", "nesterov", {"lr": 0.05, "momentum": 0.9},
             *_skeleton({"momentum_buffer": "b_t"}, "lr=0.01, momentum=0.9",
                       "    g = grads\n"
                       "    b = g if state.step == 0 else ...  # TODO: the momentum buffer\n"
                       "    updates = ...  # TODO: look ahead: step along g + momentum * b\n"
                       "    return updates, State(state.step + 1, b)\n"),
             ("The buffer is the same as heavy-ball momentum.", "The step looks ahead: -lr * (g + momentum * b)."),
             {"b": "is the buffer momentum * b + g, as for heavy-ball momentum?",
              "updates": "is the step -lr * (g + momentum * b)?"}),
    Exercise("adagrad", "AdaGrad", "adagrad", {"lr": 0.1, "eps": 1e-10},
             *_skeleton({"sum_sq": "G_t, the sum of squared gradients"}, "lr=0.01, eps=1e-10",
                       "    g = grads\n"
                       "    sum_sq = ...  # TODO: add the squared gradient to the running sum\n"
                       "    updates = ...  # TODO: divide the step by √G_t + ε\n"
                       "    return updates, State(state.step + 1, sum_sq)\n"),
             ("G_t = G_{t−1} + g_t², elementwise.", "updates = -lr * g / (K.sqrt(sum_sq) + eps)"),
             {"sum_sq": "do you add g * g (the square, not g)?",
              "updates": "is ε added after the square root: √G + ε?"}),
    Exercise("rmsprop", "RMSprop", "rmsprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-8},
             *_skeleton({"square_avg": "v_t, the running mean of g²"}, "lr=0.01, alpha=0.99, eps=1e-8",
                       "    g = grads\n"
                       "    v = ...  # TODO: running average of g², weight alpha on the old value\n"
                       "    updates = ...  # TODO: normalise the step by √v + ε\n"
                       "    return updates, State(state.step + 1, v)\n"),
             ("v_t = α v_{t−1} + (1 − α) g_t²", "updates = -lr * g / (K.sqrt(v) + eps)"),
             {"v": "is it alpha * v + (1 - alpha) * g * g (alpha on the old value)?",
              "square_avg": "does the state keep v_t?",
              "updates": "is ε added after the square root: √v + ε?"}),
    Exercise("adam", "Adam with bias correction", "adam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999},
             *_skeleton({"m": "m_t, first moment", "v": "v_t, second moment", "v_max": "unused here"},
                       "lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8",
                       "    t = state.step + 1\n"
                       "    g = grads\n"
                       "    m = ...  # TODO: running mean of g\n"
                       "    v = ...  # TODO: running mean of g²\n"
                       "    m_hat = ...  # TODO: undo the zero start of m\n"
                       "    v_hat = ...  # TODO: undo the zero start of v\n"
                       "    updates = ...  # TODO\n"
                       "    return updates, State(t, m, v, state.v_max)\n"),
             ("m_t = β₁ m_{t−1} + (1 − β₁) g_t and v_t = β₂ v_{t−1} + (1 − β₂) g_t²",
              "m̂_t = m_t / (1 − β₁ᵗ): bias_correction(beta1, t) computes 1 − β₁ᵗ",
              "updates = -lr * m_hat / (K.sqrt(v_hat) + eps)"),
             {"t": "the step count starts at 1: t = state.step + 1",
              "m": "is m = beta1 * m + (1 - beta1) * g?",
              "v": "is v = beta2 * v + (1 - beta2) * g * g (the square)?",
              "m_hat": "did you divide by 1 − β₁ᵗ?",
              "v_hat": "did you divide by 1 − β₂ᵗ?",
              "updates": "is ε added after the square root of v̂?"}),
    Exercise("adamw", "AdamW: decoupled weight decay", "adamw",
             {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "weight_decay": 0.1},
             *_skeleton({"m": "m_t", "v": "v_t", "v_max": "unused here"},
                       "lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01",
                       "    t = state.step + 1\n"
                       "    g = grads  # decoupled: the decay does NOT enter the gradient\n"
                       "    m = beta1 * state.m + (1.0 - beta1) * g\n"
                       "    v = beta2 * state.v + (1.0 - beta2) * g * g\n"
                       "    m_hat = m / bias_correction(beta1, t)\n"
                       "    v_hat = v / bias_correction(beta2, t)\n"
                       "    updates = -lr * m_hat / (K.sqrt(v_hat) + eps)\n"
                       "    updates = ...  # TODO: shrink the weights directly\n"
                       "    return updates, State(t, m, v, state.v_max)\n"),
             ("Adam's step is unchanged; the decay is a separate term.", "updates = updates - lr * weight_decay * params"),
             {"g": "the decay must not be added to the gradient in AdamW",
              "updates": "is the decay term -lr * weight_decay * params?"}),
]}


#: Why each exercise matters, in a sentence or two: shown above its equations.
WHY = {
    "sgd": "Every optimizer below is this step with a better direction or size. Weight decay as an L2 term "
           "in the gradient is how PyTorch's SGD adds it.",
    "momentum": "A heavy ball keeps its speed along a valley's floor and damps the zig-zag across it. "
                "PyTorch's form adds the gradient to the buffer unscaled, so lr means something else than in the EMA form.",
    "nesterov": "Looking ahead along the buffer corrects the step before it overshoots: the same buffer as momentum, "
                "a different step.",
    "adagrad": "Each coordinate gets its own step size, large where gradients were small: the first adaptive method, "
               "and why its steps shrink for ever.",
    "rmsprop": "A running average instead of AdaGrad's sum lets the step size recover: the normalisation Adam builds on.",
    "adam": "Momentum plus RMSprop's normalisation. Without bias correction the first steps are far too small, "
            "because both averages start at zero.",
    "adamw": "With Adam, an L2 term in the gradient is divided by √v̂ and barely decays large weights. "
             "AdamW shrinks the weights directly, which is what most transformers are trained with.",
}


def list() -> list:  # noqa: A001 - the public name the issue asks for: descentlab.exercises.list()
    """Every exercise, in the order a course teaches them, with its equations, skeleton and hints."""
    return [{"id": e.id, "title": e.title, "why": WHY[e.id], "reference": e.reference,
             "equations": REGISTRY[e.reference].equations.splitlines(), "skeleton": e.skeleton,
             "hints": builtins.list(e.hints), "hyper": dict(e.hyper)} for e in EXERCISES.values()]


def _verdict(passed, step=None, quantity=None, expected=None, got=None, hint=None) -> dict:
    return {"passed": passed, "step": step, "quantity": quantity, "expected": expected, "got": got, "hint": hint}


def _as_dict(state) -> dict:
    if isinstance(state, dict):
        return state
    if hasattr(state, "_fields"):
        return dict(zip(state._fields, state))
    return {str(i): v for i, v in enumerate(state)}


def _first_difference(expected, got):
    """``None`` when close, else ``(index, expected_value, got_value)`` of the first mismatch."""
    e = np.asarray(expected, dtype=np.float64)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return (), float(e.ravel()[0]) if e.size else None, repr(got)
    if g.shape != e.shape:
        g = np.broadcast_to(g, e.shape) if g.size == 1 else None
        if g is None:
            return (), f"shape {e.shape}", f"shape {np.shape(got)}"
    close = np.abs(g - e) <= ATOL + RTOL * np.abs(e)
    bad = ~close & ~((g != g) & (e != e))  # NaN where NaN is expected counts as equal
    if not bad.any():
        return None
    flat = int(np.flatnonzero(bad.ravel())[0])
    index = []
    for size in reversed(e.shape):  # the flat position as a row-major index
        flat, i = divmod(flat, size)
        index.insert(0, i)
    index = tuple(index)
    return index, float(e[index]), float(g[index])


def _name(quantity: str, index) -> str:
    return quantity + "".join(f"[{i}]" for i in index) if index != () else quantity


def check(exercise_id, source) -> dict:
    """Check a learner's optimizer against the exercise's reference.

    Returns
    -------
    dict
        ``{"passed", "step", "quantity", "expected", "got", "hint"}``: on the first
        difference, the step (from 1), the quantity (``"m_hat[0]"``), both values
        and a hint from the exercise's table of common mistakes; for code that
        does not run, ``step`` and ``quantity`` are None and ``hint`` says why.
    """
    if exercise_id not in EXERCISES:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {', '.join(EXERCISES)}")
    ex = EXERCISES[exercise_id]
    todo = _todo_line(source)
    if todo is not None:
        return _verdict(False, hint=f"line {todo}: replace ... (a TODO of the skeleton) with your code")
    try:
        code = learner.compile_optimizer(source)
        missing = sorted(set(ex.hyper) - set(code.defaults))
        if missing:
            raise learner.LearnerError(None, f"update needs the hyper-parameter {missing[0]}=... (as in the skeleton)")
        for seed in SEEDS:
            for shape in SHAPES:
                with np.errstate(all="ignore"):  # a wrong answer may divide by zero: the verdict says so
                    verdict = _run_case(ex, code, seed, shape)
                if verdict is not None:
                    return verdict
    except learner.LearnerError as e:
        return _verdict(False, hint=str(e))
    return _verdict(True)


def _todo_line(source):
    """The first line that still holds ``...`` (the skeleton's placeholder), or None."""
    try:
        tree = ast.parse(source) if isinstance(source, str) and len(source) <= learner.MAX_CODE_CHARS else None
    except SyntaxError:
        return None  # compile_optimizer names the syntax error
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            return node.lineno
    return None


def _run_case(ex: Exercise, code, seed: int, shape: tuple):
    rng = np.random.default_rng([seed, len(shape)])
    hyper = {**code.defaults, **ex.hyper}
    reference = optimizers.make(ex.reference, **{k: v for k, v in ex.hyper.items()})
    p = rng.standard_normal(shape)
    ref_state, state = reference.init(p), code.init(p)
    learner.check_state(state, p)
    for t in range(1, STEPS + 1):
        g = np.zeros(shape) if t == 2 and seed == 1 else rng.standard_normal(shape)  # a zero gradient too
        got_locals = {}
        ref_updates, ref_new, ref_locals = capture(reference.update, g, ref_state, p, {})
        out = code.update(g, state, p, capture=got_locals, **hyper)
        if not (isinstance(out, tuple) and len(out) == 2):
            return _verdict(False, t, hint=f"update must return (updates, new_state), got {type(out).__name__}")
        updates, new_state = out
        if np.shape(updates) != np.shape(p):
            return _verdict(False, t, "updates", f"shape {np.shape(p)}", f"shape {np.shape(updates)}",
                            "updates must have the shape of params")
        learner.check_state(new_state, p)
        # the quantities an exercise names (its mistakes table, in the order they are computed), when the
        # learner's code has a variable of that name; then always the updates and the new state
        candidates = [(k, ref_locals[k]) for k in ex.mistakes if k in ref_locals and k in got_locals]
        candidates += [("updates", ref_updates)]
        reference_state = _as_dict(ref_new)
        candidates += [(k, reference_state[k]) for k in ex.fields]
        got_all = {**got_locals, "updates": updates, **_as_dict(new_state)}
        for quantity, expected in candidates:
            if quantity not in got_all:
                return _verdict(False, t, quantity, "a value", "missing",
                                f"the new state needs the field {quantity!r} (as in the skeleton)")
            diff = _first_difference(expected, got_all[quantity])
            if diff is not None:
                index, e, g_val = diff
                return _verdict(False, t, _name(quantity, index), e, g_val, ex.mistakes.get(quantity))
        p, ref_state, state = p + ref_updates, ref_new, new_state
    return None
