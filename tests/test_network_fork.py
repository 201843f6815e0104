"""Forks in the network, Sophia's Hessian in the training loop, and network.replay (contract N).

A network run may fork an earlier run i at step k (``{"fork": {"run": i, "step": k}}``),
as on the landscape: up to k it is run i bit for bit (the same initial weights and
mini-batches), then it trains with its own settings, from run i's optimizer state
when ``optimizer_spec.keeps_state`` says so, else from a fresh one.
"""

import copy
from typing import NamedTuple, Callable

import numpy as np
import pytest

import descentlab
from descentlab import network, optimizer_spec, optimizers
from descentlab.errors import SpecError
from descentlab.nn import mlp
from descentlab.nn.hvp import hvp

NET = {"kind": "network", "dataset": {"name": "moons", "n": 120, "noise": 0.2, "seed": 1},
       "model": {"hidden": [6], "activation": "tanh"}, "epochs": 3, "batch_size": 16, "snapshot_every": 1,
       "boundary_size": 8, "seed": 4, "optimizers": [{"name": "sgd", "lr": 0.1}]}
PER_EPOCH = 6  # 96 training rows in batches of 16
STEPS = 3 * PER_EPOCH
K = 8  # the fork's step: inside the second epoch


def spec_with(*entries, **kw):
    return dict(copy.deepcopy(NET), optimizers=list(entries), **kw)


def train(spec):
    return descentlab.run(spec)["runs"]


def by_hand(spec, plan):
    """θ after training by the registry's optimizers directly: ``plan`` is [(name, params, steps, fresh)]."""
    checked = descentlab.validate(spec)
    ctx = network._prepare(checked)
    theta, state, t = ctx["theta0"].copy(), None, 0
    for name, params, steps, fresh in plan:
        opt = optimizers.make(name, **params)
        if fresh:
            state = opt.init(theta)
        for _ in range(steps):
            epoch, at = divmod(t, PER_EPOCH)
            idx = network._batches(len(ctx["Xtr"]), checked["batch_size"], checked["seed"], epoch)[at]
            _, g = mlp.loss_and_grad(theta, ctx["layout"], ctx["Xtr"][idx], ctx["ytr"][idx], "tanh",
                                     "cross_entropy", 0.0)
            updates, state = opt.update(g, state, theta)
            theta, t = theta + updates, t + 1
    return theta


def test_a_fork_is_its_parent_bit_for_bit_up_to_k_then_departs():
    parent, fork = train(spec_with({"name": "sgd", "lr": 0.1},
                                   {"name": "adam", "lr": 0.01, "fork": {"run": 0, "step": K}}))
    assert fork["fork"] == {"run": 0, "step": K}
    assert fork["train_loss"][:K] == parent["train_loss"][:K]
    assert fork["train_loss_ema"][:K] == parent["train_loss_ema"][:K]
    assert fork["snapshots"][:K + 1] == parent["snapshots"][:K + 1]
    assert fork["epochs"]["val_loss"][:1] == parent["epochs"]["val_loss"][:1]  # epoch 1 ends at step 6 < K
    assert fork["train_loss"][K] != parent["train_loss"][K] or fork["snapshots"][K + 1] != parent["snapshots"][K + 1]
    assert fork["snapshots"][-1] != parent["snapshots"][-1]
    assert len(fork["train_loss"]) == STEPS


def test_a_fork_with_its_parents_settings_is_its_parent():
    a, b = train(spec_with({"name": "adam", "lr": 0.01}, {"name": "adam", "lr": 0.01, "fork": {"run": 0, "step": K}}))
    assert a["weights"] == b["weights"] and a["train_loss"] == b["train_loss"] and a["boundaries"] == b["boundaries"]


def test_a_fork_to_another_optimizer_continues_from_theta_k_with_a_fresh_state():
    spec = spec_with({"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01, "fork": {"run": 0, "step": K}})
    got = np.array(train(spec)[1]["weights"])
    want = by_hand(spec, [("sgd", {"lr": 0.1}, K, True), ("adam", {"lr": 0.01}, STEPS - K, True)])
    assert got.tobytes() == want.tobytes()


def test_a_fork_to_the_same_optimizer_keeps_its_state():
    spec = spec_with({"name": "adam", "lr": 0.01}, {"name": "adam", "lr": 0.03, "fork": {"run": 0, "step": K}})
    got = np.array(train(spec)[1]["weights"])
    kept = by_hand(spec, [("adam", {"lr": 0.01}, K, True), ("adam", {"lr": 0.03}, STEPS - K, False)])
    fresh = by_hand(spec, [("adam", {"lr": 0.01}, K, True), ("adam", {"lr": 0.03}, STEPS - K, True)])
    assert got.tobytes() == kept.tobytes()
    assert got.tobytes() != fresh.tobytes()


def test_a_fork_of_a_fork_replays_both_parents():
    spec = spec_with({"name": "sgd", "lr": 0.1}, {"name": "momentum", "lr": 0.05, "fork": {"run": 0, "step": 4}},
                     {"name": "adam", "lr": 0.01, "fork": {"run": 1, "step": 10}})
    runs = train(spec)
    assert runs[2]["train_loss"][:10] == runs[1]["train_loss"][:10]
    assert runs[2]["train_loss"][:4] == runs[0]["train_loss"][:4]
    params = descentlab.validate(spec)["optimizers"][1]["params"]
    want = by_hand(spec, [("sgd", {"lr": 0.1}, 4, True), ("momentum", params, 6, True),
                          ("adam", {"lr": 0.01}, STEPS - 10, True)])
    assert np.array(runs[2]["weights"]).tobytes() == want.tobytes()


def test_a_fork_at_the_last_step_is_its_parent_and_clipping_counts_own_steps():
    a, b = train(spec_with({"name": "sgd", "lr": 0.5, "clip_grad_value": 0.01},
                           {"name": "sgd", "lr": 0.5, "clip_grad_value": 0.01, "fork": {"run": 0, "step": STEPS}}))
    assert a["weights"] == b["weights"]
    assert a["clipped"] > 0 and b["clipped"] == 0


@pytest.mark.parametrize("fork,field,words", [
    ({"run": 0, "step": 0}, "optimizers[1].fork.step", "1"),
    ({"run": 0, "step": STEPS + 1}, "optimizers[1].fork.step", f"from 1 to {STEPS}"),
    ({"run": 1, "step": 3}, "optimizers[1].fork.run", "0"),
    ({"run": 0, "step": 2.5}, "optimizers[1].fork.step", "integer"),
    ({"run": 0}, "optimizers[1].fork.step", ""),
    ({"run": 0, "step": 3, "x": 1}, "optimizers[1].fork.x", ""),
])
def test_bad_forks_are_named_with_their_range(fork, field, words):
    with pytest.raises(SpecError) as e:
        descentlab.validate(spec_with({"name": "sgd"}, {"name": "adam", "fork": fork}))
    assert e.value.field == field
    assert words in e.value.message


def test_the_first_run_and_deep_chains_cannot_fork():
    with pytest.raises(SpecError) as e:
        descentlab.validate(spec_with({"name": "sgd", "fork": {"run": 0, "step": 1}}))
    assert e.value.field == "optimizers[0].fork.run"
    chain = [{"name": "sgd"}] + [{"name": "sgd", "fork": {"run": i, "step": 1}} for i in range(4)]
    with pytest.raises(SpecError) as e:
        descentlab.validate(spec_with(*chain))
    assert e.value.field == "optimizers[4].fork.run"


@pytest.mark.parametrize("run,step", [(0, 1), (0, 7), (1, K), (1, K + 1), (1, STEPS)])
def test_replay_gives_theta_before_the_step_and_its_mini_batch(run, step):
    spec = spec_with({"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01, "fork": {"run": 0, "step": K}})
    runs = train(spec)
    checked = descentlab.validate(spec)
    ctx = network._prepare(checked)
    r, idx = network.replay(checked, ctx, run, step)
    assert r.step == step - 1
    assert r.theta.tolist() == runs[run]["snapshots"][step - 1]  # snapshot_every 1: θ after each step
    epoch, at = divmod(step - 1, PER_EPOCH)
    assert idx.tolist() == network._batches(len(ctx["Xtr"]), 16, checked["seed"], epoch)[at].tolist()
    assert r.hessian(idx, checked, ctx) is None  # no Sophia here
    r.train(checked, ctx, [idx])  # and the step itself is the recorded one
    assert r.theta.tolist() == runs[run]["snapshots"][step]


# ---------------------------------------------------------------- Sophia's Hessian (a stub until sophia.py lands)

class StubHessianOptimizer(NamedTuple):  # the shape of optimizer_spec.HessianOptimizer (contract S)
    init: Callable
    update: Callable
    wants_hessian: Callable
    hutchinson: Callable


class StubState(NamedTuple):
    step: int
    h: np.ndarray


def stub_sophia(lr=0.05, every=3, record=None):
    """A diagonal Newton-like step g / max(h, 1e-3), h refreshed every ``every`` steps; records what it is given."""
    def init(params):
        return StubState(0, np.ones_like(params))

    def wants(state):
        return state.step % every == 0

    def hutchinson(hv, size, rng):
        total = np.zeros(size)
        for _ in range(2):
            u = rng.choice(np.array([-1.0, 1.0]), size)
            total += u * hv(u)
        return total / 2

    def update(grads, state, params, hessian=None):
        record.append((state.step + 1, grads.copy(), None if hessian is None else hessian.copy()))
        h = state.h if hessian is None else hessian
        return -lr * grads / np.maximum(np.abs(h), 1e-3), StubState(state.step + 1, h)

    return StubHessianOptimizer(init, update, wants, hutchinson)


@pytest.fixture
def stubbed(monkeypatch):
    """optimizer_spec.make gives the stub for an entry named "lion" (any registered name would do)."""
    record = []
    real = optimizer_spec.make

    def make(entry, field, clip=True):
        return stub_sophia(record=record) if entry["name"] == "lion" else real(entry, field, clip)

    monkeypatch.setattr(network.optimizer_spec, "make", make)
    return record


def expected_hessian(checked, ctx, theta, idx, step):
    rng = np.random.default_rng([checked["seed"], network.HUTCHINSON_STREAM, step])
    total = np.zeros(theta.size)
    for _ in range(2):
        u = rng.choice(np.array([-1.0, 1.0]), theta.size)
        total += u * hvp(theta, ctx["layout"], ctx["Xtr"][idx], ctx["ytr"][idx], "tanh", "cross_entropy",
                         checked["l2"], u)
    return total / 2


def test_the_loop_passes_the_hutchinson_estimate_when_the_optimizer_wants_it(stubbed):
    spec = spec_with({"name": "lion", "clip_grad_norm": 0.05}, l2=0.01)
    runs = train(spec)
    checked = descentlab.validate(spec)
    ctx = network._prepare(checked)
    steps = [s for s, _, _ in stubbed]
    assert steps == list(range(1, STEPS + 1))
    for step, grad, hess in stubbed:
        if (step - 1) % 3:
            assert hess is None
            continue
        r, idx = network.replay(checked, ctx, 0, step)
        assert r.theta.tolist() == runs[0]["snapshots"][step - 1]
        want = expected_hessian(checked, ctx, r.theta, idx, step)
        assert hess.tobytes() == want.tobytes()
        assert r.hessian(idx, checked, ctx).tobytes() == want.tobytes()  # contract N: what the loop passed
        _, g = mlp.loss_and_grad(r.theta, ctx["layout"], ctx["Xtr"][idx], ctx["ytr"][idx], "tanh", "cross_entropy",
                                 0.01)
        assert np.sqrt(np.sum(grad * grad)) <= 0.05 * (1 + 1e-12) < np.sqrt(np.sum(g * g))  # clipped first
    assert runs[0]["clipped"] > 0


def test_a_hessian_run_is_deterministic_and_learns(stubbed):
    spec = spec_with({"name": "lion"}, epochs=6)
    a, b = train(spec)[0], train(spec)[0]
    assert a["weights"] == b["weights"]
    assert a["diverged_at"] is None
    assert a["epochs"]["train_loss"][-1] < a["epochs"]["train_loss"][0]


def test_a_fork_into_a_hessian_optimizer_gets_a_fresh_state_and_the_hessian(stubbed):
    runs = train(spec_with({"name": "sgd", "lr": 0.1}, {"name": "lion", "fork": {"run": 0, "step": K}}))
    assert runs[1]["train_loss"][:K] == runs[0]["train_loss"][:K]
    assert stubbed[0][0] == 1 and stubbed[0][2] is not None  # a fresh state: its own step 1 refreshes h
    assert len(stubbed) == STEPS - K


def _sophia_available():
    return "sophia" in optimizers.REGISTRY or "sophia" in getattr(optimizers, "EXTRA", {})


@pytest.mark.skipif(not _sophia_available(), reason="optimizers/sophia.py has not landed yet")
def test_sophia_trains_a_network_deterministically():
    spec = spec_with({"name": "sophia"}, epochs=8)
    a, b = descentlab.run(spec), descentlab.run(spec)
    assert a["digest"] == b["digest"]
    run = a["runs"][0]
    assert run["diverged_at"] is None
    assert run["epochs"]["train_loss"][-1] < run["epochs"]["train_loss"][0]


def test_a_fork_run_without_its_parent_is_a_spec_error_not_a_crash():
    """A caller that trains an entry alone (a tune's grid run) cannot follow its fork: named, no recursion."""
    checked = descentlab.validate(spec_with({"name": "sgd"}, {"name": "adam", "fork": {"run": 0, "step": 3}}))
    alone = dict(checked, optimizers=[checked["optimizers"][1]])
    with pytest.raises(SpecError) as e:
        next(network.iterate(alone))
    assert e.value.field == "optimizers[0].fork.run"


@pytest.mark.skipif(not _sophia_available(), reason="optimizers/sophia.py has not landed yet")
@pytest.mark.parametrize("extra", [
    {"hessian_distribution": "rademacher", "num_samples": 2, "update_period": 3},
    {"schedule": {"name": "cosine", "T_max": 18}, "clip_grad_norm": 0.5},
])
def test_sophia_gets_the_contracts_hutchinson_estimate_in_the_network(extra):
    """Contract S: at a refresh step the loop passes sophia.hutchinson(hvp, size, rng), rng seeded by
    [seed, HUTCHINSON_STREAM, step]; network.replay + _Run.hessian give the same (contract N)."""
    spec = spec_with({"name": "sophia", "lr": 0.05, **extra}, l2=0.01,
                     model={"hidden": [5], "activation": "gelu"})
    checked = descentlab.validate(spec)
    ctx = network._prepare(checked)
    entry = checked["optimizers"][0]
    opt = optimizer_spec.make(entry, "optimizers[0]", clip=False)
    assert isinstance(opt, optimizer_spec.HessianOptimizer)
    seen = []
    real = opt.update

    def spy(grads, state, params, hessian=None):
        seen.append((state.step + 1, hessian))
        return real(grads, state, params, hessian=hessian)

    r, idx = network.replay(checked, ctx, 0, 1)
    r.opt = r.opt._replace(update=spy)
    for epoch in range(3):
        r.train(checked, ctx, network._batches(len(ctx["Xtr"]), 16, checked["seed"], epoch))
    assert len(seen) == STEPS
    period = entry["params"]["update_period"]
    for step, hess in seen:
        assert (hess is not None) == ((step - 1) % period == 0)
    for step in (1, 1 + period):
        r2, idx2 = network.replay(checked, ctx, 0, step)
        rng = np.random.default_rng([checked["seed"], network.HUTCHINSON_STREAM, step])
        want = opt.hutchinson(lambda v: hvp(r2.theta, ctx["layout"], ctx["Xtr"][idx2], ctx["ytr"][idx2], "gelu",
                                            "cross_entropy", 0.01, v), r2.theta.size, rng)
        assert r2.hessian(idx2, checked, ctx).tobytes() == want.tobytes()
        assert dict(seen)[step].tobytes() == want.tobytes()
    a, b = descentlab.run(spec), descentlab.run(spec)
    assert a["digest"] == b["digest"] and a["runs"][0]["diverged_at"] is None


def test_a_network_fork_may_come_after_the_longest_landscape_run():
    """A network run can be 50,000 steps (network.MAX_STEPS): a fork at step 12,000 is valid;
    past the run's own end it is refused with the run's range."""
    spec = {"kind": "network", "dataset": {"name": "moons", "n": 200, "noise": 0.1, "seed": 1},
            "model": {"hidden": [4]}, "epochs": 100, "batch_size": 1,
            "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01, "fork": {"run": 0, "step": 12_000}}]}
    assert descentlab.validate(spec)["optimizers"][1]["fork"] == {"run": 0, "step": 12_000}
    spec["optimizers"][1]["fork"]["step"] = 40_000
    with pytest.raises(SpecError) as e:
        descentlab.validate(spec)
    assert e.value.field == "optimizers[1].fork.step" and "the run's steps" in e.value.message
