"""What Descent Lab offers, as JSON: the page builds its menus and controls from it."""

from __future__ import annotations

from . import landscape, network, regime, tune
from .csvdata import MAX_CSV_BYTES
from .describe import MAX_ANSWER_CHARS, MAX_TEXT_CHARS
from .functions import FUNCTIONS
from .optimizers import REGISTRY


def _functions() -> list[dict]:
    return [{"name": f.name, "title": f.title, "domain": [list(d) for d in f.domain],
             "minima": [list(m) for m in f.minima], "f_min": f.f_min, "start": list(f.start),
             "params": f.params, "description": f.description} for f in FUNCTIONS.values()]


def _optimizers() -> list[dict]:
    return [{"name": o.name, "title": o.title, "defaults": o.defaults,
             "ranges": {k: list(v) for k, v in o.ranges.items()},
             "paper": o.paper, "summary": o.summary, "equations": o.equations} for o in REGISTRY.values()]


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
    return {
        "functions": _functions(),
        "optimizers": _optimizers(),
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
