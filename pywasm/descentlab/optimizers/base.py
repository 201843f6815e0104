"""The shape every optimizer shares: a pair of pure functions (as in optax).

``init(params) -> state`` builds the optimizer's state for a parameter vector;
``update(grads, state, params) -> (updates, new_state)`` turns one gradient into
the step to *add* to the parameters, ``new_params = params + updates``.

Parameters and gradients are 1-D float64 arrays (a network flattens all its
weights into one vector).  States are ``typing.NamedTuple`` s of a step count and
arrays; nothing is ever modified in place, so a state can be kept, compared or
replayed freely.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, NamedTuple

from .. import kernels as K

# Step-indexed scalars depend only on (hyper-parameter, t): a landscape drag asks for
# the same t = 1..steps at every pointer move, so they are kept across runs.  Bounded to
# a few MB: 32 768 entries hold t = 1..1000 for 32 distinct values of beta (16 Adams
# with their own beta1 and beta2).  Past that the oldest are computed again: time, never bits.
SCHEDULE_CACHE_SIZE = 32_768


class Optimizer(NamedTuple):
    """An optimizer with its hyper-parameters bound by a factory such as ``adam(lr=...)``."""

    init: Callable
    update: Callable


@lru_cache(maxsize=SCHEDULE_CACHE_SIZE)
def bias_correction(beta: float, t: int) -> float:
    """1 - β^t: dividing by it undoes the bias of a running mean started at zero.

    β^t by repeated squaring (``kernels.powi``), so the bits are the same everywhere.
    """
    return 1.0 - K.powi(beta, t)
