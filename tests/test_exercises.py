"""Exercises: the learner's optimizer checked against Descent Lab's own, with the first difference named."""

from __future__ import annotations

import pytest

import descentlab
from descentlab import exercises as E
from descentlab import learner

# a correct answer for every exercise: each TODO of the skeleton replaced
ANSWERS = {
    "sgd": {"g = grads  # TODO: add the L2 term λθ (weight_decay * params)": "g = grads + weight_decay * params",
            "updates = ...  # TODO: a step against the gradient, of size lr": "updates = -lr * g"},
    "momentum": {"b = ...  # TODO: PyTorch starts the buffer at the first gradient": "b = g",
                 "b = ...  # TODO: keep a fraction momentum of the old buffer, add g":
                     "b = momentum * state.momentum_buffer + g",
                 "updates = ...  # TODO: step along the buffer": "updates = -lr * b"},
    "nesterov": {"b = g if state.step == 0 else ...  # TODO: the momentum buffer":
                     "b = g if state.step == 0 else momentum * state.momentum_buffer + g",
                 "updates = ...  # TODO: look ahead: step along g + momentum * b": "updates = -lr * (g + momentum * b)"},
    "adagrad": {"sum_sq = ...  # TODO: add the squared gradient to the running sum": "sum_sq = state.sum_sq + g * g",
                "updates = ...  # TODO: divide the step by √G_t + ε": "updates = -lr * g / (np.sqrt(sum_sq) + eps)"},
    "rmsprop": {"v = ...  # TODO: running average of g², weight alpha on the old value":
                    "v = alpha * state.square_avg + (1 - alpha) * g * g",
                "updates = ...  # TODO: normalise the step by √v + ε": "updates = -lr * g / (K.sqrt(v) + eps)"},
    "adam": {"m = ...  # TODO: running mean of g": "m = beta1 * state.m + (1 - beta1) * g",
             "v = ...  # TODO: running mean of g²": "v = beta2 * state.v + (1 - beta2) * g ** 2",
             "m_hat = ...  # TODO: undo the zero start of m": "m_hat = m / (1 - beta1 ** t)",
             "v_hat = ...  # TODO: undo the zero start of v": "v_hat = v / (1 - beta2 ** t)",
             "updates = ...  # TODO": "updates = -lr * m_hat / (np.sqrt(v_hat) + eps)"},
    "adamw": {"updates = ...  # TODO: shrink the weights directly": "updates = updates - lr * weight_decay * params"},
}


def answer(exercise_id, **changes):
    code = E.EXERCISES[exercise_id].skeleton
    for todo, line in ANSWERS[exercise_id].items():
        assert todo in code, (exercise_id, todo)
        code = code.replace(todo, changes.get(todo, line))
    return code


def test_list_has_the_course_order_and_one_source_equations():
    items = descentlab.exercises.list()
    assert [e["id"] for e in items] == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
    for e in items:
        assert e["equations"] == descentlab.optimizers.REGISTRY[e["reference"]].equations.splitlines()
        assert "# TODO" in e["skeleton"] and e["hints"] and e["why"]


@pytest.mark.parametrize("exercise_id", list(ANSWERS))
def test_a_correct_answer_passes(exercise_id):
    assert descentlab.exercises.check(exercise_id, answer(exercise_id)) == {
        "passed": True, "step": None, "quantity": None, "expected": None, "got": None, "hint": None}


@pytest.mark.parametrize("exercise_id", list(ANSWERS))
def test_the_bare_skeleton_points_at_its_first_todo(exercise_id):
    out = E.check(exercise_id, E.EXERCISES[exercise_id].skeleton)
    assert not out["passed"] and "replace ..." in out["hint"] and out["hint"].startswith("line ")


@pytest.mark.parametrize("exercise_id, todo, wrong, step, quantity, hint", [
    ("adam", "m_hat = ...  # TODO: undo the zero start of m", "m_hat = m", 1, "m_hat[0]", "1 − β₁ᵗ"),
    ("adam", "v = ...  # TODO: running mean of g²", "v = beta2 * state.v + (1 - beta2) * g", 1, "v[0]", "square"),
    ("momentum", "b = ...  # TODO: PyTorch starts the buffer at the first gradient", "b = (1 - momentum) * g", 1,
     "b[0]", "b_1 = g_1"),
    ("momentum", "b = ...  # TODO: keep a fraction momentum of the old buffer, add g",
     "b = momentum * state.momentum_buffer + (1 - momentum) * g", 2, "b[0]", "momentum * b_{t−1} + g_t"),
    ("adagrad", "sum_sq = ...  # TODO: add the squared gradient to the running sum", "sum_sq = state.sum_sq + g",
     1, "sum_sq[0]", "g * g"),
    ("rmsprop", "v = ...  # TODO: running average of g², weight alpha on the old value",
     "v = (1 - alpha) * state.square_avg + alpha * g * g", 1, "v[0]", "alpha on the old value"),
    ("adamw", "updates = ...  # TODO: shrink the weights directly", "updates = updates - weight_decay * params", 1,
     "updates[0]", "-lr * weight_decay * params"),
    ("sgd", "updates = ...  # TODO: a step against the gradient, of size lr", "updates = lr * g", 1, "updates[0]",
     "-lr"),
])
def test_a_usual_mistake_is_named_with_its_hint(exercise_id, todo, wrong, step, quantity, hint):
    out = E.check(exercise_id, answer(exercise_id, **{todo: wrong}))
    assert not out["passed"]
    assert out["step"] == step and out["quantity"] == quantity, out
    assert isinstance(out["expected"], float) and isinstance(out["got"], float) and out["expected"] != out["got"]
    assert hint in out["hint"]


def test_the_sgd_check_sees_weight_decay():
    out = E.check("sgd", answer("sgd", **{"g = grads  # TODO: add the L2 term λθ (weight_decay * params)":
                                          "g = grads"}))
    assert not out["passed"] and out["quantity"] == "g[0]" and "weight_decay" in out["hint"]


@pytest.mark.parametrize("source, words", [
    ("def update(:\n", ["line 1", "SyntaxError"]),
    ("x = 1\n", ["define a function init"]),
    ("def init(params):\n    return 1\n\ndef update(grads, state, params, lr=0.1, weight_decay=0.0):\n    return grads, state\n",
     ["the state must be"]),
    ("def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.1, weight_decay=0.0):\n    return grads\n",
     ["must return (updates, new_state)"]),
    ("def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.1, weight_decay=0.0):\n    return grads[:1], state\n",
     ["shape"]),
    ("def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.1, weight_decay=0.0):\n    while True: pass\n",
     ["line 5", "endless loop"]),
    ("def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.1, weight_decay=0.0):\n    return 1 / 0, state\n",
     ["line 5", "ZeroDivisionError"]),
    ("def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr, weight_decay=0.0):\n"
     "    return grads, state\n",
     ["needs a default"]),
    ("# " + "x" * 1_000_000, ["characters long"]),
    ("def init(params):\n    return (0,)\n\ndef update(grads, state, params, lr=0.1):\n"
     "    return -lr * grads, state\n", ["the hyper-parameter"]),
])
def test_bad_code_gets_a_clear_message(source, words):
    out = E.check("sgd", source)
    assert not out["passed"], out
    for word in words:
        assert word in out["hint"], (word, out["hint"])


def test_non_finite_updates_are_named():
    code = answer("sgd", **{"updates = ...  # TODO: a step against the gradient, of size lr": "updates = g / 0.0"})
    out = E.check("sgd", code)
    assert not out["passed"] and out["quantity"].startswith("updates") and out["step"] == 1


def test_an_endless_loop_in_init_or_the_module_body_stops():
    with pytest.raises(learner.LearnerError, match="endless loop"):
        learner.compile_optimizer("while True:\n    pass\n")
    code = learner.compile_optimizer("def init(p):\n    while 1: pass\n\ndef update(g, s, p, lr=1.0):\n    return g, s\n")
    with pytest.raises(learner.LearnerError, match="line 2"):
        code.init(1.0)


def test_unknown_exercise():
    with pytest.raises(KeyError):
        E.check("lamb", "")
