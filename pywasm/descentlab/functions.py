"""Two-dimensional test functions for watching optimizers move: their table and how to use it.

Each function is a surface ``z = f(x, y)`` with a hand-derived gradient (the
formulas are in :mod:`descentlab.surfaces`), so an optimizer can follow the exact
slope instead of a numerical estimate.  ``FUNCTIONS`` lists each one with its
standard domain, its global minima, a teaching start point, its parameters and
a description; :func:`evaluate`, :func:`gradient` and :func:`grid` call a
function by name with its parameters checked.  ``x`` and ``y`` may be scalars or
arrays of any two broadcastable shapes, and the result has the broadcast shape.

Domains and minima follow the usual benchmark collections: M. Jamil &
X.-S. Yang, "A literature survey of benchmark functions for global optimization
problems", Int. J. Math. Modelling & Num. Optimisation 4(2), 2013; and
S. Surjanovic & D. Bingham, "Virtual Library of Simulation Experiments" (Simon
Fraser University).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .errors import SpecError
from .surfaces import DEGREES_TO_RADIANS, RASTRIGIN_A, ROSENBROCK_B  # noqa: F401 (earlier home)
from .surfaces import (beale, beale_grad, booth, booth_grad, goldstein_price, goldstein_price_grad, himmelblau,
                       himmelblau_grad, quadratic, quadratic_grad, rastrigin, rastrigin_grad,
                       rastrigin_value_and_grad, rosenbrock, rosenbrock_grad, saddle, saddle_grad, six_hump_camel,
                       six_hump_camel_grad, styblinski_tang, styblinski_tang_grad)
from . import surfaces

Domain = tuple[tuple[float, float], tuple[float, float]]


class TestFunction(NamedTuple):
    """One test surface and everything the lab needs to show it.

    Attributes
    ----------
    name : str
        Registry id, e.g. ``"rosenbrock"``.
    title : str
        Human-readable name.
    f : callable
        ``f(x, y, **params) -> z``, same broadcast shape as ``x`` and ``y``.
    grad : callable
        ``grad(x, y, **params) -> (df/dx, df/dy)``, each of the broadcast shape.
    domain : ((xmin, xmax), (ymin, ymax))
        The standard plotting / search box.
    minima : list of (x, y)
        All global minima.  Empty for a surface that has none (the saddle is
        unbounded below); then ``f_min`` is ``None``.
    f_min : float or None
        The value of ``f`` at every global minimum (for the default parameters).
    start : (x, y)
        A teaching start point that shows the surface's characteristic difficulty.
    params : dict
        ``{name: {"default": d, "min": lo, "max": hi, "description": s}}``;
        empty when the function has no parameters.
    description : str
        One or two sentences for learners.
    value_and_grad : callable or None
        ``value_and_grad(x, y, **params) -> (f, (df/dx, df/dy))`` with the same
        bits as ``f`` and ``grad``, for surfaces whose value and gradient share
        expensive work (Rastrigin's sines and cosines); None means "call both".
    """

    __test__ = False  # "Test..." is a name, not a pytest test class

    name: str
    title: str
    f: Callable
    grad: Callable
    domain: Domain
    minima: list
    f_min: float | None
    start: tuple[float, float]
    params: dict
    description: str
    value_and_grad: Callable | None = None
    hessian_diag: Callable | None = None  # (x, y, **params) -> (∂²f/∂x², ∂²f/∂y²): what Sophia divides by


# --- registry --------------------------------------------------------------------

FUNCTIONS: dict[str, TestFunction] = {
    t.name: t
    for t in [
        TestFunction(
            "quadratic", "Quadratic bowl", quadratic, quadratic_grad,
            ((-2.0, 2.0), (-2.0, 2.0)), [(0.0, 0.0)], 0.0, (-1.8, 1.2),
            {
                "condition": {"default": 10.0, "min": 1.0, "max": 1000.0,
                              "description": "condition number κ: curvature ratio of the "
                                             "steep to the shallow axis"},
                "angle": {"default": 0.0, "min": 0.0, "max": 180.0,
                          "description": "rotation of the bowl's axes, in degrees"},
            },
            "A stretched bowl: the larger the condition number, the narrower the valley "
            "and the more plain gradient descent zig-zags across it.",
        ),
        TestFunction(
            "rosenbrock", "Rosenbrock", rosenbrock, rosenbrock_grad,
            ((-2.0, 2.0), (-1.0, 3.0)), [(1.0, 1.0)], 0.0, (-1.2, 1.0), {},
            "A long, curved, flat-bottomed valley: finding the valley is easy, "
            "following it to the minimum at (1, 1) is slow.",
        ),
        TestFunction(
            "beale", "Beale", beale, beale_grad,
            ((-4.5, 4.5), (-4.5, 4.5)), [(3.0, 0.5)], 0.0, (1.0, 1.5), {},
            "Flat plateaus and steep ridges meet near the corners, so gradient "
            "magnitudes vary by orders of magnitude; the minimum sits at (3, 0.5).",
        ),
        TestFunction(
            "himmelblau", "Himmelblau", himmelblau, himmelblau_grad,
            ((-5.0, 5.0), (-5.0, 5.0)),
            [(3.0, 2.0),
             (-2.805118086952745, 3.131312518250573),
             (-3.779310253377747, -3.283185991286169),
             (3.5844283403304917, -1.8481265269644036)],
            0.0, (0.0, 0.0), {},
            "Four equally deep minima: which one an optimizer reaches depends on "
            "where it starts and how it moves.",
        ),
        TestFunction(
            "rastrigin", "Rastrigin", rastrigin, rastrigin_grad,
            ((-5.12, 5.12), (-5.12, 5.12)), [(0.0, 0.0)], 0.0, (-4.2, 3.7), {},
            "A bowl covered in regular ripples: dozens of local minima trap "
            "gradient descent long before the global minimum at the origin.",
            value_and_grad=rastrigin_value_and_grad,
        ),
        TestFunction(
            "saddle", "Saddle", saddle, saddle_grad,
            ((-2.0, 2.0), (-2.0, 2.0)), [], None, (-1.8, 0.05), {},
            "A saddle point at the origin and no minimum at all: a start near the "
            "x axis slides in towards the saddle, stalls, then escapes along y.",
        ),
        TestFunction(
            "booth", "Booth", booth, booth_grad,
            ((-10.0, 10.0), (-10.0, 10.0)), [(1.0, 3.0)], 0.0, (-8.0, -6.0), {},
            "A gently tilted quadratic bowl with its minimum at (1, 3): an easy "
            "warm-up where every sensible optimizer succeeds.",
        ),
        TestFunction(
            "six_hump_camel", "Six-hump camel", six_hump_camel, six_hump_camel_grad,
            ((-3.0, 3.0), (-2.0, 2.0)),
            [(0.08984201310031807, -0.7126564030207396),
             (-0.08984201310031807, 0.7126564030207396)],
            -1.0316284534898774, (-1.5, -1.0), {},
            "Six local minima, two of them global and mirror images of each other "
            "near the centre.",
        ),
        TestFunction(
            "styblinski_tang", "Styblinski–Tang", styblinski_tang, styblinski_tang_grad,
            ((-5.0, 5.0), (-5.0, 5.0)),
            [(-2.903534027771177, -2.903534027771177)],
            -78.33233140754284, (0.5, -0.5), {},
            "Four basins of different depth: from the default start the descent in x "
            "ends in a shallower basin while y reaches the deepest one.",
        ),
        TestFunction(
            "goldstein_price", "Goldstein–Price", goldstein_price, goldstein_price_grad,
            ((-2.0, 2.0), (-2.0, 2.0)), [(0.0, -1.0)], 3.0, (0.5, 0.5), {},
            "Values span six orders of magnitude (3 to about 10⁶), so a step size that "
            "works in the valley explodes on the slopes; local minima (f = 30, 84, 840) "
            "lie in wait.",
        ),
    ]
}
# each one's exact Hessian diagonal, surfaces.<name>_hessian_diag (Sophia's curvature on a landscape)
FUNCTIONS = {name: fn._replace(hessian_diag=getattr(surfaces, f"{name}_hessian_diag"))
             for name, fn in FUNCTIONS.items()}


def _get(name: str) -> TestFunction:
    if name not in FUNCTIONS:
        raise SpecError("function", f"unknown function {name!r}; allowed: {sorted(FUNCTIONS)}")
    return FUNCTIONS[name]


def resolve_params(name: str, **params) -> dict:
    """Fill in defaults and check every parameter against its allowed range.

    Returns
    -------
    dict
        One float per declared parameter of ``name``.

    Raises
    ------
    SpecError
        For an unknown parameter name or a value outside ``[min, max]``.
    """
    spec = _get(name).params
    for key in params:
        if key not in spec:
            allowed = sorted(spec) or "none"
            raise SpecError(key, f"unknown parameter of {name!r}; allowed: {allowed}")
    out = {}
    for key, p in spec.items():
        value = float(params.get(key, p["default"]))
        if not p["min"] <= value <= p["max"]:
            raise SpecError(key, f"must be between {p['min']} and {p['max']}, got {value}")
        out[key] = value
    return out


def evaluate(name: str, x, y, **params):
    """``f(x, y)`` of the registered function ``name``.

    Parameters
    ----------
    name : str
        A key of ``FUNCTIONS``.
    x, y : array_like of float, broadcastable shapes
    **params
        The function's parameters (defaults from ``FUNCTIONS[name].params``).

    Returns
    -------
    ndarray of float64, the broadcast shape of ``x`` and ``y`` (0-d for scalars)
    """
    return _get(name).f(x, y, **resolve_params(name, **params))


def gradient(name: str, x, y, **params):
    """``(df/dx, df/dy)`` of the registered function ``name``; shapes as in ``evaluate``."""
    gx, gy = _get(name).grad(x, y, **resolve_params(name, **params))
    shape = np.broadcast_shapes(np.shape(x), np.shape(y))
    # a partial derivative that is constant in one variable has that variable's shape only
    return np.broadcast_to(gx, shape).copy(), np.broadcast_to(gy, shape).copy()


def grid(name: str, H: int, W: int, domain: Domain | None = None, **params):
    """Evaluate ``f`` on an ``H × W`` endpoint grid covering ``domain``.

    The grid includes the domain's edges: ``xs = linspace(xmin, xmax, W)`` and
    ``ys = linspace(ymin, ymax, H)``, so pixel centres of a heat map drawn over
    the domain sit on the border lines, not half a cell inside.

    Parameters
    ----------
    name : str
        A key of ``FUNCTIONS``.
    H, W : int
        Number of rows (y values) and columns (x values), each >= 2.
    domain : ((xmin, xmax), (ymin, ymax)), optional
        Defaults to the function's standard domain.
    **params
        The function's parameters.

    Returns
    -------
    xs : ndarray, shape (W,)
    ys : ndarray, shape (H,)
    Z : ndarray, shape (H, W)
        ``Z[i, j] = f(xs[j], ys[i])``: row ``i`` is the horizontal line ``y = ys[i]``,
        with ``ys`` increasing (flip vertically to draw with y pointing up).
    """
    if H < 2 or W < 2:
        raise SpecError("grid", f"H and W must be at least 2, got H={H}, W={W}")
    (xmin, xmax), (ymin, ymax) = domain if domain is not None else _get(name).domain
    xs = np.linspace(float(xmin), float(xmax), int(W))
    ys = np.linspace(float(ymin), float(ymax), int(H))
    Z = evaluate(name, xs[None, :], ys[:, None], **params)
    return xs, ys, Z
