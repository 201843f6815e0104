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
    if "probe" in run:
        out["probe"] = np.array(run["probe"])
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


def test_a_sam_fork_to_another_base_starts_its_state_fresh():
    """SAM's state is its base's: a fork that changes the base (Lion -> AdEMAMix) starts fresh."""
    spec = {"kind": "landscape", "function": "goldstein_price", "steps": 4, "optimizers": [
        {"name": "sam", "rho": 0.0, "base": {"name": "lion", "lr": 1e-3}},
        {"name": "sam", "rho": 0.0, "base": {"name": "ademamix", "lr": 1e-3}, "fork": {"run": 0, "step": 2}}]}
    parent, child = descentlab.run(spec)["runs"]
    assert child["path"][:3] == parent["path"][:3]
    assert child["path"][3] != parent["path"][3]


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


def test_the_first_run_and_deep_chains_cannot_fork():
    with pytest.raises(SpecError) as e:
        descentlab.validate(dict(LAND, optimizers=[{"name": "sgd", "fork": {"run": 0, "step": 1}}]))
    assert e.value.field == "optimizers[0].fork.run"
    chain = [{"name": "sgd"}] + [{"name": "sgd", "fork": {"run": i, "step": 1}} for i in range(4)]
    with pytest.raises(SpecError) as e:
        descentlab.validate(dict(LAND, optimizers=chain))
    assert e.value.field == "optimizers[4].fork.run" and "3" in str(e.value)
    with pytest.raises(SpecError) as e:  # a network forks too (tests/test_network_fork.py), under the same rules
        descentlab.validate(dict(NET, optimizers=[{"name": "sgd", "fork": {"run": 0, "step": 1}}]))
    assert e.value.field == "optimizers[0].fork.run"


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


# ---------------------------------------------------------------------------
# 2. SAM: a second gradient at the probe point
# ---------------------------------------------------------------------------

import json  # noqa: E402
from pathlib import Path  # noqa: E402

from descentlab import kernels as K, optimizer_spec  # noqa: E402

FIXTURE = Path(__file__).parent / "references" / "loops.json"
REL_TOL = 1e-10


def _fixture() -> dict:
    if not FIXTURE.exists():  # loudly: the comparison must not be skipped
        pytest.fail(f"missing reference fixture {FIXTURE}; record it with tests/references/record_loops.py")
    return json.loads(FIXTURE.read_text())


def _max_rel(ours, ref) -> float:
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    return float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-300)))


def _sam_entry(case) -> dict:
    spec = {"name": "sam", "rho": case["rho"], "adaptive": case["adaptive"], "base": case["base"]}
    return optimizer_spec.read_optimizer(spec, "optimizers[0]")


@pytest.mark.parametrize("i", range(3))
def test_sam_matches_pytorch_optimizer(i):
    # pytorch_optimizer 4.1.0 takes the gradient norm in float32; the fixture's reference is
    # patched to float64 (the paper's equations), see record_loops.py
    case = _fixture()["sam"][i]
    a = np.array(case["a"])
    opt = optimizer_spec.make(_sam_entry(case), "optimizers[0]")
    p = np.array(case["start"])
    state = opt.init(p)
    path, probes = [], []
    for _ in range(len(case["path"])):
        g = a * p + p * p * p
        q = p + opt.probe(g, p)
        u, state = opt.update(a * q + q * q * q, state, p)
        p = p + u
        path.append(p)
        probes.append(q)
    assert _max_rel(path, case["path"]) <= REL_TOL
    assert _max_rel(probes, case["probe"]) <= REL_TOL


def test_sam_first_step_by_hand_on_a_landscape():
    # booth: g(x, y) = (10x + 8y − 34, 8x + 10y − 38); start (0, 0): g = (−34, −38)
    spec = {"kind": "landscape", "function": "booth", "start": [0.0, 0.0], "steps": 3,
            "optimizers": [{"name": "sam", "rho": 0.5, "base": {"name": "sgd", "lr": 0.01}}]}
    run = _arrays(descentlab.run(spec)["runs"][0])
    g = np.array([-34.0, -38.0])
    eps = 0.5 * g / (K.sqrt(34.0 * 34.0 + 38.0 * 38.0) + 1e-12)
    q = eps  # θ_0 = 0
    gq = np.array([10 * q[0] + 8 * q[1] - 34, 8 * q[0] + 10 * q[1] - 38])
    assert run["probe"][0].tolist() == q.tolist()
    assert np.allclose(run["path"][1], -0.01 * gq, rtol=1e-14, atol=0)
    assert run["probe"].shape == (3, 2)


def test_sam_with_rho_zero_is_its_base_bit_for_bit_and_clips_the_probe_gradient():
    base = {"name": "adam", "lr": 0.05}
    sam, adam = _runs({"name": "sam", "rho": 0.0, "base": base}, base, noise={"std": 1.0, "seed": 2})
    assert sam["path"].tobytes() == adam["path"].tobytes()
    assert sam["probe"].tobytes() == adam["path"][:-1].tobytes()  # the probe of step k is θ_{k−1}
    clipped = _runs({"name": "sam", "base": {"name": "sgd", "lr": 1e-3}, "clip_grad_norm": 1.0})[0]
    assert clipped["clipped"] > 0


def test_sam_in_the_network_differs_from_its_base_and_traces():
    from descentlab.tracing import trace
    spec = dict(NET, optimizers=[{"name": "sam", "rho": 0.1, "base": {"name": "adam", "lr": 0.01}},
                                 {"name": "adam", "lr": 0.01}])
    sam, adam = descentlab.run(spec)["runs"]
    assert sam["train_loss"][0] == adam["train_loss"][0]  # the loss reported is at θ, before the step
    assert sam["weights"] != adam["weights"]
    t = trace(spec, run=0, step=3, param=[0, 1])
    assert t["title"] == "SAM (Adam)" and "probe" in t and "grads_at_params" in t
    assert t["equations"][0].startswith("s_t")


def test_sam_trace_on_a_landscape_shows_the_probe_point():
    from descentlab.tracing import trace
    spec = dict(LAND, optimizers=[{"name": "sam", "rho": 0.05, "base": {"name": "adam", "lr": 0.01}}])
    run = _arrays(descentlab.run(spec)["runs"][0])
    t = trace(spec, run=0, step=7)
    assert t["probe"] == run["probe"][6].tolist() and t["params"] == run["path"][6].tolist()
    assert (run["path"][6] + np.array(t["lines"][-1]["values"]["return"][0])).tolist() == run["path"][7].tolist()


@pytest.mark.parametrize("entry, field", [
    ({"name": "sam"}, "optimizers[0].base"),
    ({"name": "sam", "rho": -1, "base": {"name": "sgd"}}, "optimizers[0].rho"),
    ({"name": "sam", "rho": 11, "base": {"name": "sgd"}}, "optimizers[0].rho"),
    ({"name": "sam", "adaptive": 1, "base": {"name": "sgd"}}, "optimizers[0].adaptive"),
    ({"name": "sam", "base": {"name": "sgd", "lr": 0}}, "optimizers[0].base.lr"),
    ({"name": "sam", "base": {"name": "sam", "base": {"name": "sgd"}}}, "optimizers[0].base.name"),
    ({"name": "sam", "base": {"name": "sgd"}, "schedule": {"name": "exponential", "gamma": 0.9}},
     "optimizers[0].schedule"),
    ({"name": "sam", "base": {"name": "sgd"}, "lr": 0.1}, "optimizers[0].lr"),
])
def test_bad_sam_entries_are_named(entry, field):
    with pytest.raises(SpecError) as e:
        descentlab.validate(dict(LAND, optimizers=[entry]))
    assert e.value.field == field


def test_a_sam_base_may_be_scheduled():
    sched = {"name": "step", "step_size": 10, "gamma": 0.5}
    sam, base = _runs({"name": "sam", "rho": 0.0, "base": {"name": "sgd", "lr": 1e-3, "schedule": sched}},
                      {"name": "sgd", "lr": 1e-3, "schedule": sched})
    assert sam["path"].tobytes() == base["path"].tobytes()


# ---------------------------------------------------------------------------
# 4. Muon: hidden matrices orthogonalised, the rest AdamW
# ---------------------------------------------------------------------------

from descentlab.optimizers import adamw, muon  # noqa: E402


@pytest.mark.parametrize("i", range(3))
def test_muon_matches_torch(i):
    # torch's P (A x B, outputs x inputs) is stored transposed in θ (inputs x outputs), as the
    # network stores W; a 1x1 matrix after it plays the output layer (AdamW's, not compared).
    # torch 2.13 runs Newton–Schulz in bfloat16; the fixture's reference is float64 (record_loops.py)
    case = _fixture()["muon"][i]
    hyper = dict(case["hyper"])
    rows, cols = case["shape"]
    p = np.append(np.array(case["params0"]).T.reshape(-1), 0.5)
    opt = optimizer_spec.make(optimizer_spec.read_optimizer(dict(hyper, name="muon"), "o"), "o")
    state = opt.init(p, blocks=[(0, (cols, rows)), (rows * cols, (1, 1))])
    assert state.blocks[:, 3].tolist() == [1, 0]
    path = []
    for g in case["grads"]:
        u, state = opt.update(np.append(np.array(g).T.reshape(-1), 0.1), state, p)
        p = p + u
        path.append(p[:rows * cols].reshape(cols, rows).T)
    assert _max_rel(path, case["path"]) <= REL_TOL


def test_muon_first_step_by_hand():
    # step 1 from B_0 = 0: B_1 = (1 − μ) G, nesterov U_1 = μ B_1 + (1 − μ) G; Newton–Schulz of a
    # 1 x 2 matrix [3, 4]: X_0 = [0.6, 0.8]; with X_j = s_j X_0, A_j = s_j² and X_{j+1} = (a + b A_j + c A_j²) X_j
    g = np.array([3.0, 4.0, 0.0])
    p = np.array([1.0, -1.0, 0.0])
    opt = optimizer_spec.make(optimizer_spec.read_optimizer({"name": "muon", "lr": 0.1, "weight_decay": 0.0,
                                                              "ns_steps": 2}, "o"), "o")
    state = opt.init(p, blocks=[(0, (1, 2)), (2, (1, 1))])
    u, _ = opt.update(g, state, p)
    a, b, c = 3.4445, -4.7750, 2.0315
    s1 = a + b + c
    s = s1 * (a + b * s1 * s1 + c * s1 * s1 * s1 * s1)
    ratio = 2.0 ** 0.5  # torch's shape 2 x 1 (outputs x inputs): √max(1, 2/1)
    assert np.allclose(u[:2], -0.1 * ratio * s * np.array([0.6, 0.8]), rtol=1e-12)


def test_muon_steps_biases_and_the_output_layer_with_adamw():
    spec = descentlab.validate(dict(NET, optimizers=[{"name": "muon", "adamw_lr": 0.01}]))
    ctx = network._prepare(spec)
    r = network._Run(spec["optimizers"][0], ctx, spec, "optimizers[0]")
    assert r.state.blocks[:, 3].tolist() == [1, 0, 1, 0, 0, 0]  # W1, W2 Muon; b1, b2, W3, b3 AdamW
    g = np.linspace(-1.0, 1.0, r.theta.size)
    u, _ = r.opt.update(g, r.state, r.theta)
    ref, _ = adamw.update(g, adamw.init(r.theta), r.theta, lr=0.01)
    mask = np.ones(r.theta.size, dtype=bool)
    for start, n, m, is_muon in r.state.blocks.tolist():
        if is_muon:
            mask[start:start + n * m] = False
    assert u[mask].tolist() == ref[mask].tolist()
    assert not np.allclose(u[~mask], ref[~mask])


def test_muon_trains_a_network_and_is_refused_on_a_landscape():
    run = descentlab.run(dict(NET, epochs=10, optimizers=[{"name": "muon", "lr": 0.02}]))["runs"][0]
    assert run["diverged_at"] is None and run["train_loss"][-1] < run["train_loss"][0]
    with pytest.raises(SpecError) as e:
        descentlab.validate(dict(LAND, optimizers=[{"name": "sgd"}, {"name": "muon"}]))
    assert e.value.field == "optimizers[1].name" and "a 2-D point has none" in str(e.value)


@pytest.mark.parametrize("key, value", [("ns_steps", 0), ("ns_steps", 1.5), ("momentum", 1.0), ("lr", 0.0),
                                        ("adjust_lr_fn", "none"), ("adamw_beta1", 1.0), ("nesterov", "yes")])
def test_bad_muon_values_are_named(key, value):
    with pytest.raises(SpecError) as e:
        descentlab.validate(dict(NET, optimizers=[{"name": "muon", key: value}]))
    assert e.value.field == f"optimizers[0].{key}"
