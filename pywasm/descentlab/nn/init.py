"""Seeded random initialization of a network's weights.

If the weights start too large, activations and gradients grow layer after
layer; too small, and they shrink.  The two classic rules pick the weight
variance so that the signal keeps its scale through each layer:

* **Xavier / Glorot** (Glorot & Bengio, 2010), for tanh and sigmoid:
  ``Var(W) = 2 / (fan_in + fan_out)``.
* **He / Kaiming** (He et al., 2015), for ReLU-like units (relu, leaky_relu,
  gelu), which zero out about half of their input: ``Var(W) = 2 / fan_in``.

Weights are drawn from a normal distribution with that variance, or from the
uniform distribution on ``[-L, L]`` with ``L = sqrt(3 · Var)``, which has the same
variance.  Every layer, the output layer included, uses the rule of the hidden
activation.  Biases start at zero.
"""

from __future__ import annotations

import numpy as np

from .layout import Layout, unpack

INIT_RULE = {"relu": "he", "leaky_relu": "he", "gelu": "he", "tanh": "xavier", "sigmoid": "xavier"}
DISTRIBUTIONS = ("normal", "uniform")


def init_variance(fan_in: int, fan_out: int, rule: str) -> float:
    """Target weight variance of a ``fan_in × fan_out`` layer under ``rule``."""
    if rule == "he":
        return 2.0 / fan_in
    if rule == "xavier":
        return 2.0 / (fan_in + fan_out)
    raise ValueError(f"unknown init rule {rule!r}; allowed: ['he', 'xavier']")


def init_params(layout: Layout, activation: str, rng, distribution: str = "normal") -> np.ndarray:
    """A fresh parameter vector θ for ``layout``.

    Parameters
    ----------
    layout : Layout
    activation : str
        Hidden activation; selects Xavier or He (see ``INIT_RULE``).
    rng : numpy.random.Generator or int
        The random source; an int is used as the seed of ``default_rng``.
        Layers are drawn in order, each ``W`` in row-major order.
    distribution : {"normal", "uniform"}

    Returns
    -------
    theta : ndarray of float64, shape (layout.size,)
    """
    if activation not in INIT_RULE:
        raise ValueError(f"unknown activation {activation!r}; allowed: {sorted(INIT_RULE)}")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"unknown distribution {distribution!r}; allowed: {list(DISTRIBUTIONS)}")
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    theta = np.zeros(layout.size)  # biases stay 0
    for W, _ in unpack(theta, layout):
        fan_in, fan_out = W.shape
        std = np.sqrt(init_variance(fan_in, fan_out, INIT_RULE[activation]))
        if distribution == "normal":
            W[...] = std * rng.standard_normal(W.shape)
        else:
            limit = np.sqrt(3.0) * std  # U(-L, L) has variance L² / 3
            W[...] = limit * (2.0 * rng.random(W.shape) - 1.0)
    return theta
