"""The "dataset" spec: every way of naming a dataset, its projection, its errors."""

import json
from pathlib import Path

import numpy as np
import pytest

from descentlab import datasets as D
from descentlab import dataset_spec as S
from descentlab.digest import digest
from descentlab.errors import SpecError

REPO = Path(__file__).resolve().parents[1]
PRESETS = sorted((REPO / "datasets").glob("*.json"))


def run(spec):
    items = list(S.iterate(S.read_spec(spec)))
    assert items[-1]["done"] == items[-1]["total"]
    result = items[-1]["result"]
    json.dumps(result)  # JSON-ready
    return result


def spec_of(dataset, **kw):
    return dict({"kind": "dataset", "dataset": dataset}, **kw)


def check_shape(r):
    X, y = np.array(r["X"]), np.array(r["y"])
    assert X.shape == (r["n"], r["d"]) and y.shape == (r["n"],)
    assert r["classes"] == int(y.max()) + 1 and sum(r["class_counts"]) == r["n"]
    proj = np.array(r["projection"]["points"])
    assert proj.shape == (r["n"], 2) and np.isfinite(proj).all()
    ratio = r["projection"]["explained_variance_ratio"]
    assert all(0.0 <= v <= 1.0 + 1e-12 for v in ratio)
    return X, y


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_every_preset(path):
    preset = json.loads(path.read_text(encoding="utf-8"))
    r = run(spec_of({"recipe": preset["recipe"]}))
    X, y = check_shape(r)
    X0, y0 = D.from_recipe(preset["recipe"])
    assert X.tobytes() == X0.tobytes() and np.array_equal(y, y0)
    assert r["source"] == "recipe" and r["projection"]["method"] == "identity"
    assert r["projection"]["points"] == r["X"]
    assert D.from_recipe(r["recipe"])[0].tobytes() == X0.tobytes()  # the normalized recipe is the same data


@pytest.mark.parametrize("name", sorted(D.GENERATORS))
def test_every_generator_by_name(name):
    r = run(spec_of({"name": name, "n": 120, "seed": 3}))
    X, y = check_shape(r)
    X0, _ = D.make(name, n=120, seed=3)
    assert X.tobytes() == X0.tobytes()
    assert r["recipe"] is None and r["dataset"]["name"] == name and r["class_names"] is None


def test_digits_images_and_pca():
    r = run(spec_of({"name": "digits", "n": 300, "seed": 1}, samples=12))
    X, y = check_shape(r)
    assert r["d"] == 64 and r["classes"] == 10 and r["class_names"] == [str(c) for c in range(10)]
    proj = r["projection"]
    assert proj["method"] == "pca" and proj["standardized"] is False
    ratio = proj["explained_variance_ratio"]
    assert ratio[0] >= ratio[1] > 0 and sum(ratio) < 1
    assert np.array(proj["components"]).shape == (2, 64) and len(proj["mean"]) == 64
    images = r["images"]
    assert len(images) == 12
    assert [im["label"] for im in images] == list(range(10)) + [0, 1]  # the classes in turn
    for im in images:
        px = np.array(im["pixels"])
        assert px.shape == (8, 8) and px.min() >= 0 and px.max() <= 16
        assert np.array_equal(px.ravel(), X[im["index"]]) and y[im["index"]] == im["label"]
    assert "images" not in run(spec_of({"name": "moons"}))


def test_describe():
    r = run(spec_of({"describe": "three spirals with a little noise, 600 points"}))
    check_shape(r)
    assert r["n"] == 600 and r["classes"] == 3
    assert r["recipe"]["components"][0]["generator"] == "spirals"
    assert r["understood"] == ["three spirals", "a little noise", "600 points"] and r["ignored"] == []
    assert isinstance(r["notes"], list)


CSV3 = "a,b,c,kind\n" + "".join(f"{i % 7},{(i * 3) % 5},{i % 2 * 4.5},{'yes' if i % 3 else 'no'}\n"
                                  for i in range(60))


def test_csv():
    r = run(spec_of({"csv": "x,y,label\n1,2,a\n3,4,b\n5,6,a\n"}))
    check_shape(r)
    assert r["X"] == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]] and r["y"] == [0, 1, 0]
    assert r["class_names"] == ["a", "b"] and r["columns"] == ["x", "y"] and r["label_column"] == "label"
    assert r["projection"]["method"] == "identity"
    r = run(spec_of({"csv": CSV3, "label_column": "kind"}, standardize=True))
    check_shape(r)
    assert r["d"] == 3 and r["projection"]["method"] == "pca" and r["projection"]["standardized"] is True
    assert r["class_names"] == ["no", "yes"]
    r1 = run(spec_of({"csv": "v,label\n1,a\n2,b\n4,a\n"}))
    assert r1["projection"]["points"] == [[1.0, 0.0], [2.0, 0.0], [4.0, 0.0]]


def test_points():
    pts = [[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 2.0, 1.0], [5.0, 1.0, 0.0]]
    r = run(spec_of({"points": pts, "labels": [0, 1, 1, 0]}))
    check_shape(r)
    assert r["X"] == pts and r["projection"]["method"] == "pca"


def test_network_dataset_object_is_accepted():
    r = run(spec_of({"name": "moons", "n": 100, "noise": 0.2, "seed": 0, "val_fraction": 0.25}))
    assert r["n"] == 100


def test_deterministic():
    for dataset in ({"describe": "two moons and a blob with outliers"}, {"name": "digits", "n": 200},
                    {"csv": CSV3, "label_column": 3}):
        a, b = run(spec_of(dataset)), run(spec_of(dataset))
        assert digest(a) == digest(b)


BAD = [
    ({"kind": "dataset"}, "dataset"),
    ({"kind": "dataset", "dataset": 3}, "dataset"),
    (spec_of({}), "dataset"),
    (spec_of({"name": "moons", "describe": "moons"}), "dataset"),
    (spec_of({"name": "moonz"}), "dataset.name"),
    (spec_of({"name": "moons", "n": 10}), "dataset.n"),
    (spec_of({"name": "moons", "n": 6000}), "dataset.n"),
    (spec_of({"name": "moons", "classes": 3}), "dataset.classes"),
    (spec_of({"name": "spirals", "classes": 7}), "dataset.classes"),
    (spec_of({"name": "digits", "n": 5000}), "dataset.n"),
    (spec_of({"name": "digits", "noise": 0.1}), "dataset.noise"),
    (spec_of({"name": "moons", "colour": "red"}), "dataset.colour"),
    (spec_of({"recipe": {"components": [{"generator": "moons", "n": 10**9}]}}), "dataset.recipe.components[0].n"),
    (spec_of({"recipe": {"components": [{"generator": "moons"}], "__proto__": 1}}), "dataset.recipe.__proto__"),
    (spec_of({"recipe": "moons"}), "dataset.recipe"),
    (spec_of({"describe": 3}), "dataset.describe"),
    (spec_of({"describe": "moons " * 300}), "dataset.describe"),
    (spec_of({"csv": "a,b\n1,x\n"}), "dataset.csv"),
    (spec_of({"csv": "a,b,c\n1,2,x\n3,4,y\n", "label_column": [1]}), "dataset.label_column"),
    (spec_of({"csv": "a,b,c\n1,2,x\n3,4,y\n", "label_column": "z"}), "dataset.csv"),
    (spec_of({"points": [[1, 2], [3, 4]], "labels": [0, 1], "label_column": 1}), "dataset.label_column"),
    (spec_of({"name": "moons", "label_column": 1}), "dataset.label_column"),
    (spec_of({"points": [[1, 2]], "labels": [0]}), "dataset.points"),
    (spec_of({"points": [[1, 2], [3, 4]], "labels": [0]}), "dataset.labels"),
    (spec_of({"points": [[1, 2], [3, 4]], "labels": [1, 1]}), "dataset.labels"),
    (spec_of({"points": [[1, 2], [3]], "labels": [0, 1]}), "dataset.points[1]"),
    (spec_of({"points": [[], []], "labels": [0, 1]}), "dataset.points[0]"),
    (spec_of({"points": [1, 2], "labels": [0, 1]}), "dataset.points[0]"),
    (spec_of({"points": [[1, 2], [3, "4"]], "labels": [0, 1]}), "dataset.points[1][1]"),
    (spec_of({"points": [[1, 2], [3, True]], "labels": [0, 1]}), "dataset.points[1][1]"),
    (spec_of({"points": [[1, 2], [3, float("inf")]], "labels": [0, 1]}), "dataset.points[1][1]"),
    (spec_of({"points": [[1, 2], [3, 1e10]], "labels": [0, 1]}), "dataset.points[1][1]"),
    (spec_of({"points": [[1, 2], [3, 4]], "labels": [0, 10]}), "dataset.labels[1]"),
    (spec_of({"points": [[1, 2], [3, 4]], "labels": [0, 0.5]}), "dataset.labels[1]"),
    (spec_of({"points": [[1, 2], [3, 4]], "labels": [0, "1"]}), "dataset.labels[1]"),
    (spec_of({"points": [[1] * 65, [1] * 65], "labels": [0, 1]}), "dataset.points[0]"),
    (spec_of({"name": "moons"}, samples=65), "samples"),
    (spec_of({"name": "moons"}, standardize="yes"), "standardize"),
    (spec_of({"name": "moons"}, extra=1), "extra"),
    # integers too large for a float; empty keys
    (spec_of({"points": [[1, 2], [3, 10**400]], "labels": [0, 1]}), "dataset.points[1][1]"),
    (spec_of({"points": [[1, 2], [3, -(10**309)]], "labels": [0, 1]}), "dataset.points[1][1]"),
    (spec_of({"points": [[1, 2], [3, 4]], "labels": [0, 10**400]}), "dataset.labels[1]"),
    (spec_of({"name": "moons", "n": 10**400}), "dataset.n"),
    (spec_of({"name": "moons", "seed": 2**64}), "dataset.seed"),
    (spec_of({"recipe": {"components": [{"generator": "moons", "scale": 10**400}]}}),
     "dataset.recipe.components[0].scale"),
    (spec_of({"name": "moons"}, samples=10**400), "samples"),
    (spec_of({"name": "moons", "": 1}), 'dataset.""'),
    (spec_of({"recipe": {"components": [{"generator": "moons"}], "": 1}}), 'dataset.recipe.""'),
    (spec_of({"name": "moons"}, **{"": 1}), '""'),
]


@pytest.mark.parametrize("spec, field", BAD)
def test_errors_name_the_field(spec, field):
    with pytest.raises(SpecError) as err:
        S.read_spec(spec)
    assert err.value.field == field, err.value


def test_csv_error_keeps_the_line():
    with pytest.raises(SpecError) as err:
        S.read_spec(spec_of({"csv": "a,b,c\n1,2,x\n3,zz,y\n"}))
    assert err.value.field == "dataset.csv" and err.value.message.startswith("line 3, column 'b'")


# --- from_recipe, hardened ---------------------------------------------------------


@pytest.mark.parametrize("recipe, field", [
    (None, "recipe"),
    ([{"generator": "moons"}], "recipe"),
    ({"components": [{"generator": "moons"}], "seeed": 1}, "recipe.seeed"),
    ({"components": [{"generator": "moons"}], "seed": "x"}, "recipe.seed"),
    ({"components": [{"generator": "moons"}], "seed": None}, "recipe.seed"),
    ({"components": [{"generator": "moons"}, "blob"]}, "recipe.components[1]"),
    ({"components": [{"generator": "moons"}, {"generator": "blob", "scale": "big"}]},
     "recipe.components[1].scale"),
    ({"components": [{"generator": "moons"}, {"generator": "blob", "scale": [2]}]}, "recipe.components[1].scale"),
    ({"components": [{"generator": "moons", "scale": float("nan")}]}, "recipe.components[0].scale"),
    ({"components": [{"generator": "moons", "scale": 1e300}]}, "recipe.components[0].scale"),
    ({"components": [{"generator": "moons", "shift": "up"}]}, "recipe.components[0].shift"),
    ({"components": [{"generator": "moons", "shift": [0, "1"]}]}, "recipe.components[0].shift[1]"),
    ({"components": [{"generator": "moons", "shift": {"x": 1}}]}, "recipe.components[0].shift"),
    ({"components": [{"generator": ["moons"]}]}, "recipe.components[0].generator"),
    ({"components": [{"generator": {"a": 1}}]}, "recipe.components[0].generator"),
    ({"components": [{"generator": "moons", "n": "many"}]}, "recipe.components[0].n"),
    ({"components": [{"generator": "moons", "n": float("inf")}]}, "recipe.components[0].n"),
    ({"components": [{"generator": "moons", "noise": [0.1]}]}, "recipe.components[0].noise"),
    ({"components": [{"generator": "spirals", "classes": "3"}]}, "recipe.components[0].classes"),
    ({"components": [{"generator": "moons", "label": "0"}]}, "recipe.components[0].label"),
    ({"components": [{"generator": "moons", 7: 1}]}, "recipe.components[0].7"),
    ({"components": [{"generator": "moons", "n": 3000}, {"generator": "moons", "n": 3000}]},
     "recipe.components[1].n"),
    ({"components": [{"generator": "blob", "label": 0}] * 40}, "recipe.components"),
])
def test_from_recipe_rejects_malformed(recipe, field):
    with pytest.raises(SpecError) as err:
        D.from_recipe(recipe)
    assert err.value.field == field, err.value


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_identical_points_project_to_finite_numbers(d):
    # zero variance everywhere: the projection must still be finite (no 0/0 ratios)
    r = run(spec_of({"points": [[1.5] * d] * 6, "labels": [0, 1] * 3}, standardize=d > 2))
    check_shape(r)
    for key in ("points", "explained_variance_ratio"):
        assert np.isfinite(np.array(r["projection"][key], dtype=float)).all()


def test_progress_then_result_and_a_cost():
    from descentlab import budget
    spec = S.read_spec(spec_of({"name": "digits"}))
    items = list(S.iterate(spec))
    # the points, heartbeats while the principal components are found, then the result
    assert all(i == {"done": 1, "total": 2} for i in items[:-1]) and len(items) >= 2
    assert items[-1]["done"] == 2 and "result" in items[-1]
    estimate = S.cost(spec)
    assert S.size(spec["dataset"]) == (1797, 64)
    assert 0 < estimate.seconds < budget.SECONDS and 0 < estimate.memory < budget.MEMORY_BYTES
