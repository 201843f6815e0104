"""Adam with Nesterov momentum: the bias-corrected first moment looks one step ahead, mixing the next step's momentum with the current gradient, and the momentum coefficient warms up over the first steps. Often converges a little faster than Adam at no extra cost."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, BETA2, EPS, LR, SCHEDULE_CACHE_SIZE, WEIGHT_DECAY, bias_correction

TITLE = "NAdam"
RANGES = {"lr": LR, "beta1": BETA, "beta2": BETA2, "eps": EPS, "weight_decay": WEIGHT_DECAY,
          "momentum_decay": (0.0, 0.1, "float")}


class NAdamState(NamedTuple):
    step: int            # t
    mu_product: float    # Π_{i≤t} μ_i (1 at t = 0)
    m: np.ndarray        # m_t, first moment
    v: np.ndarray        # v_t, second moment


def init(params):
    z = K.zeros_like(params)
    return NAdamState(step=0, mu_product=1.0, m=z, v=z)


def update(grads, state, params, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
           momentum_decay=4e-3):
    r"""One step of NAdam (PyTorch ``torch.optim.NAdam``)::

        μ_t = β₁ (1 − ½ · 0.96^(t ψ))
        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}
        m_t = β₁ m_{t−1} + (1 − β₁) g_t
        v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        m̂_t = μ_{t+1} m_t / (1 − Π_{i≤t+1} μ_i) + (1 − μ_t) g_t / (1 − Π_{i≤t} μ_i)
        v̂_t = v_t / (1 − β₂ᵗ)
        θ_t = θ_{t−1} − η m̂_t / (√v̂_t + ε)

    where η = lr, β₁ = beta1, β₂ = beta2, ε = eps, λ = weight_decay, ψ = momentum_decay.

    m̂_t mixes the *next* step's momentum term with the current gradient: the
    Nesterov look-ahead applied to Adam's bias-corrected first moment.

    References
    ----------
    Dozat, T. (2016). Incorporating Nesterov momentum into Adam. *ICLR Workshop*.
    """
    t = state.step + 1
    g = grads + weight_decay * params if weight_decay != 0.0 else grads
    mu_t, mu_next = momentum_schedule(beta1, momentum_decay, t), momentum_schedule(beta1, momentum_decay, t + 1)
    mu_product = state.mu_product * mu_t
    m = beta1 * state.m + (1.0 - beta1) * g
    v = beta2 * state.v + (1.0 - beta2) * g * g
    m_hat = mu_next * m / (1.0 - mu_product * mu_next) + (1.0 - mu_t) * g / (1.0 - mu_product)
    v_hat = v / bias_correction(beta2, t)
    return -lr * m_hat / (K.sqrt(v_hat) + eps), NAdamState(t, mu_product, m, v)


_LOG_096 = float(K.log(0.96))  # 0.96^x = exp(x log 0.96): deterministic kernels, not libm pow


@lru_cache(maxsize=SCHEDULE_CACHE_SIZE)
def momentum_schedule(beta1: float, psi: float, t: int) -> float:
    """μ_t = β₁ (1 − ½ · 0.96^(t ψ)), kept across runs as ``bias_correction`` is."""
    return beta1 * (1.0 - 0.5 * float(K.exp(t * psi * _LOG_096)))


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m``, ``v``, ``m_hat``, ``v_hat``."""
    return {"grad": grads, "update": updates, "m": new_state.m, "v": new_state.v,
            "m_hat": variables["m_hat"], "v_hat": variables["v_hat"]}
