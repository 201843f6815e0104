"""The test surfaces' formulas and their hand-derived gradients.

Each surface is a pair ``f(x, y, **params)`` and ``f_grad(x, y, **params)``
(Rastrigin also ``rastrigin_value_and_grad``, which shares the sines and
cosines).  ``x`` and ``y`` may be Python floats (one point of a descent: the
fast path, same IEEE arithmetic) or arrays of any two broadcastable shapes (a
grid), and the result has the broadcast shape.  Only ``+ - * /`` and the
deterministic kernels (``K.sin``, ``K.cos``) are used, so every value is
bit-identical natively and in the browser.  :mod:`descentlab.functions` holds
their table (domains, minima, parameters, descriptions).

Definitions follow M. Jamil & X.-S. Yang, "A literature survey of benchmark
functions for global optimization problems", Int. J. Math. Modelling & Num.
Optimisation 4(2), 2013, and S. Surjanovic & D. Bingham, "Virtual Library of
Simulation Experiments" (Simon Fraser University).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import kernels as K

DEGREES_TO_RADIANS = K.PI / 180.0
RASTRIGIN_A = 10.0  # amplitude of Rastrigin's cosine ripples
ROSENBROCK_B = 100.0  # steepness of Rosenbrock's curved valley walls


def _xy(x, y):
    """Both inputs as float64 arrays (scalars become 0-d arrays).

    Two Python floats pass through unchanged: Python's float arithmetic is the
    same IEEE-754 double arithmetic as NumPy's (so the same bits), and an
    optimizer stepping one point at a time runs several times faster on floats.
    """
    if type(x) is float and type(y) is float:
        return x, y
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


# --- quadratic bowl --------------------------------------------------------------
# Rotate (x, y) by `angle` into the bowl's own axes (u, v), where the curvatures
# are 1 along u and `condition` along v.  The condition number kappa is exactly
# the ratio of the largest to the smallest Hessian eigenvalue, the quantity that
# governs how slowly plain gradient descent converges.


def _rotation(angle: float) -> tuple[float, float]:
    """``(cos, sin)`` of ``angle`` degrees, cached: the angle is fixed during a run."""
    # -0.0 == 0.0 would share one cache entry, whichever came first; make them one angle
    return _rotation_of(float(angle) + 0.0)


@lru_cache(maxsize=64)
def _rotation_of(angle: float) -> tuple[float, float]:
    t = angle * DEGREES_TO_RADIANS
    return float(K.cos(t)), float(K.sin(t))


def quadratic(x, y, condition=10.0, angle=0.0):
    """``f = ½(u² + κ v²)`` with ``(u, v)`` = ``(x, y)`` rotated by ``angle`` degrees."""
    x, y = _xy(x, y)
    c, s = _rotation(angle)
    u = c * x + s * y
    v = -s * x + c * y
    return 0.5 * (u * u + condition * v * v)


def quadratic_grad(x, y, condition=10.0, angle=0.0):
    x, y = _xy(x, y)
    c, s = _rotation(angle)
    u = c * x + s * y
    v = -s * x + c * y
    du, dv = u, condition * v  # gradient in the rotated frame
    return c * du - s * dv, s * du + c * dv  # rotated back (the transpose)


# --- Rosenbrock ------------------------------------------------------------------


def rosenbrock(x, y):
    """``f = (1 - x)² + 100 (y - x²)²``."""
    x, y = _xy(x, y)
    a = 1.0 - x
    b = y - x * x
    return a * a + ROSENBROCK_B * b * b


def rosenbrock_grad(x, y):
    x, y = _xy(x, y)
    b = y - x * x
    return -2.0 * (1.0 - x) - 4.0 * ROSENBROCK_B * x * b, 2.0 * ROSENBROCK_B * b


# --- Beale -----------------------------------------------------------------------


def _beale_terms(x, y):
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    return y2, y3, t1, t2, t3


def beale(x, y):
    """``f = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²``."""
    x, y = _xy(x, y)
    _, _, t1, t2, t3 = _beale_terms(x, y)
    return t1 * t1 + t2 * t2 + t3 * t3


def beale_grad(x, y):
    x, y = _xy(x, y)
    y2, y3, t1, t2, t3 = _beale_terms(x, y)
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * t2 * y + 3.0 * t3 * y2)
    return gx, gy


# --- Himmelblau ------------------------------------------------------------------


def himmelblau(x, y):
    """``f = (x² + y - 11)² + (x + y² - 7)²``."""
    x, y = _xy(x, y)
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b


def himmelblau_grad(x, y):
    x, y = _xy(x, y)
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


# --- Rastrigin -------------------------------------------------------------------


def _both(kernel, x, y):
    """``kernel(x), kernel(y)`` in one call (each kernel call has a fixed overhead).

    Two Python floats go through the kernels' exact scalar path instead.
    """
    if type(x) is float and type(y) is float:
        return kernel(x), kernel(y)
    out = kernel(np.stack(np.broadcast_arrays(x, y)))
    return out[0], out[1]


def rastrigin(x, y):
    """``f = 2A + x² - A cos(2πx) + y² - A cos(2πy)`` with ``A = 10``."""
    x, y = _xy(x, y)
    w = 2.0 * K.PI
    cx, cy = _both(K.cos, w * x, w * y)
    return _rastrigin_value(x, y, cx, cy)


def rastrigin_grad(x, y):
    x, y = _xy(x, y)
    w = 2.0 * K.PI
    sx, sy = _both(K.sin, w * x, w * y)
    return _rastrigin_grad(x, y, sx, sy)


def rastrigin_value_and_grad(x, y):
    """Both at once: one sine-and-cosine evaluation per coordinate instead of two."""
    x, y = _xy(x, y)
    w = 2.0 * K.PI
    if type(x) is float and type(y) is float:
        (sx, cx), (sy, cy) = K.sincos(w * x), K.sincos(w * y)
    else:
        s, c = K.sincos(np.stack(np.broadcast_arrays(w * x, w * y)))
        sx, sy, cx, cy = s[0], s[1], c[0], c[1]
    return _rastrigin_value(x, y, cx, cy), _rastrigin_grad(x, y, sx, sy)


def _rastrigin_value(x, y, cx, cy):
    return 2.0 * RASTRIGIN_A + x * x - RASTRIGIN_A * cx + y * y - RASTRIGIN_A * cy


def _rastrigin_grad(x, y, sx, sy):
    w = 2.0 * K.PI
    return 2.0 * x + RASTRIGIN_A * w * sx, 2.0 * y + RASTRIGIN_A * w * sy


# --- saddle ----------------------------------------------------------------------


def saddle(x, y):
    """``f = x² - y²``: a saddle point at the origin, unbounded below."""
    x, y = _xy(x, y)
    return x * x - y * y


def saddle_grad(x, y):
    x, y = _xy(x, y)
    return 2.0 * x, -2.0 * y


# --- Booth -----------------------------------------------------------------------


def booth(x, y):
    """``f = (x + 2y - 7)² + (2x + y - 5)²``."""
    x, y = _xy(x, y)
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return a * a + b * b


def booth_grad(x, y):
    x, y = _xy(x, y)
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return 2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b


# --- six-hump camel --------------------------------------------------------------


def six_hump_camel(x, y):
    """``f = (4 - 2.1x² + x⁴/3) x² + xy + (-4 + 4y²) y²``."""
    x, y = _xy(x, y)
    x2 = x * x
    y2 = y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


def six_hump_camel_grad(x, y):
    x, y = _xy(x, y)
    x2 = x * x
    return (8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y,
            x - 8.0 * y + 16.0 * y * y * y)


# --- Styblinski-Tang -------------------------------------------------------------


def styblinski_tang(x, y):
    """``f = ½ Σ (t⁴ - 16t² + 5t)`` over ``t = x, y``."""
    x, y = _xy(x, y)
    x2 = x * x
    y2 = y * y
    return 0.5 * (x2 * x2 - 16.0 * x2 + 5.0 * x + y2 * y2 - 16.0 * y2 + 5.0 * y)


def styblinski_tang_grad(x, y):
    x, y = _xy(x, y)
    return 2.0 * x * x * x - 16.0 * x + 2.5, 2.0 * y * y * y - 16.0 * y + 2.5


# --- Goldstein-Price -------------------------------------------------------------
# f = A(x, y) * B(x, y) with
#   A = 1 + (x + y + 1)² P,   P = 19 - 14x + 3x² - 14y + 6xy + 3y²
#   B = 30 + (2x - 3y)² Q,    Q = 18 - 32x + 12x² + 48y - 36xy + 27y²


def _goldstein_price_parts(x, y):
    a = x + y + 1.0
    p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    b = 2.0 * x - 3.0 * y
    q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    return a, p, b, q


def goldstein_price(x, y):
    """``f = [1 + (x+y+1)² P(x, y)] · [30 + (2x-3y)² Q(x, y)]`` (see source)."""
    x, y = _xy(x, y)
    a, p, b, q = _goldstein_price_parts(x, y)
    return (1.0 + a * a * p) * (30.0 + b * b * q)


def goldstein_price_grad(x, y):
    x, y = _xy(x, y)
    a, p, b, q = _goldstein_price_parts(x, y)
    big_a = 1.0 + a * a * p
    big_b = 30.0 + b * b * q
    # product rule, with dA/dx = dA/dy because a and P are symmetric in x and y
    da = 2.0 * a * p + a * a * (-14.0 + 6.0 * x + 6.0 * y)
    db_dx = 4.0 * b * q + b * b * (-32.0 + 24.0 * x - 36.0 * y)
    db_dy = -6.0 * b * q + b * b * (48.0 - 36.0 * x + 54.0 * y)
    return da * big_b + big_a * db_dx, da * big_b + big_a * db_dy


# --- the Hessian's diagonal, (∂²f/∂x², ∂²f/∂y²) --------------------------------------
# What Sophia divides by on a landscape: the exact curvature along each axis, derived by
# hand from the gradients above (tests/test_functions.py checks them against central
# differences of the gradient).  Same inputs and broadcasting as the gradients.


def _const(x, y, value: float):
    """``value`` at every point of the broadcast of x and y (a float for two floats)."""
    if type(x) is float and type(y) is float:
        return value
    return np.broadcast_to(np.asarray(value, dtype=np.float64), np.broadcast_shapes(np.shape(x), np.shape(y))).copy()


def quadratic_hessian_diag(x, y, condition=10.0, angle=0.0):
    """f_xx = c² + κ s², f_yy = s² + κ c² (c, s: cosine and sine of the angle)."""
    x, y = _xy(x, y)
    c, s = _rotation(angle)
    return _const(x, y, c * c + condition * s * s), _const(x, y, s * s + condition * c * c)


def rosenbrock_hessian_diag(x, y):
    """f_xx = 2 − 4b(y − x²) + 8b x², f_yy = 2b (b = 100)."""
    x, y = _xy(x, y)
    return 2.0 - 4.0 * ROSENBROCK_B * (y - x * x) + 8.0 * ROSENBROCK_B * x * x, _const(x, y, 2.0 * ROSENBROCK_B)


def beale_hessian_diag(x, y):
    """Each term t is linear in x, so f_xx = 2 Σ t_x²; f_yy = 2 Σ (t_y² + t t_yy)."""
    x, y = _xy(x, y)
    y2, y3, t1, t2, t3 = _beale_terms(x, y)
    a, b, c = y - 1.0, y2 - 1.0, y3 - 1.0
    hxx = 2.0 * (a * a + b * b + c * c)
    d2, d3 = 2.0 * x * y, 3.0 * x * y2  # t2_y, t3_y (t1_y = x)
    hyy = 2.0 * (x * x + d2 * d2 + d3 * d3 + t2 * (2.0 * x) + t3 * (6.0 * x * y))
    return hxx, hyy


def himmelblau_hessian_diag(x, y):
    """f_xx = 4a + 8x² + 2, f_yy = 4b + 8y² + 2 (a = x² + y − 11, b = x + y² − 7)."""
    x, y = _xy(x, y)
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return 4.0 * a + 8.0 * x * x + 2.0, 4.0 * b + 8.0 * y * y + 2.0


def rastrigin_hessian_diag(x, y):
    """f_xx = 2 + A w² cos(wx), f_yy = 2 + A w² cos(wy) (w = 2π)."""
    x, y = _xy(x, y)
    w = 2.0 * K.PI
    cx, cy = _both(K.cos, w * x, w * y)
    return 2.0 + RASTRIGIN_A * w * w * cx, 2.0 + RASTRIGIN_A * w * w * cy


def saddle_hessian_diag(x, y):
    x, y = _xy(x, y)
    return _const(x, y, 2.0), _const(x, y, -2.0)


def booth_hessian_diag(x, y):
    x, y = _xy(x, y)
    return _const(x, y, 10.0), _const(x, y, 10.0)


def six_hump_camel_hessian_diag(x, y):
    """f_xx = 8 − 25.2x² + 10x⁴, f_yy = −8 + 48y²."""
    x, y = _xy(x, y)
    x2 = x * x
    return 8.0 - 25.2 * x2 + 10.0 * x2 * x2, -8.0 + 48.0 * y * y


def styblinski_tang_hessian_diag(x, y):
    """f_xx = 6x² − 16, f_yy = 6y² − 16."""
    x, y = _xy(x, y)
    return 6.0 * x * x - 16.0, 6.0 * y * y - 16.0


def goldstein_price_hessian_diag(x, y):
    """f = A B: f_xx = A_xx B + 2 A_x B_x + A B_xx, the same for y (A_yy = A_xx, A_y = A_x)."""
    x, y = _xy(x, y)
    a, p, b, q = _goldstein_price_parts(x, y)
    big_a = 1.0 + a * a * p
    big_b = 30.0 + b * b * q
    p_x = -14.0 + 6.0 * x + 6.0 * y  # = P_y
    q_x = -32.0 + 24.0 * x - 36.0 * y
    q_y = 48.0 - 36.0 * x + 54.0 * y
    da = 2.0 * a * p + a * a * p_x
    d2a = 2.0 * p + 4.0 * a * p_x + 6.0 * a * a  # P_xx = 6
    db_dx = 4.0 * b * q + b * b * q_x
    db_dy = -6.0 * b * q + b * b * q_y
    d2b_dx = 8.0 * q + 8.0 * b * q_x + 24.0 * b * b  # b_x = 2, Q_xx = 24
    d2b_dy = 18.0 * q - 12.0 * b * q_y + 54.0 * b * b  # b_y = −3, Q_yy = 54
    return (d2a * big_b + 2.0 * da * db_dx + big_a * d2b_dx,
            d2a * big_b + 2.0 * da * db_dy + big_a * d2b_dy)
