"""A projection reuses the worker's last network training (worker_glue.TRAINED, lent to
projection.TRAINED) instead of training again: bit for bit the same result and digest.

Driven through the worker's glue (start/step) as web/worker.js drives it. Prints the time
of a digits projection with and without reuse (pytest -s).
"""

import json
import time

import pytest

import descentlab
from descentlab import network, projection
from descentlab import worker_glue as glue

NETWORK = {"kind": "network", "dataset": {"name": "moons", "n": 120, "noise": 0.2, "seed": 1},
           "model": {"hidden": [8], "activation": "tanh"}, "epochs": 4, "batch_size": 16, "snapshot_every": 2,
           "optimizers": [{"name": "sgd", "lr": 0.1, "color": "#e6194b"}, {"name": "adam", "lr": 0.01}]}


def projection_of(net, **kw):
    return {"kind": "projection", "network": net, "target": "trajectories", "max_iter": 250, "grid": 5,
            "perplexity": 5, **kw}


def drive(run_id, spec):
    """start/step to the end as the worker does: (progress items, result digest)."""
    assert json.loads(glue.start(run_id, json.dumps(spec))) == {"ok": True}
    items = []
    while True:
        out = json.loads(glue.step(run_id))
        glue.take_blob()
        assert "error" not in out, out
        chunk = out["chunk"]
        if "result" in chunk:
            return items, chunk["result"]["digest"]
        items.append(chunk)


@pytest.fixture(autouse=True)
def empty_cache():
    glue.TRAINED.clear()
    yield
    glue.TRAINED.clear()
    projection.TRAINED = None


def trained_again(items):
    return any(i.get("phase") == "train" and not i.get("reused") and i["done"] < i["total"] for i in items) \
        and not any(i.get("reused") for i in items)


@pytest.mark.parametrize("target", ["trajectories", "activations", "data"])
def test_a_projection_after_the_network_run_reuses_it_bit_for_bit(target):
    spec = projection_of(NETWORK, target=target, **({"run": 1, "layer": 0} if target == "activations" else {}))
    native = descentlab.run(spec)["digest"]   # trains (no cache natively)
    drive("net", NETWORK)                     # the Network view's run
    items, got = drive("proj", spec)
    assert got == native
    assert [i for i in items if i.get("reused")] and not trained_again(items)


def test_a_different_network_is_trained_and_then_remembered():
    other = {**NETWORK, "epochs": 3}
    drive("net", NETWORK)
    items, got = drive("proj1", projection_of(other))
    assert trained_again(items) and got == descentlab.run(projection_of(other))["digest"]
    # the projection's own training is kept: new t-SNE settings do not train again
    items, got = drive("proj2", projection_of(other, perplexity=7))
    assert [i for i in items if i.get("reused")] and got == descentlab.run(projection_of(other, perplexity=7))["digest"]
    # one training is kept (TRAINED_KEEP): the Network view's run was replaced
    assert glue.TRAINED_KEEP == 1 and len(glue.TRAINED.entries) == 1
    items, _ = drive("proj3", projection_of(NETWORK))
    assert trained_again(items)


def test_colours_and_settings_are_part_of_the_key():
    drive("net", NETWORK)
    recoloured = json.loads(json.dumps(NETWORK))
    recoloured["optimizers"][0]["color"] = "#000000"
    items, got = drive("proj", projection_of(recoloured))
    assert trained_again(items) and got == descentlab.run(projection_of(recoloured))["digest"]


def test_a_cancelled_or_failed_network_run_is_not_remembered():
    assert json.loads(glue.start("net", json.dumps(NETWORK))) == {"ok": True}
    json.loads(glue.step("net"))
    glue.take_blob()
    glue.stop("net")
    assert glue.TRAINED.entries == [] and "net" not in glue._NETWORK_RUNS
    glue.start("bad", json.dumps({**NETWORK, "epochs": -1}))   # refused at its first step
    assert json.loads(glue.step("bad"))["error"]["field"] == "epochs"
    assert "bad" not in glue._NETWORK_RUNS and glue.TRAINED.entries == []


LONG = {**NETWORK, "epochs": 8, "snapshot_every": "auto",
        "optimizers": NETWORK["optimizers"] + [{"name": "momentum", "lr": 0.05, "fork": {"run": 0, "step": 40}}]}


def stop_after_epoch(run_id, spec, k):
    """Train ``spec`` through the glue until epoch ``k`` is reported, then Stop (as the page's
    Stop: the worker calls stop between two chunks); returns that epoch's progress item."""
    assert json.loads(glue.start(run_id, json.dumps(spec))) == {"ok": True}
    while True:
        chunk = json.loads(glue.step(run_id))["chunk"]
        glue.take_blob()
        assert "result" not in chunk
        if chunk.get("epoch") == k:
            glue.step(run_id)  # one more chunk of epoch k + 1: the stopped run is still the one after epoch k
            glue.take_blob()
            glue.stop(run_id)
            return chunk


def test_a_stopped_network_run_is_projected_without_training_and_equals_its_cut_spec():
    item = stop_after_epoch("net", LONG, 3)
    assert item["steps_per_epoch"] == 6 and isinstance(item["snapshot_every"], int)
    cut = network.stopped_spec(LONG, 3, item["snapshot_every"], item["steps_per_epoch"])
    assert cut["epochs"] == 3 and cut["optimizers"][2]["fork"] == {"run": 0, "step": 18}  # 40 is past the end
    assert glue.TRAINED.entries[0][1]["stopped_after_epoch"] == 3
    items, got = drive("proj", projection_of(cut))
    reused = [i for i in items if i.get("reused")]
    assert reused and reused[0]["stopped_after_epoch"] == 3 and not trained_again(items)
    # the stopped run's snapshots are those a 3-epoch training of the cut spec makes: same projection
    assert got == descentlab.run(projection_of(cut))["digest"]


def test_the_stopped_runs_snapshots_are_its_first_epochs():
    stopped: list = []
    checked = descentlab.validate(LONG)
    steps = network.iterate(checked, stopped=stopped)
    for item in steps:
        if item.get("epoch") == 2:
            break
    next(steps)  # into epoch 3
    steps.close()
    part = stopped[0]()
    full = descentlab.run(network.stopped_spec(LONG, 2, part["snapshot_every"], part["steps_per_epoch"]))
    assert part["stopped_after_epoch"] == 2
    for mine, theirs in zip(part["runs"], full["runs"]):
        assert mine["snapshots"] == theirs["snapshots"] and mine["weights"] == theirs["weights"]
        assert mine["snapshot_steps"] == theirs["snapshot_steps"]


def test_a_finished_run_replaces_a_stopped_one():
    stop_after_epoch("net", LONG, 1)
    assert glue.TRAINED.entries and glue.TRAINED.entries[0][1]["stopped_after_epoch"] == 1
    drive("net2", NETWORK)
    assert len(glue.TRAINED.entries) == 1 and glue.TRAINED.entries[0][1]["stopped_after_epoch"] is None
    items, _ = drive("proj", projection_of(NETWORK))
    assert [i for i in items if i.get("reused")] and not any("stopped_after_epoch" in i for i in items)


def test_digits_projection_time_with_and_without_reuse(capsys):
    """Not a timing assertion: the figures are printed for the record (pytest -s)."""
    net = {"kind": "network", "dataset": {"name": "digits"}, "model": {"hidden": [32], "activation": "tanh"},
           "epochs": 10, "snapshot_every": "auto",
           "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "momentum", "lr": 0.05}, {"name": "adam", "lr": 0.01}]}
    spec = projection_of(net, max_iter=250, grid=9, perplexity=30)
    t0 = time.perf_counter()
    _, retrained = drive("p0", spec)
    t1 = time.perf_counter()
    glue.TRAINED.clear()
    drive("n", net)
    t2 = time.perf_counter()
    items, reused = drive("p1", spec)
    t3 = time.perf_counter()
    assert reused == retrained and [i for i in items if i.get("reused")]
    with capsys.disabled():
        print(f"\ndigits projection: trained {t1 - t0:.2f} s, reusing the network run {t3 - t2:.2f} s"
              f" (the network run itself {t2 - t1:.2f} s)")
