"""Momentum, orthogonalised: each hidden weight matrix steps along its momentum with every singular value pushed to about 1 by a few Newton–Schulz iterations, so all directions of the matrix move at the same rate instead of the few with the largest gradients. It trains transformers' hidden layers faster than AdamW for the same compute (the NanoGPT speed runs). Biases, and the output layer, are not hidden matrices: AdamW steps them (the adamw_* hyper-parameters). A point (x, y) on a landscape has no matrix, so Muon is offered in the network only."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from . import adam, adamw
from .adafactor import lerp
from .base import BETA, BETA2, BOOL, EPS, LR, MOMENTUM, WEIGHT_DECAY

TITLE = "Muon"
ADJUST_LR = ("original", "match_rms_adamw")  # torch's adjust_lr_fn; its None is "original"
RANGES = {"lr": LR, "weight_decay": WEIGHT_DECAY, "momentum": MOMENTUM, "nesterov": BOOL, "eps": EPS,
          "ns_steps": (1, 20, "int"), "adjust_lr_fn": (ADJUST_LR, None, "choice"),
          "adamw_lr": LR, "adamw_beta1": BETA, "adamw_beta2": BETA2, "adamw_eps": EPS,
          "adamw_weight_decay": WEIGHT_DECAY}
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # torch.optim.Muon's (a, b, c): the quintic's slope at 0 is large
ELEMENTWISE = False
NEEDS = ("blocks",)  # the weight matrices inside θ: without them there is nothing to orthogonalise
REFUSED_ON_LANDSCAPE = "Muon orthogonalises weight matrices; a 2-D point has none. Try it in the network view"


class MuonState(NamedTuple):
    step: int           # t
    blocks: np.ndarray  # (k, 4) ints: (start in θ, rows, columns, 1 if Muon steps it else 0); columns 0: a vector
    buf: np.ndarray     # B_t, Muon's momentum, shaped like θ (0 where AdamW steps)
    m: np.ndarray       # AdamW's first moment, shaped like θ (0 where Muon steps)
    v: np.ndarray       # AdamW's second moment
    v_max: np.ndarray   # unused (AdamW without amsgrad); kept so AdamW's own state fits


def init(params, blocks=None):
    """The state before step 1.  ``blocks``: ``((start, shape), ...)``, a network's W1, b1, W2, ...;
    the matrices but the last (the output layer) are Muon's, the rest AdamW's."""
    if blocks is None:
        raise ValueError(REFUSED_ON_LANDSCAPE)
    matrices = [i for i, (_, shape) in enumerate(blocks) if len(shape) == 2]
    hidden = set(matrices[:-1])
    rows = [(start, shape[0], shape[1], int(i in hidden)) if len(shape) == 2 else
            (start, np.zeros(shape).size, 0, 0) for i, (start, shape) in enumerate(blocks)]
    z = K.zeros_like(params)
    return MuonState(0, np.array(rows, dtype=np.int64).reshape(-1, 4), z, z, z, z)


def update(grads, state, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, eps=1e-7, ns_steps=5,
           adjust_lr_fn="original", adamw_lr=1e-3, adamw_beta1=0.9, adamw_beta2=0.999, adamw_eps=1e-8,
           adamw_weight_decay=1e-2):
    r"""One step of Muon (PyTorch ``torch.optim.Muon``) on each hidden weight matrix G = ∇_W f::

        B_t = μ B_{t−1} + (1 − μ) G_t
        U_t = μ B_t + (1 − μ) G_t  (nesterov; else U_t = B_t)
        X₀ = U_t / max(‖U_t‖_F, ε)
        X_{j+1} = a X_j + (b A_j + c A_j²) X_j,  A_j = X_j X_jᵀ  (j < ns_steps)
        W_t = (1 − ηλ) W_{t−1} − η s X_{ns_steps}

    where η = lr, λ = weight_decay, μ = momentum, ε = eps, (a, b, c) = (3.4445, −4.7750, 2.0315), s = √max(1, A/B) (adjust_lr_fn "original") or 0.2 √max(A, B) ("match_rms_adamw") for torch's weight shape A × B.

    The iteration maps U = U S Vᵀ to about U Vᵀ (singular values into [0.7, 1.2]),
    working on the wide orientation of the matrix (Xᵀ when it has more rows than
    columns).  torch runs it in bfloat16; this code in float64.  The network's
    weights are stored inputs × outputs, torch's as outputs × inputs: A × B is
    torch's shape.  Biases and the output layer's matrix are stepped by AdamW
    (``torch.optim.AdamW``) with the ``adamw_*`` hyper-parameters, as in Jordan's
    reference setup.  An entry's ``schedule`` sets Muon's lr (and onecycle's
    momentum) at every step, as ``torch.optim.lr_scheduler`` does on
    ``torch.optim.Muon``; AdamW's part keeps its ``adamw_lr`` (in torch a second
    optimizer, with a scheduler of its own).

    References
    ----------
    Jordan, K., Jin, Y., Boza, V., You, J., Cesista, F., Newhouse, L. & Bernstein, J. (2024).
    Muon: an optimizer for hidden layers in neural networks. https://kellerjordan.github.io/posts/muon/
    """
    t = state.step + 1
    flat_g, flat_p = grads.reshape(-1), params.reshape(-1)
    adam_updates, adam_state = adamw.update(grads, adam.AdamState(state.step, state.m, state.v, state.v_max), params,
                                            adamw_lr, adamw_beta1, adamw_beta2, adamw_eps, adamw_weight_decay)
    updates = adam_updates.reshape(-1).copy()
    buf = state.buf.reshape(-1).copy()
    m, v = adam_state.m.reshape(-1).copy(), adam_state.v.reshape(-1).copy()
    for start, n, cols, muon in state.blocks.tolist():
        if not muon:
            continue
        size = n * cols
        g = flat_g[start:start + size].reshape(n, cols)
        b = lerp(state.buf.reshape(-1)[start:start + size].reshape(n, cols), g, 1.0 - momentum)
        u = lerp(g, b, momentum) if nesterov else b
        x = newton_schulz(u, ns_steps, eps)
        scaled_lr = lr * lr_ratio(adjust_lr_fn, cols, n)  # torch's shape: outputs x inputs
        updates[start:start + size] = (-(lr * weight_decay) * flat_p[start:start + size]
                                       - scaled_lr * x.reshape(-1))
        buf[start:start + size] = b.reshape(-1)
        m[start:start + size] = 0.0
        v[start:start + size] = 0.0
    shape = params.shape
    return updates.reshape(shape), MuonState(t, state.blocks, buf.reshape(shape), m.reshape(shape),
                                             v.reshape(shape), state.v_max)


def newton_schulz(u, steps: int, eps: float):
    """X after ``steps`` Newton–Schulz iterations from U/‖U‖_F (torch's ``_zeropower_via_newtonschulz``)."""
    a, b, c = NS_COEFFICIENTS
    tall = u.shape[0] > u.shape[1]
    x = u.T if tall else u
    x = x / max(float(K.sqrt(float((x * x).sum()))), eps)
    for _ in range(steps):
        gram = K.matmul(x, x.T)
        x = a * x + K.matmul(b * gram + c * K.matmul(gram, gram), x)
    return x.T if tall else x


def lr_ratio(adjust_lr_fn: str, rows: int, cols: int) -> float:
    """torch's ``_adjust_lr`` factor for a rows × cols weight."""
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * K.sqrt(float(max(rows, cols)))
    return K.sqrt(max(1.0, rows / cols))


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update``, ``buf`` (Muon's momentum), ``m`` and ``v`` (AdamW's)."""
    return {"grad": grads, "update": updates, "buf": new_state.buf, "m": new_state.m, "v": new_state.v}
