"""Reading a user's CSV file into points and class labels, with errors that give the line.

The page lets a learner drop in their own table.  ``parse_csv(text)`` turns it
into ``{"points", "labels", ...}`` for the ``"dataset"`` and ``"network"`` specs,
or raises ``SpecError("csv", "line 7: 3 cells, expected 4")`` naming the line
(and the column) of the first problem.

The format
----------
* The first non-blank line is a header of column names: non-empty, unique
  (after trimming spaces), at most ``MAX_NAME_CHARS`` characters each.
  Spaces after a separator are skipped, so ``1, "a b"`` is read as two cells.
* The separator is read from the header line: whichever of ``,``, ``;`` and tab
  appears most often there (outside quotes); on a tie, comma before semicolon
  before tab.  Quotes follow the usual CSV rules (the stdlib ``csv`` module, in
  strict mode).  With ``;`` as the separator a decimal comma is accepted
  (``1,5`` means 1.5), as spreadsheets in many locales write it.
* Every other non-blank line is a row with exactly one cell per column.  Blank
  lines (empty or only spaces) are skipped but still counted, so line numbers
  match what an editor shows; so are lines whose cells are all empty (``,,,``
  as spreadsheets export them).  Cells are trimmed.
* One column holds the class labels: ``label_column`` by name, or by 0-based
  index (negative counts from the end), or by default the last column.  Every
  other column is a feature and must hold finite numbers (``12``, ``-0.5``,
  ``3e-2``; no NaN, no inf, no empty cells) of magnitude at most ``MAX_ABS``.
* Labels may be text or numbers.  Classes are numbered 0..C−1: numeric labels
  in increasing numeric order (so 0/1 labels keep their meaning, and 1, 2, 3
  become 0, 1, 2); text labels in order of first appearance.  ``classes`` lists
  the original values in that order.

Limits: ``MAX_CSV_BYTES`` (2 MB of UTF-8), ``MAX_ROWS`` data rows,
``MAX_FEATURES`` feature columns, ``MIN_CLASSES`` to ``MAX_CLASSES`` classes.
"""

from __future__ import annotations

import csv
import io
import math
import re

from .datasets.limits import MAX_ABS, MAX_CLASSES, MAX_FEATURES, MAX_SAMPLES
from .errors import SpecError
from .fields import shown as show_value

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_ROWS = MAX_SAMPLES
MIN_CLASSES = 2
MAX_NAME_CHARS = 100  # a column name
MAX_LABEL_CHARS = 100  # one label
SEPARATORS = (",", ";", "\t")  # tie order
FIELD = "csv"

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# a row's feature cells joined by NUL (refused in the text, so never inside a cell): one match per row
_NUMBERS = re.compile(rf"{_NUMBER.pattern}(?:\x00{_NUMBER.pattern})*")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


def _fail(message: str):
    raise SpecError(FIELD, message)


def _show(cell: str) -> str:
    return repr(cell if len(cell) <= 30 else cell[:27] + "...")


def _separator(header_line: str) -> str:
    counts = {s: 0 for s in SEPARATORS}
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(SEPARATORS, key=lambda s: (counts[s], -SEPARATORS.index(s)))
    return best if counts[best] else ","


def _rows(text: str, sep: str):
    """Yield ``(line number, cells)`` for every non-blank record; line numbers start at 1."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True, skipinitialspace=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            if "unexpected end of data" in str(e):
                _fail(f"line {start}: not valid CSV (a quote opened in this row is never closed)")
            if "expected after" in str(e):
                _fail(f"line {start}: not valid CSV (after a closing quote must come the separator"
                      f" {sep!r} or the end of the line)")
            _fail(f"line {start}: not valid CSV ({e})")
        line = start
        start = reader.line_num + 1
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue  # a blank line
        yield line, cells


def _number(cell: str, line: int, column: str, decimal_comma: bool) -> float:
    if decimal_comma and _DECIMAL_COMMA.fullmatch(cell):
        cell = cell.replace(",", ".")
    if not cell:
        _fail(f"line {line}, column {column!r}: empty cell (a missing value); every feature needs a number")
    if cell.lower() in _NOT_FINITE:
        _fail(f"line {line}, column {column!r}: {_show(cell)} is not a finite number (NaN and inf are not allowed)")
    if not _NUMBER.fullmatch(cell):
        _fail(f"line {line}, column {column!r}: {_show(cell)} is not a number")
    value = float(cell)
    if not math.isfinite(value) or abs(value) > MAX_ABS:
        _fail(f"line {line}, column {column!r}: {_show(cell)} is out of range (at most {MAX_ABS:g} in size)")
    return value


def _features(cells: list[str], features: list[int], line: int, names: list[str], decimal_comma: bool):
    """The feature cells of one row as floats; each cell checked on its own only when one is wrong."""
    picked = [cells[j] for j in features]
    if not decimal_comma and _NUMBERS.fullmatch("\x00".join(picked)):
        values = [float(c) for c in picked]  # as _number would: the same strings, the same floats
        if max(map(abs, values)) <= MAX_ABS:  # a match is never NaN; 1e999 becomes inf and fails here
            return values
    return [_number(cells[j], line, names[j], decimal_comma) for j in features]


def _label_index(label_column, names: list[str], header_line: int) -> int:
    if label_column is None:
        return len(names) - 1
    if isinstance(label_column, bool):
        _fail(f"line {header_line}: label_column must be a column name or index, got {label_column!r}")
    if isinstance(label_column, int):
        if not -len(names) <= label_column < len(names):
            _fail(f"line {header_line}: there is no column {show_value(label_column)} (the header has {len(names)}"
                  f" columns, numbered from 0)")
        return label_column % len(names)
    if isinstance(label_column, str):
        wanted = label_column.strip()
        if wanted in names:
            return names.index(wanted)
        folded = [i for i, n in enumerate(names) if n.casefold() == wanted.casefold()]
        if len(folded) == 1:
            return folded[0]
        shown = ", ".join(repr(n) for n in names[:12]) + (", ..." if len(names) > 12 else "")
        _fail(f"line {header_line}: no column named {_show(wanted)} for the labels; the columns are {shown}")
    _fail(f"line {header_line}: label_column must be a column name or index, got {type(label_column).__name__}")


def parse_csv(text: str, label_column: str | int | None = None) -> dict:
    """Parse a CSV table with a header into points and labels.

    Parameters
    ----------
    text : str
        The whole file.
    label_column : str, int or None
        The column holding the class labels: its header name, its 0-based
        index (negative from the end), or None for the last column.

    Returns
    -------
    dict
        ``points`` (n lists of d floats), ``labels`` (n ints, 0..C−1),
        ``columns`` (the d feature names, in file order), ``label_column``
        (its name), ``classes`` (the C original label values, in class order:
        ints/floats for numeric labels, strings otherwise), ``n``, ``d``,
        ``separator``.

    Raises
    ------
    SpecError
        field ``"csv"``, message starting with the line number.
    """
    text = _checked_text(text)
    first = next((ln for ln in text.splitlines() if ln.strip()), None)
    if first is None:
        _fail("line 1: the file is empty; expected a header line such as x1,x2,label and rows of numbers")
    sep = _separator(first)
    rows = _rows(text, sep)
    header_line, names = next(rows)
    _check_header(header_line, names)
    lab = _label_index(label_column, names, header_line)
    features = [j for j in range(len(names)) if j != lab]
    decimal_comma = sep == ";"
    points, raw_labels, label_lines = [], [], []
    for line, cells in rows:
        if len(cells) != len(names):
            _fail(f"line {line}: {len(cells)} cell{'s' if len(cells) != 1 else ''}, expected {len(names)}")
        if len(points) == MAX_ROWS:
            _fail(f"line {line}: more than {MAX_ROWS} data rows")
        points.append(_features(cells, features, line, names, decimal_comma))
        label = cells[lab]
        if not label:
            _fail(f"line {line}, column {names[lab]!r}: empty label")
        if len(label) > MAX_LABEL_CHARS:
            _fail(f"line {line}, column {names[lab]!r}: a label longer than {MAX_LABEL_CHARS} characters")
        raw_labels.append(label)
        label_lines.append(line)
    if not points:
        _fail(f"line {header_line}: a header but no data rows")
    classes, labels = _classes(raw_labels, label_lines, names[lab], decimal_comma)
    return {"points": points, "labels": labels, "columns": [names[j] for j in features],
            "label_column": names[lab], "classes": classes, "n": len(points), "d": len(features),
            "separator": sep}


def _checked_text(text) -> str:
    """The file's text, refused when it is not text or too large; a byte-order mark dropped."""
    if not isinstance(text, str):
        _fail(f"must be the text of a CSV file, got {type(text).__name__}")
    if len(text) > MAX_CSV_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_CSV_BYTES:
        line = text.encode("utf-8", "surrogatepass")[:MAX_CSV_BYTES].count(b"\n") + 1
        _fail(f"line {line}: the file passes {MAX_CSV_BYTES // (1024 * 1024)} MB here; at most"
              f" {MAX_CSV_BYTES // (1024 * 1024)} MB ({MAX_ROWS} rows of {MAX_FEATURES} features) is read")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark from a spreadsheet export
    if "\x00" in text:
        _fail(f"line {text[:text.index(chr(0))].count(chr(10)) + 1}: contains a NUL byte; this is not a text"
              " CSV file")
    return text


def _check_header(header_line: int, names: list[str]) -> None:
    """Two to ``MAX_FEATURES + 1`` columns, each named, unique and not too long; not a row of numbers."""
    if len(names) < 2:
        _fail(f"line {header_line}: found one column; need at least one feature column and a label column"
              " (separated by ',', ';' or tab)")
    if len(names) > MAX_FEATURES + 1:
        _fail(f"line {header_line}: {len(names)} columns; at most {MAX_FEATURES + 1}"
              f" ({MAX_FEATURES} features and a label)")
    seen = {}
    for j, name in enumerate(names):
        if not name:
            _fail(f"line {header_line}: column {j + 1} has no name; the first line must name every column")
        if len(name) > MAX_NAME_CHARS:
            _fail(f"line {header_line}: the name of column {j + 1} is longer than {MAX_NAME_CHARS} characters")
        if name in seen:
            _fail(f"line {header_line}: duplicate column name {_show(name)}"
                  f" (columns {seen[name] + 1} and {j + 1})")
        seen[name] = j
    if all(_NUMBER.fullmatch(n) for n in names):
        _fail(f"line {header_line}: the first line holds only numbers; it must be a header naming the columns,"
              " e.g. x1,x2,label")


def _span(lines: list[int]) -> str:
    return f"line {lines[0]}" if lines[0] == lines[-1] else f"lines {lines[0]}-{lines[-1]}"


def _classes(raw: list[str], lines: list[int], column: str, decimal_comma: bool):
    """Number the classes; check there are between MIN_CLASSES and MAX_CLASSES of them."""
    first_seen: dict[str, int] = {}
    for label, line in zip(raw, lines):
        if label not in first_seen:
            first_seen[label] = line
            if len(first_seen) > MAX_CLASSES:
                _fail(f"line {line}, column {column!r}: {_show(label)} would be class number {len(first_seen)};"
                      f" at most {MAX_CLASSES} classes (is this column a label?)")
    if len(first_seen) < MIN_CLASSES:
        only = next(iter(first_seen))
        _fail(f"{_span(lines)}: every label in column {column!r} is {_show(only)};"
              f" need at least {MIN_CLASSES} classes")

    def numeric(s):
        if decimal_comma and _DECIMAL_COMMA.fullmatch(s):
            s = s.replace(",", ".")
        return float(s) if _NUMBER.fullmatch(s) else None

    values = {s: numeric(s) for s in first_seen}
    if all(v is not None and math.isfinite(v) for v in values.values()):
        # numeric labels: "1" and "1.0" are the same class, ordered by value
        by_value: dict[float, str] = {}
        for s in first_seen:
            by_value.setdefault(values[s], s)
        ordered = sorted(by_value)
        index = {v: i for i, v in enumerate(ordered)}
        if len(ordered) < MIN_CLASSES:
            _fail(f"{_span(lines)}: every label in column {column!r} is {ordered[0]:g};"
                  f" need at least {MIN_CLASSES} classes")
        classes = [int(v) if v == int(v) else v for v in ordered]
        return classes, [index[values[s]] for s in raw]
    index = {s: i for i, s in enumerate(first_seen)}
    return list(first_seen), [index[s] for s in raw]


__all__ = ["parse_csv", "MAX_CSV_BYTES", "MAX_ROWS", "MAX_FEATURES", "MIN_CLASSES", "MAX_CLASSES"]
