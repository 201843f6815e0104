"""Preparing a dataset for training: standardizing columns and a stratified split."""

from __future__ import annotations

import numpy as np

from ..errors import SpecError


def standardize(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shift and scale every column to mean 0 and standard deviation 1.

    Columns that are constant (std 0, e.g. always-blank digit pixels) are only
    shifted.  Apply the returned ``mean`` and ``std`` to validation data as
    ``(X_val - mean) / std`` so both sets get the same transformation.

    Parameters
    ----------
    X : ndarray, shape (n, d)

    Returns
    -------
    Z : ndarray of float64, shape (n, d)
    mean : ndarray, shape (d,)
    std : ndarray, shape (d,)
        Population standard deviation, with 0 replaced by 1.
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    centred = X - mean
    std = np.sqrt((centred * centred).mean(axis=0))
    std = np.where(std > 0.0, std, 1.0)
    return centred / std, mean, std


def train_val_split(X, y, val_fraction: float = 0.2, seed: int = 0):
    """Stratified random split into training and validation sets.

    From each class, ``round(val_fraction × class size)`` examples (chosen by a
    seeded permutation) go to validation, so both sets keep the class
    proportions.  Each set is then shuffled.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray of int, shape (n,)
    val_fraction : float, strictly between 0 and 1
    seed : int

    Returns
    -------
    X_train, y_train, X_val, y_val : ndarrays
        Every row of ``X`` lands in exactly one of the two sets.
    """
    if not 0.0 < val_fraction < 1.0:
        raise SpecError("val_fraction", f"must be between 0 and 1 (exclusive), got {val_fraction}")
    X = np.asarray(X)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        k = int(np.floor(val_fraction * len(members) + 0.5))
        val.append(members[:k])
        train.append(members[k:])
    train = rng.permutation(np.concatenate(train))
    val = rng.permutation(np.concatenate(val))
    return X[train], y[train], X[val], y[val]


__all__ = ["standardize", "train_val_split"]
