"""Adam whose denominator uses the running maximum of the second moment, so a coordinate's step size can never grow again. This repairs a convergence failure of Adam on problems where rare large gradients are forgotten too quickly. Prefer it when Adam's loss is unstable late in training; in common practice it performs similarly to Adam."""

from __future__ import annotations

from . import adam
from .adam import RANGES

TITLE = "AMSGrad"
init, trace = adam.init, adam.trace
__all__ = ["RANGES", "TITLE", "init", "update", "trace"]


def update(grads, state, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=True):
    r"""One step of AMSGrad (PyTorch ``torch.optim.Adam(amsgrad=True)``)::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}
        m_t = β₁ m_{t−1} + (1 − β₁) g_t
        v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        v_t^max = max(v_{t−1}^max, v_t)
        m̂_t = m_t / (1 − β₁ᵗ)
        v̂_t = v_t^max / (1 − β₂ᵗ)
        θ_t = θ_{t−1} − η m̂_t / (√v̂_t + ε)

    where η = lr, β₁ = beta1, β₂ = beta2, ε = eps, λ = weight_decay.

    References
    ----------
    Reddi, S. J., Kale, S. & Kumar, S. (2018). On the convergence of Adam and beyond. *ICLR*.
    """
    return adam.update(grads, state, params, lr, beta1, beta2, eps, weight_decay, amsgrad)
