"""'Edit a copy' of Sophia: the learner's code takes the loop's Hessian and races bit for bit like the built-in."""

from __future__ import annotations

import pytest

import descentlab
from descentlab import tracing
from descentlab.catalog import list_catalog
from descentlab.errors import SpecError
from descentlab.optimizers.copy import source_copy

HYPER = {"lr": 0.05, "update_period": 3, "p": 0.05}
ROSENBROCK = {"function": "custom", "expression": "(1 - x)**2 + 100*(y - x**2)**2", "domain": [[-2, 2], [-1, 3]]}


def race(extra: dict, hyper=HYPER, steps=80, code=None):
    spec = {"kind": "landscape", "function": "rosenbrock", "steps": steps, "start": [-1.2, 1.0], **extra,
            "optimizers": [{"name": "sophia", **hyper},
                           {"name": "custom", "code": code or source_copy("sophia"), "hyper": hyper}]}
    return descentlab.run(spec, allow_code=True)["runs"]


@pytest.mark.parametrize("extra", [{}, ROSENBROCK, {"record_state": True}], ids=["builtin", "expression", "recorded"])
def test_a_copy_of_sophia_races_bit_for_bit_on_a_landscape(extra):
    builtin, copy = race(extra)
    assert copy["path"] == builtin["path"] and copy["loss"] == builtin["loss"]
    assert len(copy["path"]) > 10


def test_the_copy_asks_its_own_wants_hessian():
    """Edited to refresh h every step, the copy no longer follows the built-in (k = 3); with k = 1 it does."""
    every_step = source_copy("sophia").replace("return state.step % update_period == 0", "return True")
    builtin, mine = race({}, code=every_step)
    assert mine["path"] != builtin["path"]
    builtin, mine = race({}, hyper={**HYPER, "update_period": 1}, code=every_step)
    assert mine["path"] == builtin["path"]


def test_without_wants_hessian_the_copy_gets_a_hessian_every_step():
    code = source_copy("sophia")
    code = code[:code.index("def wants_hessian")]
    builtin, mine = race({}, hyper={**HYPER, "update_period": 1}, code=code)
    assert mine["path"] == builtin["path"]


def test_a_copy_of_sophia_trains_a_network_bit_for_bit():
    hyper = {"lr": 0.01, "update_period": 2, "num_samples": 2}
    spec = {"kind": "network", "dataset": {"name": "moons", "n": 120}, "epochs": 3,
            "optimizers": [{"name": "sophia", **hyper},
                           {"name": "custom", "label": "My Sophia", "code": source_copy("sophia"), "hyper": hyper}]}
    builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"]


def test_an_error_in_wants_hessian_names_the_learners_line():
    code = source_copy("sophia").replace("return state.step % update_period == 0", "return state.nope")
    line = code.splitlines().index("    return state.nope") + 1
    with pytest.raises(SpecError) as info:
        race({}, code=code)
    assert info.value.field == "optimizers[1].code"
    assert f"line {line}" in info.value.message and "wants_hessian" in info.value.message


def test_a_bad_num_samples_is_named():
    with pytest.raises(SpecError) as info:
        race({}, hyper={**HYPER, "num_samples": 2.5})
    assert "num_samples" in str(info.value)


def test_tracing_a_copy_of_sophia_shows_the_learners_lines():
    spec = {"kind": "landscape", "function": "rosenbrock", "steps": 10, "start": [-1.2, 1.0],
            "optimizers": [{"name": "sophia", **HYPER}, {"name": "custom", "code": source_copy("sophia"), "hyper": HYPER}]}
    code = source_copy("sophia")
    mine = tracing.trace(spec, run=1, step=4, allow_code=True)
    theirs = tracing.trace(spec, run=0, step=4, allow_code=True)
    assert mine["source"] == code.splitlines()
    assert mine["hessian"] == theirs["hessian"] and mine["hessian"] is not None  # step 4 = 1 + k refreshes h
    with pytest.raises(SpecError):
        tracing.trace(spec, run=1, step=4)  # learner code needs the opt-in


def test_a_copy_keeps_the_entrys_hessian_distribution():
    """A Sophia entry with Rademacher draws: the copy given that choice races bit for bit; the code's
    default (Gaussian draws) departs, so the choice is what makes the difference."""
    hyper = {"lr": 0.01, "update_period": 2, "num_samples": 2}
    builtin_entry = {"name": "sophia", **hyper, "hessian_distribution": "rademacher"}
    chosen = source_copy("sophia", choices={"hessian_distribution": "rademacher"})
    assert 'hessian_distribution="rademacher"' in chosen and "gaussian" not in chosen.split("def update(")[1].split(":")[0]
    spec = {"kind": "network", "dataset": {"name": "moons", "n": 120}, "epochs": 3,
            "optimizers": [builtin_entry, {"name": "custom", "code": chosen, "hyper": hyper},
                           {"name": "custom", "code": source_copy("sophia"), "hyper": hyper}]}
    builtin, copy, default = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"]
    assert default["weights"] != builtin["weights"]


def test_the_catalog_offers_a_copy_of_every_extra_optimizer():
    extras = list_catalog()["extra_optimizers"]
    assert {o["name"]: o["copyable"] for o in extras} == {"sam": True, "muon": True, "sophia": True}
    assert all("copy_note" not in o for o in extras)
