"""Reading a description into items: tokens, then the longest known phrase first.

``read_items("two half-moons, 500 points")`` gives one :class:`Item` per phrase,
each with its role (a shape, a number, a noise word, a stop word, ...) and its
meaning from :mod:`.vocabulary`.  Number words are combined ("two hundred
fifty" is 250) and "2k", "1,000", "90/10", "10%" are read as numbers.
"""

from __future__ import annotations

import re

from .vocabulary import (CLASS_UNITS, CONJUNCTIONS, COUNT_UNITS, EACH_WORDS, IMBALANCE_WORDS, LABEL_NOISE_WORDS,
                         MAX_NUMBER,
                         MULTIPLIERS, N_KEYS, NOISE_KEYS, NOISE_WORDS, NOT_SUPPORTED, NUMBER_WORDS, OUTLIER_WORDS,
                         OVERLAP_WORDS, POSITION_WORDS, QUANTIFIERS, SEED_KEYS, SHAPES, SIZE_WORDS, STOP_WORDS,
                         WITH_WORDS)

_TOKEN = re.compile(r"""
    (?P<ratio>\d+(?:\.\d+)?%?(?:\s*/\s*\d+(?:\.\d+)?%?)+)
  | (?P<dim>\d+d\b)
  | (?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d*\.\d+|\d+)(?P<k>k\b)?(?P<pct>%)?
  | (?P<word>[^\W\d_]+(?:'[^\W\d_]+)?)
  | (?P<punct>[,;+&=:.!?])
""", re.VERBOSE)

# roles of the items a text is read into
SHAPE, NUM, QUANT, COUNT, CLASSU, EACH, NKEY, SEEDKEY, NOISEKEY, NOISE, OVERLAP, IMBAL, RATIO, SIZE, \
    POS, OUTLIERS, LABELNOISE, CONJ, PUNCT, STOP, NOTE, UNKNOWN = (
        "shape", "num", "quant", "count", "class", "each", "nkey", "seedkey", "noisekey", "noise",
        "overlap", "imbal", "ratio", "size", "pos", "outliers", "labelnoise", "conj", "punct", "stop", "note",
        "unknown")
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

    # (role, words, value): every word means value; value None: the role alone says it all
    plain = [(STOP, STOP_WORDS, None), (NOISEKEY, NOISE_KEYS, None), (COUNT, COUNT_UNITS, None),
             (CLASSU, CLASS_UNITS, None), (EACH, EACH_WORDS, None), (NKEY, N_KEYS, None),
             (SEEDKEY, SEED_KEYS, None), (OUTLIERS, OUTLIER_WORDS, None),
             (LABELNOISE, LABEL_NOISE_WORDS, None), (CONJ, CONJUNCTIONS, "and"),
             (CONJ, WITH_WORDS, "with"), (PUNCT, ("=", ":"), None)]
    # (role, {meaning: words}) and (role, {word: value})
    grouped = [(NOISE, NOISE_WORDS), (IMBAL, IMBALANCE_WORDS), (POS, POSITION_WORDS)]
    valued = [(OVERLAP, OVERLAP_WORDS), (QUANT, QUANTIFIERS), (SIZE, SIZE_WORDS), (NOTE, NOT_SUPPORTED)]
    for role, words, value in plain:
        for w in words:
            add(w, role, value)
    for fam, forms in SHAPES.items():
        for form, words in forms.items():
            for w in words:
                add(w, SHAPE, (fam, form))
    for role, meanings in grouped:
        for meaning, words in meanings.items():
            for w in words:
                add(w, role, meaning)
    for role, values in valued:
        for w, value in values.items():
            add(w, role, value)
    return table


PHRASES = _phrase_table()
_LONGEST = max(len(k) for k in PHRASES)


class Item:
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


def read_items(text: str) -> list[Item]:
    """Read the text into items: longest phrase first, number words combined."""
    toks = _tokens(text)
    items: list[Item] = []
    i = 0
    while i < len(toks):
        kind, surface, value = toks[i]
        if kind == "ratio":
            items.append(Item(RATIO, value, surface))
            i += 1
            continue
        if kind == "dim":
            items.append(Item(STOP, None, surface) if surface == "2d" else
                         Item(NOTE, NOT_SUPPORTED["3d"], surface))
            i += 1
            continue
        # number words, possibly several: "two hundred fifty", "a thousand", "1.5 thousand"
        j, number = _number_words(toks, i)
        if j > i:
            items.append(Item(NUM, float(number), " ".join(t[1] for t in toks[i:j])))
            i = j
            continue
        if kind == "num":
            amount, pct = value
            j = i + 1
            if j < len(toks) and toks[j][1] in MULTIPLIERS and not pct:
                amount *= MULTIPLIERS[toks[j][1]]
                j += 1
            items.append(Item(NUM, amount, " ".join(t[1] for t in toks[i:j]), pct))
            i = j
            continue
        for length in range(min(_LONGEST, len(toks) - i), 0, -1):
            key = tuple(t[1] for t in toks[i:i + length])
            if key in PHRASES and all(t[0] in ("word", "punct") for t in toks[i:i + length]):
                role, meaning = PHRASES[key]
                items.append(Item(role, meaning, " ".join(key)))
                i += length
                break
        else:
            items.append(Item(PUNCT if kind == "punct" else UNKNOWN, None, surface))
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
            current = NUMBER_WORDS[w]
        elif w in NUMBER_WORDS:
            current += NUMBER_WORDS[w]
        else:
            break
        seen = True
        j += 1
    return (j, total + current) if seen else (i, 0)
