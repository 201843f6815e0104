"""``describe(text)``: a short English description read into a dataset recipe.

The text is read into items (:mod:`.phrases`) and cut into clauses around the
shape words (:mod:`.clauses`); each shape becomes a :class:`~.clauses.Part`
whose generator, noise and place are resolved (:mod:`.parts`), the points are
shared out (:mod:`.sizes`), and the parts become the components of one recipe.
"""

from __future__ import annotations

from ..datasets import GENERATORS, validate_recipe
from ..datasets.recipes import RECIPE_FIELDS
from ..errors import SpecError
from .clauses import Mods, Part, Reader, groups, segments
from .parts import components, layout, noise_of, resolve_shape
from .phrases import OUTLIERS, SHAPE, STOP, Item, read_items
from .sizes import counts, imbalance, limit_total, outliers_of
from .vocabulary import MAX_CLASSES, MAX_TEXT_CHARS

# Said when no word of the text was understood: three default blobs would hide that.
NOTHING_UNDERSTOOD = ("understood nothing in this text; name a shape and, if you like, a count and the noise,"
                      " e.g. 'two moons, 300 points' or 'three spirals with a little noise'")


def describe(text: str) -> dict:
    """Turn a short description into a dataset recipe.

    Parameters
    ----------
    text : str
        At most ``MAX_TEXT_CHARS`` characters of English, e.g.
        ``"three spirals with a little noise, 600 points"``.

    Returns
    -------
    dict
        ``{"recipe": {"components": [...], "seed": s}, "understood": [phrases],
        "ignored": [words], "notes": [sentences]}``.  The recipe passes
        :func:`~descentlab.datasets.validate_recipe`.

    Raises
    ------
    SpecError
        (field ``"describe"``) when ``text`` is not a string, is too long, or has
        no word the rules understand (empty text included): a dataset made of
        nothing the learner said would look like an answer.
    """
    if not isinstance(text, str):
        raise SpecError("describe", "must be a text")
    if len(text) > MAX_TEXT_CHARS:
        raise SpecError("describe", f"must be at most {MAX_TEXT_CHARS} characters, got {len(text)}")
    reader = Reader()
    glob = Mods()
    parts = read_parts(read_items(text), glob, reader)
    for p in parts:  # a seed may be said anywhere
        if p.mods.seed is not None:
            glob.seed = p.mods.seed
    understood = [text for _, text in sorted(reader.used, key=lambda e: e[0])]
    if not understood:
        raise SpecError("describe", NOTHING_UNDERSTOOD + (f" (not understood: {', '.join(reader.ignored)})"
                                                          if reader.ignored else ""))
    recipe = build(parts, glob, reader)
    _label_noise(recipe, [glob] + [p.mods for p in parts], reader)
    validate_recipe(recipe)  # the rules above must always produce a valid recipe
    return {"recipe": recipe, "understood": understood, "ignored": reader.ignored, "notes": reader.notes}


def read_parts(items: list[Item], glob: Mods, reader: Reader) -> list[Part]:
    """One :class:`Part` per shape group; words outside any group go to ``glob`` (or, after
    "with", to the shape before them)."""
    parts: list[Part] = []
    for kind, seg in segments(items):
        found = groups(seg)
        if not found:
            target = parts[-1].mods if kind == "with" and parts else glob
            reader.clause(seg, target)
            continue
        bounds = [0] + [g[1] for g in found[:-1]] + [len(seg)]
        for g, (start, end) in enumerate(found):
            mods = Mods()
            reader.clause(seg[bounds[g]:bounds[g + 1]], mods)
            words = seg[start:end]
            parts.append(_part(words, mods, reader))
            said = reader.prefix.pop(words[0].pos, None)
            if said is not None:
                reader.understood(said, f"{said.text} {parts[-1].text}")
            else:
                reader.understood(words[0], parts[-1].text)
    return parts


def _part(words: list[Item], mods: Mods, reader: Reader) -> Part:
    """The part a shape group names: its last noun decides ("concentric rings" are circles)."""
    text_of = " ".join(w.text for w in words if w.role != STOP)
    if words[0].role == OUTLIERS:
        return Part("outliers", None, text_of, mods)
    shapes = [w for w in words if w.role == SHAPE]
    nouns = [w for w in shapes if w.value[1] != "adjective"]
    head = nouns[-1] if nouns else shapes[0]
    if len({w.value[0] for w in nouns}) > 1:
        reader.note(f"'{text_of}' names several shapes; using {head.value[0]}")
    form = head.value[1] if nouns else ("singular" if head.value[0] == "blobs" else "plural")
    return Part(head.value[0], form, text_of, mods)


def build(parts: list[Part], glob: Mods, reader: Reader) -> dict:
    """The recipe of the parts: shapes resolved, classes fitted, points shared out, laid out."""
    shapes = [p for p in parts if p.family != "outliers"]
    outliers = [p for p in parts if p.family == "outliers"]
    if not shapes:
        reader.note("no shape named; using blobs" + (" (say e.g. 'two moons', 'three spirals')"
                                                     if glob.classes is None else ""))
        shapes = [Part("blobs", "plural", "blobs", Mods())]
    for p in shapes:
        resolve_shape(p, glob, reader)
    shapes = _fit_classes(shapes, glob, reader)
    for p in shapes:
        p.noise = noise_of(p, glob, reader)
    imbalance(shapes, glob, reader)
    counts(shapes, glob, reader)
    half_w, half_h = layout(shapes, glob)
    comps = []
    for p in shapes:
        comps.extend(components(p))
    comps.extend(outliers_of(outliers, shapes, half_w, half_h, reader))
    limit_total(comps, reader)
    seed = glob.seed if glob.seed is not None else 0
    return {"components": comps, "seed": seed}


def _label_noise(recipe: dict, mods: list[Mods], reader: Reader) -> None:
    """The share of labels to flip, said anywhere in the text (the last one said wins), set on the recipe.

    The recipe's ``label_noise`` gives that share of the points, picked at random, another class:
    nothing moves and nothing is added (outliers are a different thing: "10% outliers").
    """
    shares = [m.label_noise for m in mods if m.label_noise is not None]
    if not shares:
        return
    share = shares[-1]
    if "label_noise" not in RECIPE_FIELDS:  # a core without label flipping: say so, add nothing
        reader.note(f"{share:.0%} label noise asked for, but this version's recipes cannot flip labels;"
                    " no labels were flipped")
        return
    recipe["label_noise"] = share
    reader.note(f"{share:.0%} of the labels are flipped to another class (no point is moved or added)")


def _fit_classes(shapes: list[Part], glob: Mods, reader: Reader) -> list[Part]:
    """A global class count fills the one shape that can vary (else it must match); at least two
    classes, at most ``MAX_CLASSES`` (shapes past it are dropped)."""
    if glob.classes is not None:
        variable = [p for p in shapes if p.generator in ("blobs", "spirals") and p.mods.classes is None
                    and p.mods.multiplicity is None]
        others = sum(p.classes for p in shapes if p not in variable)
        if len(variable) == 1:
            g = GENERATORS[variable[0].generator].params["classes"]
            want = glob.classes - others
            variable[0].classes = min(max(want, g["min"]), g["max"])
        total = sum(p.classes for p in shapes)
        if total != glob.classes:
            reader.note(f"asked for {glob.classes} classes, the shapes make {total}")
    if sum(p.classes for p in shapes) < 2:  # one blob alone: nothing to classify
        shapes[0].generator, shapes[0].classes = "blobs", 2
        reader.note("a single blob is only one class; using two blobs")
    kept, classes = [], 0
    for p in shapes:
        if classes + p.classes > MAX_CLASSES:
            reader.note(f"dropped '{p.text}': at most {MAX_CLASSES} classes in all")
            continue
        kept.append(p)
        classes += p.classes
    return kept
