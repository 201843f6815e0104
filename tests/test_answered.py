"""Every input is answered: any spec runs to a finite result or raises a SpecError naming a field.

Property-based tests over generated specs (see ``strategies.py``, ``mutations.py``,
``spec_builders.py``): random changes of the examples, arbitrary JSON, huge
integers, awkward keys, mutated specs of every kind, regime sweeps into refused
settings, degenerate projections, absurd nesting; and the progress and budget
of the kinds whose work is cut into rows and blocks.
"""

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import descentlab
import strategies as S
from descentlab import SpecError, validate
from spec_builders import LANDSCAPE, SMALL_NETWORK
from strategies import runs_or_spec_error

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
    runs_or_spec_error(_small(spec))


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
    runs_or_spec_error(_small(spec))


@settings(max_examples=1000, deadline=None)
@given(json_value)
def test_arbitrary_json_runs_or_raises_spec_error(value):
    runs_or_spec_error(value)


# --- every input is answered: the classes an outside fuzzer found (see tests/strategies.py)

KIND_BUILDERS = sorted(S.BUILDERS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KIND_BUILDERS).flatmap(lambda k: S.with_big_int(S.BUILDERS[k])))
def test_huge_integers_run_or_name_their_field(spec):
    runs_or_spec_error(spec)


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
    runs_or_spec_error(spec)


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
    runs_or_spec_error(spec)


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
