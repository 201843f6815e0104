"""How many points each shape gets: counts, imbalance, outliers and the total's limits."""

from __future__ import annotations

from ..datasets import RECIPE_GENERATORS, classes_of
from .clauses import Mods, Part, Reader, first
from .vocabulary import (DEFAULT_BLOB_N, DEFAULT_N, IMBALANCE_FACTOR, MAX_POINTS, MIN_PER_CLASS, MIN_POINTS,
                         MOSTLY_WEIGHT, OUTLIER_SHARE, RARE_SHARE)


def _weights_down(k: int, factor: float) -> list[float]:
    """1, 1/factor, 1/factor², ...: ``k`` weights, each part smaller than the one before."""
    out, w = [], 1.0
    for _ in range(k):
        out.append(w)
        w = w / factor
    return out


def split(total: int, weights: list[float], minimum: list[int]) -> list[int]:
    """Integers proportional to ``weights`` summing to ``total``, each at least its minimum."""
    wsum = 0.0
    for w in weights:
        wsum += w
    sizes = [max(minimum[i], int(total * weights[i] / wsum)) for i in range(len(weights))]
    # give or take the difference on the largest parts (deterministic: first largest first)
    order = sorted(range(len(sizes)), key=lambda i: (-weights[i], i))
    diff = total - sum(sizes)
    step = 0
    while diff != 0 and step < 10 * len(sizes) * (abs(diff) + 1):
        i = order[step % len(order)]
        if diff > 0:
            sizes[i] += 1
            diff -= 1
        elif sizes[i] > minimum[i]:
            sizes[i] -= 1
            diff += 1
        step += 1
    return sizes


def _min_n(p: Part) -> int:
    """The fewest points a part may have: its generator's minimum, and ``MIN_PER_CLASS`` per class."""
    return max(RECIPE_GENERATORS[p.generator].params["n"]["min"], MIN_PER_CLASS * p.classes)


def imbalance(shapes: list[Part], glob: Mods, reader: Reader) -> None:
    """Turn imbalance words into part weights (splitting a lone group of blobs into blobs)."""
    single = len(shapes) == 1
    kinds = list(glob.imbalance)
    ratios = glob.ratios
    per_part = False
    for p in shapes:
        ratios = ratios or p.mods.ratios
        for k in p.mods.imbalance:
            if single or k not in ("mostly", "rare"):
                kinds.append(k)
            else:
                per_part = True
    if not (ratios or per_part or any(k != "balanced" for k in kinds)):
        return
    if len(shapes) == 1:
        p = shapes[0]
        if p.generator != "blobs":
            reader.note(f"{p.generator} always draws balanced classes; to unbalance, combine shapes "
                        "(e.g. 'moons and a rare blob') or use blobs")
            return
        p.split_blobs = True
        k = p.classes
        targets = k
    else:
        targets = len(shapes)
    if ratios:
        if len(ratios) == targets:
            weights = list(ratios)
        elif len(ratios) == 2 and targets > 2:
            weights = [ratios[0]] + [ratios[1] / (targets - 1)] * (targets - 1)
        else:
            reader.note(f"the split {'/'.join(f'{r:g}' for r in ratios)} has {len(ratios)} parts"
                        f" but there are {targets}; using 'imbalanced'")
            weights = _weights_down(targets, IMBALANCE_FACTOR)
    elif per_part:
        weights = [MOSTLY_WEIGHT if "mostly" in p.mods.imbalance else
                   RARE_SHARE if "rare" in p.mods.imbalance else 1.0 for p in shapes]
    elif "imbalanced" in kinds or "mostly" in kinds:
        weights = _weights_down(targets, IMBALANCE_FACTOR)
    else:  # "rare class"
        weights = [1.0] * (targets - 1) + [RARE_SHARE]
    if len(shapes) == 1:
        shapes[0].weight = weights  # per blob
    else:
        for p, w in zip(shapes, weights):
            p.weight = w


def counts(shapes: list[Part], glob: Mods, reader: Reader) -> None:
    """Each part's ``n``: its own count, else a share of the total by weight, never below its minimum."""
    for p in shapes:
        m = p.mods
        n = m.n if m.n is not None else (m.n_each * p.classes if m.n_each is not None else None)
        if n is None and glob.n_each is not None:
            n = glob.n_each * p.classes
        p.fixed_n = n is not None
        p.n = n if n is not None else first(m.size, DEFAULT_BLOB_N if p.generator == "blob" else DEFAULT_N)
    free = [p for p in shapes if not p.fixed_n]
    total = first(glob.n, glob.size if not any(p.fixed_n for p in shapes) else None)
    weighted = any(isinstance(p.weight, list) or p.weight != 1.0 for p in shapes)
    if free and (total is not None or weighted):
        if total is None:
            total = sum(p.n for p in shapes)
        rest = total - sum(p.n for p in shapes if p.fixed_n)
        minimum = [_min_n(p) for p in free]
        if rest < sum(minimum):
            reader.note(f"{total} points are too few for all the shapes; using the smallest counts")
            rest = sum(minimum)
        # imbalance words set the shares; otherwise the shapes keep their default proportions
        weights = [float(p.weight) if weighted and not isinstance(p.weight, list) else float(p.n)
                   for p in free]
        for p, n in zip(free, split(rest, weights, minimum)):
            p.n = n
    elif total is not None:
        reader.note("every shape has its own count; the total count was not used")
    for p in shapes:
        lo = _min_n(p)
        if p.n < lo:
            reader.note(f"'{p.text}' needs at least {lo} points; using {lo}")
            p.n = lo


def outliers_of(outliers, shapes, half_w, half_h, reader) -> list[dict]:
    """A wide cloud (one blob per existing class, each labelled with that class)."""
    if not outliers:
        return []
    if len(outliers) > 1:
        reader.note("outliers were asked for twice; adding them once")
    o = outliers[0]
    classes = sum(p.classes for p in shapes)
    main = sum(p.n for p in shapes)
    share = o.mods.outlier_share if o.mods.outlier_share is not None else OUTLIER_SHARE
    n = o.mods.n if o.mods.n is not None else int(main * share)
    lo = RECIPE_GENERATORS["blob"].params["n"]["min"] * classes
    if n < lo:
        n = lo
    spread = round(max(half_w, half_h, 1.0) / 2.0, 4)
    sizes = split(n, [1.0] * classes, [RECIPE_GENERATORS["blob"].params["n"]["min"]] * classes)
    reader.note(f"{n} outliers: a wide cloud whose labels are spread evenly over the {classes} classes")
    comps = []
    for c in range(classes):
        comp = {"generator": "blob", "n": sizes[c], "noise": 1.0, "label": c}
        if spread != 1.0:
            comp["scale"] = spread
        comps.append(comp)
    return comps


def limit_total(comps: list[dict], reader: Reader) -> None:
    """Scale the components' counts into ``MIN_POINTS``..``MAX_POINTS`` in all (with a note)."""
    total = sum(c["n"] for c in comps)
    if MIN_POINTS <= total <= MAX_POINTS:
        return
    target = MAX_POINTS if total > MAX_POINTS else MIN_POINTS
    minimum = [max(RECIPE_GENERATORS[c["generator"]].params["n"]["min"], MIN_PER_CLASS * classes_of(c))
               for c in comps]
    sizes = split(target, [float(c["n"]) for c in comps], minimum)
    for c, n in zip(comps, sizes):
        c["n"] = n
    reader.note(f"{total} points in all is {'more' if total > target else 'fewer'} than allowed;"
                f" using {sum(sizes)}")
