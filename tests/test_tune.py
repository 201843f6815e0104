"""The tune spec: each optimizer at its own best lr over a log grid, and the spread over repeats.

The hand-checkable case is plain gradient descent on the bowl f = ½(x² + κ y²) (the
``quadratic`` function, angle 0): each coordinate contracts by its own factor,
x_T = x_0 (1 − η)^T and y_T = y_0 (1 − κη)^T, so every grid loss has a closed form,
η = 1/L is the best lr of the round bowl (κ = 1: one step lands on the minimum), and
every η > 2/L grows without end.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import descentlab
from descentlab import SpecError, landscape, tune
from strategies import assert_finite

TINY_CODE = ("def init(params):\n    return (0,)\n\n"
             "def update(grads, state, params, lr=0.1):\n    return -lr * grads, state\n")


def bowl(condition: float = 1.0, steps: int = 20, optimizers=None, **extra) -> dict:
    return {"kind": "landscape", "function": "quadratic", "function_params": {"condition": condition, "angle": 0.0},
            "start": [-1.8, 1.2], "steps": steps, "optimizers": optimizers or [{"name": "sgd"}], **extra}


def tune_spec(scene: dict, lr: dict | None = None, repeats: int = 1) -> dict:
    return {"kind": "tune", "scene": scene, "lr": lr or {"min": 0.25, "max": 4.0, "points": 5}, "repeats": repeats}


def closed_form(lr: float, condition: float, steps: int, start=(-1.8, 1.2)) -> float:
    x = start[0] * (1.0 - lr) ** steps
    y = start[1] * (1.0 - condition * lr) ** steps
    return 0.5 * (x * x + condition * y * y)


SMALL_NET = {"kind": "network", "dataset": {"name": "moons", "n": 60, "noise": 0.1, "seed": 3},
             "model": {"hidden": [4]}, "epochs": 2, "batch_size": 16, "seed": 5, "snapshot_every": 1,
             "optimizers": [{"name": "sgd", "lr": 0.1}, {"name": "adam"}]}


# ---------------------------------------------------------------- the lr grid

def test_default_grid_values_have_exact_bits():
    values = tune.lr_values(tune.DEFAULT_LR)
    assert [v.hex() for v in values.tolist()] == [
        "0x1.a36e2eb1c432dp-14", "0x1.4b96be9c2da2dp-12", "0x1.0624dd2f1a9fdp-10", "0x1.9e7c6e43390b9p-9",
        "0x1.47ae147ae147ep-7", "0x1.030dc4ea03a77p-5", "0x1.999999999999fp-4", "0x1.43d1362484911p-2",
        "0x1.0000000000000p+0"]
    # the half decades of 1e-4 .. 1 within a few ulp: exp's argument t·log(1e4) carries
    # an absolute rounding error of about ulp(9.2) = 1.8e-15, which exp turns relative
    assert np.allclose(values, [10.0 ** (-4 + i / 2) for i in range(9)], rtol=4e-15, atol=0)


@pytest.mark.parametrize("lo, hi, n", [(1e-6, 10.0, 25), (0.25, 4.0, 5), (0.3, 0.31, 2), (1e-3, 1e-2, 11)])
def test_grid_is_geometric_with_exact_ends(lo, hi, n):
    values = tune.lr_values({"min": lo, "max": hi, "points": n})
    assert len(values) == n and values[0] == lo and values[-1] == hi
    assert np.all(np.diff(values) > 0)
    ratios = values[1:] / values[:-1]
    assert np.allclose(ratios, (hi / lo) ** (1 / (n - 1)), rtol=1e-13)


def test_result_lists_the_grid_it_ran():
    result = descentlab.run(tune_spec(bowl(steps=3)))
    assert result["lr"]["values"] == tune.lr_values(result["lr"]).tolist()
    assert result["tuned"][0]["grid"]["lr"] == result["lr"]["values"]


# ---------------------------------------------------------------- the hand-checkable bowl

def test_round_bowl_best_lr_is_one_over_L_and_diverged_lrs_rank_last():
    steps = 20
    result = descentlab.run(tune_spec(bowl(condition=1.0, steps=steps)))
    (t,) = result["tuned"]
    grid = t["grid"]
    lrs = grid["lr"]  # 0.25, 0.5, ~1, ~2, 4: L = 1, so 1 is 1/L and 4 is past 2/L
    assert t["best_index"] == 2 and abs(t["best_lr"] - 1.0) < 1e-15
    assert grid["loss"][2] < 1e-30
    for i in (0, 1, 3):  # |1 - η| ≤ 1: the closed form, to rounding
        assert grid["loss"][i] == pytest.approx(closed_form(lrs[i], 1.0, steps), rel=1e-12)
    # η = 4 triples |x| each step: it leaves the 1e6 box at the first k with 1.8 · 3^k > 1e6
    k = next(k for k in range(1, 40) if 1.8 * 3 ** k > landscape.DIVERGENCE_BOUND)
    assert grid["diverged"] == [False, False, False, False, True]
    assert grid["diverged_at"][4] == k and grid["loss"][4] is None
    order = sorted(range(5), key=lambda i: (grid["diverged"][i], grid["loss"][i] or 0.0))
    assert order == [2, 1, 0, 3, 4]


def test_stretched_bowl_best_lr_is_the_grid_point_the_closed_form_picks():
    condition, steps = 10.0, 200  # L = 10, μ = 1: the best constant lr is 2 / (L + μ), stable below 2 / L
    spec = tune_spec(bowl(condition=condition, steps=steps), {"min": 0.01, "max": 0.3, "points": 25})
    (t,) = descentlab.run(spec)["tuned"]
    lrs = np.array(t["grid"]["lr"])
    stable = lrs < 2.0 / condition
    expected = min(np.flatnonzero(stable), key=lambda i: closed_form(lrs[i], condition, steps))
    assert t["best_index"] == expected
    assert 1.0 / condition < t["best_lr"] < 2.0 / condition
    ratio = lrs[1] / lrs[0]
    assert 2.0 / 11.0 / ratio <= t["best_lr"] <= 2.0 / 11.0 * ratio  # within a grid step of 2 / (L + μ)
    for i in np.flatnonzero(stable):
        assert t["grid"]["loss"][i] == pytest.approx(closed_form(lrs[i], condition, steps), rel=1e-9)
    # 1.1^200 · 1.2 passes 1e6 for the first η above 2/L already
    assert t["grid"]["diverged"] == (~stable).tolist()


def test_a_diverged_run_ranks_after_any_finished_one():
    finished = {"diverged_at": None, "score": 1e300}
    short_lived = {"diverged_at": 3, "score": 0.0}
    long_lived = {"diverged_at": 50, "score": 5.0}
    ranked = sorted([(short_lived, 0), (long_lived, 1), (finished, 2)], key=lambda p: tune._rank(*p))
    assert [p[1] for p in ranked] == [2, 1, 0]
    assert tune._rank(finished, 1) < tune._rank(dict(finished), 2)  # a tie goes to the smaller lr


def test_when_every_lr_diverges_the_longest_lasting_is_shown():
    spec = tune_spec(bowl(condition=1.0, steps=50), {"min": 3.0, "max": 9.0, "points": 3})
    (t,) = descentlab.run(spec)["tuned"]
    assert all(t["grid"]["diverged"]) and t["best_diverged"] and t["best_index"] == 0
    assert t["grid"]["diverged_at"][0] > t["grid"]["diverged_at"][2]
    assert t["best_run"]["diverged_at"] == t["grid"]["diverged_at"][0]


# ---------------------------------------------------------------- best runs and the scene

def test_best_run_is_the_scenes_own_run_at_that_lr():
    scene = copy.deepcopy(descentlab.validate({"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0],
                                               "steps": 150, "optimizers": [{"name": "adam", "lr": 0.05},
                                                                            {"name": "momentum"}]}))
    raw = {"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 150,
           "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "momentum"}]}
    result = descentlab.run(tune_spec(raw, {"min": 1e-3, "max": 0.3, "points": 6}, repeats=2))
    assert list(result["scene"]) == ["kind", "function", "start", "steps"]
    for t, entry in zip(result["tuned"], scene["optimizers"]):
        alone = descentlab.run({**raw, "optimizers": [{"name": entry["name"], "lr": t["best_lr"]}]})["runs"][0]
        assert t["best_run"]["loss"] == alone["loss"] and t["best_run"]["path"] == alone["path"]
        assert t["best_run"]["params"]["lr"] == t["best_lr"]
        assert t["grid"]["loss"][t["best_index"]] == alone["final_loss"]
    assert "ranking holds for this function" in result["notes"]


def test_network_best_lr_has_the_lowest_validation_loss_and_is_the_scenes_run():
    result = descentlab.run(tune_spec(SMALL_NET, {"min": 1e-3, "max": 1.0, "points": 3}, repeats=2))
    assert_finite(result)
    assert result["criterion"] == "lowest validation loss over the epochs"
    assert result["scene"]["kind"] == "network" and "runs" not in result["scene"]
    assert "this dataset, this network" in result["notes"]
    for i, t in enumerate(result["tuned"]):
        finished = [(loss, j) for j, loss in enumerate(t["grid"]["loss"]) if loss is not None]
        assert t["best_index"] == min(finished)[1]
        run = t["best_run"]
        assert min(run["epochs"]["val_loss"]) == t["grid"]["loss"][t["best_index"]]
        assert len(run["boundaries"]) == 3 and len(run["snapshots"]) == 7  # the scene's own, 6 steps of 1 epoch
        entry = dict(SMALL_NET["optimizers"][i], lr=t["best_lr"])
        alone = descentlab.run(dict(SMALL_NET, optimizers=[entry]))["runs"][0]
        assert run["train_loss"] == alone["train_loss"] and run["epochs"] == alone["epochs"]
        # repeat 0 is the scene's seed; repeat 1 the next seed
        assert t["spread"]["seeds"] == [5, 6]
        other = descentlab.run(dict(SMALL_NET, seed=6, optimizers=[entry]))["runs"][0]
        curves = [run["train_loss"], other["train_loss"]]
        assert t["spread"]["min"] == np.minimum(*curves).tolist()
        assert t["spread"]["max"] == np.maximum(*curves).tolist()
        assert t["spread"]["val_loss"]["min"] == np.minimum(run["epochs"]["val_loss"],
                                                            other["epochs"]["val_loss"]).tolist()


# ---------------------------------------------------------------- spread

def test_spread_of_curves_by_hand():
    s = tune.spread([[1.0, 5.0, 9.0], [3.0], [2.0, 4.0], [-0.0, 7.0]])
    assert s["running"] == [4, 3, 1]
    assert s["min"] == [0.0, 4.0, 9.0] and s["max"] == [3.0, 7.0, 9.0]
    assert s["median"] == [1.5, 5.0, 9.0]  # (1 + 2) / 2, then the middle of 4, 5, 7
    assert str(s["min"][0]) == "0.0"  # -0.0 is read as 0.0: np.sort may order the zeros either way
    huge = tune.spread([[1e308], [1.5e308]])
    assert huge["median"] == [1.25e308]  # a / 2 + b / 2 does not overflow


def test_spread_invariants_over_jittered_starts_and_noise():
    scene = bowl(condition=30.0, steps=60, optimizers=[{"name": "adam"}, {"name": "sgd", "momentum": 0.9}],
                 noise={"std": 0.5, "seed": 7})
    result = descentlab.run(tune_spec(scene, {"min": 1e-3, "max": 0.1, "points": 4}, repeats=5))
    assert_finite(result)
    (x0, x1), (y0, y1) = result["scene"]["function"]["domain"]
    for t in result["tuned"]:
        s = t["spread"]
        assert s["repeats"] == 5 and len(s["starts"]) == 5 and s["noise_seeds"] == [7, 8, 9, 10, 11]
        assert s["starts"][0] == [-1.8, 1.2] and len({tuple(p) for p in s["starts"]}) == 5
        for x, y in s["starts"][1:]:
            assert x0 <= x <= x1 and y0 <= y <= y1
            assert abs(x + 1.8) <= tune.JITTER * (x1 - x0) and abs(y - 1.2) <= tune.JITTER * (y1 - y0)
        med, lo, hi = (np.array(s[k]) for k in ("median", "min", "max"))
        assert len(med) == len(lo) == len(hi) == 61
        assert np.all(lo <= med) and np.all(med <= hi)
        assert np.all(np.array(s["running"]) == 5 - np.array([sum(d is not None and d <= k for d in s["diverged_at"])
                                                              for k in range(61)]))
        # above_min is the same statistics of f − f_min (f_min = 0 here)
        assert s["above_min"]["median"] == s["median"]
        # repeat 0 is the scene: its loss is inside the band at every step
        best = np.array(t["best_run"]["loss"])
        assert np.all(lo[:len(best)] <= best) and np.all(best <= hi[:len(best)])


def test_one_repeat_is_the_best_run_itself():
    result = descentlab.run(tune_spec(bowl(condition=5.0, steps=40), {"min": 0.01, "max": 0.3, "points": 4}))
    (t,) = result["tuned"]
    assert t["spread"]["median"] == t["spread"]["min"] == t["spread"]["max"] == t["best_run"]["loss"]
    assert t["spread"]["running"] == [1] * 41


def test_a_repeat_start_where_a_custom_f_is_undefined_is_drawn_again():
    # log(x) is undefined left of x = 0: a start at x = 0.01 jitters left half of the time
    scene = {"kind": "landscape", "function": "custom", "expression": "log(x) + y*y", "domain": [[-1, 1], [-1, 1]],
             "start": [0.01, 0.5], "steps": 5, "optimizers": [{"name": "adam", "lr": 0.01}]}
    result = descentlab.run(tune_spec(scene, {"min": 1e-3, "max": 1e-2, "points": 2}, repeats=9))
    assert_finite(result)
    starts = result["tuned"][0]["spread"]["starts"]
    assert all(x > 0 for x, _ in starts)


# ---------------------------------------------------------------- schedules and learner code

def test_schedules_scale_with_the_grid_lr():
    entry = descentlab.validate(bowl(optimizers=[
        {"name": "sgd", "lr": 0.1, "schedule": {"name": "cosine", "T_max": 20, "eta_min": 0.01}},
        {"name": "adam", "lr": 0.1, "schedule": {"name": "onecycle", "total_steps": 20, "max_lr": 0.2}}]))["optimizers"]
    cosine, onecycle = tune.tuned_entry(entry[0], 0.5), tune.tuned_entry(entry[1], 0.5)
    assert cosine["params"]["lr"] == 0.5 and cosine["schedule"]["eta_min"] == pytest.approx(0.05, rel=1e-15)
    assert onecycle["schedule"]["max_lr"] == 0.5 and onecycle["schedule"]["div_factor"] == 25.0
    assert entry[0]["schedule"]["eta_min"] == 0.01  # the scene's entry is left as it was
    result = descentlab.run(tune_spec(bowl(condition=3.0, optimizers=[
        {"name": "sgd", "lr": 0.1, "schedule": {"name": "cosine", "T_max": 20, "eta_min": 0.01}},
        {"name": "adam", "lr": 0.1, "schedule": {"name": "onecycle", "total_steps": 20}}])))
    sgd, adam = result["tuned"]
    assert adam["best_run"]["schedule"]["max_lr"] == adam["best_lr"]
    assert sgd["best_run"]["schedule"]["eta_min"] == pytest.approx(0.01 * sgd["best_lr"] / 0.1, rel=1e-15)


def test_a_scaled_eta_min_past_the_largest_lr_is_refused():
    scene = bowl(optimizers=[{"name": "sgd", "lr": 0.01, "schedule": {"name": "cosine", "T_max": 20, "eta_min": 1.0}}])
    with pytest.raises(SpecError) as info:
        descentlab.validate(tune_spec(scene, {"min": 0.01, "max": 1.0, "points": 3}))
    assert info.value.field == "lr.max" and "eta_min" in info.value.message


@pytest.mark.parametrize("kind", ["landscape", "network"])
def test_a_fork_is_refused_at_its_own_index(kind):
    fork = [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01, "fork": {"run": 0, "step": 3}}]
    scene = bowl(optimizers=fork) if kind == "landscape" else dict(SMALL_NET, optimizers=fork)
    with pytest.raises(SpecError) as info:
        descentlab.validate(tune_spec(scene))
    assert info.value.field == "scene.optimizers[1].fork" and "alone" in info.value.message


def test_learner_code_is_tuned_only_when_allowed():
    scene = bowl(condition=2.0, optimizers=[{"name": "sgd"}, {"name": "custom", "code": TINY_CODE}])
    with pytest.raises(SpecError) as info:
        descentlab.validate(tune_spec(scene))
    assert info.value.field == "scene.optimizers[1].code"
    result = descentlab.run(tune_spec(scene), allow_code=True)
    builtin, mine = result["tuned"]
    assert mine["grid"] == builtin["grid"] and mine["best_run"]["path"] == builtin["best_run"]["path"]
    no_lr = TINY_CODE.replace("lr=0.1", "step=0.1").replace("-lr *", "-step *")
    with pytest.raises(SpecError) as info:
        descentlab.validate(tune_spec(bowl(optimizers=[{"name": "custom", "code": no_lr}])), allow_code=True)
    assert info.value.field == "scene.optimizers[0].hyper"


# ---------------------------------------------------------------- fields, progress, determinism

@pytest.mark.parametrize("change, field", [
    ({"lr": {"min": 0.0}}, "lr.min"),
    ({"lr": {"min": 1e-7}}, "lr.min"),
    ({"lr": {"max": 11.0}}, "lr.max"),
    ({"lr": {"min": 0.5, "max": 0.5}}, "lr.max"),
    ({"lr": {"points": 1}}, "lr.points"),
    ({"lr": {"points": 26}}, "lr.points"),
    ({"lr": {"points": 2.5}}, "lr.points"),
    ({"lr": {"step": 2}}, "lr.step"),
    ({"lr": []}, "lr"),
    ({"repeats": 0}, "repeats"),
    ({"repeats": 10}, "repeats"),
    ({"repeats": True}, "repeats"),
    ({"seed": 1}, "seed"),
    ({"scene": None}, "scene"),
    ({"scene": {"kind": "grid", "function": "quadratic"}}, "scene.kind"),
    ({"scene": {"kind": "tune"}}, "scene.kind"),
    ({"scene": bowl(optimizers=[{"name": "sgd", "lr": -1}])}, "scene.optimizers[0].lr"),
    ({"scene": bowl(steps=0)}, "scene.steps"),
    ({"scene": bowl(only=0)}, "scene.only"),
    ({"scene": dict(SMALL_NET, epochs=0)}, "scene.epochs"),
    ({"scene": dict(SMALL_NET, optimizers=[{"name": "adam", "beta1": 2}])}, "scene.optimizers[0].beta1"),
])
def test_bad_fields_are_named(change, field):
    spec = tune_spec(bowl())
    for key, value in change.items():
        spec[key] = dict(spec[key], **value) if isinstance(value, dict) and key == "lr" else value
    with pytest.raises(SpecError) as info:
        descentlab.validate(spec)
    assert info.value.field == field, info.value


def test_missing_scene_is_named():
    with pytest.raises(SpecError) as info:
        descentlab.validate({"kind": "tune"})
    assert info.value.field == "scene" and "required" in info.value.message


def test_defaults_are_filled_in():
    checked = descentlab.validate({"kind": "tune", "scene": bowl()})
    assert checked["lr"] == {"min": 1e-4, "max": 1.0, "points": 9} and checked["repeats"] == 3
    assert checked["scene"]["optimizers"][0]["params"]["lr"] == 0.001


def test_progress_counts_runs_and_ends_with_the_result():
    spec = tune_spec(bowl(steps=3000, optimizers=[{"name": "sgd"}, {"name": "adam"}]),
                     {"min": 0.01, "max": 0.5, "points": 3}, repeats=2)
    items = list(descentlab.iter_run(spec))
    total = 2 * (3 + 2 - 1) + 2
    assert all(it["total"] == total for it in items)
    done = [it["done"] for it in items]
    assert done == sorted(done) and done[-1] == total and "result" in items[-1]
    assert len(items) > total + 2  # heartbeats within the runs of 3000 steps
    assert all("result" not in it for it in items[:-1])


def test_same_spec_same_digest():
    spec = tune_spec(bowl(condition=20.0, steps=50, optimizers=[{"name": "adam"}, {"name": "rmsprop"}],
                          noise={"std": 0.2, "seed": 1}), {"min": 1e-3, "max": 0.5, "points": 5}, repeats=3)
    first, second = descentlab.run(copy.deepcopy(spec)), descentlab.run(copy.deepcopy(spec))
    assert first["digest"] == second["digest"]
    assert descentlab.run(dict(spec, repeats=2))["digest"] != first["digest"]


def test_sam_tunes_its_base_and_muon_its_own_lr():
    """SAM's lr is its base optimizer's; Muon's range is its module's (it is not in the registry)."""
    scene = {"kind": "landscape", "function": "booth", "start": [-3.0, 4.0], "steps": 20,
             "optimizers": [{"name": "sam", "rho": 0.05, "base": {"name": "sgd", "lr": 0.01}}]}
    out = descentlab.run({"kind": "tune", "scene": scene, "lr": {"min": 1e-3, "max": 0.1, "points": 3}, "repeats": 1})
    best = out["tuned"][0]["best_lr"]
    direct = descentlab.run(dict(scene, optimizers=[{"name": "sam", "rho": 0.05, "base": {"name": "sgd", "lr": best}}]))
    assert out["tuned"][0]["best_run"]["path"] == direct["runs"][0]["path"]
    net = {"kind": "network", "dataset": {"name": "moons", "n": 60}, "model": {"hidden": [4]}, "epochs": 1,
           "optimizers": [{"name": "muon"}]}
    out = descentlab.run({"kind": "tune", "scene": net, "lr": {"min": 1e-3, "max": 0.1, "points": 2}, "repeats": 1})
    assert out["tuned"][0]["best_lr"] in (1e-3, 0.1)
