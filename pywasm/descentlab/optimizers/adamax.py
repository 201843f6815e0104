"""Adam with the infinity norm: the second moment becomes an exponentially weighted maximum of past gradient magnitudes, which needs no bias correction and no square root. Its step is bounded by η in every coordinate, and it can be more stable than Adam when gradients have rare, very large entries (embeddings, sparse features)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, BETA2, EPS, LR, WEIGHT_DECAY, bias_correction

TITLE = "Adamax"
RANGES = {"lr": LR, "beta1": BETA, "beta2": BETA2, "eps": EPS, "weight_decay": WEIGHT_DECAY}


class AdamaxState(NamedTuple):
    step: int           # t
    m: np.ndarray       # m_t, first moment (running mean of g)
    u: np.ndarray       # u_t, exponentially weighted infinity norm of past gradients


def init(params):
    z = K.zeros_like(params)
    return AdamaxState(step=0, m=z, u=z)


def update(grads, state, params, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    r"""One step of Adamax (PyTorch ``torch.optim.Adamax``; Kingma & Ba 2015, Algorithm 2)::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}
        m_t = β₁ m_{t−1} + (1 − β₁) g_t
        u_t = max(β₂ u_{t−1}, |g_t| + ε)
        θ_t = θ_{t−1} − (η / (1 − β₁ᵗ)) m_t / u_t

    where η = lr, β₁ = beta1, β₂ = beta2, ε = eps, λ = weight_decay.

    m_0 = u_0 = 0.  u_t is the limit p → ∞ of Adam's (v_t)^(1/p) with the Lᵖ
    norm in place of the L² norm; it starts at |g_1| + ε, so only m_t needs the
    bias correction.  PyTorch adds ε inside the maximum, the paper does not.

    References
    ----------
    Kingma, D. P. & Ba, J. (2015). Adam: a method for stochastic optimization. *ICLR* (section 7.1).
    """
    t = state.step + 1
    g = grads + weight_decay * params if weight_decay != 0.0 else grads
    m = beta1 * state.m + (1.0 - beta1) * g
    u = K.maximum(beta2 * state.u, abs(g) + eps)  # abs: exact for floats and arrays
    return -(lr / bias_correction(beta1, t)) * (m / u), AdamaxState(t, m, u)


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m`` (m_t) and ``u`` (u_t)."""
    return {"grad": grads, "update": updates, "m": new_state.m, "u": new_state.u}
