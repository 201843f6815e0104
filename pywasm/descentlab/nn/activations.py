"""Activation functions σ(z) and their derivatives σ'(z), elementwise.

Backpropagation multiplies the incoming gradient by ``σ'(z)`` at each hidden
layer.  Every activation here provides both halves; ``derivative(z, a)`` may use
the already computed output ``a = σ(z)`` (e.g. ``tanh' = 1 - a²``) to avoid
evaluating σ twice.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .. import kernels as K

LEAKY_SLOPE = 0.01  # slope of leaky ReLU for z < 0 (Maas, Hannun & Ng, 2013)
GELU_CUBIC = 0.044715  # cubic coefficient of the tanh approximation of GELU
GELU_SCALE = float(np.sqrt(2.0 / K.PI))  # sqrt(2/π), same tanh approximation


class Activation(NamedTuple):
    """An elementwise nonlinearity.

    Attributes
    ----------
    name : str
    forward : callable
        ``forward(z) -> a``, same shape as ``z``.
    derivative : callable
        ``derivative(z, a=None) -> dσ/dz``, same shape as ``z``; ``a`` is ``forward(z)``
        if the caller already has it.
    description : str
    """

    name: str
    forward: Callable
    derivative: Callable
    description: str


def relu(z):
    """``max(z, 0)``."""
    return np.maximum(z, 0.0)


def relu_derivative(z, a=None):
    # the kink at 0 has no derivative; 0 there is the usual convention
    return np.where(z > 0.0, 1.0, 0.0)


def leaky_relu(z):
    """``z`` for ``z > 0``, ``0.01 z`` otherwise."""
    return np.where(z > 0.0, z, LEAKY_SLOPE * z)


def leaky_relu_derivative(z, a=None):
    return np.where(z > 0.0, 1.0, LEAKY_SLOPE)


def tanh(z):
    """Hyperbolic tangent, range (-1, 1)."""
    return K.tanh(z)


def tanh_derivative(z, a=None):
    a = K.tanh(z) if a is None else a
    return 1.0 - a * a


def sigmoid(z):
    """Logistic function ``1 / (1 + e^-z)``, range (0, 1)."""
    return K.sigmoid(z)


def sigmoid_derivative(z, a=None):
    a = K.sigmoid(z) if a is None else a
    return a * (1.0 - a)


def gelu(z):
    """GELU, tanh approximation: ``½ z (1 + tanh(√(2/π) (z + 0.044715 z³)))``.

    This is the approximation of Hendrycks & Gimpel (2016), "Gaussian Error
    Linear Units", identical to PyTorch's ``GELU(approximate="tanh")``; the exact
    GELU needs the error function, which our deterministic kernels do not provide.
    """
    z = np.asarray(z, dtype=np.float64)
    t = K.tanh(GELU_SCALE * (z + GELU_CUBIC * z * z * z))
    return 0.5 * z * (1.0 + t)


def gelu_derivative(z, a=None):
    # product rule on ½ z (1 + t), with dt/dz = (1 - t²) √(2/π) (1 + 3 · 0.044715 z²)
    z = np.asarray(z, dtype=np.float64)
    t = K.tanh(GELU_SCALE * (z + GELU_CUBIC * z * z * z))
    dt = (1.0 - t * t) * GELU_SCALE * (1.0 + 3.0 * GELU_CUBIC * z * z)
    return 0.5 * (1.0 + t) + 0.5 * z * dt


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("relu", relu, relu_derivative,
                   "max(z, 0): cheap and does not saturate for z > 0, but units can die."),
        Activation("leaky_relu", leaky_relu, leaky_relu_derivative,
                   "ReLU with a small slope 0.01 for z < 0, so no unit is ever fully dead."),
        Activation("tanh", tanh, tanh_derivative,
                   "Smooth and zero-centred, range (-1, 1); saturates for large |z|."),
        Activation("sigmoid", sigmoid, sigmoid_derivative,
                   "Smooth, range (0, 1); saturates and its gradient is at most 1/4."),
        Activation("gelu", gelu, gelu_derivative,
                   "Smooth ReLU-like curve z·Φ(z) (tanh approximation), used in transformers."),
    ]
}
