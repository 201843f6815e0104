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

from . import (adadelta, adafactor, adagrad, adam, adamax, adamw, ademamix, adan, amsgrad, lamb, lion, momentum, muon,
               nadam, nesterov, prodigy, rmsprop, sam, schedulefree_adamw, sgd, sophia)
from .base import Optimizer, OptimizerInfo, bind, capture, describe

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
    adafactor,
    schedulefree_adamw,
    ademamix,
    adan,
    lamb,
    prodigy,
]

REGISTRY: dict[str, OptimizerInfo] = {info.name: info for info in map(describe, MODULES)}

# Optimizers that need more than (gradient, state, θ) from the loop that runs them: SAM a
# second gradient at its probe point (NEEDS = ("probe",)), Muon the network's weight
# matrices (NEEDS = ("blocks",)), Sophia the Hessian's diagonal (NEEDS = ("hessian",)).  Kept out of REGISTRY, whose
# every entry any loop can run from a gradient alone (regime maps, learner copies, exercises);
# optimizer_spec reads their entries and the landscape and network loops feed them.
EXTRA = {"sam": sam, "muon": muon, "sophia": sophia}

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


def record(name: str, grads, old_state, params, hyper=None) -> tuple:
    """One step of ``name``, and what the inspector shows of it.

    Runs ``update(grads, old_state, params)`` under :func:`base.capture`, so every
    value shown is one the code computed.  Returns ``(updates, new_state,
    shown)``; ``shown`` maps ``grad`` (the raw gradient), ``update``
    (θ_t − θ_{t−1}) and what the module's ``trace`` picks (its docstring lists
    the keys) to arrays shaped like the parameters.

    Parameters
    ----------
    name : str
        Registry name.
    grads, params : ndarray
        The gradient and the parameters θ_{t−1}.
    old_state : NamedTuple
        The state before the step.
    hyper : dict, optional
        Hyper-parameters (defaults filled in for the rest).
    """
    full = _full_hyper(name, hyper or {})
    info = REGISTRY[name]
    updates, new_state, variables = capture(make(name, **full).update, grads, old_state, params, {})
    return updates, new_state, info.trace(grads, new_state, updates, full, variables)
