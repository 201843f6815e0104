"""Dataset recipes: several generated pieces composed into one 2-D dataset.

A recipe is plain JSON, so presets (``datasets/*.json``), the words of
:func:`descentlab.describe.describe`, a language model's answer and a user's own
file can all say which dataset they mean::

    {"components": [COMPONENT, ...], "seed": s, "label_noise": f}
    COMPONENT = {"generator": name, "n": .., "noise": .., "classes": ..,
                 "scale": 1.0, "shift": [0, 0], "label": k}

where everything but ``generator`` is optional.  Component ``i`` is drawn with
``default_rng([s, i])``, then mapped ``x -> scale · x + shift``.

Labels: by default each component's classes get fresh labels after those
already used (two moons then three blobs give classes 0-1 and 2-4).  A component
with ``"label": k`` puts *all* its points in class ``k`` instead, e.g. to add
outliers to an existing class.  The final labels must be exactly 0..C-1 with no
gap.  Rows are shuffled with ``default_rng(s)``.  ``label_noise`` (0..1, default 0)
then gives that share of the rows, picked by ``default_rng([s, LABEL_NOISE_STREAM])``,
another class (each flipped label moves by 1..C−1 classes, uniformly): no point moves.

Recipes may come from anyone, so :func:`validate_recipe` checks one completely,
key by key and number by number, before anything is drawn; :func:`from_recipe`
draws only a recipe that passes it.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from ..fields import Fields, check_number, key_name
from .generators import FIXED_CLASSES, RECIPE_GENERATORS
from .limits import MAX_CLASSES, MAX_SAMPLES, MAX_SEED

MAX_COMPONENTS = 24  # up to 10 shapes, plus one outlier cloud per class
COORD_BOUND = 100.0  # |scale| and |shift| at most this: keeps points finite and plottable
RECIPE_FIELDS = ("components", "seed", "label_noise")
LABEL_NOISE_STREAM = 7919  # the label flips' own random stream, apart from the components' [s, i]
COMPONENT_FIELDS = ("generator", "n", "noise", "classes", "scale", "shift", "label")


def _only_keys(obj, allowed, path):
    if not isinstance(obj, dict):
        raise SpecError(path, f"must be an object, got {type(obj).__name__}")
    for key in obj:
        if not isinstance(key, str) or key not in allowed:
            raise SpecError(f"{path}.{key_name(key)}", f"unknown key; allowed: {', '.join(allowed)}")


def classes_of(component: dict) -> int:
    """The number of classes a checked component draws (1 for a ``blob``)."""
    return component.get("classes", 1 if component["generator"] == "blob" else FIXED_CLASSES)


def validate_recipe(obj, path: str = "recipe") -> dict:
    """Check an untrusted recipe completely and return it normalized.

    Only the keys of the recipe schema are accepted; every number must be
    finite and in range (``n``, ``noise`` and ``classes`` per generator as in
    ``RECIPE_GENERATORS``; ``|scale|`` and ``|shift[j]|`` at most
    ``COORD_BOUND``; ``label`` 0..``MAX_CLASSES``−1); at most ``MAX_COMPONENTS``
    components, ``MAX_SAMPLES`` points and ``MAX_CLASSES`` classes in all, and
    the labels must come out as 0..C−1 without gaps.  Nothing is generated.

    Returns
    -------
    dict
        ``{"components": [...], "seed": s}`` with ``n`` and ``noise`` always
        present, ``classes`` where the generator has it, ``scale``/``shift``
        only when not the identity, ``label`` when given; ints and floats as
        JSON would have them.

    Raises
    ------
    SpecError
        naming the field, e.g. ``recipe.components[1].noise``.
    """
    _only_keys(obj, RECIPE_FIELDS, path)
    f = Fields(obj, path)
    comps = f.array("components", 1, MAX_COMPONENTS)
    seed = f.number("seed", 0, MAX_SEED, 0, integer=True)
    label_noise = f.number("label_noise", 0.0, 1.0, 0.0)
    out, total, next_label, used = [], 0, 0, set()
    for i, comp in enumerate(comps):
        cpath = f"{path}.components[{i}]"
        entry = _component(comp, cpath)
        next_label = _label(entry, next_label, used)
        total += entry["n"]
        if total > MAX_SAMPLES:
            raise SpecError(f"{cpath}.n", f"the components may have at most {MAX_SAMPLES} points in all;"
                            f" this one brings the total to {total}")
        if next_label > MAX_CLASSES:
            raise SpecError(cpath, f"at most {MAX_CLASSES} classes in all; this component brings them to"
                            f" {next_label}")
        out.append(entry)
    if used != set(range(len(used))):
        raise SpecError(f"{path}.components", f"labels must be 0..C-1 without gaps, got {sorted(used)}")
    normal = {"components": out, "seed": seed}
    if label_noise > 0.0:
        normal["label_noise"] = label_noise
    return normal


def _component(comp, cpath: str) -> dict:
    """One component checked on its own (the totals are the caller's)."""
    _only_keys(comp, COMPONENT_FIELDS, cpath)
    c = Fields(comp, cpath)
    gen = c.choice("generator", RECIPE_GENERATORS)
    p = RECIPE_GENERATORS[gen].params
    entry = {"generator": gen,
             "n": c.number("n", p["n"]["min"], min(p["n"]["max"], MAX_SAMPLES), p["n"]["default"], integer=True),
             "noise": c.number("noise", p["noise"]["min"], p["noise"]["max"], p["noise"]["default"])}
    if "classes" in p:
        k = c.number("classes", p["classes"]["min"], p["classes"]["max"], p["classes"]["default"], integer=True)
        if gen != "blob":
            entry["classes"] = k
    else:
        k = FIXED_CLASSES
        if c.has("classes"):
            c.number("classes", FIXED_CLASSES, FIXED_CLASSES, integer=True)
    if entry["n"] < k:
        raise SpecError(f"{cpath}.n", f"must be at least the number of classes ({k}), got {entry['n']}")
    scale = c.number("scale", -COORD_BOUND, COORD_BOUND, 1.0)
    if scale != 1.0:
        entry["scale"] = scale
    shift = c.array("shift", 2, 2, [0.0, 0.0])
    shift = [check_number(v, f"{cpath}.shift[{j}]", -COORD_BOUND, COORD_BOUND) for j, v in enumerate(shift)]
    if shift != [0.0, 0.0]:
        entry["shift"] = shift
    if c.has("label"):
        entry["label"] = c.number("label", 0, MAX_CLASSES - 1, integer=True)
    c.done()
    return entry


def recipe_size(recipe: dict) -> tuple[int, int]:
    """``(points, classes)`` of a recipe checked by :func:`validate_recipe`, without drawing it."""
    points, next_label, used = 0, 0, set()
    for c in recipe["components"]:
        points += c["n"]
        next_label = _label(c, next_label, used)
    return points, len(used)


def _label(component: dict, next_label: int, used: set) -> int:
    """Add the labels ``component`` draws to ``used``; return the first label after all used so far.

    A component with ``label`` joins that class; any other takes fresh labels from ``next_label``.
    """
    if "label" in component:
        used.add(component["label"])
        return max(next_label, component["label"] + 1)
    used.update(range(next_label, next_label + classes_of(component)))
    return next_label + classes_of(component)


def from_recipe(recipe: dict) -> tuple[np.ndarray, np.ndarray]:
    """Compose a 2-D dataset from generated components (see the module's docstring).

    The recipe is checked by :func:`validate_recipe` first: every problem raises
    ``SpecError`` naming the field, e.g. ``recipe.components[1].scale``.

    Returns
    -------
    X : ndarray of float64, shape (total n, 2)
    y : ndarray of int64, shape (total n,)
    """
    recipe = validate_recipe(recipe)
    seed = recipe["seed"]
    Xs, ys = [], []
    next_label = 0
    for i, c in enumerate(recipe["components"]):
        X, y = RECIPE_GENERATORS[c["generator"]].fn(c["n"], c["noise"], classes_of(c),
                                                     np.random.default_rng([seed, i]))
        # every component is mapped, the identity too: the same bits as a recipe that spells it out
        X = c.get("scale", 1.0) * X + np.array(c.get("shift", [0.0, 0.0]), dtype=np.float64)
        if "label" in c:
            y = np.full_like(y, c["label"])
            next_label = max(next_label, c["label"] + 1)
        else:
            y = y + next_label
            next_label = int(y.max()) + 1
        Xs.append(X)
        ys.append(y)
    X = np.concatenate(Xs)
    y = np.concatenate(ys)
    order = np.random.default_rng(seed).permutation(len(y))
    X, y = X[order], y[order]
    share = recipe.get("label_noise", 0.0)
    if share > 0.0:
        classes = int(y.max()) + 1
        rng = np.random.default_rng([seed, LABEL_NOISE_STREAM])
        flip = rng.choice(len(y), size=int(share * len(y)), replace=False)
        y[flip] = (y[flip] + rng.integers(1, classes, size=len(flip))) % classes
    return X, y


__all__ = ["validate_recipe", "recipe_size", "from_recipe", "classes_of", "MAX_COMPONENTS", "COORD_BOUND",
           "RECIPE_FIELDS", "COMPONENT_FIELDS"]
