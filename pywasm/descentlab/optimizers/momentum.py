"""Heavy-ball momentum: accumulate a velocity that keeps a fraction μ of the previous step. Oscillations across a narrow valley cancel while the consistent downhill component adds up, so progress along flat directions speeds up by roughly 1/(1-μ). Prefer it to plain SGD almost always; it remains a strong choice for convolutional networks."""

from __future__ import annotations

from . import sgd
from .base import LR, MOMENTUM, WEIGHT_DECAY, BOOL

TITLE = "SGD + momentum"
RANGES = {"lr": LR, "momentum": MOMENTUM, "dampening": (0.0, 1.0, "float"), "weight_decay": WEIGHT_DECAY,
          "nesterov": BOOL, "ema": BOOL}
init, check, trace = sgd.init, sgd.check, sgd.trace


def update(grads, state, params, lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False,
           ema=False):
    r"""One step of SGD with heavy-ball momentum (PyTorch ``torch.optim.SGD``, ``momentum > 0``)::

        g_t = ∇f(θ_{t−1}) + λ θ_{t−1}
        b_t = μ b_{t−1} + (1 − τ) g_t     (b_1 = g_1)
        θ_t = θ_{t−1} − η b_t
        ema: τ = μ and b_0 = 0, so b_t is an average of past gradients

    where η = lr, μ = momentum, τ = dampening, λ = weight_decay.

    ``ema=True`` is the "exponentially weighted average" momentum taught in many
    courses, ``v_t = β v_{t−1} + (1 − β) g_t`` from ``v_0 = 0`` with β = μ.  It is
    PyTorch's form with ``dampening = momentum`` except that PyTorch seeds its
    buffer with ``b_1 = g_1``; and with step size η it is exactly PyTorch's plain
    form (``dampening = 0``) with step size ``η (1 − β)``, since ``v_t = (1 − β) b_t``.

    References
    ----------
    Polyak, B. T. (1964). Some methods of speeding up the convergence of
    iteration methods. *USSR Comput. Math. Math. Phys.* 4(5), 1-17.
    """
    return sgd.update(grads, state, params, lr, momentum, dampening, weight_decay, nesterov, ema)
