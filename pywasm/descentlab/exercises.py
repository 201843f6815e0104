"""Guided exercises: write an optimizer, and a check compares it with Descent Lab's own, step by step.

The order is the one a course teaches.  The classics: SGD, momentum (PyTorch's
form), Nesterov, AdaGrad, RMSprop, Adam with bias correction, AdamW's decoupled
decay.  Then the modern optimizers, from a small change to Adam to a new idea:
Lion (the sign of an interpolation), AdEMAMix (a second, slow momentum), Adan
(the gradient's change), LAMB (a trust ratio per layer), Adafactor (a factored
second moment, a relative step), schedule-free AdamW (three sequences instead of
a schedule), Prodigy (it estimates its own learning rate), SAM (a second
gradient at a probe point), Sophia (the Hessian's diagonal) and Muon (a weight
matrix orthogonalised).  Each exercise has the equations (read from the
reference optimizer's module, the one source), a skeleton with ``# TODO`` lines
in the module's own variable names, hints to reveal one at a time, and a table
of common mistakes keyed by the quantity that first goes wrong.

``check(exercise_id, source)`` runs the learner's code beside the reference on
the same inputs and reports the first difference, named after the reference's
own variables: the learner's locals with the same names are compared in the
order the reference computes them, then the updates and the new state.  What
the check feeds depends on the optimizer (``Exercise.kind``):

- ``"grads"``: random gradients at parameters of shapes (2,) and (3, 4), a
  zero gradient, several seeds;
- ``"probe"`` (SAM): the learner's ``probe`` gives the offset ε, compared with
  ``sam.probe``'s; then both base updates get the gradient of a fixed smooth
  test function (:func:`test_gradient`) at θ + ε;
- ``"hessian"`` (Sophia): a Hessian diagonal, seeded, with negative entries too,
  on the steps ``sophia.wants_hessian`` says, None on the others; the learner's
  own ``wants_hessian`` is compared with it;
- ``"blocks"`` (Muon): a network's flat θ with its weight matrices and biases,
  ``init(params, blocks=...)``.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import sys
from typing import NamedTuple

import numpy as np

from . import learner, optimizers
from .optimizers import REGISTRY
from .optimizers import base
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
    reference: str  # the optimizer that checks it: a registry name, or one of optimizers.EXTRA
    hyper: dict  # hyper-parameters the check uses (the learner's defaults are overridden)
    skeleton: str
    fields: tuple  # the state's fields besides step: the ones the check compares
    hints: tuple
    mistakes: dict  # quantity -> a question pointing at the usual mistake; the check compares these, in order
    kind: str = "grads"  # what the check feeds: "grads", "probe" (SAM), "hessian" (Sophia), "blocks" (Muon)
    group: str = "classics"  # the list's heading: "classics" or "modern"


def _skeleton(fields: dict, signature: str, body: str) -> tuple:
    """The skeleton's text and its state's fields (``fields``: name -> what it holds)."""
    state = _STATE.format(fields="\n".join(f"    {k}: np.ndarray  # {v}" for k, v in fields.items()),
                          zeros=", ".join(f"{k}=K.zeros_like(params)" for k in fields) or "")
    state = state.replace("State(step=0, )", "State(step=0)")
    return f"{state}\n\ndef update(grads, state, params, {signature}):\n{body}", tuple(fields)


_CLASSICS = [
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
]

_MODERN = [
    Exercise("lion", "Lion: the sign of an interpolation", "lion",
             {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.1},
             *_skeleton({"m": "m_t, the momentum (rate β₂)"}, "lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0",
                       "    c = ...  # TODO: c_t, between the old momentum and the gradient (weight β₁ on m)\n"
                       "    updates = ...  # TODO: −η (sign(c_t) + λθ)\n"
                       "    m = ...  # TODO: the momentum m_t, with β₂ this time\n"
                       "    return updates, State(state.step + 1, m)\n"),
             ("c_t = β₁ m_{t−1} + (1 − β₁) g_t: the step reads the momentum with the short memory β₁.",
              "updates = -lr * (np.sign(c) + weight_decay * params): every coordinate moves by ±η.",
              "m_t = β₂ m_{t−1} + (1 − β₂) g_t is updated after the step, with the long memory β₂."),
             {"c": "is c = beta1 * state.m + (1 - beta1) * grads (the old m, not the new one)?",
              "updates": "is the step the sign of c_t (not of m), plus λθ, times −η?",
              "m": "is m = beta2 * state.m + (1 - beta2) * grads, with β₂ (not β₁)?"},
             group="modern"),
    Exercise("ademamix", "AdEMAMix: a second, slow momentum", "ademamix",
             {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "beta3": 0.99, "alpha": 5.0, "eps": 1e-8,
              "weight_decay": 0.1},
             *_skeleton({"m1": "m⁽¹⁾_t, the fast momentum", "m2": "m⁽²⁾_t, the slow momentum", "nu": "ν_t"},
                       "lr=1e-3, beta1=0.9, beta2=0.999, beta3=0.9999, alpha=5.0, eps=1e-8, weight_decay=0.0",
                       "    t = state.step + 1\n"
                       "    m1 = beta1 * state.m1 + (1.0 - beta1) * grads\n"
                       "    m2 = ...  # TODO: the slow momentum, rate β₃\n"
                       "    nu = beta2 * state.nu + (1.0 - beta2) * grads * grads\n"
                       "    m1_hat = m1 / bias_correction(beta1, t)\n"
                       "    nu_hat = nu / bias_correction(beta2, t)\n"
                       "    step = ...  # TODO: both momenta over √ν̂ + ε, plus the decoupled decay λθ\n"
                       "    return -lr * step, State(t, m1, m2, nu)\n"),
             ("m⁽²⁾_t = β₃ m⁽²⁾_{t−1} + (1 − β₃) g_t, like m⁽¹⁾ with β₃.",
              "The slow momentum is not bias-corrected: it starts small on purpose.",
              "step = (m1_hat + alpha * m2) / (K.sqrt(nu_hat) + eps) + weight_decay * params"),
             {"m2": "is m2 = beta3 * state.m2 + (1 - beta3) * grads, with β₃?",
              "step": "is it (m̂⁽¹⁾ + α m⁽²⁾) / (√ν̂ + ε) + λθ, with m⁽²⁾ not bias-corrected?"},
             group="modern"),
    Exercise("adan", "Adan: the change of the gradient", "adan",
             {"lr": 0.01, "beta1": 0.98, "beta2": 0.92, "beta3": 0.99, "eps": 1e-8, "weight_decay": 0.1},
             *_skeleton({"m": "m_t", "v": "v_t, running mean of g_t − g_{t−1}", "n": "n_t",
                         "g_prev": "g_{t−1}"},
                       "lr=1e-3, beta1=0.98, beta2=0.92, beta3=0.99, eps=1e-8, weight_decay=0.0",
                       "    t = state.step + 1\n"
                       "    diff = ...  # TODO: Δ_t = g_t − g_{t−1}, and 0 at the first step (there is no g_0)\n"
                       "    m = beta1 * state.m + (1.0 - beta1) * grads\n"
                       "    v = ...  # TODO: running mean of Δ_t, rate β₂\n"
                       "    corrected = grads + beta2 * diff\n"
                       "    n = ...  # TODO: running mean of the corrected gradient squared, rate β₃\n"
                       "    u = m / bias_correction(beta1, t) + beta2 * v / bias_correction(beta2, t)\n"
                       "    step = lr * u / (K.sqrt(n / bias_correction(beta3, t)) + eps)\n"
                       "    updates = ...  # TODO: θ_t = (θ − step) / (1 + λη), written as θ_t − θ\n"
                       "    return updates, State(t, m, v, n, grads)\n"),
             ("At the first step the state's g_prev is zeros, not a gradient: Δ_1 = 0.",
              "n_t = β₃ n_{t−1} + (1 − β₃) (g_t + β₂Δ_t)²",
              "updates = (params - step) / (1 + lr * weight_decay) - params: the decay is proximal."),
             {"diff": "is Δ_t = grads − state.g_prev, and 0 at the first step?",
              "v": "is v = beta2 * state.v + (1 - beta2) * diff?",
              "n": "is n = beta3 * state.n + (1 - beta3) * corrected * corrected?",
              "updates": "is the new θ (θ − step) / (1 + λη), and the update that minus θ?"},
             group="modern"),
    Exercise("lamb", "LAMB: a trust ratio per layer", "lamb",
             {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weight_decay": 0.01},
             *_skeleton({"m": "m_t", "v": "v_t"}, "lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0",
                       "    # θ is one layer here; in the network each weight matrix and bias has its own ratio\n"
                       "    t = state.step + 1\n"
                       "    m = beta1 * state.m + (1.0 - beta1) * grads\n"
                       "    v = beta2 * state.v + (1.0 - beta2) * grads * grads\n"
                       "    r = ...  # TODO: AdamW's direction: m̂ / (√v̂ + ε) + λθ\n"
                       "    p_norm = K.sqrt(float((params * params).sum()))\n"
                       "    r_norm = ...  # TODO: ‖r‖\n"
                       "    trust_ratio = ...  # TODO: ‖θ‖ / ‖r‖, or 1 when either norm is 0\n"
                       "    return -lr * trust_ratio * r, State(t, m, v)\n"),
             ("r = (m / bias_correction(beta1, t)) / (K.sqrt(v / bias_correction(beta2, t)) + eps) + weight_decay * params",
              "The trust ratio rescales the step so the layer moves by η‖θ‖, whatever the gradient's size.",
              "trust_ratio = p_norm / r_norm if p_norm > 0 and r_norm > 0 else 1.0"),
             {"r": "is r AdamW's direction, m̂ / (√v̂ + ε), plus λθ (inside r, before the ratio)?",
              "r_norm": "is ‖r‖ the 2-norm of r: √(Σ r²)?",
              "trust_ratio": "is it ‖θ‖ / ‖r‖ (not the other way round), 1 when a norm is 0?"},
             group="modern"),
    Exercise("adafactor", "Adafactor: a factored second moment", "adafactor",
             {"lr": 0.05, "beta2_decay": -0.8, "eps1": 1e-30, "eps2": 1e-3, "d": 1.0, "weight_decay": 0.1},
             """class State(NamedTuple):
    step: int
    v: np.ndarray    # v̂_t, the second moment the step uses, shaped like θ
    row: np.ndarray  # R_t: a matrix's running mean of g² over each row (empty for a vector)
    col: np.ndarray  # C_t: over each column (empty for a vector)


def init(params):
    rows, cols = params.shape if params.ndim == 2 else (0, 0)
    return State(step=0, v=K.zeros_like(params), row=np.zeros(rows), col=np.zeros(cols))


def rms(x):
    return K.sqrt(float((x * x).sum())) / K.sqrt(float(x.size))


def update(grads, state, params, lr=1e-2, beta2_decay=-0.8, eps1=1e-30, eps2=1e-3, d=1.0, weight_decay=0.0):
    t = state.step + 1
    one_minus_beta2 = ...  # TODO: 1 − β̂₂ₜ = t^c (c = beta2_decay): 1 at the first step
    rho = min(lr, 1.0 / K.sqrt(float(t)))
    alpha = ...  # TODO: α_t = max(ε₂, RMS(θ)) ρ_t: a step relative to the weights' size
    if params.ndim == 2:  # a matrix: keep only the row and column means of g²
        row = ...  # TODO: R_t, the running mean (weight 1 − β̂₂ₜ on the new value) of g²'s row means
        col = ...  # TODO: C_t, the same over each column
        v_hat = row[:, None] * col[None, :] / max(float(row.mean()), eps1)
    else:  # a vector: the whole running mean
        row, col = state.row, state.col
        v_hat = state.v + one_minus_beta2 * (grads * grads - state.v)
    u = grads / K.sqrt(K.maximum(v_hat, eps1 * eps1))
    updates = ...  # TODO: −α_t U_t / max(1, RMS(U_t)/d), then the decay −ηλθ
    return updates, State(t, v_hat, row, col)
""", ("v", "row", "col"),
             ("one_minus_beta2 = t ** beta2_decay: β̂₂ rises towards 1, and is 0 at t = 1 (the first v̂ is g²).",
              "alpha = max(eps2, rms(params)) * rho",
              "row = state.row + one_minus_beta2 * ((grads * grads).mean(axis=1) - state.row)",
              "updates = -(alpha / max(1.0, rms(u) / d)) * u - lr * weight_decay * params"),
             {"one_minus_beta2": "is it t^c, with c = beta2_decay (negative), so 1 at the first step?",
              "alpha": "is α = max(ε₂, RMS(θ)) · ρ: the RMS of the parameters, not of the gradient?",
              "row": "is R the running mean of g² averaged over each row (axis=1)?",
              "col": "is C the running mean of g² averaged over each column (axis=0)?",
              "v_hat": "is v̂ = R Cᵀ / max(mean(R), ε₁) for a matrix?",
              "u": "is U = g / √max(v̂, ε₁²)?",
              "updates": "is the step −α U / max(1, RMS(U)/d), then −ηλθ?"},
             group="modern"),
    Exercise("schedulefree_adamw", "Schedule-free AdamW: x, y and z", "schedulefree_adamw",
             {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "warmup_steps": 3,
              "weight_lr_power": 2.0},
             """class State(NamedTuple):
    step: int
    y: np.ndarray       # y_t, where the gradient is taken: the parameters
    z: np.ndarray       # z_t, the base sequence of plain steps
    x: np.ndarray       # x_t, the weighted average of the z's: the weights to evaluate
    v: np.ndarray       # v_t, running mean of g²
    lr_max: float       # max γ_i so far
    weight_sum: float   # Σ w_i so far


def init(params):
    return State(step=0, y=K.copy(params), z=K.copy(params), x=K.copy(params), v=K.zeros_like(params),
                 lr_max=0.0, weight_sum=0.0)


def update(grads, state, params, lr=0.0025, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, warmup_steps=0,
           weight_lr_power=2.0):
    t = state.step + 1
    gamma = lr * (t / warmup_steps) if state.step < warmup_steps else lr
    lr_max = max(gamma, state.lr_max)
    weight = lr_max ** weight_lr_power  # w_t (with r = 0)
    weight_sum = state.weight_sum + weight
    c = ...  # TODO: c_t, this step's share of all the weights so far
    v = beta2 * state.v + (1.0 - beta2) * grads * grads
    g_hat = grads / (K.sqrt(v / bias_correction(beta2, t)) + eps) + weight_decay * params
    z = ...  # TODO: z_t, a plain step of size γ_t along ĝ_t
    x = ...  # TODO: x_t, the average moved towards z_t by c_t
    y = ...  # TODO: y_t, the point between z_t and x_t where the next gradient is taken
    return y - params, State(t, y, z, x, v, lr_max, weight_sum)
""", ("y", "z", "x", "v", "lr_max", "weight_sum"),
             ("c = weight / weight_sum: c_1 = 1, so x_1 = z_1.",
              "z = state.z - gamma * g_hat; x = (1 - c) * state.x + c * z",
              "y = (1 - beta1) * z + beta1 * x: with β₁ = 0 it is plain AdamW without momentum."),
             {"c": "is c_t = w_t / Σ w_i (the sum including this step's w_t)?",
              "g_hat": "is ĝ = g / (√(v / (1 − β₂ᵗ)) + ε) + λy?",
              "z": "is z_t = z_{t−1} − γ_t ĝ_t, from the state's z (not from the parameters y)?",
              "x": "is x_t = (1 − c_t) x_{t−1} + c_t z_t?",
              "y": "is y_t = (1 − β₁) z_t + β₁ x_t, between the two sequences?"},
             group="modern"),
    Exercise("prodigy", "Prodigy: a learning rate it finds itself", "prodigy",
             {"lr": 1.0, "beta1": 0.9, "beta2": 0.999, "d0": 1e-3, "d_coef": 1.0, "weight_decay": 0.01, "eps": 1e-8},
             """class State(NamedTuple):
    step: int
    d: float          # d_t, the distance estimate: the step's scale
    r: float          # r_t, divided by d₀
    x0: np.ndarray    # θ_0, the start
    s: np.ndarray     # s_t, divided by d₀
    m: np.ndarray     # m_t, first moment of d·g
    v: np.ndarray     # v_t, second moment of d·g


def init(params):
    z = K.zeros_like(params)
    return State(step=0, d=0.0, r=0.0, x0=K.copy(params), s=z, m=z, v=z)


def update(grads, state, params, lr=1.0, beta1=0.9, beta2=0.999, d0=1e-6, d_coef=1.0, weight_decay=0.0, eps=1e-8):
    t = state.step + 1
    d = d0 if state.step == 0 else state.d
    beta3 = K.sqrt(beta2)
    d_lr = d * lr
    scale = d / d0 * d_lr
    r = ...  # TODO: √β₂ r_{t−1} + scale ⟨g_t, θ_0 − θ_{t−1}⟩
    m = beta1 * state.m + d * (1.0 - beta1) * grads
    v = beta2 * state.v + d * d * (1.0 - beta2) * grads * grads
    s = ...  # TODO: √β₂ s_{t−1} + scale g_t
    s_norm = float(np.abs(s).sum())
    if s_norm == 0.0:  # no gradient yet: nothing to estimate, no step
        return K.zeros_like(params), State(t, d, r, state.x0, s, m, v)
    d_hat = ...  # TODO: c r_t / ‖s_t‖₁, the new lower bound on the distance
    updates = ...  # TODO: an Adam step of size η d (ε scaled by d), and the decay −λ η d θ
    return updates, State(t, max(d, d_hat), r, state.x0, s, m, v)
""", ("d", "r", "s", "m", "v"),
             ("r = beta3 * state.r + scale * float((grads * (state.x0 - params)).sum()): the gradients that point back"
              " to the start.",
              "d_hat = d_coef * r / s_norm, with the 1-norm of s; d only grows: max(d, d_hat).",
              "updates = -d_lr * m / (K.sqrt(v) + d * eps) - weight_decay * d_lr * params"),
             {"r": "is r = √β₂ r + scale ⟨g, θ₀ − θ⟩ (θ₀ − θ, not θ − θ₀)?",
              "s": "is s = √β₂ s + scale · g?",
              "d_hat": "is d̂ = c r / ‖s‖₁, the 1-norm (sum of |s|)?",
              "updates": "is the step −η d m / (√v + d ε) − λ η d θ?",
              "d": "does the state keep max(d, d̂): d never shrinks?"},
             group="modern"),
    Exercise("sam", "SAM: the gradient at a probe point", "sam",
             {"rho": 0.1, "perturb_eps": 1e-12, "lr": 0.05},
             """class State(NamedTuple):
    step: int


def probe(grads, params, rho=0.05, perturb_eps=1e-12):
    g = grads
    grad_norm = ...  # TODO: ‖g‖ + ε, the 2-norm over all the parameters
    scale = ...  # TODO: ρ / (‖g‖ + ε)
    return ...  # TODO: ε_t, the offset from θ to the probe point: length ρ along g


# The base optimizer: plain SGD. The check gives it g̃, the gradient at θ + ε.
def init(params):
    return State(step=0)


def update(grads, state, params, lr=0.05):
    return -lr * grads, State(state.step + 1)
""", (),
             ("grad_norm = K.sqrt(float((g * g).sum())) + perturb_eps",
              "scale = rho / grad_norm, and the offset is g * scale: a climb of length ρ, uphill.",
              "The base never sees g, only the gradient at the probe point θ + ε."),
             {"grad_norm": "is it √(Σ g²) + ε: the 2-norm over every parameter, then + ε?",
              "scale": "is scale = ρ / (‖g‖ + ε): dividing by the norm makes the offset's length ρ?",
              "offset": "is ε = g · scale: along the gradient (uphill), of length ρ?",
              "updates": "does the base step with the gradient it is given (the one at θ + ε)?"},
             kind="probe", group="modern"),
    Exercise("sophia", "Sophia: curvature, clipped", "sophia",
             {"lr": 0.05, "beta1": 0.9, "beta2": 0.95, "weight_decay": 0.1, "p": 1.0, "update_period": 3,
              "eps": 1e-12},
             """class State(NamedTuple):
    step: int
    m: np.ndarray  # m_t, momentum of the gradient
    h: np.ndarray  # h_t, moving average of the Hessian diagonal estimates


def init(params):
    z = K.zeros_like(params)
    return State(step=0, m=z, h=z)


def wants_hessian(state, update_period=10):
    # the loop asks before each step: refresh h at t = 1, 1 + k, 1 + 2k, ...
    return state.step % update_period == 0


def update(grads, state, params, hessian, lr=6e-2, beta1=0.96, beta2=0.99, weight_decay=0.0, p=1e-2,
           update_period=10, eps=1e-12):
    t = state.step + 1
    m = beta1 * state.m + (1.0 - beta1) * grads
    h = ...  # TODO: the running mean of the Hessian estimates (rate β₂); kept as it is when hessian is None
    ratio = ...  # TODO: m_t / max(h_t, ε): about a Newton step per coordinate
    clipped = ...  # TODO: each coordinate of the ratio clipped into [−p, p]
    step = -lr * clipped - lr * weight_decay * params
    return step, State(t, m, h)
""", ("m", "h"),
             ("h = state.h if hessian is None else beta2 * state.h + (1 - beta2) * hessian",
              "A negative or tiny curvature gives max(h, ε) = ε: a huge ratio the clip must stop.",
              "clipped = np.clip(ratio, -p, p)"),
             {"wants_hessian": "is a Hessian asked for at t = 1, 1 + k, ...: state.step % update_period == 0?",
              "h": "is h = β₂ h + (1 − β₂) ĥ when a Hessian is given, and the old h when it is None?",
              "ratio": "is it m / max(h, ε), with the maximum (a negative h must not flip the step)?",
              "clipped": "is every coordinate of the ratio clipped into [−p, p]?",
              "step": "is the step −η clip(ratio) − ηλθ?"},
             kind="hessian", group="modern"),
    Exercise("muon", "Muon: orthogonalised momentum", "muon",
             {"lr": 0.02, "weight_decay": 0.1, "momentum": 0.9, "nesterov": True, "eps": 1e-7, "ns_steps": 5,
              "adamw_lr": 0.01, "adamw_beta1": 0.9, "adamw_beta2": 0.999, "adamw_eps": 1e-8,
              "adamw_weight_decay": 0.01},
             """A, B, C = 3.4445, -4.7750, 2.0315  # the Newton–Schulz quintic's coefficients (torch.optim.Muon's)


class State(NamedTuple):
    step: int
    blocks: np.ndarray  # (k, 4): each array's start in θ, rows, columns (0: a vector), 1 if Muon steps it
    buf: np.ndarray     # B_t, Muon's momentum (0 where AdamW steps)
    m: np.ndarray       # AdamW's first moment (0 where Muon steps)
    v: np.ndarray       # AdamW's second moment


def init(params, blocks):
    # blocks: ((start, shape), ...), the network's W1, b1, W2, b2, ... inside the flat θ.
    # Every weight matrix but the last (the output layer) is Muon's; biases and the output layer AdamW's.
    matrices = [i for i, (_, shape) in enumerate(blocks) if len(shape) == 2]
    hidden = set(matrices[:-1])
    rows = [(start, shape[0], shape[1], int(i in hidden)) if len(shape) == 2 else (start, int(np.prod(shape)), 0, 0)
            for i, (start, shape) in enumerate(blocks)]
    z = K.zeros_like(params)
    return State(0, np.array(rows, dtype=np.int64).reshape(-1, 4), z, z, z)


def newton_schulz(u, steps, eps):
    tall = u.shape[0] > u.shape[1]
    x = u.T if tall else u  # work on the wide orientation
    x = x / max(K.sqrt(float((x * x).sum())), eps)  # X₀ = U / max(‖U‖_F, ε)
    for _ in range(int(steps)):
        gram = ...  # TODO: A = X Xᵀ
        x = ...  # TODO: X ← a X + (b A + c A²) X
    return x.T if tall else x


def update(grads, state, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, eps=1e-7, ns_steps=5,
           adamw_lr=1e-3, adamw_beta1=0.9, adamw_beta2=0.999, adamw_eps=1e-8, adamw_weight_decay=1e-2):
    t = state.step + 1
    # AdamW steps every entry first; Muon's matrices are then overwritten
    m = adamw_beta1 * state.m + (1.0 - adamw_beta1) * grads
    v = adamw_beta2 * state.v + (1.0 - adamw_beta2) * grads * grads
    updates = (-adamw_lr * (m / bias_correction(adamw_beta1, t)) / (K.sqrt(v / bias_correction(adamw_beta2, t))
               + adamw_eps) - adamw_lr * adamw_weight_decay * params)
    buf = state.buf.copy()
    for start, n, cols, muon in state.blocks.tolist():
        if not muon:
            continue
        size = n * cols
        g = grads[start:start + size].reshape(n, cols)
        b = ...  # TODO: B_t = μ B_{t−1} + (1 − μ) G_t, from this matrix's part of state.buf
        u = ...  # TODO: nesterov: μ B_t + (1 − μ) G_t; else B_t
        x = newton_schulz(u, ns_steps, eps)
        scale = K.sqrt(max(1.0, cols / n))  # torch's weight is outputs × inputs: cols × n
        updates[start:start + size] = ...  # TODO: the decay −ηλW and the orthogonalised step −η s X
        buf[start:start + size] = b.reshape(-1)
        m[start:start + size] = 0.0
        v[start:start + size] = 0.0
    return updates, State(t, state.blocks, buf, m, v)
""", ("buf", "m", "v"),
             ("b = momentum * state_b + (1 - momentum) * g, where state_b = state.buf[start:start + size].reshape(n, cols)",
              "u = momentum * b + (1 - momentum) * g if nesterov else b",
              "gram = x @ x.T, then x = A * x + (B * gram + C * gram @ gram) @ x",
              "updates[start:start + size] = -lr * weight_decay * params[start:start + size] - lr * scale * x.reshape(-1)"),
             {"b": "is B_t = μ B_{t−1} + (1 − μ) G_t, this matrix's slice of the state's buf, shaped n × cols?",
              "u": "with nesterov, is U = μ B_t + (1 − μ) G_t?",
              "x": "is X₀ = U/‖U‖_F, then X ← aX + (bA + cA²)X with A = XXᵀ, ns_steps times?",
              "updates": "is a hidden matrix's step −ηλW − η s X, with s = √max(1, cols/n)?",
              "buf": "does the state keep B_t for Muon's matrices?"},
             kind="blocks", group="modern"),
]

EXERCISES = {e.id: e for e in [*_CLASSICS, *_MODERN]}


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
    "lion": "Found by a program search, not derived: every coordinate moves by exactly ±η, so the step's size no "
            "longer depends on the gradient's, and it keeps half of Adam's memory.",
    "ademamix": "Adam forgets a gradient within a few dozen steps, yet old gradients still point the right way. "
                "A second, very slow momentum added to Adam's keeps them, and trains language models on fewer tokens.",
    "adan": "Nesterov's look-ahead without a second gradient: the change of the gradient between two steps "
            "predicts where it is heading, and Adan keeps a running mean of that change.",
    "lamb": "With very large batches Adam's steps can be too long for some layers and too short for others. LAMB "
            "sets each layer's step to η times the length of its weights: the trust ratio.",
    "adafactor": "Adam's second moment doubles the memory of a large model. For a weight matrix Adafactor keeps only "
                 "its row and column means, n + m numbers instead of n·m, and sizes the step by the weights' own scale.",
    "schedulefree_adamw": "A decaying learning rate needs the length of training fixed in advance. Averaging the "
                          "iterates does the same job at any step: z steps, x averages, the gradient is taken at y.",
    "prodigy": "The learning rate is the hyper-parameter everyone searches for. Prodigy estimates the distance to the "
               "solution from the gradients it has seen, and takes Adam steps of that size.",
    "sam": "A minimum where the loss stays low in a whole neighbourhood tends to generalise better. SAM climbs a "
           "distance ρ uphill first and steps with the gradient it finds there.",
    "sophia": "Dividing by the curvature gives each coordinate a Newton step; clipping that ratio keeps the step "
              "safe where the curvature is tiny, negative or badly estimated.",
    "muon": "Adam scales each weight on its own. Muon treats a weight matrix as a matrix: it pushes every singular "
            "value of the momentum to about 1, so all directions learn at the same rate.",
}


#: The list's headings, in order: a group's exercises follow its heading.
GROUPS = {"classics": "The classics", "modern": "Modern optimizers"}

#: What the learner writes, by kind (shown under the equations).
TASKS = {
    "grads": "Write update so that it returns (updates, new_state); the updates are added to the parameters.",
    "probe": "Write probe so that it returns the offset ε to the probe point. The check then gives the base "
             "optimizer (SGD) the gradient of a test function at θ + ε.",
    "hessian": "Write update, which gets hessian, an estimate of diag(∇²f), on the steps wants_hessian asks for "
               "and None on the others.",
    "blocks": "θ is a network's weights, flat: init gets their blocks ((start, shape), ...). Write the "
              "Newton–Schulz iteration and Muon's step for the hidden matrices; AdamW's part is given.",
}

#: Where "Race it" takes a passing answer: the landscape, but Muon's, which needs weight matrices.
RACE_VIEWS = {"muon": "network"}
RACE_NOTES = {"muon": "Muon steps weight matrices, and a point on a 2-D landscape has none: your optimizer trains "
                      "beside Descent Lab's in the network view."}
RACE_NOTE = "Your optimizer joins the race on the landscape, next to Descent Lab's own."


def equations(reference: str) -> list:
    """The reference optimizer's equations, one line each, read from its module as ``describe`` reads them.

    A registered optimizer's come from ``REGISTRY``; SAM's from ``sam.probe``'s docstring,
    Muon's and Sophia's from their ``update``'s (as ``catalog`` shows them).
    """
    if reference in REGISTRY:
        return REGISTRY[reference].equations.splitlines()
    module = optimizers.EXTRA[reference]
    fn = getattr(module, "probe", None) or module.update
    return base._equations(inspect.cleandoc(fn.__doc__ or ""), reference).splitlines()


def _race(ex: Exercise) -> dict:
    """The reference's optimizer entry for "Race it" (SAM's with its base, SGD)."""
    if ex.kind == "probe":
        names = _probe_names(ex)
        return {"name": ex.reference, "params": {k: v for k, v in ex.hyper.items() if k in names},
                "base": {"name": SAM_BASE, "params": {k: v for k, v in ex.hyper.items() if k not in names}}}
    return {"name": ex.reference, "params": dict(ex.hyper)}


def list() -> list:  # noqa: A001 - the public name the issue asks for: descentlab.exercises.list()
    """Every exercise, in the order a course teaches them, with its equations, skeleton and hints.

    ``group`` is a key of :data:`GROUPS` (the page's headings); ``task`` says what to write;
    ``race`` is the reference's entry for "Race it", in the view ``race_view``, said by ``race_note``.
    """
    return [{"id": e.id, "title": e.title, "why": WHY[e.id], "reference": e.reference,
             "equations": equations(e.reference), "skeleton": e.skeleton,
             "hints": builtins.list(e.hints), "hyper": dict(e.hyper), "group": e.group,
             "group_title": GROUPS[e.group], "kind": e.kind, "task": TASKS[e.kind],
             "race": _race(e), "race_view": RACE_VIEWS.get(e.id, "landscape"),
             "race_note": RACE_NOTES.get(e.id, RACE_NOTE)} for e in EXERCISES.values()]


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
    if g.shape != e.shape:  # a matrix the reference keeps flat (or a number for every entry) is the same values
        g = g.reshape(e.shape) if g.size == e.size else np.broadcast_to(g, e.shape) if g.size == 1 else None
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
        _check_contract(ex, code)
        missing = sorted(set(ex.hyper) - set(code.defaults))
        if missing:
            where = "probe or update" if ex.kind == "probe" else "update"
            raise learner.LearnerError(None, f"{where} needs the hyper-parameter {missing[0]}=... (as in the skeleton)")
        for seed in SEEDS:
            for case in CASES[ex.kind]:
                with np.errstate(all="ignore"):  # a wrong answer may divide by zero: the verdict says so
                    verdict = _run_case(ex, code, seed, case)
                if verdict is not None:
                    return verdict
    except learner.LearnerError as e:
        return _verdict(False, hint=str(e))
    return _verdict(True)


def _check_contract(ex: Exercise, code) -> None:
    """The functions an exercise of this kind needs besides ``init`` and ``update`` (see learner.py)."""
    if ex.kind == "probe" and code.probe is None:
        raise learner.LearnerError(None, "define probe(grads, params, rho=..., ...) returning the offset ε"
                                         " (as in the skeleton)")
    if ex.kind == "hessian" and not code.takes_hessian:
        raise learner.LearnerError(None, "update must take hessian after params:"
                                         " update(grads, state, params, hessian, ...) (as in the skeleton)")


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


# What each kind of exercise is checked on: parameter shapes, or (Muon) a network's blocks
# ((start, shape), ...) inside a flat θ: W1, b1, W2, b2 (one hidden matrix, wide) and a deeper
# one whose first hidden matrix is tall (Newton–Schulz works on its transpose).
NETWORKS = (((0, (3, 4)), (12, (4,)), (16, (4, 2)), (24, (2,))),
            ((0, (4, 3)), (12, (3,)), (15, (3, 3)), (24, (3,)), (27, (3, 2)), (33, (2,))))
CASES = {"grads": SHAPES, "probe": SHAPES, "hessian": SHAPES, "blocks": NETWORKS}
SAM_BASE = "sgd"  # the base optimizer of the SAM exercise: its other hyper-parameters (lr) are the base's
HESSIAN_RANGE = (-1.0, 3.0)  # the Hessian diagonals fed to Sophia: about a quarter negative, where the clip acts
CURVATURE_RANGE = (0.5, 4.0)  # the diagonal of smooth_gradient's quadratic
COUPLING = 0.3  # smooth_gradient's coupling of neighbouring coordinates
MISSING = object()  # a field the learner's new state lacks
QUARTIC = 0.1  # and its quartic term: the gradient at the probe point is not a linear map of θ


def smooth_gradient(params, curvature):
    """∇f of the SAM exercise's test function, f(θ) = ½ Σ dᵢθᵢ² + κ Σ θᵢθᵢ₊₁ + (q/4) Σ θᵢ⁴ (θ flattened, cyclic).

    Parameters
    ----------
    params, curvature : ndarray, the same shape (d > 0 elementwise)

    Returns
    -------
    ndarray, the shape of ``params``
        d ⊙ θ + κ (θ shifted by one either way) + q θ³: products and sums only, the same bits everywhere.
    """
    flat = params.reshape(-1)
    neighbours = np.roll(flat, 1) + np.roll(flat, -1)
    return curvature * params + COUPLING * neighbours.reshape(params.shape) + QUARTIC * params * params * params


def _reference(ex: Exercise):
    """The reference ``Optimizer(init, update)``, hyper-parameters bound (SAM's: its base, SGD)."""
    if ex.kind == "probe":
        names = _probe_names(ex)
        return optimizers.make(SAM_BASE, **{k: v for k, v in ex.hyper.items() if k not in names})
    if ex.reference in REGISTRY:
        return optimizers.make(ex.reference, **ex.hyper)
    module = optimizers.EXTRA[ex.reference]
    return base.Optimizer(module.init, base.with_defaults(module.update, ex.hyper))


def _probe_names(ex: Exercise) -> set:
    return learner.keywords(optimizers.EXTRA[ex.reference].probe, 2)


def _capture_locals(fn, *args, **kwargs) -> tuple:
    """``fn(*args, **kwargs)`` and the locals it assigned (its arguments left out)."""
    variables: dict = {}
    code = fn.__code__
    arguments = set(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])

    def on_return(frame, event, arg):
        if event == "return":
            variables.update((k, v) for k, v in frame.f_locals.items() if k not in arguments)
        return on_return

    def on_call(frame, event, arg):
        return on_return if frame.f_code is code else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        out = fn(*args, **kwargs)
    finally:
        sys.settrace(previous)
    return out, variables


def _run_case(ex: Exercise, code, seed: int, case: tuple):
    rng = np.random.default_rng([seed, len(case)])
    hyper = {**code.defaults, **ex.hyper}
    reference = _reference(ex)
    blocks = case if ex.kind == "blocks" else None
    shape = case if blocks is None else (blocks[-1][0] + np.zeros(blocks[-1][1]).size,)  # θ ends with the last block
    p = rng.standard_normal(shape)
    curvature = rng.uniform(*CURVATURE_RANGE, shape) if ex.kind == "probe" else None
    if blocks is None:
        ref_state, state = reference.init(p), code.init(p)
    else:
        ref_state, state = reference.init(p, blocks), code.init(p, blocks=blocks)
    learner.check_state(state, p)
    for t in range(1, STEPS + 1):
        more = {}
        if ex.kind == "probe":  # SAM: the offset first, then the base steps with the gradient at θ + ε
            verdict, offset = _probe_step(ex, code, t, smooth_gradient(p, curvature), p, hyper)
            if verdict is not None:
                return verdict
            g = smooth_gradient(p + offset, curvature)
        else:
            g = np.zeros(shape) if t == 2 and seed == 1 else rng.standard_normal(shape)  # a zero gradient too
        if ex.kind == "hessian":  # Sophia: a Hessian diagonal on the steps the reference asks for one
            wants = bool(optimizers.EXTRA[ex.reference].wants_hessian(ref_state, ex.hyper["update_period"]))
            if code.wants_hessian is not None:
                got = code.wants_hessian(state, hyper)
                if got != wants:
                    return _verdict(False, t, "wants_hessian", wants, got, ex.mistakes.get("wants_hessian"))
            more["hessian"] = rng.uniform(*HESSIAN_RANGE, shape) if wants else None
        got_locals = {}
        ref_updates, ref_new, ref_locals = capture(reference.update, g, ref_state, p, more)
        given = {k: (None if v is None else v.copy()) for k, v in more.items()}  # the learner may write into it
        out = code.update(g, state, p, capture=got_locals, **hyper, **given)
        if not (isinstance(out, tuple) and len(out) == 2):
            return _verdict(False, t, hint=f"update must return (updates, new_state), got {type(out).__name__}")
        updates, new_state = out
        if np.shape(updates) != np.shape(p):
            return _verdict(False, t, "updates", f"shape {np.shape(p)}", f"shape {np.shape(updates)}",
                            "updates must have the shape of params")
        learner.check_state(new_state, p)
        # the quantities an exercise names (its mistakes table, in the order they are computed), when the
        # learner's code has a variable of that name; then always the updates and the new state
        # (a local and a field of the state may share a name: Prodigy's d is d_{t−1} in update, d_t in the state)
        candidates = [(k, ref_locals[k], got_locals[k]) for k in ex.mistakes if k in ref_locals and k in got_locals]
        candidates += [("updates", ref_updates, updates)]
        reference_state, got_state = _as_dict(ref_new), _as_dict(new_state)
        candidates += [(k, reference_state[k], got_state.get(k, MISSING)) for k in ex.fields]
        verdict = _compare(ex, t, candidates, "the new state needs the field {!r} (as in the skeleton)")
        if verdict is not None:
            return verdict
        p, ref_state, state = p + ref_updates, ref_new, new_state
    return None


def _probe_step(ex: Exercise, code, t: int, g, p, hyper: dict) -> tuple:
    """SAM's probe at step ``t``: ``(verdict or None, the reference's offset ε)``; its locals, then ε compared."""
    names = _probe_names(ex)
    ref_offset, ref_locals = _capture_locals(optimizers.EXTRA[ex.reference].probe, g, p,
                                             **{k: v for k, v in ex.hyper.items() if k in names})
    got_locals = {}
    offset = code.probe(g, p, capture=got_locals, **hyper)
    candidates = [(k, ref_locals[k], got_locals[k]) for k in ex.mistakes if k in ref_locals and k in got_locals]
    candidates += [("offset", ref_offset, offset)]
    verdict = _compare(ex, t, candidates, "probe must return the offset ε")
    return verdict, ref_offset


def _compare(ex: Exercise, t: int, candidates: list, missing: str):
    """The verdict on the first of ``candidates`` ``(quantity, expected, got)`` that is wrong, or None."""
    for quantity, expected, got in candidates:
        if got is MISSING:
            return _verdict(False, t, quantity, "a value", "missing", missing.format(quantity))
        diff = _first_difference(expected, got)
        if diff is not None:
            index, e, g_val = diff
            return _verdict(False, t, _name(quantity, index), e, g_val, ex.mistakes.get(quantity))
    return None
