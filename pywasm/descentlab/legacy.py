"""Spec forms of earlier versions, translated to today's in one place.

Links, files and notebooks made before a change keep working: each old form is
rewritten here into the current one before validation, and an error found in
the rewritten spec names the field as the old spec spelled it.
"""

from __future__ import annotations

from typing import Callable


def _same(field: str) -> str:
    return field


def tsne_dataset(spec) -> tuple[object, Callable[[str], str]]:
    """The t-SNE spec's ``data: {dataset: name, ...}`` became ``dataset: {name, ...}`` (as in networks).

    Returns
    -------
    spec : object
        The spec in today's form (the same object when it is not an old one).
    old_field : callable
        Maps a field path of today's form back to the old spelling.
    """
    if not (isinstance(spec, dict) and "data" in spec and "dataset" not in spec):
        return spec, _same
    data = spec["data"]
    new = {k: v for k, v in spec.items() if k != "data"}
    if isinstance(data, dict) and "dataset" in data and "name" not in data:
        data = {("name" if k == "dataset" else k): v for k, v in data.items()}
    new["dataset"] = data

    def old_field(field: str) -> str:
        if field == "dataset.name":
            return "data.dataset"
        if field == "dataset" or field.startswith(("dataset.", "dataset[")):
            return "data" + field[len("dataset"):]
        return field

    return new, old_field
