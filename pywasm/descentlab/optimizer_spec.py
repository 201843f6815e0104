"""How a spec names an optimizer: ``{"name": "adam", "lr": 0.05, ...}``.

Shared by the landscape and network specs.  Every hyper-parameter is checked
against the range its optimizer declares, and the returned entry carries every
hyper-parameter with defaults filled in, so a result says exactly what ran.
"""

from __future__ import annotations

from . import learner, optimizers
from .errors import SpecError
from .optimizers import REGISTRY
from .validate import Fields

MAX_OPTIMIZERS = 12  # runs per spec; each one is drawn and kept in memory
LABEL_MAX_LEN = 60
_COLOR_LEN = 7  # "#rrggbb"


def read_optimizer(obj, path: str, custom: bool = True) -> dict:
    """Validate one optimizer entry.

    Returns
    -------
    dict
        ``{"name", "params": {every hyper-parameter}, "label"?, "color"?}``
    """
    fields = Fields(obj, path)
    name = fields.choice("name", [*REGISTRY, "custom"] if custom else REGISTRY)
    if name == "custom":
        return _read_custom(fields)
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
    _read_looks(fields, entry)
    fields.done()
    return entry


def _read_looks(fields: Fields, entry: dict) -> None:
    """The optional ``label`` and ``color`` of an entry."""
    if fields.has("label"):
        entry["label"] = fields.string("label", LABEL_MAX_LEN)
    if fields.has("color"):
        color = fields.string("color", _COLOR_LEN)
        if not (len(color) == _COLOR_LEN and color[0] == "#"
                and all(c in "0123456789abcdefABCDEF" for c in color[1:])):
            raise SpecError(fields.field("color"), f"must be a colour like #1f77b4, got {color!r}")
        entry["color"] = color


def _read_custom(fields: Fields) -> dict:
    """``{"name": "custom", "label", "code", "hyper": {...}}``: a learner's optimizer (see learner.py).

    Nothing of the code runs unless the caller opted in (``allow_code``); then it is
    compiled here, so a syntax error or a missing ``update`` is named before any work.
    """
    if not learner.ALLOWED.get():
        raise SpecError(fields.field("code"), "learner code runs only when allowed: descentlab.run(spec,"
                        " allow_code=True), python -m descentlab run --allow-code, or in the page after"
                        " you have read the code and agreed")
    source = fields.string("code", learner.MAX_CODE_CHARS)
    try:
        compiled = learner.compile_optimizer(source)
    except learner.LearnerError as e:
        raise SpecError(fields.field("code"), str(e)) from None
    given = fields.sub("hyper", {})
    params = {}
    for key, default in compiled.defaults.items():
        if isinstance(default, bool):
            params[key] = given.boolean(key, default)
        else:
            params[key] = given.number(key, -learner.HYPER_BOUND, learner.HYPER_BOUND, float(default))
    given.done()
    entry = {"name": "custom", "label": "My optimizer", "code": source, "params": params}
    _read_looks(fields, entry)
    fields.done()
    return entry


def make(entry: dict, field: str):
    """The ``Optimizer`` a validated entry names: a registered one, or a learner's code."""
    if entry["name"] == "custom":
        return learner.optimizer(entry, f"{field}.code")
    return optimizers.make(entry["name"], **entry["params"])


def read_optimizers(fields: Fields) -> list[dict]:
    items = fields.array("optimizers", 1, MAX_OPTIMIZERS)
    return [read_optimizer(item, f"{fields.field('optimizers')}[{i}]") for i, item in enumerate(items)]
