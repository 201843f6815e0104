"""Sophia: its spec, its Hessian on a landscape (built-in and custom functions, noise), Hutchinson's
estimate, clipping and schedules.  Its trajectories against pytorch_optimizer.SophiaH are in
tests/test_modern_optimizers.py (fixture tests/references/sophia.json)."""

from __future__ import annotations

import numpy as np
import pytest

import descentlab
from descentlab import landscape, optimizer_spec
from descentlab.errors import SpecError
from descentlab.optimizers import sophia


def _make(**hyper):
    entry = optimizer_spec.read_optimizer(dict(hyper, name="sophia"), "optimizers[0]")
    return entry, optimizer_spec.make(entry, "optimizers[0]")


def test_make_returns_a_hessian_optimizer_with_sophiah_defaults():
    entry, opt = _make()
    assert isinstance(opt, optimizer_spec.HessianOptimizer)
    assert entry["params"] == {"lr": 6e-2, "beta1": 0.96, "beta2": 0.99, "weight_decay": 0.0,
                               "weight_decouple": True, "fixed_decay": False, "p": 1e-2, "update_period": 10,
                               "num_samples": 1, "hessian_distribution": "gaussian", "eps": 1e-12}


@pytest.mark.parametrize("k", [1, 3, 10])
def test_wants_hessian_at_steps_1_plus_multiples_of_update_period(k):
    _, opt = _make(update_period=k)
    state, wanted = opt.init(np.zeros(2)), []
    for t in range(1, 25):
        wanted.append(opt.wants_hessian(state))
        _, state = opt.update(np.ones(2), state, np.zeros(2), np.ones(2) if wanted[-1] else None)
    assert [t for t, w in zip(range(1, 25), wanted) if w] == list(range(1, 25, k))


def test_h_changes_only_when_a_hessian_is_given():
    _, opt = _make()
    s0 = opt.init(np.zeros(2))
    _, s1 = opt.update(np.ones(2), s0, np.zeros(2), np.array([2.0, -1.0]))
    _, s2 = opt.update(np.ones(2), s1, np.zeros(2), None)
    np.testing.assert_allclose(s1.h, [0.02, -0.01], rtol=1e-15)
    assert np.array_equal(s2.h, s1.h)


@pytest.mark.parametrize("field, value", [("p", 0.0), ("update_period", 0), ("num_samples", 0),
                                          ("hessian_distribution", "uniform"), ("beta2", 1.0)])
def test_bad_hyper_parameters_name_the_field(field, value):
    with pytest.raises(SpecError, match=f"optimizers\\[0\\].{field}"):
        _make(**{field: value})


def test_hutchinson_rademacher_is_exact_on_a_diagonal_and_gaussian_converges():
    _, opt = _make(num_samples=4, hessian_distribution="rademacher")
    d = np.array([3.0, -1.0, 0.5])
    est = opt.hutchinson(lambda v: d * v, 3, np.random.default_rng(0))
    assert np.array_equal(est, d)  # u² = 1
    hmat = np.array([[2.0, 0.7, 0.0], [0.7, -1.0, 0.3], [0.0, 0.3, 4.0]])
    est = sophia.hutchinson(lambda v: hmat @ v, 3, np.random.default_rng(1), num_samples=16, )
    assert est.shape == (3,)
    many = np.mean([sophia.hutchinson(lambda v: hmat @ v, 3, np.random.default_rng(s), 16) for s in range(300)],
                   axis=0)
    np.testing.assert_allclose(many, np.diag(hmat), atol=0.1)


def test_hutchinson_is_the_mean_of_u_times_hu_with_the_generators_draws():
    hmat = np.array([[1.0, 2.0], [2.0, 5.0]])
    rng = np.random.default_rng([3, 7, 1])
    u1, u2 = rng.standard_normal(2), rng.standard_normal(2)
    want = 0.5 * (u1 * (hmat @ u1)) + 0.5 * (u2 * (hmat @ u2))
    got = sophia.hutchinson(lambda v: hmat @ v, 2, np.random.default_rng([3, 7, 1]), num_samples=2)
    np.testing.assert_allclose(got, want, rtol=1e-15)


def test_a_custom_expression_runs_as_its_built_in_twin():
    runs = [descentlab.run({"kind": "landscape", "steps": 60, "start": [-1.2, 1.0],
                            "optimizers": [{"name": "sophia", "lr": 0.5, "p": 0.05, "update_period": 2}], **f})["runs"][0]
            for f in ({"function": "rosenbrock"},
                      {"function": "custom", "expression": "(1 - x)**2 + 100*(y - x**2)**2", "domain": [[-2, 2], [-1, 3]]})]
    np.testing.assert_allclose(runs[1]["path"], runs[0]["path"], rtol=1e-9, atol=1e-12)


def test_noise_goes_to_the_gradient_not_to_the_hessian():
    spec = {"kind": "landscape", "function": "himmelblau", "steps": 20, "start": [0.5, -1.5], "record_state": True,
            "noise": {"std": 3.0, "seed": 2}, "optimizers": [{"name": "sophia", "update_period": 1, "p": 0.2}]}
    run = descentlab.run(spec)["runs"][0]
    checked = landscape.read_spec(spec)
    for k in range(20):  # step k + 1 was given the exact diagonal at θ_k
        np.testing.assert_array_equal(run["state"]["hessian"][k], landscape.hessian_at(checked, run["path"][k]))
    quiet = descentlab.run(dict(spec, noise={"std": 0.0}))["runs"][0]
    assert not np.array_equal(quiet["path"], run["path"])  # the noise did reach the gradient


def test_clipping_clips_the_gradient_only():
    spec = {"kind": "landscape", "function": "rosenbrock", "steps": 10, "start": [-1.2, 1.0], "record_state": True,
            "optimizers": [{"name": "sophia", "update_period": 1, "clip_grad_norm": 1.0}]}
    run = descentlab.run(spec)["runs"][0]
    assert run["clipped"] == 10
    assert np.all(np.linalg.norm(run["state"]["grad"], axis=1) <= 1.0 + 1e-12)
    checked = landscape.read_spec(spec)
    np.testing.assert_array_equal(run["state"]["hessian"][0], landscape.hessian_at(checked, run["path"][0]))


def test_onecycle_cycles_beta1_as_torch_does_for_betas():
    entry, _ = _make(schedule={"name": "onecycle", "max_lr": 0.1, "total_steps": 50})
    assert optimizer_spec.hyper_at(entry, 1)["beta1"] == entry["schedule"]["max_momentum"]
    assert optimizer_spec.hyper_at(entry, 15)["beta1"] < entry["schedule"]["max_momentum"]


def test_recorded_ratio_is_clipped_to_p_in_the_update():
    spec = {"kind": "landscape", "function": "six_hump_camel", "steps": 30, "start": [1.5, -0.8], "record_state": True,
            "optimizers": [{"name": "sophia", "lr": 0.1, "p": 0.5, "update_period": 1}]}
    st = descentlab.run(spec)["runs"][0]["state"]
    ratio, update = np.asarray(st["ratio"]), np.asarray(st["update"])
    np.testing.assert_array_equal(update, -0.1 * np.clip(ratio, -0.5, 0.5))
    assert np.any(np.abs(ratio) > 0.5) and np.any(np.abs(ratio) < 0.5)


def test_a_surface_without_curvature_refuses_sophia(monkeypatch):
    fn = landscape.FUNCTIONS["booth"]
    monkeypatch.setitem(landscape.FUNCTIONS, "booth", fn._replace(hessian_diag=None))
    with pytest.raises(SpecError, match=r"optimizers\[1\]\.name.*curvature"):
        descentlab.validate({"kind": "landscape", "function": "booth",
                             "optimizers": [{"name": "adam"}, {"name": "sophia"}]})


def test_floats_and_arrays_give_the_same_bits():
    # elementwise, written with + - * / and K.maximum: one coordinate as a float steps as in the array
    _, opt = _make(lr=0.1, p=0.3, weight_decay=0.05, weight_decouple=False, update_period=2)
    g = np.array([0.7, -2.5, 1e-3])
    h = np.array([4.0, -1.0, 1e-13])
    theta = np.array([0.3, -1.2, 2.0])
    s_arr = opt.init(theta)
    s_flt = [opt.init(float(v)) for v in theta]
    for t in range(4):
        hess = h if opt.wants_hessian(s_arr) else None
        u_arr, s_arr = opt.update(g, s_arr, theta, hess)
        for i in range(3):
            u, s_flt[i] = opt.update(float(g[i]), s_flt[i], float(theta[i]), None if hess is None else float(hess[i]))
            assert np.float64(u).tobytes() == u_arr[i].tobytes()
