"""The modern optimizers against their reference implementations, by hand, and as learner copies.

``tests/references/optimizers.json`` holds trajectories recorded from ``torch.optim.Adafactor``,
``schedulefree.AdamWScheduleFree`` and ``pytorch_optimizer``'s AdEMAMix, Adan, Lamb and
Prodigy by ``tests/references/record_optimizers.py`` (run by hand; its docstring says how).
Where a package deviates from the paper, our optimizer follows the paper: the fixture
then holds the package run with the settings that match the paper, and a
``package_default`` case that the tests below show to differ, as documented.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import descentlab
from descentlab import optimizers as O
from descentlab.optimizers.copy import source_copy

FIXTURE = Path(__file__).resolve().parent / "references" / "optimizers.json"
RTOL = 1e-10
MODERN = ["adafactor", "schedulefree_adamw", "ademamix", "adan", "lamb", "prodigy"]
WHOLE_ARRAY = {"adafactor", "lamb", "prodigy"}  # not elementwise: x and y are stepped together


def _fixture() -> dict:
    if not FIXTURE.exists():
        pytest.fail(f"reference fixture {FIXTURE} is missing: run tests/references/record_optimizers.py"
                    " (its docstring says how) and commit the JSON", pytrace=False)
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


CASES = _fixture()["cases"] if FIXTURE.exists() else []


def run_case(case: dict, **override) -> dict:
    """Our optimizer on the case's start and gradient sequence: the parameters after each step, and the states."""
    opt = O.make(case["optimizer"], **{**case["hyper"], **override})
    p = np.array(case["params0"], dtype=np.float64)
    state = opt.init(p)
    params, states = [], []
    for g in case["grads"]:
        u, state = opt.update(np.array(g, dtype=np.float64), state, p)
        p = p + u
        params.append(p)
        states.append(state)
    return {"params": np.array(params), "states": states}


def rel_diff(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def case_id(case) -> str:
    return f"{case['optimizer']}-{'x'.join(map(str, case['shape']))}-" + (
        "-".join(f"{k}={v}" for k, v in case["hyper"].items()) or "defaults") + (
        "-package_default" if case["note"] == "package_default" else "")


def test_fixture_is_present_and_covers_every_modern_optimizer():
    fixture = _fixture()
    assert {c["optimizer"] for c in fixture["cases"]} == set(MODERN)
    assert {"torch", "schedulefree", "pytorch_optimizer"} <= set(fixture["versions"])
    shapes = {(c["optimizer"], tuple(c["shape"])) for c in fixture["cases"]}
    assert ("adafactor", (3, 4)) in shapes and ("lamb", (3, 4)) in shapes  # factored / per-matrix cases
    assert all(len(c["params"]) == fixture["steps"] >= 5 for c in fixture["cases"])


@pytest.mark.parametrize("case", [c for c in CASES if c["note"] != "package_default"], ids=case_id)
def test_matches_reference_trajectory(case):
    ours = run_case(case)
    assert rel_diff(ours["params"], case["params"]) <= RTOL
    if case["optimizer"] == "schedulefree_adamw":  # the path is y; z and the evaluation point x too
        assert rel_diff([s.z for s in ours["states"]], case["z"]) <= RTOL
        assert rel_diff([s.x for s in ours["states"]], case["x"]) <= 1e-9  # the recorder's x divides by β₁


# ---------------------------------------------------------------------------
# Where the package deviates from the paper (the docstrings say the same)
# ---------------------------------------------------------------------------

def _package_default(name):
    return next(c for c in CASES if c["optimizer"] == name and c["note"] == "package_default")


def test_lamb_differs_from_pytorch_optimizer_default_by_its_step_bias_correction():
    # pytorch_optimizer's Lamb divides the *step* by 1 − β₁ᵗ after the trust ratio has
    # normalised it: its first step is 1/(1 − β₁) = 10x the paper's (which is η‖θ‖ long)
    case = _package_default("lamb")
    ours = run_case(case)["params"]
    p0 = np.array(case["params0"])
    ours_step, ref_step = ours[0] - p0, np.array(case["params"][0]) - p0
    assert np.linalg.norm(ours_step) == pytest.approx(1e-3 * np.linalg.norm(p0), rel=1e-12)
    np.testing.assert_allclose(ref_step, 10.0 * ours_step, rtol=1e-4)  # ε = 1e-6 enters differently
    assert rel_diff(ours, case["params"]) > 0.1


def test_prodigy_differs_from_pytorch_optimizer_default_only_through_eps():
    # the package adds d_t ε (the new d) to √v_t, the paper d_{t−1} ε: a tiny difference
    case = _package_default("prodigy")
    ours = run_case(case)["params"]
    assert 0.0 < rel_diff(ours, case["params"]) < 1e-8
    eps_free = next(c for c in CASES if c["optimizer"] == "prodigy" and c["hyper"] == {"eps": 0.0})
    assert eps_free["grads"] == case["grads"]
    assert rel_diff(run_case(eps_free)["params"], eps_free["params"]) <= RTOL  # same code, ε = 0: equal


def test_ademamix_weight_decay_is_decoupled_as_in_the_paper():
    case = next(c for c in CASES if c["optimizer"] == "ademamix" and c["hyper"].get("weight_decay"))
    assert case["kwargs"]["weight_decouple"] is True  # the package's default (False) adds λθ to g


# ---------------------------------------------------------------------------
# First steps by hand
# ---------------------------------------------------------------------------

def first_step(name, g, p, **hyper):
    opt = O.make(name, **hyper)
    p = np.array(p, dtype=np.float64)
    return opt.update(np.array(g, dtype=np.float64), opt.init(p), p)


def test_adafactor_first_step_by_hand():
    # t = 1: β̂ = 0 so v̂ = g², U = sign(g), RMS(U) = 1 (no clipping), ρ = min(η, 1) = η,
    # α = max(ε₂, RMS(θ)) η: θ moves by α in every coordinate against the gradient
    p, g = [3.0, -4.0], [0.5, -2.0]
    u, s = first_step("adafactor", g, p, lr=0.1)
    alpha = max(1e-3, math.sqrt((9 + 16) / 2)) * 0.1
    np.testing.assert_allclose(u, [-alpha, alpha], rtol=1e-15)
    np.testing.assert_array_equal(s.v, [0.25, 4.0])


def test_adafactor_factors_a_matrix_into_rows_and_columns():
    g = np.array([[1.0, 2.0], [3.0, 4.0]])
    opt = O.make("adafactor")
    p = np.ones((2, 2))
    _, s = opt.update(g, opt.init(p), p)
    row, col = (g * g).mean(axis=1), (g * g).mean(axis=0)  # t = 1: R = row means, C = column means
    np.testing.assert_array_equal(s.row, row)
    np.testing.assert_array_equal(s.col, col)
    np.testing.assert_allclose(s.v, np.outer(row, col) / row.mean(), rtol=1e-15)


def test_adafactor_network_blocks_factor_each_matrix_and_keep_vectors():
    # θ = W (2×3) then b (3,): given the blocks, W is factored and b keeps its full v
    theta = np.arange(1.0, 10.0)
    blocks = ((0, (2, 3)), (6, (3,)))
    opt = O.make("adafactor")
    s = O.REGISTRY["adafactor"].module.init(theta, blocks)
    assert s.row.shape == (2,) and s.col.shape == (3,)
    g = np.linspace(-1.0, 1.0, 9)
    u, s2 = opt.update(g, s, theta)
    W, b = theta[:6].reshape(2, 3), theta[6:]
    uW, _ = opt.update(g[:6].reshape(2, 3), opt.init(W), W)
    ub, _ = opt.update(g[6:], opt.init(b), b)
    np.testing.assert_array_equal(u, np.concatenate([uW.ravel(), ub]))


def test_lamb_moves_each_layer_by_lr_times_its_norm():
    theta = np.array([3.0, 4.0, 0.1, -0.2, 0.2])
    blocks = ((0, (2,)), (2, (3,)))
    s = O.REGISTRY["lamb"].module.init(theta, blocks)
    u, _ = O.make("lamb", lr=0.01).update(np.array([1.0, -2.0, 5.0, 1e-3, -7.0]), s, theta)
    assert np.linalg.norm(u[:2]) == pytest.approx(0.01 * 5.0, rel=1e-12)
    assert np.linalg.norm(u[2:]) == pytest.approx(0.01 * np.linalg.norm(theta[2:]), rel=1e-12)


def test_lamb_trust_ratio_is_one_for_a_zero_layer():
    u, _ = first_step("lamb", [1.0, -1.0], [0.0, 0.0], lr=0.1)
    np.testing.assert_allclose(u, [-0.1 / (1 + 1e-6), 0.1 / (1 + 1e-6)], rtol=1e-15)  # Adam's step


def test_schedulefree_first_step_is_an_adam_step_of_z_and_y_equals_z():
    # c_1 = 1: y_1 = x_1 = z_1 = θ_0 − η g/(|g| + ε)
    u, s = first_step("schedulefree_adamw", [2.0, -0.5], [1.0, 1.0], lr=0.1)
    z = np.array([1.0 - 0.1 * 2.0 / (2.0 + 1e-8), 1.0 + 0.1 * 0.5 / (0.5 + 1e-8)])
    np.testing.assert_allclose(s.z, z, rtol=1e-15)
    np.testing.assert_allclose(s.x, z, rtol=1e-15)
    np.testing.assert_allclose(s.y, z, rtol=1e-15)
    np.testing.assert_allclose(1.0 + u, z, rtol=1e-15)


def test_schedulefree_y_lies_between_z_and_x():
    opt = O.make("schedulefree_adamw", lr=0.05)
    rng = np.random.default_rng(0)
    p = np.zeros(3)
    s = opt.init(p)
    for _ in range(10):
        u, s = opt.update(rng.standard_normal(3), s, p)
        p = p + u
        np.testing.assert_allclose(p, 0.1 * s.z + 0.9 * s.x, rtol=1e-12, atol=1e-15)  # y = (1 − β₁) z + β₁ x


def test_ademamix_first_step_by_hand():
    # t = 1: m̂⁽¹⁾ = g, m⁽²⁾ = (1 − β₃) g, ν̂ = g²: θ₁ = θ₀ − η (1 + α(1 − β₃)) g/(|g| + ε)
    u, _ = first_step("ademamix", [2.0, -3.0], [0.0, 0.0], lr=0.1)
    k = 1.0 + 5.0 * (1.0 - 0.9999)
    np.testing.assert_allclose(u, [-0.1 * k * 2.0 / (2.0 + 1e-8), 0.1 * k * 3.0 / (3.0 + 1e-8)], rtol=1e-12)


def test_ademamix_warmup_schedules_alpha_and_beta3():
    # with T > 0, step 1 has α(1) = α/T and β₃(1) from the log interpolation (near β₁)
    T, alpha, b1, b3 = 10, 8.0, 0.9, 0.999
    g = np.array([1.0])
    _, s = first_step("ademamix", g, [0.0], alpha=alpha, beta3=b3, t_alpha_beta3=T)
    frac = 1 / T
    beta3_1 = min(math.exp(math.log(b1) * math.log(b3) / ((1 - frac) * math.log(b3) + frac * math.log(b1))), b3)
    np.testing.assert_allclose(s.m2, (1 - beta3_1) * g, rtol=1e-13)
    with pytest.raises(ValueError, match="beta"):
        O.make("ademamix", beta1=0.0, t_alpha_beta3=5)


def test_adan_first_step_by_hand():
    # t = 1: Δ = 0, so v = 0 and n̂ = g²: θ₁ = θ₀ − η g/(|g| + ε)
    u, s = first_step("adan", [4.0, -1.0], [1.0, 2.0], lr=0.1)
    np.testing.assert_allclose(u, [-0.4 / (4.0 + 1e-8), 0.1 / (1.0 + 1e-8)], rtol=1e-15)
    np.testing.assert_array_equal(s.v, [0.0, 0.0])
    np.testing.assert_array_equal(s.g_prev, [4.0, -1.0])


def test_prodigy_first_step_by_hand():
    # t = 1: θ = θ₀ so r₁ = 0 and d stays d₀; m = (1 − β₁) d₀ g, v = (1 − β₂) d₀² g²:
    # θ₁ = θ₀ − η d₀ m/(√v + d₀ ε)
    g, d0 = np.array([2.0, -1.0]), 1e-6
    u, s = first_step("prodigy", g, [1.0, 1.0])
    m, v = 0.1 * d0 * g, 0.001 * d0 * d0 * g * g
    np.testing.assert_allclose(u, -d0 * m / (np.sqrt(v) + d0 * 1e-8), rtol=1e-14)
    assert s.d == d0 and s.r == 0.0


def test_prodigy_d_grows_to_the_problem_scale():
    # f = ½‖θ‖² from θ₀ = (3, 4): the distance to the minimum is 5, d must rise from 10⁻⁶
    opt = O.make("prodigy")
    p = np.array([3.0, 4.0])
    s = opt.init(p)
    for _ in range(200):
        u, s2 = opt.update(p.copy(), s, p)
        assert s2.step < 2 or s2.d >= s.d  # d never decreases
        p, s = p + u, s2
    assert 0.1 < s.d <= 5.0 and np.linalg.norm(p) < 1.0


# ---------------------------------------------------------------------------
# Edit a copy: the same arithmetic, racing bit for bit (landscape and network)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", MODERN)
def test_copy_races_bit_for_bit_on_a_landscape(name):
    hyper = {"lr": 0.01}
    spec = {"kind": "landscape", "function": "rosenbrock", "steps": 150,
            "optimizers": [{"name": name, **hyper}, {"name": "custom", "code": source_copy(name), "hyper": hyper}]}
    builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["path"] == builtin["path"] and copy["loss"] == builtin["loss"]


@pytest.mark.parametrize("name", MODERN)
def test_copy_trains_a_network_bit_for_bit(name):
    spec = {"kind": "network", "dataset": {"name": "moons", "n": 80}, "epochs": 2,
            "optimizers": [{"name": name, "lr": 0.01},
                           {"name": "custom", "code": source_copy(name), "hyper": {"lr": 0.01}}]}
    builtin, copy = descentlab.run(spec, allow_code=True)["runs"]
    assert copy["weights"] == builtin["weights"] and copy["train_loss"] == builtin["train_loss"]


@pytest.mark.parametrize("name", sorted(WHOLE_ARRAY))
def test_whole_array_optimizers_step_x_and_y_together_on_a_landscape(name):
    # the float loop cannot step these one coordinate at a time; the race is the array run
    spec = {"kind": "landscape", "function": "booth", "steps": 40, "optimizers": [{"name": name, "lr": 0.05}]}
    run = descentlab.run(spec)["runs"][0]
    opt = O.make(name, lr=0.05)
    assert not getattr(O.REGISTRY[name].module, "ELEMENTWISE", True)
    from descentlab.functions import FUNCTIONS
    fn = FUNCTIONS["booth"]
    p = np.array(run["path"][0], dtype=np.float64)
    s = opt.init(p)
    for k in range(1, 41):
        u, s = opt.update(np.array(fn.grad(float(p[0]), float(p[1])), dtype=np.float64), s, p)
        p = p + u
        assert p.tolist() == list(run["path"][k])


# ---------------------------------------------------------------------------
# Sophia against pytorch_optimizer.SophiaH, and Muon with a schedule against torch.optim.Muon
# with an lr scheduler: tests/references/sophia.json, recorded by tests/references/record_sophia.py.
#
# Where SophiaH departs from the paper (Liu et al. 2023, Algorithm 3): the paper steps
# η′ clip(m / max(γ h, ε′), 1); SophiaH η clip(m / max(h, ε), p), the same rule with
# η′ = η p, γ = p, ε′ = p ε (test_sophia_is_the_papers_rule_reparametrised).  SophiaH
# uses a Hessian whenever one is passed to step(), the paper only at t mod k = 1: the
# fixture passes one only at those steps, as our loops do.  No other difference.

from descentlab import landscape, optimizer_spec  # noqa: E402
from descentlab.optimizers import sophia  # noqa: E402

SOPHIA_FIXTURE = Path(__file__).resolve().parent / "references" / "sophia.json"


def _sophia_fixture() -> dict:
    if not SOPHIA_FIXTURE.exists():
        pytest.fail(f"reference fixture {SOPHIA_FIXTURE} is missing: run tests/references/record_sophia.py"
                    " (its docstring says how) and commit the JSON", pytrace=False)
    return json.loads(SOPHIA_FIXTURE.read_text(encoding="utf-8"))


def _max_rel(ours, ref) -> float:
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    return float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-300)))


def _sophia_entry(case: dict) -> dict:
    entry = dict(case["hyper"], name="sophia")
    if case["schedule"]:
        entry["schedule"] = case["schedule"]
    return entry


@pytest.mark.parametrize("i", range(7))
def test_sophia_matches_sophiah(i):
    case = _sophia_fixture()["sophia"][i]
    if case["function"] == "quad4":  # a 4-D quadratic with a negative curvature: the array update itself
        a = np.array(_sophia_fixture()["quad4"])
        entry = optimizer_spec.read_optimizer(_sophia_entry(case), "o")
        opt = optimizer_spec.make(entry, "o")
        p = np.array(case["start"])
        state, path = opt.init(p), []
        for ref_h in case["hessian"]:
            h = np.diag(a).copy() if opt.wants_hessian(state) else None
            assert (h is None) == (ref_h is None)  # refreshed at the same steps as SophiaH
            u, state = opt.update(K_matvec(a, p), state, p, h)
            p = p + u
            path.append(p)
        assert _max_rel(path, case["path"]) <= RTOL
        return
    spec = {"kind": "landscape", "function": case["function"], "start": case["start"], "steps": len(case["path"]),
            "optimizers": [_sophia_entry(case)]}
    run = descentlab.run(spec)["runs"][0]
    assert run["diverged_at"] is None
    assert _max_rel(run["path"][1:], case["path"]) <= RTOL


def K_matvec(a, p):
    return np.array([sum(a[r][c] * p[c] for c in range(len(p))) for r in range(len(p))])


def test_sophia_fixture_exercises_clipping_negative_curvature_and_schedules():
    # the fixture must test what matters: some steps clipped, some not, a negative h, a schedule
    fx = _sophia_fixture()
    assert any(c["schedule"] and c["schedule"]["name"] == "onecycle" for c in fx["sophia"])
    assert any(v is not None and min(v) < 0 for c in fx["sophia"] for v in c["hessian"])
    assert len({c["function"] for c in fx["sophia"]}) >= 4


def test_sophia_passes_hessians_only_at_refresh_steps():
    # the landscape gives the exact diagonal at t = 1, 1 + k, ...: recorded, it is the fixture's
    case = _sophia_fixture()["sophia"][2]
    spec = {"kind": "landscape", "function": case["function"], "start": case["start"], "steps": len(case["path"]),
            "optimizers": [_sophia_entry(case)], "record_state": True}
    given = descentlab.run(spec)["runs"][0]["state"]["hessian"]
    for ours, ref in zip(given, case["hessian"]):
        if ref is None:
            assert list(ours) == [0.0, 0.0]
        else:
            assert _max_rel(ours, ref) <= RTOL


def test_sophia_is_the_papers_rule_reparametrised():
    # paper: θ − η′ clip(m / max(γ h, ε′), 1) with η′ = η p, γ = p, ε′ = p ε equals ours, with
    # a negative, a tiny and a large curvature (clipped and unclipped coordinates)
    g = np.array([0.3, -2.0, 0.01, 1.0])
    h = np.array([-1.0, 1e-14, 50.0, 4.0])
    lr, p, eps, beta1, beta2 = 0.1, 0.2, 1e-12, 0.96, 0.99
    entry = optimizer_spec.read_optimizer({"name": "sophia", "lr": lr, "p": p, "eps": eps}, "o")
    opt = optimizer_spec.make(entry, "o")
    theta = np.zeros(4)
    u, state = opt.update(g, opt.init(theta), theta, h)
    m, hh = (1 - beta1) * g, (1 - beta2) * h
    paper = -(lr * p) * np.clip(m / np.maximum(p * hh, p * eps), -1.0, 1.0)
    np.testing.assert_allclose(u, paper, rtol=1e-14)
    assert abs(u[0]) == lr * p and abs(u[1]) == lr * p and abs(u[2]) < lr * p  # clipped, clipped, not


@pytest.mark.parametrize("i", range(3))
def test_scheduled_muon_matches_torch_with_lr_scheduler(i):
    # as tests/test_loops.py's Muon: torch's A x B matrix is stored transposed; a 1x1 output layer after it
    case = _sophia_fixture()["muon"][i]
    rows, cols = case["shape"]
    p = np.append(np.array(case["params0"]).T.reshape(-1), 0.5)
    entry = optimizer_spec.read_optimizer(dict(case["hyper"], name="muon", schedule=case["schedule"]), "o")
    opt = optimizer_spec.make(entry, "o")
    state = opt.init(p, blocks=[(0, (cols, rows)), (rows * cols, (1, 1))])
    path = []
    for g in case["grads"]:
        u, state = opt.update(np.append(np.array(g).T.reshape(-1), 0.1), state, p)
        p = p + u
        path.append(p[:rows * cols].reshape(cols, rows).T)
    assert _max_rel(path, case["path"]) <= RTOL


def test_scheduled_muon_differs_from_unscheduled():
    # the schedule is applied: without it the same case departs from torch's scheduled path
    case = _sophia_fixture()["muon"][0]
    rows, cols = case["shape"]
    p = np.append(np.array(case["params0"]).T.reshape(-1), 0.5)
    opt = optimizer_spec.make(optimizer_spec.read_optimizer(dict(case["hyper"], name="muon"), "o"), "o")
    state = opt.init(p, blocks=[(0, (cols, rows)), (rows * cols, (1, 1))])
    for g in case["grads"]:
        u, state = opt.update(np.append(np.array(g).T.reshape(-1), 0.1), state, p)
        p = p + u
    assert _max_rel(p[:rows * cols].reshape(cols, rows).T, case["path"][-1]) > 1e-3
