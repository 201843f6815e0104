"""Small valid specs, one builder per kind, drawn from a seeded ``random.Random``; the examples.

``BUILDERS[kind](rng)`` gives a valid spec of that kind, kept tiny (few steps,
epochs, points and iterations) so thousands run in a minute; ``OVERSIZED`` holds
specs far over the work budget.  ``LANDSCAPE`` and ``SMALL_NETWORK`` are the
hand-written examples the spec tests change one field at a time (``with_change``).
"""

from __future__ import annotations

import copy
import random

from descentlab.functions import FUNCTIONS
from descentlab.optimizers import REGISTRY

LANDSCAPE = {"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 500,
             "optimizers": [{"name": "adam", "lr": 0.05},
                            {"name": "sgd", "lr": 0.001, "momentum": 0.9, "nesterov": True}],
             "record_state": False}
NETWORK = {"kind": "network", "dataset": {"name": "moons", "n": 400, "noise": 0.2, "seed": 0},
           "model": {"hidden": [16, 16], "activation": "tanh"}, "loss": "cross_entropy",
           "batch_size": 32, "epochs": 50, "seed": 0, "snapshot_every": 10,
           "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}]}
SMALL_NETWORK = dict(NETWORK, epochs=3, dataset={"name": "moons", "n": 100, "noise": 0.2, "seed": 0})


def with_change(base, path, value, delete=False):
    """A deep copy of ``base`` with the item at ``path`` (a tuple of keys) set or deleted."""
    spec = copy.deepcopy(base)
    node = spec
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return spec


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


EXPRESSIONS = [  # custom functions: smooth, with kinks, undefined somewhere, overflowing, constant
    "x**2 + 10*sin(y) + 0.1*x*y", "(1 - x)**2 + 100*(y - x**2)**2", "log(x) + y**2", "sqrt(x*x + y*y)",
    "abs(x) + max(y, -y) + min(x, 0)", "exp(x*y) - cosh(y)", "1/x + 1/y", "tan(x) * atan(y) + sinh(x)",
    "x**y", "tanh(3*x)**2 - e**-y + pi", "2", "x**-3 + y**64", "exp(exp(x))",
]


def _optimizer(rng: random.Random, name: str | None = None, clip: bool = False) -> dict:
    name = name or rng.choice(NAMES["optimizer"])
    entry = {"name": name}
    for key, (lo, hi, kind) in REGISTRY[name].ranges.items():
        if rng.random() < 0.3:
            entry[key] = rng.random() < 0.5 if kind == "bool" else _number(rng, lo, hi, kind)
    if clip and rng.random() < 0.2:  # gradient clipping: by norm or by value, c in (0, 1e6]
        entry[rng.choice(["clip_grad_norm", "clip_grad_value"])] = rng.choice([1e-6, 0.1, 1.0, 1e6])
    if rng.random() < 0.1:
        entry["label"] = rng.choice(["mine", "", "x" * 60])
    if rng.random() < 0.1:
        entry["color"] = rng.choice(["#1f77b4", "#ABCDEF"])
    return entry


def _sam(rng: random.Random) -> dict:
    """SAM around a random registered base (its rho from 0 to 10, sometimes adaptive)."""
    entry = {"name": "sam", "base": _optimizer(rng)}
    for key in ("label", "color"):
        entry["base"].pop(key, None)
    if rng.random() < 0.5:
        entry["rho"] = rng.choice([0.0, 0.05, 0.5, 10.0])
    if rng.random() < 0.3:
        entry["adaptive"] = rng.random() < 0.5
    return entry


def _muon(rng: random.Random) -> dict:
    """Muon (network only) with some of its torch and adamw_* hyper-parameters drawn."""
    from descentlab.optimizers import muon
    entry = {"name": "muon"}
    for key, (lo, hi, kind) in muon.RANGES.items():
        if rng.random() < 0.3:
            if kind == "choice":
                entry[key] = rng.choice(lo)
            else:
                entry[key] = rng.random() < 0.5 if kind == "bool" else _number(rng, lo, hi, kind)
    return entry


def _loop_entries(rng: random.Random, entries: list, steps: int | None) -> list:
    """Some entries become SAM (and, in a network, Muon); a landscape's later ones may fork."""
    out = []
    for i, entry in enumerate(entries):
        if rng.random() < 0.15:
            entry = _sam(rng)
        elif steps is None and rng.random() < 0.15:
            entry = _muon(rng)
        if steps is not None and i > 0 and rng.random() < 0.3:
            entry["fork"] = {"run": rng.randrange(i), "step": rng.randint(1, steps)}
        out.append(entry)
    return out


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


def _custom(rng: random.Random, spec: dict) -> dict:
    """``"function": "custom"`` with an expression, sometimes a domain of its own."""
    spec["function"] = "custom"
    spec["expression"] = rng.choice(EXPRESSIONS)
    if rng.random() < 0.3:
        lo = [_number(rng, -10, 10) for _ in range(2)]
        spec["domain"] = [[v, v + 10 ** rng.uniform(-3, 1)] for v in lo]
    return spec


def landscape(rng: random.Random) -> dict:
    if rng.random() < 0.2:
        spec = _custom(rng, {"kind": "landscape"})
        if rng.random() < 0.5:
            spec["start"] = [_number(rng, -3, 3), _number(rng, -3, 3)]
    else:
        spec = _function(rng, {"kind": "landscape"})
        if rng.random() < 0.7:
            spec["start"] = _start(rng, spec["function"])
    spec["steps"] = rng.choice([1, 2, 10, 50, 200])
    spec["optimizers"] = _loop_entries(rng, [_optimizer(rng, clip=True) for _ in range(rng.randint(1, 3))],
                                       spec["steps"])
    if rng.random() < 0.2:  # gradient noise, sometimes none at all (std 0)
        spec["noise"] = {"std": rng.choice([0.0, 0.1, 1.0, 1e3])}
        if rng.random() < 0.5:
            spec["noise"]["seed"] = rng.randint(0, 2**32 - 1)
    if rng.random() < 0.3:
        spec["record_state"] = rng.random() < 0.5
    if rng.random() < 0.2:
        spec["only"] = rng.randrange(len(spec["optimizers"]))
    return spec


def grid(rng: random.Random) -> dict:
    spec = _custom(rng, {"kind": "grid"}) if rng.random() < 0.2 else _function(rng, {"kind": "grid"})
    spec["size"] = [rng.randint(2, 24), rng.randint(2, 24)]
    if rng.random() < 0.7:  # each level costs a marching-squares pass, even on a small grid
        spec["levels"] = rng.choice([0, 1, 2, 7, 20, 60])
    if rng.random() < 0.3 and "domain" not in spec:
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
            "optimizers": _loop_entries(rng, [_optimizer(rng, clip=True) for _ in range(rng.randint(1, 2))], None)}
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


# --- tune: a tiny landscape or network scene over a short lr grid ---------------------

def tune(rng: random.Random) -> dict:
    """A ``"tune"`` spec: every optimizer of a tiny scene over 2-4 lrs, 1-3 repeats."""
    if rng.random() < 0.75:
        scene = landscape(rng)
        scene.pop("only", None)  # a tune compares every optimizer: only is refused
        scene.update(steps=rng.choice([1, 2, 10, 30]), optimizers=scene["optimizers"][:2])
    else:
        scene = _tiny_network(rng)
        scene.update(epochs=1, optimizers=scene["optimizers"][:1])
    spec = {"kind": "tune", "scene": scene}
    if rng.random() < 0.8:
        lr = {"points": rng.randint(2, 4)}
        if rng.random() < 0.7:
            lo, hi = sorted(10 ** rng.uniform(-6, 1) for _ in range(2))
            lr.update(min=lo, max=hi if hi > lo else 10.0)
        spec["lr"] = lr
    spec["repeats"] = rng.randint(1, 3)
    return spec


BUILDERS["tune"] = tune
# the default network of the examples at the grid's and the repeats' limits: about half an hour
OVERSIZED.append({"kind": "tune", "scene": NETWORK, "lr": {"points": 25}, "repeats": 9})
