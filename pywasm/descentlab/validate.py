"""Reading a JSON spec field by field, with errors that name the field and the range.

Every spec is checked completely before any work starts.  ``Fields`` wraps one
JSON object; each accessor checks one key and remembers it, and ``done()``
rejects the keys nobody asked for (a typo such as ``"lerning_rate"`` must not
silently fall back to a default).
"""

from __future__ import annotations

import math
import numbers

from .errors import SpecError

REQUIRED = object()


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


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
        return f"{self.path}.{key}" if self.path else key

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
        if not math.isfinite(value):
            raise SpecError(name, f"must be a finite number between {_fmt(lo)} and {_fmt(hi)}, got {value}")
        if integer:
            if value != int(value):
                raise SpecError(name, f"must be an integer between {lo} and {hi}, got {_describe(value)}")
            value = int(value)
        else:
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
        extra = sorted(k for k in self.obj if k not in self.used)
        if extra:
            allowed = ", ".join(sorted(self.used)) or "none"
            raise SpecError(self.field(str(extra[0])), f"unknown key (allowed here: {allowed})")


def check_number(value, name: str, lo, hi, integer=False):
    """A finite number in [lo, hi] given as a bare value; ``name`` is its field path."""
    try:
        return Fields({"_": value}, "").number("_", lo, hi, integer=integer)
    except SpecError as e:
        raise SpecError(name, e.message) from None
