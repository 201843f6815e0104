"""Determinism is enforced, not hoped for: the core calls only bit-identical operations.

Descent Lab promises the same bits natively and in Pyodide (wasm).  That holds only
for operations that are correctly rounded or exact by specification, or that were
measured identical on both sides; ``docs/determinism.md`` has the table.  This test
walks the syntax tree of every module under ``pywasm/descentlab`` except
``kernels.py`` (the one module that builds exp, log, tanh, sin, cos and the matrix
product from those primitives, and is checked against NumPy and the truth by
``tests/test_kernels.py``) and fails on anything outside the deterministic set:

``**`` (``ast.Pow``, ``**=`` and ``pow()``)
    CPython's ``float ** y`` and NumPy's float64-scalar ``**`` call libm ``pow``,
    which no standard requires to be correctly rounded: it is not bit-identical even
    for ``x ** 2``.  Allowed only when the value is decided at compile time and
    exact: an ``int ** int`` (exact integer arithmetic) or a constant whose exact
    value is a double (``2.0 ** -20``; a faithful ``pow`` must return an exactly
    representable result).  Module-level ``NAME = <int>`` constants count as
    constants.  Instead write ``x * x``, ``K.powi(x, n)``, ``math.ldexp(x, -n)``
    for ``x / 2.0 ** n``, or ``K.exp(y * K.log(x))``.  Integer powers such as
    ``int(n) ** 2``, ``len(a) ** 2`` or ``10 ** (len(s) - 1)`` are integer arithmetic and
    allowed (an int ** a negative int would be a float pow; exponents there are counts).
``@`` and ``.dot(...)``
    BLAS; blocking and FMA use differ per machine.  Use ``K.matmul`` / ``K.dot``.
``math.*``
    Only the functions in ``ALLOWED_MATH`` (correctly rounded or exact).  exp, log,
    log1p, expm1, sin, cos, tan, atan, atan2, tanh, pow, hypot, ... are libm and are
    not; use the kernels.
``np.*`` / ``numpy.*``
    Only the names in ``ALLOWED_NUMPY`` (table in ``docs/determinism.md``).  Names not
    listed, e.g. ``exp``, ``log``, ``tanh``, ``sin``, ``arctan``, ``power``, ``hypot``,
    ``linalg``, ``fft``, ``dot``, ``matmul``, ``tensordot``, ``einsum``, ``argsort``,
    ``norm``, fail until someone adds them *with the reason they are exact*.
``.argsort()``, ``.argpartition()``
    On ties the order depends on the sorting network (AVX-512 builds use x86-simd-sort).
    ``argsort(kind="stable")`` is allowed: a stable permutation is unique.
Random draws through libm
    ``Generator.exponential``, ``gamma``, ``poisson``, ... transform uniforms with
    log/exp (see ``LIBM_DRAWS``).  ``random``, ``standard_normal``, ``integers``,
    ``uniform``, ``normal``, ``permutation``, ``choice`` are allowed.
Modules ``cmath``, ``statistics``, ``random``, ``scipy``, ``sklearn``
    libm inside, or a second random generator beside ``np.random.default_rng``.

Not checked, because the syntax tree does not know types: builtin ``sum()`` over
floats (Python 3.12, the browser's, sums floats with Neumaier compensation and 3.11
does not, so it must only ever add ints; use ``np.sum`` or ``math.fsum`` for floats),
and which NumPy dtype an operation sees.
"""

from __future__ import annotations

import ast
import fractions
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[1] / "pywasm" / "descentlab"
KERNELS = "kernels.py"  # builds the libm replacements; checked by tests/test_kernels.py instead

# math: correctly rounded (IEEE 754 requires it of sqrt), exact (they only move
# bits, round to an integer or compare), or exact by construction (fsum is correctly
# rounded, Shewchuk 1997; the integer functions never round).
ALLOWED_MATH = {
    "sqrt": "correctly rounded (IEEE 754)",
    "floor": "exact", "ceil": "exact", "trunc": "exact", "fabs": "exact", "copysign": "exact",
    "ldexp": "exact (moves the exponent; a subnormal result rounds once, correctly)",
    "frexp": "exact", "modf": "exact", "fmod": "exact (IEEE remainder-type operation)",
    "isfinite": "test", "isinf": "test", "isnan": "test", "isclose": "comparison",
    "nextafter": "exact", "ulp": "exact",
    "fsum": "correctly rounded sum (Shewchuk 1997)",
    "isqrt": "integer", "comb": "integer", "perm": "integer", "factorial": "integer",
    "gcd": "integer", "lcm": "integer",
    "inf": "constant", "nan": "constant", "pi": "constant", "e": "constant", "tau": "constant",
}

# numpy: the left column of the table in docs/determinism.md, plus operations that
# do no floating-point arithmetic at all (construction, shape, indexing, dtypes, tests).
_NO_ARITHMETIC = """
    array asarray ascontiguousarray asfortranarray copy empty empty_like zeros zeros_like ones ones_like
    full full_like eye identity concatenate stack hstack vstack column_stack repeat tile resize append
    reshape ravel transpose swapaxes moveaxis expand_dims squeeze flip roll take take_along_axis put
    broadcast_to broadcast_arrays broadcast_shapes meshgrid diagonal diag triu_indices tril_indices
    indices ix_ nonzero flatnonzero argwhere count_nonzero where select shape ndim size isscalar
    array_equal isfinite isnan isinf signbit equal not_equal less less_equal greater greater_equal
    logical_and logical_or logical_not logical_xor all any bitwise_and bitwise_or bitwise_xor invert
    left_shift right_shift errstate finfo iinfo dtype ndarray float64 float32 int64 int32 int16 int8
    uint64 uint32 uint16 uint8 intp uintp bool_ integer floating number generic inf nan newaxis pi
    shares_memory may_share_memory
"""
# Correctly rounded (IEEE 754 + - * / sqrt) or exact elementwise operations.
_ROUNDED_ONCE = """
    add subtract multiply divide true_divide negative positive abs absolute fabs sqrt square reciprocal
    floor ceil trunc rint maximum minimum fmax fmin clip sign copysign ldexp frexp nextafter spacing
    floor_divide
"""
# Reductions and orderings measured bit-identical (fixed summation order, see the table).
_MEASURED = """
    sum mean var std cumsum cumprod max min amax amin argmax argmin diff linspace arange sort unique
    searchsorted
"""
ALLOWED_NUMPY = set((_NO_ARITHMETIC + _ROUNDED_ONCE + _MEASURED).split())
ALLOWED_NUMPY_RANDOM = {"default_rng", "Generator"}  # the one generator of the lab

# Methods whose result depends on the platform, whatever object they are called on.
TIE_ORDER = {"argsort", "argpartition"}  # (np.partition is simply not on ALLOWED_NUMPY)
LIBM_DRAWS = {
    "exponential", "standard_exponential", "gamma", "standard_gamma", "beta", "chisquare",
    "noncentral_chisquare", "noncentral_f", "standard_t", "standard_cauchy", "lognormal",
    "logistic", "gumbel", "laplace", "pareto", "power", "rayleigh", "vonmises", "wald", "weibull",
    "poisson", "binomial", "negative_binomial", "geometric", "hypergeometric", "logseries", "zipf",
    "dirichlet", "multivariate_normal", "multinomial", "multivariate_hypergeometric", "triangular",
}  # (Generator.f, the F distribution, too, but ".f(" is too common a name to forbid)
FORBIDDEN_MODULES = {"cmath", "statistics", "random", "scipy", "sklearn"}
STABLE_KINDS = {"stable", "mergesort"}


def _constant(node, consts):
    """The value of a compile-time constant expression (numbers, names in ``consts``), else None."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _constant(node.operand, consts)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv,
                                                             ast.LShift, ast.RShift, ast.Pow)):
        a, b = _constant(node.left, consts), _constant(node.right, consts)
        if type(a) is int and type(b) is int and not (isinstance(node.op, ast.Pow) and b < 0):
            ops = {ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__,
                   ast.FloorDiv: int.__floordiv__, ast.LShift: int.__lshift__, ast.RShift: int.__rshift__,
                   ast.Pow: int.__pow__}
            try:
                return ops[type(node.op)](a, b)
            except (ZeroDivisionError, ValueError):
                return None
    return None


def _module_int_constants(tree):
    """``NAME = <int expression>`` at module level (e.g. ``TREE_DEPTH = 10``)."""
    consts = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        v = _constant(value, consts)
        if type(v) is int:
            consts[target.id] = v
    return consts


def _integer(node, consts):
    """True for an expression that is an int whatever the inputs: int constants, ``len(...)``,
    ``int(...)``, and ``+ - * // % << >>`` of those."""
    if type(_constant(node, consts)) is int:
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("int", "len"):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _integer(node.operand, consts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod,
                                                             ast.LShift, ast.RShift)):
        return _integer(node.left, consts) and _integer(node.right, consts)
    return False


def _exact_power(base, exponent, consts):
    """True when ``base ** exponent`` is exact: int ** int, or a constant that is a double."""
    b, e = _constant(base, consts), _constant(exponent, consts)
    if type(e) is not int or b is None:
        # int ** int is integer arithmetic (a negative exponent would make it a float pow: the
        # exponents of the core's integer powers are counts, so that risk is accepted)
        return _integer(base, consts) and _integer(exponent, consts) and not (type(e) is int and e < 0)
    if type(b) is int and e >= 0:
        return True  # integer arithmetic, no rounding at all
    if b == 0:
        return e > 0
    exact = fractions.Fraction(b) ** e
    try:
        return fractions.Fraction(float(exact)) == exact  # representable: a faithful pow returns it
    except OverflowError:
        return False


class _Guard(ast.NodeVisitor):
    def __init__(self, tree, extra_numpy=()):
        self.found = []
        self.consts = _module_int_constants(tree)
        self.aliases = {}  # local name -> dotted module path ("numpy", "math", "numpy.linalg", ".kernels")
        self.allowed_numpy = ALLOWED_NUMPY | set(extra_numpy)

    def flag(self, node, what):
        self.found.append((node.lineno, what))

    # --- imports ---------------------------------------------------------------
    def visit_Import(self, node):
        for a in node.names:
            top = a.name.split(".")[0]
            if top in FORBIDDEN_MODULES:
                self.flag(node, f"import {a.name}: not bit-identical (libm inside, or a second RNG)")
            self.aliases[a.asname or top] = a.name if a.asname else top
            if top == "numpy" and a.name != "numpy":
                self._check_numpy_path(node, a.name.split(".")[1:])

    def visit_ImportFrom(self, node):
        mod = ("." * node.level) + (node.module or "")
        top = (node.module or "").split(".")[0] if node.level == 0 else ""
        if top in FORBIDDEN_MODULES:
            self.flag(node, f"from {mod} import ...: not bit-identical (libm inside, or a second RNG)")
        for a in node.names:
            full = f"{mod}.{a.name}" if mod and not mod.endswith(".") else mod + a.name
            self.aliases[a.asname or a.name] = full
            if top == "math" and a.name not in ALLOWED_MATH:
                self.flag(node, f"from math import {a.name}: libm, not correctly rounded; use the kernels")
            if top == "numpy":
                self._check_numpy_path(node, (node.module or "").split(".")[1:] + [a.name])

    # --- names and attributes --------------------------------------------------
    def _dotted(self, node):
        """('numpy', ['linalg', 'norm']) for ``np.linalg.norm`` when ``np`` aliases numpy."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.aliases:
            path = self.aliases[node.id].split(".")
            return path[0], path[1:] + parts[::-1]
        return None, None

    def _check_numpy_path(self, node, parts):
        if not parts:
            return
        head = parts[0]
        if head == "random":
            if len(parts) > 1 and parts[1] not in ALLOWED_NUMPY_RANDOM:
                self.flag(node, f"np.random.{parts[1]}: use np.random.default_rng(seed)")
        elif head not in self.allowed_numpy:
            self.flag(node, f"np.{'.'.join(parts)}: not on the bit-identical list (docs/determinism.md)")

    def visit_Attribute(self, node):
        top, parts = self._dotted(node)
        if top is not None:
            if top == "numpy":
                self._check_numpy_path(node, parts)
            elif top == "math" and parts and parts[0] not in ALLOWED_MATH:
                self.flag(node, f"math.{parts[0]}: libm, not correctly rounded; use the kernels")
            return  # one report per chain: do not descend into np.linalg inside np.linalg.norm
        self.generic_visit(node)

    def visit_Name(self, node):
        target = self.aliases.get(node.id)
        if target and target.split(".")[0] == "numpy" and "." in target:
            self._check_numpy_path(node, target.split(".")[1:])
        if target and target.startswith("math.") and target.split(".")[1] not in ALLOWED_MATH:
            self.flag(node, f"{node.id} ({target}): libm, not correctly rounded; use the kernels")

    # --- operators -------------------------------------------------------------
    def visit_BinOp(self, node):
        if isinstance(node.op, ast.MatMult):
            self.flag(node, "@: BLAS; use K.matmul")
        if isinstance(node.op, ast.Pow) and not _exact_power(node.left, node.right, self.consts):
            self.flag(node, f"{ast.unparse(node)}: float ** is libm pow; use x * x, K.powi, math.ldexp or "
                            "K.exp/K.log (an int? int(x) ** 2)")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if isinstance(node.op, ast.MatMult):
            self.flag(node, "@=: BLAS; use K.matmul")
        if isinstance(node.op, ast.Pow):
            self.flag(node, "**=: calls libm pow; use K.powi")
        self.generic_visit(node)

    def visit_Call(self, node):
        f = node.func
        if isinstance(f, ast.Name) and f.id == "pow" and f.id not in self.aliases and len(node.args) == 2:
            if not _exact_power(node.args[0], node.args[1], self.consts):
                self.flag(node, "pow(x, y): libm pow; use K.powi or K.exp/K.log")
        if isinstance(f, ast.Attribute):
            top, _ = self._dotted(f)
            if top is None:  # a method of some object (modules are checked by visit_Attribute)
                stable = any(k.arg == "kind" and isinstance(k.value, ast.Constant) and k.value.value in STABLE_KINDS
                             for k in node.keywords)
                if f.attr == "dot":
                    self.flag(node, ".dot(): BLAS; use K.matmul or K.dot")
                elif f.attr in TIE_ORDER and not (f.attr == "argsort" and stable):
                    self.flag(node, f".{f.attr}(): order of ties differs per platform; use np.sort on keys "
                                    "that carry the index, or argsort(kind=\"stable\")")
                elif f.attr in LIBM_DRAWS:
                    self.flag(node, f".{f.attr}(): draws through libm; derive it from random()/standard_normal()")
        self.generic_visit(node)


def violations(source, extra_numpy=()):
    """``[(line, what), ...]`` for every operation outside the deterministic set in ``source``."""
    tree = ast.parse(source)
    guard = _Guard(tree, extra_numpy)
    guard.visit(tree)
    return sorted(guard.found)


def core_modules():
    return sorted(p for p in CORE.rglob("*.py") if p.name != KERNELS or p.parent != CORE)


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_uses_only_bit_identical_operations(path):
    found = violations(path.read_text(encoding="utf-8"))
    where = path.relative_to(CORE.parents[1])
    assert not found, "\n".join(f"{where}:{line}: {what}" for line, what in found)


def test_kernels_module_calls_no_libm():
    """The kernels replace libm, so they must not call it either; ``einsum`` is their matmul route.

    ``K.matmul`` calls ``np.einsum(..., optimize=False)`` on C-contiguous operands only:
    measured bit-identical (docs/determinism.md); nothing else may call einsum.
    """
    found = violations((CORE / KERNELS).read_text(encoding="utf-8"), extra_numpy={"einsum"})
    assert not found, "\n".join(f"kernels.py:{line}: {what}" for line, what in found)


# --- the guard itself: it must be able to fail ------------------------------------

FLAGGED = {
    "np.exp(x)": "import numpy as np\ny = np.exp(x)\n",
    "numpy.log": "import numpy\ny = numpy.log(x)\n",
    "np.tanh": "import numpy as np\ny = np.tanh(x)\n",
    "np.arctan2": "import numpy as np\ny = np.arctan2(y, x)\n",
    "np.power": "import numpy as np\ny = np.power(x, 1.5)\n",
    "np.linalg.norm": "import numpy as np\ny = np.linalg.norm(x)\n",
    "np.linalg.eigh": "import numpy as np\nw, v = np.linalg.eigh(C)\n",
    "np.fft": "import numpy as np\ny = np.fft.rfft(x)\n",
    "np.hypot": "import numpy as np\ny = np.hypot(a, b)\n",
    "np.dot": "import numpy as np\ny = np.dot(a, b)\n",
    "np.matmul": "import numpy as np\ny = np.matmul(a, b)\n",
    "np.einsum": "import numpy as np\ny = np.einsum('ij,jk->ik', a, b)\n",
    "np.argsort": "import numpy as np\ni = np.argsort(x)\n",
    "np.random.normal": "import numpy as np\ny = np.random.normal(size=3)\n",
    "from numpy import exp": "from numpy import exp\ny = exp(x)\n",
    "from numpy import linalg": "from numpy import linalg\ny = linalg.norm(x)\n",
    "import numpy.linalg": "import numpy.linalg\n",
    "math.exp": "import math\ny = math.exp(x)\n",
    "math.hypot": "import math\ny = math.hypot(a, b)\n",
    "math.pow": "import math\ny = math.pow(x, 2)\n",
    "from math import log": "from math import log\ny = log(x)\n",
    "cmath": "import cmath\n",
    "random": "import random\n",
    "float ** 2": "y = (side / angle) ** 2\n",
    "** 0.5": "y = x ** 0.5\n",
    "** name": "y = 2.0 ** depth\n",
    "subscript ** 2": "cells = spec['grid'] ** 2\n",
    "float() ** 2": "y = float(n) ** 2\n",
    "int ** negative": "y = 10 ** -1\n",
    "int ** float": "y = len(a) ** 0.5\n",
    "10.0 ** u": "y = 10.0 ** u\n",
    "inexact constant": "y = 10.0 ** -1\n",
    "**=": "x **= 2\n",
    "pow()": "y = pow(x, 2)\n",
    "@": "y = a @ b\n",
    "@=": "a @= b\n",
    ".dot": "y = a.dot(b)\n",
    ".argsort": "i = x.argsort()\n",
    ".argpartition": "i = x.argpartition(3)\n",
    "rng.exponential": "y = rng.exponential(1.0, 5)\n",
}

ALLOWED = {
    "int ** int": "MAX_SEED = 2**32 - 1\n",
    "power of two": "y = side * (1.0 + 2.0 ** -20)\n",
    "exact constant": "y = 10.0 ** 6\n",
    "module constant": "DEPTH = 10\nCELLS = 2 ** DEPTH\ny = 2 ** DEPTH\n",
    "int() ** 2": "cells = int(spec['grid']) ** 2 + len(points) ** 2\n",
    "10 ** count": "big = 10 ** (len(digits) - 1)\n",
    "square by product": "r = side / angle\ny = r * r\n",
    "kernels": "from . import kernels as K\ny = K.exp(x) + K.dot(a, b) + K.matmul(a, b) + K.powi(x, 3)\n",
    "math.sqrt": "import math\ny = math.sqrt(x) + math.ldexp(x, -3) + math.floor(x)\n",
    "numpy basics": "import numpy as np\ny = np.sqrt(np.maximum(x, 0.0)).sum() + np.sort(x)[0] + np.cumsum(x)[-1]\n",
    "rng": "import numpy as np\nrng = np.random.default_rng(0)\ny = rng.standard_normal(3) + rng.random(3)\n",
    "stable argsort": "i = x.argsort(kind='stable')\n",
    "other modules": "import json, re\nfrom .validate import Fields\n",
}


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_guard_flags(name):
    assert violations(FLAGGED[name]), f"the guard missed {name!r}"


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_guard_allows(name):
    assert violations(ALLOWED[name]) == []


def test_guard_reports_line_and_reason():
    found = violations("import numpy as np\n\nx = 1.0\ny = np.exp(x)\n")
    assert found == [(4, "np.exp: not on the bit-identical list (docs/determinism.md)")]


def test_allowed_names_exist():
    """A misspelt entry would silently allow nothing; every listed name must be real."""
    import math

    import numpy as np

    assert all(hasattr(math, name) for name in ALLOWED_MATH)
    assert all(hasattr(np, name) for name in ALLOWED_NUMPY)
    assert not ALLOWED_NUMPY & {"exp", "log", "tanh", "sin", "cos", "arctan", "power", "linalg", "fft",
                                "dot", "matmul", "tensordot", "einsum", "argsort", "hypot", "vdot", "inner"}
