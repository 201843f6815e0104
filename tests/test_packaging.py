"""The package carries what it needs: an installed wheel must find the digits too."""

from pathlib import Path

import descentlab
from descentlab import datasets

ROOT = Path(__file__).resolve().parents[1]


def test_digits_file_is_inside_the_package():
    inside = Path(descentlab.__file__).parent / "data" / "digits.csv.gz"
    assert inside.is_file()  # a link to datasets/digits.csv.gz, followed by wheel builders
    assert inside.read_bytes() == (ROOT / "datasets" / "digits.csv.gz").read_bytes()
    assert datasets.DIGITS_PATHS[0] == inside.resolve() or datasets.DIGITS_PATHS[0] == inside
