"""``run(spec) -> result``: the single entry point of the browser worker and the CLI.

A spec is a JSON object whose ``kind`` picks the module that validates and runs
it.  ``iter_run`` yields progress dictionaries ``{"done", "total", ...}`` between
chunks of work, so the worker can report progress and stop between two of them;
its last item holds ``"result"``, the same dictionary ``run`` returns, with its
``digest`` (see :mod:`descentlab.digest`).
"""

from __future__ import annotations

from importlib import import_module

import numpy as np

from . import landscape, learner
from .digest import digest
from .errors import SpecError
from .fields import Fields, key_name

MAX_DEPTH = 20  # objects and lists within each other; the deepest valid spec has about 7


def _on_first_use(module: str, name: str):
    """``descentlab.<module>.<name>``, imported when first called: the page's first scene
    (a landscape) then needs none of the networks, datasets, t-SNE, regime maps or tuning,
    so the browser starts sooner."""
    def call(*args, **kwargs):
        return getattr(import_module(f"{__package__}.{module}"), name)(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    return call


def _kind_on_first_use(module: str):
    """The (read_spec, iterate) pair of the spec kind in ``descentlab.<module>``, imported
    when first called (see ``_on_first_use``)."""
    return _on_first_use(module, "read_spec"), _on_first_use(module, "iterate")


# kind -> (read and validate the spec, iterate over its work)
KINDS = {
    "landscape": (landscape.read_spec, landscape.iterate),
    "grid": (landscape.read_grid_spec, landscape.iterate_grid),
    "network": _kind_on_first_use("network"),
    "regime": _kind_on_first_use("regime"),
    "dataset": _kind_on_first_use("dataset_spec"),
    "tsne": _kind_on_first_use("tsne"),
    "projection": _kind_on_first_use("projection"),
    "tune": _kind_on_first_use("tune"),
}


def register(kind: str, read, iterate) -> None:
    KINDS[kind] = (read, iterate)


def validate(spec, allow_code: bool = False) -> dict:
    """Check a spec completely; return it with every default filled in.

    A spec may carry a learner's code (an optimizer entry ``{"name": "custom",
    "code": ...}``) only with ``allow_code=True``; without it nothing of the code
    runs and the entry's ``code`` field is refused.

    Raises
    ------
    SpecError
        naming the first offending field and its allowed range.
    """
    fields = Fields(spec, "")
    _check_depth(spec)
    kind = fields.choice("kind", KINDS)
    try:
        with learner.allowed(allow_code):
            return KINDS[kind][0](spec)
    except RecursionError:  # pragma: no cover - _check_depth refuses every spec deep enough for this
        raise SpecError("spec", f"is nested too deeply to read (at most {MAX_DEPTH} levels)") from None


def _check_depth(spec) -> None:
    """Refuse a spec nested more than ``MAX_DEPTH`` deep, naming the path where it goes too deep.

    Walks with an explicit stack: a JSON value nested 100,000 deep would overflow
    Python's stack anywhere it is handled recursively (``repr``, ``copy``, ``json``).
    """
    stack = [(spec, 0, None)]  # (value, depth, (parent link, key)): the path is rebuilt only on error
    while stack:
        value, depth, link = stack.pop()
        items = value.items() if type(value) is dict else enumerate(value) if type(value) is list else ()
        for key, child in items:
            if type(child) is dict or type(child) is list:
                if depth + 1 >= MAX_DEPTH:
                    raise SpecError(_path((link, key)), f"is nested more than {MAX_DEPTH} deep;"
                                    " a spec is a few levels of objects and lists")
                stack.append((child, depth + 1, (link, key)))


def _path(link) -> str:
    keys = []
    while link is not None:
        link, key = link
        keys.append(key)
    text = ""
    for key in reversed(keys):
        text += f"[{key}]" if isinstance(key, int) else f".{key_name(key)}" if text else key_name(key)
    return text


def iter_run(spec, arrays=False, allow_code: bool = False):
    """Validate, then run ``spec`` in chunks; the last item carries ``"result"``.

    A result may hold float64 arrays (a landscape's paths and losses); they are
    returned as lists, JSON-ready, unless ``arrays`` is true: the browser worker
    sends arrays as their raw bytes.  Either way the digest is the same.
    """
    checked = validate(spec, allow_code)
    for item in KINDS[checked["kind"]][1](checked):
        if "result" in item:
            result = item["result"]
            result["digest"] = digest(result)
            if not arrays:
                item["result"] = yield from _lists_reporting(result, {"done": item["done"], "total": item["total"]})
        yield item


def _lists_reporting(result: dict, beat: dict):
    """``_lists(result)``, with a heartbeat after each run of a list of runs.

    Twelve recorded races of 10,000 steps take about 0.4 s to become lists.
    """
    out = {}
    for key, value in result.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out[key] = []
            for entry in value:
                out[key].append(_lists(entry))
                yield dict(beat)
        else:
            out[key] = _lists(value)
    return out


def _lists(o):
    # Arrays sit as dictionary values, possibly inside a list of runs: only dicts and
    # lists of dicts are walked, so long lists of numbers are not visited one by one.
    if isinstance(o, dict):
        return {k: _lists(v) for k, v in o.items()}
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, list) and o and isinstance(o[0], dict):
        return [_lists(v) for v in o]
    return o


def run(spec, allow_code: bool = False) -> dict:
    """Run a spec to completion and return its result (JSON-ready, with ``digest``).

    ``allow_code=True`` lets optimizer entries carry a learner's code (see
    :mod:`descentlab.learner`): only for code you have read, it runs in this process.
    """
    for item in iter_run(spec, allow_code=allow_code):
        if "result" in item:
            return item["result"]
    raise RuntimeError("spec produced no result")  # pragma: no cover


__all__ = ["run", "iter_run", "validate", "SpecError", "KINDS"]
