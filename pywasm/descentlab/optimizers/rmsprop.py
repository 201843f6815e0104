"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import Optimizer


class RMSpropState(NamedTuple):
    step: int                    # t
    square_avg: np.ndarray       # v_t, running mean of g²
    grad_avg: np.ndarray         # ḡ_t, running mean of g (used when centered)
    momentum_buffer: np.ndarray  # b_t (used when momentum > 0)


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False) -> Optimizer:
    r"""RMSprop, plain, centered or with momentum (PyTorch ``torch.optim.RMSprop``).

    With step size η = ``lr``, smoothing α = ``alpha``, momentum μ, weight decay λ::

        g_t = ∇f(θ_{t-1}) + λ θ_{t-1}
        v_t = α v_{t-1} + (1 - α) g_t²                       v_0 = 0
        ṽ_t = v_t
        centered:  ḡ_t = α ḡ_{t-1} + (1 - α) g_t,   ṽ_t = v_t - ḡ_t²
        μ > 0:     b_t = μ b_{t-1} + g_t / (√ṽ_t + ε),   θ_t = θ_{t-1} - η b_t
        μ = 0:     θ_t = θ_{t-1} - η g_t / (√ṽ_t + ε)

    Unlike AdaGrad the mean of squares forgets old gradients, so the step size
    does not decay to zero.  The centered variant divides by an estimate of the
    gradient's *variance* instead of its raw second moment.

    Parameters
    ----------
    lr : float
        Step size η.
    alpha : float
        α in [0, 1), smoothing constant of the running averages.
    eps : float
        ε, added to the root mean square.
    weight_decay : float
        λ, L2 penalty added to the gradient.
    momentum : float
        μ, momentum applied to the normalised step.
    centered : bool
        Normalise by the estimated variance (Graves 2013).

    Returns
    -------
    Optimizer

    References
    ----------
    Hinton, G., Srivastava, N. & Swersky, K. (2012). Neural networks for machine
    learning, lecture 6e: rmsprop. Coursera.

    Graves, A. (2013). Generating sequences with recurrent neural networks.
    arXiv:1308.0850 (centered variant, eqs. 38-41).
    """
    lr, alpha, eps, wd, mu = float(lr), float(alpha), float(eps), float(weight_decay), float(momentum)
    centered = bool(centered)

    def init(params):
        z = K.zeros_like(params)
        return RMSpropState(step=0, square_avg=z, grad_avg=z, momentum_buffer=z)

    def update(grads, state, params):
        g = grads + wd * params if wd != 0.0 else grads
        v = alpha * state.square_avg + (1.0 - alpha) * g * g
        g_avg, v_tilde = state.grad_avg, v
        if centered:
            g_avg = alpha * g_avg + (1.0 - alpha) * g
            # v_t ≥ ḡ_t² holds exactly (Jensen) but rounding can push it below 0
            v_tilde = K.maximum(v - g_avg * g_avg, 0.0)
        step = g / (K.sqrt(v_tilde) + eps)
        b = state.momentum_buffer
        if mu != 0.0:
            b = mu * b + step
            step = b
        return -lr * step, RMSpropState(state.step + 1, v, g_avg, b)

    return Optimizer(init, update)


def trace(grads, old_state, new_state, updates, hyper) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``square_avg``, plus ``grad_avg``
    when centered and ``momentum_buffer`` when momentum > 0."""
    out = {"grad": grads, "update": updates, "square_avg": new_state.square_avg}
    if hyper["centered"]:
        out["grad_avg"] = new_state.grad_avg
    if hyper["momentum"] != 0.0:
        out["momentum_buffer"] = new_state.momentum_buffer
    return out
