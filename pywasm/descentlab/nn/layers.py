"""The dense (fully connected) layer: ``z = x W + b``, and its backward pass.

Shapes follow the row-per-example convention: a batch ``x`` of shape
``(n, inputs)`` maps to ``z`` of shape ``(n, outputs)``.  Given ``δ = dL/dz``,
the chain rule gives

    dL/dW = xᵀ δ        (inputs, outputs)
    dL/db = Σ_rows δ    (outputs,)
    dL/dx = δ Wᵀ        (n, inputs)

All products use ``K.matmul`` (a fixed summation order) instead of ``@`` so the
results are bit-identical natively and in the browser.
"""

from __future__ import annotations

import numpy as np

from .. import kernels as K


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``z = x W + b``.

    Parameters
    ----------
    x : ndarray, shape (n, inputs)
    W : ndarray, shape (inputs, outputs)
    b : ndarray, shape (outputs,)

    Returns
    -------
    z : ndarray of float64, shape (n, outputs)
    """
    return K.matmul(x, W) + b


def dense_backward(x: np.ndarray, W: np.ndarray, delta: np.ndarray, input_grad: bool = True):
    """Gradients of the loss with respect to ``W``, ``b`` and ``x``.

    Parameters
    ----------
    x : ndarray, shape (n, inputs)
        The layer's input saved by the forward pass.
    W : ndarray, shape (inputs, outputs)
    delta : ndarray, shape (n, outputs)
        ``dL/dz``, the gradient arriving from above.
    input_grad : bool
        Whether to compute ``dL/dx``; the first layer does not need it.

    Returns
    -------
    dx : ndarray, shape (n, inputs), or None when ``input_grad`` is False
    dW : ndarray, shape (inputs, outputs)
    db : ndarray, shape (outputs,)
    """
    dW = K.matmul(x.T, delta)
    db = delta.sum(axis=0)
    dx = K.matmul(delta, W.T) if input_grad else None
    return dx, dW, db
