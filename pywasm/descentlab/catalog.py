"""What Descent Lab offers, as JSON: the page builds its menus and controls from it."""

from __future__ import annotations

import inspect

from . import expression, landscape, network, optimizer_spec, regime, schedules, tune
from .functions import FUNCTIONS
from .optimizers import EXTRA, REGISTRY, base
from .optimizers import copy


CUSTOM_EXAMPLE = "x**2 + 10*sin(y) + 0.1*x*y"  # the expression the page starts "Your own f(x, y)" with
CUSTOM_START = [2.0, 2.0]


def _functions() -> list[dict]:
    """The test functions, then ``custom``: the learner's own f(x, y) (``expression``, ``domain``)."""
    out = [{"name": f.name, "title": f.title, "domain": [list(d) for d in f.domain],
            "minima": [list(m) for m in f.minima], "f_min": f.f_min, "start": list(f.start),
            "params": f.params, "description": f.description} for f in FUNCTIONS.values()]
    out.append({"name": landscape.CUSTOM, "title": "Your own f(x, y)", "custom": True,
                "domain": [list(d) for d in landscape.CUSTOM_DOMAIN], "minima": [], "f_min": None,
                "start": CUSTOM_START, "params": {}, "example": CUSTOM_EXAMPLE,
                "description": "Type a formula in x and y; its exact gradient is computed by forward-mode"
                               " differentiation. " + expression.GRAMMAR[0].upper() + expression.GRAMMAR[1:] + "."})
    return out


def _optimizers() -> list[dict]:
    return [{"name": o.name, "title": o.title, "defaults": o.defaults,
             "ranges": {k: list(v) for k, v in o.ranges.items()},
             "paper": o.paper, "summary": o.summary, "equations": o.equations} for o in REGISTRY.values()]


def _extra() -> list[dict]:
    """SAM, Muon and Sophia: optimizers that need more than a gradient (see ``optimizers.EXTRA``).

    Read from their modules like the registered ones; the hyper-parameters are those of
    ``probe`` (SAM, whose ``base`` optimizer steps) or ``update`` (Muon, Sophia).
    """
    out = []
    for name, module in EXTRA.items():
        fn = getattr(module, "probe", None) or module.update
        doc = inspect.cleandoc(fn.__doc__ or "")
        defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()
                    if p.default is not inspect.Parameter.empty}
        item = {"name": name, "title": module.TITLE, "defaults": defaults,
                "ranges": {k: list(v) for k, v in module.RANGES.items() if k in defaults},
                "paper": base._references(doc), "summary": base._paragraphs(module.__doc__),
                "equations": base._equations(doc, name),
                "network_only": getattr(module, "REFUSED_ON_LANDSCAPE", None) is not None}
        item["copyable"] = copy.copyable(name)  # "Edit a copy": SAM's probe over its base, Muon's blocks, Sophia's Hessian
        item["schedulable"] = not hasattr(module, "probe")  # SAM's schedule goes on its base; Muon, Sophia take one
        if item["network_only"]:
            item["landscape_note"] = module.REFUSED_ON_LANDSCAPE
        if name == "sam":
            item["base"] = {"default": {"name": "sgd", "lr": 0.05},
                            "refused": list(module.BASES_REFUSED) + [n for n in EXTRA if n != "sam"]}
        out.append(item)
    return out


def _dynamics() -> dict:
    """Schedules, clipping, gradient noise and the grammar of a custom f(x, y): one source each."""
    return {
        "schedules": schedules.describe(),
        "schedule_preview_max": schedules.MAX_VALUES,
        "clip": {"fields": list(optimizer_spec.CLIP_FIELDS), "lo": 0.0, "lo_open": True,
                 "hi": optimizer_spec.CLIP_MAX},
        "noise": {"std": [0.0, landscape.MAX_NOISE_STD], "seed": [0, landscape.MAX_NOISE_SEED]},
        "fork": {"max_depth": optimizer_spec.MAX_FORK_DEPTH},
        "custom": {"names": sorted(expression.NAMES) + ["x", "y"],
                   "functions": {k: v for k, v in expression.ARITY.items()},
                   "operators": ["+", "-", "*", "/", "**"], "grammar": expression.GRAMMAR,
                   "max_chars": expression.MAX_CHARS,
                   "domain": [list(d) for d in landscape.CUSTOM_DOMAIN]},
    }


def _datasets() -> list[dict]:
    from .datasets import GENERATORS
    from .datasets import DIGITS_SHAPE
    out = [{"name": name, "title": g.title, "description": g.description, "params": g.params}
           for name, g in GENERATORS.items()]
    out.append({"name": "digits", "title": "Handwritten digits",
                "description": f"{DIGITS_SHAPE[0]} real 8x8 images of the digits 0-9 (UCI optdigits), "
                               f"{DIGITS_SHAPE[1]} features", "params": {}})
    return out


def list_catalog() -> dict:
    """Functions, optimizers (with defaults and ranges), datasets, layers and limits."""
    from .nn.activations import ACTIVATIONS
    from .nn.losses import LOSSES
    # Here, not at the top: describe (the dataset-description grammar) and the CSV reader are
    # imported by nothing the first scene needs, and the browser pays for every import at start-up.
    from .csvdata import MAX_CSV_BYTES
    from .describe import MAX_ANSWER_CHARS, MAX_TEXT_CHARS
    return {
        "functions": _functions(),
        "optimizers": _optimizers(),
        "extra_optimizers": _extra(),
        "dynamics": _dynamics(),
        "datasets": _datasets(),
        "activations": sorted(ACTIVATIONS),
        "losses": sorted(LOSSES),
        "limits": {
            "landscape": {"max_steps": landscape.MAX_STEPS, "start_bound": landscape.START_BOUND,
                          "divergence_bound": landscape.DIVERGENCE_BOUND,
                          "max_grid_side": landscape.MAX_GRID_SIDE},
            "network": {k.lower(): getattr(network, k) for k in dir(network) if k.startswith(("MAX_", "MIN_"))},
            "regime": {"max_side": regime.MAX_SIDE, "max_work": regime.MAX_WORK, "max_steps": regime.MAX_STEPS},
            "tune": {"lr_min": tune.LR_LO, "lr_max": tune.LR_HI, "min_points": tune.MIN_POINTS,
                     "max_points": tune.MAX_POINTS, "max_repeats": tune.MAX_REPEATS,
                     "default_lr": tune.DEFAULT_LR, "default_repeats": tune.DEFAULT_REPEATS},
            "describe": {"max_answer_chars": MAX_ANSWER_CHARS, "max_text_chars": MAX_TEXT_CHARS},
            "csv": {"max_bytes": MAX_CSV_BYTES},
        },
    }
