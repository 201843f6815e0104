"""The R-operator's Hessian-vector product against finite differences of the backprop gradient.

``(∇L(θ + h v) - ∇L(θ - h v)) / 2h = H v + O(h²)``: central differences of the
gradient (``mlp.loss_and_grad``, itself checked against finite differences of the
loss in ``test_nn.py``).  Their error is about ``h² |∇³L|`` (truncation) plus
``eps |∇L| / h`` (rounding); h = 1e-5 balances the two near 1e-9 relative to ``|H v|``,
and the tolerance is set a factor above that.  A wrong term anywhere (a missing
σ'' or the loss's curvature) is off by far more, which the mutation tests below show.
"""

import numpy as np
import pytest

from descentlab.nn import hvp as HV
from descentlab.nn import mlp
from descentlab.nn.init import init_params
from descentlab.nn.layout import make_layout

H = 1e-5  # finite-difference step along v
TOL = 1e-6  # max |Hv - fd| / max |fd|: FD error is about 1e-9 at this step (see the docstring)

CASES = [  # (hidden, activation, loss, l2, n_classes)
    ([5], "tanh", "cross_entropy", 0.0, 3),
    ([4, 3], "sigmoid", "binary_cross_entropy", 0.01, 2),
    ([6], "gelu", "mse", 0.0, 3),
    ([4, 4], "gelu", "cross_entropy", 0.05, 4),
    ([5, 3], "relu", "cross_entropy", 0.0, 3),
    ([4], "leaky_relu", "mse", 0.1, 2),
    ([3, 3, 3], "tanh", "binary_cross_entropy", 0.0, 2),
    ([], "tanh", "cross_entropy", 0.02, 3),  # no hidden layer: softmax regression
]


def _problem(hidden, activation, loss, n_classes, seed=0, n=7, d=3):
    rng = np.random.default_rng(seed)
    n_out = 1 if loss == "binary_cross_entropy" else n_classes
    layout = make_layout(d, hidden, n_out)
    theta = init_params(layout, activation, rng) + 0.1 * rng.standard_normal(layout.size)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, n_classes, n)
    return layout, theta, X, y


def _fd(layout, theta, X, y, activation, loss, l2, v):
    def grad(t):
        return mlp.loss_and_grad(t, layout, X, y, activation, loss, l2)[1]
    return (grad(theta + H * v) - grad(theta - H * v)) / (2 * H)


def _err(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


@pytest.mark.parametrize("hidden,activation,loss,l2,n_classes", CASES)
def test_hvp_matches_finite_differences_of_the_gradient(hidden, activation, loss, l2, n_classes):
    layout, theta, X, y = _problem(hidden, activation, loss, n_classes)
    rng = np.random.default_rng(1)
    for _ in range(3):
        v = rng.standard_normal(layout.size)
        hv = HV.hvp(theta, layout, X, y, activation, loss, l2, v)
        fd = _fd(layout, theta, X, y, activation, loss, l2, v)
        assert hv.shape == (layout.size,)
        assert _err(hv, fd) < TOL


@pytest.mark.parametrize("hidden,activation,loss,l2,n_classes", CASES)
def test_hvp_is_symmetric(hidden, activation, loss, l2, n_classes):
    """u·(H v) == v·(H u): the Hessian is symmetric (up to rounding)."""
    layout, theta, X, y = _problem(hidden, activation, loss, n_classes, seed=2)
    rng = np.random.default_rng(3)
    u, v = rng.standard_normal(layout.size), rng.standard_normal(layout.size)
    uhv = float(np.sum(u * HV.hvp(theta, layout, X, y, activation, loss, l2, v)))
    vhu = float(np.sum(v * HV.hvp(theta, layout, X, y, activation, loss, l2, u)))
    assert abs(uhv - vhu) <= 1e-10 * max(abs(uhv), 1.0)


def test_hvp_is_linear_in_v_and_full_hessian_matches_fd():
    """Columns H e_i assemble the whole Hessian, which equals the finite-difference one."""
    layout, theta, X, y = _problem([3], "tanh", "cross_entropy", 3)
    n = layout.size
    Hm = np.stack([HV.hvp(theta, layout, X, y, "tanh", "cross_entropy", 0.0, e) for e in np.eye(n)], axis=1)
    Hfd = np.stack([_fd(layout, theta, X, y, "tanh", "cross_entropy", 0.0, e) for e in np.eye(n)], axis=1)
    assert _err(Hm, Hfd) < TOL
    assert np.allclose(Hm, Hm.T, rtol=0, atol=1e-12)


def test_l2_adds_l2_times_v_on_weights_only():
    layout, theta, X, y = _problem([4], "tanh", "mse", 2)
    v = np.random.default_rng(5).standard_normal(layout.size)
    diff = HV.hvp(theta, layout, X, y, "tanh", "mse", 0.3, v) - HV.hvp(theta, layout, X, y, "tanh", "mse", 0.0, v)
    expect = np.zeros(layout.size)
    for s in layout.layers:
        w = slice(s.w_offset, s.w_offset + s.w_shape[0] * s.w_shape[1])
        expect[w] = 0.3 * v[w]
    assert np.allclose(diff, expect, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "gelu"])
def test_second_derivatives_match_fd_of_the_first(name):
    from descentlab.nn.activations import ACTIVATIONS
    act = ACTIVATIONS[name]
    z = np.linspace(-3, 3, 41)
    fd = (act.derivative(z + H) - act.derivative(z - H)) / (2 * H)
    assert np.allclose(HV.SECOND_DERIVATIVES[name](z, act.forward(z)), fd, rtol=0, atol=1e-8)


@pytest.mark.parametrize("mutation", ["no_second", "no_loss_curvature"])
def test_the_check_catches_a_missing_term(monkeypatch, mutation):
    """The tolerance is tight enough: dropping σ'' or the loss's curvature fails it."""
    layout, theta, X, y = _problem([4, 3], "tanh", "cross_entropy", 3)
    if mutation == "no_second":
        monkeypatch.setitem(HV.SECOND_DERIVATIVES, "tanh", HV._zero_second)
    else:
        monkeypatch.setattr(HV, "_loss_curvature", lambda loss, z, y, rz: np.zeros_like(rz))
    v = np.random.default_rng(1).standard_normal(layout.size)
    hv = HV.hvp(theta, layout, X, y, "tanh", "cross_entropy", 0.0, v)
    assert _err(hv, _fd(layout, theta, X, y, "tanh", "cross_entropy", 0.0, v)) > 100 * TOL


def test_hvp_is_deterministic_bits():
    layout, theta, X, y = _problem([5], "gelu", "cross_entropy", 3)
    v = np.random.default_rng(9).standard_normal(layout.size)
    a = HV.hvp(theta, layout, X, y, "gelu", "cross_entropy", 0.01, v)
    b = HV.hvp(theta.copy(), layout, X.copy(), y, "gelu", "cross_entropy", 0.01, v.copy())
    assert a.tobytes() == b.tobytes()


def test_bad_inputs_are_refused():
    layout, theta, X, y = _problem([3], "tanh", "cross_entropy", 3)
    with pytest.raises(ValueError, match="v must have shape"):
        HV.hvp(theta, layout, X, y, "tanh", "cross_entropy", 0.0, np.zeros(2))
    with pytest.raises(ValueError, match="unknown activation"):
        HV.hvp(theta, layout, X, y, "swish", "cross_entropy", 0.0, theta)
    with pytest.raises(ValueError, match="l2"):
        HV.hvp(theta, layout, X, y, "tanh", "cross_entropy", -1.0, theta)
