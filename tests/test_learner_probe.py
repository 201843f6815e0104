"""Learner code with a ``probe``: the loop steps with the gradient at params + probe(...), as for SAM."""

from __future__ import annotations

import numpy as np
import pytest

import descentlab
from descentlab import learner
from descentlab.errors import SpecError

# SAM's probe (Foret et al. 2021), written as a learner would, over plain SGD.
PROBE_SGD = '''
def probe(grads, params, rho=0.05, perturb_eps=1e-12):
    grad_norm = K.sqrt(float((grads * grads).sum())) + perturb_eps
    return grads * (rho / grad_norm)


def init(params):
    return (0,)


def update(grads, state, params, lr=0.01):
    (step,) = state
    return -lr * grads, (step + 1,)
'''
SAM = {"name": "sam", "rho": 0.05, "base": {"name": "sgd", "lr": 0.001}}
HYPER = {"lr": 0.001, "rho": 0.05}


def landscape(code: str, steps: int = 60, hyper=HYPER, **extra):
    spec = {"kind": "landscape", "function": "rosenbrock", "steps": steps, "start": [-1.2, 1.0], **extra,
            "optimizers": [SAM, {"name": "custom", "code": code, "hyper": hyper}]}
    return descentlab.run(spec, allow_code=True)["runs"]


def test_the_hyper_parameters_are_those_of_update_and_probe():
    code = learner.compile_optimizer(PROBE_SGD)
    assert code.defaults == {"lr": 0.01, "rho": 0.05, "perturb_eps": 1e-12}
    assert code.probe is not None and not code.takes_hessian


@pytest.mark.parametrize("extra", [{}, {"record_state": True}, {"noise": {"std": 0.5, "seed": 3}}],
                         ids=["plain", "recorded", "noise"])
def test_a_probing_learner_races_like_sam_bit_for_bit(extra):
    builtin, mine = landscape(PROBE_SGD, **extra)
    assert mine["path"] == builtin["path"] and mine["loss"] == builtin["loss"]
    assert mine["probe"] == builtin["probe"] and len(mine["probe"]) == 60  # where each gradient was taken


def test_without_its_probe_the_code_is_plain_sgd_and_departs_from_sam():
    plain = PROBE_SGD.replace("def probe(", "def unused_probe(")
    builtin, mine = landscape(plain, hyper={"lr": HYPER["lr"]})
    assert mine["path"] != builtin["path"] and "probe" not in mine


def test_a_probing_learner_trains_a_network_like_sam():
    spec = {"kind": "network", "dataset": {"name": "moons", "n": 120}, "epochs": 3,
            "optimizers": [{"name": "sam", "rho": 0.05, "base": {"name": "sgd", "lr": 0.1}},
                           {"name": "custom", "code": PROBE_SGD, "hyper": {"lr": 0.1, "rho": 0.05}}]}
    builtin, mine = descentlab.run(spec, allow_code=True)["runs"]
    assert mine["weights"] == builtin["weights"] and mine["train_loss"] == builtin["train_loss"]


@pytest.mark.parametrize("body, says", [
    ("return grads[:1]", "shaped like params (2,); got shape (1,)"),
    ("return 'far'", "shaped like params (2,); got str"),
    ("return 1.0 / 0", "ZeroDivisionError"),
], ids=["shape", "type", "error"])
def test_a_bad_probe_is_named_with_its_step(body, says):
    code = PROBE_SGD.replace("return grads * (rho / grad_norm)", body)
    with pytest.raises(SpecError) as info:
        landscape(code)
    assert info.value.field == "optimizers[1].code"
    assert "probe at step 1" in info.value.message and says in info.value.message


def test_probe_and_hessian_together_are_refused():
    code = PROBE_SGD.replace("def update(grads, state, params, lr=0.01):", "def update(grads, state, params, hessian, lr=0.01):")
    with pytest.raises(learner.LearnerError, match="either a probe point .* or a Hessian"):
        learner.compile_optimizer(code)


def test_a_probe_without_defaults_is_named():
    code = PROBE_SGD.replace("rho=0.05, perturb_eps=1e-12", "rho, perturb_eps=1e-12")
    with pytest.raises(learner.LearnerError, match="'rho' needs a default"):
        learner.compile_optimizer(code)


def test_an_endless_probe_stops_with_its_line():
    code = PROBE_SGD.replace("    grad_norm = K.sqrt", "    while True:\n        pass\n    grad_norm = K.sqrt")
    with pytest.raises(SpecError) as info:
        landscape(code)
    line = code.splitlines().index("    while True:") + 1
    assert f"line {line}" in info.value.message or f"line {line + 1}" in info.value.message
    assert "probe" in info.value.message


def test_update_is_given_only_its_own_hyper_parameters():
    code = learner.compile_optimizer(PROBE_SGD)
    p = np.array([1.0, -2.0])
    updates, _ = code.update(np.array([0.5, 0.5]), (0,), p, lr=0.1, rho=0.05, perturb_eps=1e-12)
    assert updates.tolist() == [-0.05, -0.05]
    offset = code.probe(np.array([3.0, 4.0]), p, lr=0.1, rho=0.5, perturb_eps=0.0)
    assert offset.tolist() == [3.0 * 0.1, 4.0 * 0.1]  # ρ g / ‖g‖ = 0.5 g / 5
