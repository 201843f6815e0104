"""The check on results, and the hypothesis strategies of the "every input is answered" tests.

Two outcomes are allowed for any spec: a result whose every number is finite
(:func:`finite_problems` finds the others), or a ``SpecError`` naming a field
(:func:`runs_or_spec_error` checks both).  The strategies draw the classes of
input of :mod:`mutations` (huge integers, awkward keys, mutated specs of every
kind) for the property tests of ``test_answered.py``; the small valid specs come
from :mod:`spec_builders`.
"""

from __future__ import annotations

import json
import math
import random
import reprlib

from hypothesis import strategies as st

from descentlab import SpecError, run
from descentlab.optimizers import REGISTRY
from mutations import HUGE_INTS, MUTATIONS, NOT_FINITE, dicts, nested, places, random_spec  # noqa: F401
from spec_builders import BUILDERS, NAMES  # noqa: F401

# --- the check on results ---------------------------------------------------------

# Keys whose value may be null, as documented: "no such thing" rather than a missing number.
NULLABLE = {
    "diverged_at",  # the run did not diverge
    "f_min",  # the function has no minimum (saddle)
    "boundary_grid", "boundary", "layers",  # the data is not 2-D / no boundary this epoch
    "class_names", "recipe", "label", "color",  # not numbers at all
    "kl",  # t-SNE: before the first evaluation of the objective
}


def finite_problems(result, limit: int = 5) -> list[str]:
    """Where ``result`` holds NaN, inf, or null where a number belongs (at most ``limit``).

    A regime map's ``final_loss`` cell may be null exactly where its
    ``diverged_at`` cell is not.
    """
    problems: list[str] = []
    stack = [(result, "", None)]
    while stack and len(problems) < limit:
        value, path, key = stack.pop()
        if isinstance(value, dict):
            if value.get("kind") == "regime" and "final_loss" in value:
                problems += _regime_nulls(value, path)
                value = {k: v for k, v in value.items() if k != "final_loss"}
            stack.extend((v, f"{path}.{k}", k) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, f"{path}[{i}]", key) for i, v in enumerate(value))
        elif value is None:
            if key not in NULLABLE:
                problems.append(f"{path}: null")
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{path}: {value}")
        elif hasattr(value, "dtype"):  # an array left in the result
            problems.append(f"{path}: an array, not a list")
    return problems[:limit]


def _regime_nulls(result: dict, path: str) -> list[str]:
    out = []
    for i, (losses, diverged) in enumerate(zip(result["final_loss"], result["diverged_at"])):
        for j, (loss, at) in enumerate(zip(losses, diverged)):
            where = f"{path}.final_loss[{i}][{j}]"
            if loss is None and at is None:
                out.append(f"{where}: null, yet the cell did not diverge")
            elif loss is not None and not math.isfinite(loss):
                out.append(f"{where}: {loss}")
    return out


def assert_finite(result) -> None:
    problems = finite_problems(result)
    assert not problems, "; ".join(problems)


def runs_or_spec_error(spec):
    """The two outcomes: a SpecError naming a field, or a result with every number finite."""
    try:
        result = run(spec)
    except SpecError as e:
        assert e.field.strip() and e.message, repr(e.field)
        return None
    assert_finite(result)
    json.dumps(result, allow_nan=False)
    return result


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 8, 80, 80, 12, 16


def short(spec) -> str:
    """A bounded repr of a spec (safe for specs nested 100,000 deep)."""
    return _SHORT.repr(spec)


# --- hypothesis strategies ----------------------------------------------------------

big_ints = st.one_of(st.integers(min_value=2**53), st.integers(max_value=-(2**53)), st.sampled_from(HUGE_INTS))
not_finite = st.sampled_from(NOT_FINITE)
awkward_keys = st.sampled_from(["", " ", ".", "[0]", "__proto__", "k" * 300, "\x00", "é"])


def from_rng(builder, mutate: bool = False):
    """A strategy drawing ``builder(rng)`` (and, with ``mutate``, one mutation) from a seed."""
    def build(seed):
        rng = random.Random(seed)
        spec = builder(rng)
        if mutate:
            rng.choice(MUTATIONS)(rng, spec)
        return spec
    return st.builds(build, st.integers(0, 2**32 - 1))


@st.composite
def with_big_int(draw, builder):
    """A valid spec with one number (or list item) replaced by a huge integer."""
    spec = draw(from_rng(builder))
    numbers = [(n, k) for n, k in places(spec)
               if isinstance(n[k], (int, float)) and not isinstance(n[k], bool)]
    if numbers:
        node, key = draw(st.sampled_from(numbers))
        node[key] = draw(big_ints)
    return spec


@st.composite
def with_awkward_key(draw, builder):
    """A valid spec with an empty (or otherwise awkward) key added to one of its objects."""
    spec = draw(from_rng(builder))
    target = draw(st.sampled_from(dicts(spec)))
    target[draw(awkward_keys)] = draw(st.sampled_from([1, None, "", {}]))
    return spec


@st.composite
def regime_sweeps(draw):
    """A regime map over the whole range of two parameters: cells may combine into forbidden settings."""
    name = draw(st.sampled_from(["sgd", "momentum", "nesterov"]))
    optimizer = {"name": name, "nesterov": draw(st.booleans()), "ema": draw(st.booleans())}
    optimizer["momentum"] = draw(st.sampled_from([0.0, 0.5, 0.9]))
    optimizer["dampening"] = draw(st.sampled_from([0.0, 0.5]))
    params = ["lr", "momentum", "dampening", "weight_decay"]
    x, y = draw(st.lists(st.sampled_from(params), min_size=2, max_size=2, unique=True))
    lo, hi, _ = REGISTRY[name].ranges[y]
    y_axis = {"param": y, "min": draw(st.sampled_from([lo, 0.0, 0.001, 0.5])),
              "max": draw(st.sampled_from([hi, 0.5, 0.9])), "n": draw(st.integers(2, 5))}
    xlo, xhi, _ = REGISTRY[name].ranges[x]
    return {"kind": "regime", "function": "quadratic", "steps": 3, "optimizer": optimizer,
            "x": {"param": x, "min": xlo if xlo > 0 else 0.0, "max": xhi, "n": 3, "scale": "linear"},
            "y": dict(y_axis, scale="linear")}


@st.composite
def degenerate_projections(draw):
    """Projections of one snapshot, identical snapshots, 1-D data, a hidden layer one unit wide."""
    n_features = draw(st.sampled_from([1, 2, 3]))
    identical = draw(st.booleans())
    points = [[0.5] * n_features if identical else [float(i % 5)] + [0.0] * (n_features - 1) for i in range(20)]
    net = {"dataset": {"points": points, "labels": [i % 2 for i in range(20)]},
           "model": {"hidden": draw(st.sampled_from([[], [1], [1, 1], [2]])),
                     "activation": draw(st.sampled_from(NAMES["activation"]))},
           "epochs": 1, "batch_size": draw(st.sampled_from([16, 64])),
           "snapshot_every": draw(st.sampled_from([1, 50])),
           "optimizers": [{"name": "sgd", "lr": draw(st.sampled_from([1e-6, 0.1]))}] * draw(st.integers(1, 2))}
    return {"kind": "projection", "network": net, "max_iter": 250, "grid": 5,
            "target": draw(st.sampled_from(["trajectories", "activations", "data"]))}


spec_files = st.one_of(
    st.binary(max_size=40),  # mostly not UTF-8, or not JSON
    st.sampled_from([b"\xff\xfe{}", b'{"kind": "landscape"\xff}', b"\x00", "{\"k\": \"é\"}".encode("latin-1")]),
    st.integers(1, 200_000).map(lambda d: b"[" * d + b"]" * d),
    st.integers(1, 200_000).map(lambda d: b'{"kind": ' + b"[" * d + b"]" * d + b"}"),
    st.integers(4300, 6000).map(lambda digits: b'{"kind": "landscape", "steps": 1' + b"0" * digits + b"}"),
)


# --- custom functions: random expressions over the whole grammar ---------------------

_EXPR_UNARY = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "abs", "sinh", "cosh", "atan"]


def random_expression(rng: random.Random, depth: int = 3) -> str:
    """A random expression of descentlab.expression's grammar, at most ``depth`` operations deep.

    Arguments of log and sqrt are kept positive (``1 + a*a``) and exponents small, so
    most draws are smooth and finite on [-2, 2]² and a finite-difference check applies.
    """
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(["x", "y", "x", "y", "pi", "e", f"{rng.uniform(-3, 3):.3g}", str(rng.randint(1, 9))])
    a = random_expression(rng, depth - 1)
    kind = rng.random()
    if kind < 0.45:
        b = random_expression(rng, depth - 1)
        op = rng.choice(["+", "-", "*", "/", "**"])
        if op == "/":
            return f"({a}) / (2 + sin({b}))"
        if op == "**":
            return f"({a}) ** {rng.choice(['2', '3', '-1', '0.5', '(1 + cos(x))'])}" if "**" not in a \
                else f"({a}) * ({b})"
        return f"({a}) {op} ({b})"
    if kind < 0.55:
        return f"-({a})"
    if kind < 0.65:
        return f"{rng.choice(['min', 'max'])}({a}, {random_expression(rng, depth - 1)})"
    fn = rng.choice(_EXPR_UNARY)
    if fn in ("log", "sqrt"):
        return f"{fn}(1 + ({a}) * ({a}))"
    if fn in ("exp", "sinh", "cosh", "tan"):
        return f"{fn}(sin({a}))"  # bounded argument: no overflow, tan away from its poles
    return f"{fn}({a})"


# --- tune: its grid's loss is null exactly where the run diverged ----------------------

_finite_problems_of_other_kinds = finite_problems


def finite_problems(result, limit: int = 5) -> list[str]:  # noqa: F811 - extends the check above
    """:func:`finite_problems` above, and a tune's ``grid.loss``: null exactly where ``grid.diverged``."""
    if not (isinstance(result, dict) and result.get("kind") == "tune" and isinstance(result.get("tuned"), list)):
        return _finite_problems_of_other_kinds(result, limit)
    problems, tuned = [], []
    for i, t in enumerate(result["tuned"]):
        grid = t["grid"]
        for j, (loss, diverged) in enumerate(zip(grid["loss"], grid["diverged"], strict=True)):
            where = f".tuned[{i}].grid.loss[{j}]"
            if (loss is None) != diverged:
                problems.append(f"{where}: {loss} where diverged is {diverged}")
            elif loss is not None and not math.isfinite(loss):
                problems.append(f"{where}: {loss}")
        tuned.append(dict(t, grid={k: v for k, v in grid.items() if k != "loss"}))
    return (problems + _finite_problems_of_other_kinds(dict(result, tuned=tuned), limit))[:limit]


def _draw_tunes() -> None:
    """random_spec draws kinds by mutations.WEIGHTS: give the tune kind a share there (as the network's)."""
    import mutations
    mutations.WEIGHTS.setdefault("tune", 3)


_draw_tunes()
