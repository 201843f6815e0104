"""Adadelta: steps whose units match the parameters', with no hand-tuned step size."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import Optimizer


class AdadeltaState(NamedTuple):
    step: int              # t
    square_avg: np.ndarray  # E[g²]_t, running mean of squared gradients
    acc_delta: np.ndarray   # E[Δθ²]_t, running mean of squared updates


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0) -> Optimizer:
    r"""Adadelta (PyTorch ``torch.optim.Adadelta``).

    With decay ρ = ``rho``, weight decay λ and a scale η = ``lr`` (1 in the paper)::

        g_t      = ∇f(θ_{t-1}) + λ θ_{t-1}
        E[g²]_t  = ρ E[g²]_{t-1} + (1 - ρ) g_t²
        Δθ_t     = √(E[Δθ²]_{t-1} + ε) / √(E[g²]_t + ε) · g_t
        E[Δθ²]_t = ρ E[Δθ²]_{t-1} + (1 - ρ) Δθ_t²
        θ_t      = θ_{t-1} - η Δθ_t

    The ratio RMS[Δθ]/RMS[g] approximates the inverse curvature (a diagonal
    Newton step), so the step has the units of θ.  It starts tiny (√ε) and grows.

    Parameters
    ----------
    lr : float
        η, a scale applied to Δθ_t before it is subtracted.
    rho : float
        ρ in [0, 1), decay of both running averages.
    eps : float
        ε, also the seed of the first step size √ε.
    weight_decay : float
        λ, L2 penalty added to the gradient.

    Returns
    -------
    Optimizer

    References
    ----------
    Zeiler, M. D. (2012). ADADELTA: an adaptive learning rate method.
    arXiv:1212.5701 (Algorithm 1).
    """
    lr, rho, eps, wd = float(lr), float(rho), float(eps), float(weight_decay)

    def init(params):
        z = K.zeros_like(params)
        return AdadeltaState(step=0, square_avg=z, acc_delta=z)

    def update(grads, state, params):
        g = grads + wd * params if wd != 0.0 else grads
        sq = rho * state.square_avg + (1.0 - rho) * g * g
        delta = K.sqrt(state.acc_delta + eps) / K.sqrt(sq + eps) * g
        acc = rho * state.acc_delta + (1.0 - rho) * delta * delta
        return -lr * delta, AdadeltaState(state.step + 1, sq, acc)

    return Optimizer(init, update)


def trace(grads, old_state, new_state, updates, hyper) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``square_avg`` (E[g²]_t),
    ``acc_delta`` (E[Δθ²]_t) and ``delta`` (Δθ_t = -update / lr)."""
    return {"grad": grads, "update": updates, "square_avg": new_state.square_avg,
            "acc_delta": new_state.acc_delta, "delta": -updates / hyper["lr"]}
