"""Arithmetic on a Python float or a float64 array, with the same bits either way.

Every optimizer in Descent Lab is elementwise: coordinate i of the update only
depends on coordinate i of the gradient, parameters and state.  So an optimizer
written with these helpers runs unchanged on a 1-D float64 array (a network's
weights) or on one Python float (one coordinate of a 2-D landscape point), and
gives the same bits both ways: ``+ - * /`` and ``sqrt`` are correctly rounded
IEEE operations whether NumPy or CPython performs them, and ``floor``,
``ldexp`` and ``frexp`` are exact (see ``docs/determinism.md``).  On
two-element problems the Python-float path avoids NumPy's per-call overhead,
the cost that dominates there (``tests/test_optimizers.py`` checks both paths
bit for bit).

The deterministic kernels (:mod:`descentlab.kernels`) write their range
reductions and polynomials once, on the exact ``floor``, ``ldexp``,
``frexp``, ``where`` and ``pick`` of :class:`FloatOps` or :class:`ArrayOps`, so
``exp``, ``sin`` and ``cos`` of a float are the array versions' very bits.
"""

from __future__ import annotations

import math

import numpy as np


def _f64(x):
    return np.asarray(x, dtype=np.float64)


def zeros_like(p):
    """0.0 for a Python float, else float64 zeros shaped like ``p``."""
    return 0.0 if type(p) is float else np.zeros_like(p, dtype=np.float64)


def full_like(p, value: float):
    """``value`` for a Python float, else a float64 array of it shaped like ``p``."""
    return float(value) if type(p) is float else np.full_like(p, value, dtype=np.float64)


def copy(x):
    """A copy that never aliases ``x`` (floats are immutable already)."""
    return x if type(x) is float else np.array(x, dtype=np.float64)


def sqrt(x):
    """Correctly rounded square root of a float or an array (nan below zero, as NumPy)."""
    if type(x) is float:
        return math.sqrt(x) if x >= 0.0 else math.nan  # negatives and nan fail the test (-0.0 passes)
    return np.sqrt(x)


def maximum(a, b):
    """``np.maximum`` for floats or arrays: a NaN in either argument gives NaN."""
    if type(a) is float and type(b) is float:
        if a != a or b != b:
            return math.nan
        return a if a > b else b  # on a tie (±0.0) return b, as native NumPy does
    return np.maximum(a, b)


def sign(x):
    """-1.0, 0.0 or 1.0 (NaN stays NaN), for a float or an array."""
    if type(x) is float:
        if x != x:
            return math.nan
        return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)  # sign(-0.0) is +0.0, as in NumPy
    return np.sign(x)


def powi(x, n: int):
    """``x ** n`` for an integer ``n >= 0`` by repeated squaring.

    CPython's ``float ** int`` calls libm ``pow``, which is not guaranteed to
    round the same way on every platform; repeated squaring is plain
    multiplication and therefore identical everywhere.

    Parameters
    ----------
    x : float or array_like of float64, any shape
    n : int, at least 0

    Returns
    -------
    float for a Python float, else ndarray of float64 of ``x``'s shape
    """
    if n < 0:
        raise ValueError("powi needs n >= 0")
    if type(x) is float:
        result = 1.0
    else:
        x = _f64(x)
        result = np.ones_like(x)
    base = x
    while n:
        if n & 1:
            result = result * base
        n >>= 1
        if n:
            base = base * base
    return result


# --- exact building blocks of the kernels ------------------------------------
# The kernels' range reductions and polynomials take one of these two namespaces
# as ``xp`` (the array-API idiom), chosen once per call, so the same lines of
# arithmetic run on a float at Python speed and on an array at NumPy speed.


class FloatOps:
    """Exact operations on one Python float."""

    floor = staticmethod(math.floor)  # an int
    ldexp = staticmethod(math.ldexp)  # x * 2**e, e an int
    frexp = staticmethod(math.frexp)  # (m, e), x = m * 2**e, 0.5 <= |m| < 1

    @staticmethod
    def where(condition, if_true, if_false):
        return if_true if condition else if_false

    @staticmethod
    def pick(index, options):
        """``options[index]`` for a whole number ``index``."""
        return options[index]


class ArrayOps:
    """The same operations on float64 arrays, element by element."""

    floor = staticmethod(np.floor)  # float64 whole numbers
    frexp = staticmethod(np.frexp)
    where = staticmethod(np.where)

    @staticmethod
    def ldexp(x, e):
        """``x * 2**e`` for whole numbers ``e``, stored as ints or floats."""
        return np.ldexp(x, np.asarray(e, dtype=np.int64))

    @staticmethod
    def pick(index, options):
        """``options[index[i]]`` element by element (whole numbers 0..len-1)."""
        out = options[-1]
        for i in range(len(options) - 2, -1, -1):
            out = np.where(index == i, options[i], out)
        return out


__all__ = ["zeros_like", "full_like", "copy", "sqrt", "maximum", "sign", "powi", "FloatOps", "ArrayOps"]
