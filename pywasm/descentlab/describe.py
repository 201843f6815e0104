"""Datasets described in words: a small offline recipe maker, and recipe checks.

``describe("two moons and a blob, very noisy")`` turns a short English phrase
into a dataset *recipe* (the schema of :func:`descentlab.datasets.from_recipe`),
and says which words it used, which it did not understand, and what it decided.
It is a fixed vocabulary read by a few plain rules: no randomness, no network,
no model, so the same words always give the same recipe.

Vocabulary (``VOCABULARY`` holds the full lists, for the page to display)
-------------------------------------------------------------------------
shapes
    moons (moon, half moons, crescents), circles (rings, concentric, donut),
    spirals (spiral, swirl, interleaved), blobs (clusters, gaussians; a single
    "blob"/"cluster" is one class), xor (quadrants), checkerboard (chessboard,
    grid), linear (line, separable, linearly separable).
counts
    "500 points", "200 samples", "n=300", "100 points per class" / "each",
    number words ("one" .. "twenty", "thirty" .. "ninety", "hundred",
    "thousand", "2k", "1,000"), "a few", "several", "many", "lots of";
    sizes "tiny", "small", "large", "big", "huge".  A number below 20 right
    before a shape counts the shape's classes ("three spirals" = three arms,
    "4 blobs"); "3 classes", "with 4 classes", "3 arms" set the classes.  Any
    other number of at least 20 ("500 moons", "moons 500") is the number of
    points.
noise
    none ("no noise", "clean", "noiseless"), low ("a little noise",
    "slightly noisy", "tight"), medium ("noise", "some noise", the default),
    high ("noisy", "fuzzy"), very high ("very noisy", "lots of noise");
    or a value: "noise 0.3", "noise=0.3", "0.3 noise".  The level becomes a
    per-shape standard deviation from ``NOISE_LEVELS`` (a blob needs a wider
    spread than a circle for the same look).
overlap
    "overlapping", "touching", "separated", "well separated", "far apart":
    set the noise level and the gap between combined shapes.
imbalance
    "imbalanced", "a rare class", "90/10" (or "80/15/5"), "mostly ...":
    split the points unevenly between the parts of the dataset.  The parts
    are the combined shapes or, for blobs alone, the blobs themselves; the
    other generators always draw balanced classes, so "imbalanced moons" only
    gives a note.
combinations
    "and", "plus", "+", ",", "with", "along with" ... start a new shape when a
    shape word follows ("two moons and a blob").  A part without a shape
    ("with lots of noise") applies to the shape before it when introduced by
    "with"/"having", and to every shape otherwise.  Shapes are laid out left to
    right, three to a row; "below", "above", "left", "in the middle"/"inside"
    place a shape relative to the one before.  "noise points", "outliers", "background
    points" add a wide cloud of points whose labels are spread over the
    existing classes (label noise).
seed
    "seed 7", "seed=7", "random seed 7" (default 0).

Stop words (``STOP_WORDS``: "a", "the", "with" when nothing follows, "of",
"some", "points", "data", "make", "please", ...) carry no meaning here: they are
neither listed as understood nor flagged as ignored.  Every other word the rules
do not use is returned in ``ignored``, so the page can show what was not
understood.

The recipe always passes :func:`validate_recipe` and
:func:`descentlab.datasets.from_recipe`: at most ``MAX_POINTS`` points and
``MAX_CLASSES`` classes in all (larger requests are scaled down, with a note).

Untrusted recipes (a user's JSON, a language model's answer) go through
:func:`validate_recipe`; :data:`LLM_PROMPT` is the system prompt the page may send
to an OpenAI-compatible chat endpoint, and :func:`parse_llm_answer` reads its
answer.  Nothing here ever executes text: JSON is parsed, checked key by key and
number by number, and anything unknown is rejected.
"""

from __future__ import annotations

import json
import re

import numpy as np

from . import datasets as D
from .errors import SpecError
from .validate import Fields, check_number, key_name

MAX_POINTS = 5000  # all components together (as network.MAX_SAMPLES)
MIN_POINTS = 20  # as network.MIN_SAMPLES: enough to train and validate
MAX_CLASSES = 10  # as network.MAX_CLASSES
MAX_COMPONENTS = 24  # up to 10 shapes, plus one outlier cloud per class
MAX_SEED = D.MAX_SEED
MAX_TEXT_CHARS = 1000
MAX_ANSWER_CHARS = 20_000  # a language model's answer
MAX_NUMBER = 1e15  # larger numbers in a description are read as this: every count, seed and level is far below
COORD_BOUND = D.RECIPE_COORD_BOUND  # |scale| and |shift| in a validated recipe
DEFAULT_N = 200  # points of a shape when no count is given
DEFAULT_BLOB_N = 100  # points of a single blob
BARE_COUNT_MIN = 20  # a number alone ("moons 500") is a count from this value up
MIN_PER_CLASS = 3  # every class of a component gets at least this many points

# --- vocabulary ------------------------------------------------------------------

# family -> {"plural": [...], "singular": [...], "adjective": [...]}
SHAPES = {
    "moons": {"plural": ["moons", "half moons", "half circles", "crescents", "bananas"],
              "singular": ["moon", "half moon", "half circle", "crescent", "banana"],
              "adjective": []},
    "circles": {"plural": ["circles", "rings", "donuts", "doughnuts"],
                "singular": ["circle", "ring", "donut", "doughnut"],
                "adjective": ["concentric", "circular"]},
    "spirals": {"plural": ["spirals", "swirls"], "singular": ["spiral", "swirl"],
                "adjective": ["interleaved", "interleaving", "twisted"]},
    "blobs": {"plural": ["blobs", "clusters", "gaussians", "clumps"],
              "singular": ["blob", "cluster", "clump"], "adjective": ["gaussian"]},
    "xor": {"plural": ["xor", "quadrants", "exclusive or"], "singular": ["quadrant"], "adjective": []},
    "checkerboard": {"plural": ["checkerboard", "chessboard", "checkers", "checker board", "chess board",
                                "checkerboards", "chequerboard", "grid", "checkered"],
                     "singular": [], "adjective": []},
    "linear": {"plural": ["linear", "line", "lines", "separable", "linearly separable", "half planes",
                          "straight line"],
               "singular": [], "adjective": []},
}

NOISE_WORDS = {
    "none": ["no noise", "noiseless", "noise free", "clean", "without noise", "zero noise", "perfect",
             "very clean", "crisp", "pristine", "exact"],
    "low": ["a little noise", "little noise", "slightly noisy", "slight noise", "low noise",
            "a bit of noise", "bit of noise", "a bit noisy", "a little noisy", "somewhat noisy",
            "mild noise", "not much noise", "tight", "sharp"],
    "medium": ["some noise", "moderate noise", "moderately noisy", "medium noise", "normal noise"],
    "high": ["noisy", "high noise", "much noise", "quite noisy", "fuzzy", "blurry", "messy", "loose",
             "diffuse", "spread out", "wide"],
    "very_high": ["very noisy", "really noisy", "extremely noisy", "super noisy", "lots of noise",
                  "a lot of noise", "heavy noise", "heavily noisy", "tons of noise", "very high noise",
                  "very fuzzy"],
}
NOISE_KEYS = ["noise", "noise level", "sigma", "std", "standard deviation", "noise std"]
LEVELS = ("none", "low", "medium", "high", "very_high")
# generator -> noise standard deviation per level (medium = the generator's default look)
NOISE_LEVELS = {
    "moons": dict(zip(LEVELS, (0.0, 0.05, 0.1, 0.2, 0.35))),
    "circles": dict(zip(LEVELS, (0.0, 0.02, 0.05, 0.1, 0.2))),
    "spirals": dict(zip(LEVELS, (0.0, 0.02, 0.05, 0.1, 0.2))),
    "blobs": dict(zip(LEVELS, (0.15, 0.3, 0.5, 0.9, 1.4))),  # a blob with no spread is one dot
    "blob": dict(zip(LEVELS, (0.05, 0.1, 0.2, 0.35, 0.5))),
    "xor": dict(zip(LEVELS, (0.0, 0.02, 0.05, 0.15, 0.3))),
    "checkerboard": dict(zip(LEVELS, (0.0, 0.01, 0.02, 0.06, 0.12))),
    "linear": dict(zip(LEVELS, (0.0, 0.02, 0.05, 0.15, 0.3))),
}

GAP = 0.5  # space between two shapes laid side by side (before overlap words)
ROW_LENGTH = 3  # shapes placed by default go left to right, three to a row
# phrase -> (noise level, gap between shapes)
OVERLAP_WORDS = {
    "overlapping": ("high", -0.5), "overlap": ("high", -0.5), "overlaps": ("high", -0.5),
    "overlapped": ("high", -0.5), "mixed": ("high", -0.5), "intertwined": ("high", -0.5),
    "heavily overlapping": ("very_high", -1.0), "very overlapping": ("very_high", -1.0),
    "touching": ("medium", 0.0), "close": ("medium", 0.0), "close together": ("medium", 0.0),
    "adjacent": ("medium", 0.0), "slightly overlapping": ("medium", 0.0), "nearby": ("medium", 0.0),
    "separated": ("low", 1.0), "distinct": ("low", 1.0), "apart": ("low", 1.0),
    "well separated": ("low", 1.5), "clearly separated": ("low", 1.5), "spread apart": ("low", 1.5),
    "very well separated": ("low", 2.5), "far apart": ("low", 2.5), "isolated": ("low", 2.5),
}
IMBALANCE_WORDS = {
    "imbalanced": ["imbalanced", "unbalanced", "imbalance", "skewed", "uneven", "lopsided",
                   "class imbalance", "not balanced"],
    "rare": ["rare class", "a rare class", "rare", "minority class", "minority", "small class"],
    "mostly": ["mostly", "mainly", "predominantly", "mostly of"],
    "balanced": ["balanced", "evenly split", "equal classes", "equal sizes", "evenly"],
}
IMBALANCE_FACTOR = 4.0  # "imbalanced": each part has a quarter of the points of the one before
RARE_SHARE = 1.0 / 9.0  # "rare": the part gets 1/9 of the weight of a normal one (10 % of two parts)
MOSTLY_WEIGHT = 9.0  # "mostly X": X gets 9 times the weight of each other part

COUNT_UNITS = ["points", "point", "samples", "sample", "examples", "example", "rows", "observations",
               "data points", "datapoints", "dots", "instances"]
CLASS_UNITS = ["classes", "class", "labels", "colors", "colours", "categories", "groups", "arms",
               "kinds", "types", "different classes"]
EACH_WORDS = ["each", "apiece", "per class", "per arm", "per cluster", "per blob", "per spiral",
              "per group", "per label", "per colour", "per color", "in each class", "for each class",
              "each class"]
N_KEYS = ["n", "size", "sample size", "number of points"]
SEED_KEYS = ["seed", "random seed", "rng seed", "seeded"]
# phrase -> (as a number of classes/shapes, as a number of points)
QUANTIFIERS = {
    "a few": (3, 50), "few": (3, 50), "several": (4, 100), "a couple of": (2, 30), "a couple": (2, 30),
    "couple of": (2, 30), "a handful of": (5, 30), "handful of": (5, 30), "a bunch of": (4, 100),
    "bunch of": (4, 100), "many": (6, 1000), "lots of": (6, 1000), "a lot of": (6, 1000),
    "plenty of": (5, 1000), "numerous": (6, 1000), "tons of": (8, 2000),
}
SIZE_WORDS = {"tiny": 50, "small": 100, "large": 1000, "big": 1000, "huge": 3000, "massive": 5000}
POSITION_WORDS = {
    "centre": ["in the middle", "in the center", "in the centre", "at the center", "at the centre",
               "in the middle of", "in the center of", "in the centre of", "inside", "centered",
               "centred", "in between"],
    "below": ["below", "under", "underneath", "beneath"],
    "above": ["above", "on top", "over"],
    "left": ["to the left", "on the left", "left of", "left"],
    "right": ["to the right", "on the right", "right of", "right", "beside", "next to"],
}
OUTLIER_WORDS = ["noise points", "outliers", "outlier", "outlier points", "background noise",
                 "background points", "random points", "stray points", "scattered points", "label noise"]
OUTLIER_SHARE = 0.1  # outliers without a count: 10 % of the other points
CONJUNCTIONS = ["and", "plus", "+", "&", ",", ";", ".", "!", "?", "along with", "together with",
                "alongside", "as well as", "also", "and also", "then", "but", "next", "beside it"]
WITH_WORDS = ["with", "having", "containing", "that has", "that have", "which has", "which have"]
NOT_SUPPORTED = {
    "3d": "only 2-D datasets can be described",
    "three dimensional": "only 2-D datasets can be described",
    "regression": "the lab makes classification datasets",
    "digits": "the handwritten digits are a dataset of their own: choose them from the dataset list",
    "images": "only 2-D point datasets can be described",
}
STOP_WORDS = sorted(set("""
a an the of some in on at to for from by as is are be been it its this that these those there them
their into onto i me my we us our you your please make create generate give show draw plot build
want need like would could can let get dataset datasets data set points point total overall shaped
shape shapes pattern patterns distribution distributed arranged around kind sort type problem task
classification classifier toy simple 2d plane random just only exactly about roughly approximately
both all so what which where has have had made consisting consists composed up out between labelled
labeled colored coloured do does using use nice good new some lots together form forms forming
looking look looks how something thing things
""".split()))

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                      "eighty": 80, "ninety": 90, "single": 1, "pair": 2})
_MULTIPLIERS = {"hundred": 100, "thousand": 1000}

VOCABULARY = {
    "shapes": {fam: forms["plural"] + forms["singular"] + forms["adjective"] for fam, forms in SHAPES.items()},
    "counts": {"points": COUNT_UNITS, "classes": CLASS_UNITS, "per class": EACH_WORDS, "n": N_KEYS,
               "number words": list(_NUMBER_WORDS) + list(_MULTIPLIERS) + ["dozen", "2k", "1,000"],
               "quantifiers": list(QUANTIFIERS), "sizes": list(SIZE_WORDS)},
    "noise": {**{level: words for level, words in NOISE_WORDS.items()},
              "value": [k + " 0.3" for k in NOISE_KEYS] + ["noise=0.3", "0.3 noise"]},
    "overlap": list(OVERLAP_WORDS),
    "imbalance": {**IMBALANCE_WORDS, "ratio": ["90/10", "80/15/5", "70%/30%"]},
    "combining": {"and": CONJUNCTIONS, "with": WITH_WORDS,
                  "position": {k: v for k, v in POSITION_WORDS.items()}, "outliers": OUTLIER_WORDS},
    "seed": SEED_KEYS,
    "not supported": list(NOT_SUPPORTED),
    "stop words": STOP_WORDS,
}

# --- tokens and phrases ----------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ratio>\d+(?:\.\d+)?%?(?:\s*/\s*\d+(?:\.\d+)?%?)+)
  | (?P<dim>\d+d\b)
  | (?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d*\.\d+|\d+)(?P<k>k\b)?(?P<pct>%)?
  | (?P<word>[^\W\d_]+(?:'[^\W\d_]+)?)
  | (?P<punct>[,;+&=:.!?])
""", re.VERBOSE)

# roles of the items a text is read into
SHAPE, NUM, QUANT, COUNT, CLASSU, EACH, NKEY, SEEDKEY, NOISEKEY, NOISE, OVERLAP, IMBAL, RATIO, SIZE, \
    POS, OUTLIERS, CONJ, PUNCT, STOP, NOTE, UNKNOWN = (
        "shape", "num", "quant", "count", "class", "each", "nkey", "seedkey", "noisekey", "noise",
        "overlap", "imbal", "ratio", "size", "pos", "outliers", "conj", "punct", "stop", "note", "unknown")
SILENT = {COUNT, CLASSU, EACH, PUNCT, STOP}  # neither understood nor ignored when nothing uses them


def _phrase_table() -> dict:
    table = {}

    def add(phrase, role, value=None):
        key = tuple(phrase.split())
        if key in table and table[key][0] == STOP:  # e.g. "points": silent alone, a unit after a number
            pass
        elif key in table and table[key] != (role, value):  # pragma: no cover - caught by the tests
            raise ValueError(f"phrase {phrase!r} has two meanings")
        table[key] = (role, value)

    for word in STOP_WORDS:
        add(word, STOP)
    for fam, forms in SHAPES.items():
        for form, words in forms.items():
            for w in words:
                add(w, SHAPE, (fam, form))
    for level, words in NOISE_WORDS.items():
        for w in words:
            add(w, NOISE, level)
    for w in NOISE_KEYS:
        add(w, NOISEKEY)
    for w, value in OVERLAP_WORDS.items():
        add(w, OVERLAP, value)
    for kind, words in IMBALANCE_WORDS.items():
        for w in words:
            add(w, IMBAL, kind)
    for w in COUNT_UNITS:
        add(w, COUNT)
    for w in CLASS_UNITS:
        add(w, CLASSU)
    for w in EACH_WORDS:
        add(w, EACH)
    for w in N_KEYS:
        add(w, NKEY)
    for w in SEED_KEYS:
        add(w, SEEDKEY)
    for w, value in QUANTIFIERS.items():
        add(w, QUANT, value)
    for w, value in SIZE_WORDS.items():
        add(w, SIZE, value)
    for pos, words in POSITION_WORDS.items():
        for w in words:
            add(w, POS, pos)
    for w in OUTLIER_WORDS:
        add(w, OUTLIERS)
    for w in CONJUNCTIONS:
        add(w, CONJ, "and")
    for w in WITH_WORDS:
        add(w, CONJ, "with")
    for w, why in NOT_SUPPORTED.items():
        add(w, NOTE, why)
    for w in ("=", ":"):
        add(w, PUNCT)
    return table


PHRASES = _phrase_table()
_LONGEST = max(len(k) for k in PHRASES)


class _Item:
    __slots__ = ("role", "value", "text", "pct", "pos")

    def __init__(self, role, value, text, pct=False):
        self.role, self.value, self.text, self.pct, self.pos = role, value, text, pct, 0

    def __repr__(self):  # pragma: no cover - debugging aid
        return f"{self.role}:{self.text}"


def _tokens(text: str) -> list[tuple[str, str, object]]:
    """``(kind, surface, value)``: kind is ratio, dim, num, word or punct."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<=[^\W\d_])[-_/](?=[^\W\d_])", " ", text)  # half-moons, well-separated
    out = []
    for m in _TOKEN.finditer(text):
        if m.group("ratio"):
            surface = m.group("ratio")
            parts = [float(p.strip().rstrip("%")) for p in surface.split("/")]
            out.append(("ratio", re.sub(r"\s+", "", surface), parts))
        elif m.group("dim"):
            out.append(("dim", m.group("dim"), None))
        elif m.group("num"):
            digits = m.group("num").replace(",", "")
            value = float(digits)
            if m.group("k"):
                value *= 1000.0
            value = min(value, MAX_NUMBER)  # 10**400 digits would be inf, and int(inf) raises
            out.append(("num", m.group(0), (value, bool(m.group("pct")))))
        elif m.group("word"):
            out.append(("word", m.group("word"), None))
        else:
            out.append(("punct", m.group("punct"), None))
    return out


def _items(text: str) -> list[_Item]:
    """Read the text into items: longest phrase first, number words combined."""
    toks = _tokens(text)
    items: list[_Item] = []
    i = 0
    while i < len(toks):
        kind, surface, value = toks[i]
        if kind == "ratio":
            items.append(_Item(RATIO, value, surface))
            i += 1
            continue
        if kind == "dim":
            items.append(_Item(STOP, None, surface) if surface == "2d" else
                         _Item(NOTE, NOT_SUPPORTED["3d"], surface))
            i += 1
            continue
        # number words, possibly several: "two hundred fifty", "a thousand", "1.5 thousand"
        j, number = _number_words(toks, i)
        if j > i:
            items.append(_Item(NUM, float(number), " ".join(t[1] for t in toks[i:j])))
            i = j
            continue
        if kind == "num":
            amount, pct = value
            j = i + 1
            if j < len(toks) and toks[j][1] in _MULTIPLIERS and not pct:
                amount *= _MULTIPLIERS[toks[j][1]]
                j += 1
            items.append(_Item(NUM, amount, " ".join(t[1] for t in toks[i:j]), pct))
            i = j
            continue
        for length in range(min(_LONGEST, len(toks) - i), 0, -1):
            key = tuple(t[1] for t in toks[i:i + length])
            if key in PHRASES and all(t[0] in ("word", "punct") for t in toks[i:i + length]):
                role, meaning = PHRASES[key]
                items.append(_Item(role, meaning, " ".join(key)))
                i += length
                break
        else:
            items.append(_Item(PUNCT if kind == "punct" else UNKNOWN, None, surface))
            i += 1
    for pos, it in enumerate(items):
        it.pos = pos
    return items


def _number_words(toks, i) -> tuple[int, int]:
    """Combine number words from ``toks[i]``; return (end index, value), end == i if none.

    "two hundred fifty" = 250, "a thousand" = 1000, "a dozen" = 12, "single" = 1.
    """
    total, current, j, seen = 0, 0, i, False
    if j + 1 < len(toks) and toks[j][1] == "a" and toks[j + 1][1] in ("hundred", "thousand", "dozen"):
        current, j, seen = 1, j + 1, True
    while j < len(toks) and toks[j][0] == "word":
        w = toks[j][1]
        if w == "dozen":
            current = (current or 1) * 12
        elif w == "hundred":
            current = (current or 1) * 100
        elif w == "thousand":
            total += (current or 1) * 1000
            current = 0
        elif w in ("single", "pair"):
            if seen:
                break
            current = _NUMBER_WORDS[w]
        elif w in _NUMBER_WORDS:
            current += _NUMBER_WORDS[w]
        else:
            break
        seen = True
        j += 1
    return (j, total + current) if seen else (i, 0)


# --- reading the items -----------------------------------------------------------


class _Mods:
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
        self.seed = None


# Words that alone set one field of the clause's modifiers, e.g. "noisy" -> noise_level.
_SETS_FIELD = {NOISE: "noise_level", OVERLAP: "overlap", SIZE: "size", POS: "position"}


class _Reader:
    def __init__(self):
        self.used: list[tuple[int, str]] = []  # (item position, phrase): understood, in text order
        self.prefix: dict[int, _Item] = {}  # shape position -> the number said right before it
        self.ignored: list[str] = []
        self.notes: list[str] = []

    def understood(self, it: _Item, text: str | None = None) -> None:
        self.used.append((it.pos, text if text is not None else it.text))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def ignore(self, text: str) -> None:
        if text not in self.ignored:
            self.ignored.append(text)

    def clause(self, items: list[_Item], mods: _Mods) -> None:
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
        if it.pct:
            if target is not None and target.role == OUTLIERS:
                mods.outlier_share = min(count / 100.0, 0.5)
                self.prefix[target.pos] = it
                return
            self.ignore(it.text)
            self.note(f"'{it.text}': a percentage only sets the share of outliers ('10% outliers')")
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


def _segments(items: list[_Item]) -> list[tuple[str, list[_Item]]]:
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


def _groups(seg: list[_Item]) -> list[tuple[int, int]]:
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


class _Part:
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
        :func:`validate_recipe`.

    Raises
    ------
    SpecError
        (field ``"describe"``) only when ``text`` is not a string or too long.
    """
    if not isinstance(text, str):
        raise SpecError("describe", "must be a text")
    if len(text) > MAX_TEXT_CHARS:
        raise SpecError("describe", f"must be at most {MAX_TEXT_CHARS} characters, got {len(text)}")
    reader = _Reader()
    items = _items(text)
    glob = _Mods()
    parts: list[_Part] = []
    for kind, seg in _segments(items):
        groups = _groups(seg)
        if not groups:
            target = parts[-1].mods if kind == "with" and parts else glob
            reader.clause(seg, target)
            continue
        bounds = [0] + [g[1] for g in groups[:-1]] + [len(seg)]
        for g, (start, end) in enumerate(groups):
            mods = _Mods()
            reader.clause(seg[bounds[g]:bounds[g + 1]], mods)
            words = seg[start:end]
            text_of = " ".join(w.text for w in words if w.role != STOP)
            if words[0].role == OUTLIERS:
                parts.append(_Part("outliers", None, text_of, mods))
            else:
                shapes = [w for w in words if w.role == SHAPE]
                nouns = [w for w in shapes if w.value[1] != "adjective"]
                head = nouns[-1] if nouns else shapes[0]
                families = {w.value[0] for w in nouns}
                if len(families) > 1:
                    reader.note(f"'{text_of}' names several shapes; using {head.value[0]}")
                form = head.value[1] if nouns else ("singular" if head.value[0] == "blobs" else "plural")
                parts.append(_Part(head.value[0], form, text_of, mods))
            said = reader.prefix.pop(words[0].pos, None)
            if said is not None:
                reader.understood(said, f"{said.text} {text_of}")
            else:
                reader.understood(words[0], text_of)
    for p in parts:  # a seed may be said anywhere
        if p.mods.seed is not None:
            glob.seed = p.mods.seed
    recipe = _build(parts, glob, reader)
    validate_recipe(recipe)  # the rules above must always produce a valid recipe
    understood = [text for _, text in sorted(reader.used, key=lambda e: e[0])]
    return {"recipe": recipe, "understood": understood, "ignored": reader.ignored, "notes": reader.notes}


# --- from parts to a recipe ------------------------------------------------------


def _first(*values):
    return next((v for v in values if v is not None), None)


def _resolve_shape(p: _Part, glob: _Mods, reader: _Reader) -> None:
    """Pick the generator and its number of classes."""
    m = p.mods
    classes = m.classes
    fam = p.family
    if fam == "blobs":
        k = _first(classes, m.multiplicity)
        if k is None and glob.classes is not None and p.form != "singular":
            k = glob.classes
        if k is None and p.form != "singular" and m.ratios and 2 <= len(m.ratios) <= 8:
            k = len(m.ratios)
        if k is None:
            k = 1 if p.form == "singular" else D.GENERATORS["blobs"].params["classes"]["default"]
        lo, hi = 2, D.GENERATORS["blobs"].params["classes"]["max"]
        if k > hi:
            reader.note(f"at most {hi} blobs in one group; using {hi}")
            k = hi
        if k <= 1:
            p.generator, p.classes = "blob", 1
        else:
            p.generator, p.classes = "blobs", max(lo, k)
        return
    p.generator = fam
    params = D.GENERATORS[fam].params
    if "classes" in params:  # spirals
        lo, hi = params["classes"]["min"], params["classes"]["max"]
        k = _first(classes, m.multiplicity if m.multiplicity and m.multiplicity > 1 else None)
        if k is None:
            k = params["classes"]["default"]
        if not lo <= k <= hi:
            reader.note(f"{fam} can have {lo} to {hi} arms; using {min(max(k, lo), hi)}")
            k = min(max(k, lo), hi)
        p.classes = k
        return
    p.classes = D.FIXED_CLASSES
    asked = _first(classes, m.multiplicity if m.multiplicity not in (1, 2) else None)
    if asked is not None and asked != D.FIXED_CLASSES:
        reader.note(f"{fam} always has {D.FIXED_CLASSES} classes")


def _noise(p: _Part, glob: _Mods, reader: _Reader) -> float:
    m = p.mods
    gen = p.generator
    hi = D.RECIPE_GENERATORS[gen].params["noise"]["max"]
    value = _first(m.noise_value, None if m.noise_level else glob.noise_value)
    if value is not None:
        if value > hi:
            reader.note(f"noise {value:g} is more than {gen} allows; using {hi:g}")
            value = hi
        return float(value)
    overlap = _first(m.overlap, glob.overlap)
    level = _first(m.noise_level, glob.noise_level, overlap[0] if overlap else None, "medium")
    if level == "none" and NOISE_LEVELS[gen]["none"] > 0.0:
        reader.note(f"'no noise' still gives {gen} a spread of {NOISE_LEVELS[gen]['none']:g}"
                    " (without it every point of a blob would sit on one spot)")
    return NOISE_LEVELS[gen][level]


def _weights_down(k: int, factor: float) -> list[float]:
    out, w = [], 1.0
    for _ in range(k):
        out.append(w)
        w = w / factor
    return out


def _split(total: int, weights: list[float], minimum: list[int]) -> list[int]:
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


def _min_n(p: _Part) -> int:
    return max(D.RECIPE_GENERATORS[p.generator].params["n"]["min"], MIN_PER_CLASS * p.classes)


def _extent(p: _Part) -> tuple[float, float]:
    """Half width and half height of a part's points, noise included (about 2 standard deviations)."""
    s = 2.0 * p.noise
    if p.generator == "moons":
        return 1.5 + s, 0.75 + s
    if p.generator == "blobs":
        return D.BLOB_RADIUS + s, D.BLOB_RADIUS + s
    if p.generator == "blob":
        return max(s, 0.2), max(s, 0.2)
    if p.generator == "linear":
        return 1.1 + s, 1.1 + s
    return 1.0 + s, 1.0 + s  # circles, spirals, xor, checkerboard


def _layout(shapes: list[_Part], glob: _Mods) -> tuple[float, float]:
    """Place each shape relative to the one before; centre the whole; return its half size."""
    if not shapes:
        return 1.0, 1.0
    boxes = []
    x = y = 0.0
    row = []  # indices of the shapes in the current row (default placement wraps after ROW_LENGTH)
    for i, p in enumerate(shapes):
        hx, hy = _extent(p)
        if i > 0:
            overlap = _first(p.mods.overlap, glob.overlap)
            gap = overlap[1] if overlap else GAP
            px, py, phx, phy = boxes[-1]
            where = p.mods.position or "right"
            if p.mods.position is None and len(row) == ROW_LENGTH:
                first = boxes[row[0]]
                x = first[0] - first[2] + hx
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


def _imbalance(shapes: list[_Part], glob: _Mods, reader: _Reader) -> None:
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


def _build(parts: list[_Part], glob: _Mods, reader: _Reader) -> dict:
    shapes = [p for p in parts if p.family != "outliers"]
    outliers = [p for p in parts if p.family == "outliers"]
    if not shapes:
        fam = "blobs"
        reader.note("no shape named; using blobs" + (" (say e.g. 'two moons', 'three spirals')"
                                                     if glob.classes is None else ""))
        shapes = [_Part(fam, "plural", "blobs", _Mods())]
    for p in shapes:
        _resolve_shape(p, glob, reader)
    # classes: a global count fills the one shape that can vary, else it must match
    if glob.classes is not None:
        variable = [p for p in shapes if p.generator in ("blobs", "spirals") and p.mods.classes is None
                    and p.mods.multiplicity is None]
        others = sum(p.classes for p in shapes if p not in variable)
        if len(variable) == 1:
            g = D.GENERATORS[variable[0].generator].params["classes"]
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
    shapes = kept
    for p in shapes:
        p.noise = _noise(p, glob, reader)
    _imbalance(shapes, glob, reader)
    _counts(shapes, glob, reader)
    half_w, half_h = _layout(shapes, glob)
    comps = []
    for p in shapes:
        comps.extend(_components(p))
    comps.extend(_outliers(outliers, shapes, half_w, half_h, reader))
    _limit_total(comps, reader)
    seed = glob.seed if glob.seed is not None else 0
    return {"components": comps, "seed": seed}


def _counts(shapes: list[_Part], glob: _Mods, reader: _Reader) -> None:
    for p in shapes:
        m = p.mods
        n = m.n if m.n is not None else (m.n_each * p.classes if m.n_each is not None else None)
        if n is None and glob.n_each is not None:
            n = glob.n_each * p.classes
        p.fixed_n = n is not None
        p.n = n if n is not None else _first(m.size, DEFAULT_BLOB_N if p.generator == "blob" else DEFAULT_N)
    free = [p for p in shapes if not p.fixed_n]
    total = _first(glob.n, glob.size if not any(p.fixed_n for p in shapes) else None)
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
        for p, n in zip(free, _split(rest, weights, minimum)):
            p.n = n
    elif total is not None:
        reader.note("every shape has its own count; the total count was not used")
    for p in shapes:
        lo = _min_n(p)
        if p.n < lo:
            reader.note(f"'{p.text}' needs at least {lo} points; using {lo}")
            p.n = lo


def _components(p: _Part) -> list[dict]:
    if p.split_blobs:
        k = p.classes
        weights = p.weight
        sizes = _split(p.n, weights, [max(D.RECIPE_GENERATORS["blob"].params["n"]["min"], MIN_PER_CLASS)] * k)
        out = []
        for c in range(k):
            angle = np.array([D.TWO_PI * c / k])
            centre = D._polar(np.array([D.BLOB_RADIUS]), angle)[0]  # exactly where blobs puts it
            shift = [round(float(centre[j]) + p.shift[j], 6) + 0.0 for j in (0, 1)]
            out.append({"generator": "blob", "n": sizes[c], "noise": p.noise, "shift": shift})
        return out
    comp = {"generator": p.generator, "n": int(p.n), "noise": p.noise}
    if p.generator in ("blobs", "spirals"):
        comp["classes"] = p.classes
    if p.shift != (0.0, 0.0):
        comp["shift"] = [p.shift[0], p.shift[1]]
    return [comp]


def _outliers(outliers, shapes, half_w, half_h, reader) -> list[dict]:
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
    lo = D.RECIPE_GENERATORS["blob"].params["n"]["min"] * classes
    if n < lo:
        n = lo
    spread = round(max(half_w, half_h, 1.0) / 2.0, 4)
    sizes = _split(n, [1.0] * classes, [D.RECIPE_GENERATORS["blob"].params["n"]["min"]] * classes)
    reader.note(f"{n} outliers: a wide cloud whose labels are spread evenly over the {classes} classes")
    comps = []
    for c in range(classes):
        comp = {"generator": "blob", "n": sizes[c], "noise": 1.0, "label": c}
        if spread != 1.0:
            comp["scale"] = spread
        comps.append(comp)
    return comps


def _limit_total(comps: list[dict], reader: _Reader) -> None:
    total = sum(c["n"] for c in comps)
    if MIN_POINTS <= total <= MAX_POINTS:
        return
    target = MAX_POINTS if total > MAX_POINTS else MIN_POINTS
    minimum = [max(D.RECIPE_GENERATORS[c["generator"]].params["n"]["min"],
                   MIN_PER_CLASS * c.get("classes", 1 if c["generator"] == "blob" else D.FIXED_CLASSES))
               for c in comps]
    sizes = _split(target, [float(c["n"]) for c in comps], minimum)
    for c, n in zip(comps, sizes):
        c["n"] = n
    reader.note(f"{total} points in all is {'more' if total > target else 'fewer'} than allowed;"
                f" using {sum(sizes)}")


def noise_band(generator: str, noise: float) -> str:
    """The named level (``LEVELS``) whose value in ``NOISE_LEVELS`` is nearest to ``noise``."""
    table = NOISE_LEVELS[generator]
    return min(LEVELS, key=lambda level: (abs(table[level] - noise), LEVELS.index(level)))


# --- untrusted recipes -----------------------------------------------------------

RECIPE_FIELDS = ("components", "seed")
COMPONENT_FIELDS = ("generator", "n", "noise", "classes", "scale", "shift", "label")


def _only_keys(obj, allowed, path):
    if not isinstance(obj, dict):
        raise SpecError(path, f"must be an object, got {type(obj).__name__}")
    for key in obj:
        if not isinstance(key, str) or key not in allowed:
            raise SpecError(f"{path}.{key_name(key)}", f"unknown key; allowed: {', '.join(allowed)}")


def validate_recipe(obj, path: str = "recipe") -> dict:
    """Check an untrusted recipe completely and return it normalized.

    Only the keys of the recipe schema are accepted; every number must be
    finite and in range (``n``, ``noise`` and ``classes`` per generator as in
    ``datasets.RECIPE_GENERATORS``; ``|scale|`` and ``|shift[j]|`` at most
    ``COORD_BOUND``; ``label`` 0..``MAX_CLASSES``−1); at most ``MAX_COMPONENTS``
    components, ``MAX_POINTS`` points and ``MAX_CLASSES`` classes in all, and
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
    out, total, next_label, used = [], 0, 0, set()
    for i, comp in enumerate(comps):
        cpath = f"{path}.components[{i}]"
        _only_keys(comp, COMPONENT_FIELDS, cpath)
        c = Fields(comp, cpath)
        gen = c.choice("generator", D.RECIPE_GENERATORS)
        p = D.RECIPE_GENERATORS[gen].params
        entry = {"generator": gen,
                 "n": c.number("n", p["n"]["min"], min(p["n"]["max"], MAX_POINTS), p["n"]["default"],
                               integer=True),
                 "noise": c.number("noise", p["noise"]["min"], p["noise"]["max"], p["noise"]["default"])}
        if "classes" in p:
            k = c.number("classes", p["classes"]["min"], p["classes"]["max"], p["classes"]["default"],
                         integer=True)
            if gen != "blob":
                entry["classes"] = k
        else:
            k = D.FIXED_CLASSES
            if c.has("classes"):
                c.number("classes", D.FIXED_CLASSES, D.FIXED_CLASSES, integer=True)
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
            label = c.number("label", 0, MAX_CLASSES - 1, integer=True)
            entry["label"] = label
            used.add(label)
            next_label = max(next_label, label + 1)
        else:
            used.update(range(next_label, next_label + k))
            next_label += k
        c.done()
        total += entry["n"]
        if total > MAX_POINTS:
            raise SpecError(f"{cpath}.n", f"the components may have at most {MAX_POINTS} points in all;"
                            f" this one brings the total to {total}")
        if next_label > MAX_CLASSES:
            raise SpecError(cpath, f"at most {MAX_CLASSES} classes in all; this component brings them to"
                            f" {next_label}")
        out.append(entry)
    if used != set(range(len(used))):
        raise SpecError(f"{path}.components", f"labels must be 0..C-1 without gaps, got {sorted(used)}")
    return {"components": out, "seed": seed}


def recipe_size(recipe: dict) -> tuple[int, int]:
    """``(points, classes)`` of a recipe checked by :func:`validate_recipe`, without drawing it."""
    points, next_label, used = 0, 0, set()
    for c in recipe["components"]:
        points += c["n"]
        if "label" in c:
            used.add(c["label"])
            next_label = max(next_label, c["label"] + 1)
        else:
            k = c.get("classes", 1 if c["generator"] == "blob" else D.FIXED_CLASSES)
            used.update(range(next_label, next_label + k))
            next_label += k
    return points, len(used)


# --- a language model as the recipe maker ----------------------------------------


def _generator_lines() -> str:
    lines = []
    for name, g in D.RECIPE_GENERATORS.items():
        p = g.params
        parts = [f"n {p['n']['min']}..{p['n']['max']} (default {p['n']['default']})",
                 f"noise {p['noise']['min']:g}..{p['noise']['max']:g} (default {p['noise']['default']:g})"]
        if "classes" in p and name != "blob":
            parts.append(f"classes {p['classes']['min']}..{p['classes']['max']}"
                         f" (default {p['classes']['default']})")
        else:
            parts.append(f"always {1 if name == 'blob' else D.FIXED_CLASSES} class"
                         + ("" if name == "blob" else "es") + " (no \"classes\" key)")
        lines.append(f"- {name}: {g.description} {'; '.join(parts)}.")
    return "\n".join(lines)


_EXAMPLE_1 = {"components": [{"generator": "spirals", "n": 600, "noise": 0.02, "classes": 3}], "seed": 0}
_EXAMPLE_2 = {"components": [{"generator": "moons", "n": 300, "noise": 0.2},
                             {"generator": "blob", "n": 100, "noise": 0.2, "shift": [0.0, -1.6]}],
              "seed": 7}

LLM_PROMPT = f"""You turn a short description of a 2-D classification dataset into a JSON recipe.
Answer with ONLY one JSON object: no prose, no explanation, no code fence.

Schema:
{{"components": [COMPONENT, ...], "seed": INTEGER}}
COMPONENT = {{"generator": NAME, "n": INTEGER, "noise": NUMBER, "classes": INTEGER,
             "scale": NUMBER, "shift": [NUMBER, NUMBER], "label": INTEGER}}
Only "generator" is required in a component; no other keys are allowed anywhere.

Generators (NAME) and their parameters:
{_generator_lines()}

Rules:
- 1 to {MAX_COMPONENTS} components; {MIN_POINTS} to {MAX_POINTS} points ("n") and 2 to {MAX_CLASSES} classes in all.
- "seed": integer 0..{MAX_SEED} (default 0).
- Each component's points become scale * x + shift; "scale" and each "shift" number within
  -{COORD_BOUND:g}..{COORD_BOUND:g}. Every generator draws around the origin, about 3 units wide
  (blobs about 5): shift combined shapes apart by about that much unless they should overlap.
- Labels: each component's classes get new labels after those already used (moons then a blob
  give classes 0, 1 and 2). "label": k puts all of a component's points in existing class k
  (0..{MAX_CLASSES - 1}), e.g. for outliers. The labels must end up 0..C-1 without gaps.
- Noise is a standard deviation in the same units: 0 is clean; for moons 0.05 is a little,
  0.2 is noisy; for blobs 0.5 is normal.

Example: "three spirals with a little noise, 600 points"
{json.dumps(_EXAMPLE_1)}

Example: "noisy moons and a blob below them, seed 7"
{json.dumps(_EXAMPLE_2)}
"""

_FENCE = re.compile(r"```[ \t]*(?:json|JSON|javascript|js)?[ \t]*\n?(.*?)```", re.DOTALL)
MAX_JSON_TRIES = 50


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constants(name):
    raise ValueError(f"{name} is not allowed in a recipe")


def _top_level_braces(body: str) -> list[int]:
    """Positions of each "{" not inside another {...} (strings skipped): the candidate objects."""
    out, depth, in_string, escaped = [], 0, False, False
    for i, ch in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = depth > 0  # quotes in the prose around the JSON do not start strings
        elif ch == "{":
            if depth == 0:
                out.append(i)
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
    return out


def parse_llm_answer(text) -> dict:
    """Read the recipe out of a chat model's answer.

    The first JSON object in the answer is used (inside a ```json fence when
    there is one; objects nested in another are not candidates, so an
    invalid recipe is reported as such rather than replaced by one of its
    components); ``{"recipe": {...}}`` is unwrapped.  It is then checked by
    :func:`validate_recipe`: unknown keys (``"__proto__"`` included), numbers
    out of range, too many points or classes are all rejected.

    Raises
    ------
    SpecError
        with field ``"recipe"`` and a message saying what is wrong.
    """
    if not isinstance(text, str):
        raise SpecError("recipe", "the model's answer must be text")
    if len(text) > MAX_ANSWER_CHARS:
        raise SpecError("recipe", f"the model's answer is too long ({len(text)} characters;"
                        f" at most {MAX_ANSWER_CHARS})")
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    obj, first_error = None, None
    for start in _top_level_braces(body)[:MAX_JSON_TRIES]:
        try:
            obj, _ = decoder.raw_decode(body, start)
            break
        except (ValueError, RecursionError) as e:
            if first_error is None:
                first_error = str(e) or "too deeply nested"
            obj = None
    if obj is None:
        if first_error is not None:
            raise SpecError("recipe", f"the model's answer is not valid JSON ({first_error});"
                            " expected only a JSON recipe object")
        raise SpecError("recipe", "the model's answer contains no JSON object; expected only a JSON recipe"
                        ' like {"components": [{"generator": "moons"}], "seed": 0}')
    if isinstance(obj, dict) and set(obj) == {"recipe"} and isinstance(obj["recipe"], dict):
        obj = obj["recipe"]
    try:
        return validate_recipe(obj)
    except SpecError as e:
        raise SpecError("recipe", f"the model's answer is not a valid recipe: {e.field}: {e.message}") from None


__all__ = ["describe", "validate_recipe", "recipe_size", "parse_llm_answer", "noise_band", "LLM_PROMPT",
           "VOCABULARY", "NOISE_LEVELS", "STOP_WORDS", "MAX_POINTS", "MAX_CLASSES", "MAX_COMPONENTS"]
