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

from typing import Callable, NamedTuple


class Optimizer(NamedTuple):
    """An optimizer with its hyper-parameters bound by a factory such as ``adam(lr=...)``."""

    init: Callable
    update: Callable
