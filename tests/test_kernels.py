"""The deterministic kernels are within 1 ulp of the truth, and agree with NumPy within its error.

The truth is the correctly rounded value, computed with Python's ``decimal`` (exact
decimal arithmetic, correctly rounded ``exp`` and ``ln``) at 40 significant digits
or more, then rounded once to float64: the same on every machine, unlike NumPy's
own functions (libm, or SVML on AVX-512) or ``np.longdouble`` (80-bit on x86-64,
128-bit on arm64 Linux, plain float64 on macOS).

sigmoid and softplus have no NumPy counterpart; they are held to 2 ulp of the truth.
NumPy's float64 functions are a second, broad check over many more inputs; they are
documented to 4 ulp on AVX-512 machines (SVML, numpy PR #19478), so that comparison
allows our 1 ulp plus their 4.  The matrix product is compared with BLAS within
Higham's bound for both (see ``docs/determinism.md``).
"""

import decimal
import math
from decimal import Decimal

import numpy as np
import pytest

from descentlab import kernels as K

KERNEL_ULP = 1  # fdlibm's algorithms: error < 1 ulp, so at most 1 ulp from the correctly rounded value
MAX_ULP = 2  # sigmoid and softplus: a kernel plus a division or a log1p on top
NUMPY_ULP = 4  # NumPy's float64 loops: SVML on AVX512_SKX (numpy PR #19478); glibc libm is within 1-2
UNIT_ROUNDOFF = 2.0 ** -53
RNG = np.random.default_rng(12345)
N = 100_000
TRUTH_SAMPLE = 1500  # inputs per range checked against the (slower) decimal truth
TRUTH_DIGITS = 40  # a double needs 17; the rest makes the final rounding a correct rounding
LN2 = 0.6931471805599453  # ln 2 correctly rounded
LOG_TINIEST = -744.4400719213812  # ln(5e-324) correctly rounded


def ulp_distance(a, b):
    """Number of representable doubles between a and b (0 when both are the same nan)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ia = a.view(np.int64)
    ib = b.view(np.int64)
    # map the sign-magnitude bit pattern onto a monotonic integer line
    ia = np.where(ia < 0, np.int64(-(2**63)) - ia, ia)
    ib = np.where(ib < 0, np.int64(-(2**63)) - ib, ib)
    d = np.abs(ia.astype(object) - ib.astype(object)).astype(np.float64)
    same_nan = np.isnan(a) & np.isnan(b)
    return np.where(same_nan, 0.0, np.where(np.isnan(a) | np.isnan(b), np.inf, d))


def uniform(lo, hi, n=N):
    return RNG.uniform(lo, hi, n)


def log_uniform(lo_exp, hi_exp, n=N):
    return 10.0 ** RNG.uniform(lo_exp, hi_exp, n)


EDGES = np.array([0.0, -0.0, 5e-324, -5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 1e-20,
                  2.0**-54, 2.0**-30, 0.1, 0.25, 0.3, 0.5, 0.625, 0.78125, 1.0, 1.5, 2.0, 10.0,
                  22.0, 40.0, 100.0, 700.0, 709.78, 709.782712893384, 709.79, 745.13, 745.2,
                  1e300, 1.7976931348623157e308, np.inf, -np.inf, np.nan])
EDGES = np.concatenate([EDGES, -EDGES])


# --- the correctly rounded truth, from Python's decimal ------------------------------


def _context(digits):
    """Exact-enough decimal arithmetic: no overflow/underflow traps (they become inf and 0)."""
    return decimal.Context(prec=digits, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[])


def _digits_for(x):
    """Digits enough for exp(x) - 1 or ln(1 + x): 1 + x keeps all of x only with -log10|x| more."""
    return TRUTH_DIGITS + (max(0, -Decimal(x).adjusted()) if x != 0.0 else 0)


def _machin_pi(digits):
    """π = 16 atan(1/5) - 4 atan(1/239) (Machin 1706), to ``digits`` digits."""
    c = _context(digits + 10)

    def atan_inverse(n):
        x = c.divide(1, n)
        term, total, k = x, x, 1
        while True:
            term = c.multiply(term, -(x * x))
            k += 2
            new = c.add(total, c.divide(term, k))
            if new == total:
                return total
            total = new

    return c.subtract(c.multiply(16, atan_inverse(5)), c.multiply(4, atan_inverse(239)))


PI_DECIMAL = _machin_pi(120)


def _sin_or_cos(x, sine):
    """Taylor series after an exact reduction by 2π (π to 120 digits, |x| <= 1e6)."""
    c = _context(100)
    two_pi = c.multiply(2, PI_DECIMAL)
    d = Decimal(x)
    r = c.subtract(d, c.multiply(c.to_integral_value(c.divide(d, two_pi)), two_pi))
    term = total = r if sine else Decimal(1)
    i = 1 if sine else 0
    while True:
        term = c.divide(c.multiply(term, -(r * r)), (i + 1) * (i + 2))
        i += 2
        new = c.add(total, term)
        if new == total:
            return float(total)
        total = new


def _true_exp(x):
    return float(Decimal(x).exp(_context(TRUTH_DIGITS)))


def _true_expm1(x):
    c = _context(_digits_for(x))
    return float(c.subtract(Decimal(x).exp(c), 1))


def _true_log(x):
    return float(Decimal(x).ln(_context(TRUTH_DIGITS)))


def _true_log1p(x):
    c = _context(_digits_for(x))
    return float(c.add(1, Decimal(x)).ln(c))


def _true_tanh(x):
    if abs(x) > 40.0:  # 1 - 2e-35: rounds to ±1
        return math.copysign(1.0, x)
    c = _context(_digits_for(x))
    e = c.subtract(c.multiply(2, Decimal(x)).exp(c), 1)  # expm1(2x)
    return float(c.divide(e, c.add(e, 2)))


def _true_sigmoid(x):
    c = _context(TRUTH_DIGITS)
    return float(c.divide(1, c.add(1, (-Decimal(x)).exp(c))))


def _true_softplus(x):
    c = _context(TRUTH_DIGITS)
    e = Decimal(x).exp(c)
    if x < -40.0:  # ln(1 + e) = e - e²/2 + e³/3 - ...; e < 5e-18, so e³/3 is below 1e-35 of e
        return float(c.subtract(e, c.multiply(e, e) / 2))
    return float(c.add(1, e).ln(c))


TRUTH = {"exp": _true_exp, "expm1": _true_expm1, "log": _true_log, "log1p": _true_log1p,
         "tanh": _true_tanh, "sin": lambda x: _sin_or_cos(x, True), "cos": lambda x: _sin_or_cos(x, False),
         "sigmoid": _true_sigmoid, "softplus": _true_softplus}
DOMAIN = {"log": lambda x: x > 0.0, "log1p": lambda x: x > -1.0,
          "sin": lambda x: np.abs(x) <= K.SIN_COS_MAX_ARG, "cos": lambda x: np.abs(x) <= K.SIN_COS_MAX_ARG}


def truth(name, x):
    """The correctly rounded ``name(x)`` for every element of the finite array ``x``."""
    return np.array([TRUTH[name](float(v)) for v in x])

CASES = {
    "exp": (K.exp, np.exp, [uniform(-746, 710), uniform(-1, 1), uniform(-1e-8, 1e-8), EDGES]),
    "expm1": (K.expm1, np.expm1, [uniform(-750, 710), uniform(-2, 2), uniform(-1e-9, 1e-9),
                                  uniform(-60, 60), EDGES]),
    "log": (K.log, np.log, [log_uniform(-323, 308), uniform(0.5, 2.0), uniform(0.99, 1.01), EDGES]),
    "log1p": (K.log1p, np.log1p, [log_uniform(-323, 308), uniform(-1, 1), uniform(-1e-9, 1e-9),
                                  -log_uniform(-20, 0), EDGES]),
    "tanh": (K.tanh, np.tanh, [uniform(-30, 30), uniform(-1.5, 1.5), uniform(-1e-4, 1e-4),
                               log_uniform(-300, 2), EDGES]),
    "sin": (K.sin, np.sin, [uniform(-40, 40), uniform(-1e5, 1e5), uniform(-1, 1), log_uniform(-300, 5)]),
    "cos": (K.cos, np.cos, [uniform(-40, 40), uniform(-1e5, 1e5), uniform(-1, 1), log_uniform(-300, 5)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_within_1_ulp_of_the_truth(name):
    ours, _, inputs = CASES[name]
    pick = np.random.default_rng(7)
    x = np.concatenate([pick.permutation(v[np.isfinite(v)])[:TRUTH_SAMPLE] for v in inputs])
    if name in DOMAIN:
        x = x[DOMAIN[name](x)]
    with np.errstate(all="ignore"):
        d = ulp_distance(ours(x), truth(name, x))
    worst = int(np.argmax(d))
    assert d[worst] <= KERNEL_ULP, f"{name}({x[worst]!r}) is {d[worst]} ulp from the truth"


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_numpy_within_its_error(name):
    """All 100 000+ inputs, specials included, against NumPy: our 1 ulp plus NumPy's own 4."""
    ours, ref, inputs = CASES[name]
    x = np.concatenate(inputs)
    with np.errstate(all="ignore"):
        d = ulp_distance(ours(x), ref(x))
    worst = int(np.argmax(d))
    assert d[worst] <= KERNEL_ULP + NUMPY_ULP, f"{name}({x[worst]!r}) is {d[worst]} ulp from numpy"


def test_special_values():
    inf, nan = np.inf, np.nan
    with np.errstate(all="ignore"):
        assert K.exp(inf) == inf and K.exp(-inf) == 0.0 and np.isnan(K.exp(nan))
        assert K.exp(710.0) == inf and K.exp(-746.0) == 0.0
        assert K.exp(-745.0) == 5e-324  # deepest subnormal, rounded once
        assert K.log(0.0) == -inf and np.isnan(K.log(-1.0)) and K.log(inf) == inf
        assert K.log(5e-324) == LOG_TINIEST
        assert K.log1p(-1.0) == -inf and np.isnan(K.log1p(-2.0))
        assert K.expm1(-inf) == -1.0 and K.expm1(inf) == inf
        assert K.tanh(inf) == 1.0 and K.tanh(-inf) == -1.0
        assert np.signbit(K.tanh(-0.0)) and np.signbit(K.expm1(-0.0))
        assert K.sigmoid(-inf) == 0.0 and K.sigmoid(inf) == 1.0
        assert K.softplus(1000.0) == 1000.0 and K.softplus(-1000.0) == 0.0
        assert np.isnan(K.sin(inf)) and np.isnan(K.cos(nan))


@pytest.mark.parametrize("name", ["sigmoid", "softplus"])
def test_sigmoid_and_softplus_against_the_truth(name):
    x = np.concatenate([uniform(-740, 740, 2 * TRUTH_SAMPLE), uniform(-5, 5, TRUTH_SAMPLE),
                        EDGES[np.isfinite(EDGES) & (np.abs(EDGES) < 1e4)]])
    with np.errstate(all="ignore"):
        d = ulp_distance(getattr(K, name)(x), truth(name, x))
    worst = int(np.argmax(d))
    assert d[worst] <= MAX_ULP, f"{name}({x[worst]!r}) is {d[worst]} ulp from the truth"


def _true_logsumexp(row):
    c = _context(TRUTH_DIGITS)
    top = max(row)
    total = sum((c.subtract(Decimal(v), Decimal(top)).exp(c) for v in row), Decimal(0))
    return float(c.add(total.ln(c), Decimal(top)))


def test_logsumexp_softmax():
    a = RNG.standard_normal((50, 7)) * 100.0
    ref = np.array([_true_logsumexp([float(v) for v in row]) for row in a])
    # about 2 ulp of the result: the final rounding of log(s) + max, and log(s)'s own error
    assert np.allclose(K.logsumexp(a, axis=1), ref, rtol=4e-16, atol=0)
    assert K.logsumexp(a, axis=0, keepdims=True).shape == (1, 7)
    s = K.softmax(a, axis=1)
    assert np.allclose(s.sum(axis=1), 1.0, rtol=1e-15)
    assert np.allclose(K.log_softmax(a, axis=1), a - ref[:, None], rtol=1e-14, atol=1e-12)
    assert K.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    assert K.logsumexp(np.array([1000.0, 1000.0])) == 1000.0 + LN2


@pytest.mark.parametrize("shape", [((5, 3), (3, 4)), ((1, 8), (8, 1)), ((7, 9), (9,)), ((9,), (9, 2)),
                                   ((6,), (6,)), ((300, 40), (40, 30))])
def test_matmul_shapes_and_values(shape):
    a = RNG.standard_normal(shape[0])
    b = RNG.standard_normal(shape[1])
    ours = K.matmul(a, b)
    theirs = a @ b  # BLAS: any blocking, with or without FMA
    assert np.shape(ours) == np.shape(theirs)
    # Each inner product of length k is within γ_k |a||b| of the exact one, whatever the
    # summation order (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §3.1),
    # so the two results are within twice that of each other.
    k = np.shape(a)[-1]
    gamma = k * UNIT_ROUNDOFF / (1.0 - k * UNIT_ROUNDOFF)
    bound = 2.0 * gamma * K.matmul(np.abs(a), np.abs(b))
    assert np.all(np.abs(ours - theirs) <= bound)


def test_matmul_is_independent_of_chunking(monkeypatch):
    a = RNG.standard_normal((64, 33))
    b = RNG.standard_normal((33, 5))
    whole = K.matmul(a, b)
    monkeypatch.setattr(K, "MATMUL_CHUNK", 33 * 5 * 3)  # three rows per block
    assert K.matmul(a, b).tobytes() == whole.tobytes()


def test_matmul_rejects_misaligned():
    with pytest.raises(ValueError):
        K.matmul(np.ones((2, 3)), np.ones((4, 2)))


def test_powi_is_repeated_multiplication():
    x = uniform(-2, 2, 1000)
    for n in range(0, 12):
        expected = np.ones_like(x)
        for _ in range(n):
            expected = expected * x
        assert np.allclose(K.powi(x, n), expected, rtol=1e-14)
    assert K.powi(0.9, 3) == 0.9 * 0.9 * 0.9
    with pytest.raises(ValueError):
        K.powi(2.0, -1)


def test_scalar_in_scalar_shaped_out():
    assert np.shape(K.exp(1.0)) == ()
    assert np.shape(K.tanh(np.ones((2, 3)))) == (2, 3)


def test_kernel_digests_are_stable():
    from descentlab.selftest import kernel_digests
    first = kernel_digests()
    assert first == kernel_digests()
    assert len(first) >= 15 and all(len(v) == 64 for v in first.values())


# SHA-256 of each elementwise kernel's output on selftest.kernel_inputs(), recorded before the
# float and array paths were merged into one arithmetic core (issue 13).  Only exact operations
# build these kernels, so the bits are the same on every machine; change a value here only with
# a change of algorithm.  (The matmul digests are left out: arm64 may fuse einsum's products.)
RECORDED_DIGESTS = {
    "exp": "ae344ffde4751fa51a5a28eb6109864be534e3199ec1843241c85376dfabb78e",
    "expm1": "43ca7a62ac618bada6b7eeb956a008d724349f2b4bf1f7c629c2a2fabc411028",
    "log": "18ae73e9db4df42f0be30e82f1a7c8d4f2fe1f588fce544105d38453dd72937f",
    "log1p": "82ffa7fbf6f07a7aade37931e7723c063006c5eaf7e90950d49892a73c538713",
    "tanh": "678a58d32ea67303d1a1c6d6e588e0e9ffb3bfc34c0739f6bc6eac9f2cb0963d",
    "sigmoid": "889e8932c459ce344aaed40407667eddc7079c27430cc1d1b903121e0d513afa",
    "softplus": "fb855c143b23a217dafdf6e5830dc5b6f46cec632899ab541f1223f5de4312b6",
    "sin": "c4c6e38685cb808062105800c6567dcbc9ddad97e02304f46e71ca5ae10675d1",
    "cos": "229fbd35ddc1e900de40b95d3d979ab03c15246295ff7262debc5f670c7d6289",
    "powi": "9f14f8b850fde53807143cd80e06ecb3aae5815e82006772d8427eff53a7571b",
    "logsumexp": "6aa2b84294c6d6e7d6b96a3f6bd1dcb6fe214d640120c6d5f95799fdfdc109bb",
    "log_softmax": "b3320e7a0dd3bf6f9e615ce121f762d602a149bf44e9f36cf9a0ce5f10aa76e2",
    "softmax": "d83340a85ebed3907517691dbcacc1b18fbd9008cd80f740657015ef3333683c",
}


def test_kernel_digests_are_the_recorded_ones():
    from descentlab.selftest import kernel_digests
    now = kernel_digests()
    assert {name: now[name] for name in RECORDED_DIGESTS} == RECORDED_DIGESTS


def test_scalar_sin_cos_are_the_array_bits():
    x = np.concatenate([uniform(-100, 100, 20000), uniform(-1, 1, 5000), log_uniform(-30, 5, 5000),
                        -log_uniform(-30, 5, 5000), np.array([0.0, -0.0, 0.3, 0.78125, 1e6, 2e6])])
    arr_s, arr_c = K.sin(x), K.cos(x)
    sc = np.array([K.sin(float(v)) for v in x])
    cc = np.array([K.cos(float(v)) for v in x])
    assert sc.tobytes() == arr_s.tobytes() and cc.tobytes() == arr_c.tobytes()
    assert isinstance(K.sin(0.5), float)


def test_scalar_exp_and_powi_are_the_array_bits():
    x = np.concatenate([uniform(-746, 710, 20000), uniform(-1, 1, 5000), EDGES[np.isfinite(EDGES)],
                        np.array([709.782712893384, -745.1, -708.5, -740.0])])
    with np.errstate(all="ignore"):
        assert np.array([K.exp(float(v)) for v in x]).tobytes() == K.exp(x).tobytes()
    assert np.isnan(K.exp(float("nan"))) and K.exp(float("inf")) == np.inf and K.exp(-float("inf")) == 0.0
    b = uniform(-1.5, 1.5, 500)
    for n in (0, 1, 2, 7, 33, 1000):
        assert np.array([K.powi(float(v), n) for v in b]).tobytes() == K.powi(b, n).tobytes()


SPECIALS = [0.0, -0.0, 1.0, -1.0, 2.5, -3e-300, 1e300, float("inf"), -float("inf"), float("nan"), 5e-324]


@pytest.mark.parametrize("a", SPECIALS)
def test_elementwise_helpers_on_floats_match_numpy(a):
    def same(x, y):
        return np.float64(x).tobytes() == np.float64(y).tobytes() or (x != x and y != y)
    with np.errstate(invalid="ignore"):
        assert same(K.sqrt(a), np.sqrt(np.float64(a)))
        assert same(K.sign(a), np.sign(np.float64(a)))
        for b in SPECIALS:
            assert same(K.maximum(a, b), np.maximum(np.float64(a), np.float64(b))), (a, b)
    assert type(K.sqrt(a)) is float and type(K.sign(a)) is float and type(K.maximum(a, 1.0)) is float
    assert K.zeros_like(a) == 0.0 and type(K.zeros_like(a)) is float
    assert K.full_like(a, 0.25) == 0.25 and K.copy(a) is a


def test_elementwise_helpers_on_arrays_are_numpy():
    x = np.array([1.0, -2.0, 0.0])
    assert K.zeros_like(x).dtype == np.float64 and K.zeros_like(x).shape == (3,)
    assert K.full_like(x, 0.5).tolist() == [0.5, 0.5, 0.5]
    c = K.copy(x)
    assert c.tolist() == x.tolist() and not np.shares_memory(c, x)
    with np.errstate(invalid="ignore"):
        assert np.array_equal(K.sqrt(x), np.sqrt(x), equal_nan=True)
    assert K.sign(x).tolist() == [1.0, -1.0, 0.0] and K.maximum(x, 0.0).tolist() == [1.0, 0.0, 0.0]


def test_sincos_is_sin_and_cos():
    x = uniform(-50, 50, 2000)
    s, c = K.sincos(x)
    assert s.tobytes() == K.sin(x).tobytes() and c.tobytes() == K.cos(x).tobytes()
    assert K.sincos(0.7) == (K.sin(0.7), K.cos(0.7))


@pytest.mark.parametrize("x", [float("nan"), float("inf"), -float("inf"), 1.0e6 + 1.0, 2.0 ** -28, -0.0])
def test_scalar_sincos_edges_are_the_array_bits(x):
    s, c = K.sincos(x)
    arr_s, arr_c = K.sincos(np.array([x]))
    assert np.float64(s).tobytes() == arr_s[0].tobytes() and np.float64(c).tobytes() == arr_c[0].tobytes()
