"""Browser = native, bit for bit: the same specs give the same digests in Pyodide and CPython.

One page serves the whole module (loading Pyodide once); every spec is run in the
browser's worker and natively, and the digests (SHA-256 of every float's bytes)
must be equal.
"""

from __future__ import annotations

import json

import pytest

import descentlab
from conftest import _browser_run, watched_pages
from descentlab.functions import FUNCTIONS
from descentlab.optimizers import REGISTRY

ALL_OPTIMIZERS = [{"name": name} for name in sorted(REGISTRY)]
MAX_RUNS = 12  # a spec holds at most 12 optimizers: the registry is raced in groups
GROUPS = [ALL_OPTIMIZERS[i:i + MAX_RUNS] for i in range(0, len(ALL_OPTIMIZERS), MAX_RUNS)]
VARIANTS = [
    {"name": "sgd", "lr": 0.001, "momentum": 0.9, "nesterov": True},
    {"name": "sgd", "lr": 0.001, "momentum": 0.9, "ema": True},
    {"name": "rmsprop", "centered": True, "momentum": 0.5},
    {"name": "adam", "amsgrad": True, "weight_decay": 0.1},
    {"name": "adamw", "weight_decay": 0.3},
    {"name": "adagrad", "lr_decay": 0.01},
]

LANDSCAPES = [
    {"kind": "landscape", "function": name, "steps": 200, "record_state": True, "optimizers": group}
    for name in sorted(FUNCTIONS) for group in (*GROUPS, VARIANTS)
] + [
    {"kind": "landscape", "function": "quadratic", "function_params": {"condition": 200, "angle": 37.5},
     "start": [1.7, -1.3], "steps": 500, "optimizers": group} for group in GROUPS
] + [
    {"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 500,
     "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.001, "momentum": 0.9, "nesterov": True}]},
]

NETWORKS = [
    {"kind": "network", "dataset": {"name": "moons", "n": 200, "noise": 0.2, "seed": 0},
     "model": {"hidden": [16, 16], "activation": "tanh"}, "loss": "cross_entropy", "batch_size": 32, "epochs": 8,
     "seed": 0, "snapshot_every": 5, "optimizers": GROUPS[0]},
    {"kind": "network", "dataset": {"name": "circles", "n": 160, "noise": 0.1, "seed": 3},
     "model": {"hidden": [8], "activation": "relu"}, "loss": "binary_cross_entropy", "batch_size": 16, "epochs": 6,
     "seed": 1, "optimizers": [{"name": "adam", "lr": 0.02}, {"name": "rmsprop"}, {"name": "lion", "lr": 0.001}]},
    {"kind": "network", "dataset": {"name": "spirals", "n": 240, "noise": 0.05, "classes": 3, "seed": 2},
     "model": {"hidden": [24, 12], "activation": "gelu"}, "loss": "mse", "batch_size": 24, "epochs": 5, "l2": 0.001,
     "seed": 2, "optimizers": [{"name": "nadam"}, {"name": "adadelta"}, {"name": "adagrad", "lr": 0.05}]},
    {"kind": "network", "dataset": {"name": "blobs", "n": 200, "classes": 4, "seed": 5},
     "model": {"hidden": [10], "activation": "sigmoid"}, "loss": "cross_entropy", "batch_size": 20, "epochs": 5,
     "seed": 4, "optimizers": [{"name": "momentum", "lr": 0.1}, {"name": "amsgrad", "lr": 0.01}]},
    {"kind": "network", "dataset": {"name": "xor", "n": 200, "seed": 1},
     "model": {"hidden": [12, 12, 12], "activation": "leaky_relu"}, "loss": "cross_entropy", "batch_size": 8,
     "epochs": 3, "seed": 6, "optimizers": [{"name": "adamw", "lr": 0.01}]},
    {"kind": "network", "dataset": {"name": "digits", "n": 300, "seed": 0},
     "model": {"hidden": [32], "activation": "relu"}, "loss": "cross_entropy", "batch_size": 32, "epochs": 3,
     "seed": 0, "optimizers": [{"name": "adam", "lr": 0.005}, {"name": "sgd", "lr": 0.05, "momentum": 0.9}]},
    {"kind": "network", "dataset": {"recipe": {"components": [{"generator": "moons", "n": 120, "noise": 0.1},
                                                              {"generator": "blob", "n": 60, "shift": [2, 2]}],
                                               "seed": 4}},
     "model": {"hidden": [16], "activation": "tanh"}, "loss": "cross_entropy", "batch_size": 16, "epochs": 4,
     "seed": 0, "optimizers": [{"name": "adam", "lr": 0.01}]},
]
NETWORKS += [NETWORKS[0] | {"epochs": 4, "optimizers": group} for group in GROUPS[1:]]  # the rest of the registry

OTHERS = [
    {"kind": "grid", "function": name, "size": [64, 80], "levels": 12} for name in ("rosenbrock", "rastrigin", "saddle")
] + [
    {"kind": "regime", "function": "beale", "steps": 100, "optimizer": {"name": "momentum"},
     "x": {"param": "lr", "min": 1e-4, "max": 0.1, "n": 6}, "y": {"param": "momentum", "min": 0.0, "max": 0.99, "n": 5}},
    {"kind": "dataset", "dataset": {"name": "digits"}},
    {"kind": "dataset", "dataset": {"describe": "two overlapping gaussian blobs, 500 points"}},
    {"kind": "dataset", "dataset": {"csv": "a,b,c,label\n1,2,3,x\n4,5,6.5,y\n7,8,9,x\n1,0,2,y\n"}},
    {"kind": "tsne", "data": {"dataset": "moons", "n": 300, "seed": 0}, "perplexity": 20, "max_iter": 300,
     "method": "exact"},
    {"kind": "tsne", "data": {"dataset": "moons", "n": 300, "seed": 0}, "perplexity": 20, "max_iter": 300,
     "method": "barnes_hut"},
    {"kind": "tsne", "data": {"dataset": "digits"}, "max_iter": 250, "method": "auto"},
    {"kind": "projection", "max_iter": 300, "network": NETWORKS[0] | {"epochs": 5}},
    {"kind": "projection", "target": "activations", "max_iter": 300, "network": NETWORKS[1]},
]

# Issue #16: one spec of each training-dynamics feature (schedule, noise, clipping, a custom
# f(x, y), a fork, SAM, Muon in a network, a modern optimizer, tune).
_BOWL = {"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 150}
DYNAMICS = {
    "schedule": _BOWL | {"optimizers": [
        {"name": "sgd", "lr": 0.001, "momentum": 0.9, "schedule": {"name": "warmup_cosine", "warmup_steps": 20, "total_steps": 150}},
        {"name": "adam", "lr": 0.05, "schedule": {"name": "onecycle", "total_steps": 150}},
        {"name": "sgd", "lr": 0.002, "schedule": {"name": "multistep", "milestones": [30, 90], "gamma": 0.5}}]},
    "noise": _BOWL | {"noise": {"std": 2.0, "seed": 7}, "optimizers": [{"name": "sgd", "lr": 0.001}, {"name": "adam", "lr": 0.05}]},
    "clip": _BOWL | {"optimizers": [{"name": "sgd", "lr": 0.002, "clip_grad_norm": 1.0},
                                    {"name": "momentum", "lr": 0.002, "clip_grad_value": 0.5}]},
    "custom": {"kind": "landscape", "function": "custom", "expression": "x**2 + 10*sin(y) + 0.1*x*y + log(1 + abs(x))",
               "domain": [[-4, 4], [-4, 4]], "start": [2.5, 1.0], "steps": 120,
               "optimizers": [{"name": "adam", "lr": 0.1}, {"name": "nadam", "lr": 0.05}]},
    "custom_grid": {"kind": "grid", "function": "custom", "expression": "log(x) + y**2 + atan(x*y)", "size": [40, 30], "levels": 8},
    "fork": _BOWL | {"optimizers": [{"name": "sgd", "lr": 0.001, "momentum": 0.9},
                                    {"name": "sgd", "lr": 0.0005, "momentum": 0.9, "fork": {"run": 0, "step": 60}},
                                    {"name": "adam", "lr": 0.05, "fork": {"run": 0, "step": 30}}]},
    "sam": _BOWL | {"record_state": True, "optimizers": [{"name": "sam", "rho": 0.05, "base": {"name": "sgd", "lr": 0.001, "momentum": 0.9}},
                                                         {"name": "sam", "rho": 0.1, "adaptive": True, "base": {"name": "adam", "lr": 0.05}}]},
    "modern": _BOWL | {"optimizers": [{"name": n} for n in ("adafactor", "schedulefree_adamw", "ademamix", "adan", "lamb", "prodigy")]},
    "muon_network": NETWORKS[1] | {"epochs": 3, "optimizers": [{"name": "muon", "lr": 0.02}, {"name": "adam", "lr": 0.02}]},
    "sophia": _BOWL | {"record_state": True, "optimizers": [
        {"name": "sophia", "lr": 0.3, "p": 0.1, "update_period": 3},
        {"name": "sophia", "lr": 0.2, "p": 0.2, "update_period": 1, "weight_decay": 0.05, "clip_grad_norm": 5.0,
         "schedule": {"name": "onecycle", "max_lr": 0.5, "total_steps": 150}},
        {"name": "sophia", "update_period": 2, "fork": {"run": 0, "step": 40}}]},
    "sophia_functions": {"kind": "landscape", "function": "rastrigin", "start": [2.2, -1.7], "steps": 120,
                         "noise": {"std": 1.0, "seed": 3},
                         "optimizers": [{"name": "sophia", "lr": 0.1, "p": 0.5, "update_period": 2,
                                         "schedule": {"name": "cosine", "T_max": 120}}]},
    "sophia_custom": {"kind": "landscape", "function": "custom", "domain": [[-4, 4], [-4, 4]], "start": [2.5, 1.0],
                      "expression": "x**2 + 10*sin(y) + 0.1*x*y + log(1 + abs(x)) + exp(0.1*x)*cosh(0.3*y) + atan(x*y)",
                      "steps": 120, "record_state": True,
                      "optimizers": [{"name": "sophia", "lr": 0.2, "p": 0.3, "update_period": 2,
                                      "schedule": {"name": "warmup_cosine", "warmup_steps": 10, "total_steps": 120}},
                                     {"name": "sophia", "lr": 0.1, "p": 1.0, "update_period": 1, "weight_decouple": False,
                                      "weight_decay": 0.1}]},
    "sophia_network": NETWORKS[1] | {"epochs": 3, "optimizers": [
        {"name": "sophia", "lr": 0.05, "p": 0.1, "update_period": 2},
        {"name": "sophia", "lr": 0.05, "num_samples": 2, "hessian_distribution": "rademacher",
         "schedule": {"name": "step", "step_size": 10, "gamma": 0.5}}]},
    "muon_schedule_network": NETWORKS[1] | {"epochs": 3, "optimizers": [
        {"name": "muon", "lr": 0.02, "schedule": {"name": "cosine", "T_max": 60}},
        {"name": "muon", "lr": 0.02, "schedule": {"name": "onecycle", "max_lr": 0.05, "total_steps": 60}}]},
    "fork_network": NETWORKS[1] | {"epochs": 3, "optimizers": [
        {"name": "sgd", "lr": 0.1},
        {"name": "adam", "lr": 0.01, "fork": {"run": 0, "step": 8}},
        {"name": "adam", "lr": 0.03, "fork": {"run": 1, "step": 12}},
        {"name": "sophia", "lr": 0.05, "update_period": 3, "fork": {"run": 0, "step": 9}}]},
    "tune": {"kind": "tune", "scene": _BOWL | {"steps": 60, "optimizers": [{"name": "sgd", "lr": 0.001}, {"name": "adam", "lr": 0.05}]},
             "lr": {"min": 1e-4, "max": 0.1, "points": 4}, "repeats": 2},
}


@pytest.fixture(scope="module")
def shared_page(browser, server):
    with watched_pages(browser) as open_:
        yield open_(server)


def _native(spec):
    return descentlab.run(json.loads(json.dumps(spec)))


def _ids(specs):
    out = []
    for s in specs:
        what = s.get("function") or (s.get("dataset") or {}).get("name") or next(iter(s.get("dataset", {"x": 0})))
        out.append(f"{s['kind']}-{what}")
    return out


@pytest.mark.parametrize("spec", LANDSCAPES, ids=_ids(LANDSCAPES))
def test_landscape_digest_equals_native(shared_page, spec):
    browser = _browser_run(shared_page, spec)
    native = _native(spec)
    assert browser["digest"] == native["digest"]
    assert _as_floats(browser) == _as_floats(native)  # the whole JSON, not only the hash


def _as_floats(o):
    """Every number as a float: JavaScript writes a whole float above 2**53 (a blown-up state, 3.9e17)
    as its shortest digits padded with zeros, which Playwright hands over as an int that is not
    that float's exact value."""
    if isinstance(o, dict):
        return {k: _as_floats(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_as_floats(v) for v in o]
    return float(o) if isinstance(o, int) and not isinstance(o, bool) else o


@pytest.mark.parametrize("spec", NETWORKS, ids=_ids(NETWORKS))
def test_network_digest_equals_native(shared_page, spec):
    assert _browser_run(shared_page, spec)["digest"] == _native(spec)["digest"]


@pytest.mark.parametrize("spec", OTHERS, ids=_ids(OTHERS))
def test_other_kinds_digest_equals_native(shared_page, spec):
    assert _browser_run(shared_page, spec)["digest"] == _native(spec)["digest"]


def test_trace_equals_native(shared_page):
    spec = {"kind": "landscape", "function": "booth", "steps": 3,
            "optimizers": [{"name": "adam", "lr": 0.1, "weight_decay": 0.5}]}
    browser = shared_page.evaluate("(s) => window.descentlab.call('trace', s, 0, 2)", spec)
    assert browser == descentlab.trace(spec, 0, 2)


@pytest.mark.parametrize("feature", list(DYNAMICS))
def test_dynamics_digest_equals_native(shared_page, feature):
    spec = DYNAMICS[feature]
    browser, native = _browser_run(shared_page, spec), _native(spec)
    assert browser["digest"] == native["digest"]
    if spec["kind"] == "landscape":
        assert browser == native
