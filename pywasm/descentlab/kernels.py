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
scalar input).  ``exp``, ``sin``, ``cos`` and ``sincos`` also take a Python
float and return floats: their range reduction and polynomial are written once,
over the exact ``floor``/``ldexp``/``frexp``/``where`` of :mod:`descentlab.elementwise`,
so a float gets the array version's very bits without NumPy's per-call cost (the
2-D landscapes step one point at a time).  The float-or-array helpers of the
optimizers (``zeros_like``, ``sqrt``, ``maximum``, ``sign``, ``powi``, ...) live
there too and are re-exported here.
"""

from __future__ import annotations

import math

import numpy as np

from .elementwise import ArrayOps, FloatOps
from .elementwise import copy, full_like, maximum, powi, sign, sqrt, zeros_like  # noqa: F401 (the kernels' API)

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


def _with_nan_of(x, y):
    """``y`` with nan wherever the input ``x`` is nan, every nan canonical."""
    return _canonical_nan(np.where(np.isnan(x), np.nan, y))


def exp(x):
    """Natural exponential, fdlibm algorithm (error < 1 ulp).

    ``x``: a Python float (returns a float) or array_like of float64, any shape (returns that shape).
    """
    if type(x) is float:
        if x != x:
            return math.nan
        if x > EXP_OVERFLOW:
            return math.inf
        if x < EXP_UNDERFLOW:
            return 0.0
        return _exp_reduced(x, FloatOps)
    x = _f64(x)
    y = _exp_reduced(np.where(np.abs(x) <= EXP_OVERFLOW + 40.0, x, 0.0), ArrayOps)  # keep k small; fixed below
    y = np.where(x > EXP_OVERFLOW, np.inf, y)
    y = np.where(x < EXP_UNDERFLOW, 0.0, y)
    return _with_nan_of(x, y)


def _exp_reduced(x, xp):
    """``exp(x)`` for finite ``|x| <= EXP_OVERFLOW + 40``: a float (``xp`` = ``FloatOps``) or an array."""
    # x = k ln2 + r with |r| <= ln2 / 2
    k = xp.floor(x * INV_LN2 + 0.5)
    hi = x - k * LN2_HI
    lo = k * LN2_LO
    r = hi - lo
    t = r * r
    p1, p2, p3, p4, p5 = _EXP_P
    c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    # Scale in two halves so that 2**k never overflows or underflows on its own
    # when the result itself is still representable (subnormal results round once).
    half = xp.floor(k * 0.5)
    return xp.ldexp(xp.ldexp(y, half), k - half)


def expm1(x):
    """``exp(x) - 1`` accurately near zero (fdlibm s_expm1.c, error < 1 ulp).

    ``x``: array_like of float64, any shape; returns float64 of the same shape.
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
    return _with_nan_of(x, res)


def log(x):
    """Natural logarithm, fdlibm algorithm (error < 1 ulp).

    ``log(0) = -inf``, ``log(x < 0) = nan``, ``log(inf) = inf``.

    ``x``: array_like of float64, any shape; returns float64 of the same shape.
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
    return _with_nan_of(x, y)


def log1p(x):
    """``log(1 + x)`` accurately near zero.

    ``u = 1 + x`` is rounded; ``c = x - (u - 1)`` is that rounding error exactly
    (Sterbenz), and ``log(1 + x) = log(u) + c / u`` to first order (the same
    correction fdlibm's s_log1p.c applies).

    ``x``: array_like of float64, any shape; returns float64 of the same shape.
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
    return _with_nan_of(x, y)


def tanh(x):
    """Hyperbolic tangent (error about 1 ulp).

    ``x``: array_like of float64, any shape; returns float64 of the same shape.
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
    return _with_nan_of(x, z)


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, stable for both signs.

    ``x``: array_like of float64, any shape; returns float64 of the same shape.
    """
    x = _f64(x)
    e = exp(-np.abs(x))  # in (0, 1]: never overflows
    return _canonical_nan(np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e)))


def softplus(x):
    """``log(1 + exp(x))`` without overflow: ``max(x, 0) + log1p(exp(-|x|))``.

    ``x``: array_like of float64, any shape; returns float64 of the same shape.
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


def _rem_pio2(x, xp):
    """Reduce ``x`` to ``y0 + y1`` in [-pi/4, pi/4] and the multiple ``n`` of pi/2 taken off.

    fdlibm's medium-size path: pi/2 in 33-bit pieces, two subtraction rounds,
    giving about 118 correct bits for |x| up to ~2**20 * pi/2.
    """
    n = xp.floor(x * _INV_PIO2 + 0.5)
    r = x - n * _PIO2_1
    # second round: removes the cancellation when x is close to a multiple of pi/2
    t = r
    w = n * _PIO2_2
    r = t - w
    w = n * _PIO2_2T - ((t - r) - w)
    y0 = r - w
    y1 = (r - y0) - w
    return y0, y1, n


def _kernel_sin(x, y):
    s1, s2, s3, s4, s5, s6 = _SIN_S
    z = x * x
    v = z * x
    r = s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)))
    return x - ((z * (0.5 * y - v * r) - y) - v * s1)


def _kernel_cos(x, y, xp):
    c1, c2, c3, c4, c5, c6 = _COS_C
    z = x * x
    r = z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * c6)))))
    small = 1.0 - (0.5 * z - (z * r - x * y))
    # for |x| >= 0.3, subtract a short (21-bit) part of x^2/2 exactly first (fdlibm)
    ax = abs(x)
    m, e = xp.frexp(ax * 0.25)
    qx = xp.where(ax > 0.78125, 0.28125, xp.ldexp(xp.floor(xp.ldexp(m, 21)), e - 21))
    hz = 0.5 * z - qx
    a = 1.0 - qx
    large = a - (hz - (z * r - x * y))
    return xp.where(ax < 0.3, small, large)


def _sincos_reduced(x, xp):
    """``(sin(x), cos(x))`` for finite ``2**-27 <= |x| <= SIN_COS_MAX_ARG``: a float or an array."""
    y0, y1, n = _rem_pio2(x, xp)
    s = _kernel_sin(y0, y1)
    c = _kernel_cos(y0, y1, xp)
    q = n - 4 * xp.floor(n * 0.25)  # n mod 4, the quadrant: exact, n is a whole number below 2**21
    return xp.pick(q, (s, c, -s, -c)), xp.pick(q, (c, -s, -c, s))


def sincos(x):
    """``(sin(x), cos(x))`` from one range reduction (fdlibm kernels), for ``|x| <= SIN_COS_MAX_ARG``.

    nan outside that range.  A Python float takes the same arithmetic as an array
    (the very bits), some 30 times faster for the scalars of a 2-D landscape.

    Parameters
    ----------
    x : float, or array_like of float64 of any shape

    Returns
    -------
    sin, cos : floats for a Python float, else ndarrays of float64 of ``x``'s shape
    """
    tiny = 2.0 ** -27  # below this sin(x) = x, cos(x) = 1 to working precision
    if type(x) is float:
        ax = abs(x)
        if not ax <= SIN_COS_MAX_ARG:  # also nan and inf
            return math.nan, math.nan
        if ax < tiny:
            return x, 1.0
        return _sincos_reduced(x, FloatOps)
    x = _f64(x)
    bad = ~np.isfinite(x) | (np.abs(x) > SIN_COS_MAX_ARG)
    sin_x, cos_x = _sincos_reduced(np.where(bad, 0.0, x), ArrayOps)
    small = np.abs(x) < tiny
    sin_x = np.where(small, x, sin_x)
    cos_x = np.where(small, 1.0, cos_x)
    sin_x = np.where(bad, np.nan, sin_x)
    cos_x = np.where(bad, np.nan, cos_x)
    return _canonical_nan(sin_x), _canonical_nan(cos_x)


def sin(x):
    """Sine: ``sincos(x)[0]`` (a float for a Python float, else an array of ``x``'s shape)."""
    return sincos(x)[0]


def cos(x):
    """Cosine: ``sincos(x)[1]`` (a float for a Python float, else an array of ``x``'s shape)."""
    return sincos(x)[1]


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
