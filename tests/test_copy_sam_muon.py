"""'Edit a copy' of SAM (its probe over the copy of its base) and of Muon (init takes the
network's blocks): the copies race bit for bit like the built-ins, and trace."""

from __future__ import annotations

import json

import pytest

import descentlab
from descentlab import learner, tracing
from descentlab import worker_glue as glue
from descentlab.errors import SpecError
from descentlab.optimizers import REGISTRY
from descentlab.optimizers.copy import PROBE_PREFIX, source_copy

START = {"kind": "landscape", "function": "rosenbrock", "start": [-1.2, 1.0]}
MOONS = {"kind": "network", "dataset": {"name": "moons", "n": 120}, "epochs": 3}


def sam_pair(base: str, base_hyper: dict, sam_hyper: dict):
    """The built-in SAM over ``base`` and its copy, with the hyper-parameters the page prefills."""
    hyper = dict(base_hyper)
    for k, v in sam_hyper.items():
        hyper[PROBE_PREFIX + k if k in REGISTRY[base].defaults else k] = v
    return [{"name": "sam", **sam_hyper, "base": {"name": base, **base_hyper}},
            {"name": "custom", "code": source_copy("sam", base=base), "hyper": hyper}]


@pytest.mark.parametrize("base, base_hyper, sam_hyper, extra", [
    ("sgd", {"lr": 0.001}, {"rho": 0.05}, {}),
    ("sgd", {"lr": 0.001, "momentum": 0.9}, {"rho": 0.05}, {"record_state": True}),
    ("adam", {"lr": 0.02}, {"rho": 0.1, "adaptive": True}, {"noise": {"std": 0.5, "seed": 3}}),
    ("adadelta", {"lr": 1.0, "rho": 0.8}, {"rho": 0.05, "perturb_eps": 1e-9}, {}),  # both name rho
], ids=["sgd", "momentum-recorded", "adam-asam-noise", "adadelta-rho"])
def test_a_copy_of_sam_races_bit_for_bit_on_a_landscape(base, base_hyper, sam_hyper, extra):
    spec = {**START, "steps": 60, **extra, "optimizers": sam_pair(base, base_hyper, sam_hyper)}
    builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["path"] == builtin["path"] and copy["loss"] == builtin["loss"]
    assert copy["probe"] == builtin["probe"] and len(copy["probe"]) == 60  # where each gradient was taken
    if "record_state" in extra:  # a learner's run records what any code shows: the gradients and the step
        shared = set(copy["state"]) & set(builtin["state"])
        assert {"grad", "update", "grad_at_params"} <= shared
        assert all(copy["state"][k] == builtin["state"][k] for k in shared)


@pytest.mark.parametrize("kind", ["landscape", "network"])
def test_a_copy_of_sam_over_every_registered_base_races_bit_for_bit(kind):
    """Every base the catalog offers (LAMB's init takes the network's blocks, Adadelta names rho too)."""
    for base in REGISTRY:
        pair = sam_pair(base, {}, {"rho": 0.05})
        if kind == "landscape":
            spec = {**START, "steps": 40, "optimizers": pair}
            builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
            assert copy["path"] == builtin["path"] and copy["probe"] == builtin["probe"], base
        else:
            spec = {**MOONS, "dataset": {"name": "moons", "n": 60}, "epochs": 1, "optimizers": pair}
            builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
            assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"], base


def test_each_function_of_the_copy_gets_its_own_rho():
    """Adadelta's rho and SAM's: the probe's is renamed, so changing one departs from the built-in."""
    code = source_copy("sam", base="adadelta")
    compiled = learner.compile_optimizer(code)
    assert {"rho", PROBE_PREFIX + "rho", "adaptive", "perturb_eps", "lr"} <= set(compiled.defaults)
    assert compiled.defaults["rho"] == 0.9 and compiled.defaults[PROBE_PREFIX + "rho"] == 0.05
    pair = sam_pair("adadelta", {"lr": 1.0, "rho": 0.8}, {"rho": 0.05})
    pair[1]["hyper"][PROBE_PREFIX + "rho"] = 0.06
    builtin, copy = descentlab.run({**START, "steps": 30, "optimizers": pair}, allow_code=True)["runs"]
    assert copy["probe"] != builtin["probe"]


def test_the_copy_of_sam_is_its_probe_over_the_bases_code():
    code = source_copy("sam")  # SGD, the catalog's default base
    first = code.splitlines()[0]
    assert "SAM" in first and "SGD" in first
    assert code.count("def probe(") == 1 and code.count("def update(") == 1 and code.count("def init(") == 1
    assert code.index("def probe(") < code.index("def update(")
    assert "def update(grads, state, params, lr=" in code  # SGD's own signature
    adam = source_copy("sam", base="adamw")
    assert "AdamW" in adam.splitlines()[0] and "def adam_update(" in adam and "class AdamState(" in adam


@pytest.mark.parametrize("base", ["sam", "muon", "sophia", "nope", 3])
def test_a_base_that_is_not_registered_is_named_with_the_allowed_ones(base):
    with pytest.raises(SpecError) as info:
        source_copy("sam", base=base)
    assert info.value.field == "base" and "sgd, momentum" in info.value.message and repr(base) in info.value.message


def test_only_sam_takes_a_base():
    with pytest.raises(SpecError) as info:
        source_copy("adam", base="sgd")
    assert info.value.field == "base"


def test_a_copy_of_sam_trains_a_network_bit_for_bit():
    spec = {**MOONS, "optimizers": sam_pair("adam", {"lr": 0.01}, {"rho": 0.1, "adaptive": True})}
    builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"]


def test_tracing_a_copy_of_sam_shows_its_probe_and_update():
    spec = {**START, "steps": 10, "optimizers": sam_pair("adam", {"lr": 0.01}, {"rho": 0.05})}
    code = spec["optimizers"][1]["code"]
    theirs = tracing.trace(spec, run=0, step=4, allow_code=True)
    mine = tracing.trace(spec, run=1, step=4, allow_code=True)
    for key in ("probe", "grads_at_params", "grads", "params", "state"):
        assert mine[key] == theirs[key], key
    assert mine["source"] == code.splitlines()
    shown = [mine["source"][line["line"] - 1] for line in mine["lines"]]
    assert shown[0].startswith("def probe(") and any(s.startswith("def update(") for s in shown)
    assert any("grad_norm = " in s for s in shown) and any("m_hat = " in s for s in shown)
    assert shown.index(next(s for s in shown if s.startswith("def update("))) > shown.index("    scale = rho / grad_norm")


def test_tracing_a_copy_of_sam_in_a_network():
    spec = {**MOONS, "epochs": 1, "optimizers": sam_pair("sgd", {"lr": 0.1}, {"rho": 0.05})}
    theirs = tracing.trace(spec, run=0, step=3, param=[0, 2], allow_code=True)
    mine = tracing.trace(spec, run=1, step=3, param=[0, 2], allow_code=True)
    assert mine["probe"] == theirs["probe"] and mine["grads"] == theirs["grads"] and mine["params"] == theirs["params"]


def test_an_error_in_the_copys_probe_is_named_in_tracing():
    pair = sam_pair("sgd", {"lr": 0.001}, {"rho": 0.05})
    pair[1]["code"] = pair[1]["code"].replace("    scale = rho / grad_norm", "    scale = rho / nope")
    spec = {**START, "steps": 10, "optimizers": [pair[0], {**pair[1]}]}
    with pytest.raises(SpecError) as info:
        tracing.trace(spec, run=1, step=2, allow_code=True)
    assert info.value.field == "optimizers[1].code" and "probe" in info.value.message and "NameError" in info.value.message


MUON = {"lr": 0.02, "adamw_lr": 0.01, "ns_steps": 3}


def muon_race(code: str, hyper=MUON, **extra):
    spec = {**MOONS, "optimizers": [{"name": "muon", **hyper, **extra},
                                    {"name": "custom", "label": "My Muon", "code": code, "hyper": hyper}]}
    return descentlab.run(spec, allow_code=True)["runs"]


def test_the_copy_of_muon_has_what_it_uses_once():
    code = source_copy("muon")
    assert code.count("class AdamState(") == 1 and "adam_AdamState" not in code and "AdamState(state.step" in code
    assert "NS_COEFFICIENTS = (" in code and "def newton_schulz(" in code and "def lerp(" in code
    assert "def adamw_update(" in code and "def adam_update(" in code and "def lr_ratio(" in code
    assert "def init(params, blocks=None):" in code
    assert learner.compile_optimizer(code).choices == {"adjust_lr_fn": "original"}


def test_a_copy_of_muon_trains_a_network_bit_for_bit():
    builtin, copy = muon_race(source_copy("muon"))
    assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"]


@pytest.mark.parametrize("adjust", ["original", "match_rms_adamw"])
def test_a_copy_of_muon_keeps_the_entrys_adjust_lr_fn(adjust):
    code = source_copy("muon", choices={"adjust_lr_fn": adjust})
    builtin, copy = muon_race(code, adjust_lr_fn=adjust)
    assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"]
    assert len(copy["train_loss"]) >= 3
    if adjust != "original":  # the entry's choice is in the copy; the code's default would depart
        default_copy = source_copy("muon")
        _, other = muon_race(default_copy, adjust_lr_fn=adjust)
        assert other["weights"] != builtin["weights"]


def test_a_copy_of_muon_on_a_landscape_says_it_needs_weight_matrices():
    spec = {**START, "steps": 10, "optimizers": [{"name": "sgd"}, {"name": "custom", "code": source_copy("muon")}]}
    with pytest.raises(SpecError) as info:
        descentlab.run(spec, allow_code=True)
    assert info.value.field == "optimizers[1].code"
    assert "weight matrices" in info.value.message and "network view" in info.value.message
    assert "Traceback" not in info.value.message


def test_choices_are_checked_and_named():
    with pytest.raises(SpecError) as info:
        source_copy("muon", choices={"adjust_lr_fn": "sideways"})
    assert info.value.field == "choices.adjust_lr_fn" and "original, match_rms_adamw" in info.value.message
    with pytest.raises(SpecError) as info:
        source_copy("adam", choices={"lr": "fast"})
    assert info.value.field == "choices.lr" and "not a text default" in info.value.message
    with pytest.raises(SpecError) as info:
        source_copy("sophia", choices=["rademacher"])
    assert info.value.field == "choices"


def test_the_worker_gives_copies_with_a_base_and_choices():
    def call(*args):
        return json.loads(glue.call("source_copy", json.dumps(list(args)), False))

    assert call("sam", "adam")["ok"] == source_copy("sam", base="adam")
    assert call("sam")["ok"] == call("sam", None, None)["ok"] == source_copy("sam", base="sgd")
    assert call("sophia", None, {"hessian_distribution": "rademacher"})["ok"] \
        == source_copy("sophia", choices={"hessian_distribution": "rademacher"})
    error = call("sam", "sophia")["error"]
    assert error["kind"] == "SpecError" and error["field"] == "base" and "adam" in error["message"]
    assert call("muon", None, {"adjust_lr_fn": 1})["error"]["field"] == "choices.adjust_lr_fn"


def test_tracing_a_copy_of_muon_in_a_network():
    code = source_copy("muon")
    spec = {**MOONS, "epochs": 1, "optimizers": [{"name": "muon", **MUON},
                                                 {"name": "custom", "code": code, "hyper": MUON}]}
    theirs = tracing.trace(spec, run=0, step=3, param=[0, 1], allow_code=True)
    mine = tracing.trace(spec, run=1, step=3, param=[0, 1], allow_code=True)
    assert mine["grads"] == theirs["grads"] and mine["params"] == theirs["params"] and mine["state"] == theirs["state"]
    assert mine["init_source"][0] == "def init(params, blocks=None):"
    shown = {mine["source"][line["line"] - 1].strip() for line in mine["lines"]}
    assert "x = newton_schulz(u, ns_steps, eps)" in shown
