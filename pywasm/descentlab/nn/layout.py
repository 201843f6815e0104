"""Where each layer's weights live inside one flat parameter vector θ.

Optimizers in Descent Lab update a single 1-D float64 vector, elementwise.  A
network, however, thinks in matrices.  A ``Layout`` is the bridge: for every
dense layer it records the offset and shape of its weight matrix ``W`` and its
bias vector ``b`` inside θ.  ``unpack`` then hands out reshaped *views* of θ,
so reading or writing a layer's ``W`` reads or writes θ itself, with no copy.

θ is laid out layer by layer: ``W0, b0, W1, b1, ...``, each ``W`` in row-major
(C) order with shape ``(inputs, outputs)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class DenseSlot(NamedTuple):
    """Position of one dense layer's parameters inside θ.

    Attributes
    ----------
    w_offset : int
        Index in θ of ``W[0, 0]``.
    w_shape : (int, int)
        ``(inputs, outputs)``.
    b_offset : int
        Index in θ of ``b[0]``.
    b_shape : (int,)
        ``(outputs,)``.
    """

    w_offset: int
    w_shape: tuple[int, int]
    b_offset: int
    b_shape: tuple[int]


class Layout(NamedTuple):
    """The architecture of a multilayer perceptron and its parameter layout.

    Attributes
    ----------
    sizes : tuple of int
        Layer widths ``(n_in, hidden_1, ..., hidden_k, n_out)``.
    layers : tuple of DenseSlot
        One per dense layer, ``len(sizes) - 1`` of them.
    size : int
        Total number of parameters, the length of θ.
    """

    sizes: tuple[int, ...]
    layers: tuple[DenseSlot, ...]
    size: int

    @property
    def n_in(self) -> int:
        return self.sizes[0]

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.sizes[1:-1]


def make_layout(n_in: int, hidden: list[int], n_out: int) -> Layout:
    """Lay out a dense network ``n_in -> hidden[0] -> ... -> n_out`` in one vector.

    Parameters
    ----------
    n_in : int
        Number of input features.
    hidden : list of int
        Widths of the hidden layers (may be empty: a linear model).
    n_out : int
        Number of outputs (logits).

    Returns
    -------
    Layout
    """
    sizes = (int(n_in), *(int(h) for h in hidden), int(n_out))
    if any(s < 1 for s in sizes):
        raise ValueError(f"every layer width must be >= 1, got {sizes}")
    layers = []
    offset = 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w_offset = offset
        b_offset = w_offset + fan_in * fan_out
        offset = b_offset + fan_out
        layers.append(DenseSlot(w_offset, (fan_in, fan_out), b_offset, (fan_out,)))
    return Layout(sizes, tuple(layers), offset)


def unpack(theta: np.ndarray, layout: Layout) -> list[tuple[np.ndarray, np.ndarray]]:
    """Views ``[(W0, b0), (W1, b1), ...]`` into ``theta``.

    Parameters
    ----------
    theta : ndarray of float64, shape (layout.size,)
        Must be contiguous so that the reshapes are views (writes go through).
    layout : Layout

    Returns
    -------
    list of (W, b)
        ``W`` of shape ``(inputs, outputs)`` and ``b`` of shape ``(outputs,)``.
    """
    if theta.shape != (layout.size,):
        raise ValueError(f"theta has shape {theta.shape}, layout needs ({layout.size},)")
    out = []
    for slot in layout.layers:
        n_w = slot.w_shape[0] * slot.w_shape[1]
        W = theta[slot.w_offset:slot.w_offset + n_w].reshape(slot.w_shape)
        b = theta[slot.b_offset:slot.b_offset + slot.b_shape[0]]
        out.append((W, b))
    return out
