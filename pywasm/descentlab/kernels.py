"""Deterministic numerical kernels: the same bits natively and in the browser.

NumPy's ``exp``, ``log``, ``tanh``, ``sin``, ``cos`` call the platform's libm (or
SIMD variants of it), and ``@``/``dot`` call BLAS, so native CPython and Pyodide
(wasm) disagree in the last bits.  Everything in Descent Lab that needs one of
those operations calls this module instead.  Each kernel here is built only from
operations measured as bit-identical on both sides (``+ - * /``, ``sqrt``,
``floor``, ``ldexp``, ``frexp``, ``where``, ``abs``, ``maximum`` and ``sum``
along an axis; see ``docs/determinism.md``).  ``frexp`` and ``ldexp`` are exact
(they only move the exponent), so they cannot differ either.

The elementary functions follow fdlibm (Sun Microsystems, 1993), whose
algorithms are documented to be accurate to < 1 ulp: a Cody-Waite range
reduction followed by a minimax polynomial.  They agree with NumPy's own
functions to within 2 ulp over the whole finite range (see
``tests/test_kernels.py``), and handle inf, nan, overflow and underflow the way
NumPy does.

All functions accept scalars or arrays and return float64 arrays (0-d for
scalar input).
"""

from __future__ import annotations

import math

import numpy as np

PI = 3.141592653589793
LN2_HI = 6.93147180369123816490e-01  # upper bits of ln 2: k * LN2_HI is exact for |k| < 2**11
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
INV_LN2 = 1.44269504088896338700e00

EXP_OVERFLOW = 7.09782712893383973096e02  # exp(x) = inf above this
EXP_UNDERFLOW = -7.45133219101941108420e02  # exp(x) = 0 below this

# fdlibm e_exp.c: minimax polynomial for R(r^2) on [-0.347, 0.347]
_EXP_P = (1.66666666666666019037e-01, -2.77777777770155933842e-03,
          6.61375632143793436117e-05, -1.65339022054652515390e-06,
          4.13813679705723846039e-08)
# fdlibm e_log.c: minimax polynomial for log((1+s)/(1-s)) on [0, 0.1716]
_LOG_LG = (6.666666666666735130e-01, 3.999999999940941908e-01,
           2.857142874366239149e-01, 2.222219843214978396e-01,
           1.818357216161805012e-01, 1.531383769920937332e-01,
           1.479819860511658591e-01)
# fdlibm s_expm1.c: rational approximation coefficients
_EXPM1_Q = (-3.33333333333331316428e-02, 1.58730158725481460165e-03,
            -7.93650757867487942473e-05, 4.00821782732936239552e-06,
            -2.01099218183624371326e-07)
# fdlibm k_sin.c / k_cos.c on [-pi/4, pi/4]
_SIN_S = (-1.66666666666666324348e-01, 8.33333333332248946124e-03,
          -1.98412698298579493134e-04, 2.75573137070700676789e-06,
          -2.50507602534068634195e-08, 1.58969099521155010221e-10)
_COS_C = (4.16666666666666019037e-02, -1.38888888888741095749e-03,
          2.48015872894767294178e-05, -2.75573143513906633035e-07,
          2.08757232129817482790e-09, -1.13596475577881948265e-11)
# pi/2 split into 33-bit pieces so that k * PIO2_n is exact (fdlibm e_rem_pio2.c)
_PIO2_1 = 1.57079632673412561417e00
_PIO2_1T = 6.07710050650619224932e-11
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_2T = 2.02226624879595063154e-21
_INV_PIO2 = 6.36619772367581382433e-01
SIN_COS_MAX_ARG = 1.0e6  # beyond this the two-step reduction loses bits; we return nan

TANH_SATURATION = 22.0  # tanh(x) rounds to +-1 for |x| > 22
TANH_NEAR = 0.625  # below this tanh uses the rational approximation
# Cephes tanh.c: tanh(x) = x + x^3 P(x^2) / Q(x^2) on |x| <= 0.625
_TANH_P = (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3)
_TANH_Q = (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)
SQRT1_2 = 0.70710678118654752440
MATMUL_CHUNK = 1 << 22  # elements per temporary block in matmul (32 MiB of float64)


def _f64(x):
    return np.asarray(x, dtype=np.float64)


def _canonical_nan(y):
    """Replace every NaN by the one quiet NaN ``np.nan``.

    x86 propagates an operand's NaN payload and sign, wasm returns a canonical
    NaN: the same "not a number" with different bits.  Every kernel ends here so
    that even a NaN result is bit-identical.
    """
    return np.where(y != y, np.nan, y)


# --- Elementwise helpers for optimizer states --------------------------------
# Every optimizer in Descent Lab is elementwise: coordinate i of the update only
# depends on coordinate i of the gradient, parameters and state.  So an optimizer
# written with these helpers runs unchanged on a 1-D float64 array (a network's
# weights) or on one Python float (one coordinate of a 2-D landscape point), and
# gives the same bits both ways: + - * / and sqrt are correctly rounded IEEE
# operations whether NumPy or CPython performs them.  On two-element problems the
# Python-float path avoids NumPy's per-call overhead, the cost that dominates
# there (tests/test_optimizers.py checks both paths bit for bit).


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
    """
    if n < 0:
        raise ValueError("powi needs n >= 0")
    if type(x) is float:  # the same multiplications on a Python float (IEEE doubles too)
        result, base = 1.0, x
        while n:
            if n & 1:
                result = result * base
            n >>= 1
            if n:
                base = base * base
        return result
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


def exp(x):
    """Natural exponential, fdlibm algorithm (error < 1 ulp).

    Parameters
    ----------
    x : array_like of float64, any shape

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    if type(x) is float:
        return _exp_float(x)
    x = _f64(x)
    xs = np.where(np.abs(x) <= EXP_OVERFLOW + 40.0, x, 0.0)  # keep k small; fixed below
    # x = k ln2 + r with |r| <= ln2 / 2
    k = np.floor(xs * INV_LN2 + 0.5)
    hi = xs - k * LN2_HI
    lo = k * LN2_LO
    r = hi - lo
    t = r * r
    p1, p2, p3, p4, p5 = _EXP_P
    c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    # Scale in two halves so that 2**k never overflows or underflows on its own
    # when the result itself is still representable (subnormal results round once).
    ki = k.astype(np.int64)
    half = ki // 2
    y = np.ldexp(np.ldexp(y, half), ki - half)
    y = np.where(x > EXP_OVERFLOW, np.inf, y)
    y = np.where(x < EXP_UNDERFLOW, 0.0, y)
    return _canonical_nan(np.where(np.isnan(x), np.nan, y))


def _exp_float(x: float) -> float:
    """:func:`exp` for one Python float, with the array version's operations and bits."""
    if x != x:
        return math.nan
    if x > EXP_OVERFLOW:
        return math.inf
    if x < EXP_UNDERFLOW:
        return 0.0
    k = math.floor(x * INV_LN2 + 0.5)
    hi = x - k * LN2_HI
    lo = k * LN2_LO
    r = hi - lo
    t = r * r
    p1, p2, p3, p4, p5 = _EXP_P
    c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    half = k // 2
    return math.ldexp(math.ldexp(y, half), k - half)


def expm1(x):
    """``exp(x) - 1`` accurately near zero (fdlibm s_expm1.c, error < 1 ulp).

    Parameters
    ----------
    x : array_like of float64, any shape

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    x = _f64(x)
    ax = np.abs(x)
    big = ax > 0.5 * LN2_HI  # |x| > ln2 / 2: reduce the argument
    xs = np.where(np.isfinite(x) & (ax < 710.0), x, 0.0)
    # k = round(x / ln2), with k = 0 where no reduction is needed
    k = np.where(big, np.floor(xs * INV_LN2 + 0.5), 0.0)
    hi = xs - k * LN2_HI
    lo = k * LN2_LO
    r = hi - lo
    c = (hi - r) - lo  # the rounding error of r, carried separately
    hfx = 0.5 * r
    hxs = r * hfx
    q1, q2, q3, q4, q5 = _EXPM1_Q
    r1 = 1.0 + hxs * (q1 + hxs * (q2 + hxs * (q3 + hxs * (q4 + hxs * q5))))
    t = 3.0 - r1 * hfx
    e = hxs * ((r1 - t) / (6.0 - r * t))
    small_result = r - (r * e - hxs)  # k == 0
    e2 = (r * (e - c) - c) - hxs
    ki = k.astype(np.int64)
    # k == -1 and k == 1 (fdlibm's special cases keep full accuracy near +-ln2)
    res_m1 = 0.5 * (r - e2) - 0.5
    res_p1 = np.where(r < -0.25, -2.0 * (e2 - (r + 0.5)), 1.0 + 2.0 * (r - e2))
    # general k: 2**k (1 + r - e2) - 1, ordered to avoid cancellation
    y_far = np.ldexp(1.0 - (e2 - r), np.clip(ki, -1100, 1100) // 2)
    y_far = np.ldexp(y_far, np.clip(ki, -1100, 1100) - np.clip(ki, -1100, 1100) // 2) - 1.0
    ks = np.clip(ki, 0, 60)
    t_lt20 = 1.0 - np.ldexp(1.0, -ks)  # exact for k < 53
    y_lt20 = np.ldexp(t_lt20 - (e2 - r), ks)
    y_ge20 = np.ldexp((r - (e2 + np.ldexp(1.0, -ks))) + 1.0, ks)
    res = np.where(ki < 20, y_lt20, y_ge20)
    res = np.where((ki <= -2) | (ki > 56), y_far, res)
    res = np.where(ki == 1, res_p1, res)
    res = np.where(ki == -1, res_m1, res)
    res = np.where(ki == 0, small_result, res)
    res = np.where(ax < 2.0 ** -54, x, res)  # expm1(x) = x to working precision
    res = np.where(x >= EXP_OVERFLOW, np.where(x > EXP_OVERFLOW, np.inf, exp(x) - 1.0), res)
    res = np.where(x < -40.0, -1.0, res)
    return _canonical_nan(np.where(np.isnan(x), np.nan, res))


def log(x):
    """Natural logarithm, fdlibm algorithm (error < 1 ulp).

    ``log(0) = -inf``, ``log(x < 0) = nan``, ``log(inf) = inf``.

    Parameters
    ----------
    x : array_like of float64, any shape

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    x = _f64(x)
    ok = (x > 0.0) & np.isfinite(x)
    xs = np.where(ok, x, 1.0)
    m, e = np.frexp(xs)  # xs = m * 2**e, m in [0.5, 1); exact, also for subnormals
    # move m into [sqrt(1/2), sqrt(2)) so that f = m - 1 is small
    low = m < SQRT1_2
    m = np.where(low, m * 2.0, m)
    k = (e - low.astype(e.dtype)).astype(np.float64)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    lg1, lg2, lg3, lg4, lg5, lg6, lg7 = _LOG_LG
    t1 = w * (lg2 + w * (lg4 + w * lg6))
    t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
    R = t2 + t1
    hfsq = 0.5 * f * f
    y = k * LN2_HI - ((hfsq - (s * (hfsq + R) + k * LN2_LO)) - f)
    y = np.where(x == 0.0, -np.inf, y)
    y = np.where(x < 0.0, np.nan, y)
    y = np.where(x == np.inf, np.inf, y)
    return _canonical_nan(np.where(np.isnan(x), np.nan, y))


def log1p(x):
    """``log(1 + x)`` accurately near zero.

    ``u = 1 + x`` is rounded; ``c = x - (u - 1)`` is that rounding error exactly
    (Sterbenz), and ``log(1 + x) = log(u) + c / u`` to first order (the same
    correction fdlibm's s_log1p.c applies).

    Parameters
    ----------
    x : array_like of float64, any shape

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    x = _f64(x)
    u = 1.0 + x
    c = np.where(u > 2.0, 1.0 - (u - x), x - (u - 1.0))
    us = np.where(u > 0.0, u, 1.0)
    y = log(us) + c / us
    y = np.where(u == 1.0, x, y)  # |x| below half an ulp of 1: log1p(x) = x
    y = np.where(x == -1.0, -np.inf, y)
    y = np.where(x < -1.0, np.nan, y)
    y = np.where(x == np.inf, np.inf, y)
    return _canonical_nan(np.where(np.isnan(x), np.nan, y))


def tanh(x):
    """Hyperbolic tangent (error about 1 ulp).

    Parameters
    ----------
    x : array_like of float64, any shape

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    x = _f64(x)
    ax = np.abs(x)
    axs = np.where(ax <= TANH_SATURATION, ax, 0.0)
    # Far from 0, 1 - 2/(e^2|x| + 1) loses no accuracy; near 0 it cancels, so there a
    # rational approximation x + x^3 P(x^2)/Q(x^2) (Cephes tanh.c) keeps the error
    # in a small correction term added to x.
    z_far = 1.0 - 2.0 / (exp(2.0 * axs) + 1.0)
    s = ax * ax
    p0, p1, p2 = _TANH_P
    q0, q1, q2 = _TANH_Q
    r = (p2 + s * (p1 + s * p0)) / (q2 + s * (q1 + s * (q0 + s)))
    z_near = ax + ax * (s * r)
    z = np.where(ax > TANH_NEAR, z_far, z_near)
    z = np.where(ax > TANH_SATURATION, 1.0, z)
    z = np.where(x < 0.0, -z, z)
    z = np.where(ax < 2.0 ** -55, x, z)  # tanh(x) = x, and keeps the sign of -0.0
    return _canonical_nan(np.where(np.isnan(x), np.nan, z))


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, stable for both signs.

    Parameters
    ----------
    x : array_like of float64, any shape

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    x = _f64(x)
    e = exp(-np.abs(x))  # in (0, 1]: never overflows
    return _canonical_nan(np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e)))


def softplus(x):
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``.

    Parameters
    ----------
    x : array_like of float64, any shape

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    x = _f64(x)
    return _canonical_nan(np.maximum(x, 0.0) + log1p(exp(-np.abs(x))))


def logsumexp(a, axis=-1, keepdims=False):
    """``log(sum(exp(a), axis))``, shifted by the maximum so nothing overflows.

    Parameters
    ----------
    a : array_like of float64, shape (..., n, ...)
    axis : int
    keepdims : bool

    Returns
    -------
    ndarray of float64, ``a``'s shape without ``axis`` (or with length 1 there)
    """
    a = _f64(a)
    m = a.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or inf) rows: no shift
    s = exp(a - m).sum(axis=axis, keepdims=True)
    out = log(s) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(a, axis=-1):
    """``a - logsumexp(a)`` along ``axis``; same shape as ``a``."""
    a = _f64(a)
    return a - logsumexp(a, axis=axis, keepdims=True)


def softmax(a, axis=-1):
    """``exp(a) / sum(exp(a))`` along ``axis``, computed from the max-shifted logits."""
    a = _f64(a)
    e = exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _rem_pio2(x):
    """Reduce ``x`` to ``y0 + y1`` in [-pi/4, pi/4] and the quadrant ``n mod 4``.

    fdlibm's medium-size path: pi/2 in 33-bit pieces, two subtraction rounds,
    giving about 118 correct bits for |x| up to ~2**20 * pi/2.
    """
    n = np.floor(x * _INV_PIO2 + 0.5)
    r = x - n * _PIO2_1
    w = n * _PIO2_1T
    # second round: removes the cancellation when x is close to a multiple of pi/2
    t = r
    w = n * _PIO2_2
    r = t - w
    w = n * _PIO2_2T - ((t - r) - w)
    y0 = r - w
    y1 = (r - y0) - w
    return y0, y1, n.astype(np.int64) & 3


def _kernel_sin(x, y):
    s1, s2, s3, s4, s5, s6 = _SIN_S
    z = x * x
    v = z * x
    r = s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)))
    return x - ((z * (0.5 * y - v * r) - y) - v * s1)


def _kernel_cos(x, y):
    c1, c2, c3, c4, c5, c6 = _COS_C
    z = x * x
    r = z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * c6)))))
    small = 1.0 - (0.5 * z - (z * r - x * y))
    # for |x| >= 0.3, subtract a short (21-bit) part of x^2/2 exactly first (fdlibm)
    ax = np.abs(x)
    m, e = np.frexp(ax * 0.25)
    qx = np.where(ax > 0.78125, 0.28125, np.ldexp(np.floor(np.ldexp(m, 21)), e - 21))
    hz = 0.5 * z - qx
    a = 1.0 - qx
    large = a - (hz - (z * r - x * y))
    return np.where(ax < 0.3, small, large)


def _sincos(x):
    x = _f64(x)
    bad = ~np.isfinite(x) | (np.abs(x) > SIN_COS_MAX_ARG)
    xs = np.where(bad, 0.0, x)
    y0, y1, q = _rem_pio2(xs)
    s = _kernel_sin(y0, y1)
    c = _kernel_cos(y0, y1)
    sin_x = np.where(q == 0, s, np.where(q == 1, c, np.where(q == 2, -s, -c)))
    cos_x = np.where(q == 0, c, np.where(q == 1, -s, np.where(q == 2, -c, s)))
    tiny = np.abs(x) < 2.0 ** -27  # sin(x) = x, cos(x) = 1 to working precision
    sin_x = np.where(tiny, x, sin_x)
    cos_x = np.where(tiny, 1.0, cos_x)
    sin_x = np.where(bad, np.nan, sin_x)
    cos_x = np.where(bad, np.nan, cos_x)
    return _canonical_nan(sin_x), _canonical_nan(cos_x)


def _sincos_float(x: float) -> tuple[float, float]:
    """:func:`_sincos` for one Python float: the same operations in the same order.

    Python float arithmetic is IEEE double arithmetic, and ``math.floor``,
    ``math.frexp`` and ``math.ldexp`` are exact, so this gives the very bits of
    the array version, some 30 times faster for the scalars of a 2-D landscape
    (``tests/test_kernels.py`` checks the equality).
    """
    ax = abs(x)
    if not ax <= SIN_COS_MAX_ARG:  # also nan and inf
        return math.nan, math.nan
    if ax < 2.0 ** -27:
        return x, 1.0
    n = math.floor(x * _INV_PIO2 + 0.5)
    r = x - n * _PIO2_1
    t = r
    w = n * _PIO2_2
    r = t - w
    w = n * _PIO2_2T - ((t - r) - w)
    y0 = r - w
    y1 = (r - y0) - w
    q = int(n) & 3
    s1, s2, s3, s4, s5, s6 = _SIN_S
    z = y0 * y0
    v = z * y0
    rs = s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)))
    sv = y0 - ((z * (0.5 * y1 - v * rs) - y1) - v * s1)
    c1, c2, c3, c4, c5, c6 = _COS_C
    rc = z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * c6)))))
    ay = abs(y0)
    if ay < 0.3:
        cv = 1.0 - (0.5 * z - (z * rc - y0 * y1))
    else:
        m, e = math.frexp(ay * 0.25)
        qx = 0.28125 if ay > 0.78125 else math.ldexp(math.floor(math.ldexp(m, 21)), e - 21)
        cv = (1.0 - qx) - ((0.5 * z - qx) - (z * rc - y0 * y1))
    if q == 0:
        return sv, cv
    if q == 1:
        return cv, -sv
    if q == 2:
        return -sv, -cv
    return -cv, sv


def sincos(x):
    """``(sin(x), cos(x))`` from one range reduction; see :func:`sin` and :func:`cos`."""
    if type(x) is float:
        return _sincos_float(x)
    return _sincos(x)


def sin(x):
    """Sine (fdlibm kernels), for ``|x| <= SIN_COS_MAX_ARG``; nan outside.

    Parameters
    ----------
    x : array_like of float64, any shape (a Python float gives a float)

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    if type(x) is float:
        return _sincos_float(x)[0]
    return _sincos(x)[0]


def cos(x):
    """Cosine (fdlibm kernels), for ``|x| <= SIN_COS_MAX_ARG``; nan outside.

    Parameters
    ----------
    x : array_like of float64, any shape (a Python float gives a float)

    Returns
    -------
    ndarray of float64, same shape as ``x``
    """
    if type(x) is float:
        return _sincos_float(x)[1]
    return _sincos(x)[1]


def matmul(a, b):
    """Matrix product with a fixed summation order, identical on every platform.

    ``@`` goes through BLAS, whose blocking and FMA use differ between machines.
    Here each output element is ``sum_k a[i, k] * b[k, j]`` accumulated in order
    of ``k``.  Two routes give those bits, both measured as identical natively
    and in wasm (docs/determinism.md): ``einsum(..., optimize=False)`` when the output is a
    true matrix (fast), and an elementwise product followed by ``sum`` over ``k``
    when the output has a length-1 axis (einsum's matrix-vector loop is the one
    that differs).  The second route works in row blocks so the temporary stays
    below ``MATMUL_CHUNK`` elements.

    Parameters
    ----------
    a : array_like, shape (n, k) or (k,)
    b : array_like, shape (k, m) or (k,)

    Returns
    -------
    ndarray of float64, shape (n, m), (m,), (n,) or () following ``np.matmul``
    """
    a = _f64(a)
    b = _f64(b)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if a2.ndim != 2 or b2.ndim != 2 or a2.shape[1] != b2.shape[0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} not aligned")
    n, k = a2.shape
    m = b2.shape[1]
    if n >= 2 and m >= 2 and k >= 1:
        # C-contiguous operands make einsum run an "out[i, :] += a[i, k] * b[k, :]" loop, summing
        # over k in order; a transposed (F-ordered) operand would turn the inner loop into a
        # SIMD dot product over k, whose lane-wise partial sums differ between machines.
        out = np.einsum("ik,kj->ij", np.ascontiguousarray(a2), np.ascontiguousarray(b2), optimize=False)
    else:
        out = np.empty((n, m), dtype=np.float64)
        rows = max(1, MATMUL_CHUNK // max(1, k * m))
        for i in range(0, n, rows):
            out[i:i + rows] = (a2[i:i + rows, :, None] * b2[None, :, :]).sum(axis=1)
    if a.ndim == 1 and b.ndim == 1:
        return out[0, 0]
    if a.ndim == 1:
        return out[0]
    if b.ndim == 1:
        return out[:, 0]
    return out


def dot(a, b):
    """Inner product of two 1-D vectors with a fixed summation order."""
    return (_f64(a) * _f64(b)).sum()
