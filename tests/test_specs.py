"""Specs: validation names the field and the allowed range, and runs are deterministic."""

import copy
import json
import math

import numpy as np
import pytest

import descentlab
import strategies as S
from descentlab import SpecError, run, validate
from spec_builders import LANDSCAPE, NETWORK, SMALL_NETWORK, with_change

L, N = LANDSCAPE, SMALL_NETWORK
BAD = [
    # (base spec, path, new value, the field the error must name)
    (L, ("kind",), "landscap", "kind"),
    (L, ("kind",), 3, "kind"),
    (L, ("function",), "rosenbrok", "function"),
    (L, ("function",), None, "function"),
    (L, ("start",), [1.0], "start"),
    (L, ("start",), "1,2", "start"),
    (L, ("start", 0), float("nan"), "start[0]"),
    (L, ("start", 1), float("inf"), "start[1]"),
    (L, ("start", 1), 1e9, "start[1]"),
    (L, ("start", 0), "1", "start[0]"),
    (L, ("steps",), 0, "steps"),
    (L, ("steps",), -5, "steps"),
    (L, ("steps",), 10**7, "steps"),
    (L, ("steps",), 10.5, "steps"),
    (L, ("steps",), True, "steps"),
    (L, ("record_state",), "yes", "record_state"),
    (L, ("only",), 2, "only"),  # two optimizers: 0 or 1
    (L, ("only",), -1, "only"),
    (L, ("only",), 0.5, "only"),
    (L, ("optimizers",), [], "optimizers"),
    (L, ("optimizers",), {"name": "adam"}, "optimizers"),
    (L, ("optimizers",), [{"name": "adam"}] * 50, "optimizers"),
    (L, ("optimizers", 0), "adam", "optimizers[0]"),
    (L, ("optimizers", 0, "name"), "adamm", "optimizers[0].name"),
    (L, ("optimizers", 0, "lr"), -0.1, "optimizers[0].lr"),
    (L, ("optimizers", 0, "lr"), 0.0, "optimizers[0].lr"),
    (L, ("optimizers", 0, "lr"), 1e6, "optimizers[0].lr"),
    (L, ("optimizers", 0, "lr"), float("nan"), "optimizers[0].lr"),
    (L, ("optimizers", 0, "lr"), "0.1", "optimizers[0].lr"),
    (L, ("optimizers", 0, "beta1"), 1.5, "optimizers[0].beta1"),
    (L, ("optimizers", 0, "beta2"), -0.1, "optimizers[0].beta2"),
    (L, ("optimizers", 0, "eps"), 0.0, "optimizers[0].eps"),
    (L, ("optimizers", 0, "amsgrad"), 1, "optimizers[0].amsgrad"),
    (L, ("optimizers", 0, "momentum"), 0.9, "optimizers[0].momentum"),  # adam has no momentum
    (L, ("optimizers", 1, "nesterov"), "true", "optimizers[1].nesterov"),
    (L, ("optimizers", 1, "momentum"), 2.0, "optimizers[1].momentum"),
    (L, ("optimizers", 1, "momentum"), 0.0, "optimizers[1].nesterov"),  # nesterov needs momentum
    (L, ("optimizers", 1, "color"), "red", "optimizers[1].color"),
    (L, ("optimizers", 1, "label"), "x" * 500, "optimizers[1].label"),
    (L, ("function_params",), {"condition": 5.0}, "function_params.condition"),  # rosenbrock has none
    (L, ("lerning_rate",), 0.1, "lerning_rate"),
    (N, ("dataset",), "moons", "dataset"),
    (N, ("dataset", "name"), "banana", "dataset.name"),
    (N, ("dataset", "n"), 10**7, "dataset.n"),
    (N, ("dataset", "n"), 2.5, "dataset.n"),
    (N, ("dataset", "noise"), -1.0, "dataset.noise"),
    (N, ("dataset", "seed"), -1, "dataset.seed"),
    (N, ("dataset", "val_fraction"), 0.9, "dataset.val_fraction"),
    (N, ("dataset", "colour"), 1, "dataset.colour"),
    (N, ("model", "hidden"), [16] * 20, "model.hidden"),
    (N, ("model", "hidden"), [0], "model.hidden[0]"),
    (N, ("model", "hidden"), [10**6], "model.hidden[0]"),
    (N, ("model", "hidden"), "16,16", "model.hidden"),
    (N, ("model", "activation"), "swish", "model.activation"),
    (N, ("loss",), "hinge", "loss"),
    (N, ("batch_size",), 0, "batch_size"),
    (N, ("epochs",), 0, "epochs"),
    (N, ("epochs",), 100_000, "epochs"),
    (N, ("seed",), 2**40, "seed"),
    (N, ("snapshot_every",), 0, "snapshot_every"),
    (N, ("l2",), 5.0, "l2"),
    (N, ("optimizers", 0, "lr"), 100.0, "optimizers[0].lr"),
    (N, ("model",), [16], "model"),
    # integers too large for a float, anywhere a number goes
    (L, ("steps",), 10**400, "steps"),
    (L, ("steps",), -(10**400), "steps"),
    (L, ("start", 1), 10**309, "start[1]"),
    (L, ("optimizers", 0, "lr"), 10**400, "optimizers[0].lr"),
    (L, ("only",), 2**64, "only"),
    (N, ("dataset", "noise"), 10**400, "dataset.noise"),
    (N, ("dataset",), {"points": [[1, 10**400]] + [[1, 2]] * 30, "labels": [0, 1] * 15 + [0]},
     "dataset.points[0][1]"),
    (N, ("dataset",), {"points": [[1, 2]] * 30, "labels": [10**400] + [0, 1] * 14 + [1]}, "dataset.labels[0]"),
    # empty keys are named as such, wherever they sit
    (L, ("",), 1, '""'),
    (L, ("optimizers", 0, ""), 1, 'optimizers[0].""'),
    (L, ("function_params",), {"": 1}, 'function_params.""'),
    (N, ("dataset", ""), 1, 'dataset.""'),
    (N, ("dataset",), {"recipe": {"components": [{"generator": "moons", "": 1}]}},
     'dataset.recipe.components[0].""'),
    (L, (" ",), 1, '" "'),
    # nesting far deeper than any spec, named where it goes too deep
    (L, ("steps",), S.nested(100_000), "steps" + "[0]" * (descentlab.api.MAX_DEPTH - 1)),
    (L, ("optimizers", 0, "name"), S.nested(100_000, as_dict=True),
     "optimizers[0].name" + ".a" * (descentlab.api.MAX_DEPTH - 3)),
]


@pytest.mark.parametrize("base,path,value,field", BAD, ids=[f"{b['kind']}:{f}" for b, _, _, f in BAD])
def test_bad_spec_names_the_field(base, path, value, field):
    spec = with_change(base, path, value)
    with pytest.raises(SpecError) as info:
        run(spec)
    assert info.value.field == field, str(info.value)
    assert info.value.message and field in str(info.value)


def test_enough_bad_specs():
    assert len(BAD) >= 40


@pytest.mark.parametrize("spec", [None, [], "landscape", 3, {}, {"kind": None}])
def test_not_an_object_or_no_kind(spec):
    with pytest.raises(SpecError):
        run(spec)


def test_messages_give_the_allowed_range():
    with pytest.raises(SpecError) as info:
        run(with_change(LANDSCAPE, ("steps",), 0))
    assert "1" in info.value.message and "10000" in info.value.message
    with pytest.raises(SpecError) as info:
        run(with_change(LANDSCAPE, ("optimizers", 0, "name"), "adamm"))
    assert "adam" in info.value.message and "sgd" in info.value.message


def test_work_limits_combine_fields():
    spec = dict(NETWORK, epochs=1000, batch_size=1)
    with pytest.raises(SpecError) as info:
        validate(spec)
    assert info.value.field == "epochs" and "batch_size" in info.value.message
    spec = dict(NETWORK, loss="binary_cross_entropy", dataset={"name": "blobs", "classes": 3})
    with pytest.raises(SpecError) as info:
        validate(spec)
    assert info.value.field == "loss"


def test_validate_fills_every_default():
    checked = validate(LANDSCAPE)
    adam = checked["optimizers"][0]["params"]
    assert adam == {"lr": 0.05, **{k: v for k, v in descentlab.optimizers.REGISTRY["adam"].defaults.items()
                                   if k != "lr"}}
    assert checked["optimizers"][1]["params"]["nesterov"] is True


def test_landscape_example():
    result = run(LANDSCAPE)
    assert result["kind"] == "landscape" and len(result["digest"]) == 64
    for r in result["runs"]:
        assert r["diverged_at"] is None
        assert len(r["path"]) == LANDSCAPE["steps"] + 1 and r["path"][0] == [-1.5, 2.0]
        assert len(r["loss"]) == len(r["path"])
        assert set(descentlab.optimizers.REGISTRY[r["name"]].defaults) == set(r["params"])
    adam = result["runs"][0]
    assert adam["loss"][-1] < adam["loss"][0]
    json.dumps(result, allow_nan=False)


def test_only_runs_one_optimizer_of_the_whole_scene():
    from descentlab.digest import digest
    spec = dict(LANDSCAPE, optimizers=LANDSCAPE["optimizers"] + [{"name": "sgd", "lr": 0.5, "label": "too fast"}])
    whole = run(spec)
    assert whole["runs"][2]["diverged_at"] is not None
    parts = [run(dict(spec, only=i)) for i in range(3)]
    assert all(len(p["runs"]) == 1 for p in parts)
    merged = dict(parts[0], runs=[p["runs"][0] for p in parts])
    assert digest(merged) == whole["digest"]  # every float of every run, bit for bit
    # the whole spec is checked, so an error names the field as the whole spec has it
    bad = copy.deepcopy(spec)
    bad["optimizers"][2]["lr"] = -1.0
    with pytest.raises(SpecError) as e:
        run(dict(bad, only=0))
    assert e.value.field == "optimizers[2].lr"


def test_network_example_shapes():
    result = run(SMALL_NETWORK)
    assert result["kind"] == "network"
    for r in result["runs"]:
        assert r["diverged_at"] is None
        assert len(r["epochs"]["val_acc"]) == SMALL_NETWORK["epochs"]
        assert len(r["train_loss"]) == r["steps_run"] > 0
        assert r["snapshot_steps"][0] == 0 and len(r["snapshots"]) == len(r["snapshot_steps"])
        assert len(r["snapshots"][0]) == result["n_parameters"]
        assert r["snapshots"][0] == result["initial_weights"]  # the same start for everyone
        g = result["boundary_grid"]
        assert [b["epoch"] for b in r["boundaries"]] == list(range(0, SMALL_NETWORK["epochs"] + 1))
        for b in r["boundaries"]:
            assert np.array(b["cls"]).shape == np.array(b["prob"]).shape == (len(g["y"]), len(g["x"]))
    json.dumps(result, allow_nan=False)


def test_network_learns_moons():
    result = run(dict(NETWORK, epochs=30))
    for r in result["runs"]:
        assert r["epochs"]["val_acc"][-1] > 0.8, r["name"]
        assert r["epochs"]["train_loss"][-1] < r["epochs"]["train_loss"][0]


def test_divergence_is_reported_not_drawn():
    spec = with_change(LANDSCAPE, ("optimizers",), [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}])
    result = run(spec)
    sgd, adam = result["runs"]
    assert sgd["diverged_at"] is not None and 1 <= sgd["diverged_at"] <= spec["steps"]
    assert len(sgd["path"]) == sgd["diverged_at"]  # the start plus every finite step
    assert all(math.isfinite(v) for p in sgd["path"] for v in p)
    assert adam["diverged_at"] is None and len(adam["path"]) == spec["steps"] + 1  # the others continue


def test_network_divergence_keeps_the_other_runs():
    spec = dict(SMALL_NETWORK, optimizers=[{"name": "sgd", "lr": 10.0, "momentum": 0.99},
                                           {"name": "adam", "lr": 0.01}])
    spec["model"] = {"hidden": [16], "activation": "relu"}
    spec["loss"] = "mse"
    result = run(spec)
    bad, good = result["runs"]
    assert bad["diverged_at"] is not None
    assert good["diverged_at"] is None and len(good["epochs"]["val_acc"]) == spec["epochs"]
    json.dumps(result, allow_nan=False)


def test_record_state_gives_one_entry_per_step():
    spec = dict(LANDSCAPE, steps=5, record_state=True)
    result = run(spec)
    for r in result["runs"]:
        assert "grad" in r["state"] and "update" in r["state"]
        for values in r["state"].values():
            assert len(values) == 5
        # path[k] = path[k-1] + update_k
        p = np.array(r["path"])
        assert np.array_equal(p[1:], p[:-1] + np.array(r["state"]["update"]))


def test_same_spec_same_digest_other_seed_other_digest():
    assert run(LANDSCAPE)["digest"] == run(LANDSCAPE)["digest"]
    a = run(SMALL_NETWORK)["digest"]
    assert a == run(SMALL_NETWORK)["digest"]
    assert a != run(dict(SMALL_NETWORK, seed=1))["digest"]
    other_data = with_change(SMALL_NETWORK, ("dataset", "seed"), 1)
    assert a != run(other_data)["digest"]
    moved = with_change(LANDSCAPE, ("start", 0), -1.4)
    assert run(moved)["digest"] != run(LANDSCAPE)["digest"]


def test_iter_run_streams_then_gives_the_run_result():
    items = list(descentlab.iter_run(SMALL_NETWORK))
    # one item with the runs' news per epoch; bare heartbeats in between, never going back
    epochs = [i["done"] for i in items[:-1] if "runs" in i]
    assert epochs == list(range(1, SMALL_NETWORK["epochs"] + 1))
    done = [i["done"] for i in items]
    assert done == sorted(done)
    assert items[-1]["result"]["digest"] == run(SMALL_NETWORK)["digest"]


def test_grid_spec():
    result = run({"kind": "grid", "function": "himmelblau", "size": [20, 30]})
    z = np.array(result["z"])
    assert z.shape == (20, 30) and len(result["x"]) == 30 and len(result["y"]) == 20
    with pytest.raises(SpecError) as info:
        run({"kind": "grid", "function": "himmelblau", "size": [20, 5000]})
    assert info.value.field == "size[1]"


def test_list_catalog_is_json():
    cat = descentlab.list_catalog()
    json.dumps(cat, allow_nan=False)
    names = {o["name"] for o in cat["optimizers"]}
    assert {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw",
            "amsgrad", "nadam", "lion"} <= names
