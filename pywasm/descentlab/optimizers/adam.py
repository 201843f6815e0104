"""Momentum plus RMSprop scaling, with both moving averages bias-corrected for their zero start. Each coordinate moves by about η in the direction of its smoothed gradient, whatever the gradient's scale, which makes Adam the default first choice for deep networks: fast and forgiving of the step size. It can generalise worse than SGD with momentum on some vision tasks."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, BETA2, BOOL, EPS, LR, WEIGHT_DECAY, bias_correction

TITLE = "Adam"
RANGES = {"lr": LR, "beta1": BETA, "beta2": BETA2, "eps": EPS, "weight_decay": WEIGHT_DECAY, "amsgrad": BOOL}


class AdamState(NamedTuple):
    step: int           # t
    m: np.ndarray       # m_t, first moment (running mean of g)
    v: np.ndarray       # v_t, second moment (running mean of g²)
    v_max: np.ndarray   # max_{i≤t} v_i (used by AMSGrad)


def init(params):
    z = K.zeros_like(params)
    return AdamState(step=0, m=z, v=z, v_max=z)


def update(grads, state, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False):
    r"""One step of Adam (PyTorch ``torch.optim.Adam``)::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}
        m_t = β₁ m_{t−1} + (1 − β₁) g_t
        v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        m̂_t = m_t / (1 − β₁ᵗ)
        v̂_t = v_t / (1 − β₂ᵗ)
        θ_t = θ_{t−1} − η m̂_t / (√v̂_t + ε)

    where η = lr, β₁ = beta1, β₂ = beta2, ε = eps, λ = weight_decay.

    m_0 = v_0 = 0.  Dividing by 1 − βᵗ undoes the bias of starting the averages
    at zero, so the first step is ``−η g_1/(|g_1| + ε) ≈ −η sign(g_1)`` in every
    coordinate.  λ is an L2 penalty in the gradient; see :mod:`.adamw` for the
    decoupled form, and :mod:`.amsgrad` for ``amsgrad=True``.

    References
    ----------
    Kingma, D. P. & Ba, J. (2015). Adam: a method for stochastic optimization. *ICLR*.
    """
    t = state.step + 1
    g = grads + weight_decay * params if weight_decay != 0.0 else grads
    m = beta1 * state.m + (1.0 - beta1) * g
    v = beta2 * state.v + (1.0 - beta2) * g * g
    v_max = K.maximum(state.v_max, v) if amsgrad else state.v_max
    m_hat = m / bias_correction(beta1, t)
    v_hat = (v_max if amsgrad else v) / bias_correction(beta2, t)
    return -lr * m_hat / (K.sqrt(v_hat) + eps), AdamState(t, m, v, v_max)


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m``, ``v``, ``m_hat``, ``v_hat``,
    plus ``v_max`` with AMSGrad."""
    out = {"grad": grads, "update": updates, "m": new_state.m, "v": new_state.v,
           "m_hat": variables["m_hat"], "v_hat": variables["v_hat"]}
    if hyper["amsgrad"]:
        out["v_max"] = new_state.v_max
    return out
