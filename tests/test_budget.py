"""Every valid spec is bounded: the work budget, progress cadence and degenerate projections."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import descentlab
from descentlab import budget, network, tsne
from descentlab.errors import SpecError
from descentlab.nn import mlp

TWELVE = [{"name": "adam"}] * 12


def refused(spec) -> SpecError:
    with pytest.raises(SpecError) as info:
        descentlab.validate(copy.deepcopy(spec))
    return info.value


@pytest.mark.parametrize("spec, fields", [
    # the network at its documented limits: about 6.7 hours before the budget
    ({"kind": "network", "dataset": {"name": "spirals", "n": 5000}, "model": {"hidden": [256, 256, 128]},
      "epochs": 1000, "batch_size": 500, "snapshot_every": "auto", "optimizers": TWELVE},
     {"epochs", "model.hidden"}),
    # batch size 1 at the step limit: about half an hour
    ({"kind": "network", "dataset": {"name": "moons", "n": 1000}, "epochs": 62, "batch_size": 1,
      "snapshot_every": "auto", "optimizers": [{"name": "sgd"}]}, {"epochs"}),
    # exact t-SNE of 5000 points: minutes
    ({"kind": "tsne", "dataset": {"name": "blobs", "n": 5000}, "method": "exact"}, {"method", "dataset"}),
])
def test_specs_over_the_budget_are_refused_naming_their_fields(spec, fields):
    error = refused(spec)
    assert error.field in fields
    assert "budget" in error.message and "driven by" in error.message
    assert any(word in error.message for word in ("Lower", "Use", "fewer", "smaller"))


def test_the_default_digits_tsne_is_within_the_budget():
    assert descentlab.validate({"kind": "tsne", "dataset": {"name": "digits"}})["method"] == "auto"


def test_snapshots_of_all_runs_are_capped_and_the_named_minimum_is_accepted():
    rng = np.random.default_rng(0)  # three features: no decision-boundary grid to draw
    points = {"points": rng.standard_normal((400, 3)).tolist(), "labels": [i % 2 for i in range(400)]}
    spec = {"kind": "network", "dataset": points, "model": {"hidden": [256, 256]},
            "epochs": 8, "batch_size": 320, "snapshot_every": 1, "optimizers": TWELVE[:6]}
    error = refused(spec)
    assert error.field == "snapshot_every"
    least = int(error.message.split("at least ")[1].split()[0])
    checked = descentlab.validate(dict(spec, snapshot_every=least))  # "at least N" accepts N
    assert checked["snapshot_every"] == least
    assert refused(dict(spec, snapshot_every=least - 1)).field == "snapshot_every"
    size = mlp.make_layout(3, [256, 256], 2).size
    steps = network.run_steps(checked, 400)
    assert 6 * (steps // least + 1) * size <= network.MAX_SNAPSHOT_FLOATS
    assert 6 * (steps // (least - 1) + 1) * size > network.MAX_SNAPSHOT_FLOATS


def test_auto_snapshot_interval_keeps_about_the_target_count_within_the_cap():
    spec = {"kind": "network", "dataset": {"name": "moons", "n": 400}, "epochs": 100, "batch_size": 10,
            "snapshot_every": "auto", "optimizers": [{"name": "sgd"}]}
    checked = descentlab.validate(spec)
    steps = network.run_steps(checked, 400)
    assert checked["snapshot_every"] == math.ceil(steps / network.AUTO_SNAPSHOTS)
    assert steps // checked["snapshot_every"] + 1 <= network.AUTO_SNAPSHOTS + 1


def test_projection_snapshots_are_bounded():
    spec = {"kind": "projection", "network": {"dataset": {"name": "moons", "n": 1000}, "epochs": 500,
                                              "batch_size": 1, "snapshot_every": 1,
                                              "optimizers": TWELVE}}
    error = refused(spec)
    assert error.field.startswith("network.")


def test_over_budget_message_names_time_and_memory():
    cost = budget.Cost(budget.SECONDS * 3, budget.MEMORY_BYTES * 2, (("epochs", 900), ("optimizers", 12)),
                       "Lower epochs.")
    with pytest.raises(SpecError) as info:
        budget.check(cost)
    assert info.value.field == "epochs"
    assert "of work" in info.value.message and "of memory" in info.value.message
    assert "epochs=900, optimizers=12" in info.value.message
    assert budget.check(budget.Cost(1.0, 1.0, (), "")).seconds == 1.0


def test_network_progress_arrives_between_small_chunks_of_work(monkeypatch):
    """Between two progress items, the estimated work is at most PROGRESS_SECONDS (plus one epoch's evaluation)."""
    spec = descentlab.validate({"kind": "network", "dataset": {"name": "moons", "n": 600}, "epochs": 2,
                                "batch_size": 1, "model": {"hidden": [8]},
                                "optimizers": [{"name": "sgd"}, {"name": "adam"}]})
    calls = {"n": 0}
    real = mlp.loss_and_grad

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(mlp, "loss_and_grad", counting)
    ctx = network._prepare(spec)
    per_step = network._step_seconds(spec, ctx)
    gaps = []
    for _item in network.iterate(spec):
        gaps.append(calls["n"])
        calls["n"] = 0
    steps_between = max(gaps)
    assert steps_between >= 2  # it did batch steps together
    # the steps between two items fit the chunk, plus the two evaluation passes of an epoch's end
    assert (steps_between - 2) * per_step <= budget.PROGRESS_SECONDS + per_step
    assert len(gaps) > 2 * spec["epochs"]  # heartbeats within epochs


def test_tsne_reports_progress_between_checks():
    spec = descentlab.validate({"kind": "tsne", "dataset": {"name": "blobs", "n": 600}, "method": "exact",
                                "max_iter": 60})
    items = list(descentlab.iter_run(spec))
    optimize = [it["done"] for it in items if it.get("phase") == "optimize"]
    chunk = budget.chunk(tsne.exact_iteration_seconds(600))
    assert chunk < tsne.CHECK_EVERY
    assert all(b - a <= chunk for a, b in zip(optimize, optimize[1:]))
    heartbeats = [it for it in items if it.get("heartbeat")]
    assert heartbeats and all("embedding" not in it for it in heartbeats)


def _finite(o):
    if isinstance(o, float):
        return math.isfinite(o)
    if isinstance(o, dict):
        return all(_finite(v) for v in o.values())
    if isinstance(o, (list, tuple)):
        return all(_finite(v) for v in o)
    return True


SMALL_NET = {"dataset": {"name": "moons", "n": 60}, "model": {"hidden": [4]}, "epochs": 3, "batch_size": 20,
             "snapshot_every": 1, "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.1}]}


@pytest.mark.parametrize("extra", [
    {"target": "data", "network": dict(SMALL_NET, dataset={"points": [[float(i % 7)] for i in range(40)],
                                                           "labels": [i % 2 for i in range(40)]})},
    {"target": "activations", "network": dict(SMALL_NET, model={"hidden": [1]})},
    {"target": "trajectories", "network": SMALL_NET},
])
def test_degenerate_projections_give_finite_results(extra):
    result = descentlab.run({"kind": "projection", "max_iter": 250, **extra})
    assert _finite(result)
    assert "note" in result or "tsne" in result


def test_projection_of_identical_snapshots_says_so(monkeypatch):
    monkeypatch.setattr(network, "DIVERGENCE_BOUND", 0.0)  # every run diverges at its first step
    result = descentlab.run({"kind": "projection", "max_iter": 250, "network": SMALL_NET})
    assert "note" in result and "pca" not in result
    assert all(run["diverged_at"] == 1 for run in result["runs"])
    assert _finite(result)


def test_projection_needs_two_snapshots_a_run():
    spec = {"kind": "projection", "network": dict(SMALL_NET, snapshot_every=1000)}
    assert refused(spec).field == "network.snapshot_every"


def test_identical_points_start_tsne_at_random():
    X = np.ones((10, 3))
    Y = tsne.initial_embedding(X, "pca", 0)
    assert np.isfinite(Y).all()
    assert np.array_equal(Y, tsne.initial_embedding(X, "random", 0))


def test_projection_estimate_names_the_snapshot_fields():
    big = {"kind": "projection", "max_iter": 2000,
           "network": {"dataset": {"name": "moons", "n": 2000}, "epochs": 60, "batch_size": 8,
                       "snapshot_every": 2, "optimizers": [{"name": "adam"}] * 4}}
    error = refused(big)
    assert error.field.startswith("network.") or error.field == "max_iter"


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy", "mse"])
def test_boundary_in_blocks_equals_one_pass(loss):
    spec = descentlab.validate({"kind": "network", "dataset": {"name": "moons", "n": 100}, "loss": loss,
                                "boundary_size": 9, "optimizers": [{"name": "adam"}]})
    ctx = network._prepare(spec)
    drain = budget.drain
    whole = drain(network._boundary(ctx["theta0"], ctx, spec, 0, 81, 0, 1))
    for rows in (2, 3, 40):
        assert drain(network._boundary(ctx["theta0"], ctx, spec, 0, rows, 0, 1)) == whole


# --- tune: the sum of its runs ------------------------------------------------------

TUNE_NET = {"kind": "network", "dataset": {"name": "moons", "n": 400}, "model": {"hidden": [16, 16]},
            "epochs": 50, "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}]}


def test_a_tune_over_the_budget_names_its_grid_first():
    error = refused({"kind": "tune", "scene": TUNE_NET, "lr": {"points": 25}, "repeats": 9})
    assert error.field == "lr.points"
    assert "budget" in error.message and "lr.points=25, repeats=9" in error.message and "scene.epochs=50" in error.message
    assert "fewer lr.points or repeats" in error.message


def test_a_tune_costs_the_sum_of_its_runs():
    from descentlab import landscape, tune
    scene = {"kind": "landscape", "function": "rosenbrock", "steps": 2000,
             "optimizers": [{"name": "adam"}, {"name": "sgd"}, {"name": "lion"}]}
    checked = descentlab.validate({"kind": "tune", "scene": scene, "lr": {"points": 7}, "repeats": 4})
    runs = 3 * (7 + 4 - 1) + 3  # the grid, repeats 1..3 (repeat 0 is a grid run), the scene at the best lrs
    one = landscape.cost(descentlab.validate(dict(scene, optimizers=[{"name": "adam"}]))).seconds
    assert tune.cost(checked).seconds == pytest.approx(runs * one, rel=1e-12)
    # a scene within the budget whose tune is not: refused before any run, naming the grid
    big = dict(scene, steps=10_000, optimizers=[{"name": "adam"}] * 12)
    descentlab.validate(big)
    assert refused({"kind": "tune", "scene": big, "lr": {"points": 25}, "repeats": 9}).field == "lr.points"


def test_the_default_network_tune_is_within_the_budget():
    checked = descentlab.validate({"kind": "tune", "scene": TUNE_NET})
    from descentlab import tune
    assert tune.cost(checked).seconds <= budget.SECONDS


def test_a_tune_scene_over_the_budget_is_named_inside_the_scene():
    error = refused({"kind": "tune", "scene": dict(TUNE_NET, epochs=1000, snapshot_every="auto", optimizers=TWELVE)})
    assert error.field.startswith("scene.") and "budget" in error.message
