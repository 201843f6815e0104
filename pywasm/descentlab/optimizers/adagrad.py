"""Give each coordinate its own step size, divided by the root of the sum of all its past squared gradients. Rare features (sparse gradients) keep large steps while frequent ones are damped, and the step size needs little tuning. Because the sum only grows, learning eventually stalls: good for convex and sparse problems, less so for long non-convex training."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import EPS, LR, WEIGHT_DECAY

TITLE = "AdaGrad"
RANGES = {"lr": LR, "lr_decay": (0.0, 1.0, "float"), "weight_decay": WEIGHT_DECAY,
          "initial_accumulator_value": (0.0, 10.0, "float"), "eps": EPS}


class AdagradState(NamedTuple):
    step: int            # t
    sum_sq: np.ndarray   # G_t, the sum of squared gradients


def init(params):
    return AdagradState(step=0, sum_sq=K.zeros_like(params))


def update(grads, state, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
           eps=1e-10):
    r"""One step of AdaGrad (PyTorch ``torch.optim.Adagrad``)::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}
        η_t = η / (1 + (t − 1) κ)
        G_t = G_{t−1} + g_t²
        θ_t = θ_{t−1} − η_t g_t / (√G_t + ε)

    where η = lr, κ = lr_decay, G_0 = initial_accumulator_value, ε = eps, λ = weight_decay.

    Coordinates with large past gradients get small steps and rare ones large
    steps.  Because G_t only grows, the effective step size decays like 1/√t.
    ``init`` knows no hyper-parameters, so G_0 joins the sum at the first step.

    References
    ----------
    Duchi, J., Hazan, E. & Singer, Y. (2011). Adaptive subgradient methods for
    online learning and stochastic optimization. *JMLR* 12, 2121-2159.
    """
    t = state.step + 1
    g = grads + weight_decay * params if weight_decay != 0.0 else grads
    lr_t = lr / (1.0 + (t - 1) * lr_decay)
    sum_sq = state.sum_sq + initial_accumulator_value if t == 1 else state.sum_sq
    sum_sq = sum_sq + g * g
    return -lr_t * g / (K.sqrt(sum_sq) + eps), AdagradState(t, sum_sq)


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``sum_sq`` (the accumulator G_t)."""
    return {"grad": grads, "update": updates, "sum_sq": new_state.sum_sq}
