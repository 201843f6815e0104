"""t-SNE's gradient descent, as scikit-learn 1.5's ``_gradient_descent``: momentum, gains, two stages."""

from __future__ import annotations

import math

import numpy as np

from .. import budget
from ..pca import pca_steps

# --- defaults and constants of the method (scikit-learn 1.5 TSNE) -------------------
PERPLEXITY = 30.0
DEFAULT_MAX_ITER = 1000
EARLY_EXAGGERATION = 12.0
EARLY_EXAGGERATION_ITER = 250  # sklearn's _EXPLORATION_MAX_ITER
MOMENTUM_EARLY = 0.5  # during early exaggeration
MOMENTUM_LATE = 0.8
GAIN_INCREASE = 0.2  # delta-bar-delta: added while update and gradient disagree in sign
GAIN_DECAY = 0.8  # ... multiplied when they agree
MIN_GAIN = 0.01
LEARNING_RATE_MIN = 50.0  # "auto": max(n / early_exaggeration / 4, 50)
CHECK_EVERY = 50  # sklearn's _N_ITER_CHECK: KL, convergence checks and progress
N_ITER_WITHOUT_PROGRESS = 300  # stop when KL has not improved for this many iterations
MIN_GRAD_NORM = 1e-7  # ... or when the gradient norm falls below this
INIT_STD = 1e-4  # std of the first coordinate of the initial embedding


# --- optimisation -------------------------------------------------------------------------


def learning_rate_auto(n, early_exaggeration):
    """sklearn's ``learning_rate="auto"``: ``max(n / early_exaggeration / 4, 50)``."""
    return max(n / early_exaggeration / 4.0, LEARNING_RATE_MIN)


def initial_embedding(X, init, seed):
    """The starting points: scaled PCA projection, or small Gaussian noise.

    Parameters
    ----------
    X : ndarray of float64, shape (n, d)
    init : {"pca", "random"}
    seed : int

    Returns
    -------
    ndarray of float64, shape (n, 2), first column with standard deviation 1e-4
    (pca) or i.i.d. N(0, 1e-8) entries (random)
    """
    return budget.drain(initial_embedding_steps(X, init, seed))


def initial_embedding_steps(X, init, seed):
    """:func:`initial_embedding` as a generator of PCA's progress items."""
    if init == "random":
        return INIT_STD * np.random.default_rng(seed).standard_normal((X.shape[0], 2))
    Y = (yield from pca_steps(X, 2, seed=seed))["projected"]
    spread = np.std(Y[:, 0])
    if not spread > 0.0:  # identical points: no direction to start along
        return INIT_STD * np.random.default_rng(seed).standard_normal((X.shape[0], 2))
    return Y / spread * INIT_STD


def descend(objective, Y, *, max_iter, learning_rate, early_exaggeration, early_exaggeration_iter, beat_every=0):
    """Gradient descent with momentum and gains, in two stages (sklearn 1.5).

    A generator: after every ``CHECK_EVERY`` iterations (and at each stage end)
    it yields ``{"done", "stage", "Y", "kl"}``, the KL divergence being that of
    the yielded embedding; its last item also has ``"finished": True``.  At each
    multiple of ``CHECK_EVERY`` it applies sklearn's stopping rules: no KL
    improvement for ``N_ITER_WITHOUT_PROGRESS`` iterations, or a gradient norm
    below ``MIN_GRAD_NORM``.  (sklearn evaluates the KL one update earlier, at
    the point where it takes the gradient.)

    The KL divergence comes with the forces of the next iteration's gradient,
    from the same pass (``objective.forces(Y, with_kl=True)``).  Each stage
    starts with zero velocity and unit gains, as each call of sklearn's
    ``_gradient_descent`` does.

    With ``beat_every > 0`` it also yields ``{"done", "stage", "heartbeat": True}``
    every ``beat_every`` iterations in between, so a caller can report progress
    and stop between two of them; the arithmetic is the same either way.
    """
    Y = np.array(Y, dtype=np.float64)
    stages = [("early_exaggeration", early_exaggeration, MOMENTUM_EARLY, early_exaggeration_iter,
               early_exaggeration_iter), ("main", 1.0, MOMENTUM_LATE, max_iter, N_ITER_WITHOUT_PROGRESS)]
    it = 0  # iterations done
    forces = None  # (attraction, repulsion) at the current Y, when already known
    for name, exaggeration, momentum, stop_at, patience in stages:
        if it >= stop_at:
            continue
        update = np.zeros_like(Y)
        gains = np.ones_like(Y)
        best_kl, best_i = np.inf, it
        while it < stop_at:
            attract, repulse = forces if forces is not None else objective.forces(Y)[:2]
            grad = 4.0 * (exaggeration * attract - repulse)
            # delta-bar-delta: a coordinate whose gradient keeps pointing the same way
            # (opposite to the last update's sign) speeds up; one that flips slows down
            agree = update * grad < 0.0
            gains = np.where(agree, gains + GAIN_INCREASE, gains * GAIN_DECAY)
            gains = np.maximum(gains, MIN_GAIN)
            grad = grad * gains
            update = momentum * update - learning_rate * grad
            Y = Y + update
            it += 1
            forces = None
            if it % CHECK_EVERY and it != stop_at:
                if beat_every and it % beat_every == 0:
                    yield {"done": it, "stage": name, "heartbeat": True}
                continue
            attract, repulse, kl = objective.forces(Y, with_kl=True)
            forces = (attract, repulse)
            stop = False
            if it % CHECK_EVERY == 0:
                i = it - 1  # sklearn's loop index
                if kl < best_kl:
                    best_kl, best_i = kl, i
                elif i - best_i > patience:
                    stop = True
                if math.sqrt(float((grad * grad).sum())) <= MIN_GRAD_NORM:
                    stop = True
            finished = it >= max_iter or (stop and name == "main")
            yield {"done": it, "stage": name, "Y": Y, "kl": kl, "finished": finished}
            if finished:
                return
            if stop:
                break

