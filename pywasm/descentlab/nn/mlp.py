"""A multilayer perceptron whose parameters are one flat vector θ.

The network is ``dense -> σ -> dense -> σ -> ... -> dense`` (the last layer is
linear: its outputs are logits, and the loss applies softmax or sigmoid).
Because all weights live in θ (see ``layout.py``), an optimizer written for
plain vectors trains it directly: ``θ <- θ - lr * loss_and_grad(θ, ...)[1]``.

Backpropagation is the chain rule applied layer by layer from the top:
``δ_L = dL/dlogits``; for each layer ``dW, db, dx = dense_backward(x, W, δ)``,
then ``δ = dx * σ'(z)`` for the layer below.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .activations import ACTIVATIONS
from .layers import dense_backward, dense_forward
from .layout import Layout, make_layout, unpack
from .losses import LOSSES

__all__ = [
    "make_layout", "forward", "loss_and_grad", "predict", "predict_class", "accuracy",
    "hidden_activations", "decision_grid", "ForwardCache",
]


class ForwardCache(NamedTuple):
    """What the backward pass needs from the forward pass.

    Attributes
    ----------
    inputs : list of ndarray
        ``inputs[l]`` is the input of dense layer ``l``, shape (n, sizes[l]):
        ``X`` for ``l = 0``, the activation ``σ(z)`` of hidden layer ``l - 1`` after.
    pre_activations : list of ndarray
        ``pre_activations[l]`` is ``z`` of hidden layer ``l``, shape (n, sizes[l + 1]).
    """

    inputs: list
    pre_activations: list


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; allowed: {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def _loss(name: str):
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; allowed: {sorted(LOSSES)}")
    return LOSSES[name]


def _batch(X, layout: Layout) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != layout.n_in:
        raise ValueError(f"X must have shape (n, {layout.n_in}), got {X.shape}")
    return X


def forward(theta, layout: Layout, X, activation: str):
    """Run the network on a batch.

    Parameters
    ----------
    theta : ndarray of float64, shape (layout.size,)
    layout : Layout
    X : ndarray, shape (n, layout.n_in)
    activation : str
        Key of ``ACTIVATIONS``, used by every hidden layer.

    Returns
    -------
    logits : ndarray, shape (n, layout.n_out)
    cache : ForwardCache
    """
    act = _activation(activation)
    a = _batch(X, layout)
    params = unpack(np.asarray(theta, dtype=np.float64), layout)
    inputs, pre = [], []
    for W, b in params[:-1]:
        inputs.append(a)
        z = dense_forward(a, W, b)
        pre.append(z)
        a = act.forward(z)
    W, b = params[-1]
    inputs.append(a)
    return dense_forward(a, W, b), ForwardCache(inputs, pre)


def backward(theta, layout: Layout, cache: ForwardCache, dlogits, activation: str) -> np.ndarray:
    """Gradient of the loss with respect to θ, given ``dL/dlogits``.

    Returns
    -------
    grad : ndarray of float64, shape (layout.size,), laid out like θ
    """
    act = _activation(activation)
    params = unpack(np.asarray(theta, dtype=np.float64), layout)
    grad = np.zeros(layout.size)
    grads = unpack(grad, layout)  # views: writing gW fills grad
    delta = dlogits
    for l in range(len(params) - 1, -1, -1):
        dx, dW, db = dense_backward(cache.inputs[l], params[l][0], delta, input_grad=l > 0)
        grads[l][0][...] = dW
        grads[l][1][...] = db
        if l > 0:
            z = cache.pre_activations[l - 1]
            delta = dx * act.derivative(z, cache.inputs[l])
    return grad


def loss_and_grad(theta, layout: Layout, X, y, activation: str, loss: str, l2: float = 0.0):
    """Mean loss over the batch plus L2 penalty, and its gradient with respect to θ.

    The penalty is ``½ · l2 · Σ_layers ‖W‖²`` (squared Frobenius norms of the
    weight matrices; biases are not penalized), so it adds ``l2 · W`` to each
    weight gradient: "weight decay" for plain gradient descent.

    Parameters
    ----------
    theta : ndarray of float64, shape (layout.size,)
    layout : Layout
    X : ndarray, shape (n, layout.n_in)
    y : ndarray, shape (n,)
        Class labels (or targets, see ``losses.mse_targets``).
    activation : str
        Key of ``ACTIVATIONS``.
    loss : str
        Key of ``LOSSES``.
    l2 : float
        L2 regularization strength, >= 0.

    Returns
    -------
    loss : float
    grad : ndarray of float64, shape (layout.size,)
    """
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    theta = np.asarray(theta, dtype=np.float64)
    logits, cache = forward(theta, layout, X, activation)
    value, dlogits = _loss(loss).fn(logits, y)
    grad = backward(theta, layout, cache, dlogits, activation)
    if l2 > 0:
        for (W, _), (gW, _) in zip(unpack(theta, layout), unpack(grad, layout)):
            value += 0.5 * l2 * float((W * W).sum())
            gW += l2 * W
    return value, grad


def predict(theta, layout: Layout, X, activation: str, loss: str) -> np.ndarray:
    """Class probabilities, shape (n, classes).

    Softmax for ``cross_entropy``; ``[1 - p, p]`` with ``p = sigmoid(z)`` for
    ``binary_cross_entropy``; for ``mse`` the outputs clipped into [0, 1] (scores
    of a regression onto one-hot targets, not calibrated probabilities).
    """
    logits, _ = forward(theta, layout, X, activation)
    return _loss(loss).probabilities(logits)


def predict_class(theta, layout: Layout, X, activation: str) -> np.ndarray:
    """Predicted class per example, int64 shape (n,).

    The largest logit wins; with a single output (binary cross-entropy) class 1
    wins when the logit is positive, i.e. when ``sigmoid(z) > ½``.
    """
    logits, _ = forward(theta, layout, X, activation)
    return _classify(logits)


def _classify(logits: np.ndarray) -> np.ndarray:
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0.0).astype(np.int64)
    return np.argmax(logits, axis=1).astype(np.int64)  # first index on ties


def accuracy(theta, layout: Layout, X, y, activation: str) -> float:
    """Fraction of examples whose predicted class equals ``y``."""
    return float((predict_class(theta, layout, X, activation) == np.asarray(y)).mean())


def hidden_activations(theta, layout: Layout, X, activation: str, layer: int) -> np.ndarray:
    """The output ``σ(z)`` of hidden layer ``layer`` (0-based; -1 is the last).

    Returns
    -------
    ndarray, shape (n, layout.hidden[layer])
    """
    n_hidden = len(layout.hidden)
    if not -n_hidden <= layer < n_hidden:
        raise ValueError(f"layer must be in {-n_hidden}..{n_hidden - 1}, got {layer}")
    _, cache = forward(theta, layout, X, activation)
    return cache.inputs[1:][layer]  # inputs[l + 1] is the activation of hidden layer l


def decision_grid(theta, layout: Layout, activation: str, loss: str, domain, H: int, W: int):
    """The network's answer over a 2-D input box, for drawing decision regions.

    The grid is the endpoint grid of ``functions.grid``: ``xs = linspace(xmin,
    xmax, W)``, ``ys = linspace(ymin, ymax, H)``, and cell ``[i, j]`` is the input
    ``(xs[j], ys[i])``.

    Parameters
    ----------
    theta : ndarray of float64, shape (layout.size,)
    layout : Layout
        Must have ``n_in == 2``.
    activation, loss : str
    domain : ((xmin, xmax), (ymin, ymax))
    H, W : int

    Returns
    -------
    ndarray, shape (H, W)
        Two classes: float64 probability (score for ``mse``) of class 1.
        More classes: int64 predicted class.
    """
    if layout.n_in != 2:
        raise ValueError(f"decision_grid needs 2 inputs, the layout has {layout.n_in}")
    (xmin, xmax), (ymin, ymax) = domain
    xs = np.linspace(float(xmin), float(xmax), int(W))
    ys = np.linspace(float(ymin), float(ymax), int(H))
    points = np.stack([np.tile(xs, H), np.repeat(ys, W)], axis=1)  # row-major (i, j)
    logits, _ = forward(theta, layout, points, activation)
    if layout.n_out <= 2:  # one logit (binary cross-entropy) or two outputs
        return _loss(loss).probabilities(logits)[:, -1].reshape(H, W)
    return _classify(logits).reshape(H, W)
