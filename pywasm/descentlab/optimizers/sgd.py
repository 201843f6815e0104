"""Step against the gradient with a fixed step size. The baseline every other method is measured against: cheap, memory-free and, with a well-chosen step size, hard to beat on well-conditioned problems. On ill-conditioned ones (long narrow valleys) a step size small enough for the steep directions is far too small for the flat ones, and a larger one zig-zags across the valley."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BOOL, LR, MOMENTUM, WEIGHT_DECAY

TITLE = "SGD"
RANGES = {"lr": LR, "momentum": MOMENTUM, "dampening": (0.0, 1.0, "float"), "weight_decay": WEIGHT_DECAY,
          "nesterov": BOOL, "ema": BOOL}


class SGDState(NamedTuple):
    step: int                    # t, the number of updates taken so far
    momentum_buffer: np.ndarray  # b_t (stays zero when momentum == 0)


def init(params):
    return SGDState(step=0, momentum_buffer=K.zeros_like(params))


def update(grads, state, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
           ema=False):
    r"""One step of stochastic gradient descent (PyTorch ``torch.optim.SGD``), momentum optional.

    With μ = 0 (plain SGD)::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}
        θ_t = θ_{t−1} − η g_t

    where η = lr, λ = weight_decay.

    With momentum μ > 0 the step follows a buffer ``b_t`` instead of ``g_t``;
    see :mod:`.momentum` and :mod:`.nesterov` for those rules, and ``ema`` there.
    λ is an L2 penalty ½λ‖θ‖² added to the loss (so λθ is added to the gradient).

    References
    ----------
    Robbins, H. & Monro, S. (1951). A stochastic approximation method.
    *Ann. Math. Statist.* 22(3), 400-407.
    """
    g = grads + weight_decay * params if weight_decay != 0.0 else grads
    b = state.momentum_buffer
    if momentum != 0.0:
        tau = momentum if ema else dampening  # the EMA form weighs the new gradient by 1 − μ
        if state.step == 0 and not ema:
            b = K.copy(g)  # PyTorch seeds the buffer with g_1 (a copy: never alias inputs)
        else:
            b = momentum * b + (1.0 - tau) * g
        # Nesterov looks ahead: the step already contains the next momentum push.
        g = g + momentum * b if nesterov else b
    return -lr * g, SGDState(state.step + 1, b)


def check(lr, momentum, dampening, weight_decay, nesterov, ema):
    """Combinations a range cannot express (PyTorch refuses the same)."""
    if nesterov and (momentum <= 0.0 or dampening != 0.0 or ema):
        raise ValueError("nesterov=True needs momentum > 0, dampening = 0 and ema=False")
    if ema and momentum <= 0.0:
        raise ValueError("ema=True needs momentum > 0")
    if ema and dampening not in (0.0, momentum):
        raise ValueError("ema=True sets dampening = momentum; leave dampening at 0")


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update`` and, with momentum, ``momentum_buffer``."""
    out = {"grad": grads, "update": updates}
    if hyper["momentum"] != 0.0:
        out["momentum_buffer"] = new_state.momentum_buffer
    return out
