"""2-D test functions: analytic gradients, minima, registry, grid."""

import numpy as np
import pytest

from descentlab import functions as F
from descentlab.functions import FUNCTIONS
from descentlab.errors import SpecError

GRAD_TOL = 1e-6  # relative error allowed between analytic and numerical gradient
H_REL = 1e-4  # finite-difference step relative to max(1, |coordinate|)
# Below FLOOR * (1 + |f|) a gradient component is compared absolutely: there the
# finite difference itself is dominated by rounding (eps * |intermediate terms| / h),
# e.g. Goldstein-Price at its minimum, where f = 3 = 30 - 27.
FLOOR = 1e-3
N_POINTS = 300

# Parameter sets to check besides the defaults.
PARAM_CASES = {
    "quadratic": [{}, {"condition": 1.0}, {"condition": 1000.0, "angle": 30.0},
                  {"condition": 37.5, "angle": 135.0}],
}


def cases():
    return [pytest.param(name, params, id=f"{name}-{params}")
            for name in F.FUNCTIONS for params in PARAM_CASES.get(name, [{}])]


def sample_points(name, n=N_POINTS, seed=0):
    """Seeded uniform points in the domain, plus the minima and the start point."""
    t = F.FUNCTIONS[name]
    (x0, x1), (y0, y1) = t.domain
    rng = np.random.default_rng(seed)
    x = x0 + (x1 - x0) * rng.random(n)
    y = y0 + (y1 - y0) * rng.random(n)
    extra = list(t.minima) + [t.start]
    x = np.concatenate([x, [p[0] for p in extra]])
    y = np.concatenate([y, [p[1] for p in extra]])
    return x, y


def fd_gradient(f, x, y):
    """Fourth-order centred differences: (-f(+2h) + 8f(+h) - 8f(-h) + f(-2h)) / 12h."""
    hx = H_REL * np.maximum(1.0, np.abs(x))
    hy = H_REL * np.maximum(1.0, np.abs(y))
    gx = (-f(x + 2 * hx, y) + 8 * f(x + hx, y) - 8 * f(x - hx, y) + f(x - 2 * hx, y)) / (12 * hx)
    gy = (-f(x, y + 2 * hy) + 8 * f(x, y + hy) - 8 * f(x, y - hy) + f(x, y - 2 * hy)) / (12 * hy)
    return gx, gy


def gradient_error(name, grad_fn, params):
    x, y = sample_points(name)
    f = lambda a, b: F.evaluate(name, a, b, **params)  # noqa: E731
    fx = np.abs(f(x, y))
    worst = 0.0
    for g, fd in zip(grad_fn(x, y), fd_gradient(f, x, y)):
        err = np.abs(g - fd) / np.maximum(np.abs(fd), FLOOR * (1.0 + fx))
        worst = max(worst, float(err.max()))
    return worst


@pytest.mark.parametrize("name, params", cases())
def test_gradient_matches_finite_differences(name, params):
    grad = lambda x, y: F.gradient(name, x, y, **params)  # noqa: E731
    assert gradient_error(name, grad, params) <= GRAD_TOL


@pytest.mark.parametrize("name", ["rosenbrock", "rastrigin", "goldstein_price", "saddle"])
def test_checker_rejects_slightly_wrong_gradient(name):
    # A gradient off by one part in 10^4 must fail the check above.
    def wrong(x, y):
        gx, gy = F.gradient(name, x, y)
        return gx * (1 + 1e-4), gy
    assert gradient_error(name, wrong, {}) > GRAD_TOL


@pytest.mark.parametrize("name", list(F.FUNCTIONS))
def test_minima_value_and_zero_gradient(name):
    t = F.FUNCTIONS[name]
    if name == "saddle":
        assert t.minima == [] and t.f_min is None
        return
    assert t.minima, "every bounded function lists its global minima"
    for x, y in t.minima:
        assert F.evaluate(name, x, y) == pytest.approx(t.f_min, abs=1e-12 * (1 + abs(t.f_min)))
        gx, gy = F.gradient(name, x, y)
        assert abs(gx) < 1e-8 and abs(gy) < 1e-8
        (x0, x1), (y0, y1) = t.domain
        assert x0 <= x <= x1 and y0 <= y <= y1


@pytest.mark.parametrize("name", [n for n in F.FUNCTIONS if n != "saddle"])
def test_minima_are_global_on_a_fine_grid(name):
    t = F.FUNCTIONS[name]
    _, _, Z = F.grid(name, 401, 401)
    assert Z.min() >= t.f_min - 1e-9
    assert Z.min() <= t.f_min + 0.05 * (1 + abs(t.f_min))  # and the grid gets close to it


def test_saddle_is_a_saddle():
    gx, gy = F.gradient("saddle", 0.0, 0.0)
    assert gx == 0 and gy == 0
    assert F.evaluate("saddle", 0.5, 0.0) > 0 > F.evaluate("saddle", 0.0, 0.5)


@pytest.mark.parametrize("name", list(F.FUNCTIONS))
def test_start_point_lies_in_domain_and_is_not_stationary(name):
    t = F.FUNCTIONS[name]
    (x0, x1), (y0, y1) = t.domain
    x, y = t.start
    assert x0 <= x <= x1 and y0 <= y <= y1
    gx, gy = F.gradient(name, x, y)
    assert abs(gx) + abs(gy) > 1e-3


def test_registry_entries_are_complete():
    expected = {"quadratic", "rosenbrock", "beale", "himmelblau", "rastrigin", "saddle",
                "booth", "six_hump_camel", "styblinski_tang", "goldstein_price"}
    assert set(F.FUNCTIONS) == expected
    for name, t in F.FUNCTIONS.items():
        assert t.name == name and t.title and t.description
        (x0, x1), (y0, y1) = t.domain
        assert x0 < x1 and y0 < y1
        for p in t.params.values():
            assert p["min"] <= p["default"] <= p["max"]


@pytest.mark.parametrize("name, domain", [
    ("beale", ((-4.5, 4.5), (-4.5, 4.5))), ("rastrigin", ((-5.12, 5.12), (-5.12, 5.12))),
    ("six_hump_camel", ((-3, 3), (-2, 2))), ("goldstein_price", ((-2, 2), (-2, 2))),
    ("rosenbrock", ((-2, 2), (-1, 3))),
])
def test_standard_domains(name, domain):
    assert F.FUNCTIONS[name].domain == domain


def test_textbook_values():
    assert F.evaluate("rosenbrock", 0.0, 0.0) == 1.0
    assert F.evaluate("beale", 0.0, 0.0) == pytest.approx(1.5**2 + 2.25**2 + 2.625**2)
    assert F.evaluate("himmelblau", 0.0, 0.0) == 170.0
    assert F.evaluate("rastrigin", 0.5, 0.0) == pytest.approx(0.25 + 10 + 10)  # cos(pi) = -1
    assert F.evaluate("booth", 0.0, 0.0) == 74.0
    assert F.evaluate("goldstein_price", 0.0, 0.0) == 600.0  # (1 + 19)(30 + 0)
    assert F.evaluate("styblinski_tang", 1.0, 1.0) == pytest.approx(-10.0)


def test_quadratic_condition_and_rotation():
    # The bowl's curvature is 1 along the rotated u axis and kappa along v.
    kappa, angle = 50.0, 30.0
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    assert F.evaluate("quadratic", c, s, condition=kappa, angle=angle) == pytest.approx(0.5)
    assert F.evaluate("quadratic", -s, c, condition=kappa, angle=angle) == pytest.approx(kappa / 2)
    # at angle 0 it is exactly ½(x² + κ y²)
    assert F.evaluate("quadratic", 2.0, 3.0, condition=kappa) == 0.5 * (4 + kappa * 9)


def test_parameters_are_validated():
    with pytest.raises(SpecError, match="between 1.0 and 1000.0"):
        F.evaluate("quadratic", 0.0, 0.0, condition=0.5)
    with pytest.raises(SpecError, match="unknown parameter"):
        F.evaluate("quadratic", 0.0, 0.0, curvature=2.0)
    with pytest.raises(SpecError, match="unknown parameter"):
        F.gradient("rosenbrock", 0.0, 0.0, condition=2.0)
    with pytest.raises(SpecError, match="unknown function"):
        F.evaluate("nope", 0.0, 0.0)


@pytest.mark.parametrize("name", list(F.FUNCTIONS))
def test_vectorized_broadcasting(name):
    x = np.linspace(-1.0, 1.0, 3)[:, None]
    y = np.linspace(-0.5, 0.5, 4)
    assert F.evaluate(name, x, y).shape == (3, 4)
    gx, gy = F.gradient(name, x, y)
    assert gx.shape == gy.shape == (3, 4)
    assert np.ndim(F.evaluate(name, 0.3, 0.2)) == 0
    # each element equals the scalar evaluation
    assert F.evaluate(name, x, y)[2, 1] == F.evaluate(name, 1.0, float(y[1]))


@pytest.mark.parametrize("name", list(F.FUNCTIONS))
def test_grid_matches_evaluate(name):
    xs, ys, Z = F.grid(name, 7, 9)
    (x0, x1), (y0, y1) = F.FUNCTIONS[name].domain
    assert xs.shape == (9,) and ys.shape == (7,) and Z.shape == (7, 9)
    assert xs[0] == x0 and xs[-1] == x1 and ys[0] == y0 and ys[-1] == y1  # endpoint grid
    X, Y = np.meshgrid(xs, ys)
    np.testing.assert_array_equal(Z, F.evaluate(name, X, Y))
    for i, j in [(0, 0), (3, 4), (6, 8)]:
        assert Z[i, j] == F.evaluate(name, xs[j], ys[i])


def test_grid_custom_domain_and_params():
    xs, ys, Z = F.grid("quadratic", 5, 6, domain=((0, 1), (-1, 0)), condition=100.0, angle=45.0)
    assert xs[0] == 0 and xs[-1] == 1 and ys[0] == -1 and ys[-1] == 0
    np.testing.assert_array_equal(
        Z, F.evaluate("quadratic", xs[None, :], ys[:, None], condition=100.0, angle=45.0))
    with pytest.raises(SpecError):
        F.grid("booth", 1, 5)


@pytest.mark.parametrize("name", list(F.FUNCTIONS))
def test_python_floats_give_the_same_bits_as_arrays(name):
    # the landscape runner steps one point at a time on Python floats
    t = F.FUNCTIONS[name]
    x, y = sample_points(name, n=20, seed=1)
    params = {k: p["default"] for k, p in t.params.items()}
    Z = t.f(x, y, **params)
    GX, GY = t.grad(x, y, **params)
    for i in range(len(x)):
        xi, yi = float(x[i]), float(y[i])
        assert float(t.f(xi, yi, **params)) == Z[i]
        gx, gy = t.grad(xi, yi, **params)
        assert (float(gx), float(gy)) == (GX[i], GY[i])


@pytest.mark.parametrize("name", [n for n, t in F.FUNCTIONS.items() if t.value_and_grad])
def test_value_and_grad_is_f_and_grad(name):
    t = F.FUNCTIONS[name]
    x, y = sample_points(name, n=200, seed=2)
    value, (gx, gy) = t.value_and_grad(x, y)
    assert value.tobytes() == t.f(x, y).tobytes()
    assert gx.tobytes() == t.grad(x, y)[0].tobytes() and gy.tobytes() == t.grad(x, y)[1].tobytes()
    for i in range(0, 200, 7):
        xi, yi = float(x[i]), float(y[i])
        value, (gx, gy) = t.value_and_grad(xi, yi)
        bits = np.array([value, gx, gy]).tobytes()  # bits, not ==: -0.0 must stay -0.0
        assert bits == np.array([t.f(xi, yi), *t.grad(xi, yi)]).tobytes()


# --- the Hessian's diagonal (what Sophia divides by on a landscape) -----------------------------


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_hessian_diagonal_matches_finite_differences_of_the_gradient(name):
    fn = FUNCTIONS[name]
    assert fn.hessian_diag is not None
    rng = np.random.default_rng(11)
    (x0, x1), (y0, y1) = fn.domain
    params = {k: p["default"] for k, p in fn.params.items()}
    if name == "quadratic":
        params = {"condition": 7.0, "angle": 30.0}  # off-axis: both diagonal entries mix the curvatures
    h = 1e-5
    for _ in range(40):
        x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        fxx = (fn.grad(x + h, y, **params)[0] - fn.grad(x - h, y, **params)[0]) / (2 * h)
        fyy = (fn.grad(x, y + h, **params)[1] - fn.grad(x, y - h, **params)[1]) / (2 * h)
        hx, hy = fn.hessian_diag(x, y, **params)
        assert hx == pytest.approx(fxx, rel=1e-6, abs=1e-6), (name, x, y)
        assert hy == pytest.approx(fyy, rel=1e-6, abs=1e-6), (name, x, y)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_hessian_diagonal_floats_and_arrays_have_the_same_bits(name):
    fn = FUNCTIONS[name]
    params = {k: p["default"] for k, p in fn.params.items()}
    xs = np.linspace(fn.domain[0][0], fn.domain[0][1], 7)
    ys = np.linspace(fn.domain[1][0], fn.domain[1][1], 7)
    hx, hy = fn.hessian_diag(xs, ys, **params)
    assert np.shape(hx) == np.shape(hy) == (7,)
    for i in range(7):
        assert [*fn.hessian_diag(float(xs[i]), float(ys[i]), **params)] == [hx[i], hy[i]]
