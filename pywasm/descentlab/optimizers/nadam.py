"""NAdam: Adam with Nesterov momentum."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import SCHEDULE_CACHE_SIZE, Optimizer, bias_correction


class NAdamState(NamedTuple):
    step: int            # t
    mu_product: float    # Π_{i≤t} μ_i (1 at t = 0)
    m: np.ndarray        # m_t, first moment
    v: np.ndarray        # v_t, second moment


def nadam(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3) -> Optimizer:
    r"""NAdam (PyTorch ``torch.optim.NAdam``).

    With step size η = ``lr``, weight decay λ (L2) and ψ = ``momentum_decay``, the
    momentum coefficient warms up along the schedule of Dozat (2016)::

        μ_t = β1 (1 - ½ · 0.96^(t ψ))
        g_t = ∇f(θ_{t-1}) + λ θ_{t-1}
        m_t = β1 m_{t-1} + (1 - β1) g_t
        v_t = β2 v_{t-1} + (1 - β2) g_t²
        m̂_t = μ_{t+1} m_t / (1 - Π_{i≤t+1} μ_i) + (1 - μ_t) g_t / (1 - Π_{i≤t} μ_i)
        v̂_t = v_t / (1 - β2^t)
        θ_t = θ_{t-1} - η m̂_t / (√v̂_t + ε)

    m̂_t mixes the *next* step's momentum term with the current gradient: the
    Nesterov look-ahead applied to Adam's bias-corrected first moment.

    Parameters
    ----------
    lr : float
        Step size η.
    beta1, beta2 : float
        β1, β2 in [0, 1).
    eps : float
        ε, added to √v̂_t.
    weight_decay : float
        λ, L2 penalty added to the gradient.
    momentum_decay : float
        ψ, how fast μ_t rises from β1/2 towards β1.

    Returns
    -------
    Optimizer

    References
    ----------
    Dozat, T. (2016). Incorporating Nesterov momentum into Adam. *ICLR Workshop*.
    """
    lr, b1, b2, eps, wd, psi = (float(x) for x in (lr, beta1, beta2, eps, weight_decay, momentum_decay))

    def init(params):
        z = K.zeros_like(params)
        return NAdamState(step=0, mu_product=1.0, m=z, v=z)

    def update(grads, state, params):
        t = state.step + 1
        g = grads + wd * params if wd != 0.0 else grads
        mu_t, mu_next = momentum_schedule(b1, psi, t), momentum_schedule(b1, psi, t + 1)
        mu_product = state.mu_product * mu_t
        m = b1 * state.m + (1.0 - b1) * g
        v = b2 * state.v + (1.0 - b2) * g * g
        m_hat = mu_next * m / (1.0 - mu_product * mu_next) + (1.0 - mu_t) * g / (1.0 - mu_product)
        v_hat = v / bias_correction(b2, t)
        return -lr * m_hat / (K.sqrt(v_hat) + eps), NAdamState(t, mu_product, m, v)

    return Optimizer(init, update)


_LOG_096 = float(K.log(0.96))  # 0.96^x = exp(x log 0.96): deterministic kernels, not libm pow


@lru_cache(maxsize=SCHEDULE_CACHE_SIZE)
def momentum_schedule(beta1: float, psi: float, t: int) -> float:
    """μ_t = β1 (1 - ½ · 0.96^(t ψ)), kept across runs as ``bias_correction`` is."""
    return beta1 * (1.0 - 0.5 * float(K.exp(t * psi * _LOG_096)))


def trace(grads, old_state, new_state, updates, hyper) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m``, ``v``, ``m_hat``, ``v_hat``.

    m̂_t involves the L2-decayed gradient, which needs θ_{t-1}; it is recovered
    from the update instead, m̂_t = -update (√v̂_t + ε) / η (exact up to rounding).
    """
    v_hat = new_state.v / bias_correction(float(hyper["beta2"]), new_state.step)
    m_hat = -updates * (K.sqrt(v_hat) + hyper["eps"]) / hyper["lr"]
    return {"grad": grads, "update": updates, "m": new_state.m, "v": new_state.v,
            "m_hat": m_hat, "v_hat": v_hat}
