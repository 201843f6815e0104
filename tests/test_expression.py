"""Your own f(x, y): the grammar, the exact gradient, hostile text, and the landscape and grid that use it."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from descentlab import SpecError, run, validate
from descentlab import expression as X
from descentlab import kernels as K
from descentlab import landscape as L
from strategies import assert_finite, random_expression

compile_expression = X.compile_expression
ULP = 2.0 ** -52


# --- hand values -----------------------------------------------------------------------------


def test_issue_example_by_hand():
    e = compile_expression("x**2 + 10*sin(y) + 0.1*x*y")
    x, y = 1.5, -0.5
    v, (gx, gy) = e.value_and_grad(x, y)
    assert v == pytest.approx(x * x + 10 * math.sin(y) + 0.1 * x * y, rel=1e-15)
    assert gx == pytest.approx(2 * x + 0.1 * y, rel=1e-15)
    assert gy == pytest.approx(10 * math.cos(y) + 0.1 * x, rel=1e-15)
    assert e.value(x, y) == v


@pytest.mark.parametrize("src, value, grad", [
    ("x", 2.0, (1.0, 0.0)),
    ("y*y*y", -27.0, (0.0, 27.0)),
    ("x**3", 8.0, (12.0, 0.0)),  # integer exponent: repeated multiplication, exact here
    ("x**-2", 0.25, (-0.25, 0.0)),
    ("x/y", -2.0 / 3.0, (-1.0 / 3.0, -2.0 / 9.0)),
    ("min(x, y) + max(x, y)", -1.0, (1.0, 1.0)),
    ("abs(y)", 3.0, (0.0, -1.0)),
    ("pi * e", math.pi * math.e, (0.0, 0.0)),
    ("-(x - y)", -5.0, (-1.0, 1.0)),
    ("2**10", 1024.0, (0.0, 0.0)),  # constants are folded
])
def test_exact_values(src, value, grad):
    v, g = compile_expression(src).value_and_grad(2.0, -3.0)
    assert v == pytest.approx(value, rel=4 * ULP, abs=0)
    assert g == pytest.approx(grad, rel=4 * ULP, abs=0)


@pytest.mark.parametrize("name, ref", [("atan", math.atan), ("sinh", math.sinh), ("cosh", math.cosh),
                                       ("tan", math.tan), ("tanh", math.tanh), ("log", math.log),
                                       ("exp", math.exp), ("sqrt", math.sqrt)])
def test_elementary_functions_against_libm(name, ref):
    """Within 4 ulp of libm (itself within 1-2 ulp of the truth, docs/determinism.md)."""
    rng = np.random.default_rng(7)
    xs = np.concatenate([rng.uniform(-s, s, 400) for s in (1e-6, 0.5, 2.0, 20.0, 300.0)])
    if name in ("log", "sqrt"):
        xs = np.abs(xs) + 1e-300
    if name == "tan":
        xs = xs[np.abs(np.cos(xs)) > 1e-3]
    f = compile_expression(f"{name}(x)")
    for x in xs.tolist():
        want = ref(x)
        got = f.value(x, 0.0)
        assert abs(got - want) <= 4 * ULP * abs(want) + 1e-300, (name, x, got, want)


def test_log_and_tanh_on_floats_are_the_kernels_bits():
    rng = np.random.default_rng(3)
    xs = np.concatenate([rng.standard_normal(3000) * s for s in (1e-300, 1e-9, 0.3, 1.0, 10.0, 40.0, 1e200)]
                        + [np.array([0.0, -0.0, 5e-324, 0.625, -0.625, 22.0, np.inf, -np.inf])])
    for ours, kernel in ((X._log, K.log), (X._tanh, K.tanh)):
        with np.errstate(all="ignore"):
            want = kernel(xs)
        got = np.array([ours(float(v)) for v in xs])
        assert np.array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        assert got[ok].tobytes() == want[ok].tobytes()


def test_hyperbolic_functions_past_exp_overflow():
    # e^710 overflows, sinh(710) = cosh(710) = 1.117e308 does not
    assert compile_expression("sinh(x)").value(710.0, 0.0) == pytest.approx(math.sinh(710.0), rel=4 * ULP)
    assert compile_expression("cosh(x)").value(-710.0, 0.0) == pytest.approx(math.cosh(710.0), rel=4 * ULP)
    assert compile_expression("sinh(x)").value(711.0, 0.0) == math.inf


# --- the gradient against finite differences ----------------------------------------------------


def _central(f, x, y, h):
    return ((f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h))


def test_gradients_match_finite_differences_on_random_expressions():
    """Many random expressions of the whole grammar, each at several points.

    A point is checked where two central differences (steps h and h/2) agree with
    each other, i.e. where f is smooth at that scale (not at a kink of abs, min, max).
    """
    rng = random.Random(20240617)
    points = np.random.default_rng(1).uniform(-2, 2, size=(6, 2)).tolist()
    checked = expressions = 0
    for _ in range(400):
        src = random_expression(rng)
        e = compile_expression(src)
        expressions += 1
        for x, y in points:
            v, (gx, gy) = e.value_and_grad(x, y)
            if not all(math.isfinite(t) and abs(t) < 1e6 for t in (v, gx, gy)):
                continue
            h = 1e-5
            d1, d2 = _central(e.value, x, y, h), _central(e.value, x, y, h / 2)
            scale = 1 + abs(v) + abs(gx) + abs(gy)
            if max(abs(a - b) for a, b in zip(d1, d2)) > 1e-6 * scale:
                continue  # not smooth here at this scale
            assert gx == pytest.approx(d2[0], abs=1e-5 * scale), (src, x, y)
            assert gy == pytest.approx(d2[1], abs=1e-5 * scale), (src, x, y)
            checked += 1
    assert expressions == 400 and checked >= 1000, checked


def test_float_and_array_evaluations_have_the_same_bits():
    rng = random.Random(5)
    xs = np.random.default_rng(2).uniform(-3, 3, size=(2, 40))
    for _ in range(100):
        e = compile_expression(random_expression(rng))
        v, (gx, gy) = e.value_and_grad(xs[0], xs[1])
        va = e.value(xs[0], xs[1])
        floats = [e.value_and_grad(float(a), float(b)) for a, b in zip(xs[0], xs[1])]
        for got, want in ((va, v), (np.array([f[0] for f in floats]), v),
                          (np.array([f[1][0] for f in floats]), gx), (np.array([f[1][1] for f in floats]), gy)):
            assert np.array_equal(np.isnan(got), np.isnan(want))
            assert got[~np.isnan(got)].tobytes() == want[~np.isnan(want)].tobytes()


def test_not_finite_is_a_value_not_an_exception():
    assert math.isnan(compile_expression("log(x)").value(-1.0, 0.0))
    assert compile_expression("1/x").value(0.0, 0.0) == math.inf
    assert compile_expression("-1/x").value(0.0, 0.0) == -math.inf
    assert math.isnan(compile_expression("x/y").value(0.0, 0.0))
    assert math.isnan(compile_expression("sqrt(x)").value_and_grad(-1.0, 0.0)[0])


# --- hostile and wrong text --------------------------------------------------------------------


@pytest.mark.parametrize("src, says", [
    ("__import__('os')", "'__import__' is not an allowed function"),
    ("x.real", "column 2: '.real'"),
    ("(lambda: 1)()", "column 2: 'lambda'"),
    ("x**10**10", "outside [-64, 64]"),
    ("a" * 100_000, "100000 characters long"),
    ("(" * 10_000 + "x" + ")" * 10_000, "20001 characters long"),
    ("(" * 240 + "x" + ")" * 240, "column"),  # Python's own limit on nested parentheses
    ("-" * 499 + "x", f"nested more than {X.MAX_DEPTH} deep"),
    ("*".join(["(" + "*".join(["x"] * 10) + ")"] * 22), f"more than {X.MAX_NODES}"),  # 439 nodes, 32 deep
    ("x if y else 1", "'if'"),
    ("x // 2", "'//'"),
    ("x < y", "'<'"),
    ("x[0]", "'['"),
    ("sin(x, y)", "takes 1 argument"),
    ("max(x)", "takes 2 arguments"),
    ("sin(x=1)", "keyword"),
    ("sin", "is a function"),
    ("z + 1", "'z' is not a known name"),
    ("'x'", "is not a number"),
    ("1j", "is not a number"),
    ("True", "is not a number"),
    ("1e999", "too large"),
    ("9" * 400, "too large"),
    ("x²", "printable ASCII"),
    ("x\ny", "printable ASCII"),
    ("x +", "cannot be read"),
    ("", "is empty"),
    ("+x", "only unary minus"),
    (42, "must be a string"),
])
def test_hostile_and_wrong_expressions_are_refused_naming_the_field(src, says):
    with pytest.raises(SpecError) as err:
        compile_expression(src)
    assert err.value.field == "expression"
    assert says in err.value.message, err.value.message
    spec = {"kind": "landscape", "function": "custom", "expression": src, "optimizers": [{"name": "sgd"}]}
    with pytest.raises(SpecError) as err:
        validate(spec)
    assert err.value.field == "expression"


def test_column_points_at_the_token():
    with pytest.raises(SpecError) as err:
        compile_expression("x + y + foo(x)")
    assert "column 9: 'foo'" in err.value.message


# --- the landscape and the grid ----------------------------------------------------------------


CUSTOM = {"kind": "landscape", "function": "custom", "expression": "(x - 1)**2 + 3*(y + 0.5)**2 + 0.2*sin(4*x)",
          "steps": 300, "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.05, "momentum": 0.9}]}


def test_custom_landscape_descends_with_the_expression_gradient():
    result = run(CUSTOM)
    assert_finite(result)
    assert result["function"]["expression"] == CUSTOM["expression"]
    assert result["function"]["domain"] == [list(d) for d in L.CUSTOM_DOMAIN]
    e = compile_expression(CUSTOM["expression"])
    for r in result["runs"]:
        assert r["diverged_at"] is None and r["final_loss"] < r["loss"][0]
        x, y = r["path"][-1]
        assert r["final_loss"] == e.value(x, y)
    # one SGD step by hand, from the default start (fractions of the default domain)
    sgd = run(dict(CUSTOM, steps=1, optimizers=[{"name": "sgd", "lr": 0.05}]))["runs"][0]
    x0, y0 = sgd["path"][0]
    gx, gy = e.grad(x0, y0)
    assert sgd["path"][1] == [x0 - 0.05 * gx, y0 - 0.05 * gy]


def test_custom_domain_and_start():
    spec = dict(CUSTOM, domain=[[0, 10], [-1, 1]])
    assert validate(spec)["start"] == [1.5, 0.6000000000000001]
    assert run(dict(spec, start=[2.0, 0.0]))["runs"][0]["path"][0] == [2.0, 0.0]
    with pytest.raises(SpecError) as err:
        validate(dict(spec, domain=[[1, 0], [0, 1]]))
    assert err.value.field == "domain[0]"


def test_not_finite_at_the_start_is_refused_and_later_is_divergence():
    with pytest.raises(SpecError) as err:
        validate(dict(CUSTOM, expression="log(x)", start=[-1.0, 0.0]))
    assert err.value.field == "start"
    # from x = 1 SGD with lr 1 jumps to x = 0, where log is -inf: a divergence, never a NaN drawn
    result = run(dict(CUSTOM, expression="log(x) + y*y", start=[1.0, 0.0], steps=5,
                      optimizers=[{"name": "sgd", "lr": 1.0}]))
    assert_finite(result)
    assert result["runs"][0]["diverged_at"] == 1 and len(result["runs"][0]["path"]) == 1


def test_fields_that_do_not_belong_are_refused():
    with pytest.raises(SpecError) as err:
        validate(dict(CUSTOM, function_params={"condition": 3}))
    assert err.value.field == "function_params"
    with pytest.raises(SpecError) as err:
        validate({"kind": "landscape", "function": "rosenbrock", "expression": "x", "optimizers": [{"name": "sgd"}]})
    assert err.value.field == "expression"
    with pytest.raises(SpecError) as err:
        validate({"kind": "landscape", "function": "nope", "optimizers": [{"name": "sgd"}]})
    assert "custom" in err.value.message


def test_grid_uses_the_same_evaluator_and_marks_undefined_points():
    src = "log(x) + y"
    result = run({"kind": "grid", "function": "custom", "expression": src, "size": [5, 6], "levels": 4})
    assert_finite(result)
    xs, ys = np.array(result["x"]), np.array(result["y"])
    z = compile_expression(src).value(xs[None, :], ys[:, None])
    bad = ~np.isfinite(z)
    assert result["undefined"] == np.flatnonzero(bad).tolist() and len(result["undefined"]) == 15
    got = np.array(result["z"])
    assert got[~bad].tobytes() == z[~bad].tobytes()
    assert np.all(got[bad] == z[~bad].max())  # drawn as a wall at the largest defined value
    smooth = run({"kind": "grid", "function": "custom", "expression": "x*x + y", "size": [4, 4], "levels": 2})
    assert "undefined" not in smooth


def test_custom_cost_grows_with_the_expression():
    cheap = L.cost(validate(dict(CUSTOM, expression="x*x + y*y")))
    dear = L.cost(validate(dict(CUSTOM, expression="sinh(x) + cosh(y) + atan(x*y) + tanh(x)")))
    rosenbrock = {k: v for k, v in CUSTOM.items() if k != "expression"} | {"function": "rosenbrock"}
    builtin = L.cost(validate(rosenbrock))
    assert builtin.seconds < cheap.seconds < dear.seconds
    with pytest.raises(SpecError) as err:  # the budget refuses a long run of a dear expression
        validate(dict(CUSTOM, expression="+".join(["sinh(cosh(x))"] * 12), steps=10_000,
                      optimizers=[{"name": "adam"}] * 12, record_state=True))
    assert err.value.field


# --- the Hessian's diagonal (second-order dual numbers) against finite differences of the gradient ---


def test_hessian_diagonal_matches_finite_differences_of_the_gradient_on_random_expressions():
    """(∂²f/∂x², ∂²f/∂y²), what Sophia is given on a custom landscape, over many random expressions.

    Checked where two central differences of the exact gradient (steps h and h/2) agree,
    i.e. where the gradient is smooth at that scale.
    """
    rng = random.Random(20261130)
    points = np.random.default_rng(4).uniform(-2, 2, size=(6, 2)).tolist()
    checked = 0
    for _ in range(400):
        e = compile_expression(random_expression(rng))
        for x, y in points:
            v, (gx, gy) = e.value_and_grad(x, y)
            hxx, hyy = e.hessian_diag(x, y)
            if not all(math.isfinite(t) and abs(t) < 1e6 for t in (v, gx, gy, hxx, hyy)):
                continue
            h = 1e-5
            d1 = ((e.grad(x + h, y)[0] - e.grad(x - h, y)[0]) / (2 * h), (e.grad(x, y + h)[1] - e.grad(x, y - h)[1]) / (2 * h))
            d2 = ((e.grad(x + h / 2, y)[0] - e.grad(x - h / 2, y)[0]) / h, (e.grad(x, y + h / 2)[1] - e.grad(x, y - h / 2)[1]) / h)
            scale = 1 + abs(gx) + abs(gy) + abs(hxx) + abs(hyy)
            if max(abs(a - b) for a, b in zip(d1, d2)) > 1e-6 * scale:
                continue
            assert hxx == pytest.approx(d2[0], abs=1e-5 * scale), (e.source, x, y)
            assert hyy == pytest.approx(d2[1], abs=1e-5 * scale), (e.source, x, y)
            checked += 1
    assert checked >= 1000, checked


@pytest.mark.parametrize("src, x, y, want", [
    ("x**3 * y**2", 2.0, 3.0, (6 * 2.0 * 9.0, 2 * 8.0)),
    ("sin(x) * exp(y)", 0.5, 0.2, (-math.sin(0.5) * math.exp(0.2), math.sin(0.5) * math.exp(0.2))),
    ("x / y", 1.5, 2.0, (0.0, 2 * 1.5 / 8.0)),
    ("x ** y", 2.0, 1.5, (1.5 * 0.5 * 2.0 ** -0.5, 2.0 ** 1.5 * math.log(2.0) ** 2)),
    ("log(x) + sqrt(y)", 2.0, 4.0, (-0.25, -0.25 * 4.0 ** -1.5)),
    ("max(x*x, y) + atan(y)", 1.0, 2.0, (0.0, -2 * 2.0 / 25.0)),
])
def test_hessian_diagonal_by_hand(src, x, y, want):
    got = compile_expression(src).hessian_diag(x, y)
    assert got == pytest.approx(want, rel=1e-13, abs=1e-15)


def test_hessian_diagonal_float_and_array_have_the_same_bits():
    rng = random.Random(9)
    xs = np.random.default_rng(5).uniform(-3, 3, size=(2, 30))
    for _ in range(60):
        e = compile_expression(random_expression(rng))
        hx, hy = e.hessian_diag(xs[0], xs[1])
        for i in range(xs.shape[1]):
            fx, fy = e.hessian_diag(float(xs[0, i]), float(xs[1, i]))
            assert np.array_equal([fx, fy], [hx[i], hy[i]], equal_nan=True), e.source
