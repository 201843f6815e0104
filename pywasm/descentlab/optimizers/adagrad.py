"""AdaGrad: a per-coordinate step size that shrinks with the gradients seen so far."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import Optimizer


class AdagradState(NamedTuple):
    step: int            # t
    sum_sq: np.ndarray   # G_t = G_0 + Σ_{i≤t} g_i², per coordinate


def adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10) -> Optimizer:
    r"""AdaGrad (PyTorch ``torch.optim.Adagrad``).

    With step size η = ``lr``, decay κ = ``lr_decay`` and weight decay λ::

        g_t = ∇f(θ_{t-1}) + λ θ_{t-1}
        η_t = η / (1 + (t - 1) κ)
        G_t = G_{t-1} + g_t²                 G_0 = initial_accumulator_value
        θ_t = θ_{t-1} - η_t g_t / (√G_t + ε)

    Coordinates with large past gradients get small steps and rare ones large
    steps.  Because G_t only grows, the effective step size decays like 1/√t.

    Parameters
    ----------
    lr : float
        Step size η.
    lr_decay : float
        κ, an extra 1/(1 + (t-1)κ) decay of the step size.
    weight_decay : float
        λ, L2 penalty added to the gradient.
    initial_accumulator_value : float
        G_0, the starting value of the sum of squares.
    eps : float
        ε, keeps the division finite while G_t is zero.

    Returns
    -------
    Optimizer

    References
    ----------
    Duchi, J., Hazan, E. & Singer, Y. (2011). Adaptive subgradient methods for
    online learning and stochastic optimization. *JMLR* 12, 2121-2159.
    """
    lr, kappa, wd = float(lr), float(lr_decay), float(weight_decay)
    g0, eps = float(initial_accumulator_value), float(eps)

    def init(params):
        return AdagradState(step=0, sum_sq=K.full_like(params, g0))

    def update(grads, state, params):
        t = state.step + 1
        g = grads + wd * params if wd != 0.0 else grads
        lr_t = lr / (1.0 + (t - 1) * kappa)
        sum_sq = state.sum_sq + g * g
        return -lr_t * g / (K.sqrt(sum_sq) + eps), AdagradState(t, sum_sq)

    return Optimizer(init, update)


def trace(grads, old_state, new_state, updates, hyper) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``sum_sq`` (the accumulator G_t)."""
    return {"grad": grads, "update": updates, "sum_sq": new_state.sum_sq}
