"""AdamW without a learning-rate schedule: instead of decaying the step size towards the end of training, it keeps three sequences. z takes plain AdamW-scaled gradient steps, x is the running (weighted) average of the z's, and the gradient is taken at y, a point between them. The average x does what a decaying schedule would do, so training needs no stopping time fixed in advance and x is good at any step. Matches or beats cosine schedules in the paper's benchmarks; evaluate at x (the model's weights in eval mode), not at y."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, BETA2, EPS, LR, WEIGHT_DECAY, bias_correction

TITLE = "Schedule-free AdamW"
RANGES = {"lr": LR, "beta1": BETA, "beta2": BETA2, "eps": EPS, "weight_decay": WEIGHT_DECAY,
          "warmup_steps": (0, 100_000, "int"), "r": (0.0, 10.0, "float"), "weight_lr_power": (0.0, 10.0, "float")}


class ScheduleFreeState(NamedTuple):
    step: int            # t
    y: np.ndarray        # y_t, where the gradient is taken: the parameters the path shows
    z: np.ndarray        # z_t, the base sequence (AdamW-scaled gradient steps)
    x: np.ndarray        # x_t, the weighted average of z_1..z_t: the weights to evaluate
    v: np.ndarray        # v_t, running mean of g² (Adam's second moment)
    lr_max: float        # max_{i≤t} γ_i
    weight_sum: float    # Σ_{i≤t} w_i


def init(params):
    return ScheduleFreeState(step=0, y=K.copy(params), z=K.copy(params), x=K.copy(params),
                             v=K.zeros_like(params), lr_max=0.0, weight_sum=0.0)


def update(grads, state, params, lr=0.0025, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
           warmup_steps=0, r=0.0, weight_lr_power=2.0):
    r"""One step of schedule-free AdamW (the ``schedulefree`` package's ``AdamWScheduleFree``)::

        g_t = ∇f(y_{t−1})
        v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        ĝ_t = g_t / (√(v_t / (1 − β₂ᵗ)) + ε) + λ y_{t−1}
        γ_t = η min(1, t/T_w)
        w_t = t^r (max_{i≤t} γ_i)^p
        c_t = w_t / Σ_{i≤t} w_i
        z_t = z_{t−1} − γ_t ĝ_t
        x_t = (1 − c_t) x_{t−1} + c_t z_t
        y_t = (1 − β₁) z_t + β₁ x_t

    where η = lr, β₁ = beta1, β₂ = beta2, ε = eps, λ = weight_decay, T_w = warmup_steps, r = r, p = weight_lr_power.

    x_0 = y_0 = z_0 = θ_0, v_0 = 0.  The path shows y, the point where each
    gradient is taken (the model's parameters in the package's ``train()`` mode);
    the state holds x too, the average the package's ``eval()`` switches to, the
    weights to evaluate and keep.  The package computes y_t from y_{t−1} as
    ``y ← (1 − c_t) y + c_t z_{t−1} − γ_t (1 − β₁(1 − c_t)) ĝ_t`` (the same point),
    and so does this code.  c_1 = 1, so the first step is an Adam step of z.
    With β₁ = 0, y = z (plain AdamW without momentum); with β₁ → 1 the gradient is
    taken at the average itself (Polyak averaging).  Warm-up and a larger p weigh
    the later, better points more.

    References
    ----------
    Defazio, A., Yang, X. A., Mehta, H., Mishchenko, K., Khaled, A. & Cutkosky, A.
    (2024). The road less scheduled. *NeurIPS* (Algorithm 1, AdamW version).
    """
    t = state.step + 1
    gamma = lr * (t / warmup_steps) if state.step < warmup_steps else lr
    lr_max = max(gamma, state.lr_max)
    weight = power(float(t), r) * power(lr_max, weight_lr_power)
    weight_sum = state.weight_sum + weight
    c = weight / weight_sum if weight_sum != 0.0 else 0.0
    v = beta2 * state.v + (1.0 - beta2) * grads * grads
    g_hat = grads / (K.sqrt(v / bias_correction(beta2, t)) + eps)
    if weight_decay != 0.0:
        g_hat = g_hat + weight_decay * params
    y = lerp(params, state.z, c) + gamma * (beta1 * (1.0 - c) - 1.0) * g_hat
    z = state.z - gamma * g_hat
    x = lerp(state.x, z, c)
    return y - params, ScheduleFreeState(t, y, z, x, v, lr_max, weight_sum)


def power(x: float, p: float) -> float:
    """x^p for x ≥ 0: 1 for p = 0, repeated squaring for a whole p (exact), else exp(p log x)."""
    if p == 0.0:
        return 1.0
    if p == int(p) and p > 0.0:
        return K.powi(x, int(p))
    return float(K.exp(p * float(K.log(x))))


def lerp(start, end, weight: float):
    """start + w (end − start), in torch's ``lerp`` order (exact ``end`` at w = 1)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``y`` (y_t, the path), ``z`` (z_t), ``x``
    (x_t, the average to evaluate), ``v`` (v_t) and ``g_hat`` (ĝ_t)."""
    return {"grad": grads, "update": updates, "y": new_state.y, "z": new_state.z, "x": new_state.x,
            "v": new_state.v, "g_hat": variables["g_hat"]}
