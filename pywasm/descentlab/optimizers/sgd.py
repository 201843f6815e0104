"""Stochastic gradient descent, plain or with heavy-ball or Nesterov momentum."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import Optimizer


class SGDState(NamedTuple):
    step: int                   # t, the number of updates taken so far
    momentum_buffer: np.ndarray  # b_t (stays zero when momentum == 0)


def sgd(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, ema=False) -> Optimizer:
    r"""Stochastic gradient descent with optional momentum (PyTorch ``torch.optim.SGD``).

    With step size η = ``lr``, momentum μ, dampening τ and weight decay λ, one step is::

        g_t = ∇f(θ_{t-1}) + λ θ_{t-1}
        b_t = g_t                              if t = 1
        b_t = μ b_{t-1} + (1 - τ) g_t          otherwise
        d_t = g_t + μ b_t   (Nesterov)   or   d_t = b_t   (heavy ball)
        θ_t = θ_{t-1} - η d_t

    With μ = 0 this is plain SGD, ``θ_t = θ_{t-1} - η g_t``.

    Parameters
    ----------
    lr : float
        Step size η.
    momentum : float
        μ in [0, 1).  0 turns momentum off.
    dampening : float
        τ: the weight of the new gradient in the buffer is ``1 - τ``.
    weight_decay : float
        λ, an L2 penalty ½λ‖θ‖² added to the loss (so λθ is added to the gradient).
    nesterov : bool
        Nesterov's accelerated gradient in the form of Sutskever et al. (2013).
        Needs ``momentum > 0`` and ``dampening == 0``.
    ema : bool
        Use the "exponentially weighted average" momentum taught in many courses::

            v_t = β v_{t-1} + (1 - β) g_t,   v_0 = 0,   θ_t = θ_{t-1} - η v_t

        with β = ``momentum``.  This is PyTorch's form with ``dampening = momentum``
        except for the first step: PyTorch seeds the buffer with ``b_1 = g_1``,
        which is the same recursion started from ``v_0 = g_1`` instead of 0, so the
        two buffers differ by ``β^t g_1`` (fading geometrically).  The EMA form with
        step size η is *exactly* PyTorch's plain form (``dampening = 0``) with step
        size ``η (1 - β)``: by induction ``v_t = (1 - β) b_t`` for every t.
        ``ema=True`` sets τ = β and starts the buffer at zero; ``dampening`` must
        then be left at 0 (or equal ``momentum``).

    Returns
    -------
    Optimizer

    References
    ----------
    Robbins, H. & Monro, S. (1951). A stochastic approximation method.
    *Ann. Math. Statist.* 22(3), 400-407.

    Polyak, B. T. (1964). Some methods of speeding up the convergence of
    iteration methods. *USSR Comput. Math. Math. Phys.* 4(5), 1-17.

    Nesterov, Y. (1983). A method for solving the convex programming problem with
    convergence rate O(1/k²). *Soviet Math. Dokl.* 27, 372-376.

    Sutskever, I., Martens, J., Dahl, G. & Hinton, G. (2013). On the importance of
    initialization and momentum in deep learning. *ICML*.
    """
    lr, mu, tau, wd = float(lr), float(momentum), float(dampening), float(weight_decay)
    nesterov, ema = bool(nesterov), bool(ema)
    if nesterov and (mu <= 0.0 or tau != 0.0 or ema):
        raise ValueError("nesterov=True needs momentum > 0, dampening = 0 and ema=False")
    if ema:
        if mu <= 0.0:
            raise ValueError("ema=True needs momentum > 0")
        if tau not in (0.0, mu):
            raise ValueError("ema=True sets dampening = momentum; leave dampening at 0")
        tau = mu

    def init(params):
        return SGDState(step=0, momentum_buffer=K.zeros_like(params))

    def update(grads, state, params):
        g = grads + wd * params if wd != 0.0 else grads
        b = state.momentum_buffer
        if mu != 0.0:
            if state.step == 0 and not ema:
                b = K.copy(g)  # PyTorch seeds the buffer with g_1 (a copy: never alias inputs)
            else:
                b = mu * b + (1.0 - tau) * g
            # Nesterov looks ahead: the step already contains the next momentum push.
            g = g + mu * b if nesterov else b
        return -lr * g, SGDState(state.step + 1, b)

    return Optimizer(init, update)


def trace(grads, old_state, new_state, updates, hyper) -> dict:
    """Inspector quantities: ``grad``, ``update`` and, with momentum, ``momentum_buffer``."""
    out = {"grad": grads, "update": updates}
    if hyper["momentum"] != 0.0:
        out["momentum_buffer"] = new_state.momentum_buffer
    return out
