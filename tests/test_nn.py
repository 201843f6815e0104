"""The MLP from scratch: gradients of every piece, layout, init, prediction."""

import decimal
import math
from decimal import Decimal

import numpy as np
import pytest

from descentlab import datasets as D
from descentlab.nn import activations as A
from descentlab.nn import init as I
from descentlab.nn import layers as Ly
from descentlab.nn import losses as Lo
from descentlab.nn import mlp
from descentlab.nn.layout import make_layout, unpack

GRAD_TOL = 1e-6  # relative error allowed between backprop and finite differences
EPS = np.finfo(np.float64).eps
UNIT_ROUNDOFF = EPS / 2
FLOOR = 1e-6  # components below FLOOR * max|gradient| are compared absolutely


def fd5(f, x, h):
    """Fourth-order centred differences of scalar f at every entry of array x."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        def at(d):
            xp = x.copy()
            xp[i] += d
            return f(xp)
        g[i] = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)
    return g


def rel_error(g, fd, floor=None):
    """max |g - fd| / max(|fd|, floor): relative, but absolute below ``floor``.

    The default floor is FLOOR * max|fd|: tiny components of a gradient vector are
    judged against the vector's scale, since rounding in the finite difference
    is about eps * |f| / h whatever the component.
    """
    if floor is None:
        floor = FLOOR * max(float(np.abs(fd).max()), 1e-300)
    return float((np.abs(g - fd) / np.maximum(np.abs(fd), floor)).max())


def test_rel_error_detects_a_small_mistake():
    fd = np.array([1.0, -2.0, 3e-3])
    assert rel_error(fd * (1 + 1e-7), fd) <= GRAD_TOL
    assert rel_error(fd * (1 + 1e-5), fd) > GRAD_TOL
    assert rel_error(fd + np.array([0, 0, 1e-7]), fd) > GRAD_TOL


# --- activations -----------------------------------------------------------------


@pytest.mark.parametrize("name", list(A.ACTIVATIONS))
def test_activation_derivative(name):
    act = A.ACTIVATIONS[name]
    z = np.linspace(-8.0, 8.0, 1601)
    z = z[np.abs(z) > 1e-2]  # relu and leaky relu have a kink at 0
    h = 1e-3
    fd = (-act.forward(z + 2 * h) + 8 * act.forward(z + h)
          - 8 * act.forward(z - h) + act.forward(z - 2 * h)) / (12 * h)
    # elementwise: the rounding floor of each difference scales with |σ(z)| there
    floor = 1e-4 * (1.0 + np.abs(act.forward(z)))
    assert rel_error(act.derivative(z), fd, floor) <= GRAD_TOL
    assert rel_error(act.derivative(z) * (1 + 1e-5), fd, floor) > GRAD_TOL
    # passing the cached output gives the same derivative
    np.testing.assert_array_equal(act.derivative(z, act.forward(z)), act.derivative(z))


def test_activation_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(A.relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(A.leaky_relu(z), [-0.02, 0.0, 3.0])
    assert A.sigmoid(0.0) == 0.5 and A.tanh(0.0) == 0.0 and A.gelu(0.0) == 0.0
    # correctly rounded values (50-digit decimal arithmetic), not libm's: the kernels are within 1 ulp
    np.testing.assert_allclose(A.tanh(z), [-0.9640275800758169, 0.0, 0.9950547536867305], rtol=2 * EPS)
    np.testing.assert_allclose(A.sigmoid(z), [0.11920292202211756, 0.5, 0.9525741268224333], rtol=2 * EPS)


def _exact_gelu(z):
    """½ z (1 + tanh(s (z + c z³))) in 50-digit decimal arithmetic, for the float64 z, s and c."""
    ctx = decimal.Context(prec=50)
    s, c, d = Decimal(A.GELU_SCALE), Decimal(A.GELU_CUBIC), Decimal(float(z))
    e = ctx.subtract(ctx.multiply(2, ctx.multiply(s, d + c * d * d * d)).exp(ctx), 1)  # expm1(2u)
    return float(ctx.multiply(d / 2, 1 + e / (e + 2)))


def test_gelu_is_the_tanh_approximation():
    z = np.linspace(-6, 6, 241)
    assert A.GELU_SCALE == float(np.sqrt(2 / np.pi)) and A.GELU_CUBIC == 0.044715  # PyTorch's constants
    # Against the formula evaluated exactly: near z = -6, 1 + tanh cancels to ~1e-11, so the
    # absolute error there is |z|/2 times tanh's (1 ulp of 1, 1.1e-16), below atol.
    exact = np.array([_exact_gelu(v) for v in z])
    np.testing.assert_allclose(A.gelu(z), exact, rtol=1e-14, atol=1e-15)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in z])
    assert np.abs(A.gelu(z) - exact).max() < 1e-3  # close to, not equal to, z * Phi(z)
    assert np.abs(A.gelu(z) - exact).max() > 1e-5


# --- losses ----------------------------------------------------------------------

LOSS_CASES = [("cross_entropy", 4), ("binary_cross_entropy", 2), ("mse", 3)]


@pytest.mark.parametrize("name, classes", LOSS_CASES)
def test_loss_gradient(name, classes):
    rng = np.random.default_rng(1)
    n = 7
    logits = 3.0 * rng.standard_normal((n, Lo.n_outputs(name, classes)))
    y = np.arange(n) % classes
    fn = Lo.LOSSES[name].fn
    loss, grad = fn(logits, y)
    assert isinstance(loss, float) and grad.shape == logits.shape
    fd = fd5(lambda z: fn(z, y)[0], logits, 1e-4)
    assert rel_error(grad, fd) <= GRAD_TOL


def test_mse_with_scalar_targets():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((5, 1))
    t = rng.standard_normal(5)
    loss, grad = Lo.mse(z, t)
    assert loss == pytest.approx(np.mean((z[:, 0] - t) ** 2))
    assert rel_error(grad, fd5(lambda v: Lo.mse(v, t)[0], z, 1e-4)) <= GRAD_TOL


def test_loss_known_values():
    n, c = 5, 4
    y = np.arange(n) % c
    assert Lo.cross_entropy(np.zeros((n, c)), y)[0] == pytest.approx(math.log(c), rel=1e-15)
    assert Lo.binary_cross_entropy(np.zeros((n, 1)), y % 2)[0] == pytest.approx(math.log(2))
    z = np.eye(c)[y]
    assert Lo.mse(z, y)[0] == 0.0 and Lo.mse(z + 0.5, y)[0] == 0.25


def test_losses_are_stable_for_huge_logits():
    y = np.array([0, 1])
    loss, grad = Lo.cross_entropy(np.array([[1000.0, -1000.0], [1000.0, -1000.0]]), y)
    assert loss == pytest.approx(1000.0) and np.isfinite(grad).all()
    loss, grad = Lo.binary_cross_entropy(np.array([[800.0], [800.0]]), y)
    assert loss == pytest.approx(400.0) and np.isfinite(grad).all()


def test_cross_entropy_gradient_rows_sum_to_zero():
    rng = np.random.default_rng(3)
    _, grad = Lo.cross_entropy(rng.standard_normal((6, 5)), np.arange(6) % 5)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-16)


def test_output_size_rule():
    assert Lo.n_outputs("cross_entropy", 10) == 10
    assert Lo.n_outputs("binary_cross_entropy", 2) == 1
    assert Lo.n_outputs("mse", 3) == 3
    with pytest.raises(ValueError, match="exactly 2 classes"):
        Lo.n_outputs("binary_cross_entropy", 3)
    with pytest.raises(ValueError, match="targets"):
        Lo.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))


# --- dense layer -----------------------------------------------------------------


def test_dense_layer_gradients():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 4))
    W = rng.standard_normal((4, 3))
    b = rng.standard_normal(3)
    R = rng.standard_normal((6, 3))  # L = sum(z * R), so dL/dz = R

    def L(x_, W_, b_):
        return float((Ly.dense_forward(x_, W_, b_) * R).sum())

    # BLAS sums in another order (and may fuse): both are within γ_(k+1) (|x||W| + |b|) of the
    # exact value (Higham, Accuracy and Stability of Numerical Algorithms, §3.1)
    gamma = 5 * UNIT_ROUNDOFF / (1 - 5 * UNIT_ROUNDOFF)  # k = 4 products, plus the bias
    np.testing.assert_array_less(np.abs(Ly.dense_forward(x, W, b) - (x @ W + b)),
                                 2 * gamma * (np.abs(x) @ np.abs(W) + np.abs(b)))
    dx, dW, db = Ly.dense_backward(x, W, R)
    assert rel_error(dW, fd5(lambda v: L(x, v, b), W, 1e-4)) <= GRAD_TOL
    assert rel_error(db, fd5(lambda v: L(x, W, v), b, 1e-4)) <= GRAD_TOL
    assert rel_error(dx, fd5(lambda v: L(v, W, b), x, 1e-4)) <= GRAD_TOL
    assert Ly.dense_backward(x, W, R, input_grad=False)[0] is None


# --- layout ----------------------------------------------------------------------


def test_layout_offsets_and_views():
    layout = make_layout(3, [5, 4], 2)
    assert layout.sizes == (3, 5, 4, 2)
    assert layout.size == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2
    assert [s.w_shape for s in layout.layers] == [(3, 5), (5, 4), (4, 2)]
    assert layout.layers[1].w_offset == 20 and layout.layers[1].b_offset == 40
    theta = np.arange(layout.size, dtype=np.float64)
    (W0, b0), (W1, b1), (W2, b2) = unpack(theta, layout)
    assert W0[0, 1] == 1.0 and W0[1, 0] == 5.0 and b0[0] == 15.0 and b2[-1] == layout.size - 1
    W1[0, 0] = -1.0  # a view: writes reach theta
    assert theta[20] == -1.0
    with pytest.raises(ValueError):
        unpack(np.zeros(layout.size + 1), layout)
    assert make_layout(2, [], 3).size == 9  # no hidden layer: a linear model


# --- init ------------------------------------------------------------------------


def test_init_is_seeded():
    layout = make_layout(4, [8, 8], 3)
    a = I.init_params(layout, "tanh", np.random.default_rng(7))
    assert a.tobytes() == I.init_params(layout, "tanh", 7).tobytes()
    assert a.tobytes() != I.init_params(layout, "tanh", 8).tobytes()
    for _, b in unpack(a, layout):
        assert not b.any()  # biases start at zero


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
@pytest.mark.parametrize("activation, rule", [("tanh", "xavier"), ("sigmoid", "xavier"),
                                              ("relu", "he"), ("leaky_relu", "he"),
                                              ("gelu", "he")])
def test_init_variance(activation, rule, distribution):
    fan_in, fan_out = 400, 300
    layout = make_layout(fan_in, [], fan_out)
    W = unpack(I.init_params(layout, activation, 0, distribution), layout)[0][0]
    target = 2.0 / fan_in if rule == "he" else 2.0 / (fan_in + fan_out)
    assert W.var() == pytest.approx(target, rel=0.02)  # 120 000 samples: ~0.4 % std error
    assert abs(W.mean()) < 0.01 * math.sqrt(target)
    if distribution == "uniform":
        assert np.abs(W).max() <= math.sqrt(3 * target)


# --- the whole network -----------------------------------------------------------

MLP_CASES = [
    # (hidden, activation, loss, classes, l2)
    ([5], "tanh", "cross_entropy", 3, 0.0),
    ([4, 3], "sigmoid", "cross_entropy", 4, 0.1),
    ([6], "relu", "binary_cross_entropy", 2, 0.01),
    ([3, 4], "leaky_relu", "mse", 3, 0.05),
    ([5, 3], "gelu", "cross_entropy", 2, 0.2),
    ([], "tanh", "binary_cross_entropy", 2, 0.3),
    ([4], "gelu", "mse", 2, 0.0),
]


@pytest.mark.parametrize("hidden, activation, loss, classes, l2", MLP_CASES)
def test_mlp_gradient(hidden, activation, loss, classes, l2):
    rng = np.random.default_rng(5)
    n_in, n = 3, 12
    X = rng.standard_normal((n, n_in))
    y = rng.permutation(np.arange(n) % classes)
    layout = make_layout(n_in, hidden, Lo.n_outputs(loss, classes))
    theta = I.init_params(layout, activation, rng) + 0.1 * rng.standard_normal(layout.size)
    value, grad = mlp.loss_and_grad(theta, layout, X, y, activation, loss, l2)
    assert grad.shape == (layout.size,)
    # ReLU kinks: a small step keeps every pre-activation on its side of zero
    h = 1e-5 if activation in ("relu", "leaky_relu") else 1e-4
    fd = fd5(lambda t: mlp.loss_and_grad(t, layout, X, y, activation, loss, l2)[0], theta, h)
    assert rel_error(grad, fd) <= GRAD_TOL


def test_l2_penalty_covers_weights_only():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((8, 2))
    y = np.arange(8) % 2
    layout = make_layout(2, [3], 2)
    theta = rng.standard_normal(layout.size)
    l0, g0 = mlp.loss_and_grad(theta, layout, X, y, "tanh", "cross_entropy")
    l1, g1 = mlp.loss_and_grad(theta, layout, X, y, "tanh", "cross_entropy", l2=0.5)
    weights = sum(float((W * W).sum()) for W, _ in unpack(theta, layout))
    assert l1 == pytest.approx(l0 + 0.25 * weights, rel=1e-14)
    for (W, _), (d, db) in zip(unpack(theta, layout), unpack(g1 - g0, layout)):
        np.testing.assert_allclose(d, 0.5 * W, rtol=1e-12)
        assert not db.any()


def test_forward_matches_plain_numpy():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((10, 3))
    layout = make_layout(3, [4, 5], 2)
    theta = rng.standard_normal(layout.size)
    (W0, b0), (W1, b1), (W2, b2) = unpack(theta, layout)
    expected = np.tanh(np.tanh(X @ W0 + b0) @ W1 + b1) @ W2 + b2
    logits, cache = mlp.forward(theta, layout, X, "tanh")
    np.testing.assert_allclose(logits, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mlp.hidden_activations(theta, layout, X, "tanh", 1),
                               np.tanh(np.tanh(X @ W0 + b0) @ W1 + b1), rtol=1e-12)
    assert mlp.hidden_activations(theta, layout, X, "tanh", -1).shape == (10, 5)
    assert mlp.hidden_activations(theta, layout, X, "tanh", 0).shape == (10, 4)
    with pytest.raises(ValueError):
        mlp.hidden_activations(theta, layout, X, "tanh", 2)
    with pytest.raises(ValueError, match="shape"):
        mlp.forward(theta, layout, X[:, :2], "tanh")


@pytest.mark.parametrize("loss, classes", LOSS_CASES)
def test_predict_shapes_and_probabilities(loss, classes):
    rng = np.random.default_rng(9)
    X = rng.standard_normal((20, 2))
    layout = make_layout(2, [6], Lo.n_outputs(loss, classes))
    theta = I.init_params(layout, "relu", 0)
    p = mlp.predict(theta, layout, X, "relu", loss)
    assert p.shape == (20, classes)
    assert (p >= 0).all() and (p <= 1).all()
    if loss != "mse":
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
        # the predicted class is the most probable one
        np.testing.assert_array_equal(mlp.predict_class(theta, layout, X, "relu"), p.argmax(axis=1))


@pytest.mark.parametrize("name, activation, loss", [("linear", "tanh", "binary_cross_entropy"),
                                                    ("blobs", "relu", "cross_entropy")])
def test_gradient_descent_learns(name, activation, loss):
    X, y = D.make(name, n=200, seed=0)
    classes = int(y.max()) + 1
    layout = make_layout(2, [8], Lo.n_outputs(loss, classes))
    theta = I.init_params(layout, activation, 0)
    before = mlp.accuracy(theta, layout, X, y, activation)
    first, _ = mlp.loss_and_grad(theta, layout, X, y, activation, loss)
    for _ in range(300):
        value, grad = mlp.loss_and_grad(theta, layout, X, y, activation, loss)
        theta = theta - 0.5 * grad
    assert value < 0.5 * first
    assert mlp.accuracy(theta, layout, X, y, activation) >= max(0.95, before)


@pytest.mark.parametrize("loss, classes", LOSS_CASES)
def test_decision_grid(loss, classes):
    layout = make_layout(2, [5], Lo.n_outputs(loss, classes))
    theta = I.init_params(layout, "tanh", 3) + 0.3
    domain = ((-2.0, 1.0), (0.0, 3.0))
    G = mlp.decision_grid(theta, layout, "tanh", loss, domain, 4, 6)
    assert G.shape == (4, 6)
    xs, ys = np.linspace(-2, 1, 6), np.linspace(0, 3, 4)
    i, j = 3, 1
    point = np.array([[xs[j], ys[i]]])
    if classes == 2:
        assert G.dtype == np.float64
        assert G[i, j] == mlp.predict(theta, layout, point, "tanh", loss)[0, 1]
    else:
        assert G.dtype == np.int64
        assert G[i, j] == mlp.predict_class(theta, layout, point, "tanh")[0]
