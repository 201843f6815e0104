"""Adam's per-coordinate scaling at a fraction of its memory: for a weight matrix, keep only the running mean of g² over each row and over each column, and rebuild the n×m second moment as their outer product. No first moment, a step size relative to the parameter's own scale (its RMS) that decays as 1/√t, and each step clipped to an RMS of at most d. Made for training large language models when the optimizer state does not fit; on small problems it behaves like a cautious, self-scaling Adam without momentum."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels as K
from .base import BOOL, LR, WEIGHT_DECAY

TITLE = "Adafactor"
RANGES = {"lr": LR, "beta2_decay": (-1.0, 0.0, "float"), "eps1": (1e-30, 1e-3, "log"),
          "eps2": (1e-12, 1.0, "log"), "d": (1.0, 1e3, "log"), "weight_decay": WEIGHT_DECAY, "maximize": BOOL}
# The second moment of x and y on a landscape is one vector's, so the two coordinates
# are stepped together (landscape._race_floats steps them one at a time).
ELEMENTWISE = False


class AdafactorState(NamedTuple):
    step: int           # t
    blocks: np.ndarray  # (k, 3) ints: each parameter array's (start in θ, rows, columns); 0 columns: a vector
    v: np.ndarray       # v̂_t shaped like θ: a vector's running mean of g², a matrix's R_t C_t / mean(R_t)
    row: np.ndarray     # R_t of every matrix, one after another: running mean of g² over each row
    col: np.ndarray     # C_t of every matrix, one after another: running mean of g² over each column


def init(params, blocks=None):
    """The state before step 1.  ``blocks``: ``((start, shape), ...)``, the parameter arrays
    inside a flat θ (a network's weight matrices and biases); by default θ is one array."""
    table = block_table(params, blocks)
    matrices = table[table[:, 2] > 0]
    return AdafactorState(step=0, blocks=table, v=K.zeros_like(params), row=np.zeros(int(matrices[:, 1].sum())),
                          col=np.zeros(int(matrices[:, 2].sum())))


def block_table(params, blocks):
    """``blocks`` (or θ as one array) as a (k, 3) table of (start, rows, columns), columns 0 for a vector."""
    if blocks is None:
        blocks = ((0, params.shape),)
    rows = [(start, shape[0], shape[1]) if len(shape) == 2 else (start, np.zeros(shape).size, 0)
            for start, shape in blocks]  # a matrix, else a vector of all the entries
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def update(grads, state, params, lr=1e-2, beta2_decay=-0.8, eps1=2.220446049250313e-16, eps2=1e-3, d=1.0,
           weight_decay=0.0, maximize=False):
    r"""One step of Adafactor (PyTorch ``torch.optim.Adafactor``), for each parameter array::

        β̂₂ₜ = 1 − t^c
        ρ_t = min(η, 1/√t)
        α_t = max(ε₂, RMS(θ_{t−1})) ρ_t
        R_t = β̂₂ₜ R_{t−1} + (1 − β̂₂ₜ) mean_j(g_t²)
        C_t = β̂₂ₜ C_{t−1} + (1 − β̂₂ₜ) mean_i(g_t²)
        v̂_t = R_t C_t / max(mean(R_t), ε₁)
        U_t = g_t / √max(v̂_t, ε₁²)
        θ_t = (1 − ηλ) θ_{t−1} − α_t U_t / max(1, RMS(U_t)/d)

    where η = lr, c = beta2_decay, ε₁ = eps1, ε₂ = eps2, d = d, λ = weight_decay, RMS(u) = ‖u‖/√(size of u).

    For a matrix (n × m) R_t and C_t are the row and column means of g² (n + m
    numbers instead of n·m); for a vector (a bias, the 2-element landscape point)
    torch keeps the whole running mean, v̂_t = β̂₂ₜ v̂_{t−1} + (1 − β̂₂ₜ) g_t², and
    so does this code.  β̂₂ₜ rises towards 1 (t = 1 gives 0: the
    first v̂ is g²).  The step is relative: α_t scales with the parameter's RMS (at
    least ε₂), so a large weight matrix moves more than a small one.  torch's
    ``eps=(eps1, eps2)`` is the pair (ε₁, ε₂); its default ``None`` for ε₁ is the
    machine epsilon of float64, 2⁻⁵², the default here.  ``maximize`` steps up the
    gradient.  In the network each weight matrix and bias is its own array when
    ``init`` is given their ``blocks``; without them θ is one vector.

    References
    ----------
    Shazeer, N. & Stern, M. (2018). Adafactor: adaptive learning rates with sublinear
    memory cost. *ICML* (Algorithms 4 and 5; PyTorch's variant is Algorithm 4 without
    update clipping by RMS of v, with relative step size and weight decay).
    """
    t = state.step + 1
    g = -grads if maximize else grads
    one_minus_beta2 = float(K.exp(beta2_decay * float(K.log(float(t)))))  # t^c, c ≤ 0
    rho = min(lr, 1.0 / K.sqrt(float(t)))
    flat_p, flat_g = params.reshape(-1), g.reshape(-1)
    updates, v_new = np.zeros_like(flat_p), np.zeros_like(flat_p)
    row, col = np.zeros_like(state.row), np.zeros_like(state.col)
    r0 = c0 = 0  # where the next matrix's R and C start in row and col
    for start, n, m in state.blocks.tolist():
        size = n * m if m else n
        p, gb = flat_p[start:start + size], flat_g[start:start + size]
        alpha = max(eps2, rms(p)) * rho
        if m:  # a matrix: factored second moment
            gm = gb.reshape(n, m)
            row[r0:r0 + n] = lerp(state.row[r0:r0 + n], (gm * gm).mean(axis=1), one_minus_beta2)
            col[c0:c0 + m] = lerp(state.col[c0:c0 + m], (gm * gm).mean(axis=0), one_minus_beta2)
            r, c = row[r0:r0 + n], col[c0:c0 + m]
            v_hat = (r[:, None] * c[None, :] / max(float(r.mean()), eps1)).reshape(-1)
            r0, c0 = r0 + n, c0 + m
        else:  # a vector: the full running mean
            v_hat = lerp(state.v.reshape(-1)[start:start + size], gb * gb, one_minus_beta2)
        u = gb / K.sqrt(K.maximum(v_hat, eps1 * eps1))
        delta = -(alpha / max(1.0, rms(u) / d)) * u
        if weight_decay != 0.0:
            delta = delta - lr * weight_decay * p
        updates[start:start + size] = delta
        v_new[start:start + size] = v_hat
    return updates.reshape(params.shape), AdafactorState(t, state.blocks, v_new.reshape(params.shape), row, col)


def rms(x) -> float:
    """RMS(x) = ‖x‖₂ / √(size of x), as torch's ``x.norm(2) / x.numel() ** 0.5``."""
    return float(K.sqrt(float((x * x).sum()))) / K.sqrt(float(x.size))


def lerp(start, end, weight: float):
    """start + w (end − start), in torch's ``lerp`` order (exact ``end`` at w = 1)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def trace(grads, new_state, updates, hyper, variables) -> dict:
    """Inspector quantities: ``grad``, ``update`` and ``v`` (v̂_t, the second moment the step used)."""
    return {"grad": grads, "update": updates, "v": new_state.v}
