"""Adam's direction, with each layer's step rescaled so that its length is η times the length of that layer's weights (the trust ratio ‖θ‖/‖r‖). Layers whose weights are large move more, layers whose weights are small move less, whatever the size of their gradients, which keeps training stable with very large batches: the paper trained BERT with batches of 32k examples in 76 minutes. In the network each weight matrix and bias vector is a layer of its own; on a landscape, (x, y) is one layer, so every step has length η‖(x, y)‖."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BETA, BETA2, EPS, LR, WEIGHT_DECAY, bias_correction

TITLE = "LAMB"
RANGES = {"lr": LR, "beta1": BETA, "beta2": BETA2, "eps": EPS, "weight_decay": WEIGHT_DECAY}
# The trust ratio is a norm over the whole layer: x and y are stepped together on a
# landscape (landscape._race_floats steps them one at a time).
ELEMENTWISE = False


class LAMBState(NamedTuple):
    step: int           # t
    blocks: np.ndarray  # (k, 2) ints: each layer's (start, size) inside the flat θ, in order
    m: np.ndarray       # m_t, first moment
    v: np.ndarray       # v_t, second moment


def init(params, blocks=None):
    """The state before step 1.  ``blocks``: ``((start, shape), ...)``, the layers (weight
    matrices and bias vectors) inside a flat θ; by default θ is one layer."""
    blocks = ((0, params.shape),) if blocks is None else blocks
    table = np.array([(start, np.zeros(shape).size) for start, shape in blocks], dtype=np.int64).reshape(-1, 2)
    z = K.zeros_like(params)
    return LAMBState(step=0, blocks=table, m=z, v=z)


def update(grads, state, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
    r"""One step of LAMB, layer-wise adaptive moments (You et al. 2019, Algorithm 2)::

        m_t = β₁ m_{t−1} + (1 − β₁) g_t
        v_t = β₂ v_{t−1} + (1 − β₂) g_t²
        r_t = (m_t / (1 − β₁ᵗ)) / (√(v_t / (1 − β₂ᵗ)) + ε) + λ θ_{t−1}
        θ⁽ˡ⁾_t = θ⁽ˡ⁾_{t−1} − η ‖θ⁽ˡ⁾_{t−1}‖ / ‖r⁽ˡ⁾_t‖ · r⁽ˡ⁾_t

    where η = lr, β₁ = beta1, β₂ = beta2, ε = eps, λ = weight_decay, ⁽ˡ⁾ = the entries of layer l.

    r_t is AdamW's step direction; the trust ratio ‖θ⁽ˡ⁾‖/‖r⁽ˡ⁾‖ rescales it so
    each layer moves by η‖θ⁽ˡ⁾‖ (the paper's scaling φ is the identity here), and
    is 1 where either norm is 0, as every implementation does (a layer of zeros
    still moves).  Differences from ``pytorch_optimizer``'s ``Lamb`` defaults, which
    this code does not follow: it bias-corrects only m, by dividing the *step*
    (so its steps are 1/(1 − β₁ᵗ) times longer than the paper's, 10x at t = 1), adds
    ε to ‖r‖, clips ‖θ‖ at 10, and decouples λ (``weight_decouple=True``).

    References
    ----------
    You, Y., Li, J., Reddi, S., Hseu, J., Kumar, S., Bhojanapalli, S., Song, X., Demmel, J.,
    Keutzer, K. & Hsieh, C.-J. (2020). Large batch optimization for deep learning:
    training BERT in 76 minutes. *ICLR* (arXiv:1904.00962, 2019; Algorithm 2).
    """
    t = state.step + 1
    m = beta1 * state.m + (1.0 - beta1) * grads
    v = beta2 * state.v + (1.0 - beta2) * grads * grads
    r = (m / bias_correction(beta1, t)) / (K.sqrt(v / bias_correction(beta2, t)) + eps)
    if weight_decay != 0.0:
        r = r + weight_decay * params
    flat_p, flat_r = params.reshape(-1), r.reshape(-1)
    ratio = np.zeros_like(flat_p)  # each layer's trust ratio, in every one of its entries
    for start, size in state.blocks.tolist():
        p_norm, r_norm = norm(flat_p[start:start + size]), norm(flat_r[start:start + size])
        ratio[start:start + size] = p_norm / r_norm if p_norm > 0.0 and r_norm > 0.0 else 1.0
    trust_ratio = ratio.reshape(params.shape)
    return -lr * trust_ratio * r, LAMBState(t, state.blocks, m, v)


def norm(x) -> float:
    """‖x‖₂ of one layer's entries (a plain sum: the same bits everywhere)."""
    return float(K.sqrt(float((x * x).sum())))


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``m``, ``v``, ``r`` (r_t, AdamW's direction)
    and ``trust_ratio`` (‖θ⁽ˡ⁾‖/‖r⁽ˡ⁾‖ of the entry's layer)."""
    return {"grad": grads, "update": updates, "m": new_state.m, "v": new_state.v, "r": variables["r"],
            "trust_ratio": variables["trust_ratio"]}
