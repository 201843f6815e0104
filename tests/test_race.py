"""The landscape race: the fast Python-float loop and the array loop agree bit for bit."""

import numpy as np
import pytest

from descentlab import budget
from descentlab import landscape as L
from descentlab import optimizers as O
from descentlab.functions import FUNCTIONS

RUNS = [
    {"name": "sgd", "lr": 0.002}, {"name": "momentum", "lr": 0.002}, {"name": "nesterov", "lr": 0.002},
    {"name": "momentum", "ema": True, "dampening": 0.0}, {"name": "adagrad", "lr": 0.3, "lr_decay": 0.01},
    {"name": "rmsprop", "centered": True, "momentum": 0.5}, {"name": "adadelta", "weight_decay": 0.01},
    {"name": "adam", "lr": 0.05}, {"name": "adamw", "lr": 0.05, "amsgrad": True}, {"name": "amsgrad"},
    {"name": "nadam", "lr": 0.05}, {"name": "lion", "lr": 0.01, "weight_decay": 0.1},
    {"name": "sgd", "lr": 5.0},  # diverges within a few steps
]


finish = budget.drain  # the value a race generator returns, its heartbeats skipped


@pytest.mark.parametrize("function", ["rosenbrock", "rastrigin", "beale", "quadratic", "saddle", "goldstein_price"])
def test_float_race_is_the_array_race(function):
    diverged = 0
    half = len(RUNS) // 2  # a scene holds at most 12 runs
    entries = [e for runs in (RUNS[:half], RUNS[half:]) for e in
               L.read_spec({"kind": "landscape", "function": function, "steps": 300, "optimizers": runs})["optimizers"]]
    spec = L.read_spec({"kind": "landscape", "function": function, "steps": 300, "optimizers": RUNS[:1]})
    for entry in entries:
        opt = O.make(entry["name"], **entry["params"])
        path, loss, div = finish(L._race_floats(spec, opt))
        ref_path, ref_loss, ref_div, _ = finish(L._race_arrays(spec, entry, opt))
        assert np.array(path).tobytes() == np.array(ref_path).tobytes(), entry
        assert np.array(loss).tobytes() == np.array(ref_loss).tobytes(), entry
        assert div == ref_div
        diverged += div is not None
    assert diverged >= 1  # the check covers a divergence too


def test_recorded_race_draws_the_same_path():
    base = {"kind": "landscape", "function": "beale", "steps": 200, "optimizers": RUNS[:8]}
    fast = L.race(L.read_spec(base), L.read_spec(base)["optimizers"][7])
    spec = L.read_spec(dict(base, record_state=True))
    recorded = L.race(spec, spec["optimizers"][7])
    assert np.array(fast["path"]).tobytes() == np.array(recorded["path"]).tobytes()
    assert np.array(fast["loss"]).tobytes() == np.array(recorded["loss"]).tobytes()
    assert len(recorded["state"]["m"]) == recorded["steps_run"]


def test_zero_division_falls_back_to_numpy(monkeypatch):
    # CPython raises on x / 0.0 where NumPy returns inf: the race must still finish, on arrays
    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")
    monkeypatch.setattr(L, "_race_floats", broken)
    spec = L.read_spec({"kind": "landscape", "function": "booth", "steps": 50, "optimizers": [{"name": "adam"}]})
    run = L.race(spec, spec["optimizers"][0])
    assert run["steps_run"] == 50 and run["diverged_at"] is None
    assert FUNCTIONS["booth"].f(*run["path"][-1]) < FUNCTIONS["booth"].f(*run["path"][0])


@pytest.mark.parametrize("record", [False, True])
def test_long_races_report_between_steps(record):
    # a heartbeat every budget.chunk(step seconds) steps, so Stop is honoured within a run
    spec = L.read_spec({"kind": "landscape", "function": "booth", "steps": 10_000, "record_state": record,
                        "optimizers": [{"name": "adam", "lr": 1e-4}]})
    steps = list(L.race_steps(spec, spec["optimizers"][0]))
    every = L.budget.chunk(L.RECORD_STEP_SECONDS if record else L.STEP_SECONDS)
    assert steps == list(range(every, 10_001, every))
    items = list(L.iterate(spec))
    assert [i["done"] for i in items] == [0] * len(steps) + [1, 1]
    whole = L.race(spec, spec["optimizers"][0])
    assert np.array(items[-1]["result"]["runs"][0]["path"]).tobytes() == np.array(whole["path"]).tobytes()
