"""The catalog's dynamics part (schedules, clip, noise, custom grammar, SAM, Muon) and the
page's lr(t) preview call come from the modules that validate them: one source each."""

import json

import pytest

import descentlab
from descentlab import expression, landscape, optimizer_spec, schedules, worker_glue
from descentlab.optimizers import EXTRA


def test_extra_optimizers_listed_from_their_modules():
    extra = {o["name"]: o for o in descentlab.list_catalog()["extra_optimizers"]}
    assert set(extra) == set(EXTRA)
    assert extra["muon"]["network_only"] and "network" in extra["muon"]["landscape_note"]
    assert not extra["sam"]["network_only"]
    assert extra["sam"]["defaults"] == {"rho": 0.05, "adaptive": False, "perturb_eps": 1e-12}
    assert "sam" in extra["sam"]["base"]["refused"] and "muon" in extra["sam"]["base"]["refused"]
    assert "Foret" in extra["sam"]["paper"] and extra["sam"]["equations"]
    assert set(extra["muon"]["ranges"]) == set(extra["muon"]["defaults"])
    # the SAM default base is a valid entry
    optimizer_spec.read_optimizer({"name": "sam", "base": extra["sam"]["base"]["default"]}, "o")


def test_dynamics_ranges_match_validation():
    d = descentlab.list_catalog()["dynamics"]
    assert [s["name"] for s in d["schedules"]] == list(schedules.SCHEDULES)
    assert d["clip"]["hi"] == optimizer_spec.CLIP_MAX and d["noise"]["std"][1] == landscape.MAX_NOISE_STD
    assert set(d["custom"]["functions"]) == set(expression.ARITY)
    assert {"x", "y", "pi", "e"} <= set(d["custom"]["names"])
    json.dumps(d, allow_nan=False)


def test_schedule_values_call():
    out = json.loads(worker_glue.call("schedule_values", json.dumps([{"name": "step", "step_size": 2}, 0.1, 5])))
    assert out["ok"] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001], rel=1e-12)
    assert "schedule_values" in worker_glue.ALLOWED_CALLS
    bad = json.loads(worker_glue.call("schedule_values", json.dumps([{"name": "step", "step_size": 0}, 0.1, 5])))
    assert bad["error"]["field"] == "schedule.step_size" and "[1, 1000000]" in bad["error"]["message"]


def test_sophia_is_listed_for_both_views_with_its_hyper_parameters():
    extra = {o["name"]: o for o in descentlab.list_catalog()["extra_optimizers"]}
    s = extra["sophia"]
    assert s["title"] == "Sophia" and not s["network_only"] and "landscape_note" not in s
    assert set(s["ranges"]) == set(s["defaults"]) and "hessian" not in s["defaults"]
    assert s["defaults"]["lr"] == 6e-2 and s["defaults"]["p"] == 1e-2 and s["defaults"]["update_period"] == 10
    assert list(s["ranges"]["hessian_distribution"][0]) == ["gaussian", "rademacher"]
    assert "Liu" in s["paper"] and "clip" in s["equations"] and "curvature" in s["summary"]
    assert [extra[n]["schedulable"] for n in ("sam", "muon", "sophia")] == [False, True, True]
    assert "sophia" in extra["sam"]["base"]["refused"]
