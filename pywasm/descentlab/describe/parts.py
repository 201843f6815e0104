"""One shape of a description: its generator, classes, noise, place, and recipe components."""

from __future__ import annotations

import numpy as np

from ..datasets import BLOB_RADIUS, FIXED_CLASSES, GENERATORS, RECIPE_GENERATORS, TWO_PI, polar
from .clauses import Mods, Part, Reader, first
from .sizes import split
from .vocabulary import GAP, MIN_PER_CLASS, NOISE_LEVELS, ROW_LENGTH


def resolve_shape(p: Part, glob: Mods, reader: Reader) -> None:
    """Pick the generator and its number of classes."""
    m = p.mods
    classes = m.classes
    fam = p.family
    if fam == "blobs":
        k = first(classes, m.multiplicity)
        if k is None and glob.classes is not None and p.form != "singular":
            k = glob.classes
        if k is None and p.form != "singular" and m.ratios and 2 <= len(m.ratios) <= 8:
            k = len(m.ratios)
        if k is None:
            k = 1 if p.form == "singular" else GENERATORS["blobs"].params["classes"]["default"]
        lo, hi = 2, GENERATORS["blobs"].params["classes"]["max"]
        if k > hi:
            reader.note(f"at most {hi} blobs in one group; using {hi}")
            k = hi
        if k <= 1:
            p.generator, p.classes = "blob", 1
        else:
            p.generator, p.classes = "blobs", max(lo, k)
        return
    p.generator = fam
    params = GENERATORS[fam].params
    if "classes" in params:  # spirals
        lo, hi = params["classes"]["min"], params["classes"]["max"]
        k = first(classes, m.multiplicity if m.multiplicity and m.multiplicity > 1 else None)
        if k is None:
            k = params["classes"]["default"]
        if not lo <= k <= hi:
            reader.note(f"{fam} can have {lo} to {hi} arms; using {min(max(k, lo), hi)}")
            k = min(max(k, lo), hi)
        p.classes = k
        return
    p.classes = FIXED_CLASSES
    asked = first(classes, m.multiplicity if m.multiplicity not in (1, 2) else None)
    if asked is not None and asked != FIXED_CLASSES:
        reader.note(f"{fam} always has {FIXED_CLASSES} classes")


def noise_of(p: Part, glob: Mods, reader: Reader) -> float:
    """The part's noise: a value said for it, else a level (its own, the text's, an overlap word's)."""
    m = p.mods
    gen = p.generator
    hi = RECIPE_GENERATORS[gen].params["noise"]["max"]
    value = first(m.noise_value, None if m.noise_level else glob.noise_value)
    if value is not None:
        if value > hi:
            reader.note(f"noise {value:g} is more than {gen} allows; using {hi:g}")
            value = hi
        return float(value)
    overlap = first(m.overlap, glob.overlap)
    level = first(m.noise_level, glob.noise_level, overlap[0] if overlap else None, "medium")
    if level == "none" and NOISE_LEVELS[gen]["none"] > 0.0:
        reader.note(f"'no noise' still gives {gen} a spread of {NOISE_LEVELS[gen]['none']:g}"
                    " (without it every point of a blob would sit on one spot)")
    return NOISE_LEVELS[gen][level]


def _extent(p: Part) -> tuple[float, float]:
    """Half width and half height of a part's points, noise included (about 2 standard deviations)."""
    s = 2.0 * p.noise
    if p.generator == "moons":
        return 1.5 + s, 0.75 + s
    if p.generator == "blobs":
        return BLOB_RADIUS + s, BLOB_RADIUS + s
    if p.generator == "blob":
        return max(s, 0.2), max(s, 0.2)
    if p.generator == "linear":
        return 1.1 + s, 1.1 + s
    return 1.0 + s, 1.0 + s  # circles, spirals, xor, checkerboard


def layout(shapes: list[Part], glob: Mods) -> tuple[float, float]:
    """Place each shape relative to the one before; centre the whole; return its half size."""
    if not shapes:
        return 1.0, 1.0
    boxes = []
    x = y = 0.0
    row = []  # indices of the shapes in the current row (default placement wraps after ROW_LENGTH)
    for i, p in enumerate(shapes):
        hx, hy = _extent(p)
        if i > 0:
            overlap = first(p.mods.overlap, glob.overlap)
            gap = overlap[1] if overlap else GAP
            px, py, phx, phy = boxes[-1]
            where = p.mods.position or "right"
            if p.mods.position is None and len(row) == ROW_LENGTH:
                row_start = boxes[row[0]]
                x = row_start[0] - row_start[2] + hx
                y = min(boxes[j][1] - boxes[j][3] for j in row) - max(gap, 0.0) - hy
                row = []
            elif where == "centre":
                x, y = px, py
            elif where == "right":
                x, y = px + phx + gap + hx, py
            elif where == "left":
                x, y = px - phx - gap - hx, py
            elif where == "below":
                x, y = px, py - phy - gap - hy
            else:  # above
                x, y = px, py + phy + gap + hy
        boxes.append((x, y, hx, hy))
        row.append(i)
    lo_x = min(b[0] - b[2] for b in boxes)
    hi_x = max(b[0] + b[2] for b in boxes)
    lo_y = min(b[1] - b[3] for b in boxes)
    hi_y = max(b[1] + b[3] for b in boxes)
    cx, cy = (lo_x + hi_x) / 2.0, (lo_y + hi_y) / 2.0
    for p, b in zip(shapes, boxes):
        p.shift = (round(b[0] - cx, 4) + 0.0, round(b[1] - cy, 4) + 0.0)
    return (hi_x - lo_x) / 2.0, (hi_y - lo_y) / 2.0


def components(p: Part) -> list[dict]:
    """The recipe components of a resolved part (blobs split into single blobs when unbalanced)."""
    if p.split_blobs:
        k = p.classes
        weights = p.weight
        sizes = split(p.n, weights, [max(RECIPE_GENERATORS["blob"].params["n"]["min"], MIN_PER_CLASS)] * k)
        out = []
        for c in range(k):
            angle = np.array([TWO_PI * c / k])
            centre = polar(np.array([BLOB_RADIUS]), angle)[0]  # exactly where blobs puts it
            shift = [round(float(centre[j]) + p.shift[j], 6) + 0.0 for j in (0, 1)]
            out.append({"generator": "blob", "n": sizes[c], "noise": p.noise, "shift": shift})
        return out
    comp = {"generator": p.generator, "n": int(p.n), "noise": p.noise}
    if p.generator in ("blobs", "spirals"):
        comp["classes"] = p.classes
    if p.shift != (0.0, 0.0):
        comp["shift"] = [p.shift[0], p.shift[1]]
    return [comp]
