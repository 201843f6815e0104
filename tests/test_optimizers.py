"""Optimizers: the published update rules, their classic behaviour, purity and the registry.

The reference values are computed here from each rule as printed in the paper /
``torch.optim`` documentation, one coordinate at a time with Python floats, so
they share no code with the implementation.
"""

from __future__ import annotations

import ast
import copy
import inspect
import math
from pathlib import Path

import numpy as np
import pytest

import descentlab
from descentlab import optimizers as O
from descentlab.functions import FUNCTIONS

RTOL = 1e-12
OPT_DIR = Path(O.__file__).parent

# f(θ) = ½ Σ a_i θ_i², so ∇f(θ)_i = a_i θ_i and the coordinates never interact.
A = (1.0, 10.0)
THETA0 = (1.0, -0.5)


def impl_path(name, steps=3, a=A, theta0=THETA0, **hyper):
    """θ_1..θ_steps from the implementation, shape (steps, n)."""
    opt = O.make(name, **hyper)
    a = np.array(a)
    p = np.array(theta0, dtype=np.float64)
    state = opt.init(p)
    out = []
    for _ in range(steps):
        updates, state = opt.update(a * p, state, p)
        p = p + updates
        out.append(p)
    return np.array(out)


def ref_path(ref, **hyper):
    """θ_1..θ_3 from a scalar reference rule ``ref(a, θ0, **hyper) -> [θ1, θ2, θ3]``."""
    return np.array([ref(a, th, **hyper) for a, th in zip(A, THETA0)]).T


def sign(x):
    return (x > 0) - (x < 0)


# ---------------------------------------------------------------------------
# Reference rules, one coordinate, Python floats (torch.optim docs pseudo-code)
# ---------------------------------------------------------------------------

def ref_sgd(a, th, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, ema=False):
    b = 0.0
    out = []
    for t in (1, 2, 3):
        g = a * th + weight_decay * th
        if momentum:
            if ema:  # v_t = β v_{t-1} + (1 - β) g_t, v_0 = 0
                b = momentum * b + (1 - momentum) * g
            elif t == 1:
                b = g
            else:
                b = momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        th = th - lr * g
        out.append(th)
    return out


def ref_adagrad(a, th, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    s = initial_accumulator_value
    out = []
    for t in (1, 2, 3):
        g = a * th + weight_decay * th
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        th = th - lr_t * g / (math.sqrt(s) + eps)
        out.append(th)
    return out


def ref_rmsprop(a, th, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    v = gave = b = 0.0
    out = []
    for _ in (1, 2, 3):
        g = a * th + weight_decay * th
        v = alpha * v + (1 - alpha) * g * g
        vt = v
        if centered:
            gave = alpha * gave + (1 - alpha) * g
            vt = vt - gave * gave
        if momentum > 0:
            b = momentum * b + g / (math.sqrt(vt) + eps)
            th = th - lr * b
        else:
            th = th - lr * g / (math.sqrt(vt) + eps)
        out.append(th)
    return out


def ref_adadelta(a, th, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    v = u = 0.0
    out = []
    for _ in (1, 2, 3):
        g = a * th + weight_decay * th
        v = rho * v + (1 - rho) * g * g
        dx = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * dx * dx
        th = th - lr * dx
        out.append(th)
    return out


def ref_adam(a, th, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    m = v = vmax = 0.0
    out = []
    for t in (1, 2, 3):
        g = a * th
        if decoupled:
            th_decayed = th - lr * weight_decay * th
        else:
            g = g + weight_decay * th
            th_decayed = th
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        if amsgrad:
            vmax = max(vmax, v)
            v_hat = vmax / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        th = th_decayed - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(th)
    return out


def ref_nadam(a, th, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
    def mu(t):
        return beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))

    m = v = 0.0
    prod = 1.0  # Π_{i≤t} μ_i
    out = []
    for t in (1, 2, 3):
        g = a * th + weight_decay * th
        prod = prod * mu(t)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = mu(t + 1) * m / (1 - prod * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod)
        v_hat = v / (1 - beta2 ** t)
        th = th - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(th)
    return out


def ref_lion(a, th, lr, beta1=0.9, beta2=0.99, weight_decay=0.0):
    m = 0.0
    out = []
    for _ in (1, 2, 3):
        g = a * th
        c = beta1 * m + (1 - beta1) * g
        th = th - lr * (sign(c) + weight_decay * th)
        m = beta2 * m + (1 - beta2) * g
        out.append(th)
    return out


# (registry name, hyper-parameters, reference rule, extra reference arguments)
def ref_adamax(a, th, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    m = u = 0.0
    out = []
    for t in (1, 2, 3):
        g = a * th + weight_decay * th
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, abs(g) + eps)
        th = th - lr / (1 - beta1 ** t) * m / u
        out.append(th)
    return out


CASES = [
    ("adamax", dict(lr=0.1), ref_adamax, {}),
    ("adamax", dict(lr=0.1, beta1=0.5, beta2=0.7, eps=1e-3, weight_decay=0.3), ref_adamax, {}),
    ("sgd", dict(lr=0.05), ref_sgd, {}),
    ("sgd", dict(lr=0.05, weight_decay=0.1), ref_sgd, {}),
    ("momentum", dict(lr=0.05), ref_sgd, dict(momentum=0.9)),
    ("momentum", dict(lr=0.05, momentum=0.7, dampening=0.3), ref_sgd, {}),
    ("momentum", dict(lr=0.05, momentum=0.7, weight_decay=0.2), ref_sgd, {}),
    ("momentum", dict(lr=0.05, momentum=0.8, ema=True), ref_sgd, {}),
    ("nesterov", dict(lr=0.05), ref_sgd, dict(momentum=0.9, nesterov=True)),
    ("nesterov", dict(lr=0.05, momentum=0.6, weight_decay=0.1), ref_sgd, dict(nesterov=True)),
    ("adagrad", dict(lr=0.3), ref_adagrad, {}),
    ("adagrad", dict(lr=0.3, lr_decay=0.5), ref_adagrad, {}),
    ("adagrad", dict(lr=0.3, initial_accumulator_value=0.1, weight_decay=0.1, eps=1e-3), ref_adagrad, {}),
    ("rmsprop", dict(lr=0.01, alpha=0.9), ref_rmsprop, {}),
    ("rmsprop", dict(lr=0.01, alpha=0.9, centered=True), ref_rmsprop, {}),
    ("rmsprop", dict(lr=0.01, alpha=0.9, momentum=0.5), ref_rmsprop, {}),
    ("rmsprop", dict(lr=0.01, alpha=0.8, momentum=0.5, centered=True, weight_decay=0.1, eps=1e-4),
     ref_rmsprop, {}),
    ("adadelta", dict(), ref_adadelta, {}),
    ("adadelta", dict(lr=0.5, rho=0.8, eps=1e-3, weight_decay=0.1), ref_adadelta, {}),
    ("adam", dict(lr=0.1), ref_adam, {}),
    ("adam", dict(lr=0.1, beta1=0.8, beta2=0.6, eps=1e-3, weight_decay=0.1), ref_adam, {}),
    # β2 = 0.5 forgets fast, so v_t falls below v_{t-1} and the max matters within 3 steps
    ("amsgrad", dict(lr=0.3, beta2=0.5), ref_adam, {}),
    ("adamw", dict(lr=0.1), ref_adam, dict(decoupled=True)),
    ("adamw", dict(lr=0.3, beta2=0.5, weight_decay=0.5, amsgrad=True), ref_adam, dict(decoupled=True)),
    ("nadam", dict(lr=0.1), ref_nadam, {}),
    ("nadam", dict(lr=0.1, beta1=0.8, beta2=0.6, momentum_decay=0.5, weight_decay=0.1), ref_nadam, {}),
    ("lion", dict(lr=0.1), ref_lion, {}),
    ("lion", dict(lr=0.1, beta1=0.5, beta2=0.7, weight_decay=0.3), ref_lion, {}),
]


def case_id(case):
    name, hyper, _, _ = case
    return name + "".join(f"-{k}={v}" for k, v in hyper.items())


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_first_three_steps_match_published_rule(case):
    name, hyper, ref, extra = case
    full = {**O.REGISTRY[name].defaults, **hyper}
    ref_hyper = {k: v for k, v in full.items() if k in inspect.signature(ref).parameters}
    expected = ref_path(ref, **{**ref_hyper, **extra})
    np.testing.assert_allclose(impl_path(name, **hyper), expected, rtol=RTOL, atol=0)


def test_amsgrad_case_exercises_the_max():
    # the case above only tests AMSGrad if v_t actually decreases within 3 steps
    opt = O.make("amsgrad", lr=0.3, beta2=0.5)
    p = np.array(THETA0)
    s = opt.init(p)
    decreased = False
    for _ in range(3):
        u, s2 = opt.update(np.array(A) * p, s, p)
        decreased |= bool(np.any(s2.v < s.v))
        p, s = p + u, s2
    assert decreased
    assert not np.allclose(impl_path("amsgrad", lr=0.3, beta2=0.5), impl_path("adam", lr=0.3, beta2=0.5))


# Worked by hand, one coordinate a = 1, θ0 = 1, so g_t = θ_{t-1}, η = 0.1.

def run_scalar(name, steps=3, **hyper):
    return impl_path(name, steps=steps, a=(1.0,), theta0=(1.0,), **hyper)[:, 0]


def test_sgd_by_hand():
    # θ_t = θ_{t-1} - 0.1 θ_{t-1} = 0.9 θ_{t-1}
    np.testing.assert_allclose(run_scalar("sgd", lr=0.1), [0.9, 0.81, 0.729], rtol=RTOL)


def test_heavy_ball_by_hand():
    # b1 = g1 = 1 → θ1 = 0.9; b2 = 0.5·1 + 0.9 = 1.4 → θ2 = 0.76; b3 = 0.7 + 0.76 = 1.46 → θ3 = 0.614
    np.testing.assert_allclose(run_scalar("momentum", lr=0.1, momentum=0.5), [0.9, 0.76, 0.614], rtol=RTOL)


def test_nesterov_by_hand():
    # b1 = 1, d1 = 1 + 0.5 = 1.5 → θ1 = 0.85
    # b2 = 0.5 + 0.85 = 1.35, d2 = 0.85 + 0.675 = 1.525 → θ2 = 0.6975
    # b3 = 0.675 + 0.6975 = 1.3725, d3 = 0.6975 + 0.68625 = 1.38375 → θ3 = 0.559125
    np.testing.assert_allclose(run_scalar("nesterov", lr=0.1, momentum=0.5),
                               [0.85, 0.6975, 0.559125], rtol=RTOL)


def test_ema_momentum_by_hand():
    # v1 = 0.5 → θ1 = 0.95; v2 = 0.25 + 0.475 = 0.725 → θ2 = 0.8775
    # v3 = 0.3625 + 0.43875 = 0.80125 → θ3 = 0.797375
    np.testing.assert_allclose(run_scalar("momentum", lr=0.1, momentum=0.5, ema=True),
                               [0.95, 0.8775, 0.797375], rtol=RTOL)


def test_adamax_by_hand():
    # t = 1: g = 1, m = 0.1, u = max(0, 1 + ε), η / (1 − β₁) = 1: θ1 = 1 − 0.1 / (1 + ε)
    # t = 2: g = θ1 ≈ 0.9, m = 0.09 + 0.1 g, u = max(0.999 u₁, g + ε) = 0.999 u₁ (the memory wins)
    eps = 1e-8
    th1 = 1 - 0.1 / (1 + eps)
    m2, u2 = 0.9 * 0.1 + 0.1 * th1, 0.999 * (1 + eps)
    th2 = th1 - 0.1 / (1 - 0.81) * m2 / u2
    g3 = th2  # = 0.8051..., still below 0.999² u₁
    m3, u3 = 0.9 * m2 + 0.1 * g3, 0.999 * u2
    th3 = th2 - 0.1 / (1 - 0.729) * m3 / u3
    assert run_scalar("adamax", lr=0.1).tolist() == pytest.approx([th1, th2, th3], rel=1e-14)


def test_adam_by_hand():
    # t = 1: m̂ = g, v̂ = g², so θ1 = θ0 - η g/(|g| + ε) = 1 - 0.1/(1 + 1e-8)
    assert run_scalar("adam", steps=1, lr=0.1)[0] == pytest.approx(1 - 0.1 / (1 + 1e-8), rel=RTOL)


def test_ema_equivalences_stated_in_docstring():
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((50, 4))
    beta, lr = 0.8, 0.1

    def run(**hyper):
        opt = O.make("sgd", **hyper)
        p = np.zeros(4)
        s = opt.init(p)
        ps, bufs = [], []
        for g in grads:
            u, s = opt.update(g, s, p)
            p = p + u
            ps.append(p)
            bufs.append(s.momentum_buffer)
        return np.array(ps), np.array(bufs)

    p_ema, v = run(lr=lr, momentum=beta, ema=True)
    p_plain, b_plain = run(lr=lr * (1 - beta), momentum=beta)
    _, b_damp = run(lr=lr, momentum=beta, dampening=beta)
    # EMA with η  ==  PyTorch plain (dampening 0) with η(1 - β):  v_t = (1 - β) b_t
    np.testing.assert_allclose(p_ema, p_plain, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(v, (1 - beta) * b_plain, rtol=1e-12, atol=1e-15)
    # PyTorch with dampening = β: the same recursion started from g_1, off by β^t g_1
    t = np.arange(1, 51)[:, None]
    np.testing.assert_allclose(b_damp - v, beta ** t * grads[0], rtol=1e-9, atol=1e-14)


# ---------------------------------------------------------------------------
# torch.optim cross-check (only where torch is installed)
# ---------------------------------------------------------------------------

TORCH_CASES = [c for c in CASES if c[0] != "lion" and not c[1].get("ema")]


@pytest.mark.parametrize("case", TORCH_CASES, ids=case_id)
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    name, hyper, _, _ = case
    h = {**O.REGISTRY[name].defaults, **hyper}
    if name in ("sgd", "momentum", "nesterov"):
        cls, kw = torch.optim.SGD, {k: h[k] for k in ("lr", "momentum", "dampening", "weight_decay", "nesterov")}
    elif name == "adagrad":
        cls, kw = torch.optim.Adagrad, {k: h[k] for k in
                                        ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")}
    elif name == "rmsprop":
        cls, kw = torch.optim.RMSprop, {k: h[k] for k in
                                        ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")}
    elif name == "adadelta":
        cls, kw = torch.optim.Adadelta, {k: h[k] for k in ("lr", "rho", "eps", "weight_decay")}
    elif name == "nadam":
        cls, kw = torch.optim.NAdam, dict(lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                                          weight_decay=h["weight_decay"], momentum_decay=h["momentum_decay"])
    else:
        cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
        kw = dict(lr=h["lr"], betas=(h["beta1"], h["beta2"]), eps=h["eps"],
                  weight_decay=h["weight_decay"], amsgrad=h["amsgrad"])
    steps = 20
    theta = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    a = torch.tensor(A, dtype=torch.float64)
    opt = cls([theta], **kw)
    expected = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * (a * theta * theta).sum()).backward()
        opt.step()
        expected.append(theta.detach().numpy().copy())
    np.testing.assert_allclose(impl_path(name, steps=steps, **hyper), np.array(expected), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------
# Behaviour
# ---------------------------------------------------------------------------

# lr tuned per optimizer for f(θ) = ½(θ1² + 2θ2²) (condition number 2), and the steps needed
CONVERGENCE = {
    "sgd": (dict(lr=0.3), 100),
    "momentum": (dict(lr=0.1), 300),
    "nesterov": (dict(lr=0.1), 200),
    "adagrad": (dict(lr=0.5), 100),
    "rmsprop": (dict(lr=0.01), 400),
    "adadelta": (dict(), 1000),
    "adam": (dict(lr=0.05), 300),
    "adamw": (dict(lr=0.05), 300),
    "amsgrad": (dict(lr=0.05), 300),
    "nadam": (dict(lr=0.05), 300),
    "adamax": (dict(lr=0.05), 300),
    "lion": (dict(lr=0.01), 400),
    "adafactor": (dict(lr=0.3), 1000),  # relative steps: the step shrinks with RMS(θ)
    "schedulefree_adamw": (dict(lr=0.1), 1000),
    "ademamix": (dict(lr=0.05, beta3=0.99), 300),  # β₃ = 0.9999 remembers too long for a 300-step bowl
    "adan": (dict(lr=0.05), 1000),
    "lamb": (dict(lr=0.05), 300),
    "prodigy": (dict(), 300),  # no learning rate to tune: that is the point
}


def test_convergence_table_covers_registry():
    assert set(CONVERGENCE) == set(O.REGISTRY)


@pytest.mark.parametrize("name", sorted(CONVERGENCE))
def test_converges_on_well_conditioned_quadratic(name):
    hyper, steps = CONVERGENCE[name]
    p = impl_path(name, steps=steps, a=(1.0, 2.0), theta0=(1.0, -1.5), **hyper)[-1]
    if name == "lion":
        # sign steps cannot settle closer than one step size
        assert np.all(np.abs(p) <= 2 * hyper["lr"])
    else:
        loss = 0.5 * (p[0] ** 2 + 2 * p[1] ** 2)
        assert loss < 1e-8, loss


# An ill-conditioned bowl, f(θ) = ½(θ1² + 50 θ2²): the steep θ2 limits GD to η < 2/50.
BOWL = (1.0, 50.0)
BOWL_START = (1.0, 0.1)  # far along the flat valley floor, a little up the steep wall
BOWL_STEPS = 100


def bowl_loss(name, **hyper):
    p = impl_path(name, steps=BOWL_STEPS, a=BOWL, theta0=BOWL_START, **hyper)[-1]
    return 0.5 * (BOWL[0] * p[0] ** 2 + BOWL[1] * p[1] ** 2)


def test_gd_zigzags_near_stability_limit():
    path = impl_path("sgd", steps=BOWL_STEPS, a=BOWL, theta0=BOWL_START, lr=0.038)  # 95% of 2/50
    steep = np.sign(path[:, 1])
    # θ2 is multiplied by 1 - 0.038·50 = -0.9 each step: it flips side every single step
    assert np.all(steep[1:] == -steep[:-1])
    assert abs(path[-1, 1]) < abs(BOWL_START[1])  # still stable, just slow


def test_momentum_and_adam_beat_gd_on_ill_conditioned_bowl():
    gd = bowl_loss("sgd", lr=0.038)
    assert bowl_loss("momentum", lr=0.038) < gd / 5    # default μ = 0.9
    assert bowl_loss("adam", lr=0.1) < gd / 5           # default betas


def test_adam_first_step_is_lr_in_every_coordinate():
    g = np.array([1e-3, -0.5, 1.0, 40.0, -1e3])
    opt = O.make("adam", lr=0.01)
    p = np.zeros(5)
    u, _ = opt.update(g, opt.init(p), p)
    np.testing.assert_allclose(np.abs(u), 0.01, rtol=1e-4)
    assert np.all(np.sign(u) == -np.sign(g))


def test_amsgrad_v_max_never_decreases():
    rng = np.random.default_rng(1)
    opt = O.make("amsgrad", beta2=0.9)
    p = np.zeros(6)
    s = opt.init(p)
    v_fell = False
    for t in range(200):
        g = rng.standard_normal(6) * (3.0 if t % 17 == 0 else 0.3)  # rare large gradients
        u, s2 = opt.update(g, s, p)
        assert np.all(s2.v_max >= s.v_max)
        np.testing.assert_array_equal(s2.v_max, np.maximum(s.v_max, s2.v))
        v_fell |= bool(np.any(s2.v < s.v))
        p, s = p + u, s2
    assert v_fell  # v itself does go down, so the max is doing something


@pytest.mark.parametrize("lr", [1e-4, 0.01, 0.3])
def test_lion_steps_are_plus_minus_lr(lr):
    rng = np.random.default_rng(2)
    opt = O.make("lion", lr=lr)
    p = rng.standard_normal(8)
    s = opt.init(p)
    for _ in range(30):
        g = rng.standard_normal(8)
        u, s = opt.update(g, s, p)
        assert np.all(np.abs(u) == lr)
        p = p + u


# ---------------------------------------------------------------------------
# Purity, state, record
# ---------------------------------------------------------------------------

COMBOS = [(name, {}) for name in O.REGISTRY] + [
    ("sgd", dict(weight_decay=0.1)),
    ("momentum", dict(dampening=0.5)),
    ("momentum", dict(ema=True)),
    ("adagrad", dict(lr_decay=0.1, initial_accumulator_value=0.5)),
    ("rmsprop", dict(centered=True)),
    ("rmsprop", dict(momentum=0.9)),
    ("rmsprop", dict(centered=True, momentum=0.9, weight_decay=0.1)),
    ("adam", dict(weight_decay=0.1)),
    ("adamw", dict(amsgrad=True)),
    ("nadam", dict(weight_decay=0.1)),
    ("lion", dict(weight_decay=0.1)),
    ("adafactor", dict(weight_decay=0.1, maximize=True, d=1.5)),
    ("schedulefree_adamw", dict(warmup_steps=2, weight_decay=0.1, r=0.5, weight_lr_power=1.5)),
    ("ademamix", dict(t_alpha_beta3=3, weight_decay=0.1)),
    ("adan", dict(weight_decay=0.1)),
    ("lamb", dict(weight_decay=0.1)),
    ("prodigy", dict(weight_decay=0.1, d0=1e-3)),
]


def combo_id(combo):
    name, hyper = combo
    return name + "".join(f"-{k}={v}" for k, v in hyper.items())


def run_steps(name, hyper, n=4, seed=3):
    """Yield (grads, old_state, new_state, updates, params) for n steps on random gradients."""
    rng = np.random.default_rng(seed)
    opt = O.make(name, **hyper)
    p = rng.standard_normal(7)
    s = opt.init(p)
    for _ in range(n):
        g = rng.standard_normal(7)
        u, s2 = opt.update(g, s, p)
        yield g, s, s2, u, p
        p, s = p + u, s2


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_state_is_namedtuple_and_update_is_pure(combo):
    name, hyper = combo
    opt = O.make(name, **hyper)
    rng = np.random.default_rng(4)
    p = rng.standard_normal(7)
    p_copy = p.copy()
    s = opt.init(p)
    np.testing.assert_array_equal(p, p_copy)
    assert isinstance(s, tuple) and hasattr(s, "_fields") and s.step == 0
    for t in range(1, 4):
        g = rng.standard_normal(7)
        g_copy, s_copy = g.copy(), copy.deepcopy(s)
        u, s2 = opt.update(g, s, p)
        for before, after in ((g_copy, g), (p_copy, p)):
            np.testing.assert_array_equal(before, after)
        for field, before, after in zip(s._fields, s_copy, s):
            np.testing.assert_array_equal(before, after, err_msg=field)
        # same inputs, same bits: no hidden state in the closure
        u_again, s2_again = opt.update(g, s, p)
        np.testing.assert_array_equal(u, u_again)
        for field, x, y in zip(s2._fields, s2, s2_again):
            np.testing.assert_array_equal(x, y, err_msg=field)
        assert type(s2) is type(s) and s2.step == t
        assert u.shape == p.shape and u.dtype == np.float64
        for field, x in zip(s2._fields, s2):
            if isinstance(x, np.ndarray) and field not in NOT_THETA_SHAPED:
                assert x.shape == p.shape and x.dtype == np.float64, field
                assert not np.shares_memory(x, g), field  # the caller may reuse its gradient buffer
        p = p + u
        p_copy = p.copy()
        s = s2


# State arrays that are not shaped like θ: a layer table, Adafactor's row and column means
NOT_THETA_SHAPED = {"blocks", "row", "col"}


EXPECTED_KEYS = {
    "sgd": set(), "momentum": {"momentum_buffer"}, "nesterov": {"momentum_buffer"},
    "adagrad": {"sum_sq"}, "rmsprop": {"square_avg"}, "adadelta": {"square_avg", "acc_delta", "delta"},
    "adam": {"m", "v", "m_hat", "v_hat"}, "adamw": {"m", "v", "m_hat", "v_hat"}, "adamax": {"m", "u"},
    "amsgrad": {"m", "v", "m_hat", "v_hat", "v_max"}, "nadam": {"m", "v", "m_hat", "v_hat"},
    "lion": {"m", "c"},
    "adafactor": {"v"}, "schedulefree_adamw": {"y", "z", "x", "v", "g_hat"},
    "ademamix": {"m1", "m2", "nu", "m1_hat", "nu_hat"}, "adan": {"m", "v", "n", "diff"},
    "lamb": {"m", "v", "r", "trust_ratio"}, "prodigy": {"m", "v", "s", "d"},
}


def expected_keys(name, hyper):
    keys = {"grad", "update"} | EXPECTED_KEYS[name]
    if name == "rmsprop" and hyper.get("centered"):
        keys.add("grad_avg")
    if name == "rmsprop" and hyper.get("momentum"):
        keys.add("momentum_buffer")
    if name in ("adam", "adamw") and hyper.get("amsgrad"):
        keys.add("v_max")
    return keys


def recorded(name, g, s, s2, u, p, hyper):
    """``O.record`` of one step, checked to be the step itself (same updates and state, bit for bit)."""
    u2, s3, rec = O.record(name, g, s, p, hyper)
    assert u2.tobytes() == u.tobytes()
    assert all(np.asarray(a).tobytes() == np.asarray(b).tobytes() for a, b in zip(s2, s3))
    return rec


def test_expected_keys_cover_registry():
    assert set(EXPECTED_KEYS) == set(O.REGISTRY)


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_record_keys_and_shapes(combo):
    name, hyper = combo
    for g, s, s2, u, p in run_steps(name, hyper):
        rec = recorded(name, g, s, s2, u, p, hyper)
        assert set(rec) == expected_keys(name, hyper)
        for key, val in rec.items():
            assert isinstance(val, np.ndarray) and val.shape == p.shape, key
            assert np.all(np.isfinite(val)), key
        np.testing.assert_array_equal(rec["grad"], g)
        np.testing.assert_array_equal(rec["update"], u)


@pytest.mark.parametrize("name", ["adam", "amsgrad", "nadam"])
def test_recorded_moments_reproduce_the_step(name):
    h = O.REGISTRY[name].defaults
    for g, s, s2, u, p in run_steps(name, {}):
        rec = recorded(name, g, s, s2, u, p, {})
        np.testing.assert_allclose(u, -h["lr"] * rec["m_hat"] / (np.sqrt(rec["v_hat"]) + h["eps"]), rtol=1e-12)
        if name != "nadam":
            np.testing.assert_allclose(rec["m_hat"], s2.m / (1 - h["beta1"] ** s2.step), rtol=1e-12)


def test_recorded_lion_c_gives_the_step():
    for g, s, s2, u, p in run_steps("lion", {}):
        rec = recorded("lion", g, s, s2, u, p, {})
        np.testing.assert_array_equal(u, -1e-4 * np.sign(rec["c"]))


def test_recorded_adadelta_delta_is_the_step():
    for g, s, s2, u, p in run_steps("adadelta", dict(lr=0.5)):
        rec = recorded("adadelta", g, s, s2, u, p, dict(lr=0.5))
        assert (-0.5 * rec["delta"]).tobytes() == u.tobytes()  # the code's own Δθ_t, not -update / lr


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

NAMES = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta",
         "adam", "adamw", "amsgrad", "nadam", "adamax", "lion",
         "adafactor", "schedulefree_adamw", "ademamix", "adan", "lamb", "prodigy"]


def test_registry_names():
    assert list(O.REGISTRY) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_registry_entry_is_complete(name):
    info = O.REGISTRY[name]
    assert isinstance(info, O.OptimizerInfo) and info.name == name
    assert set(info.ranges) == set(info.defaults)
    for key, default in info.defaults.items():
        lo, hi, kind = info.ranges[key]
        assert kind in {"float", "log", "int", "bool"}, key
        if kind == "bool":
            assert isinstance(default, bool), key
        else:
            assert lo <= default <= hi, key
            assert kind != "log" or lo > 0, key
    for text in (info.title, info.paper, info.summary, info.equations):
        assert isinstance(text, str) and text.strip()
    assert len(info.summary) > 150
    assert info.equations.count("\n") >= 1
    assert "lr" in info.defaults and info.ranges["lr"][2] == "log"


@pytest.mark.parametrize("name", NAMES)
def test_registry_is_read_from_the_module(name):
    """One source: defaults are update's signature, the equations its docstring's block."""
    info = O.REGISTRY[name]
    params = inspect.signature(info.module.update).parameters
    assert list(params)[:3] == ["grads", "state", "params"]
    assert info.defaults == {k: p.default for k, p in params.items() if k not in ("grads", "state", "params")}
    doc = info.module.update.__doc__
    for line in info.equations.splitlines()[:-1]:
        assert line.strip() in doc
    assert info.equations.splitlines()[-1].startswith("where ")
    assert info.title == info.module.TITLE and info.summary in " ".join(info.module.__doc__.split())
    assert all(ref.split("(")[0] in " ".join(doc.split()) for ref in info.paper.splitlines())


def test_bound_update_uses_the_given_hyper_parameters():
    opt = O.make("adam", lr=0.5, beta1=0.0)
    assert opt.update.__defaults__[:2] == (0.5, 0.0)
    assert O.REGISTRY["adam"].module.update.__defaults__[:2] == (1e-3, 0.9)  # the module is untouched


def test_pytorch_defaults():
    d = {n: O.REGISTRY[n].defaults for n in NAMES}
    assert d["sgd"] == dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, ema=False)
    assert d["adagrad"] == dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10)
    assert d["rmsprop"] == dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False)
    assert d["adadelta"] == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0)
    assert d["adam"] == dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False)
    assert d["adamw"] == {**d["adam"], "weight_decay": 1e-2}
    assert d["amsgrad"] == {**d["adam"], "amsgrad": True}
    assert d["nadam"] == dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, momentum_decay=4e-3)
    assert d["lion"] == dict(lr=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0)
    assert d["adamax"] == dict(lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0)
    assert d["momentum"]["momentum"] == 0.9 and d["nesterov"]["momentum"] == 0.9 and d["nesterov"]["nesterov"]
    # torch.optim.Adafactor: eps=(None, 1e-3), None being float64's machine epsilon
    assert d["adafactor"] == dict(lr=1e-2, beta2_decay=-0.8, eps1=float(np.finfo(np.float64).eps), eps2=1e-3, d=1.0,
                                  weight_decay=0.0, maximize=False)
    assert d["schedulefree_adamw"] == dict(lr=0.0025, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                                           warmup_steps=0, r=0.0, weight_lr_power=2.0)
    # pytorch_optimizer's defaults (t_alpha_beta3 = 0 stands for its None)
    assert d["ademamix"] == dict(lr=1e-3, beta1=0.9, beta2=0.999, beta3=0.9999, alpha=5.0, t_alpha_beta3=0,
                                 eps=1e-8, weight_decay=0.0)
    assert d["adan"] == dict(lr=1e-3, beta1=0.98, beta2=0.92, beta3=0.99, eps=1e-8, weight_decay=0.0)
    assert d["lamb"] == dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0)
    assert d["prodigy"] == dict(lr=1.0, beta1=0.9, beta2=0.999, d0=1e-6, d_coef=1.0, weight_decay=0.0, eps=1e-8)


def test_make_errors():
    with pytest.raises(KeyError):
        O.make("adamaxx")
    with pytest.raises(ValueError, match="betas"):
        O.make("adam", betas=(0.9, 0.99))
    with pytest.raises(ValueError):
        O.make("nesterov", dampening=0.5)
    with pytest.raises(ValueError):
        O.make("sgd", ema=True)  # no momentum to average
    with pytest.raises(KeyError):
        O.record("adamaxx", np.zeros(1), None, np.zeros(1), {})


# ---------------------------------------------------------------------------
# Only bit-identical operations (docs/determinism.md): no libm transcendental, no pow
# ---------------------------------------------------------------------------

FORBIDDEN_NP = {"exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "power", "float_power", "tanh",
                "sinh", "cosh", "sin", "cos", "tan", "arctan", "arctan2", "hypot", "dot", "matmul",
                "einsum", "tensordot", "linalg", "cbrt", "logaddexp"}


@pytest.mark.parametrize("path", sorted(OPT_DIR.glob("*.py")), ids=lambda p: p.name)
def test_optimizer_modules_use_only_bit_identical_ops(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        assert not isinstance(node, ast.Pow), f"{path.name}:{node.lineno}: ** calls libm pow; use K.powi"
        assert not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "pow")
        assert not (isinstance(node, ast.MatMult)), f"{path.name}: @ goes through BLAS"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            assert "math" not in mods and "cmath" not in mods, f"{path.name}: math.* calls libm"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "np":
            assert node.attr not in FORBIDDEN_NP, f"{path.name}:{node.lineno}: np.{node.attr}"


# ---------------------------------------------------------------------------
# Every optimizer but those marked ELEMENTWISE = False is elementwise: stepped one
# Python float at a time it gives the bits of the array step (the 2-D landscape
# relies on it for speed).  The others (a norm or a sum over the whole array) are
# raced on the landscape with (x, y) as one array.
# ---------------------------------------------------------------------------

def elementwise(name):
    return getattr(O.REGISTRY[name].module, "ELEMENTWISE", True)


@pytest.mark.parametrize("name", ["adafactor", "lamb", "prodigy"])
def test_whole_array_optimizers_race_as_one_array(name):
    assert not elementwise(name)
    spec = {"kind": "landscape", "function": "booth", "start": [-3.0, 4.0], "steps": 30,
            "optimizers": [{"name": name}]}
    fast = descentlab.run(spec)["runs"][0]
    recorded = descentlab.run({**spec, "record_state": True})["runs"][0]  # always the array loop
    assert fast["path"] == recorded["path"]
    opt, p = O.make(name), np.array([-3.0, 4.0])
    state = opt.init(p)
    for k in range(1, 4):  # by hand: the whole array stepped at once
        g = np.array(FUNCTIONS["booth"].grad(float(p[0]), float(p[1])), dtype=np.float64)
        u, state = opt.update(g, state, p)
        p = p + u
        assert [float(v) for v in p] == fast["path"][k]


@pytest.mark.parametrize("combo", [c for c in COMBOS if elementwise(c[0])], ids=combo_id)
def test_float_coordinates_step_like_the_array(combo):
    name, hyper = combo
    opt = O.make(name, **hyper)
    rng = np.random.default_rng(11)
    n = 6
    p = rng.standard_normal(n) * np.array([1.0, 1e-3, 1e3, 0.0, -0.0, 5.0])
    state = opt.init(p)
    scalars = [(float(v), opt.init(float(v))) for v in p]
    for t in range(40):
        # zeros and huge/tiny magnitudes exercise eps, sign(0) and max ties
        g = rng.standard_normal(n) * np.array([1.0, 1e-9, 1e6, 0.0, 1.0, -0.0]) if t % 7 else np.zeros(n)
        u, state = opt.update(g, state, p)
        stepped = []
        for i, (pi, si) in enumerate(scalars):
            ui, si = opt.update(float(g[i]), si, pi)
            assert type(ui) is float, f"{name}: the float path fell back to NumPy"
            stepped.append((pi + ui, si))
            assert np.float64(ui).tobytes() == u[i].tobytes(), (name, t, i, ui, u[i])
        p, scalars = p + u, stepped
        for field, arr in zip(state._fields, state):
            if isinstance(arr, np.ndarray):
                got = np.array([getattr(s, field) for _, s in scalars])
                assert got.tobytes() == arr.tobytes(), (name, field, t)
