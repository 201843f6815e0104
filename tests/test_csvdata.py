"""Uploaded CSV tables: parsed exactly, and every problem reported with its line."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descentlab.csvdata import MAX_CLASSES, MAX_CSV_BYTES, MAX_FEATURES, MAX_ROWS, parse_csv
from descentlab.errors import SpecError

SIMPLE = "x1,x2,label\n1,2,cat\n3,4,dog\n5,6,cat\n"


def test_simple():
    t = parse_csv(SIMPLE)
    assert t == {"points": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "labels": [0, 1, 0],
                 "columns": ["x1", "x2"], "label_column": "label", "classes": ["cat", "dog"],
                 "n": 3, "d": 2, "separator": ","}


def test_label_column_by_name_index_and_case():
    text = "y,a,b\n0,1.5,-2\n1,3e-2,4\n"
    for lc in ("y", "Y", " y ", 0, -3):
        t = parse_csv(text, lc)
        assert t["label_column"] == "y" and t["columns"] == ["a", "b"]
        assert t["points"] == [[1.5, -2.0], [0.03, 4.0]] and t["labels"] == [0, 1]
    assert parse_csv(text, "a")["columns"] == ["y", "b"]


def test_numeric_labels_sorted_text_labels_by_first_appearance():
    t = parse_csv("a,b\n1,3\n2,1\n3,2\n4,1.0\n")
    assert t["classes"] == [1, 2, 3] and t["labels"] == [2, 0, 1, 0]  # "1" and "1.0" are one class
    t = parse_csv("a,b\n1,zebra\n2,ant\n3,zebra\n")
    assert t["classes"] == ["zebra", "ant"] and t["labels"] == [0, 1, 0]
    t = parse_csv("a,b\n1,-1\n2,+1\n")
    assert t["classes"] == [-1, 1]
    t = parse_csv("a,b\n1,0.5\n2,0.25\n")
    assert t["classes"] == [0.25, 0.5] and t["labels"] == [1, 0]


@pytest.mark.parametrize("text, sep", [
    ("a;b;c\n1;2;x\n3;4;y\n", ";"),
    ("a\tb\tc\n1\t2\tx\n3\t4\ty\n", "\t"),
    ("a,b,c\n1,2,x\n3,4,y\n", ","),
    ('"a;1","b;2",c\n1,2,x\n3,4,y\n', ","),  # separators inside quotes do not count
])
def test_separator_detection(text, sep):
    t = parse_csv(text)
    assert t["separator"] == sep and t["points"] == [[1.0, 2.0], [3.0, 4.0]] and t["n"] == 2


def test_decimal_comma_with_semicolons():
    t = parse_csv("a;b;c\n1,5;-2,25;x\n3;4;y\n")
    assert t["points"] == [[1.5, -2.25], [3.0, 4.0]]


def test_quotes_whitespace_bom_crlf_blank_lines():
    text = '\ufeff"first x", "second, x",label\r\n\r\n  1 , " 2 ", "a"\r\n   \r\n3,4,b\r\n,,\r\n'
    t = parse_csv(text)
    assert t["columns"] == ["first x", "second, x"] and t["points"] == [[1.0, 2.0], [3.0, 4.0]]
    assert t["classes"] == ["a", "b"]


ERRORS = [
    # (text, label_column, words in the message, which must all be there)
    ("", None, ["line 1", "empty"]),
    ("\n\n   \n", None, ["line 1", "empty"]),
    ("x1 x2 label\n1 2 3\n", None, ["line 1", "one column"]),
    ("a,b,c\n1,2,x\n3,4\n", None, ["line 3: 2 cells, expected 3"]),
    ("a,b,c\n1,2,x\n\n\n5,6,y,7\n", None, ["line 5: 4 cells, expected 3"]),
    ("a,b,c\n1,2,x\n3,4,y\n\n# comment\n", None, ["line 5: 1 cell, expected 3"]),
    ("a,x2,c\n1,2,x\n" + "1,2,y\n" * 9 + "3,abc,y\n", None, ["line 12, column 'x2': 'abc' is not a number"]),
    ("a,b,c\n1,2,x\n1,NaN,y\n", None, ["line 3, column 'b'", "not a finite number"]),
    ("a,b,c\n1,2,x\n-inf,2,y\n", None, ["line 3, column 'a'", "not a finite number"]),
    ("a,b,c\n1,2,x\n1,Infinity,y\n", None, ["line 3, column 'b'", "not a finite number"]),
    ("a,b,c\n1,1e999,x\n", None, ["line 2, column 'b'", "out of range"]),
    ("a,b,c\n1,2e10,x\n", None, ["line 2, column 'b'", "out of range"]),
    ("a,b,c\n1," + "9" * 5000 + ",x\n", None, ["line 2, column 'b'", "out of range"]),
    ("a,b,c\n1,1_000,x\n", None, ["line 2, column 'b'", "is not a number"]),
    ("a,b,c\n1,0x10,x\n", None, ["line 2, column 'b'", "is not a number"]),
    ("a,b,c\n1,,x\n", None, ["line 2, column 'b'", "empty cell"]),
    ("a,b,c\n1,2,\n3,4,y\n", None, ["line 2, column 'c'", "empty label"]),
    ("a,b,c\n1,2,x\n3,4,x\n\n5,6,x\n", None, ["lines 2-5", "every label", "'x'", "at least 2 classes"]),
    ("a,b,c\n1,2,1\n3,4,1.0\n", None, ["lines 2-3", "at least 2 classes"]),
    ("a,b,c\n" + "".join(f"1,2,k{i}\n" for i in range(MAX_CLASSES + 1)), None,
     [f"line {MAX_CLASSES + 2}, column 'c'", f"class number {MAX_CLASSES + 1}", f"at most {MAX_CLASSES}"]),
    ("a,b,c\n", None, ["line 1", "no data rows"]),
    ("a,a,c\n1,2,x\n", None, ["line 1", "duplicate column name 'a'"]),
    ("a, A ,a\n1,2,x\n", None, ["line 1", "duplicate column name 'a'", "columns 1 and 3"]),
    ("\n\na,,c\n1,2,x\n", None, ["line 3", "column 2 has no name"]),
    ("1,2,3\n4,5,6\n", None, ["line 1", "only numbers", "header"]),
    ("a,b,c\n1,2,x\n3,4,y\n", "label", ["line 1", "no column named 'label'", "'a', 'b', 'c'"]),
    ("a,b,c\n1,2,x\n3,4,y\n", 3, ["line 1", "no column 3"]),
    ("a,b,c\n1,2,x\n3,4,y\n", -4, ["line 1", "no column -4"]),
    ("a,b,c\n1,2,x\n3,4,y\n", True, ["line 1", "label_column"]),
    ("a,b,c\n1,2,x\n3,4,y\n", 1.0, ["line 1", "label_column"]),
    ('a,b,c\n1,2,x\n3,"4,y\n5,6,z\n', None, ["line 3", "not valid CSV", "never closed"]),
    ('a,b,c\n1,"2"x,x\n', None, ["line 2", "not valid CSV", "after a closing quote"]),
    ('a,b,c\n1,2"x",x\n', None, ["line 2, column 'b'", "is not a number"]),
    ("a,b,c\n1,2,x\n3,4\x00,y\n", None, ["line 3", "NUL"]),
    (",".join(f"f{i}" for i in range(MAX_FEATURES + 1)) + ",y\n", None,
     ["line 1", f"{MAX_FEATURES + 2} columns", f"at most {MAX_FEATURES + 1}"]),
    ("a,b,c\n" + "1,2,x\n3,4,y\n" * (MAX_ROWS // 2) + "5,6,x\n", None,
     [f"line {MAX_ROWS + 2}", f"more than {MAX_ROWS}"]),
    ("a,b,c\n" + ("1,2,x\n" * (MAX_CSV_BYTES // 6 + 10)), None, ["line ", "passes 2 MB", "at most 2 MB"]),
    ("x" * 200 + ",b\n1,x\n", None, ["line 1", "longer than 100"]),
    ("a,b\n1," + "x" * 200 + "\n", None, ["line 2, column 'b'", "longer than 100"]),
]


@pytest.mark.parametrize("text, label_column, words", ERRORS, ids=[e[2][0][:40] for e in ERRORS])
def test_errors_name_the_line(text, label_column, words):
    with pytest.raises(SpecError) as err:
        parse_csv(text, label_column)
    assert err.value.field == "csv"
    assert "line" in err.value.message
    for w in words:
        assert w in err.value.message, err.value.message


def test_size_error_names_the_line_where_the_limit_is_passed():
    text = "a,b,c\n" + ("1,2,x\n" * (MAX_CSV_BYTES // 6 + 10))
    with pytest.raises(SpecError) as err:
        parse_csv(text)
    line = text.encode()[:MAX_CSV_BYTES].count(b"\n") + 1
    assert err.value.message.startswith(f"line {line}:")


def test_not_text():
    with pytest.raises(SpecError, match="csv: must be the text"):
        parse_csv(b"a,b\n1,2\n")


def test_line_numbers_count_multiline_quoted_cells():
    text = 'a,b,c\n1,2,"two\nlines"\n3,x,y\n'
    with pytest.raises(SpecError, match="line 4, column 'b'"):
        parse_csv(text)


def test_largest_allowed():
    header = ",".join(f"f{i}" for i in range(MAX_FEATURES)) + ",y\n"
    rows = "".join(",".join(str((r * 7 + j) % 17) for j in range(MAX_FEATURES)) + f",{r % MAX_CLASSES}\n"
                   for r in range(MAX_ROWS))
    t = parse_csv(header + rows)
    assert t["n"] == MAX_ROWS and t["d"] == MAX_FEATURES and t["classes"] == list(range(MAX_CLASSES))


def test_deterministic():
    assert parse_csv(SIMPLE) == parse_csv(SIMPLE)


NUMBERISH = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers().map(str),
                      st.sampled_from(["1e999", "-1e999", "+.5", "-0", "1_000", "0x10", "1e", ".", "2e9", "1e9",
                                       "nan", "inf", "", "1.5.5", "٣"]),
                      st.text(alphabet="0123456789+-.eE", min_size=1, max_size=8))


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBERISH, min_size=1, max_size=5))
def test_a_row_read_at_once_is_read_as_cell_by_cell(cells):
    # parse_csv checks a row's features with one match; any doubt falls back to one cell at a time
    from descentlab.csvdata import _number
    names = [f"f{i}" for i in range(len(cells))]
    text = ",".join(names + ["label"]) + "\n" + ",".join(cells + ["a"]) + "\n" + ",".join(["0"] * len(cells) + ["b"])
    try:
        expected = [_number(c, 2, n, False) for c, n in zip(cells, names)]
    except SpecError as e:
        with pytest.raises(SpecError) as got:
            parse_csv(text)
        assert got.value.message == e.message
        return
    assert parse_csv(text)["points"][0] == expected
