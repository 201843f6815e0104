"""Gradient noise on landscapes: ``"noise": {"std": σ, "seed": s}``."""

from __future__ import annotations

import numpy as np
import pytest

from descentlab import SpecError, run, validate
from descentlab import landscape as L
from strategies import assert_finite

NOISY = {"kind": "landscape", "function": "quadratic", "start": [-1.5, 1.0], "steps": 120,
         "noise": {"std": 0.5, "seed": 11},
         "optimizers": [{"name": "sgd", "lr": 0.05}, {"name": "adam", "lr": 0.05},
                        {"name": "sgd", "lr": 0.02, "momentum": 0.9}]}


def _same(a, b) -> bool:
    return np.asarray(a, dtype=np.float64).tobytes() == np.asarray(b, dtype=np.float64).tobytes()


def test_every_optimizer_gets_the_same_draw_at_each_step():
    """The recorded gradient of step k, minus the function's gradient there, is draw k for every run."""
    spec = validate(dict(NOISY, record_state=True))
    draws = L.noise_draws(spec)
    fn = L.surface(spec)
    assert draws.shape == (120, 2)
    result = run(dict(NOISY, record_state=True))
    for r in result["runs"]:
        path, grads = np.array(r["path"]), np.array(r["state"]["grad"])
        for k in range(1, len(grads) + 1):
            x, y = path[k - 1]
            clean = np.array(fn.grad(float(x), float(y), **spec["function_params"]))
            assert _same(grads[k - 1], clean + draws[k - 1])


def test_noise_is_sigma_times_a_seeded_standard_normal():
    spec = validate(NOISY)
    z = np.random.default_rng(11).standard_normal((120, 2))
    assert _same(L.noise_draws(spec), 0.5 * z)
    # a longer run extends a shorter one's draws (drawn per step index, x then y)
    longer = validate(dict(NOISY, steps=300))
    assert _same(L.noise_draws(longer)[:120], L.noise_draws(spec))


def test_seeded_reproducibility():
    a, b = run(NOISY), run(NOISY)
    assert a["digest"] == b["digest"]
    assert a["noise"] == {"std": 0.5, "seed": 11}
    other = run(dict(NOISY, noise={"std": 0.5, "seed": 12}))
    assert not _same(other["runs"][0]["path"], a["runs"][0]["path"])
    assert validate(dict(NOISY, noise={"std": 0.5}))["noise"]["seed"] == 0


def test_noise_moves_the_path_and_stays_finite():
    quiet = run({k: v for k, v in NOISY.items() if k != "noise"})
    noisy = run(NOISY)
    assert_finite(noisy)
    assert not _same(quiet["runs"][0]["path"], noisy["runs"][0]["path"])
    # plain SGD: θ_k = θ_{k-1} - η (∇f(θ_{k-1}) + σ z_k), by hand for the first step
    spec = validate(NOISY)
    x0, y0 = NOISY["start"]
    gx, gy = L.surface(spec).grad(x0, y0, **spec["function_params"])
    nx, ny = L.noise_draws(spec)[0]
    assert noisy["runs"][0]["path"][1] == [x0 - 0.05 * (gx + nx), y0 - 0.05 * (gy + ny)]


def test_std_zero_is_no_noise_bit_for_bit():
    quiet = run({k: v for k, v in NOISY.items() if k != "noise"})
    zero = run(dict(NOISY, noise={"std": 0.0, "seed": 3}))
    for a, b in zip(quiet["runs"], zero["runs"]):
        assert _same(a["path"], b["path"]) and _same(a["loss"], b["loss"])


def test_float_race_and_recorded_race_agree_with_noise():
    fast = run(NOISY)
    recorded = run(dict(NOISY, record_state=True))
    for a, b in zip(fast["runs"], recorded["runs"]):
        assert _same(a["path"], b["path"]) and _same(a["loss"], b["loss"])


def test_gradient_fn_gives_the_race_its_gradient():
    """The hook for the trace: grad(θ_{k-1}, k) is the gradient step k used, noise included."""
    spec = validate(dict(NOISY, record_state=True))
    grad = L.gradient_fn(spec)
    r = run(dict(NOISY, record_state=True))["runs"][1]
    path = np.array(r["path"])
    for k in (1, 2, 50, 120):
        assert _same(grad(path[k - 1], k), r["state"]["grad"][k - 1])


# Digests of specs without the new fields, recorded at commit 3ed15cf, before noise, clipping and
# custom functions existed: adding them must not change a single bit of what was there.
BEFORE = [
    ({"kind": "landscape", "function": "rosenbrock", "steps": 200,
      "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.001, "momentum": 0.9}]},
     "c3e3c1f3e396dec7de0d101b336d6eddd96a97c0952ceae5dcbfcd45b9c2e6ed"),
    ({"kind": "landscape", "function": "rastrigin", "steps": 100, "record_state": True,
      "optimizers": [{"name": "rmsprop", "lr": 0.01}]},
     "fe29404f4b2806cb010ee30b8021a39205fb923a586cda2233e9a2e5debacd94"),
    ({"kind": "grid", "function": "beale", "size": [20, 30], "levels": 5},
     "a8f151b53ded69a6c6271dfba39c6e706ce677c4dec100f7c711e7083f813872"),
]


@pytest.mark.parametrize("spec, digest", BEFORE)
def test_specs_without_the_new_fields_keep_their_digest(spec, digest):
    result = run(spec)
    assert "noise" not in result and not any("clipped" in r for r in result.get("runs", []))
    assert result["digest"] == digest


@pytest.mark.parametrize("noise, field", [
    ({"std": -0.1}, "noise.std"),
    ({"std": 1e4}, "noise.std"),
    ({"std": float("nan")}, "noise.std"),
    ({"seed": 1}, "noise.std"),
    ({"std": 1.0, "seed": -1}, "noise.seed"),
    ({"std": 1.0, "seed": 2**32}, "noise.seed"),
    ({"std": 1.0, "seed": 1.5}, "noise.seed"),
    ({"std": 1.0, "sigma": 1.0}, "noise.sigma"),
    (0.5, "noise"),
])
def test_bad_noise_names_the_field(noise, field):
    with pytest.raises(SpecError) as err:
        validate(dict(NOISY, noise=noise))
    assert err.value.field == field


def test_noise_on_a_custom_function_and_its_cost():
    spec = dict(NOISY, function="custom", expression="x*x + 3*y*y")
    assert_finite(run(spec))
    quiet = {k: v for k, v in NOISY.items() if k != "noise"}
    assert L.cost(validate(NOISY)).seconds == L.cost(validate(quiet)).seconds  # a draw per step is negligible
