"""Your own f(x, y): a small arithmetic language, read safely, with an exact gradient.

A learner types ``x**2 + 10*sin(y) + 0.1*x*y``.  The text is parsed by Python's
``ast`` (never ``eval``/``exec``) and accepted only if every node belongs to this
grammar::

    numbers, x, y, pi, e
    a + b, a - b, a * b, a / b, a ** b, -a
    sin cos tan exp log sqrt tanh abs sinh cosh atan (one argument), min max (two)

Anything else is a ``SpecError`` naming ``expression``, the column and the token.
The text is bounded (``MAX_CHARS``), and so are its size (``MAX_NODES``), its
nesting (``MAX_DEPTH``) and any constant exponent (``MAX_EXPONENT``), so a
hostile string is refused in well under a millisecond.

The accepted tree becomes two evaluators built from closures: ``value(x, y)``
and ``value_and_grad(x, y)``, which carries forward-mode dual numbers
``(v, ∂v/∂x, ∂v/∂y)`` through every operation (Griewank & Walther, *Evaluating
Derivatives*, 2nd ed., SIAM 2008, ch. 3), so the gradient is exact, not a finite
difference.  Both use only ``+ - * /`` and the deterministic kernels, and the
value in ``value_and_grad`` is computed by the same helpers as ``value``, so the
native and the browser runs, the race and the contour grid, all agree bit for bit.
``x`` and ``y`` are Python floats (a descent, one point at a time) or arrays of
broadcastable shapes (a grid).  A value that is not finite (``log(-1)``, ``1/0``)
comes out as inf or nan, never as an exception; the landscape then stops the run
as diverged.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from functools import lru_cache
from typing import Callable, NamedTuple

import numpy as np

from . import kernels as K
from .errors import SpecError

MAX_CHARS = 500  # an expression is a formula, not a program
MAX_NODES = 200  # numbers, names, operations and calls in the tree
MAX_DEPTH = 100  # operations within each other ("((x))" is one level, "-(-x)" three); a sum of n terms is n deep
MAX_EXPONENT = 64  # |b| of a constant exponent a ** b; larger ones only overflow
E = 2.718281828459045  # e rounded to a double (a constant, not a libm call)

# sinh and cosh (fdlibm e_sinh.c, e_cosh.c): thresholds of their three regimes
HYPERBOLIC_NEAR = 22.0  # above this e^-|x| is below an ulp of e^|x|: sinh = cosh = ½e^|x|
# atan (fdlibm s_atan.c): reduction intervals, atan of their centres split hi + lo, minimax polynomial
_ATAN_HI = (4.63647609000806093515e-01, 7.85398163397448278999e-01,
            9.82793723247329054082e-01, 1.57079632679489655800e+00)
_ATAN_LO = (2.26987774529616870924e-17, 3.06161699786838301793e-17,
            1.39033110312309984516e-17, 6.12323399573676603587e-17)
_ATAN_T = (3.33333333333329318027e-01, -1.99999999998764832476e-01, 1.42857142725034663711e-01,
           -1.11111104054623557880e-01, 9.09088713343650656196e-02, -7.69187620504482999495e-02,
           6.66107313738753120669e-02, -5.83357013379057348645e-02, 4.97687799461593236017e-02,
           -3.65315727442169155270e-02, 1.62858201153657823623e-02)
ATAN_BIG = 2.0 ** 66  # above: atan(x) = ±π/2 to working precision
ATAN_TINY = 2.0 ** -29  # below: atan(x) = x

ARITY = {"sin": 1, "cos": 1, "tan": 1, "exp": 1, "log": 1, "sqrt": 1, "tanh": 1, "abs": 1,
         "sinh": 1, "cosh": 1, "atan": 1, "min": 2, "max": 2}
NAMES = {"pi": K.PI, "e": E}
GRAMMAR = ("allowed: numbers, x, y, pi, e, + - * / **, unary -, "
           + " ".join(ARITY) + " (min and max take two arguments)")
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d[\w.]*|\*\*|//|<<|>>|[<>=!]=|\S")


class Expression(NamedTuple):
    """A checked expression and its evaluators.

    Attributes
    ----------
    source : str
    value : callable
        ``value(x, y) -> f``: floats give a float; arrays give an ndarray of the broadcast shape.
    value_and_grad : callable
        ``value_and_grad(x, y) -> (f, (df/dx, df/dy))``, ``f`` with the bits of ``value``.
    grad : callable
        ``grad(x, y) -> (df/dx, df/dy)``.
    weight : float
        Microseconds of one ``value_and_grad`` on floats (reference machine, on the high side), for the budget.
    hessian_diag : callable
        ``hessian_diag(x, y) -> (∂²f/∂x², ∂²f/∂y²)``, exact (what Sophia divides by on a landscape).
    """

    source: str
    value: Callable
    value_and_grad: Callable
    grad: Callable
    weight: float
    hessian_diag: Callable | None = None  # (x, y) -> (∂²f/∂x², ∂²f/∂y²), second-order dual numbers


# --- float-or-array helpers: the same operations, hence the same bits, for both ---------------


def _is_float(a) -> bool:
    return type(a) is float


def _div(a, b):
    """``a / b`` with IEEE results for a zero divisor (CPython raises, NumPy returns inf or nan)."""
    try:
        return a / b
    except ZeroDivisionError:  # two Python floats, b = ±0.0
        if a != a or a == 0.0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _log(a):
    """``kernels.log``; a Python float takes the same fdlibm steps on floats (the very bits, without NumPy)."""
    if not _is_float(a):
        return K.log(a)
    if not 0.0 < a < math.inf:
        return -math.inf if a == 0.0 else math.inf if a == math.inf else math.nan
    m, e = math.frexp(a)  # exact, as np.frexp in the kernel
    if m < K.SQRT1_2:
        m, e = m * 2.0, e - 1
    k = float(e)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    lg1, lg2, lg3, lg4, lg5, lg6, lg7 = K._LOG_LG
    t1 = w * (lg2 + w * (lg4 + w * lg6))
    t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
    R = t2 + t1
    hfsq = 0.5 * f * f
    return k * K.LN2_HI - ((hfsq - (s * (hfsq + R) + k * K.LN2_LO)) - f)


def _tanh(a):
    """``kernels.tanh``; a Python float takes the kernel's own steps on floats (the very bits)."""
    if not _is_float(a):
        return K.tanh(a)
    if a != a:
        return math.nan
    ax = abs(a)
    if ax < 2.0 ** -55:
        return a
    if ax > K.TANH_SATURATION:
        z = 1.0
    elif ax > K.TANH_NEAR:
        z = 1.0 - 2.0 / (K.exp(2.0 * ax) + 1.0)
    else:
        s = ax * ax
        p0, p1, p2 = K._TANH_P
        q0, q1, q2 = K._TANH_Q
        z = ax + ax * (s * ((p2 + s * (p1 + s * p0)) / (q2 + s * (q1 + s * (q0 + s)))))
    return -z if a < 0.0 else z


def _where(cond, a, b):
    if _is_float(a) and _is_float(b) and type(cond) is bool:
        return a if cond else b
    return np.where(cond, a, b)


def _isnan(a):
    return a != a


def _powi(a, n: int):
    """``a ** n`` for an integer ``n`` (negative too) by repeated squaring (kernels.powi)."""
    return K.powi(a, n) if n >= 0 else _div(1.0, K.powi(a, -n))


def _sinh(a):
    """Hyperbolic sine: 2t/(1 − t²) with t = tanh(a/2) for |a| < 1 (no cancellation near 0),
    ±½(e^|a| − e^−|a|) up to HYPERBOLIC_NEAR (the difference loses under a bit), then ±½e^|a|."""
    ax = abs(a)
    t = _tanh(0.5 * _where(ax < 1.0, a, 0.0))
    near0 = _div(2.0 * t, 1.0 - t * t)
    e = K.exp(_where(ax < HYPERBOLIC_NEAR, ax, 0.0))
    mid = 0.5 * (e - _div(1.0, e))
    far = _half_exp(ax)
    r = _where(ax < 1.0, near0, _where(a < 0.0, -1.0, 1.0) * _where(ax < HYPERBOLIC_NEAR, mid, far))
    return _where(_isnan(a), a, r)


def _cosh(a):
    """Hyperbolic cosine (fdlibm e_cosh.c): ½e^|a| + ½/e^|a|, then ½e^|a|."""
    ax = abs(a)
    t = K.exp(_where(ax < HYPERBOLIC_NEAR, ax, 0.0))
    return _where(ax < HYPERBOLIC_NEAR, 0.5 * t + _div(0.5, t), _half_exp(ax))


def _half_exp(ax):
    """``½e^ax`` for ``ax >= 0``, as ``(½e^(ax/2))·e^(ax/2)`` past exp's overflow (sinh, cosh stay finite longer)."""
    w = K.exp(0.5 * ax)
    return _where(ax > K.EXP_OVERFLOW, (0.5 * w) * w, 0.5 * K.exp(ax))


def _atan(a):
    """Arctangent (fdlibm s_atan.c): reduction to |t| < 7/16 around 0, 1/2, 1, 3/2 or ∞, then a polynomial."""
    ax = abs(a)
    region = _atan_region(ax)
    # the reduced argument of each region; a float takes its own only (no division by zero)
    if _is_float(ax):
        t = (ax, _div(2.0 * ax - 1.0, 2.0 + ax), _div(ax - 1.0, ax + 1.0),
             _div(ax - 1.5, 1.0 + 1.5 * ax), _div(-1.0, ax))[region + 1]
        hi, lo = (0.0, 0.0) if region < 0 else (_ATAN_HI[region], _ATAN_LO[region])
    else:
        with np.errstate(all="ignore"):
            t = np.select([region == -1, region == 0, region == 1, region == 2],
                          [ax, (2.0 * ax - 1.0) / (2.0 + ax), (ax - 1.0) / (ax + 1.0),
                           (ax - 1.5) / (1.0 + 1.5 * ax)], -1.0 / ax)
        idx = np.maximum(region, 0)
        hi = np.where(region < 0, 0.0, np.asarray(_ATAN_HI)[idx])
        lo = np.where(region < 0, 0.0, np.asarray(_ATAN_LO)[idx])
    z = t * t
    w = z * z
    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10 = _ATAN_T
    s1 = z * (a0 + w * (a2 + w * (a4 + w * (a6 + w * (a8 + w * a10)))))
    s2 = w * (a1 + w * (a3 + w * (a5 + w * (a7 + w * a9))))
    r = _where(region < 0, t - t * (s1 + s2), hi - ((t * (s1 + s2) - lo) - t))
    r = _where(ax < ATAN_TINY, ax, r)
    r = _where(ax >= ATAN_BIG, _ATAN_HI[3] + _ATAN_LO[3], r)
    r = _where(a < 0.0, -r, r)
    return _where(_isnan(a), a, r)


def _atan_region(ax):
    """-1 for |a| < 7/16, else 0, 1, 2, 3 for the intervals around 1/2, 1, 3/2 and ∞."""
    if _is_float(ax):
        return -1 if ax < 0.4375 else 0 if ax < 0.6875 else 1 if ax < 1.1875 else 2 if ax < 2.4375 else 3
    return ((ax >= 0.4375).astype(np.int64) + (ax >= 0.6875) + (ax >= 1.1875) + (ax >= 2.4375)) - 1


def _pick_first(a, b, take_a_when_le: bool):
    """Where min (``take_a_when_le``) or max takes ``a``; a NaN in either gives NaN."""
    cond = (a <= b) if take_a_when_le else (a >= b)
    return cond | _isnan(a) if not (_is_float(a) and _is_float(b)) else bool(cond or a != a)


# --- the value of each operation, shared by both evaluators -----------------------------------

def _tan(a):
    s, c = K.sincos(a)
    return _div(s, c)


_UNARY_VALUE = {
    "sin": K.sin, "cos": K.cos, "tan": _tan, "exp": K.exp, "log": _log, "sqrt": K.sqrt, "tanh": _tanh,
    "abs": abs, "sinh": _sinh, "cosh": _cosh, "atan": _atan, "neg": lambda a: -a,
}
_BINARY_VALUE = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": _div,
    "pow": lambda a, b: K.exp(b * _log(a)),  # a ** b for a variable or fractional b
    "min": lambda a, b: _where(_pick_first(a, b, True), a, b),
    "max": lambda a, b: _where(_pick_first(a, b, False), a, b),
}
# Cost of one node in value_and_grad on floats, in microseconds on the reference machine
# (measured per operation over x + y, rounded up); a node not listed (+, -, *, x, a number) costs 2.
_WEIGHT = {"sin": 15.0, "cos": 15.0, "tan": 20.0, "exp": 5.0, "log": 5.0, "sqrt": 6.0, "tanh": 15.0,
           "sinh": 65.0, "cosh": 55.0, "atan": 10.0, "pow": 20.0, "div": 6.0, "min": 3.0, "max": 3.0}
DEFAULT_WEIGHT = 2.0


# --- reading the text ---------------------------------------------------------------------------

def _fail(field: str, src: str, col: int, token: str, why: str):
    token = token if len(token) <= 30 else token[:27] + "..."
    raise SpecError(field, f"column {col + 1}: {token!r} {why}; {GRAMMAR}")


def _token_at(src: str, col: int) -> str:
    m = _TOKEN.match(src, col)
    return m.group(0) if m else "end of expression"


def parse(src, field: str = "expression"):
    """Check ``src`` against the grammar; return its tree of tuples with constants folded.

    Tree nodes: ``("const", c)``, ``("x",)``, ``("y",)``, ``(op, a)`` for a one-argument
    function or ``"neg"``, ``(op, a, b)`` for a binary operation, ``min`` and ``max``, and
    ``("powi", a, n)`` for an integer constant exponent.

    Raises
    ------
    SpecError
        Naming ``field``, with the column and the token that is not allowed.
    """
    if not isinstance(src, str):
        raise SpecError(field, f"must be a string of at most {MAX_CHARS} characters, e.g. \"x**2 + 10*y**2\"")
    if len(src) > MAX_CHARS:
        raise SpecError(field, f"is {len(src)} characters long; at most {MAX_CHARS}")
    if not src.strip():
        raise SpecError(field, "is empty; write f(x, y), e.g. \"x**2 + 10*y**2\"")
    for i, ch in enumerate(src):
        if not " " <= ch <= "~":  # printable ASCII only: columns are then characters and bytes alike
            _fail(field, src, i, ch, "is not an allowed character (printable ASCII only; write pi, not π)")
    try:
        with warnings.catch_warnings():  # e.g. an invalid escape in a string literal, refused below anyway
            warnings.simplefilter("ignore")
            tree = ast.parse(src, mode="eval")
    except SyntaxError as e:
        col = max(0, min(len(src), (e.offset or 1) - 1))
        _fail(field, src, col, _token_at(src, col), f"cannot be read here ({e.msg})")
    except (ValueError, RecursionError, MemoryError):  # pragma: no cover - printable, 500 characters
        raise SpecError(field, "cannot be read as an expression") from None
    _check_size(tree.body, field)
    return _Reader(src, field).read(tree.body)


def _check_size(root, field: str) -> None:
    """Refuse a tree with more than MAX_NODES expressions or nested deeper than MAX_DEPTH (no recursion)."""
    stack, count = [(root, 1)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise SpecError(field, f"has more than {MAX_NODES} numbers, names and operations; write a shorter formula")
        if depth > MAX_DEPTH:
            raise SpecError(field, f"column {node.col_offset + 1}: operations nested more than {MAX_DEPTH} deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))


class _Reader:
    """Turns a checked-size ``ast`` expression into the tuple tree, refusing anything outside the grammar."""

    def __init__(self, src: str, field: str):
        self.src, self.field = src, field

    def fail(self, col: int, token: str, why: str):
        _fail(self.field, self.src, col, token, why)

    def read(self, node):
        kind = type(node)
        if kind is ast.Constant:
            return self.constant(node)
        if kind is ast.Name:
            return self.name(node)
        if kind is ast.UnaryOp:
            if type(node.op) is not ast.USub:
                self.fail(node.col_offset, _token_at(self.src, node.col_offset), "is not allowed (only unary minus)")
            return _fold(("neg", self.read(node.operand)))
        if kind is ast.BinOp:
            return self.binary(node)
        if kind is ast.Call:
            return self.call(node)
        if kind is ast.Attribute:
            col = node.end_col_offset - len(node.attr) - 1
            self.fail(col, "." + node.attr, "is not allowed (no attribute access)")
        if kind is ast.Subscript:
            self.fail(node.value.end_col_offset, "[", "is not allowed (no indexing)")
        if kind is ast.Compare:
            col = self.gap(node.left, node.comparators[0])
            self.fail(col, _token_at(self.src, col), "is not allowed (no comparisons)")
        if kind is ast.IfExp or kind is ast.BoolOp:  # the keyword after the first operand
            col = self.gap(node.body if kind is ast.IfExp else node.values[0],
                           node.test if kind is ast.IfExp else node.values[1])
            self.fail(col, _token_at(self.src, col), "is not allowed (no conditions)")
        self.fail(node.col_offset, _token_at(self.src, node.col_offset), "is not allowed")

    def gap(self, left, right) -> int:
        """Column of the first token between two operands (where an operator sits)."""
        col = left.end_col_offset
        while col < right.col_offset and self.src[col] in " ()":
            col += 1
        return col

    def constant(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(node.col_offset, ast.get_source_segment(self.src, node) or "?", "is not a number")
        try:
            c = float(value)
        except OverflowError:
            c = math.inf
        if not math.isfinite(c):
            self.fail(node.col_offset, ast.get_source_segment(self.src, node) or "?",
                      "is too large (numbers must fit a double, below 1.8e308)")
        return ("const", c)

    def name(self, node):
        if node.id in ("x", "y"):
            return (node.id,)
        if node.id in NAMES:
            return ("const", NAMES[node.id])
        why = (f"is a function: call it, e.g. {node.id}(x)" if node.id in ARITY
               else "is not a known name (variables x and y, constants pi and e)")
        self.fail(node.col_offset, node.id, why)

    def binary(self, node):
        op = _BINARY.get(type(node.op))
        if op is None:
            col = self.gap(node.left, node.right)
            self.fail(col, _token_at(self.src, col), "is not an allowed operator")
        a, b = self.read(node.left), self.read(node.right)
        if op == "pow" and b[0] == "const":
            n = b[1]
            if not abs(n) <= MAX_EXPONENT:
                self.fail(node.right.col_offset, ast.get_source_segment(self.src, node.right) or "?",
                          f"is an exponent of {n:g}, outside [-{MAX_EXPONENT}, {MAX_EXPONENT}]")
            if n == math.floor(n):
                return _fold(("powi", a, int(n)))
        return _fold((op, a, b))

    def call(self, node):
        func = node.func
        if type(func) is not ast.Name:
            self.read(func)  # refuses it with its own token (a lambda, an attribute, ...)
            self.fail(func.col_offset, _token_at(self.src, func.col_offset), "cannot be called")
        if func.id not in ARITY:
            self.fail(func.col_offset, func.id, "is not an allowed function")
        if node.keywords:
            self.fail(node.keywords[0].col_offset, node.keywords[0].arg or "**", "is not allowed (no keyword arguments)")
        starred = next((a for a in node.args if type(a) is ast.Starred), None)
        if starred is not None:
            self.fail(starred.col_offset, "*", "is not allowed (no unpacking)")
        if len(node.args) != ARITY[func.id]:
            n = ARITY[func.id]
            self.fail(func.col_offset, func.id, f"takes {n} argument{'s' if n > 1 else ''}, got {len(node.args)}")
        return _fold((func.id, *(self.read(a) for a in node.args)))


def _fold(node):
    """A node whose operands are all constants becomes its value (the same helpers, on floats)."""
    args = node[1:] if node[0] != "powi" else node[1:2]
    if all(a[0] == "const" for a in args):
        return ("const", float(_value_fn(node)(0.0, 0.0)))
    return node


# --- the evaluators -----------------------------------------------------------------------------

def _value_fn(node):
    """``f(x, y) -> value`` for a tree node."""
    op = node[0]
    if op == "const":
        c = node[1]
        return lambda x, y: c
    if op == "x":
        return lambda x, y: x
    if op == "y":
        return lambda x, y: y
    if op == "powi":
        fa, n = _value_fn(node[1]), node[2]
        return lambda x, y: _powi(fa(x, y), n)
    if op in _UNARY_VALUE:
        fa, g = _value_fn(node[1]), _UNARY_VALUE[op]
        return lambda x, y: g(fa(x, y))
    fa, fb, g = _value_fn(node[1]), _value_fn(node[2]), _BINARY_VALUE[op]
    return lambda x, y: g(fa(x, y), fb(x, y))


def _dual_fn(node):
    """``f(x, y) -> (value, d/dx, d/dy)`` for a tree node: forward-mode dual numbers."""
    op = node[0]
    if op == "const":
        c = (node[1], 0.0, 0.0)
        return lambda x, y: c
    if op == "x":
        return lambda x, y: (x, 1.0, 0.0)
    if op == "y":
        return lambda x, y: (y, 0.0, 1.0)
    if op == "powi":
        return _dual_powi(_dual_fn(node[1]), node[2])
    if op in _UNARY_VALUE:
        return _dual_unary(op, _dual_fn(node[1]))
    return _dual_binary(op, _dual_fn(node[1]), _dual_fn(node[2]))


def _dual_powi(fa, n: int):
    def powi(x, y):
        a, ax, ay = fa(x, y)
        v = _powi(a, n)
        if n == 0:
            return v, 0.0, 0.0
        k = float(n) * _powi(a, n - 1)  # d(a^n) = n a^(n-1) da
        return v, k * ax, k * ay
    return powi


def _chain(fa, value, slope):
    """A one-argument function: ``value(a)``, and ``slope(a, v)`` = its derivative, times (da/dx, da/dy)."""
    def unary(x, y):
        a, ax, ay = fa(x, y)
        v = value(a)
        k = slope(a, v)
        return v, k * ax, k * ay
    return unary


def _sincos_dual(fa, which: int):
    def trig(x, y):
        a, ax, ay = fa(x, y)
        s, c = K.sincos(a)
        v, k = (s, c) if which == 0 else (c, -s)
        return v, k * ax, k * ay
    return trig


def _dual_unary(op: str, fa):
    if op == "sin":
        return _sincos_dual(fa, 0)
    if op == "cos":
        return _sincos_dual(fa, 1)
    slopes = {
        "neg": lambda a, v: -1.0,
        "tan": lambda a, v: 1.0 + v * v,
        "exp": lambda a, v: v,
        "log": lambda a, v: _div(1.0, a),
        "sqrt": lambda a, v: _div(0.5, v),
        "tanh": lambda a, v: 1.0 - v * v,
        "abs": lambda a, v: K.sign(a),
        "sinh": lambda a, v: _cosh(a),
        "cosh": lambda a, v: _sinh(a),
        "atan": lambda a, v: _div(1.0, 1.0 + a * a),
    }
    return _chain(fa, _UNARY_VALUE[op], slopes[op])


def _dual_binary(op: str, fa, fb):
    if op in ("add", "sub"):
        sign = 1.0 if op == "add" else -1.0
        g = _BINARY_VALUE[op]

        def addsub(x, y):
            a, ax, ay = fa(x, y)
            b, bx, by = fb(x, y)
            return g(a, b), ax + sign * bx, ay + sign * by
        return addsub
    if op == "mul":
        def mul(x, y):
            a, ax, ay = fa(x, y)
            b, bx, by = fb(x, y)
            return a * b, ax * b + a * bx, ay * b + a * by
        return mul
    if op == "div":
        def div(x, y):
            a, ax, ay = fa(x, y)
            b, bx, by = fb(x, y)
            q = _div(a, b)
            return q, _div(ax - q * bx, b), _div(ay - q * by, b)
        return div
    if op == "pow":
        def power(x, y):  # a^b = exp(b log a): d = a^b (db log a + b da / a)
            a, ax, ay = fa(x, y)
            b, bx, by = fb(x, y)
            la = _log(a)
            v = K.exp(b * la)
            ba = _div(b, a)
            return v, v * (bx * la + ba * ax), v * (by * la + ba * ay)
        return power
    take_le = op == "min"

    def minmax(x, y):
        a, ax, ay = fa(x, y)
        b, bx, by = fb(x, y)
        pick = _pick_first(a, b, take_le)
        return _where(pick, a, b), _where(pick, ax, bx), _where(pick, ay, by)
    return minmax


# --- second order: (v, v_x, v_y, v_xx, v_yy), the Hessian's diagonal -----------------------------
# Each node carries its value, its two first derivatives and the two pure second ones.  A
# one-argument g gives g(a), g′(a) a_x and g″(a) a_x² + g′(a) a_xx (the same for y); the
# binary rules are the product and quotient rules differentiated once more.  The value is
# computed by the same helpers as ``value``; Sophia uses only the second derivatives.


def _second_fn(node):
    """``f(x, y) -> (v, v_x, v_y, v_xx, v_yy)`` for a tree node."""
    op = node[0]
    if op == "const":
        c = (node[1], 0.0, 0.0, 0.0, 0.0)
        return lambda x, y: c
    if op == "x":
        return lambda x, y: (x, 1.0, 0.0, 0.0, 0.0)
    if op == "y":
        return lambda x, y: (y, 0.0, 1.0, 0.0, 0.0)
    if op == "powi":
        n = node[2]
        return _second_chain(_second_fn(node[1]), lambda a: _powi_slopes(a, n))
    if op in _UNARY_VALUE:
        return _second_chain(_second_fn(node[1]), _SLOPES2[op])
    return _second_binary(op, _second_fn(node[1]), _second_fn(node[2]))


def _powi_slopes(a, n: int):
    """(aⁿ, n aⁿ⁻¹, n(n − 1) aⁿ⁻²), exact zeros where a lower power vanishes (n = 0, 1)."""
    v = _powi(a, n)
    if n == 0:
        return v, 0.0, 0.0
    d1 = float(n) * _powi(a, n - 1)
    return v, d1, (0.0 if n == 1 else float(n * (n - 1)) * _powi(a, n - 2))


def _sin2(a):
    s, c = K.sincos(a)
    return s, c, -s


def _cos2(a):
    s, c = K.sincos(a)
    return c, -s, -c


def _tan2(a):
    v = _tan(a)
    d = 1.0 + v * v
    return v, d, 2.0 * v * d


def _exp2(a):
    v = K.exp(a)
    return v, v, v


def _log2(a):
    r = _div(1.0, a)
    return _log(a), r, -(r * r)


def _sqrt2(a):
    v = K.sqrt(a)
    d = _div(0.5, v)
    return v, d, _div(-0.5 * d, a)  # −¼ a^(−3/2)


def _tanh2(a):
    v = _tanh(a)
    d = 1.0 - v * v
    return v, d, -2.0 * v * d


def _atan2(a):
    r = _div(1.0, 1.0 + a * a)
    return _atan(a), r, -2.0 * a * r * r


# g ↦ (g(a), g′(a), g″(a))
_SLOPES2 = {
    "sin": _sin2, "cos": _cos2, "tan": _tan2, "exp": _exp2, "log": _log2, "sqrt": _sqrt2, "tanh": _tanh2,
    "atan": _atan2, "neg": lambda a: (-a, -1.0, 0.0), "abs": lambda a: (abs(a), K.sign(a), 0.0),
    "sinh": lambda a: (_sinh(a), _cosh(a), _sinh(a)), "cosh": lambda a: (_cosh(a), _sinh(a), _cosh(a)),
}


def _second_chain(fa, slopes):
    def unary(x, y):
        a, ax, ay, axx, ayy = fa(x, y)
        v, d1, d2 = slopes(a)
        return v, d1 * ax, d1 * ay, d2 * ax * ax + d1 * axx, d2 * ay * ay + d1 * ayy
    return unary


def _second_binary(op: str, fa, fb):
    if op in ("add", "sub"):
        sign = 1.0 if op == "add" else -1.0
        g = _BINARY_VALUE[op]

        def addsub(x, y):
            a, ax, ay, axx, ayy = fa(x, y)
            b, bx, by, bxx, byy = fb(x, y)
            return g(a, b), ax + sign * bx, ay + sign * by, axx + sign * bxx, ayy + sign * byy
        return addsub
    if op == "mul":
        def mul(x, y):
            a, ax, ay, axx, ayy = fa(x, y)
            b, bx, by, bxx, byy = fb(x, y)
            return (a * b, ax * b + a * bx, ay * b + a * by,
                    axx * b + 2.0 * ax * bx + a * bxx, ayy * b + 2.0 * ay * by + a * byy)
        return mul
    if op == "div":
        def div(x, y):  # a = q b, so q′ = (a′ − q b′)/b and q″ = (a″ − 2 q′ b′ − q b″)/b
            a, ax, ay, axx, ayy = fa(x, y)
            b, bx, by, bxx, byy = fb(x, y)
            q = _div(a, b)
            qx, qy = _div(ax - q * bx, b), _div(ay - q * by, b)
            return (q, qx, qy, _div(axx - 2.0 * qx * bx - q * bxx, b), _div(ayy - 2.0 * qy * by - q * byy, b))
        return div
    if op == "pow":
        def power(x, y):  # a^b = exp(w), w = b log a: v′ = v w′, v″ = v (w′² + w″)
            a, ax, ay, axx, ayy = fa(x, y)
            b, bx, by, bxx, byy = fb(x, y)
            la = _log(a)
            v = K.exp(b * la)
            ra = _div(1.0, a)
            wx, wy = bx * la + b * ax * ra, by * la + b * ay * ra
            wxx = bxx * la + 2.0 * bx * ax * ra + b * (axx * ra - ax * ax * ra * ra)
            wyy = byy * la + 2.0 * by * ay * ra + b * (ayy * ra - ay * ay * ra * ra)
            return v, v * wx, v * wy, v * (wx * wx + wxx), v * (wy * wy + wyy)
        return power
    take_le = op == "min"

    def minmax(x, y):
        ta, tb = fa(x, y), fb(x, y)
        pick = _pick_first(ta[0], tb[0], take_le)
        return tuple(_where(pick, u, w) for u, w in zip(ta, tb))
    return minmax


def _weight(node) -> float:
    stack, total = [node], 0.0
    while stack:
        n = stack.pop()
        total += _WEIGHT.get(n[0], DEFAULT_WEIGHT)
        stack.extend(c for c in n[1:] if isinstance(c, tuple))
    return total


@lru_cache(maxsize=64)
def _compiled(src: str) -> Expression:
    tree = parse(src)
    value, dual = _value_fn(tree), _dual_fn(tree)

    def value_fn(x, y):
        if _is_float(x) and _is_float(y):
            return float(value(x, y))
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(value(x, y), dtype=np.float64), shape).copy()

    def value_and_grad(x, y):
        if _is_float(x) and _is_float(y):
            v, gx, gy = dual(x, y)
            return float(v), (float(gx), float(gy))
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        with np.errstate(all="ignore"):
            v, gx, gy = (np.broadcast_to(np.asarray(t, dtype=np.float64), shape).copy() for t in dual(x, y))
        return v, (gx, gy)

    second = _second_fn(tree)

    def hessian_diag(x, y):
        if _is_float(x) and _is_float(y):
            t = second(x, y)
            return float(t[3]), float(t[4])
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        with np.errstate(all="ignore"):
            t = second(x, y)
            return tuple(np.broadcast_to(np.asarray(v, dtype=np.float64), shape).copy() for v in t[3:])

    return Expression(src, value_fn, value_and_grad, lambda x, y: value_and_grad(x, y)[1], _weight(tree),
                      hessian_diag)


def compile_expression(src, field: str = "expression") -> Expression:
    """Check ``src`` and return its :class:`Expression` (cached by text).

    Raises
    ------
    SpecError
        Naming ``field``, with the column and the token outside the grammar.
    """
    if isinstance(src, str) and len(src) <= MAX_CHARS:
        try:
            return _compiled(src)
        except SpecError as e:
            raise SpecError(field, e.message) from None
    parse(src, field)  # refuses it with the reason
    raise AssertionError("unreachable")  # pragma: no cover
