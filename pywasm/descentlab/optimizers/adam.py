"""Adam and its two best-known repairs: AdamW (decoupled weight decay) and AMSGrad."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import Optimizer, bias_correction


class AdamState(NamedTuple):
    step: int           # t
    m: np.ndarray       # m_t, first moment (running mean of g)
    v: np.ndarray       # v_t, second moment (running mean of g²)
    v_max: np.ndarray   # max_{i≤t} v_i (used by AMSGrad)


def adam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False) -> Optimizer:
    r"""Adam (PyTorch ``torch.optim.Adam``), optionally AMSGrad.

    With step size η = ``lr`` and weight decay λ (an L2 penalty)::

        g_t = ∇f(θ_{t-1}) + λ θ_{t-1}
        m_t = β1 m_{t-1} + (1 - β1) g_t                    m_0 = 0
        v_t = β2 v_{t-1} + (1 - β2) g_t²                   v_0 = 0
        m̂_t = m_t / (1 - β1^t)
        v̂_t = v_t / (1 - β2^t)
            AMSGrad:  v_t^max = max(v_{t-1}^max, v_t),  v̂_t = v_t^max / (1 - β2^t)
        θ_t = θ_{t-1} - η m̂_t / (√v̂_t + ε)

    Dividing by (1 - β^t) undoes the bias of starting the averages at zero, so
    the first step is ``-η g_1/(|g_1| + ε) ≈ -η sign(g_1)`` in every coordinate.

    Parameters
    ----------
    lr : float
        Step size η (α in the paper).
    beta1, beta2 : float
        β1, β2 in [0, 1), decay rates of the two moment estimates.
    eps : float
        ε, added to √v̂_t.
    weight_decay : float
        λ, L2 penalty added to the gradient (see ``adamw`` for the decoupled form).
    amsgrad : bool
        Divide by the running maximum of v_t so the step size never grows.

    Returns
    -------
    Optimizer

    References
    ----------
    Kingma, D. P. & Ba, J. (2015). Adam: a method for stochastic optimization. *ICLR*.

    Reddi, S. J., Kale, S. & Kumar, S. (2018). On the convergence of Adam and
    beyond. *ICLR* (AMSGrad).
    """
    return _adam(lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled=False)


def adamw(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, amsgrad=False) -> Optimizer:
    r"""AdamW: Adam with decoupled weight decay (PyTorch ``torch.optim.AdamW``).

    The decay shrinks the weights directly instead of entering g_t, so it is not
    rescaled by 1/√v̂_t (with L2-in-the-gradient, weights with large gradients
    would barely be regularised)::

        g_t = ∇f(θ_{t-1})
        m_t, v_t, m̂_t, v̂_t   as in Adam (and AMSGrad if asked)
        θ_t = θ_{t-1} - η λ θ_{t-1} - η m̂_t / (√v̂_t + ε)

    Parameters
    ----------
    lr, beta1, beta2, eps, amsgrad
        As in ``adam``.
    weight_decay : float
        λ; each step multiplies θ by (1 - ηλ) besides the Adam step.

    Returns
    -------
    Optimizer

    References
    ----------
    Loshchilov, I. & Hutter, F. (2019). Decoupled weight decay regularization. *ICLR*.
    """
    return _adam(lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled=True)


def _adam(lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled) -> Optimizer:
    lr, b1, b2, eps, wd = float(lr), float(beta1), float(beta2), float(eps), float(weight_decay)
    amsgrad = bool(amsgrad)

    def init(params):
        z = K.zeros_like(params)
        return AdamState(step=0, m=z, v=z, v_max=z)

    def update(grads, state, params):
        t = state.step + 1
        g = grads + wd * params if (wd != 0.0 and not decoupled) else grads
        m = b1 * state.m + (1.0 - b1) * g
        v = b2 * state.v + (1.0 - b2) * g * g
        v_max = K.maximum(state.v_max, v) if amsgrad else state.v_max
        m_hat = m / bias_correction(b1, t)
        v_hat = (v_max if amsgrad else v) / bias_correction(b2, t)
        updates = -lr * m_hat / (K.sqrt(v_hat) + eps)
        if decoupled and wd != 0.0:
            updates = updates - lr * wd * params
        return updates, AdamState(t, m, v, v_max)

    return Optimizer(init, update)


def trace(grads, old_state, new_state, updates, hyper) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m``, ``v``, ``m_hat``, ``v_hat``,
    plus ``v_max`` with AMSGrad."""
    t, amsgrad = new_state.step, hyper["amsgrad"]
    out = {"grad": grads, "update": updates, "m": new_state.m, "v": new_state.v,
           "m_hat": new_state.m / bias_correction(float(hyper["beta1"]), t),
           "v_hat": (new_state.v_max if amsgrad else new_state.v) / bias_correction(float(hyper["beta2"]), t)}
    if amsgrad:
        out["v_max"] = new_state.v_max
    return out
