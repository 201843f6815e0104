"""Network layer blocks, forks, SAM, Muon and Sophia: the loops that feed an optimizer more than a gradient."""

from __future__ import annotations

import numpy as np
import pytest

import descentlab
from descentlab import network
from descentlab.errors import SpecError
from descentlab.optimizers.copy import source_copy

NET = {"kind": "network", "dataset": {"name": "moons", "n": 80}, "epochs": 2, "model": {"hidden": [6, 5]}}


# ---------------------------------------------------------------------------
# 1. The network gives whole-array optimizers its layers
# ---------------------------------------------------------------------------

def _state(entry):
    spec = descentlab.validate(dict(NET, optimizers=[entry]))
    ctx = network._prepare(spec)
    return network._Run(spec["optimizers"][0], ctx, spec, "optimizers[0]").state, ctx["layout"]


def test_lamb_gets_one_block_per_weight_matrix_and_bias():
    state, layout = _state({"name": "lamb"})
    # 2 inputs -> 6 -> 5 -> 2 classes: W1 (2x6), b1, W2 (6x5), b2, W3 (5x2), b3
    assert state.blocks.tolist() == [[s, int(np.prod(shape))] for s, shape in network.layer_blocks(layout)]
    assert state.blocks[:, 1].tolist() == [12, 6, 30, 5, 10, 2]


def test_adafactor_factors_each_matrix():
    state, _ = _state({"name": "adafactor"})
    assert state.blocks[:, 1:].tolist() == [[2, 6], [6, 0], [6, 5], [5, 0], [5, 2], [2, 0]]
    assert state.row.size == 2 + 6 + 5 and state.col.size == 6 + 5 + 2


def test_per_layer_lamb_differs_from_one_block():
    # the trust ratio per layer is not the trust ratio of θ as one vector
    spec = descentlab.validate(dict(NET, optimizers=[{"name": "lamb", "lr": 0.01}]))
    ctx = network._prepare(spec)
    r = network._Run(spec["optimizers"][0], ctx, spec, "optimizers[0]")
    whole = r.opt.init(r.theta)
    idx = network._batches(len(ctx["Xtr"]), 32, 0, 0)[0]
    _, g = network.mlp.loss_and_grad(r.theta, ctx["layout"], ctx["Xtr"][idx], ctx["ytr"][idx], "tanh",
                                     "cross_entropy", 0.0)
    assert not np.array_equal(r.opt.update(g, r.state, r.theta)[0], r.opt.update(g, whole, r.theta)[0])


@pytest.mark.parametrize("name", ["lamb", "adafactor"])
def test_a_copy_takes_the_blocks_too_and_trains_bit_for_bit(name):
    spec = dict(NET, optimizers=[{"name": name, "lr": 0.01},
                                 {"name": "custom", "code": source_copy(name), "hyper": {"lr": 0.01}}])
    builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"]


def test_learner_init_without_blocks_still_gets_theta_only():
    code = ("def init(params):\n    return {'step': 0}\n\n"
            "def update(grads, state, params, lr=0.1):\n    return -lr * grads, {'step': state['step'] + 1}\n")
    spec = dict(NET, optimizers=[{"name": "sgd", "lr": 0.1}, {"name": "custom", "code": code}])
    sgd, mine = descentlab.run(spec, allow_code=True)["runs"]
    assert mine["weights"] == sgd["weights"]


# ---------------------------------------------------------------------------
# 5. Fork a run
# ---------------------------------------------------------------------------

LAND = {"kind": "landscape", "function": "rosenbrock", "steps": 60}


def _arrays(run: dict) -> dict:
    """A run's lists as float64 arrays (bits unchanged), to compare slices by bytes."""
    out = dict(run, path=np.array(run["path"]), loss=np.array(run["loss"]))
    if "state" in run:
        out["state"] = {k: np.array(v) for k, v in run["state"].items()}
    return out


def _runs(*entries, **extra):
    return [_arrays(r) for r in descentlab.run(dict(LAND, optimizers=list(entries), **extra))["runs"]]


def test_a_fork_with_the_same_settings_is_its_parent_bit_for_bit():
    # the state (moments, step count) carries over: forking changes nothing
    parent, child = _runs({"name": "adam", "lr": 0.05}, {"name": "adam", "lr": 0.05, "fork": {"run": 0, "step": 20}})
    assert child["path"].tobytes() == parent["path"].tobytes() and child["loss"].tobytes() == parent["loss"].tobytes()
    assert child["fork"] == {"run": 0, "step": 20}


def test_a_fork_keeps_the_path_up_to_k_then_departs():
    parent, child = _runs({"name": "sgd", "lr": 1e-3}, {"name": "sgd", "lr": 5e-4, "fork": {"run": 0, "step": 25}})
    assert child["path"][:26].tobytes() == parent["path"][:26].tobytes()
    assert not np.array_equal(child["path"][26], parent["path"][26])
    # step 26 is plain SGD from θ_25 with the new lr
    from descentlab.functions import FUNCTIONS
    g = np.array(FUNCTIONS["rosenbrock"].grad(*parent["path"][25]), dtype=np.float64)
    assert child["path"][26].tolist() == (parent["path"][25] + (-5e-4) * g).tolist()


def test_a_fork_to_another_optimizer_starts_its_state_fresh():
    parent, child, ref = _runs({"name": "sgd", "lr": 1e-3}, {"name": "adam", "lr": 0.01, "fork": {"run": 0, "step": 10}},
                               {"name": "adam", "lr": 0.01})
    # Adam's first step from θ_10 is about lr·sign(g) per coordinate, as from a fresh state
    step = child["path"][11] - child["path"][10]
    assert np.allclose(np.abs(step), 0.01, rtol=1e-6)
    assert child["path"][:11].tobytes() == parent["path"][:11].tobytes()


def test_a_fork_keeps_the_schedule_and_noise_of_its_steps():
    sched = {"name": "cosine", "T_max": 60}
    noise = {"std": 0.5, "seed": 3}
    parent, child = _runs({"name": "sgd", "lr": 1e-3, "schedule": sched},
                          {"name": "sgd", "lr": 1e-3, "schedule": sched, "fork": {"run": 0, "step": 30}}, noise=noise)
    assert child["path"].tobytes() == parent["path"].tobytes()


def test_fork_of_a_fork_and_only():
    entries = [{"name": "sgd", "lr": 1e-3}, {"name": "momentum", "lr": 1e-3, "fork": {"run": 0, "step": 10}},
               {"name": "adam", "lr": 0.01, "fork": {"run": 1, "step": 20}}]
    runs = _runs(*entries)
    assert runs[2]["path"][:21].tobytes() == runs[1]["path"][:21].tobytes()
    assert runs[2]["path"][:11].tobytes() == runs[0]["path"][:11].tobytes()
    alone = _arrays(descentlab.run(dict(LAND, optimizers=entries, only=2))["runs"][0])
    assert alone["path"].tobytes() == runs[2]["path"].tobytes()


def test_a_fork_of_a_diverged_run_stops_where_it_did():
    parent, child = _runs({"name": "sgd", "lr": 5.0}, {"name": "sgd", "lr": 1e-4, "fork": {"run": 0, "step": 50}})
    assert parent["diverged_at"] is not None and child["diverged_at"] == parent["diverged_at"]
    assert child["path"].tobytes() == parent["path"].tobytes()


def test_record_state_of_a_fork_keeps_quantities_of_every_step():
    runs = _runs({"name": "adam", "lr": 0.01}, {"name": "sgd", "lr": 1e-3, "fork": {"run": 0, "step": 10}},
                 record_state=True)
    state = runs[1]["state"]
    assert set(state) == {"grad", "update"} and state["update"].shape == (60, 2)
    assert state["update"][:10].tobytes() == runs[0]["state"]["update"][:10].tobytes()


@pytest.mark.parametrize("fork, field", [
    ({"run": 1, "step": 5}, "optimizers[1].fork.run"),
    ({"run": -1, "step": 5}, "optimizers[1].fork.run"),
    ({"run": 0, "step": 0}, "optimizers[1].fork.step"),
    ({"run": 0, "step": 61}, "optimizers[1].fork.step"),
    ({"run": 0, "step": 2.5}, "optimizers[1].fork.step"),
    ({"run": 0}, "optimizers[1].fork.step"),
    ({"run": 0, "step": 5, "lr": 1}, "optimizers[1].fork.lr"),
])
def test_bad_forks_are_named(fork, field):
    with pytest.raises(SpecError) as e:
        descentlab.validate(dict(LAND, optimizers=[{"name": "sgd"}, {"name": "sgd", "fork": fork}]))
    assert e.value.field == field


def test_the_first_run_and_deep_chains_and_networks_cannot_fork():
    with pytest.raises(SpecError) as e:
        descentlab.validate(dict(LAND, optimizers=[{"name": "sgd", "fork": {"run": 0, "step": 1}}]))
    assert e.value.field == "optimizers[0].fork.run"
    chain = [{"name": "sgd"}] + [{"name": "sgd", "fork": {"run": i, "step": 1}} for i in range(4)]
    with pytest.raises(SpecError) as e:
        descentlab.validate(dict(LAND, optimizers=chain))
    assert e.value.field == "optimizers[4].fork.run" and "3" in str(e.value)
    with pytest.raises(SpecError) as e:
        descentlab.validate(dict(NET, optimizers=[{"name": "sgd"}, {"name": "sgd", "fork": {"run": 0, "step": 1}}]))
    assert e.value.field == "optimizers[1].fork"


def test_trace_of_a_fork_replays_the_parent_then_its_own_steps():
    from descentlab.tracing import trace
    spec = dict(LAND, optimizers=[{"name": "adam", "lr": 0.01}, {"name": "sgd", "lr": 1e-3, "fork": {"run": 0, "step": 10}}],
                record_state=True)
    runs = [_arrays(r) for r in descentlab.run(spec)["runs"]]
    before = trace(spec, run=1, step=10)
    assert before["optimizer"] == "adam" and before["params"] == runs[0]["path"][9].tolist()
    after = trace(spec, run=1, step=11)
    assert after["optimizer"] == "sgd" and after["params"] == runs[1]["path"][10].tolist()
    assert after["grads"] == runs[1]["state"]["grad"][10].tolist()
    later = trace(spec, run=1, step=30)
    assert later["params"] == runs[1]["path"][29].tolist()
