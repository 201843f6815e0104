"""The UCI optical-recognition handwritten digits: 1797 images of 8×8 pixels, 10 classes.

The file ships with the package (``descentlab/data/digits.csv.gz``, the
repository's ``datasets/digits.csv.gz`` when run from source) and is checked
against its sha256 before use; see ``datasets/README.md`` for its provenance and
licence.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

DIGITS_FILE = "digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
DIGITS_SHAPE = (1797, 64)
DIGIT_SIDE = 8  # pixels per side of one image
# Inside the installed wheel, then the repository's datasets/ when run from source.
DIGITS_PATHS = (
    Path(__file__).resolve().parents[1] / "data" / DIGITS_FILE,
    Path(__file__).resolve().parents[3] / "datasets" / DIGITS_FILE,
)


@lru_cache(maxsize=1)
def _read_digits() -> tuple[np.ndarray, np.ndarray]:
    path = next((p for p in DIGITS_PATHS if p.is_file()), None)
    if path is None:
        raise FileNotFoundError(f"{DIGITS_FILE} not found; looked in "
                                + ", ".join(str(p) for p in DIGITS_PATHS))
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != DIGITS_SHA256:
        raise ValueError(f"{path} does not have the expected sha256 {DIGITS_SHA256}")
    lines = gzip.decompress(raw).decode("ascii").splitlines()
    table = np.array([[int(v) for v in row] for row in csv.reader(lines)], dtype=np.int64)
    X = table[:, :-1].astype(np.float64)  # 64 pixel counts, 0..16
    y = table[:, -1]  # the digit, 0..9
    if X.shape != DIGITS_SHAPE:
        raise ValueError(f"{path}: expected {DIGITS_SHAPE} pixels, got {X.shape}")
    return X, y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The UCI optical-recognition digits test set, as bundled with scikit-learn.

    Each row is an 8×8 image flattened row by row; each pixel counts the "on"
    pixels of a 4×4 block of the original 32×32 bitmap, so it lies in 0..16.
    See ``datasets/README.md`` for provenance and licence.

    Returns
    -------
    X : ndarray of float64, shape (1797, 64)
        Pixel values 0..16.
    y : ndarray of int64, shape (1797,)
        Digits 0..9.
    """
    X, y = _read_digits()
    return X.copy(), y.copy()


__all__ = ["load_digits", "DIGITS_FILE", "DIGITS_SHA256", "DIGITS_SHAPE", "DIGIT_SIDE", "DIGITS_PATHS"]
