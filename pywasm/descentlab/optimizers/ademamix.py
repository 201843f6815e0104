"""Adam with a second, much slower momentum added to the step. One moving average of the gradient forgets in about ten steps and reacts to the recent slope; the other (β₃ = 0.9999) remembers ten thousand steps of gradients, which stay useful long after Adam's momentum has forgotten them. The slow one is weighted by α and both are scaled by Adam's second moment. In the paper a language model trained with AdEMAMix on 101B tokens matched an AdamW model trained on 197B, and forgot its training data more slowly."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, BETA2, EPS, LR, WEIGHT_DECAY, bias_correction

TITLE = "AdEMAMix"
RANGES = {"lr": LR, "beta1": BETA, "beta2": BETA2, "beta3": (0.0, 0.99999, "float"), "alpha": (0.0, 20.0, "float"),
          "t_alpha_beta3": (0, 1_000_000, "int"), "eps": EPS, "weight_decay": WEIGHT_DECAY}


class AdEMAMixState(NamedTuple):
    step: int           # t
    m1: np.ndarray      # m⁽¹⁾_t, the fast momentum (rate β₁)
    m2: np.ndarray      # m⁽²⁾_t, the slow momentum (rate β₃)
    nu: np.ndarray      # ν_t, the second moment (rate β₂)


def init(params):
    z = K.zeros_like(params)
    return AdEMAMixState(step=0, m1=z, m2=z, nu=z)


def check(lr, beta1, beta2, beta3, alpha, t_alpha_beta3, eps, weight_decay):
    if t_alpha_beta3 and (beta1 == 0.0 or beta3 == 0.0):
        raise ValueError("the beta3 warm-up interpolates log(beta1) and log(beta3): with t_alpha_beta3 > 0"
                         " both betas must be above 0")


def update(grads, state, params, lr=1e-3, beta1=0.9, beta2=0.999, beta3=0.9999, alpha=5.0, t_alpha_beta3=0,
           eps=1e-8, weight_decay=0.0):
    r"""One step of AdEMAMix (Pagliardini et al. 2024, Algorithm 1)::

        m⁽¹⁾_t = β₁ m⁽¹⁾_{t−1} + (1 − β₁) g_t
        m⁽²⁾_t = β₃(t) m⁽²⁾_{t−1} + (1 − β₃(t)) g_t
        ν_t = β₂ ν_{t−1} + (1 − β₂) g_t²
        m̂⁽¹⁾_t = m⁽¹⁾_t / (1 − β₁ᵗ)
        ν̂_t = ν_t / (1 − β₂ᵗ)
        θ_t = θ_{t−1} − η ((m̂⁽¹⁾_t + α(t) m⁽²⁾_t) / (√ν̂_t + ε) + λ θ_{t−1})

    where η = lr, β₁ = beta1, β₂ = beta2, β₃ = beta3, α = alpha, T = t_alpha_beta3, ε = eps, λ = weight_decay.

    m⁽¹⁾_0 = m⁽²⁾_0 = ν_0 = 0; the slow m⁽²⁾ is not bias-corrected (it starts
    small on purpose).  With T > 0 both α and β₃ warm up over T steps, as the paper
    advises for long β₃ (T = the length of training):
    α(t) = min(tα/T, α) and β₃(t) = min(exp(ln β₁ ln β₃ / ((1 − t/T) ln β₃ + (t/T) ln β₁)), β₃),
    which moves the slow memory's half-life linearly from β₁'s to β₃'s.  T = 0 (the
    ``pytorch_optimizer`` package's ``None``) keeps α and β₃ fixed.  The weight decay
    is decoupled, as in the paper (AdamW's); the package's default adds it to the
    gradient instead (``weight_decouple=False``).

    References
    ----------
    Pagliardini, M., Ablin, P. & Grangier, D. (2024). The AdEMAMix optimizer: better,
    faster, older. arXiv:2409.03033 (Algorithm 1).
    """
    t = state.step + 1
    alpha_t, beta3_t = alpha, beta3
    if t_alpha_beta3:
        alpha_t = min(t * alpha / t_alpha_beta3, alpha)
        log1, log3 = float(K.log(beta1)), float(K.log(beta3))
        frac = t / t_alpha_beta3
        beta3_t = min(float(K.exp(log1 * log3 / ((1.0 - frac) * log3 + frac * log1))), beta3)
    m1 = beta1 * state.m1 + (1.0 - beta1) * grads
    m2 = beta3_t * state.m2 + (1.0 - beta3_t) * grads
    nu = beta2 * state.nu + (1.0 - beta2) * grads * grads
    m1_hat = m1 / bias_correction(beta1, t)
    nu_hat = nu / bias_correction(beta2, t)
    step = (m1_hat + alpha_t * m2) / (K.sqrt(nu_hat) + eps)
    if weight_decay != 0.0:
        step = step + weight_decay * params
    return -lr * step, AdEMAMixState(t, m1, m2, nu)


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m1`` (fast momentum), ``m2`` (slow
    momentum), ``nu`` (second moment), ``m1_hat`` and ``nu_hat`` (bias-corrected)."""
    return {"grad": grads, "update": updates, "m1": new_state.m1, "m2": new_state.m2, "nu": new_state.nu,
            "m1_hat": variables["m1_hat"], "nu_hat": variables["nu_hat"]}
