"""Loss functions on a network's raw outputs (logits), with their gradients.

Each loss takes ``logits`` of shape ``(n, outputs)`` and targets ``y`` and returns
``(mean loss over the n examples, dL/dlogits)``.  Returning the gradient with
respect to the *logits* (not the probabilities) keeps the softmax / sigmoid
inside the loss, where the combined derivative is simple and numerically safe.

How many outputs each loss needs for a ``C``-class problem (``n_outputs``):

===========================  =========  =============================
loss                         outputs    targets
===========================  =========  =============================
``cross_entropy``            C          class index 0..C-1
``binary_cross_entropy``     1          class index 0 or 1 (C = 2)
``mse``                      C          class index, turned one-hot
===========================  =========  =============================
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .. import kernels as K


class Loss(NamedTuple):
    """A training objective.

    Attributes
    ----------
    name : str
    fn : callable
        ``fn(logits, y) -> (loss: float, dlogits: ndarray like logits)``.
    n_outputs : callable
        ``n_outputs(n_classes) -> int``: the network width this loss needs.
    probabilities : callable
        ``probabilities(logits) -> (n, n_classes)`` class scores for display.
    description : str
    """

    name: str
    fn: Callable
    n_outputs: Callable
    probabilities: Callable
    description: str


def _labels(y, n: int, n_classes: int) -> np.ndarray:
    """Integer class labels of shape (n,), checked to lie in 0..n_classes-1."""
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"targets must have shape ({n},), got {y.shape}")
    labels = y.astype(np.int64)
    if np.any(labels != y) or np.any(labels < 0) or np.any(labels >= n_classes):
        raise ValueError(f"targets must be integers in 0..{n_classes - 1}")
    return labels


# --- softmax cross-entropy -------------------------------------------------------


def cross_entropy(logits, y):
    """Softmax cross-entropy ``-mean_i log softmax(z_i)[y_i]``.

    Parameters
    ----------
    logits : ndarray, shape (n, C)
    y : ndarray of int, shape (n,), values in 0..C-1

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (n, C)
        ``(softmax(z) - onehot(y)) / n``.
    """
    z = np.asarray(logits, dtype=np.float64)
    n, c = z.shape
    labels = _labels(y, n, c)
    rows = np.arange(n)
    log_p = K.log_softmax(z, axis=1)  # log-domain: no log(0) even for huge logits
    loss = -log_p[rows, labels].mean()
    dz = K.softmax(z, axis=1)
    dz[rows, labels] -= 1.0
    return float(loss), dz / n


def _softmax_probabilities(logits):
    return K.softmax(np.asarray(logits, dtype=np.float64), axis=1)


# --- binary cross-entropy on one logit -------------------------------------------


def binary_cross_entropy(logits, y):
    """Binary cross-entropy on a single logit ``z`` with ``p = sigmoid(z)``.

    ``-[y log p + (1-y) log(1-p)]`` simplifies to ``softplus(z) - y z``, which
    never takes the log of a rounded-to-zero probability.

    Parameters
    ----------
    logits : ndarray, shape (n, 1)
    y : ndarray of int, shape (n,), values 0 or 1

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (n, 1)
        ``(sigmoid(z) - y) / n``.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != 1:
        raise ValueError(f"binary cross-entropy needs logits of shape (n, 1), got {z.shape}")
    n = z.shape[0]
    t = _labels(y, n, 2).astype(np.float64)[:, None]
    loss = (K.softplus(z) - t * z).mean()
    return float(loss), (K.sigmoid(z) - t) / n


def _sigmoid_probabilities(logits):
    p1 = K.sigmoid(np.asarray(logits, dtype=np.float64)[:, 0])
    return np.stack([1.0 - p1, p1], axis=1)


def _binary_outputs(n_classes: int) -> int:
    if n_classes != 2:
        raise ValueError(f"binary_cross_entropy needs exactly 2 classes, got {n_classes}")
    return 1


# --- mean squared error ----------------------------------------------------------


def mse_targets(y, n: int, outputs: int) -> np.ndarray:
    """The regression targets MSE compares the outputs with, shape (n, outputs).

    * integer class labels of shape ``(n,)`` with ``outputs >= 2``: one-hot rows;
    * real targets of shape ``(n,)`` with ``outputs == 1``: a column (regression);
    * real targets of shape ``(n, outputs)``: used as they are.
    """
    y = np.asarray(y)
    if y.shape == (n, outputs):
        return y.astype(np.float64)
    if y.shape == (n,) and outputs == 1:
        return y.astype(np.float64)[:, None]
    if y.shape == (n,):
        return np.eye(outputs)[_labels(y, n, outputs)]
    raise ValueError(f"mse targets must have shape ({n},) or ({n}, {outputs}), got {y.shape}")


def mse(logits, y):
    """Mean squared error over all ``n × outputs`` entries: ``mean((z - t)²)``.

    Like ``torch.nn.MSELoss()`` (reduction "mean", no factor ½).  The targets
    ``t`` come from ``mse_targets``: one-hot rows for class labels, or scalar
    targets with a single output.

    Parameters
    ----------
    logits : ndarray, shape (n, outputs)
    y : ndarray, shape (n,) or (n, outputs)

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (n, outputs)
        ``2 (z - t) / (n · outputs)``.
    """
    z = np.asarray(logits, dtype=np.float64)
    n, outputs = z.shape
    r = z - mse_targets(y, n, outputs)
    return float((r * r).mean()), (2.0 / (n * outputs)) * r


def _clipped_scores(logits):
    # MSE outputs are regressions onto one-hot vectors, not probabilities: clip
    # them into [0, 1] for display; rows need not sum to 1.
    return np.clip(np.asarray(logits, dtype=np.float64), 0.0, 1.0)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in [
        Loss("cross_entropy", cross_entropy, lambda c: int(c), _softmax_probabilities,
             "Softmax over the classes, then the negative log-probability of the true class."),
        Loss("binary_cross_entropy", binary_cross_entropy, _binary_outputs,
             _sigmoid_probabilities,
             "One logit, sigmoid for P(class 1), negative log-likelihood: two classes only."),
        Loss("mse", mse, lambda c: int(c), _clipped_scores,
             "Squared distance between the outputs and the one-hot target vector."),
    ]
}


def n_outputs(loss: str, n_classes: int) -> int:
    """Output width a network needs for ``loss`` on a ``n_classes``-class problem."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; allowed: {sorted(LOSSES)}")
    if n_classes < 2:
        raise ValueError(f"need at least 2 classes, got {n_classes}")
    return LOSSES[loss].n_outputs(n_classes)
