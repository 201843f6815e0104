"""Datasets: generators, digits, recipes and presets, standardize, split."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from descentlab import datasets as D
from descentlab.errors import SpecError

REPO = Path(__file__).resolve().parents[1]
PRESETS = sorted((REPO / "datasets").glob("*.json"))
DIGITS_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
DIGITS_PIXEL_SUM = 561718  # sum of all 1797 × 64 pixel values


def n_classes(name, classes):
    return classes if "classes" in D.GENERATORS[name].params else 2


CASES = [("moons", None), ("circles", None), ("spirals", 2), ("spirals", 5), ("blobs", 3),
         ("blobs", 8), ("xor", None), ("checkerboard", None), ("linear", None)]


@pytest.mark.parametrize("name, classes", CASES)
@pytest.mark.parametrize("n", [40, 203])
def test_shapes_dtypes_balance(name, classes, n):
    X, y = D.make(name, n=n, classes=classes, seed=3)
    c = n_classes(name, classes)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=c)
    assert len(counts) == c and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()
    assert not (np.diff(y) >= 0).all()  # shuffled, not sorted by class


@pytest.mark.parametrize("name", list(D.GENERATORS))
def test_determinism(name):
    X1, y1 = D.make(name, seed=11)
    X2, y2 = D.make(name, seed=11)
    X3, _ = D.make(name, seed=12)
    assert X1.tobytes() == X2.tobytes() and y1.tobytes() == y2.tobytes()
    assert X1.tobytes() != X3.tobytes()


@pytest.mark.parametrize("name", list(D.GENERATORS))
def test_noise_parameter_moves_points(name):
    X0, y0 = D.make(name, noise=0.0, seed=1)
    X1, y1 = D.make(name, noise=0.3, seed=1)
    np.testing.assert_array_equal(y0, y1)  # same draws, only the noise differs
    offset = X1 - X0
    assert offset.std() == pytest.approx(0.3, rel=0.15)


def test_noise_free_geometry():
    X, y = D.make("circles", n=100, noise=0.0, seed=0)
    r = np.sqrt((X * X).sum(axis=1))
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-14)
    np.testing.assert_allclose(r[y == 1], D.CIRCLES_FACTOR, rtol=1e-14)

    X, y = D.make("xor", n=200, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))

    X, y = D.make("checkerboard", n=400, noise=0.0, seed=0)
    tiles = np.floor((X + 1.0) * D.CHECKER_TILES / 2.0).astype(int)
    assert (np.abs(X) <= 1).all()
    np.testing.assert_array_equal(y, tiles.sum(axis=1) % 2)

    X, y = D.make("spirals", n=300, noise=0.0, classes=3, seed=0)
    r = np.sqrt((X * X).sum(axis=1))
    assert (r >= D.SPIRAL_R0 - 1e-12).all() and (r <= 1 + 1e-12).all()

    X, y = D.make("moons", n=200, noise=0.0, seed=0)
    upper = X[y == 0] + np.array([0.5, 0.25])  # undo the centring: the unit upper half circle
    np.testing.assert_allclose(np.sqrt((upper * upper).sum(axis=1)), 1.0, rtol=1e-14)
    assert (upper[:, 1] >= 0).all()


def test_blob_centres():
    X, y = D.make("blobs", n=4000, noise=0.3, classes=4, seed=0)
    for c in range(4):
        angle = 2 * np.pi * c / 4
        centre = D.BLOB_RADIUS * np.array([np.cos(angle), np.sin(angle)])
        np.testing.assert_allclose(X[y == c].mean(axis=0), centre, atol=0.05)


def test_linear_is_separable_without_noise():
    X, y = D.make("linear", n=300, noise=0.0, seed=5)
    s = np.where(y == 1, 1.0, -1.0)
    w = np.zeros(2)  # perceptron through the origin; converges on separable data
    for _ in range(1000):
        wrong = s * (X @ w) <= 0
        if not wrong.any():
            break
        w += (s[wrong, None] * X[wrong]).sum(axis=0)
    assert not (s * (X @ w) <= 0).any()
    # each class keeps LINEAR_MARGIN from the line, so the classes are 2 margins apart
    gaps = np.sqrt(((X[y == 0][:, None, :] - X[y == 1][None, :, :]) ** 2).sum(axis=2))
    assert gaps.min() >= 2 * D.LINEAR_MARGIN - 1e-12


def test_make_validates_parameters():
    with pytest.raises(SpecError, match=r"\[4, 5000\]"):
        D.make("moons", n=2)
    with pytest.raises(SpecError, match="noise"):
        D.make("moons", noise=-0.1)
    with pytest.raises(SpecError, match="always has 2 classes"):
        D.make("moons", classes=3)
    with pytest.raises(SpecError, match=r"\[2, 6\]"):
        D.make("spirals", classes=9)
    with pytest.raises(SpecError, match="integer"):
        D.make("spirals", n=10.5)
    with pytest.raises(SpecError, match="unknown dataset"):
        D.make("iris")
    with pytest.raises(SpecError, match="unknown dataset"):
        D.make("blob")  # a recipe building block, not a dataset of its own
    with pytest.raises(SpecError, match=r"\[2, 8\]"):
        D.make("blobs", classes=1)


def test_registry_entries():
    for name, g in D.GENERATORS.items():
        assert g.name == name and g.title and g.description
        for key in ("n", "noise", "seed"):
            p = g.params[key]
            assert p["min"] <= p["default"] <= p["max"]


# --- digits ----------------------------------------------------------------------


def test_digits_file_checksum():
    raw = (REPO / "datasets" / "digits.csv.gz").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == D.DIGITS_SHA256


def test_load_digits():
    X, y = D.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and (X == np.floor(X)).all()
    assert np.bincount(y).tolist() == DIGITS_CLASS_COUNTS
    assert X.sum() == DIGITS_PIXEL_SUM
    assert y[:10].tolist() == list(range(10))
    # the first image is a zero: its centre column is blank, its sides are not
    img = X[0].reshape(8, 8)
    assert img[3:5, 3:5].sum() == 0 and img[2:6, 1].sum() > 0
    X[0, 0] = 99  # callers get a copy
    assert D.load_digits()[0][0, 0] == 0


def test_make_digits_subsample():
    X, y = D.make("digits")
    assert X.shape == (1797, 64)
    Xs, ys = D.make("digits", n=100, seed=4)
    assert Xs.shape == (100, 64) and ys.shape == (100,)
    assert Xs.tobytes() == D.make("digits", n=100, seed=4)[0].tobytes()
    assert Xs.tobytes() != D.make("digits", n=100, seed=5)[0].tobytes()
    with pytest.raises(SpecError):
        D.make("digits", n=5000)


# --- recipes and presets ---------------------------------------------------------


def test_recipe_relabels_components():
    recipe = {"components": [{"generator": "moons", "n": 50},
                             {"generator": "blobs", "n": 60, "classes": 3, "shift": [5, 0]}],
              "seed": 2}
    X, y = D.from_recipe(recipe)
    assert X.shape == (110, 2) and np.bincount(y).tolist() == [25, 25, 20, 20, 20]
    assert (X[y >= 2, 0] > 2).all()  # the blobs were shifted right
    X2, y2 = D.from_recipe(recipe)
    assert X.tobytes() == X2.tobytes() and y.tobytes() == y2.tobytes()
    assert X.tobytes() != D.from_recipe({**recipe, "seed": 3})[0].tobytes()


def test_recipe_label_and_scale():
    recipe = {"components": [{"generator": "circles", "n": 40, "noise": 0.0},
                             {"generator": "blob", "n": 10, "noise": 0.0,
                              "label": 0, "scale": 2.0, "shift": [0.5, 0.5]}],
              "seed": 0}
    X, y = D.from_recipe(recipe)
    assert np.bincount(y).tolist() == [30, 20]
    assert (np.all(X == [0.5, 0.5], axis=1) == (np.abs(X - 0.5).sum(axis=1) == 0)).all()
    assert np.all(X == [0.5, 0.5], axis=1).sum() == 10


def test_recipe_errors():
    with pytest.raises(SpecError, match="components"):
        D.from_recipe({"components": []})
    with pytest.raises(SpecError, match=r"components\[0\]\.colour"):
        D.from_recipe({"components": [{"generator": "moons", "colour": "red"}]})
    with pytest.raises(SpecError, match=r"components\[1\]\.generator"):
        D.from_recipe({"components": [{"generator": "moons"}, {"generator": "digits"}]})
    with pytest.raises(SpecError, match="without gaps"):
        D.from_recipe({"components": [{"generator": "moons", "label": 3}]})


def test_presets_exist():
    ids = {p.stem for p in PRESETS}
    assert {"moons", "circles", "spirals", "blobs", "xor", "checkerboard", "linear"} <= ids


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_preset_builds(path):
    preset = json.loads(path.read_text(encoding="utf-8"))
    assert set(preset) == {"id", "title", "description", "recipe"}
    assert preset["id"] == path.stem and preset["title"] and preset["description"]
    X, y = D.from_recipe(preset["recipe"])
    assert X.ndim == 2 and X.shape[1] == 2 and len(y) == len(X)
    assert np.array_equal(np.unique(y), np.arange(y.max() + 1))


def test_readme_documents_every_preset_and_the_checksum():
    readme = (REPO / "datasets" / "README.md").read_text(encoding="utf-8")
    for path in PRESETS:
        assert f"`{path.name}`" in readme
    assert D.DIGITS_SHA256 in readme


# --- standardize and split -------------------------------------------------------


def test_standardize():
    X, _ = D.make("blobs", n=300, seed=0)
    X = X * np.array([10.0, 0.1]) + np.array([3.0, -7.0])
    Z, mean, std = D.standardize(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-14)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(std, X.std(axis=0), rtol=1e-14)
    Xd, _ = D.load_digits()
    Zd, _, stdd = D.standardize(Xd)
    assert np.isfinite(Zd).all() and (stdd > 0).all()  # blank pixel columns stay finite
    assert (Zd[:, Xd.std(axis=0) == 0] == 0).all()


def test_train_val_split():
    n = 203
    X, y = D.make("spirals", n=n, classes=3, seed=0)
    X = np.column_stack([X, np.arange(n)])  # a row id to track every example
    Xtr, ytr, Xva, yva = D.train_val_split(X, y, val_fraction=0.25, seed=1)
    ids_tr = Xtr[:, 2].astype(int)
    ids_va = Xva[:, 2].astype(int)
    assert not set(ids_tr) & set(ids_va)  # disjoint
    assert sorted(np.concatenate([ids_tr, ids_va])) == list(range(n))  # complete
    np.testing.assert_array_equal(y[ids_tr], ytr)
    np.testing.assert_array_equal(y[ids_va], yva)
    for c in range(3):  # stratified
        assert (yva == c).sum() == int(np.floor(0.25 * (y == c).sum() + 0.5))
    again = D.train_val_split(X, y, val_fraction=0.25, seed=1)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(again, (Xtr, ytr, Xva, yva)))
    other = D.train_val_split(X, y, val_fraction=0.25, seed=2)
    assert other[2].tobytes() != Xva.tobytes()
    with pytest.raises(SpecError):
        D.train_val_split(X, y, val_fraction=1.0)
