"""Adaptive Nesterov momentum without the extra gradient evaluation: Nesterov's look-ahead is rewritten as a correction by the change of the gradient between steps, which Adan keeps its own moving average of. The step is Adam-like (scaled by a running mean of the squared, corrected gradient) with momentum plus the averaged gradient difference. Proposed for vision and language models alike; its large β's (0.98, 0.92, 0.99) tolerate larger learning rates and batch sizes than Adam."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, BETA2, EPS, LR, WEIGHT_DECAY, bias_correction

TITLE = "Adan"
RANGES = {"lr": LR, "beta1": BETA, "beta2": BETA, "beta3": BETA2, "eps": EPS, "weight_decay": WEIGHT_DECAY}


class AdanState(NamedTuple):
    step: int            # t
    m: np.ndarray        # m_t, running mean of g
    v: np.ndarray        # v_t, running mean of the gradient difference g_t − g_{t−1}
    n: np.ndarray        # n_t, running mean of the squared corrected gradient
    g_prev: np.ndarray   # g_{t−1} (g_0 = g_1: the first difference is 0)


def init(params):
    z = K.zeros_like(params)
    return AdanState(step=0, m=z, v=z, n=z, g_prev=z)


def update(grads, state, params, lr=1e-3, beta1=0.98, beta2=0.92, beta3=0.99, eps=1e-8, weight_decay=0.0):
    r"""One step of Adan, adaptive Nesterov momentum (Xie et al. 2022, Algorithm 1)::

        Δ_t = g_t − g_{t−1}
        m_t = β₁ m_{t−1} + (1 − β₁) g_t
        v_t = β₂ v_{t−1} + (1 − β₂) Δ_t
        n_t = β₃ n_{t−1} + (1 − β₃) (g_t + β₂ Δ_t)²
        u_t = m_t / (1 − β₁ᵗ) + β₂ v_t / (1 − β₂ᵗ)
        θ_t = (θ_{t−1} − η u_t / (√(n_t / (1 − β₃ᵗ)) + ε)) / (1 + λη)

    where η = lr, β₁ = beta1, β₂ = beta2, β₃ = beta3, ε = eps, λ = weight_decay.

    The paper writes the rates the other way round (its β₁ = 0.02 is 1 − 0.98 here);
    these are ``pytorch_optimizer``'s ``betas`` and defaults.  m_0 = v_0 = n_0 = 0
    with bias correction and g_0 = g_1, as the authors' released code and the
    package do; the paper's Algorithm 1 instead starts the averages at the first
    gradient without bias correction, which gives the same first step
    (θ_1 = θ_0 − η g_1/(|g_1| + ε) without decay).  g_t + β₂Δ_t is the gradient at
    the Nesterov look-ahead point, to first order.  λ is the paper's proximal weight
    decay (the package's ``weight_decouple=False``); the package's ``max_grad_norm``
    is left out (clip with the entry's ``clip_grad_norm``).

    References
    ----------
    Xie, X., Zhou, P., Li, H., Lin, Z. & Yan, S. (2022). Adan: adaptive Nesterov
    momentum algorithm for faster optimizing deep models. arXiv:2208.06677; *IEEE TPAMI* (2024).
    """
    t = state.step + 1
    diff = grads - state.g_prev if state.step > 0 else K.zeros_like(grads)
    m = beta1 * state.m + (1.0 - beta1) * grads
    v = beta2 * state.v + (1.0 - beta2) * diff
    corrected = grads + beta2 * diff
    n = beta3 * state.n + (1.0 - beta3) * corrected * corrected
    u = m / bias_correction(beta1, t) + beta2 * v / bias_correction(beta2, t)
    step = lr * u / (K.sqrt(n / bias_correction(beta3, t)) + eps)
    if weight_decay != 0.0:
        updates = (params - step) / (1.0 + lr * weight_decay) - params
    else:
        updates = -step
    return updates, AdanState(t, m, v, n, K.copy(grads))


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m``, ``v`` (mean gradient difference),
    ``n`` (second moment) and ``diff`` (Δ_t)."""
    return {"grad": grads, "update": updates, "m": new_state.m, "v": new_state.v, "n": new_state.n,
            "diff": variables["diff"]}
