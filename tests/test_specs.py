"""Specs: validation names the field, runs are deterministic, the CLI never shows a traceback."""

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descentlab
import descentlab.__main__ as cli_main
import strategies as S
from descentlab import SpecError, run, validate

ROOT = Path(__file__).resolve().parents[1]

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


# --- property-based: any spec either runs or raises SpecError, never anything else

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                      st.sampled_from(["adam", "sgd", "rosenbrock", "moons", "tanh", "landscape", "network"]))
json_value = st.recursive(json_leaf, lambda c: st.one_of(st.lists(c, max_size=4),
                                                         st.dictionaries(st.text(max_size=6), c, max_size=4)),
                          max_leaves=12)


def _mutations(base):
    keys = st.sampled_from(sorted(base))
    return st.tuples(keys, json_value)


def _small(spec):
    """Keep generated work small: the property is about validation, not speed."""
    if isinstance(spec.get("steps"), (int, float)) and not isinstance(spec.get("steps"), bool):
        spec["steps"] = min(spec["steps"], 50) if spec["steps"] == spec["steps"] else spec["steps"]
    if isinstance(spec.get("epochs"), (int, float)) and not isinstance(spec.get("epochs"), bool):
        spec["epochs"] = min(spec["epochs"], 2) if spec["epochs"] == spec["epochs"] else spec["epochs"]
    return spec


def _runs_or_spec_error(spec):
    """The two outcomes: a SpecError naming a field, or a result with every number finite."""
    try:
        result = run(spec)
    except SpecError as e:
        assert e.field.strip() and e.message, repr(e.field)
        return None
    S.assert_finite(result)
    json.dumps(result, allow_nan=False)
    return result


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(LANDSCAPE), max_size=3), st.lists(st.tuples(st.sampled_from(["lr", "beta1", "momentum",
       "eps", "nesterov", "name", "alpha", "rho", "weight_decay", "centered", "amsgrad", "bogus"]), json_value),
       max_size=3))
def test_random_landscape_specs_run_or_raise_spec_error(top, opt):
    spec = copy.deepcopy(LANDSCAPE)
    spec["steps"] = 20
    for k, v in top:
        spec[k] = v
    if isinstance(spec.get("optimizers"), list) and spec["optimizers"] and isinstance(spec["optimizers"][0], dict):
        for k, v in opt:
            spec["optimizers"][0][k] = v
    _runs_or_spec_error(_small(spec))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(SMALL_NETWORK), max_size=3),
       st.lists(st.tuples(st.sampled_from(["name", "n", "noise", "seed", "classes", "val_fraction", "x"]),
                          json_value), max_size=2),
       st.lists(st.tuples(st.sampled_from(["hidden", "activation", "y"]), json_value), max_size=2))
def test_random_network_specs_run_or_raise_spec_error(top, data, model):
    spec = copy.deepcopy(SMALL_NETWORK)
    spec["epochs"] = 1
    for k, v in top:
        spec[k] = v
    for target, changes in (("dataset", data), ("model", model)):
        if isinstance(spec.get(target), dict):
            for k, v in changes:
                spec[target][k] = v
    _runs_or_spec_error(_small(spec))


@settings(max_examples=1000, deadline=None)
@given(json_value)
def test_arbitrary_json_runs_or_raises_spec_error(value):
    _runs_or_spec_error(value)


# --- the command line

def cli(*args, stdin=None):
    env = {"PYTHONPATH": str(ROOT / "pywasm"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "descentlab", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300)


def test_cli_runs_both_examples(tmp_path):
    for spec in (LANDSCAPE, SMALL_NETWORK):
        path = tmp_path / "spec.json"
        path.write_text(json.dumps(spec))
        out = tmp_path / "out.json"
        done = cli("run", str(path), "-o", str(out))
        assert done.returncode == 0, done.stderr
        assert json.loads(out.read_text())["digest"] == run(spec)["digest"]
    done = cli("run", "-", stdin=json.dumps(LANDSCAPE))
    assert done.returncode == 0 and json.loads(done.stdout)["digest"] == run(LANDSCAPE)["digest"]


def test_cli_bad_spec_exits_2_without_traceback(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(with_change(LANDSCAPE, ("steps",), -5)))
    done = cli("run", str(path))
    assert done.returncode == 2
    assert "steps" in done.stderr and "Traceback" not in done.stderr
    path.write_text("{not json")
    done = cli("run", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = cli("run", str(tmp_path / "missing.json"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    path.write_text('{"kind": "landscape", "function": "rosenbrock", "start": [NaN, 1], '
                    '"optimizers": [{"name": "adam"}]}')
    done = cli("run", str(path))
    assert done.returncode == 2 and "start[0]" in done.stderr


def test_cli_list():
    done = cli("list")
    assert done.returncode == 0
    for word in ("rosenbrock", "adam", "lr=", "moons", "digits"):
        assert word in done.stdout


# --- every input is answered: the classes an outside fuzzer found (see tests/strategies.py)

KIND_BUILDERS = sorted(S.BUILDERS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KIND_BUILDERS).flatmap(lambda k: S.with_big_int(S.BUILDERS[k])))
def test_huge_integers_run_or_name_their_field(spec):
    _runs_or_spec_error(spec)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KIND_BUILDERS).flatmap(lambda k: S.with_awkward_key(S.BUILDERS[k])))
def test_awkward_keys_are_named_not_blank(spec):
    with pytest.raises(SpecError) as info:
        validate(spec)
    field = info.value.field
    assert field.strip() and (field.endswith("...") or not field.endswith(".")), field  # never "path."


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KIND_BUILDERS).flatmap(lambda k: S.from_rng(S.BUILDERS[k], mutate=True)))
def test_mutated_specs_of_every_kind_run_or_name_a_field(spec):
    _runs_or_spec_error(spec)


@settings(max_examples=200, deadline=None)
@given(S.regime_sweeps())
def test_regime_cells_are_checked_before_any_run(spec):
    """A sweep into a combination the optimizer refuses is a SpecError naming an axis, before any cell runs."""
    from descentlab import optimizers, regime
    try:
        checked = validate(spec)
    except SpecError as e:
        assert e.field.startswith(("x.", "y.", "optimizer.")), e.field  # an axis, or the optimizer itself
        return
    for yv in regime.axis_values(checked["y"]):
        for xv in regime.axis_values(checked["x"]):
            params = dict(checked["optimizer"]["params"], **{checked["x"]["param"]: float(xv),
                                                             checked["y"]["param"]: float(yv)})
            optimizers.make(checked["optimizer"]["name"], **params)  # every cell accepted


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(S.degenerate_projections())
def test_degenerate_projections_run_or_name_a_field(spec):
    _runs_or_spec_error(spec)


@pytest.mark.parametrize("deep", [S.nested(100_000), S.nested(100_000, as_dict=True), S.nested(25, "x")])
def test_absurd_nesting_is_a_spec_error_anywhere(deep):
    for base in (LANDSCAPE, SMALL_NETWORK):
        for key in base:
            with pytest.raises(SpecError) as info:
                validate(dict(base, **{key: deep}))
            assert info.value.field.startswith(key), info.value.field
        with pytest.raises(SpecError) as info:
            validate(dict(base, extra=deep))
        assert info.value.field.startswith("extra")


def test_regime_names_the_axis_that_reaches_a_refused_setting():
    base = {"kind": "regime", "function": "quadratic", "steps": 3, "optimizer": {"name": "nesterov"},
            "x": {"param": "lr", "min": 1e-3, "max": 0.1, "n": 3}}
    # Nesterov needs dampening 0: a y axis sweeping dampening up to 0.5 is refused at its max
    with pytest.raises(SpecError) as info:
        validate(dict(base, y={"param": "dampening", "min": 0.0, "max": 0.5, "n": 4, "scale": "linear"}))
    assert info.value.field == "y.max" and "dampening" in info.value.message and "nesterov" in info.value.message
    # EMA momentum needs momentum > 0: a momentum axis from 0 is refused at its min
    ema = dict(base, optimizer={"name": "sgd", "momentum": 0.5, "ema": True})
    with pytest.raises(SpecError) as info:
        validate(dict(ema, y={"param": "momentum", "min": 0.0, "max": 0.9, "n": 4}))
    assert info.value.field == "y.min" and "momentum" in info.value.message
    # EMA with dampening: 0 and the momentum itself are allowed, values between them are not
    with pytest.raises(SpecError) as info:
        validate(dict(ema, x={"param": "dampening", "min": 0.0, "max": 0.5, "n": 3, "scale": "linear"},
                      y={"param": "lr", "min": 1e-3, "max": 0.1, "n": 2}))
    assert info.value.field == "x.param"
    validate(dict(base, y={"param": "momentum", "min": 0.1, "max": 0.9, "n": 4}))  # all cells allowed


def test_regime_reports_within_rows():
    from descentlab import budget, regime
    spec = {"kind": "regime", "function": "booth", "steps": 2000, "optimizer": {"name": "adam"},
            "x": {"param": "lr", "min": 1e-3, "max": 0.1, "n": 10}, "y": {"param": "beta1", "min": 0.0, "max": 0.9, "n": 2}}
    items = list(descentlab.iter_run(spec))
    every = budget.chunk(regime.CELL_SECONDS + spec["steps"] * regime.STEP_SECONDS)
    rows = [i for i in items if "final_loss" in i and "result" not in i]
    beats = [i for i in items if "final_loss" not in i and "result" not in i]
    assert [r["row"] for r in rows] == [0, 1]
    assert len(beats) == sum((j + 1) % every == 0 for j in range(10) if j + 1 < 10) + \
        sum((10 + j + 1) % every == 0 for j in range(10) if j + 1 < 10)
    assert all(set(b) == {"done", "total"} for b in beats)
    done = [i["done"] for i in items]
    assert done == sorted(done) and items[-1]["result"]["final_loss"][1] == rows[1]["final_loss"]
    S.assert_finite(items[-1]["result"])


@pytest.mark.parametrize("name", sorted(descentlab.functions.FUNCTIONS))
def test_grid_in_row_blocks_is_the_whole_grid(name, monkeypatch):
    from descentlab import budget, functions
    spec = validate({"kind": "grid", "function": name, "size": [37, 23], "levels": 5})
    monkeypatch.setattr(budget, "PROGRESS_SECONDS", 23 * 3 * descentlab.landscape.POINT_SECONDS)  # 3 rows a block
    items = list(descentlab.landscape.iterate_grid(spec))
    assert len(items) > 10
    xs, ys, z = functions.grid(name, 37, 23, **spec["function_params"])
    assert np.array(items[-1]["result"]["z"]).tobytes() == z.tobytes()
    assert np.array(items[-1]["result"]["x"]).tobytes() == xs.tobytes()


def test_largest_specs_of_my_kinds_are_within_the_budget():
    from descentlab import budget, dataset_spec, landscape, regime
    big_landscape = validate({"kind": "landscape", "function": "rosenbrock", "steps": landscape.MAX_STEPS,
                              "record_state": True, "optimizers": [{"name": "amsgrad"}] * 12})
    big_grid = validate({"kind": "grid", "function": "rastrigin", "size": [512, 512], "levels": 60})
    big_regime = validate({"kind": "regime", "function": "rosenbrock", "steps": 250, "optimizer": {"name": "adam"},
                           "x": {"param": "lr", "min": 1e-3, "max": 0.1, "n": 40},
                           "y": {"param": "beta1", "min": 0.0, "max": 0.9, "n": 40}})
    big_data = validate({"kind": "dataset", "dataset": {"name": "digits"}})
    for spec, cost in ((big_landscape, landscape.cost), (big_grid, landscape.cost), (big_regime, regime.cost),
                       (big_data, dataset_spec.cost)):
        estimate = cost(spec)
        assert 0 < estimate.seconds <= budget.SECONDS and 0 < estimate.memory <= budget.MEMORY_BYTES
        assert estimate.drivers and estimate.hint


def test_nan_and_null_are_found_by_the_result_check():
    assert S.finite_problems({"runs": [{"loss": [1.0, float("nan")]}]}) == [".runs[0].loss[1]: nan"]
    assert S.finite_problems({"x": None}) == [".x: null"]
    assert S.finite_problems({"diverged_at": None, "kl": None, "z": [[1.0, float("-inf")]]}) == [".z[0][1]: -inf"]
    regime_result = {"kind": "regime", "final_loss": [[None, 1.0]], "diverged_at": [[None, None]]}
    assert S.finite_problems(regime_result) == [".final_loss[0][0]: null, yet the cell did not diverge"]


# --- the command line never prints a traceback

def cli_in_process(tmp_path, content: bytes, capsys):
    path = tmp_path / "spec.json"
    path.write_bytes(content)
    code = cli_main.main(["run", str(path), "-o", str(tmp_path / "out.json")])
    return code, capsys.readouterr().err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(S.spec_files)
def test_cli_answers_any_file_in_one_line(tmp_path, capsys, content):
    code, err = cli_in_process(tmp_path, content, capsys)
    assert code in (0, 2), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_cli_bad_files_exit_2_without_traceback(tmp_path):
    cases = {
        "latin1.json": ('{"kind": "landscape", "function": "caf\xe9"}'.encode("latin-1"), "not UTF-8"),
        "deep.json": (b"[" * 100_000 + b"]" * 100_000, "nested"),
        "deep_value.json": (b'{"kind": "landscape", "steps": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested"),
        "huge_int.json": (json.dumps(dict(LANDSCAPE, steps=1)).replace('"steps": 1', '"steps": 1' + "0" * 5000)
                          .encode(), "steps"),
        "empty_key.json": (json.dumps(dict(LANDSCAPE, **{"": 1})).encode(), '""'),
    }
    for name, (content, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        done = cli("run", str(path))
        assert done.returncode == 2, (name, done.stderr)
        assert "Traceback" not in done.stderr and words in done.stderr, (name, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (name, done.stderr)


def test_cli_internal_error_is_one_line(tmp_path, capsys, monkeypatch):
    def broken(spec, allow_code=False):
        raise RuntimeError("something\nbroke")
    monkeypatch.setattr(cli_main, "run", broken)
    code, err = cli_in_process(tmp_path, json.dumps(LANDSCAPE).encode(), capsys)
    assert code == 1 and err.strip() == "descentlab: internal error: RuntimeError: something broke"
    monkeypatch.setattr(cli_main, "run", lambda spec, allow_code=False: {"loss": float("nan")})
    code, err = cli_in_process(tmp_path, json.dumps(LANDSCAPE).encode(), capsys)
    assert code == 1 and "internal error" in err and len(err.strip().splitlines()) == 1
