"""Reading the items of one clause: counts, noise, overlap, imbalance, position, seed.

A description is cut at conjunctions ("and", ",", "with", ...) into
:func:`segments`, and each segment into shape :func:`groups`.  A
:class:`Reader` reads the words around a shape into its :class:`Mods` and
remembers what it understood, what it ignored and what it decided; a
:class:`Part` is one shape with its mods, before it becomes recipe components.
"""

from __future__ import annotations

from .phrases import (CLASSU, CONJ, COUNT, EACH, IMBAL, LABELNOISE, NKEY, NOISE, NOISEKEY, NOTE, NUM, OUTLIERS, OVERLAP, POS,
                      PUNCT, QUANT, RATIO, SEEDKEY, SHAPE, SIZE, STOP, UNKNOWN, Item)
from .vocabulary import BARE_COUNT_MIN, LABEL_NOISE_SHARE, MAX_CLASSES, MAX_SEED


def first(*values):
    """The first of ``values`` that is not None (a part's own words before the whole text's)."""
    return next((v for v in values if v is not None), None)


class Mods:
    """What one clause (or the whole text) says about counts, noise, layout."""

    def __init__(self):
        self.n = None  # explicit number of points
        self.n_each = None  # points per class
        self.size = None  # from a size word
        self.classes = None
        self.multiplicity = None  # the number right before the shape word
        self.noise_value = None
        self.noise_level = None
        self.overlap = None  # (level, gap)
        self.imbalance = []  # "imbalanced", "rare", "mostly", "balanced"
        self.ratios = None
        self.position = None
        self.outlier_share = None
        self.label_noise = None  # share of the labels flipped, 0..1
        self.seed = None


# Words that alone set one field of the clause's modifiers, e.g. "noisy" -> noise_level.
_SETS_FIELD = {NOISE: "noise_level", OVERLAP: "overlap", SIZE: "size", POS: "position"}


class Reader:
    """What a text was read into: the phrases understood (in text order), the words ignored, and
    notes on what was decided; :meth:`clause` reads one clause."""

    def __init__(self):
        self.used: list[tuple[int, str]] = []  # (item position, phrase): understood, in text order
        self.prefix: dict[int, Item] = {}  # shape position -> the number said right before it
        self.ignored: list[str] = []
        self.notes: list[str] = []

    def understood(self, it: Item, text: str | None = None) -> None:
        self.used.append((it.pos, text if text is not None else it.text))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def ignore(self, text: str) -> None:
        if text not in self.ignored:
            self.ignored.append(text)

    def clause(self, items: list[Item], mods: Mods) -> None:
        """Read the modifiers of one clause into ``mods`` (shape items are left to the caller)."""
        used = [False] * len(items)

        def ahead(i, skip):
            k = i + 1
            while k < len(items) and (used[k] or items[k].role in skip):
                k += 1
            return k if k < len(items) else None

        for i, it in enumerate(items):
            if used[i]:
                continue
            r = it.role
            if r in (NUM, QUANT):
                used[i] = True
                self._number(items, i, used, mods, ahead)
            elif r in (NKEY, SEEDKEY, NOISEKEY):
                used[i] = True
                k = ahead(i, {PUNCT, STOP})
                target = items[k] if k is not None and k - i <= 3 else None
                follow = ahead(k, {STOP}) if target is not None else None
                unit_next = follow is not None and items[follow].role in (COUNT, CLASSU)
                if target is not None and target.role == NUM and not target.pct and not unit_next:
                    used[k] = True
                    self.understood(it, f"{it.text} {target.text}")
                    self._keyed(r, target, mods)
                elif r == NOISEKEY:
                    self.understood(it)
                    mods.noise_level = "medium"
                else:
                    self.ignore(it.text)
                    self.note(f"'{it.text}' needs a number after it, e.g. '{it.text} 7'")
            elif r in _SETS_FIELD:
                self.understood(it)
                setattr(mods, _SETS_FIELD[r], it.value)
            elif r == IMBAL:
                self.understood(it)
                mods.imbalance.append(it.value)
            elif r == RATIO:
                parts = it.value
                if 2 <= len(parts) <= MAX_CLASSES and all(p > 0 for p in parts):
                    self.understood(it)
                    mods.ratios = parts
                else:
                    self.ignore(it.text)
                    self.note(f"'{it.text}': a split needs 2 to {MAX_CLASSES} positive parts, like 90/10")
            elif r == LABELNOISE:  # no share said before it ("noisy labels"): the default share
                used[i] = True
                self.understood(it)
                mods.label_noise = LABEL_NOISE_SHARE
                self.note(f"'{it.text}' without a share flips {LABEL_NOISE_SHARE:.0%} of the labels"
                          " (say e.g. '20% label noise')")
            elif r == NOTE:
                self.ignore(it.text)
                self.note(f"'{it.text}': {it.value}")
            elif r == UNKNOWN:
                self.ignore(it.text)
            # SHAPE, OUTLIERS: read by the caller; the SILENT roles alone mean nothing

    def _keyed(self, role, target, mods):
        value = target.value
        if role == NKEY:
            mods.n = self._count(value, target.text)
        elif role == SEEDKEY:
            if value != int(value) or not 0 <= value <= MAX_SEED:
                self.note(f"seed must be a whole number from 0 to {MAX_SEED}; using 0")
            else:
                mods.seed = int(value)
        else:
            mods.noise_value = value

    def _count(self, value, text):
        if value != int(value) or value < 1:
            self.note(f"'{text}' is not a positive whole number of points; ignored")
            return None
        return int(value)

    def _number(self, items, i, used, mods, ahead):
        it = items[i]
        is_num = it.role == NUM
        mult = int(it.value) if is_num and it.value == int(it.value) else (None if is_num else it.value[0])
        count = (it.value if is_num else it.value[1])
        k = ahead(i, {STOP, NOISE, OVERLAP, SHAPE, SIZE})
        target = items[k] if k is not None else None
        nxt = ahead(i, {STOP})
        if it.pct and target is not None and target.role == LABELNOISE:
            used[k] = True
            share = count / 100.0
            if share > 1.0:
                self.note(f"'{it.text}': at most 100% of the labels can be flipped; using 100%")
            mods.label_noise = min(share, 1.0)
            self.understood(it, f"{it.text} {target.text}")
            return
        if it.pct:
            if target is not None and target.role == OUTLIERS:
                mods.outlier_share = min(count / 100.0, 0.5)
                self.prefix[target.pos] = it
                return
            self.ignore(it.text)
            self.note(f"'{it.text}': a percentage only sets the share of outliers ('10% outliers')"
                      " or of flipped labels ('20% label noise')")
            return
        if target is not None and target.role == OUTLIERS:
            mods.n = self._count(count, it.text)
            self.prefix[target.pos] = it
            return
        if target is not None and target.role == COUNT:
            used[k] = True
            e = ahead(k, {STOP})
            n = self._count(count, it.text)
            if e is not None and items[e].role == EACH:
                used[e] = True
                mods.n_each = n
                self.understood(it, f"{it.text} {target.text} {items[e].text}")
            else:
                mods.n = n
                self.understood(it, f"{it.text} {target.text}")
            return
        if target is not None and target.role == CLASSU and mult is not None:
            used[k] = True
            mods.classes = mult
            self.understood(it, f"{it.text} {target.text}")
            return
        if is_num and nxt is not None and items[nxt].role == NOISEKEY and nxt == i + 1:
            used[nxt] = True
            mods.noise_value = it.value
            self.understood(it, f"{it.text} {items[nxt].text}")
            return
        if nxt is not None and items[nxt].role == SHAPE and mult is not None and mult < BARE_COUNT_MIN:
            mods.multiplicity = mult
            self.prefix[items[nxt].pos] = it
            return
        if is_num and mult is not None and mult >= BARE_COUNT_MIN:
            mods.n = mult
            self.understood(it)
            self.note(f"read {it.text} as the number of points")
            return
        self.ignore(it.text)
        self.note(f"'{it.text}' is not attached to anything; say e.g. '{it.text} points', "
                  f"'{it.text} classes' or 'seed {it.text}'")


def segments(items: list[Item]) -> list[tuple[str, list[Item]]]:
    """Split at conjunctions: ``(joining word kind, items)``, the first with kind "start"."""
    out, current, kind = [], [], "start"
    for it in items:
        if it.role == CONJ:
            out.append((kind, current))
            current, kind = [], it.value
        else:
            current.append(it)
    out.append((kind, current))
    return [(k, seg) for k, seg in out if seg]


def groups(seg: list[Item]) -> list[tuple[int, int]]:
    """Index ranges [start, end) of the shape groups (adjacent shape words, or outliers)."""
    groups = []
    i = 0
    while i < len(seg):
        if seg[i].role == OUTLIERS:
            groups.append((i, i + 1))
            i += 1
        elif seg[i].role == SHAPE:
            j = i + 1
            while j < len(seg):
                k = j
                while k < len(seg) and seg[k].role == STOP:
                    k += 1
                if k < len(seg) and seg[k].role == SHAPE:
                    j = k + 1
                else:
                    break
            groups.append((i, j))
            i = j
        else:
            i += 1
    return groups


class Part:
    """One shape of the description, before it becomes recipe components."""

    def __init__(self, family, form, text, mods):
        self.family, self.form, self.text, self.mods = family, form, text, mods
        self.generator = None
        self.classes = None
        self.n = None
        self.fixed_n = False  # the text gave this part's count
        self.noise = None
        self.weight = 1.0
        self.shift = (0.0, 0.0)
        self.split_blobs = False
