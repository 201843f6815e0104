"""The optimizers of Descent Lab, one module per optimizer, and their registry.

Each module holds everything known about its optimizer: the pure functions
``init(params)`` and ``update(grads, state, params, **hyper)`` (hyper-parameter
names and defaults as in PyTorch's ``torch.optim``), the equations and paper in
``update``'s docstring, ``TITLE``, ``RANGES``, the summary as its docstring, and
``trace`` (what the inspector shows).  ``REGISTRY`` is read from the modules
listed below (see ``base.describe`` and CONTRIBUTING.md); ``make`` binds one to
its hyper-parameters and ``record`` extracts what the inspector shows for a step.
"""

from __future__ import annotations

import numpy as np

from . import adadelta, adagrad, adam, adamax, adamw, amsgrad, lion, momentum, nadam, nesterov, rmsprop, sgd
from .base import Optimizer, OptimizerInfo, bind, describe

# The page lists the optimizers in this order.  Adding one: a module and a line here.
MODULES = [
    sgd,
    momentum,
    nesterov,
    adagrad,
    rmsprop,
    adadelta,
    adam,
    adamw,
    amsgrad,
    nadam,
    adamax,
    lion,
]

REGISTRY: dict[str, OptimizerInfo] = {info.name: info for info in map(describe, MODULES)}

__all__ = ["Optimizer", "OptimizerInfo", "REGISTRY", "make", "record"]


def _full_hyper(name: str, hyper: dict) -> dict:
    if name not in REGISTRY:
        raise KeyError(f"unknown optimizer {name!r}; known: {', '.join(REGISTRY)}")
    defaults = REGISTRY[name].defaults
    unknown = sorted(set(hyper) - set(defaults))
    if unknown:
        raise ValueError(f"{name}: unknown hyper-parameter {unknown[0]!r}; known: {', '.join(defaults)}")
    return {**defaults, **hyper}


def make(name: str, **hyper) -> Optimizer:
    """The registered optimizer ``name`` with its hyper-parameters bound (defaults for the rest).

    Raises
    ------
    KeyError
        Unknown optimizer name.
    ValueError
        Unknown hyper-parameter, or an inconsistent combination (e.g. Nesterov
        with dampening).  Ranges are checked by the spec validation, not here.
    """
    full = _full_hyper(name, hyper)
    return bind(REGISTRY[name], full)


def record(name: str, grads, old_state, new_state, updates, hyper=None) -> dict[str, np.ndarray]:
    """What the inspector shows for one step ``updates, new_state = update(grads, old_state, params)``.

    Every value is an array shaped like the parameters, keyed by the symbol's
    name in the paper (arrays may share memory with the states: do not modify).
    Besides ``grad`` (the raw gradient) and ``update`` (θ_t − θ_{t−1}), each
    module's ``trace`` says what it adds (its docstring lists the keys).

    Parameters
    ----------
    name : str
        Registry name.
    grads, updates : ndarray
        The gradient passed to ``update`` and the updates it returned.
    old_state, new_state : NamedTuple
        The state passed to ``update`` and the one it returned.
    hyper : dict, optional
        The hyper-parameters given to ``make`` (defaults filled in).
    """
    return REGISTRY[name].trace(grads, old_state, new_state, updates, _full_hyper(name, hyper or {}))
