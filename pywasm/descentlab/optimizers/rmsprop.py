"""AdaGrad with a forgetting sum: divide by the root of an exponential moving average of squared gradients, so the step size adapts to recent gradient scale without decaying to zero. The centered variant divides by the variance estimate instead, and momentum can be added on top. A classic for recurrent networks and non-stationary objectives."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, BOOL, EPS, LR, MOMENTUM, WEIGHT_DECAY

TITLE = "RMSprop"
RANGES = {"lr": LR, "alpha": BETA, "eps": EPS, "weight_decay": WEIGHT_DECAY, "momentum": MOMENTUM,
          "centered": BOOL}


class RMSpropState(NamedTuple):
    step: int                    # t
    square_avg: np.ndarray       # v_t, running mean of g²
    grad_avg: np.ndarray         # ḡ_t, running mean of g (used when centered)
    momentum_buffer: np.ndarray  # b_t (used when momentum > 0)


def init(params):
    z = K.zeros_like(params)
    return RMSpropState(step=0, square_avg=z, grad_avg=z, momentum_buffer=z)


def update(grads, state, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    r"""One step of RMSprop, plain, centered or with momentum (PyTorch ``torch.optim.RMSprop``)::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}
        v_t = α v_{t−1} + (1 − α) g_t²
        centered: ḡ_t = α ḡ_{t−1} + (1 − α) g_t,  ṽ_t = v_t − ḡ_t²   (else ṽ_t = v_t)
        b_t = μ b_{t−1} + g_t / (√ṽ_t + ε)
        θ_t = θ_{t−1} − η b_t

    where η = lr, α = alpha, ε = eps, μ = momentum, λ = weight_decay.

    Without momentum (μ = 0) the step is just ``η g_t / (√ṽ_t + ε)``.  Unlike
    AdaGrad the mean of squares forgets old gradients, so the step size does not
    decay to zero.  The centered variant divides by an estimate of the
    gradient's *variance* instead of its raw second moment.

    References
    ----------
    Hinton, G., Srivastava, N. & Swersky, K. (2012). Neural networks for machine
    learning, lecture 6e: rmsprop. Coursera.

    Graves, A. (2013). Generating sequences with recurrent neural networks.
    arXiv:1308.0850 (centered variant, eqs. 38-41).
    """
    g = grads + weight_decay * params if weight_decay != 0.0 else grads
    v = alpha * state.square_avg + (1.0 - alpha) * g * g
    g_avg, v_tilde = state.grad_avg, v
    if centered:
        g_avg = alpha * g_avg + (1.0 - alpha) * g
        # v_t ≥ ḡ_t² holds exactly (Jensen) but rounding can push it below 0
        v_tilde = K.maximum(v - g_avg * g_avg, 0.0)
    step = g / (K.sqrt(v_tilde) + eps)
    b = state.momentum_buffer
    if momentum != 0.0:
        b = momentum * b + step
        step = b
    return -lr * step, RMSpropState(state.step + 1, v, g_avg, b)


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``square_avg``, plus ``grad_avg``
    when centered and ``momentum_buffer`` when momentum > 0."""
    out = {"grad": grads, "update": updates, "square_avg": new_state.square_avg}
    if hyper["centered"]:
        out["grad_avg"] = new_state.grad_avg
    if hyper["momentum"] != 0.0:
        out["momentum_buffer"] = new_state.momentum_buffer
    return out
