"""Reading a JSON spec field by field, with errors that name the field and the range.

Every spec is checked completely before any work starts.  ``Fields`` wraps one
JSON object; each accessor checks one key and remembers it, and ``done()``
rejects the keys nobody asked for (a typo such as ``"lerning_rate"`` must not
silently fall back to a default).
"""

from __future__ import annotations

import json
import math
import numbers
import re
import reprlib
import sys

from .errors import SpecError

REQUIRED = object()
MAX_KEY_CHARS = 40  # a key longer than this is shortened where an error names it
BIG_INT_BITS = 64  # an integer this wide is shown by its size, not its digits
LOG10_2 = 0.3010299956639812  # log10(2) rounded to a double: a constant, not a libm call (docs/determinism.md)


def _short_repr() -> reprlib.Repr:
    # bounded in depth and width, so a value nested 100,000 deep is shown without recursing
    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxdict, r.maxstring, r.maxother = 3, 4, 4, 30, 30
    r.maxlong = 30
    return r


_REPR = _short_repr()


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:g}"
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > BIG_INT_BITS:
        # str() of an int over 4300 digits raises ValueError; its size is what matters here
        return f"about {'-' if x < 0 else ''}1e{int(x.bit_length() * LOG10_2)}"
    return str(x)


def shown(value) -> str:
    """``value`` as an error message shows it: at most 40 characters, safe for any size and depth."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = _fmt(value)
    else:
        text = _REPR.repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_describe = shown


def key_name(key) -> str:
    """How an error names ``key`` in a field path: as it is when plain, else quoted as JSON
    (so an empty key reads ``""`` and ``"a.b"`` is not two keys); shortened when long."""
    text = key if isinstance(key, str) else _describe(key)
    plain = _PLAIN_KEY.fullmatch(text)
    if len(text) > MAX_KEY_CHARS:
        text = text[:MAX_KEY_CHARS - 3] + "..."
    return text if plain else json.dumps(text, ensure_ascii=False)


_PLAIN_KEY = re.compile(r"[^\s\x00-\x1f.\[\]\"\\]+")  # no space, control, dot, bracket, quote or backslash


def _too_big_for_float(value) -> bool:
    # JSON integers have no size limit; beyond 1.8e308 they do not fit in a float64
    return isinstance(value, int) and abs(value) > _FLOAT_MAX


_FLOAT_MAX = int(sys.float_info.max)


class Fields:
    """Typed, range-checked access to the keys of one JSON object.

    Parameters
    ----------
    obj : object
        The value to read; must be a dict (``SpecError`` otherwise).
    path : str
        Where ``obj`` sits in the spec, used to name fields in errors.
    """

    def __init__(self, obj, path: str):
        if not isinstance(obj, dict):
            raise SpecError(path or "spec", f"must be an object, got {_describe(obj)}")
        self.obj = obj
        self.path = path
        self.used: set[str] = set()

    def field(self, key: str) -> str:
        """The path of ``key`` (or of a sub-path such as ``"points[3]"``) below this object."""
        name = key if isinstance(key, str) and key.strip() else key_name(key)
        return f"{self.path}.{name}" if self.path else name

    def _get(self, key, default):
        self.used.add(key)
        if key in self.obj:
            return self.obj[key]
        if default is REQUIRED:
            raise SpecError(self.field(key), "is required")
        return default

    def value(self, key: str, default=REQUIRED):
        """The raw value of ``key``, for a caller that checks it itself."""
        return self._get(key, default)

    def has(self, key: str) -> bool:
        return key in self.obj

    def number(self, key, lo, hi, default=REQUIRED, integer=False, lo_open=False, hi_open=False):
        """A finite number in [lo, hi] (ends open where asked); an int when ``integer``."""
        value = self._get(key, default)
        name = self.field(key)
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise SpecError(name, f"must be {kind} between {_fmt(lo)} and {_fmt(hi)}, got {_describe(value)}")
        if not isinstance(value, int) and not math.isfinite(value):  # every int is finite
            raise SpecError(name, f"must be a finite number between {_fmt(lo)} and {_fmt(hi)}, got {value}")
        if integer:
            if value != int(value):
                raise SpecError(name, f"must be an integer between {lo} and {hi}, got {_describe(value)}")
            value = int(value)
        elif not _too_big_for_float(value):  # one that is stays an int: it fails the range check below
            value = float(value)
        below = value <= lo if lo_open else value < lo
        above = value >= hi if hi_open else value > hi
        if below or above:
            left = "(" if lo_open else "["
            right = ")" if hi_open else "]"
            raise SpecError(name, f"must be in {left}{_fmt(lo)}, {_fmt(hi)}{right}, got {_fmt(value)}")
        return value

    def choice(self, key, options, default=REQUIRED) -> str:
        value = self._get(key, default)
        if not isinstance(value, str) or value not in options:
            allowed = ", ".join(sorted(options))
            raise SpecError(self.field(key), f"must be one of {allowed}; got {_describe(value)}")
        return value

    def boolean(self, key, default=REQUIRED) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise SpecError(self.field(key), f"must be true or false, got {_describe(value)}")
        return value

    def string(self, key, max_len, default=REQUIRED) -> str:
        value = self._get(key, default)
        if not isinstance(value, str) or len(value) > max_len:
            raise SpecError(self.field(key), f"must be a string of at most {max_len} characters")
        return value

    def sub(self, key, default=REQUIRED) -> "Fields":
        return Fields(self._get(key, default), self.field(key))

    def array(self, key, min_len, max_len, default=REQUIRED) -> list:
        value = self._get(key, default)
        name = self.field(key)
        if not isinstance(value, list):
            raise SpecError(name, f"must be a list of {min_len} to {max_len} items, got {_describe(value)}")
        if not min_len <= len(value) <= max_len:
            raise SpecError(name, f"must have {min_len} to {max_len} items, got {len(value)}")
        return value

    def done(self) -> None:
        extra = sorted((k for k in self.obj if k not in self.used), key=str)  # str: a Python caller may use int keys
        if extra:
            allowed = ", ".join(sorted(self.used)) or "none"
            name = key_name(extra[0])  # the spec's own key: quoted unless plain
            raise SpecError(f"{self.path}.{name}" if self.path else name, f"unknown key (allowed here: {allowed})")


def check_number(value, name: str, lo, hi, integer=False):
    """A finite number in [lo, hi] given as a bare value; ``name`` is its field path."""
    try:
        return Fields({"_": value}, "").number("_", lo, hi, integer=integer)
    except SpecError as e:
        raise SpecError(name, e.message) from None
