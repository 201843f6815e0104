"""Adam that estimates its own learning rate. It keeps a running lower bound d on the distance from the start to the solution, from how much the gradients have pointed back towards the start, and takes Adam steps of size η·d with η = 1. d only grows: it starts tiny (d₀ = 10⁻⁶) and rises within tens of steps to the scale of the problem, after which Prodigy behaves like a well-tuned Adam. Meant for training without a learning-rate search; a schedule on η (cosine, warm-up) still helps."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, BETA2, EPS, LR, WEIGHT_DECAY

TITLE = "Prodigy"
RANGES = {"lr": LR, "beta1": BETA, "beta2": BETA2, "d0": (1e-12, 1.0, "log"), "d_coef": (1e-3, 1e3, "log"),
          "weight_decay": WEIGHT_DECAY, "eps": EPS}
# d̂ sums over every coordinate: x and y are stepped together on a landscape
# (landscape._race_floats steps them one at a time).
ELEMENTWISE = False


class ProdigyState(NamedTuple):
    step: int            # t
    d: float             # d_t, the distance estimate (the learning-rate scale); d_0 = d₀ is a hyper-parameter
    r: float             # r_t (numerator of d̂), scaled by 1/d₀
    x0: np.ndarray       # θ_0, the start
    s: np.ndarray        # s_t, the weighted sum of gradients, scaled by 1/d₀
    m: np.ndarray        # m_t, first moment of d·g
    v: np.ndarray        # v_t, second moment of d·g


def init(params):
    z = K.zeros_like(params)
    return ProdigyState(step=0, d=0.0, r=0.0, x0=K.copy(params), s=z, m=z, v=z)


def update(grads, state, params, lr=1.0, beta1=0.9, beta2=0.999, d0=1e-6, d_coef=1.0, weight_decay=0.0, eps=1e-8):
    r"""One step of Prodigy, the Adam version (Mishchenko & Defazio 2023, Algorithm 4)::

        m_t = β₁ m_{t−1} + (1 − β₁) d_{t−1} g_t
        v_t = β₂ v_{t−1} + (1 − β₂) d_{t−1}² g_t²
        r_t = √β₂ r_{t−1} + η d_{t−1}² ⟨g_t, θ_0 − θ_{t−1}⟩
        s_t = √β₂ s_{t−1} + η d_{t−1}² g_t
        d_t = max(d_{t−1}, c r_t / ‖s_t‖₁)
        θ_t = (1 − λ η d_{t−1}) θ_{t−1} − η d_{t−1} m_t / (√v_t + d_{t−1} ε)

    where η = lr, β₁ = beta1, β₂ = beta2, d₀ = d0, c = d_coef, λ = weight_decay, ε = eps.

    d_0 = d₀ and m_0 = v_0 = s_0 = 0, r_0 = 0.  r_t/‖s_t‖₁ is a lower bound on the
    distance ‖θ_0 − θ*‖ (for a convex f), so d only grows towards the right step
    scale.  r and s are kept divided by d₀ (as the reference code does) and without
    the paper's common factor (1 − √β₂), which cancels in their ratio.  Differences
    from ``pytorch_optimizer``'s ``Prodigy``: it adds d_t ε (the *new* d) to the
    denominator, where the paper's Algorithm 4 adds d_{t−1} ε, as here; its
    ``beta3`` (√β₂ here), ``growth_rate`` (∞ here), ``bias_correction`` and
    ``safeguard_warmup`` (off here) are not offered.  λ is decoupled, scaled by η d.

    References
    ----------
    Mishchenko, K. & Defazio, A. (2024). Prodigy: an expeditiously adaptive
    parameter-free learner. *ICML* (arXiv:2306.06101, 2023; Algorithm 4).
    """
    t = state.step + 1
    d = d0 if state.step == 0 else state.d
    beta3 = K.sqrt(beta2)
    d_lr = d * lr
    scale = d / d0 * d_lr
    r = beta3 * state.r + scale * float((grads * (state.x0 - params)).sum())
    m = beta1 * state.m + d * (1.0 - beta1) * grads
    v = beta2 * state.v + d * d * (1.0 - beta2) * grads * grads
    s = beta3 * state.s + scale * grads
    s_norm = float(np.abs(s).sum())
    if s_norm == 0.0:  # no gradient yet: nothing to estimate, no step (as the reference code)
        return K.zeros_like(params), ProdigyState(t, d, r, state.x0, s, m, v)
    d_hat = d_coef * r / s_norm
    updates = -d_lr * m / (K.sqrt(v) + d * eps)
    if weight_decay != 0.0:
        updates = updates - weight_decay * d_lr * params
    return updates, ProdigyState(t, max(d, d_hat), r, state.x0, s, m, v)


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m``, ``v``, ``s`` and ``d`` (d_t, the
    learning-rate scale, the same in every coordinate)."""
    return {"grad": grads, "update": updates, "m": new_state.m, "v": new_state.v, "s": new_state.s,
            "d": np.full_like(updates, new_state.d)}
