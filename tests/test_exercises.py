"""Exercises: the learner's optimizer checked against Descent Lab's own, with the first difference named."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import descentlab
from descentlab import catalog
from descentlab import exercises as E
from descentlab import learner
from descentlab.optimizers import base

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
    "lion": {"c = ...  # TODO: c_t, between the old momentum and the gradient (weight β₁ on m)":
                 "c = beta1 * state.m + (1 - beta1) * grads",
             "updates = ...  # TODO: −η (sign(c_t) + λθ)": "updates = -lr * (np.sign(c) + weight_decay * params)",
             "m = ...  # TODO: the momentum m_t, with β₂ this time": "m = beta2 * state.m + (1 - beta2) * grads"},
    "ademamix": {"m2 = ...  # TODO: the slow momentum, rate β₃": "m2 = beta3 * state.m2 + (1 - beta3) * grads",
                 "step = ...  # TODO: both momenta over √ν̂ + ε, plus the decoupled decay λθ":
                     "step = (m1_hat + alpha * m2) / (np.sqrt(nu_hat) + eps) + weight_decay * params"},
    "adan": {"diff = ...  # TODO: Δ_t = g_t − g_{t−1}, and 0 at the first step (there is no g_0)":
                 "diff = grads - state.g_prev if t > 1 else np.zeros_like(grads)",
             "v = ...  # TODO: running mean of Δ_t, rate β₂": "v = beta2 * state.v + (1 - beta2) * diff",
             "n = ...  # TODO: running mean of the corrected gradient squared, rate β₃":
                 "n = beta3 * state.n + (1 - beta3) * corrected ** 2",
             "updates = ...  # TODO: θ_t = (θ − step) / (1 + λη), written as θ_t − θ":
                 "updates = (params - step) / (1 + lr * weight_decay) - params"},
    "lamb": {"r = ...  # TODO: AdamW's direction: m̂ / (√v̂ + ε) + λθ":
                 "r = (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps) + weight_decay * params",
             "r_norm = ...  # TODO: ‖r‖": "r_norm = np.linalg.norm(r)",
             "trust_ratio = ...  # TODO: ‖θ‖ / ‖r‖, or 1 when either norm is 0":
                 "trust_ratio = p_norm / r_norm if p_norm > 0 and r_norm > 0 else 1.0"},
    "adafactor": {"one_minus_beta2 = ...  # TODO: 1 − β̂₂ₜ = t^c (c = beta2_decay): 1 at the first step":
                      "one_minus_beta2 = t ** beta2_decay",
                  "alpha = ...  # TODO: α_t = max(ε₂, RMS(θ)) ρ_t: a step relative to the weights' size":
                      "alpha = max(eps2, rms(params)) * rho",
                  "row = ...  # TODO: R_t, the running mean (weight 1 − β̂₂ₜ on the new value) of g²'s row means":
                      "row = (1 - one_minus_beta2) * state.row + one_minus_beta2 * (grads ** 2).mean(axis=1)",
                  "col = ...  # TODO: C_t, the same over each column":
                      "col = (1 - one_minus_beta2) * state.col + one_minus_beta2 * (grads ** 2).mean(axis=0)",
                  "updates = ...  # TODO: −α_t U_t / max(1, RMS(U_t)/d), then the decay −ηλθ":
                      "updates = -alpha * u / max(1.0, rms(u) / d) - lr * weight_decay * params"},
    "schedulefree_adamw": {"c = ...  # TODO: c_t, this step's share of all the weights so far": "c = weight / weight_sum",
                           "z = ...  # TODO: z_t, a plain step of size γ_t along ĝ_t": "z = state.z - gamma * g_hat",
                           "x = ...  # TODO: x_t, the average moved towards z_t by c_t": "x = (1 - c) * state.x + c * z",
                           "y = ...  # TODO: y_t, the point between z_t and x_t where the next gradient is taken":
                               "y = (1 - beta1) * z + beta1 * x"},
    "prodigy": {"r = ...  # TODO: √β₂ r_{t−1} + scale ⟨g_t, θ_0 − θ_{t−1}⟩":
                    "r = beta3 * state.r + scale * np.sum(grads * (state.x0 - params))",
                "s = ...  # TODO: √β₂ s_{t−1} + scale g_t": "s = beta3 * state.s + scale * grads",
                "d_hat = ...  # TODO: c r_t / ‖s_t‖₁, the new lower bound on the distance": "d_hat = d_coef * r / s_norm",
                "updates = ...  # TODO: an Adam step of size η d (ε scaled by d), and the decay −λ η d θ":
                    "updates = -d_lr * m / (np.sqrt(v) + d * eps) - weight_decay * d_lr * params"},
    "sam": {"grad_norm = ...  # TODO: ‖g‖ + ε, the 2-norm over all the parameters":
                "grad_norm = np.sqrt(np.sum(g * g)) + perturb_eps",
            "scale = ...  # TODO: ρ / (‖g‖ + ε)": "scale = rho / grad_norm",
            "return ...  # TODO: ε_t, the offset from θ to the probe point: length ρ along g": "return g * scale"},
    "sophia": {"h = ...  # TODO: the running mean of the Hessian estimates (rate β₂); kept as it is when hessian is None":
                   "h = state.h if hessian is None else beta2 * state.h + (1 - beta2) * hessian",
               "ratio = ...  # TODO: m_t / max(h_t, ε): about a Newton step per coordinate":
                   "ratio = m / np.maximum(h, eps)",
               "clipped = ...  # TODO: each coordinate of the ratio clipped into [−p, p]":
                   "clipped = np.clip(ratio, -p, p)"},
    "muon": {"gram = ...  # TODO: A = X Xᵀ": "gram = x @ x.T",
             "x = ...  # TODO: X ← a X + (b A + c A²) X": "x = A * x + (B * gram + C * gram @ gram) @ x",
             "b = ...  # TODO: B_t = μ B_{t−1} + (1 − μ) G_t, from this matrix's part of state.buf":
                 "b = momentum * state.buf[start:start + size].reshape(n, cols) + (1 - momentum) * g",
             "u = ...  # TODO: nesterov: μ B_t + (1 − μ) G_t; else B_t":
                 "u = momentum * b + (1 - momentum) * g if nesterov else b",
             "updates[start:start + size] = ...  # TODO: the decay −ηλW and the orthogonalised step −η s X":
                 "updates[start:start + size] = (-lr * weight_decay * params[start:start + size]"
                 " - lr * scale * x.reshape(-1))"},
}


def answer(exercise_id, **changes):
    code = E.EXERCISES[exercise_id].skeleton
    for todo, line in ANSWERS[exercise_id].items():
        assert todo in code, (exercise_id, todo)
        code = code.replace(todo, changes.get(todo, line))
    return code


def test_list_has_the_course_order_and_one_source_equations():
    items = descentlab.exercises.list()
    assert [e["id"] for e in items] == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw",
                                        "lion", "ademamix", "adan", "lamb", "adafactor", "schedulefree_adamw",
                                        "prodigy", "sam", "sophia", "muon"]
    assert [e["group"] for e in items] == ["classics"] * 7 + ["modern"] * 10
    assert {e["group_title"] for e in items} == {"The classics", "Modern optimizers"}
    for e in items:
        if e["reference"] in descentlab.optimizers.REGISTRY:
            assert e["equations"] == descentlab.optimizers.REGISTRY[e["reference"]].equations.splitlines()
        assert "# TODO" in e["skeleton"] and e["hints"] and e["why"] and e["task"]
        assert set(e["hyper"]) <= set(learner.compile_optimizer(answer(e["id"])).defaults)
    assert set(ANSWERS) == {e["id"] for e in items}


@pytest.mark.parametrize("exercise_id, fn", [("sam", "probe"), ("muon", "update"), ("sophia", "update")])
def test_the_extra_optimizers_equations_come_from_their_module(exercise_id, fn):
    """One source: the docstring of sam.probe, muon.update or sophia.update, as the catalog shows them."""
    module = descentlab.optimizers.EXTRA[exercise_id]
    item = next(e for e in E.list() if e["id"] == exercise_id)
    assert item["equations"] == base._equations(inspect.cleandoc(getattr(module, fn).__doc__), exercise_id).splitlines()
    shown = next(o for o in catalog._extra() if o["name"] == exercise_id)
    assert item["equations"] == shown["equations"].splitlines()
    assert item["equations"][-1].startswith("where ")


def test_the_race_entries():
    items = {e["id"]: e for e in E.list()}
    assert items["adam"]["race"] == {"name": "adam", "params": E.EXERCISES["adam"].hyper}
    assert items["sam"]["race"] == {"name": "sam", "params": {"rho": 0.1, "perturb_eps": 1e-12},
                                    "base": {"name": "sgd", "params": {"lr": 0.05}}}
    assert items["muon"]["race"] == {"name": "muon", "params": E.EXERCISES["muon"].hyper}
    assert items["muon"]["race_view"] == "network" and "network view" in items["muon"]["race_note"]
    assert {e["race_view"] for k, e in items.items() if k != "muon"} == {"landscape"}


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
    # the modern optimizers
    ("lion", "updates = ...  # TODO: −η (sign(c_t) + λθ)", "updates = -lr * (np.sign(state.m) + weight_decay * params)",
     1, "updates[0]", "sign of c_t (not of m)"),
    ("lion", "m = ...  # TODO: the momentum m_t, with β₂ this time", "m = beta1 * state.m + (1 - beta1) * grads",
     1, "m[0]", "with β₂"),
    ("ademamix", "m2 = ...  # TODO: the slow momentum, rate β₃", "m2 = beta1 * state.m2 + (1 - beta1) * grads",
     1, "m2[0]", "with β₃"),
    ("ademamix", "step = ...  # TODO: both momenta over √ν̂ + ε, plus the decoupled decay λθ",
     "step = (m1_hat + alpha * m2 / (1 - beta3 ** t)) / (np.sqrt(nu_hat) + eps) + weight_decay * params",
     1, "step[0]", "not bias-corrected"),
    ("adan", "diff = ...  # TODO: Δ_t = g_t − g_{t−1}, and 0 at the first step (there is no g_0)",
     "diff = grads - state.g_prev", 1, "diff[0]", "0 at the first step"),
    ("lamb", "trust_ratio = ...  # TODO: ‖θ‖ / ‖r‖, or 1 when either norm is 0", "trust_ratio = r_norm / p_norm",
     1, "trust_ratio[0]", "not the other way round"),
    ("lamb", "r = ...  # TODO: AdamW's direction: m̂ / (√v̂ + ε) + λθ",
     "r = (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)", 1, "r[0]", "plus λθ"),
    ("adafactor", "alpha = ...  # TODO: α_t = max(ε₂, RMS(θ)) ρ_t: a step relative to the weights' size",
     "alpha = max(eps2, rms(grads)) * rho", 1, "alpha", "the RMS of the parameters"),
    ("adafactor", "one_minus_beta2 = ...  # TODO: 1 − β̂₂ₜ = t^c (c = beta2_decay): 1 at the first step",
     "one_minus_beta2 = 1 - t ** beta2_decay", 1, "one_minus_beta2", "t^c"),
    ("schedulefree_adamw", "y = ...  # TODO: y_t, the point between z_t and x_t where the next gradient is taken",
     "y = z", 2, "y[0]", "(1 − β₁) z_t + β₁ x_t"),   # c_1 = 1: x_1 = z_1, so step 1 cannot tell
    ("schedulefree_adamw", "c = ...  # TODO: c_t, this step's share of all the weights so far", "c = 1 / t",
     2, "c", "w_t / Σ w_i"),
    ("prodigy", "d_hat = ...  # TODO: c r_t / ‖s_t‖₁, the new lower bound on the distance",
     "d_hat = d_coef * r / np.sqrt(np.sum(s * s))", 2, "d_hat", "1-norm"),   # r_1 = 0: d̂_1 = 0 either way
    ("prodigy", "r = ...  # TODO: √β₂ r_{t−1} + scale ⟨g_t, θ_0 − θ_{t−1}⟩",
     "r = beta3 * state.r + scale * np.sum(grads * (params - state.x0))", 2, "r", "θ₀ − θ, not θ − θ₀"),
    ("sam", "scale = ...  # TODO: ρ / (‖g‖ + ε)", "scale = rho", 1, "scale", "dividing by the norm"),
    ("sam", "grad_norm = ...  # TODO: ‖g‖ + ε, the 2-norm over all the parameters",
     "grad_norm = np.sum(g * g) + perturb_eps", 1, "grad_norm", "√(Σ g²)"),
    ("sam", "return ...  # TODO: ε_t, the offset from θ to the probe point: length ρ along g",
     "return -g * scale", 1, "offset[0]", "uphill"),
    ("sophia", "clipped = ...  # TODO: each coordinate of the ratio clipped into [−p, p]", "clipped = ratio",
     1, "clipped[0]", "clipped into [−p, p]"),
    ("sophia", "ratio = ...  # TODO: m_t / max(h_t, ε): about a Newton step per coordinate", "ratio = m / (h + eps)",
     1, "ratio[0]", "max(h, ε)"),
    ("muon", "u = ...  # TODO: nesterov: μ B_t + (1 − μ) G_t; else B_t", "u = b", 1, "u[0][0]", "nesterov"),
    ("muon", "b = ...  # TODO: B_t = μ B_{t−1} + (1 − μ) G_t, from this matrix's part of state.buf",
     "b = momentum * state.buf[start:start + size].reshape(n, cols) + g", 1, "b[0][0]", "(1 − μ) G_t"),
    ("muon", "x = ...  # TODO: X ← a X + (b A + c A²) X", "x = A * x + (B * gram + C * gram) @ x", 1, "x[0][0]",
     "A = XXᵀ"),
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
        E.check("adamax", "")


def test_sam_without_probe_and_sophia_without_hessian_are_told_what_to_define():
    no_probe = answer("sam").replace("def probe(grads, params", "def probe_point(grads, params")
    out = E.check("sam", no_probe)
    assert not out["passed"] and "define probe(grads, params" in out["hint"]
    no_hessian = answer("sophia").replace("params, hessian, lr=", "params, lr=").replace("hessian", "None")
    out = E.check("sophia", no_hessian)
    assert not out["passed"] and "update must take hessian after params" in out["hint"]


def test_sophia_gets_a_hessian_on_the_steps_the_reference_asks_and_checks_wants_hessian():
    """update_period 3: a Hessian at steps 1 and 4, None at the others; a learner asking at the wrong
    steps is named with wants_hessian and the step."""
    # an update that refuses a Hessian where none is due (and its absence where one is) still passes
    strict = answer("sophia").replace("    t = state.step + 1\n", (
        "    t = state.step + 1\n"
        "    if (hessian is not None) != (t % 3 == 1):\n"
        "        raise ValueError(f'hessian at step {t}: {hessian is not None}')\n"), 1)
    assert strict != answer("sophia") and E.check("sophia", strict)["passed"]
    assert E.EXERCISES["sophia"].hyper["update_period"] == 3
    wrong = answer("sophia").replace("return state.step % update_period == 0", "return state.step % update_period == 1")
    out = E.check("sophia", wrong)
    assert (out["step"], out["quantity"], out["expected"], out["got"]) == (1, "wants_hessian", True, False)
    assert "state.step % update_period == 0" in out["hint"]
    # without wants_hessian the check still feeds a Hessian only where the reference asks: keeping h then passes
    no_wants = answer("sophia").replace("def wants_hessian(state, update_period=10):", "def _unused(state, update_period=10):")
    assert E.check("sophia", no_wants)["passed"]
    # an update that always blends the Hessian in fails where the reference gives None (step 2)
    always = answer("sophia", **{
        "h = ...  # TODO: the running mean of the Hessian estimates (rate β₂); kept as it is when hessian is None":
        "h = beta2 * state.h + (1 - beta2) * hessian"})
    out = E.check("sophia", always)
    assert not out["passed"] and out["step"] is None and "line" in out["hint"] and "TypeError" in out["hint"]


def test_the_check_sees_every_case():
    """The cases the kinds are checked on: a matrix and a vector, and for Muon a wide and a tall hidden matrix
    (Newton–Schulz works on the wide orientation)."""
    assert E.CASES["grads"] == ((2,), (3, 4))
    shapes = [[s for _, s in net if len(s) == 2][:-1] for net in E.NETWORKS]  # Muon's: every matrix but the last
    assert any(r < c for net in shapes for r, c in net) and any(r > c for net in shapes for r, c in net)
    # the scale s = √max(1, A/B) reads torch's shape, outputs × inputs: the stored one, inputs × outputs, is wrong
    code = answer("muon").replace("scale = K.sqrt(max(1.0, cols / n))", "scale = K.sqrt(max(1.0, n / cols))")
    out = E.check("muon", code)
    assert not out["passed"] and out["step"] == 1 and out["quantity"].startswith("updates"), out


def test_the_sam_check_steps_with_the_gradient_at_the_probe_point():
    """A base that ignores its gradient fails; the offset fed to it is ρ long."""
    ex = E.EXERCISES["sam"]
    rng = np.random.default_rng(0)
    p, d = rng.standard_normal(5), rng.uniform(*E.CURVATURE_RANGE, 5)
    g = E.smooth_gradient(p, d)
    h = 1e-6
    f = lambda x: 0.5 * np.sum(d * x * x) + E.COUPLING * np.sum(x * np.roll(x, 1)) + E.QUARTIC / 4 * np.sum(x ** 4)
    numeric = np.array([(f(p + h * e) - f(p - h * e)) / (2 * h) for e in np.eye(5)])
    assert np.allclose(g, numeric, rtol=1e-6, atol=1e-8)   # smooth_gradient is the gradient of f
    offset = descentlab.optimizers.EXTRA["sam"].probe(g, p, rho=ex.hyper["rho"])
    assert np.sqrt(np.sum(offset * offset)) == pytest.approx(ex.hyper["rho"])
    lazy = answer("sam").replace("    return -lr * grads, State(state.step + 1)",
                                 "    return -lr * grads * 0.0, State(state.step + 1)")
    out = E.check("sam", lazy)
    assert (out["step"], out["quantity"]) == (1, "updates[0]") and "at θ + ε" in out["hint"]


def _flat(entry: dict) -> dict:
    """A page's optimizer entry ({name, params, base?}) as the spec's ({name, **params, base?})."""
    out = {"name": entry["name"], **entry["params"]}
    if "base" in entry:
        out["base"] = _flat(entry["base"])
    return out


@pytest.mark.parametrize("exercise_id", [e["id"] for e in E.list() if e["race_view"] == "landscape"])
def test_a_passing_answer_races_like_its_reference_on_the_landscape(exercise_id):
    """'Race it' (web/views/exercises/race.js): the reference's entry beside the learner's code, on a tilted bowl."""
    item = next(e for e in E.list() if e["id"] == exercise_id)
    spec = {"kind": "landscape", "function": "quadratic", "function_params": {"condition": 10, "angle": 30},
            "start": [-1.8, 1.2], "steps": 200,
            "optimizers": [_flat(item["race"]), {"name": "custom", "code": answer(exercise_id), "hyper": item["hyper"]}]}
    runs = descentlab.run(spec, allow_code=True)["runs"]
    assert runs[0]["path"][-1] == pytest.approx(runs[1]["path"][-1], rel=1e-9, abs=1e-12)
    assert runs[0]["path"][-1] != spec["start"]
