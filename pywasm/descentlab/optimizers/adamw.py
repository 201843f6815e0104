"""Adam with weight decay applied directly to the weights rather than added to the gradient. In Adam, an L2 term in the gradient is divided by √v̂ like the rest, so weights with large gradients are barely regularised; decoupling restores the intended shrinkage ηλθ. The standard optimizer for training transformers and whenever weight decay matters."""

from __future__ import annotations

from . import adam
from .adam import RANGES

TITLE = "AdamW"
init, trace = adam.init, adam.trace
__all__ = ["RANGES", "TITLE", "init", "update", "trace"]


def update(grads, state, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, amsgrad=False):
    r"""One step of AdamW (PyTorch ``torch.optim.AdamW``): Adam, then the decoupled decay::

        g_t = ∇f(θ_{t−1})
        m_t = β₁ m_{t−1} + (1 − β₁) g_t
        v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        m̂_t = m_t / (1 − β₁ᵗ)
        v̂_t = v_t / (1 − β₂ᵗ)
        θ_t = θ_{t−1} − η λ θ_{t−1} − η m̂_t / (√v̂_t + ε)

    where η = lr, β₁ = beta1, β₂ = beta2, ε = eps, λ = weight_decay.

    The decay shrinks the weights directly instead of entering g_t, so it is not
    rescaled by 1/√v̂_t: each step multiplies θ by (1 − ηλ) besides Adam's step.

    References
    ----------
    Loshchilov, I. & Hutter, F. (2019). Decoupled weight decay regularization. *ICLR*.
    """
    updates, state = adam.update(grads, state, params, lr, beta1, beta2, eps, 0.0, amsgrad)
    if weight_decay != 0.0:
        updates = updates - lr * weight_decay * params
    return updates, state
