"""Sharpness-aware minimisation: before each step, climb ρ along the gradient to the worst nearby point (the probe), take the gradient there, and let a base optimizer (SGD, Adam, ...) step from the original point with it. The step then prefers regions where the loss stays low in a whole neighbourhood, flat minima, which tend to generalise better than sharp ones. It costs a second gradient per step. On a landscape the probe point is drawn beside the path."""

from __future__ import annotations

import numpy as np

from .. import kernels as K
from .base import BOOL

TITLE = "SAM"
RANGES = {"rho": (0.0, 10.0, "float"), "adaptive": BOOL, "perturb_eps": (1e-30, 1e-3, "log")}
# The step needs the gradient at a second point, the probe: the loops ask for it (see probe).
NEEDS = ("probe",)
ELEMENTWISE = False  # ‖g‖ couples every coordinate
BASES_REFUSED = ("sam",)  # a base is a registered optimizer (pytorch_optimizer takes any torch one)


def probe(grads, params, rho=0.05, adaptive=False, perturb_eps=1e-12):
    r"""The offset from θ to the probe point of SAM (``pytorch_optimizer.SAM.first_step``)::

        s_t = |θ_{t−1}| if adaptive else 1
        ε_t = ρ s_t² g_t / (‖s_t g_t‖ + ε)
        g̃_t = ∇f(θ_{t−1} + ε_t)
        θ_t = base optimizer's step from θ_{t−1} with g̃_t

    where ρ = rho, ε = perturb_eps, g_t = ∇f(θ_{t−1}), ‖·‖ the 2-norm over all parameters.

    The base optimizer keeps its own state and hyper-parameters (its lr, schedule);
    it never sees g_t, only g̃_t.  ``adaptive`` is ASAM (Kwon et al. 2021): the
    neighbourhood is scaled by each weight's size, so the probe moves large weights
    more.  With noise on a landscape both gradients of a step get the same draw, as
    both of SAM's gradients use the same mini-batch.

    References
    ----------
    Foret, P., Kleiner, A., Mobahi, H. & Neyshabur, B. (2021). Sharpness-aware minimization for
    efficiently improving generalization. *ICLR*.

    Kwon, J., Kim, J., Park, H. & Choi, I. K. (2021). ASAM: adaptive sharpness-aware minimization
    for scale-invariant learning of deep neural networks. *ICML*.
    """
    g = np.asarray(grads, dtype=np.float64)
    p = np.asarray(params, dtype=np.float64)
    weighted = np.abs(p) * g if adaptive else g  # s_t g_t
    grad_norm = K.sqrt(float((weighted * weighted).sum())) + perturb_eps
    scale = rho / grad_norm
    return (p * p if adaptive else 1.0) * g * scale
