"""Gradient clipping on an optimizer entry: ``clip_grad_norm`` and ``clip_grad_value``.

Semantics of ``torch.nn.utils.clip_grad_norm_`` (norm_type 2, total norm over all
parameters, ``clip_coef = max_norm / (total_norm + 1e-6)``, grads multiplied by
``min(clip_coef, 1)``) and ``clip_grad_value_`` (clamp to [-c, c]).  torch is not
installed here, so the values are derived by hand from those definitions and the
invariants are checked: the norm after clipping is c to within the 1e-6 term,
nothing changes below the threshold.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from descentlab import SpecError, run, validate
from descentlab import landscape as L
from descentlab import optimizer_spec as S
from strategies import assert_finite


def _same(a, b) -> bool:
    return np.asarray(a, dtype=np.float64).tobytes() == np.asarray(b, dtype=np.float64).tobytes()


def test_clip_norm_by_hand():
    clip = S.clipper({"clip_grad_norm": 1.0})
    g, hit = clip(np.array([3.0, 4.0]))
    coef = 1.0 / (5.0 + 1e-6)  # torch: max_norm / (total_norm + 1e-6)
    assert hit and _same(g, [3.0 * coef, 4.0 * coef])
    # the exact values 3/(5 + 1e-6) and 4/(5 + 1e-6), to one rounding of the coefficient and one of the product
    exact = [Fraction(3) / (5 + Fraction(1e-6)), Fraction(4) / (5 + Fraction(1e-6))]
    assert all(abs(Fraction(v) - t) <= t * Fraction(2, 2**52) for v, t in zip(g.tolist(), exact))
    assert math.sqrt(float(g @ g)) == pytest.approx(1.0, rel=3e-7) and math.sqrt(float(g @ g)) < 1.0


def test_clip_norm_leaves_small_gradients_alone():
    clip = S.clipper({"clip_grad_norm": 10.0})
    raw = np.array([3.0, -4.0, 1e-3])
    g, hit = clip(raw)
    assert not hit and _same(g, raw)
    # at the threshold: 5 / (5 + 1e-6) < 1 clips, by a hair, as torch does
    assert S.clipper({"clip_grad_norm": 5.0})(np.array([3.0, 4.0]))[1]


def test_clip_norm_is_over_all_parameters():
    rng = np.random.default_rng(0)
    raw = rng.standard_normal(1000) * 3
    g, hit = S.clipper({"clip_grad_norm": 2.5})(raw)
    assert hit
    assert np.sqrt(np.sum(g * g)) == pytest.approx(2.5, rel=1e-6)
    assert np.allclose(g / raw, g[0] / raw[0], rtol=0, atol=1e-15)  # one common factor, direction kept


def test_clip_value_by_hand():
    g, hit = S.clipper({"clip_grad_value": 0.5})(np.array([0.2, -3.0, 0.5, 7.0]))
    assert hit and g.tolist() == [0.2, -0.5, 0.5, 0.5]
    g, hit = S.clipper({"clip_grad_value": 0.5})(np.array([0.2, -0.5]))
    assert not hit and g.tolist() == [0.2, -0.5]


@pytest.mark.parametrize("entry", [{"clip_grad_norm": 0.7}, {"clip_grad_norm": 1e-6}, {"clip_grad_norm": 1e6},
                                   {"clip_grad_value": 0.3}, {"clip_grad_value": 1e6}])
def test_two_floats_clip_as_the_two_element_array(entry):
    rng = np.random.default_rng(4)
    clip = S.clipper(entry)
    for gx, gy in (rng.standard_normal((300, 2)) * rng.choice([1e-3, 1.0, 1e3], size=(300, 1))).tolist():
        ax, ay, hit = S.clip_pair(entry, gx, gy)
        arr, arr_hit = clip(np.array([gx, gy]))
        assert _same([ax, ay], arr) and hit == arr_hit


def test_no_clipping_entry_has_no_clipper():
    assert S.clipper({"name": "sgd"}) is None


SCENE = {"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 200,
         "optimizers": [{"name": "sgd", "lr": 1e-3, "clip_grad_norm": 5.0},
                        {"name": "adam", "lr": 0.02, "clip_grad_value": 1.0},
                        {"name": "sgd", "lr": 1e-3}]}


def test_landscape_reports_clipped_steps_and_sgd_steps_are_bounded():
    result = run(SCENE)
    assert_finite(result)
    sgd, adam, plain = result["runs"]
    assert 0 < sgd["clipped"] <= sgd["steps_run"]
    assert 0 < adam["clipped"] <= adam["steps_run"]
    assert "clipped" not in plain
    steps = np.diff(np.array(sgd["path"]), axis=0)
    assert np.all(np.sqrt(np.sum(steps * steps, axis=1)) <= 1e-3 * 5.0 * (1 + 1e-12))
    assert not _same(sgd["path"], plain["path"])


def test_a_huge_threshold_changes_nothing():
    plain = run(dict(SCENE, optimizers=[{"name": "sgd", "lr": 1e-3}]))["runs"][0]
    loose = run(dict(SCENE, optimizers=[{"name": "sgd", "lr": 1e-3, "clip_grad_norm": 1e6}]))["runs"][0]
    assert loose["clipped"] == 0 and _same(loose["path"], plain["path"])


def test_recorded_race_shows_raw_and_clipped_gradients_and_draws_the_same_path():
    fast = run(SCENE)
    recorded = run(dict(SCENE, record_state=True))
    for a, b in zip(fast["runs"], recorded["runs"]):
        assert _same(a["path"], b["path"]) and a.get("clipped") == b.get("clipped")
    state = recorded["runs"][0]["state"]
    raw, used = np.array(state["grad_raw"]), np.array(state["grad"])
    norms = np.sqrt(np.sum(raw * raw, axis=1))
    clipped = norms + 1e-6 > 5.0
    assert int(clipped.sum()) == recorded["runs"][0]["clipped"]
    assert np.all(np.sqrt(np.sum(used * used, axis=1))[clipped] < 5.0)
    assert _same(used[~clipped], raw[~clipped])
    assert "grad_raw" not in recorded["runs"][2]["state"]


def test_make_clips_for_callers_that_replay_a_step():
    """The trace's replay calls make(entry).update with the raw gradient: clipped inside."""
    entry = validate(SCENE)["optimizers"][0]
    raw = np.array([30.0, -40.0])
    p = np.array([0.5, 0.5])
    clipped_opt, bare = S.make(entry, "optimizers[0]"), S.make(entry, "optimizers[0]", clip=False)
    u1, _ = clipped_opt.update(raw, clipped_opt.init(p), p)
    u2, _ = bare.update(S.clipper(entry)(raw)[0], bare.init(p), p)
    assert _same(u1, u2)


def test_clipping_with_noise_and_a_custom_function():
    spec = {"kind": "landscape", "function": "custom", "expression": "10*x*x + y*y", "steps": 50,
            "noise": {"std": 3.0, "seed": 1}, "record_state": True,
            "optimizers": [{"name": "sgd", "lr": 0.01, "clip_grad_norm": 1.0}]}
    r = run(spec)["runs"][0]
    checked = validate(spec)
    grad = L.gradient_fn(checked)
    path = np.array(r["path"])
    for k in (1, 10, 50):
        assert _same(grad(path[k - 1], k), r["state"]["grad_raw"][k - 1])


NETWORK = {"kind": "network", "dataset": {"name": "moons", "n": 60, "seed": 0}, "model": {"hidden": [4]},
           "epochs": 2, "batch_size": 16,
           "optimizers": [{"name": "sgd", "lr": 0.1, "clip_grad_value": 1e-6}, {"name": "adam", "lr": 0.01},
                          {"name": "sgd", "lr": 0.1, "clip_grad_norm": 1e6}]}


def test_network_clipping_and_counts():
    result = run(NETWORK)
    assert_finite(result)
    tiny, plain, loose = result["runs"]
    assert tiny["clipped"] == tiny["steps_run"] > 0  # every gradient has a coordinate above 1e-6
    assert "clipped" not in plain and loose["clipped"] == 0
    unclipped = run(dict(NETWORK, optimizers=[{"name": "sgd", "lr": 0.1}]))["runs"][0]
    assert _same(loose["weights"], unclipped["weights"])
    # sgd with every coordinate clamped to ±1e-6 moves each weight at most lr * 1e-6 per step
    w0 = np.array(result["initial_weights"])
    assert np.max(np.abs(np.array(tiny["weights"]) - w0)) <= 0.1 * 1e-6 * tiny["steps_run"] * (1 + 1e-9)


@pytest.mark.parametrize("entry, field", [
    ({"name": "sgd", "clip_grad_norm": 1.0, "clip_grad_value": 1.0}, "optimizers[0].clip_grad_value"),
    ({"name": "sgd", "clip_grad_norm": 0.0}, "optimizers[0].clip_grad_norm"),
    ({"name": "sgd", "clip_grad_norm": -1.0}, "optimizers[0].clip_grad_norm"),
    ({"name": "sgd", "clip_grad_value": 1e7}, "optimizers[0].clip_grad_value"),
    ({"name": "sgd", "clip_grad_value": "1"}, "optimizers[0].clip_grad_value"),
    ({"name": "sgd", "clip_grad_norm": float("inf")}, "optimizers[0].clip_grad_norm"),
])
def test_bad_clipping_names_the_field(entry, field):
    with pytest.raises(SpecError) as err:
        validate(dict(SCENE, optimizers=[entry]))
    assert err.value.field == field


def test_regime_map_refuses_clipping():
    spec = {"kind": "regime", "function": "quadratic", "steps": 5,
            "optimizer": {"name": "sgd", "clip_grad_norm": 1.0},
            "x": {"param": "lr", "min": 0.01, "max": 0.1, "n": 2}, "y": {"param": "momentum", "min": 0.0,
                                                                         "max": 0.5, "n": 2}}
    with pytest.raises(SpecError) as err:
        validate(spec)
    assert err.value.field == "optimizer.clip_grad_norm"


def test_clipping_costs_nothing_extra_in_the_budget():
    plain = dict(SCENE, optimizers=[{"name": "sgd"}] * 3)
    assert L.cost(validate(SCENE)).seconds == L.cost(validate(plain)).seconds
