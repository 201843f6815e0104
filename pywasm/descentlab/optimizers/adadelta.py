"""Remove the global step size altogether: scale each step by the ratio of the running RMS of past updates to the running RMS of gradients, which has the units of the parameters (an approximate diagonal Newton step). Robust to the choice of hyper-parameters, but starts with tiny steps and is often slower than Adam in practice."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, EPS, LR, WEIGHT_DECAY

TITLE = "Adadelta"
RANGES = {"lr": LR, "rho": BETA, "eps": EPS, "weight_decay": WEIGHT_DECAY}


class AdadeltaState(NamedTuple):
    step: int               # t
    square_avg: np.ndarray  # E[g²]_t, running mean of squared gradients
    acc_delta: np.ndarray   # E[Δθ²]_t, running mean of squared updates


def init(params):
    z = K.zeros_like(params)
    return AdadeltaState(step=0, square_avg=z, acc_delta=z)


def update(grads, state, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    r"""One step of Adadelta (PyTorch ``torch.optim.Adadelta``)::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}
        E[g²]_t = ρ E[g²]_{t−1} + (1 − ρ) g_t²
        Δθ_t = √(E[Δθ²]_{t−1} + ε) / √(E[g²]_t + ε) · g_t
        E[Δθ²]_t = ρ E[Δθ²]_{t−1} + (1 − ρ) Δθ_t²
        θ_t = θ_{t−1} − η Δθ_t

    where η = lr, ρ = rho, ε = eps, λ = weight_decay.

    The ratio RMS[Δθ]/RMS[g] approximates the inverse curvature (a diagonal
    Newton step), so the step has the units of θ.  It starts tiny (√ε) and grows.

    References
    ----------
    Zeiler, M. D. (2012). ADADELTA: an adaptive learning rate method.
    arXiv:1212.5701 (Algorithm 1).
    """
    g = grads + weight_decay * params if weight_decay != 0.0 else grads
    sq = rho * state.square_avg + (1.0 - rho) * g * g
    delta = K.sqrt(state.acc_delta + eps) / K.sqrt(sq + eps) * g
    acc = rho * state.acc_delta + (1.0 - rho) * delta * delta
    return -lr * delta, AdadeltaState(state.step + 1, sq, acc)


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``square_avg`` (E[g²]_t),
    ``acc_delta`` (E[Δθ²]_t) and ``delta`` (Δθ_t)."""
    return {"grad": grads, "update": updates, "square_avg": new_state.square_avg,
            "acc_delta": new_state.acc_delta, "delta": variables["delta"]}
