"""The exact Hessian-vector product ``H v`` of an MLP's mini-batch loss, by the R-operator.

Second-order optimizers such as Sophia (Liu et al., 2023) estimate the Hessian's
diagonal from products ``u ⊙ (H u)`` (Hutchinson's estimator).  Forming ``H`` of a
network is out of the question (``size²`` numbers), but one product ``H v`` costs
about two gradients: Pearlmutter (1994), "Fast Exact Multiplication by the
Hessian", applies the directional derivative ``R{·} = d/dr (·)(θ + r v) at r = 0``
to every line of the forward and backward passes of :mod:`descentlab.nn.mlp`.
With ``V, c`` the parts of ``v`` laid out like ``W, b`` (see ``layout.py``):

forward, for each dense layer ``l`` (``a_0 = X``, ``R{a_0} = 0``)::

    z_l = a_l W_l + b_l            R{z_l} = R{a_l} W_l + a_l V_l + c_l
    a_{l+1} = σ(z_l)               R{a_{l+1}} = σ'(z_l) ⊙ R{z_l}

loss, on the logits ``z`` (``g = dL/dz`` as ``losses.py`` returns it)::

    R{g} = ∇²_z L · R{z}           (per row: softmax, sigmoid or the constant of MSE)

backward, from the top (``δ = g``)::

    dW_l = a_lᵀ δ_l                R{dW_l} = R{a_l}ᵀ δ_l + a_lᵀ R{δ_l}
    db_l = Σ_rows δ_l              R{db_l} = Σ_rows R{δ_l}
    e = δ_l W_lᵀ                   R{e} = R{δ_l} W_lᵀ + δ_l V_lᵀ
    δ_{l-1} = e ⊙ σ'(z)            R{δ_{l-1}} = R{e} ⊙ σ'(z) + e ⊙ σ''(z) ⊙ R{z}

and the L2 penalty ``½ l2 Σ ‖W‖²`` adds ``l2 V`` to each weight block.  The result
is ``H v`` exactly, up to rounding: no finite difference, no step size.  Every
product goes through ``K.matmul``, so the bits are the same natively and in the
browser.  ReLU's kink has no second derivative: as ``mlp`` takes σ'(0) = 0, the
R-operator takes σ'' = 0 everywhere (the Hessian of the piecewise-linear pieces).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import kernels as K
from .activations import GELU_CUBIC, GELU_SCALE, ACTIVATIONS
from .layout import Layout, unpack
from .losses import LOSSES, mse_targets
from .mlp import forward


def _zero_second(z, a):
    """σ'' of a piecewise-linear activation (relu, leaky_relu): 0 away from the kink."""
    return np.zeros_like(z)


def _tanh_second(z, a):
    # σ' = 1 - a², so σ'' = -2 a σ'
    return -2.0 * a * (1.0 - a * a)


def _sigmoid_second(z, a):
    # σ' = a (1 - a), so σ'' = σ' (1 - 2a)
    return a * (1.0 - a) * (1.0 - 2.0 * a)


def _gelu_second(z, a):
    # f = ½ z (1 + t), t = tanh(u), u = s (z + k z³):
    # f'' = t' + ½ z t'',  t' = (1 - t²) u',  t'' = -2 t t' u' + (1 - t²) u'',  u'' = 6 s k z
    t = K.tanh(GELU_SCALE * (z + GELU_CUBIC * z * z * z))
    du = GELU_SCALE * (1.0 + 3.0 * GELU_CUBIC * z * z)
    ddu = 6.0 * GELU_SCALE * GELU_CUBIC * z
    sech2 = 1.0 - t * t
    dt = sech2 * du
    ddt = -2.0 * t * dt * du + sech2 * ddu
    return dt + 0.5 * z * ddt


#: σ''(z, a) of each activation of ``activations.ACTIVATIONS`` (``a = σ(z)``), elementwise.
SECOND_DERIVATIVES: dict[str, Callable] = {
    "relu": _zero_second, "leaky_relu": _zero_second, "tanh": _tanh_second,
    "sigmoid": _sigmoid_second, "gelu": _gelu_second,
}


def _loss_curvature(loss: str, logits: np.ndarray, y, rz: np.ndarray) -> np.ndarray:
    """``∇²_z L · R{z}``: the loss's Hessian with respect to the logits times ``R{z}``.

    Parameters
    ----------
    loss : str
        ``cross_entropy``, ``binary_cross_entropy`` or ``mse`` (see ``losses.py``).
    logits : ndarray, shape (n, outputs)
    y : ndarray, shape (n,)
    rz : ndarray, shape (n, outputs)

    Returns
    -------
    ndarray, shape (n, outputs)
    """
    n, outputs = logits.shape
    if loss == "cross_entropy":  # g = (p - onehot) / n: per row (diag(p) - p pᵀ) R{z} / n
        p = K.softmax(logits, axis=1)
        return (p * rz - p * (p * rz).sum(axis=1, keepdims=True)) / n
    if loss == "binary_cross_entropy":  # g = (σ(z) - t) / n
        s = K.sigmoid(logits)
        return s * (1.0 - s) * rz / n
    if loss == "mse":  # g = 2 (z - t) / (n outputs)
        mse_targets(y, n, outputs)  # the same check of y as the loss itself
        return (2.0 / (n * outputs)) * rz
    raise ValueError(f"unknown loss {loss!r}; allowed: cross_entropy, binary_cross_entropy, mse")


def hvp(theta, layout: Layout, X, y, activation: str, loss: str, l2: float, v) -> np.ndarray:
    """``H v``, H the Hessian of ``mlp.loss_and_grad``'s loss (mean over the batch plus L2) at θ.

    Parameters
    ----------
    theta : ndarray of float64, shape (layout.size,)
    layout : Layout
    X : ndarray, shape (n, layout.n_in)
    y : ndarray, shape (n,)
        Class labels, as for ``mlp.loss_and_grad``.
    activation : str
        Key of ``ACTIVATIONS``.
    loss : str
        Key of ``LOSSES``.
    l2 : float
        L2 strength, >= 0 (penalizes the weight matrices, not the biases).
    v : ndarray of float64, shape (layout.size,)
        The direction, laid out like θ.

    Returns
    -------
    ndarray of float64, shape (layout.size,)
        ``∇²L(θ) v``, laid out like θ.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; allowed: {sorted(ACTIVATIONS)}")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    theta = np.asarray(theta, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if v.shape != theta.shape:
        raise ValueError(f"v must have shape {theta.shape}, like θ, got {v.shape}")
    act, second = ACTIVATIONS[activation], SECOND_DERIVATIVES[activation]
    params, dirs = unpack(theta, layout), unpack(v, layout)
    logits, cache = forward(theta, layout, X, activation)
    # R-forward: R{a_0} = 0 (the data does not move with θ)
    r_in = [np.zeros_like(cache.inputs[0])]
    r_pre = []
    for l, ((W, _), (V, c)) in enumerate(zip(params, dirs)):
        rz = K.matmul(r_in[l], W) + K.matmul(cache.inputs[l], V) + c
        if l + 1 < len(params):
            r_pre.append(rz)
            z = cache.pre_activations[l]
            r_in.append(act.derivative(z, cache.inputs[l + 1]) * rz)
    # the loss's gradient and its R-image at the logits
    _, delta = LOSSES[loss].fn(logits, y)
    r_delta = _loss_curvature(loss, logits, y, rz)
    out = np.zeros(layout.size)
    outs = unpack(out, layout)  # views: writing fills out
    for l in range(len(params) - 1, -1, -1):
        W, V = params[l][0], dirs[l][0]
        outs[l][0][...] = K.matmul(r_in[l].T, delta) + K.matmul(cache.inputs[l].T, r_delta)
        outs[l][1][...] = r_delta.sum(axis=0)
        if l > 0:
            e = K.matmul(delta, W.T)
            r_e = K.matmul(r_delta, W.T) + K.matmul(delta, V.T)
            z, a = cache.pre_activations[l - 1], cache.inputs[l]
            d1 = act.derivative(z, a)
            delta, r_delta = e * d1, r_e * d1 + e * second(z, a) * r_pre[l - 1]
    if l2 > 0:
        for (V, _), (hV, _) in zip(dirs, outs):
            hV += l2 * V
    return out
