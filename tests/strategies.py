"""Generated specs for the "every input is answered" tests, and the check on results.

Two outcomes are allowed for any spec: a result whose every number is finite
(:func:`finite_problems` finds the others), or a ``SpecError`` naming a field.

``random_spec(rng)`` draws one spec of any kind from a seeded ``random.Random``:
a small valid spec (:data:`BUILDERS`), then, most of the time, a few
:data:`MUTATIONS` of it (wrong types, values out of range, huge integers, NaN,
empty and unknown keys, deep nesting, missing fields).  Valid specs stay tiny
(few steps, epochs, points and iterations) so thousands run in a minute.  The
hypothesis strategies at the end draw the same classes of input for the
property tests of ``test_specs.py``.
"""

from __future__ import annotations

import copy
import functools
import math
import random
import reprlib

from hypothesis import strategies as st

from descentlab.functions import FUNCTIONS
from descentlab.optimizers import REGISTRY

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


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 8, 80, 80, 12, 16


def short(spec) -> str:
    """A bounded repr of a spec (safe for specs nested 100,000 deep)."""
    return _SHORT.repr(spec)


# --- small valid specs, one builder per kind --------------------------------------

NAMES = {
    "function": sorted(FUNCTIONS), "optimizer": sorted(REGISTRY),
    "dataset": ["moons", "circles", "spirals", "blobs", "xor", "checkerboard", "linear", "digits"],
    "activation": ["relu", "leaky_relu", "tanh", "sigmoid", "gelu"],
    "loss": ["cross_entropy", "binary_cross_entropy", "mse"],
}
DESCRIPTIONS = [
    "three spirals with a little noise", "two moons, 300 points", "blobs with 4 classes and outliers",
    "xor, very noisy, 50 points each", "a bullseye", "imbalanced circles", "moons plus a rare blob",
    "nothing I can use", "", "10000000000000000000000000000 points of moons", "moons 1e400",
    "checkerboard, seed 99999999999999999999", "spirals with 9 arms", "linear data, huge",
    "moons seed " + "9" * 400, "moons " + "9" * 400 + " points", "blobs with " + "9" * 400 + "k classes",
]
CSVS = [
    "x1,x2,label\n1,2,a\n3,4,b\n5,6,a\n",
    "a;b;c\n1,5;2;x\n3;4,25;y\n",
    "x,label\n1,0\n1,1\n1,0\n",  # one feature, all points identical
    "x,y,z,label\n0,0,0,a\n0,0,0,b\n0,0,0,a\n",  # three features, zero variance
    "x,label\n1e400,a\n2,b\n",
    "x,label\nnan,a\n2,b\n",
    "label\n1\n2\n",
    "",
    '"x","y","label"\n"1","2","3"\n4,5,"6"\n',
]


def _number(rng: random.Random, lo: float, hi: float, kind: str = "float"):
    if kind == "int":
        return rng.randint(int(lo), int(hi))
    if kind == "log" and lo > 0:
        return lo * (hi / lo) ** rng.random()
    return lo + (hi - lo) * rng.random()


def _optimizer(rng: random.Random, name: str | None = None) -> dict:
    name = name or rng.choice(NAMES["optimizer"])
    entry = {"name": name}
    for key, (lo, hi, kind) in REGISTRY[name].ranges.items():
        if rng.random() < 0.3:
            entry[key] = rng.random() < 0.5 if kind == "bool" else _number(rng, lo, hi, kind)
    if rng.random() < 0.1:
        entry["label"] = rng.choice(["mine", "", "x" * 60])
    if rng.random() < 0.1:
        entry["color"] = rng.choice(["#1f77b4", "#ABCDEF"])
    return entry


def _function(rng: random.Random, spec: dict) -> dict:
    name = rng.choice(NAMES["function"])
    spec["function"] = name
    params = FUNCTIONS[name].params
    if params and rng.random() < 0.5:
        spec["function_params"] = {k: _number(rng, p["min"], p["max"]) for k, p in params.items()}
    return spec


def _start(rng: random.Random, name: str) -> list:
    (x0, x1), (y0, y1) = FUNCTIONS[name].domain
    return [_number(rng, x0, x1), _number(rng, y0, y1)]


def landscape(rng: random.Random) -> dict:
    spec = _function(rng, {"kind": "landscape"})
    if rng.random() < 0.7:
        spec["start"] = _start(rng, spec["function"])
    spec["steps"] = rng.choice([1, 2, 10, 50, 200])
    spec["optimizers"] = [_optimizer(rng) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        spec["record_state"] = rng.random() < 0.5
    if rng.random() < 0.2:
        spec["only"] = rng.randrange(len(spec["optimizers"]))
    return spec


def grid(rng: random.Random) -> dict:
    spec = _function(rng, {"kind": "grid"})
    spec["size"] = [rng.randint(2, 24), rng.randint(2, 24)]
    if rng.random() < 0.7:  # each level costs a marching-squares pass, even on a small grid
        spec["levels"] = rng.choice([0, 1, 2, 7, 20, 60])
    if rng.random() < 0.3:
        lo = [_number(rng, -1e4, 1e4) for _ in range(2)]
        spec["domain"] = [[v, v + 10 ** rng.uniform(-8, 4)] for v in lo]
    return spec


def _axis(rng: random.Random, name: str, exclude: str | None = None) -> dict:
    ranges = REGISTRY[name].ranges
    params = sorted(k for k, (_, _, kind) in ranges.items() if kind != "bool" and k != exclude)
    param = rng.choice(params)
    lo, hi, kind = ranges[param]
    a, b = sorted(_number(rng, lo, hi, kind) for _ in range(2))
    if rng.random() < 0.4:
        a, b = lo, hi  # the whole range, ends included: where forbidden combinations live
    axis = {"param": param, "min": a, "max": b if b > a else hi, "n": rng.randint(2, 5)}
    if rng.random() < 0.3:
        axis["scale"] = "linear" if lo <= 0 or rng.random() < 0.5 else "log"
    return axis


def regime(rng: random.Random) -> dict:
    spec = _function(rng, {"kind": "regime"})
    if rng.random() < 0.3:
        spec["start"] = _start(rng, spec["function"])
    spec["steps"] = rng.choice([1, 5, 20, 60])
    spec["optimizer"] = _optimizer(rng)
    spec["x"] = _axis(rng, spec["optimizer"]["name"])
    spec["y"] = _axis(rng, spec["optimizer"]["name"], exclude=spec["x"]["param"])
    return spec


def _points(rng: random.Random, n: int, d: int, labels: int = 2) -> tuple[list, list]:
    shape = rng.choice(["random", "identical", "line", "ints"])
    if shape == "identical":
        points = [[1.5] * d for _ in range(n)]
    elif shape == "line":
        points = [[float(i)] + [0.0] * (d - 1) for i in range(n)]
    elif shape == "ints":
        points = [[rng.randint(-3, 3) for _ in range(d)] for _ in range(n)]
    else:
        points = [[rng.gauss(0.0, 1.0) for _ in range(d)] for _ in range(n)]
    return points, [i % labels for i in range(n)]


def _named(rng: random.Random, lo: int = 20, hi: int = 120) -> dict:
    name = rng.choice(NAMES["dataset"])
    out = {"name": name, "n": rng.randint(lo, hi)}
    if name != "digits":
        out["noise"] = rng.choice([0.0, 0.1, 0.5])
        if name in ("spirals", "blobs") and rng.random() < 0.5:
            out["classes"] = rng.randint(2, 4)
    if rng.random() < 0.5:
        out["seed"] = rng.randint(0, 2**32 - 1)
    return out


def _recipe(rng: random.Random) -> dict:
    comps = [{"generator": rng.choice(["moons", "blobs", "circles"]), "n": rng.randint(10, 60)}]
    if rng.random() < 0.5:
        comps.append({"generator": "blob", "n": rng.randint(5, 30), "shift": [3.0, -2.0], "scale": 0.5})
    return {"components": comps, "seed": rng.randint(0, 9)}


def dataset(rng: random.Random) -> dict:
    source = rng.choice(["name", "recipe", "describe", "csv", "points"])
    if source == "name":
        data = _named(rng, 20, 300)
    elif source == "recipe":
        data = {"recipe": _recipe(rng)}
    elif source == "describe":
        data = {"describe": rng.choice(DESCRIPTIONS)}
    elif source == "csv":
        data = {"csv": rng.choice(CSVS)}
        if rng.random() < 0.3:
            data["label_column"] = rng.choice([0, -1, "label", "x", 10**400, -(10**5000)])
    else:
        points, labels = _points(rng, rng.randint(2, 30), rng.choice([1, 2, 3, 5]))
        data = {"points": points, "labels": labels}
    spec = {"kind": "dataset", "dataset": data}
    if rng.random() < 0.3:
        spec["samples"] = rng.randint(0, 10)
    if rng.random() < 0.3:
        spec["standardize"] = rng.random() < 0.5
    return spec


def _tiny_network(rng: random.Random) -> dict:
    if rng.random() < 0.2:
        points, labels = _points(rng, 20, rng.choice([1, 2, 3]))
        data = {"points": points, "labels": labels}
    elif rng.random() < 0.1:
        data = {"recipe": {"components": [{"generator": "moons", "n": 20}]}}
    else:
        data = _named(rng, 20, 40)
        if data["name"] == "digits":
            data = {"name": "moons", "n": data["n"]}
    spec = {"kind": "network", "dataset": data,
            "model": {"hidden": rng.choice([[], [1], [2], [3, 2]]),
                      "activation": rng.choice(NAMES["activation"])},
            "loss": rng.choice(["cross_entropy", "cross_entropy", "mse", "binary_cross_entropy"]),
            "batch_size": rng.choice([8, 16, 64]), "epochs": rng.randint(1, 2),
            "snapshot_every": rng.choice([1, 2, 5]), "boundary_size": 8,
            "optimizers": [_optimizer(rng) for _ in range(rng.randint(1, 2))]}
    if rng.random() < 0.3:
        spec["seed"] = rng.randint(0, 5)
    if rng.random() < 0.2:
        spec["l2"] = rng.choice([0.0, 0.01, 1.0])
    return spec


def network(rng: random.Random) -> dict:
    return _tiny_network(rng)


def tsne(rng: random.Random) -> dict:
    if rng.random() < 0.5:
        points, _ = _points(rng, rng.randint(5, 25), rng.choice([1, 2, 3]))
        source = {"points": points}
    else:
        source = _named(rng, 5, 40)
    if rng.random() < 0.2:  # the earlier form, data: {dataset: name, ...}, still accepted
        source = {"dataset": source.pop("name"), **source} if "name" in source else source
        where = "data"
    else:
        where = "dataset"
    spec = {"kind": "tsne", where: source, "max_iter": rng.choice([1, 5, 30]),
            "perplexity": rng.choice([1.0, 1.2, 1.5]), "init": rng.choice(["pca", "random"])}
    if rng.random() < 0.4:
        spec["method"] = rng.choice(["auto", "exact", "barnes_hut"])
    if rng.random() < 0.2:
        spec["learning_rate"] = rng.choice(["auto", 10.0, 1e6])
    if rng.random() < 0.2:
        spec["early_exaggeration_iter"] = rng.randint(0, spec["max_iter"])
    return spec


def projection(rng: random.Random) -> dict:
    net = _tiny_network(rng)
    net.update(epochs=1, snapshot_every=1)  # a run of one epoch may be a single step
    net.pop("kind")
    spec = {"kind": "projection", "network": net, "max_iter": 250, "grid": 5,
            "target": rng.choice(["trajectories", "trajectories", "activations", "data"])}
    if rng.random() < 0.3:
        spec["perplexity"] = rng.choice([1.0, 5.0, 100.0])
    if rng.random() < 0.2:
        spec["layer"] = rng.choice([-1, 0])
    return spec


BUILDERS = {"landscape": landscape, "grid": grid, "regime": regime, "dataset": dataset,
            "network": network, "tsne": tsne, "projection": projection}

# Valid field by field, far over the work budget as a whole: each must be refused before it runs.
_BIG_NET = {"dataset": {"name": "moons", "n": 5000}, "model": {"hidden": [256, 256, 128]}, "epochs": 1000,
            "batch_size": 100, "snapshot_every": 1000, "optimizers": [{"name": "adam"}] * 12}
OVERSIZED = [
    {"kind": "network", **_BIG_NET},  # about 6.7 hours natively before the budget
    {"kind": "network", **_BIG_NET, "batch_size": 1, "epochs": 12, "snapshot_every": 50_000},
    {"kind": "network", **_BIG_NET, "model": {"hidden": [64]}, "epochs": 100, "snapshot_every": 1},
    {"kind": "projection", "network": dict(_BIG_NET, epochs=100, snapshot_every=1, model={"hidden": [16]}),
     "max_iter": 2000},
    {"kind": "projection", "network": dict(_BIG_NET, epochs=1000, snapshot_every=1, model={"hidden": [4]},
                                           optimizers=[{"name": "sgd"}] * 2), "max_iter": 2000},
    {"kind": "tsne", "data": {"dataset": "moons", "n": 5000}, "max_iter": 10_000, "method": "barnes_hut"},
    {"kind": "tsne", "data": {"dataset": "moons", "n": 5000}, "max_iter": 10_000, "method": "exact"},
]

# --- mutations --------------------------------------------------------------------

HUGE_INTS = [10**20, -(10**20), 2**63, 2**64 + 1, 10**308, 10**309, 10**400, -(10**400), 10**4000]
NOT_FINITE = [float("nan"), float("inf"), float("-inf")]
WRONG_TYPES = [None, True, False, "", "1", "adam", [], [1], {}, {"a": 1}, [[1, 2]], 0.5, -1, 0, 1e300]


def nested(depth: int, leaf=1, as_dict: bool = False):
    """``[[[...leaf...]]]`` (or ``{"a": {"a": ...}}``) ``depth`` levels deep, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


def _places(spec, max_depth: int = 8) -> list[tuple]:
    """Every (container, key) in ``spec`` down to ``max_depth``, the root's keys included;
    long lists sampled (their first three items)."""
    out, stack = [], [(spec, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            keys = list(node)
        elif isinstance(node, list):
            keys = list(range(min(len(node), 3)))
        else:
            continue
        for key in keys:
            out.append((node, key))
            if depth < max_depth:
                stack.append((node[key], depth + 1))
    return out


def _dicts(spec) -> list[dict]:
    return [node[key] for node, key in _places(spec) if isinstance(node[key], dict)] + [spec]


def _replace(rng, spec, choices):
    places = _places(spec)
    if places:
        node, key = rng.choice(places)
        node[key] = choices(rng, node[key]) if callable(choices) else rng.choice(choices)


def _out_of_range(rng, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return rng.choice([-1, 0, 10**6, 1e-300])
    if isinstance(value, int):  # integer arithmetic: the value may already be huge
        return rng.choice([-value - 1, value * 1000 + 10**6, value - 10**9, 0, -1])
    return rng.choice([-value - 1, value * 1000 + 1e6, value - 1e9, value + 0.5, -1e-9, 0])


def _nearby(rng, value):
    """Another value of the same type, often still valid: a cheap way to reach the edges."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice([value - 1, value + 1, value * 2, 0, 1, 2])
    if isinstance(value, float):
        return rng.choice([value * 0.5, value * 1.5, 0.0, 1.0, value + 1e-12, -value])
    if isinstance(value, str):
        return rng.choice(sum(NAMES.values(), []) + list(BUILDERS) + ["", "x" * 2000, "é"])
    if isinstance(value, list):
        return rng.choice([value[:1], value[1:], value + value, [], value * 30])
    return value


def m_wrong_type(rng, spec):
    _replace(rng, spec, WRONG_TYPES)


def m_out_of_range(rng, spec):
    _replace(rng, spec, _out_of_range)


def m_huge_int(rng, spec):
    _replace(rng, spec, HUGE_INTS)


def m_not_finite(rng, spec):
    _replace(rng, spec, NOT_FINITE)


def m_nearby(rng, spec):
    _replace(rng, spec, _nearby)


NESTED_LEAVES = [1, "x", None, float("nan")]
FRESH_LEVELS = 10  # the top of a deep value is new each time; mutations reach only 8 levels down


@functools.lru_cache(maxsize=None)
def _deep_tail(depth: int, leaf: int, as_dict: bool):
    # shared between specs, never mutated (below every mutation's reach): 100,000 levels once
    return nested(depth, NESTED_LEAVES[leaf], as_dict)


def m_nested(rng, spec):
    depth = rng.choice([3, 25, 50, 1000, 1000, 100_000])
    leaf, as_dict = rng.randrange(len(NESTED_LEAVES)), rng.random() < 0.3
    tail = max(depth - FRESH_LEVELS, 0)
    _replace(rng, spec, lambda r, v: nested(depth - tail, _deep_tail(tail, leaf, as_dict), as_dict))


def m_missing(rng, spec):
    places = [(n, k) for n, k in _places(spec) if isinstance(n, dict)]
    if places:
        node, key = rng.choice(places)
        del node[key]


def m_unknown_key(rng, spec):
    rng.choice(_dicts(spec))[rng.choice(["lerning_rate", "x", "__proto__", "constructor", "1", "é" * 50,
                                         "k" * 500])] = 1


def m_empty_key(rng, spec):
    rng.choice(_dicts(spec))[""] = rng.choice([1, "", None, {}])


def m_swap_kind(rng, spec):
    spec["kind"] = rng.choice(list(BUILDERS) + ["Landscape", "", "lab"])


MUTATIONS = [m_wrong_type, m_out_of_range, m_huge_int, m_not_finite, m_nearby, m_nearby, m_nested,
             m_missing, m_unknown_key, m_empty_key, m_swap_kind]

# how often each kind is drawn: the cheap kinds most, the trained ones least
WEIGHTS = {"landscape": 6, "grid": 4, "regime": 6, "dataset": 6, "network": 3, "tsne": 3, "projection": 1}
VALID_SHARE = 0.2  # specs left as built (most are valid); the rest get 1-3 mutations
OVERSIZED_SHARE = 0.004  # specs drawn from OVERSIZED (their validation builds 5,000 points)


def random_spec(rng: random.Random) -> dict:
    """One spec of any kind: valid and small, or a mutation of one, or one far over the budget."""
    if rng.random() < OVERSIZED_SHARE:
        return copy.deepcopy(rng.choice(OVERSIZED))
    kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    spec = BUILDERS[kind](rng)
    if rng.random() >= VALID_SHARE:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            rng.choice(MUTATIONS)(rng, spec)
    return spec


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


def _set(spec: dict, path: tuple, value) -> dict:
    node = spec
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return spec


@st.composite
def with_big_int(draw, builder):
    """A valid spec with one number (or list item) replaced by a huge integer."""
    spec = draw(from_rng(builder))
    places = [(n, k) for n, k in _places(spec)
              if isinstance(n[k], (int, float)) and not isinstance(n[k], bool)]
    if places:
        node, key = draw(st.sampled_from(places))
        node[key] = draw(big_ints)
    return spec


@st.composite
def with_awkward_key(draw, builder):
    """A valid spec with an empty (or otherwise awkward) key added to one of its objects."""
    spec = draw(from_rng(builder))
    target = draw(st.sampled_from(_dicts(spec)))
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
