"""``run(spec) -> result``: the single entry point of the browser worker and the CLI.

A spec is a JSON object whose ``kind`` picks the module that validates and runs
it.  ``iter_run`` yields progress dictionaries ``{"done", "total", ...}`` between
chunks of work, so the worker can report progress and stop between two of them;
its last item holds ``"result"``, the same dictionary ``run`` returns, with its
``digest`` (see :mod:`descentlab.digest`).
"""

from __future__ import annotations

import numpy as np

from . import dataset_spec, landscape, network, projection, regime, tsne
from .digest import digest
from .errors import SpecError
from .validate import Fields

# kind -> (read and validate the spec, iterate over its work)
KINDS = {
    "landscape": (landscape.read_spec, landscape.iterate),
    "grid": (landscape.read_grid_spec, landscape.iterate_grid),
    "network": (network.read_spec, network.iterate),
    "regime": (regime.read_spec, regime.iterate),
    "dataset": (dataset_spec.read_spec, dataset_spec.iterate),
    "tsne": (tsne.read_spec, tsne.iterate),
    "projection": (projection.read_spec, projection.iterate),
}


def register(kind: str, read, iterate) -> None:
    KINDS[kind] = (read, iterate)


def validate(spec) -> dict:
    """Check a spec completely; return it with every default filled in.

    Raises
    ------
    SpecError
        naming the first offending field and its allowed range.
    """
    fields = Fields(spec, "")
    kind = fields.choice("kind", KINDS)
    return KINDS[kind][0](spec)


def iter_run(spec, arrays=False):
    """Validate, then run ``spec`` in chunks; the last item carries ``"result"``.

    A result may hold float64 arrays (a landscape's paths and losses); they are
    returned as lists, JSON-ready, unless ``arrays`` is true: the browser worker
    sends arrays as their raw bytes.  Either way the digest is the same.
    """
    checked = validate(spec)
    for item in KINDS[checked["kind"]][1](checked):
        if "result" in item:
            result = item["result"]
            result["digest"] = digest(result)
            if not arrays:
                item["result"] = _lists(result)
        yield item


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


def run(spec) -> dict:
    """Run a spec to completion and return its result (JSON-ready, with ``digest``)."""
    for item in iter_run(spec):
        if "result" in item:
            return item["result"]
    raise RuntimeError("spec produced no result")  # pragma: no cover


__all__ = ["run", "iter_run", "validate", "SpecError", "KINDS"]
