"""Datasets described in words; untrusted recipes; a language model's answer."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descentlab import datasets as D
from descentlab.describe import (LLM_PROMPT, MAX_CLASSES, MAX_COMPONENTS, MAX_POINTS, NOISE_LEVELS, PHRASES,
                                 STOP_WORDS, VOCABULARY, describe, noise_band, parse_llm_answer,
                                 recipe_size, validate_recipe)
from descentlab.errors import SpecError

# (phrase, components as (generator, classes, n, noise band); None = not checked), extra checks
PHRASES_TABLE = [
    ("two moons", [("moons", 2, 200, "medium")], {}),
    ("moons", [("moons", 2, 200, "medium")], {}),
    ("crescents with a little noise", [("moons", 2, 200, "low")], {}),
    ("half-moons, very noisy", [("moons", 2, 200, "very_high")], {}),
    ("three spirals with a little noise", [("spirals", 3, 200, "low")], {}),
    ("a swirl, 600 points", [("spirals", 2, 600, "medium")], {}),
    ("spirals with 4 arms and no noise", [("spirals", 4, 200, "none")], {}),
    ("interleaved spirals, noisy, n=300", [("spirals", 2, 300, "high")], {}),
    ("circles", [("circles", 2, 200, "medium")], {}),
    ("concentric rings, clean", [("circles", 2, 200, "none")], {}),
    ("500 points of noisy circles", [("circles", 2, 500, "high")], {}),
    ("blobs", [("blobs", 3, 200, "medium")], {}),
    ("blobs with 4 classes", [("blobs", 4, 200, "medium")], {}),
    ("five gaussian clusters, lots of noise", [("blobs", 5, 200, "very_high")], {}),
    ("3 classes", [("blobs", 3, 200, "medium")], {}),
    ("a few blobs", [("blobs", 3, 200, None)], {}),
    ("many clusters", [("blobs", 6, 200, None)], {}),
    ("overlapping blobs", [("blobs", 3, 200, "high")], {}),
    ("well separated clusters", [("blobs", 3, 200, "low")], {}),
    ("xor", [("xor", 2, 200, "medium")], {}),
    ("xor, clean, 200 samples, seed 3", [("xor", 2, 200, "none")], {"seed": 3}),
    ("checkerboard with no noise, 1000 samples", [("checkerboard", 2, 1000, "none")], {}),
    ("many points in a chessboard", [("checkerboard", 2, 1000, "medium")], {}),
    ("a grid, slightly noisy", [("checkerboard", 2, 200, "low")], {}),
    ("linearly separable", [("linear", 2, 200, "medium")], {}),
    ("a line with noise 0.3", [("linear", 2, 200, None)], {"noise": [0.3]}),
    ("noise=0.25 moons", [("moons", 2, 200, None)], {"noise": [0.25]}),
    ("0.15 noise, moons", [("moons", 2, 200, None)], {"noise": [0.15]}),
    ("seed 7 spirals", [("spirals", 2, 200, "medium")], {"seed": 7}),
    ("a thousand points of spirals with 3 arms", [("spirals", 3, 1000, "medium")], {}),
    ("two hundred fifty points in a grid", [("checkerboard", 2, 250, "medium")], {}),
    ("2k points, linear", [("linear", 2, 2000, "medium")], {}),
    ("1,500 samples of moons", [("moons", 2, 1500, "medium")], {}),
    ("100 points per class, 4 blobs", [("blobs", 4, 400, "medium")], {}),
    ("moons 500", [("moons", 2, 500, "medium")], {}),
    ("two moons and a blob", [("moons", 2, 200, "medium"), ("blob", 1, 100, "medium")], {"classes": 3}),
    ("two moons and three spirals", [("moons", 2, 200, None), ("spirals", 3, 200, None)], {"classes": 5}),
    ("two moons with lots of noise and a tight blob",
     [("moons", 2, 200, "very_high"), ("blob", 1, 100, "low")], {}),
    ("moons and circles, 1000 points", [("moons", 2, 500, None), ("circles", 2, 500, None)], {"total": 1000}),
    ("circles with a blob in the middle", [("circles", 2, 200, None), ("blob", 1, 100, None)],
     {"shifts": [None, None]}),
    ("moons and a blob below", [("moons", 2, 200, None), ("blob", 1, 100, None)], {"below": True}),
    ("circles plus noise points", [("circles", 2, 200, None), ("blob", 1, 10, None), ("blob", 1, 10, None)],
     {"classes": 2, "labels": [None, 0, 1]}),
    ("two moons with 50 outliers", [("moons", 2, 200, None), ("blob", 1, 25, None), ("blob", 1, 25, None)],
     {"classes": 2}),
    ("imbalanced blobs", [("blob", 1, None, None)] * 3, {"classes": 3, "decreasing": True, "total": 200}),
    ("two clusters 90/10", [("blob", 1, 180, None), ("blob", 1, 20, None)], {"classes": 2}),
    ("blobs 80/15/5, 1000 points", [("blob", 1, 800, None), ("blob", 1, 150, None), ("blob", 1, 50, None)], {}),
    ("three clusters with a rare class", [("blob", 1, None, None)] * 3, {"rare_last": True}),
    ("moons and a rare blob", [("moons", 2, None, None), ("blob", 1, None, None)], {"rare_last": True}),
    ("mostly circles and a few moons points", [("circles", 2, 200, None), ("moons", 2, 50, None)], {}),
    ("imbalanced moons and circles", [("moons", 2, None, None), ("circles", 2, None, None)],
     {"decreasing": True}),
    ("moons with 3 classes", [("moons", 2, 200, None)], {"note": "always has 2 classes"}),
    ("12 blobs", [("blobs", 8, 200, None)], {"note": "at most 8"}),
    ("500 moons", [("moons", 2, 500, None)], {"note": "number of points"}),
    ("spirals, 9000 points", [("spirals", 2, 5000, None)], {"note": "more than allowed"}),
    ("3 classes, noisy", [("blobs", 3, 200, "high")], {"note": "no shape named"}),
    ("three moons and four spirals and five blobs", [("moons", 2, None, None), ("spirals", 4, None, None)],
     {"classes": 6, "note": "dropped"}),
    ("banana shaped data please, slightly noisy", [("moons", 2, 200, "low")], {"ignored": []}),
    ("3d moons", [("moons", 2, 200, None)], {"ignored": ["3d"]}),
    ("linearly separable data with a rare class", [("linear", 2, 200, None)], {"note": "balanced classes"}),
    ("a single blob", [("blobs", 2, 200, "medium")], {"note": "only one class"}),
    ("a blob and a cluster", [("blob", 1, 100, None), ("blob", 1, 100, None)], {"classes": 2}),
]


def essentials(recipe):
    out = []
    for c in recipe["components"]:
        gen = c["generator"]
        classes = c.get("classes", 1 if gen == "blob" else 2)
        out.append((gen, classes, c["n"], noise_band(gen, c["noise"])))
    return out


def n_classes(recipe):
    X, y = D.from_recipe(recipe)
    return int(y.max()) + 1


@pytest.mark.parametrize("phrase, expected, extra", PHRASES_TABLE, ids=[p[0] or "(empty)" for p in PHRASES_TABLE])
def test_phrase(phrase, expected, extra):
    out = describe(phrase)
    recipe = out["recipe"]
    got = essentials(recipe)
    assert len(got) == len(expected), (got, out["notes"])
    for g, e in zip(got, expected):
        for have, want in zip(g, e):
            assert want is None or have == want, (phrase, got, out["notes"])
    comps = recipe["components"]
    assert recipe["seed"] == extra.get("seed", 0)
    if "noise" in extra:
        assert [c["noise"] for c in comps] == extra["noise"]
    if "classes" in extra:
        assert n_classes(recipe) == extra["classes"]
    if "total" in extra:
        assert sum(c["n"] for c in comps) == extra["total"]
    if "decreasing" in extra:
        ns = [c["n"] for c in comps]
        assert all(a > b for a, b in zip(ns, ns[1:])), ns
    if "rare_last" in extra:
        ns = [c["n"] for c in comps]
        assert ns[-1] * 5 <= min(ns[:-1]), ns
    if "shifts" in extra:
        assert [c.get("shift") for c in comps] == extra["shifts"]
    if "below" in extra:
        assert comps[1]["shift"][1] < comps[0]["shift"][1] and comps[1]["shift"][0] == comps[0]["shift"][0]
    if "labels" in extra:
        assert [c.get("label") for c in comps] == extra["labels"]
    if "note" in extra:
        assert any(extra["note"] in n for n in out["notes"]), out["notes"]
    if "ignored" in extra:
        assert out["ignored"] == extra["ignored"]
    # always a valid recipe within the limits
    assert validate_recipe(recipe) == recipe
    X, y = D.from_recipe(recipe)
    assert len(X) <= MAX_POINTS and int(y.max()) + 1 <= MAX_CLASSES


def test_enough_phrases():
    assert len(PHRASES_TABLE) >= 30


def test_understood_and_ignored():
    out = describe("Please make me two moons with a little noise and some zorbs, 300 points, seed 4")
    assert out["understood"] == ["two moons", "a little noise", "300 points", "seed 4"]
    assert out["ignored"] == ["zorbs"]
    # stop words are neither understood nor flagged
    out = describe("a set of the data points with some moons")
    assert out["ignored"] == [] and out["understood"] == ["moons"]
    out = describe("blobs very much foo foo")
    assert out["ignored"] == ["very", "much", "foo"]  # each once, in text order


def test_unattached_number_is_flagged():
    out = describe("moons 7")
    assert out["ignored"] == ["7"] and any("not attached" in n for n in out["notes"])


def test_layout_side_by_side_and_gaps():
    near = describe("two moons and a blob, touching")["recipe"]["components"]
    far = describe("two moons and a blob, far apart")["recipe"]["components"]
    gap = lambda comps: comps[1]["shift"][0] - comps[0]["shift"][0]  # noqa: E731
    assert 0 < gap(near) < gap(far)
    both = describe("moons and circles")["recipe"]["components"]
    # the bounding box (moons: half width 1.5 + 2 noise; circles: 1 + 2 noise) is centred on the origin
    left = both[0]["shift"][0] - (1.5 + 2 * both[0]["noise"])
    right = both[1]["shift"][0] + (1.0 + 2 * both[1]["noise"])
    assert left == pytest.approx(-right) and both[0]["shift"][1] == both[1]["shift"][1] == 0.0


def test_per_shape_modifiers_stay_with_their_shape():
    comps = describe("noisy moons and clean circles")["recipe"]["components"]
    assert noise_band("moons", comps[0]["noise"]) == "high"
    assert noise_band("circles", comps[1]["noise"]) == "none"
    comps = describe("moons with 300 points and circles with 100 points")["recipe"]["components"]
    assert [c["n"] for c in comps] == [300, 100]


def test_deterministic():
    text = "three spirals and a blob with outliers, very noisy, imbalanced, seed 5"
    first = json.dumps(describe(text), sort_keys=True)
    assert all(json.dumps(describe(text), sort_keys=True) == first for _ in range(3))


def test_text_limits():
    with pytest.raises(SpecError, match="describe"):
        describe(3)
    with pytest.raises(SpecError, match="at most 1000"):
        describe("moons " * 300)


def test_vocabulary_is_displayable_and_read():
    json.dumps(VOCABULARY)
    for family, words in VOCABULARY["shapes"].items():
        for w in words:
            comps = describe(w)["recipe"]["components"]
            gen = comps[0]["generator"]
            assert gen == family or (family == "blobs" and gen == "blob"), w
    for level, words in VOCABULARY["noise"].items():
        if level == "value":
            continue
        for w in words:
            c = describe("moons " + w)["recipe"]["components"][0]
            assert noise_band("moons", c["noise"]) == level, w
    for w in STOP_WORDS:  # a stop word alone means nothing: said so, never three silent blobs
        with pytest.raises(SpecError, match="understood nothing"):
            describe(w)


def test_phrase_table_words_are_lowercase():
    assert all(all(t == t.lower() for t in key) for key in PHRASES)


WORDS = sorted({w for key in PHRASES for w in key} | {"500", "3", "0.3", "90/10", "seed", "zorb", "twelve"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), max_size=25))
def test_any_words_give_a_valid_recipe(words):
    text = " ".join(words)
    try:
        out = describe(text)
    except SpecError as e:  # nothing understood: the one refusal of a short text
        assert "understood nothing" in e.message
        return
    assert out["understood"]
    recipe = out["recipe"]
    assert validate_recipe(recipe) == recipe
    assert len(recipe["components"]) <= MAX_COMPONENTS
    X, y = D.from_recipe(recipe)
    assert 20 <= len(X) <= MAX_POINTS
    assert 2 <= int(y.max()) + 1 <= MAX_CLASSES
    assert recipe_size(recipe) == (len(X), int(y.max()) + 1)
    assert describe(text) == out


# --- validate_recipe -------------------------------------------------------------

GOOD = {"components": [{"generator": "moons", "n": 300, "noise": 0.2},
                       {"generator": "blob", "n": 50, "shift": [0, -1.5]}], "seed": 2}


def test_validate_recipe_normalizes():
    r = validate_recipe(GOOD)
    assert r == {"components": [{"generator": "moons", "n": 300, "noise": 0.2},
                                {"generator": "blob", "n": 50, "noise": 0.3, "shift": [0.0, -1.5]}], "seed": 2}
    assert validate_recipe({"components": [{"generator": "spirals"}]}) == {
        "components": [{"generator": "spirals", "n": 200, "noise": 0.05, "classes": 2}], "seed": 0}
    X, y = D.from_recipe(r)
    assert X.shape == (350, 2)


def comp(**kw):
    return {"components": [dict({"generator": "moons"}, **kw)]}


BAD_RECIPES = [
    (None, "recipe"),
    ([], "recipe"),
    ({}, "recipe.components"),
    ({"components": []}, "recipe.components"),
    ({"components": "moons"}, "recipe.components"),
    ({"components": [{"generator": "moons"}], "__proto__": {}}, "recipe.__proto__"),
    ({"components": [{"generator": "moons", "__proto__": {"x": 1}}]}, "recipe.components[0].__proto__"),
    ({"components": [{"generator": "moons", "constructor": 1}]}, "recipe.components[0].constructor"),
    ({"components": [{"generator": "moons"}], "seed": -1}, "recipe.seed"),
    ({"components": [{"generator": "moons"}], "seed": 1.5}, "recipe.seed"),
    ({"components": [{"generator": "moons"}], "seed": "7"}, "recipe.seed"),
    ({"components": [3]}, "recipe.components[0]"),
    ({"components": [{}]}, "recipe.components[0].generator"),
    (comp(generator="digits"), "recipe.components[0].generator"),
    (comp(generator="os.system('rm -rf /')"), "recipe.components[0].generator"),
    (comp(generator=["moons"]), "recipe.components[0].generator"),
    (comp(n=10**9), "recipe.components[0].n"),
    (comp(n=1e400), "recipe.components[0].n"),
    (comp(n=float("nan")), "recipe.components[0].n"),
    (comp(n=2), "recipe.components[0].n"),
    (comp(n=True), "recipe.components[0].n"),
    (comp(n="300"), "recipe.components[0].n"),
    (comp(n=None), "recipe.components[0].n"),
    (comp(noise=-0.1), "recipe.components[0].noise"),
    (comp(noise=5), "recipe.components[0].noise"),
    (comp(classes=3), "recipe.components[0].classes"),
    (comp(scale="big"), "recipe.components[0].scale"),
    (comp(scale=1e6), "recipe.components[0].scale"),
    (comp(shift=[1]), "recipe.components[0].shift"),
    (comp(shift=[1, "x"]), "recipe.components[0].shift[1]"),
    (comp(shift=[1, float("inf")]), "recipe.components[0].shift[1]"),
    (comp(label=12), "recipe.components[0].label"),
    (comp(label=1), "recipe.components"),  # labels 1 only: a gap at 0
    ({"components": [{"generator": "blobs", "classes": 8, "n": 5}]}, "recipe.components[0].n"),
    ({"components": [{"generator": "blobs", "classes": 9}]}, "recipe.components[0].classes"),
    ({"components": [{"generator": "blobs", "classes": 8}, {"generator": "blobs", "classes": 3}]},
     "recipe.components[1]"),
    ({"components": [{"generator": "moons", "n": 3000}, {"generator": "moons", "n": 3000}]},
     "recipe.components[1].n"),
    ({"components": [{"generator": "blob", "label": 0}] * (MAX_COMPONENTS + 1)}, "recipe.components"),
    ({"components": [{"generator": "moons", "x" * 5000: 1}]}, "recipe.components[0]." + "x" * 37 + "..."),
]


@pytest.mark.parametrize("recipe, field", BAD_RECIPES)
def test_validate_recipe_rejects(recipe, field):
    with pytest.raises(SpecError) as err:
        validate_recipe(recipe)
    assert err.value.field == field, err.value


def test_validate_recipe_path():
    with pytest.raises(SpecError) as err:
        validate_recipe(comp(n=1), "dataset.recipe")
    assert err.value.field == "dataset.recipe.components[0].n"


# --- a language model's answer ---------------------------------------------------

ANSWER = '{"components": [{"generator": "spirals", "n": 600, "noise": 0.02, "classes": 3}], "seed": 0}'


def test_llm_answer_plain():
    assert parse_llm_answer(ANSWER) == json.loads(ANSWER)


def test_llm_answer_fenced_and_chatty():
    text = f"Sure! Here is your recipe:\n```json\n{ANSWER}\n```\nEnjoy {{and have fun}}."
    assert parse_llm_answer(text) == json.loads(ANSWER)
    assert parse_llm_answer(f"```\n{ANSWER}\n```") == json.loads(ANSWER)
    assert parse_llm_answer("The recipe {as asked}: " + ANSWER) == json.loads(ANSWER)
    assert parse_llm_answer('{"recipe": ' + ANSWER + "}") == json.loads(ANSWER)


@pytest.mark.parametrize("text, words", [
    ("I cannot help with that.", "no JSON object"),
    ('{"components": [{"generator": "moons",}]}', "not valid JSON"),
    ('{"components": [{"generator": "moons"}], "seed": NaN}', "not valid JSON"),
    ('{"components": [{"generator": "moons", "n": 100, "n": 5000}]}', "duplicate key"),
    ('{"components": [{"generator": "moons"}], "__proto__": {"polluted": true}}', "recipe.__proto__: unknown key"),
    ('{"components": [{"generator": "moons", "n": 100000000}]}', "recipe.components[0].n: must be in [4, 5000]"),
    ('{"components": [{"generator": "eval(alert(1))"}]}', "recipe.components[0].generator"),
    ('{"components": {"generator": "moons"}}', "recipe.components"),
    ('["moons"]', "no JSON object"),
    ('{"title": "Moons", "components": [{"generator": "moons"}]}', "recipe.title: unknown key"),
    ("[" * 5000 + "{" + "]" * 5000, "not valid JSON"),
    ("{" * 3000, "not valid JSON"),
])
def test_llm_answer_rejected(text, words):
    with pytest.raises(SpecError) as err:
        parse_llm_answer(text)
    assert err.value.field == "recipe"
    assert words in err.value.message, err.value.message


def test_llm_answer_limits():
    with pytest.raises(SpecError, match="too long"):
        parse_llm_answer(ANSWER + " " * 30000)
    with pytest.raises(SpecError, match="text"):
        parse_llm_answer({"components": []})


def test_llm_prompt_documents_the_schema():
    for name, g in D.RECIPE_GENERATORS.items():
        assert f"- {name}:" in LLM_PROMPT
        assert f"n {g.params['n']['min']}..{g.params['n']['max']}" in LLM_PROMPT
    assert "ONLY one JSON object" in LLM_PROMPT and str(MAX_POINTS) in LLM_PROMPT
    examples = [line for line in LLM_PROMPT.splitlines() if line.startswith("{\"components\": [{")]
    assert len(examples) == 2
    for line in examples:
        assert parse_llm_answer(line) == json.loads(line)


def test_noise_levels_fit_the_generators():
    for gen, table in NOISE_LEVELS.items():
        p = D.RECIPE_GENERATORS[gen].params["noise"]
        values = [table[k] for k in ("none", "low", "medium", "high", "very_high")]
        assert values == sorted(values) and p["min"] <= values[0] and values[-1] <= p["max"]
        assert all(noise_band(gen, v) == k for k, v in table.items())


def test_same_bytes_twice():
    r = describe("two moons and a blob, noisy, 400 points")["recipe"]
    a, b = D.from_recipe(r), D.from_recipe(r)
    assert a[0].tobytes() == b[0].tobytes() and np.array_equal(a[1], b[1])


@pytest.mark.parametrize("text", ["moons seed " + "9" * 900, "moons " + "9" * 900 + " points",
                                  "blobs with " + "9" * 400 + " classes", "moons " + "9" * 400 + "k points"])
def test_numbers_too_large_for_a_float_are_read_as_too_large(text):
    # float("9" * 400) is inf, and int(inf) raises: such numbers are capped, then refused as usual
    said = describe(text)
    assert said["recipe"]["components"][0]["n"] <= 5000 and said["notes"]


# --- what the text does not say is never made up ------------------------------------------

@pytest.mark.parametrize("text", ["", "   ", "asdf qwerty", "the of a", "hello world, please"])
def test_empty_or_nonsense_text_says_it_understood_nothing(text):
    with pytest.raises(SpecError, match="understood nothing") as caught:
        describe(text)
    assert caught.value.field == "describe"
    if text.strip() and "qwerty" in text:
        assert "asdf, qwerty" in caught.value.message  # the words it could not read are named


@pytest.mark.parametrize("text, share", [("50% label noise", 0.5), ("two moons with 50% label noise", 0.5),
                                         ("two moons, 20% label noise", 0.2), ("circles with noisy labels", 0.1),
                                         ("mislabelled moons", 0.1)])
def test_label_noise_flips_labels_and_adds_no_points(text, share):
    out = describe(text)
    recipe = out["recipe"]
    assert any("label noise" in u or "labels" in u or "mislabel" in u for u in out["understood"]), out
    # no cloud of outliers: every component is a shape, and the points are the shapes' own
    assert all("label" not in c for c in recipe["components"]), recipe
    assert sum(c["n"] for c in recipe["components"]) == 200
    from descentlab.datasets.recipes import RECIPE_FIELDS
    if "label_noise" in RECIPE_FIELDS:  # the core flips them: about `share` of the labels differ
        assert recipe["label_noise"] == share
        clean = {k: v for k, v in recipe.items() if k != "label_noise"}
        (X0, y0), (X1, y1) = D.from_recipe(clean), D.from_recipe(recipe)
        assert X0.tobytes() == X1.tobytes()
        assert abs(float(np.mean(y0 != y1)) - share) <= 0.01
    else:  # this core cannot flip labels: the learner is told, and nothing is faked
        assert "label_noise" not in recipe
        assert any("cannot flip labels" in n for n in out["notes"]), out["notes"]


def test_outliers_are_still_outliers():
    comps = describe("two moons with 10% outliers")["recipe"]["components"]
    assert [c.get("label") for c in comps] == [None, 0, 1]
