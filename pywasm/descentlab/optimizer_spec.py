"""How a spec names an optimizer: ``{"name": "adam", "lr": 0.05, ...}``.

Shared by the landscape and network specs.  Every hyper-parameter is checked
against the range its optimizer declares, and the returned entry carries every
hyper-parameter with defaults filled in, so a result says exactly what ran.
"""

from __future__ import annotations

from .errors import SpecError
from . import optimizers
from .optimizers import REGISTRY
from .validate import Fields

MAX_OPTIMIZERS = 12  # runs per spec; each one is drawn and kept in memory
LABEL_MAX_LEN = 60
_COLOR_LEN = 7  # "#rrggbb"


def read_optimizer(obj, path: str) -> dict:
    """Validate one optimizer entry.

    Returns
    -------
    dict
        ``{"name", "params": {every hyper-parameter}, "label"?, "color"?}``
    """
    fields = Fields(obj, path)
    name = fields.choice("name", REGISTRY)
    info = REGISTRY[name]
    params = {}
    for key, default in info.defaults.items():
        lo, hi, kind = info.ranges[key]
        if kind == "bool":
            params[key] = fields.boolean(key, default)
        else:
            params[key] = fields.number(key, lo, hi, default, integer=(kind == "int"))
    try:  # combinations a range cannot express, e.g. nesterov without momentum
        optimizers.make(name, **params)
    except ValueError as e:
        culprit = next((k for k in ("nesterov", "ema") if params.get(k)), "name")
        raise SpecError(fields.field(culprit), str(e)) from None
    entry = {"name": name, "params": params}
    if fields.has("label"):
        entry["label"] = fields.string("label", LABEL_MAX_LEN)
    if fields.has("color"):
        color = fields.string("color", _COLOR_LEN)
        if not (len(color) == _COLOR_LEN and color[0] == "#"
                and all(c in "0123456789abcdefABCDEF" for c in color[1:])):
            raise SpecError(fields.field("color"), f"must be a colour like #1f77b4, got {color!r}")
        entry["color"] = color
    fields.done()
    return entry


def read_optimizers(fields: Fields) -> list[dict]:
    items = fields.array("optimizers", 1, MAX_OPTIMIZERS)
    return [read_optimizer(item, f"{fields.field('optimizers')}[{i}]") for i, item in enumerate(items)]
