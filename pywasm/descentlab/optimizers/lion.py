"""Lion: the sign of an interpolated momentum, found by program search."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import Optimizer


class LionState(NamedTuple):
    step: int       # t
    m: np.ndarray   # m_t, momentum (running mean of g with rate β2)


def lion(lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0) -> Optimizer:
    r"""Lion, EvoLved Sign Momentum (Chen et al. 2023, Algorithm 2).

    With step size η = ``lr`` and decoupled weight decay λ::

        g_t = ∇f(θ_{t-1})
        c_t = β1 m_{t-1} + (1 - β1) g_t
        θ_t = θ_{t-1} - η (sign(c_t) + λ θ_{t-1})
        m_t = β2 m_{t-1} + (1 - β2) g_t                    m_0 = 0

    Every coordinate moves by exactly ±η (or 0) besides the decay, so the update
    has a larger norm than Adam's: the paper advises a 3-10x smaller η and a
    3-10x larger λ.  Two different betas let the step react to the current
    gradient (β1) while the memory stays long (β2).

    Parameters
    ----------
    lr : float
        Step size η.
    beta1 : float
        β1, interpolation between momentum and gradient in the step.
    beta2 : float
        β2, decay of the momentum that is kept.
    weight_decay : float
        λ, decoupled weight decay (as in AdamW).

    Returns
    -------
    Optimizer

    References
    ----------
    Chen, X., Liang, C., Huang, D., Real, E., Wang, K., Liu, Y., Pham, H., Dong, X.,
    Luong, T., Hsieh, C.-J., Lu, Y. & Le, Q. V. (2023). Symbolic discovery of
    optimization algorithms. *NeurIPS*.
    """
    lr, b1, b2, wd = float(lr), float(beta1), float(beta2), float(weight_decay)

    def init(params):
        return LionState(step=0, m=K.zeros_like(params))

    def update(grads, state, params):
        c = b1 * state.m + (1.0 - b1) * grads
        updates = -lr * (K.sign(c) + wd * params)
        m = b2 * state.m + (1.0 - b2) * grads
        return updates, LionState(state.step + 1, m)

    return Optimizer(init, update)


def trace(grads, old_state, new_state, updates, hyper) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m`` (m_t) and ``c`` (c_t, whose sign is the step)."""
    b1 = float(hyper["beta1"])
    return {"grad": grads, "update": updates, "m": new_state.m,
            "c": b1 * old_state.m + (1.0 - b1) * grads}
