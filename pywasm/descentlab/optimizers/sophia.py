"""A light second-order method: divide a momentum of the gradient by a moving average of the Hessian's diagonal (curvature, re-estimated every few steps), so each coordinate takes about a Newton step, then clip every coordinate of that ratio so no step is longer than lr·p where the curvature is tiny, negative or badly estimated. Flat directions move fast, sharp ones carefully. It was built to pre-train language models in fewer steps than AdamW. On a landscape it is given the exact curvature (∂²f/∂x², ∂²f/∂y²); in a network Hutchinson's estimate from Hessian-vector products."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .adafactor import lerp
from .base import BETA, BETA2, BOOL, EPS, LR, WEIGHT_DECAY

TITLE = "Sophia"
DISTRIBUTIONS = ("gaussian", "rademacher")  # the draws of u in Hutchinson's estimate
RANGES = {"lr": LR, "beta1": BETA, "beta2": BETA2, "weight_decay": WEIGHT_DECAY, "weight_decouple": BOOL,
          "fixed_decay": BOOL, "p": (1e-6, 10.0, "log"), "update_period": (1, 1000, "int"),
          "num_samples": (1, 16, "int"), "hessian_distribution": (DISTRIBUTIONS, None, "choice"),
          "eps": EPS}
ELEMENTWISE = True  # each coordinate on its own, given its own curvature
NEEDS = ("hessian",)  # an estimate of diag(∇²f(θ)) every update_period steps: the loops provide it


class SophiaState(NamedTuple):
    step: int           # t
    m: np.ndarray       # m_t, momentum of the gradient
    h: np.ndarray       # h_t, moving average of the Hessian diagonal estimates


def init(params):
    z = K.zeros_like(params)
    return SophiaState(step=0, m=z, h=z)


def update(grads, state, params, hessian, lr=6e-2, beta1=0.96, beta2=0.99, weight_decay=0.0, weight_decouple=True,
           fixed_decay=False, p=1e-2, update_period=10, num_samples=1, hessian_distribution="gaussian", eps=1e-12):
    r"""One step of Sophia (``pytorch_optimizer.SophiaH``), given ĥ_t = ``hessian`` ≈ diag(∇²f(θ_{t−1}))::

        g_t = ∇f(θ_{t−1})  (+ λ θ_{t−1} if not weight_decouple)
        m_t = β₁ m_{t−1} + (1 − β₁) g_t
        h_t = β₂ h_{t−1} + (1 − β₂) ĥ_t  if t mod k = 1, else h_t = h_{t−1}
        θ_t = θ_{t−1} − ηλ θ_{t−1} − η clip(m_t / max(h_t, ε), p)

    where η = lr, β₁ = beta1, β₂ = beta2, λ = weight_decay (ηλ is λ alone with fixed_decay), p = p, k = update_period, ε = eps, clip(z, p) = max(−p, min(z, p)) per coordinate.

    The paper writes the step η′ clip(m_t / max(γ h_t, ε′), 1); with η′ = η p, γ = p
    and ε′ = p ε it is exactly the step above.  A negative or
    tiny curvature gives max(h_t, ε) = ε, so the ratio is clipped: the coordinate
    moves by η p along −sign(m_t), a sign-momentum step.  ĥ_t is given by the loop at
    steps 1, 1 + k, 1 + 2k, ... (``hessian`` None at the others; a given ĥ_t is always
    used, as ``SophiaH.step(hessian=...)`` does): the exact (∂²f/∂x², ∂²f/∂y²) on a
    landscape, Hutchinson's E[u ⊙ (∇²f u)] over ``num_samples`` draws of u from
    ``hessian_distribution`` in a network (see :func:`hutchinson`).

    References
    ----------
    Liu, H., Li, Z., Hall, D., Liang, P. & Ma, T. (2023). Sophia: a scalable stochastic second-order
    optimizer for language model pre-training. *ICLR 2024*. arXiv:2305.14342.
    """
    t = state.step + 1
    g = grads + weight_decay * params if (weight_decay != 0.0 and not weight_decouple) else grads
    m = lerp(state.m, g, 1.0 - beta1)
    h = state.h if hessian is None else lerp(state.h, hessian, 1.0 - beta2)
    ratio = m / K.maximum(h, eps)
    clipped = K.maximum(-p, -K.maximum(-ratio, -p))  # max(−p, min(ratio, p))
    step = -lr * clipped
    if weight_decay != 0.0 and weight_decouple:
        step = step - (weight_decay * (1.0 if fixed_decay else lr)) * params
    return step, SophiaState(t, m, h)


def wants_hessian(state, update_period: int = 10) -> bool:
    """Whether the next step (t = state.step + 1) refreshes h: t mod k = 1, as SophiaH's (t − 1) % k == 0."""
    return state.step % update_period == 0


def hutchinson(hvp, size: int, rng, num_samples: int = 1, hessian_distribution: str = "gaussian"):
    """Hutchinson's estimate of diag(H): the mean of u ⊙ (H u) over ``num_samples`` draws of u.

    Parameters
    ----------
    hvp : callable
        ``hvp(v) -> H v``, ndarray (size,) -> ndarray (size,).
    size : int
        The number of parameters.
    rng : numpy.random.Generator
        Seeded by the caller; u ~ N(0, I) (``standard_normal``) or uniform on {−1, 1}.

    Returns
    -------
    ndarray of float64, shape (size,)
        E[u ⊙ H u] = diag(H) for either distribution (E[u uᵀ] = I).
    """
    if hessian_distribution not in DISTRIBUTIONS:
        raise ValueError(f"hessian_distribution must be one of {', '.join(DISTRIBUTIONS)},"
                         f" got {hessian_distribution!r}")
    out = np.zeros(size, dtype=np.float64)
    weight = 1.0 / num_samples
    for _ in range(num_samples):
        if hessian_distribution == "rademacher":
            u = rng.integers(0, 2, size).astype(np.float64) * 2.0 - 1.0
        else:
            u = rng.standard_normal(size)
        out = out + weight * (np.asarray(hvp(u), dtype=np.float64) * u)
    return out


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m``, ``h`` (the curvature the step divided by) and
    ``ratio``, m_t / max(h_t, ε) before it is clipped to [−p, p]."""
    return {"grad": grads, "update": updates, "m": new_state.m, "h": new_state.h,
            "ratio": variables.get("ratio", new_state.m / K.maximum(new_state.h, hyper["eps"]))}
