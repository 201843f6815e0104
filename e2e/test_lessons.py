"""Lessons that teach (issue #15): a "predict first" lesson gives nothing away before the
learner answers, then says whether the guess was right, with this run's numbers."""

from __future__ import annotations

import re

import pytest

from conftest import native, wait_digest

PREDICT_LESSONS = ["valley", "saddle", "beale-momentum", "lr-too-high", "rastrigin", "noisy-schedule", "sam-sharp-flat"]
INTERNAL_NAMES = {"sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad", "adamw"}
HIDDEN = "() => /hidden until you predict/.test(document.querySelector('.main .run-status')?.textContent)"


def lesson_meta(page, lesson_id):
    """The lesson as lessons.js defines it (keywords, answer rule, scene)."""
    return page.evaluate("""async (id) => {
        const { LESSONS } = await import('./lessons.js');
        const l = LESSONS.find((x) => x.id === id);
        return { keywords: l.predict.keywords, answer: l.predict.answer, text: l.text, question: l.predict.question };
    }""", lesson_id)


def right_answer(rule, runs):
    """The run that answers the lesson's question, from the native run's numbers."""
    if rule == "diverged":
        return next(i for i, r in enumerate(runs) if r["diverged_at"])
    ok = [i for i, r in enumerate(runs) if not r["diverged_at"]]
    pick = max if rule == "highest" else min
    return pick(ok, key=lambda i: runs[i]["final_loss"])


@pytest.mark.parametrize("n, lesson", list(enumerate(PREDICT_LESSONS)))
def test_predict_hides_the_answer_then_judges_it(opened, server, n, lesson):
    page = opened(server + f"#landscape?lesson={lesson}")
    page.wait_for_function(HIDDEN, timeout=120_000)
    meta = lesson_meta(page, lesson)
    before = (page.locator(".lesson-text").inner_text() + "\n" + page.locator(".lesson-card .predict-question").inner_text())
    assert meta["question"] in before
    for word in meta["keywords"]:
        assert word.lower() not in before.lower(), f"{word!r} gives the answer away before the choice"
    # nothing of the runs: no verdict, no legend, no badges
    assert page.locator(".lesson-card .verdict").count() == 0
    assert page.locator(".chart-legend li").count() == 0
    assert page.locator(".opt-item .badge").count() == 0
    # the answers are the runs, named as in the page (not internal names)
    labels = page.evaluate("() => window.descentlab.view.labels")
    buttons = page.locator(".lesson-card .predict-choices button")
    assert [buttons.nth(i).inner_text() for i in range(buttons.count())] == labels
    assert not INTERNAL_NAMES & set(labels)   # "sgd", "momentum": the names the core uses
    assert len(set(labels)) == len(labels)

    spec = page.evaluate("() => window.descentlab.view.spec")
    ref = native(spec)
    k = right_answer(meta["answer"], ref["runs"])
    choice = k if n % 2 == 0 else (k + 1) % len(labels)   # some lessons answered right, some wrong
    buttons.nth(choice).click()
    verdict = page.locator(".lesson-card .verdict")
    verdict.wait_for()
    if choice == k:
        assert verdict.inner_text().startswith("✓ Right")
    else:
        assert verdict.inner_text().startswith("✗ Not quite") and f"the answer is {labels[k]}" in verdict.inner_text()
    explain = page.locator(".lesson-card .explain").inner_text()
    # with this run's numbers: the right run's final loss or the step it diverged at
    r = ref["runs"][k]
    number = str(r["diverged_at"]) if r["diverged_at"] else page.evaluate("(x) => import('./lib/dom.js').then((m) => m.fmt(x, 2))", r["final_loss"])
    assert number in explain, (number, explain)
    assert len(re.findall(r"[.!?](\s|$)", explain)) >= 2          # a few sentences, not a repeat of the choice
    assert page.locator(".lesson-card .try-it button").is_visible()
    # a new lesson clears the old verdict
    page.select_option("[data-field='lesson']", "rosenbrock")
    page.wait_for_function("() => window.descentlab.view.scene.lesson === 'rosenbrock'")
    assert page.locator(".lesson-card .verdict").count() == 0
    assert page.locator(".lesson-card").is_hidden()
    assert not page.locator("#notice").is_visible() or "prediction" not in page.locator("#notice").inner_text()


def test_try_it_changes_the_scene_and_keeps_the_verdict(opened, server):
    page = opened(server + "#landscape?lesson=lr-too-high")
    page.wait_for_function(HIDDEN, timeout=120_000)
    page.locator(".lesson-card .predict-choices button").nth(2).click()
    page.locator(".lesson-card .verdict").wait_for()
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    page.locator(".lesson-card .try-it button").click()
    digest = wait_digest(page, before)
    spec = page.evaluate("() => window.descentlab.view.spec")
    assert spec["optimizers"][2]["lr"] == 0.2
    assert native(spec)["digest"] == digest
    assert page.locator(".lesson-card .verdict").inner_text().startswith("✓ Right")


def test_default_scene_is_a_lesson_with_its_text(opened, server):
    page = opened(server + "#landscape")
    wait_digest(page)
    assert page.locator("[data-field='lesson']").input_value() == "rosenbrock"
    assert "banana" in page.locator(".lesson-text").inner_text()


SHOTS = __import__("pathlib").Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_screenshots_of_a_predict_lesson(opened, server, width, height):
    """docs/screenshots/predict-{before,after}-{width}.png: the valley lesson before the
    choice, then after choosing Adam (a wrong guess), its runs played to the end. A phone's
    picture is the whole page (the card sits right after the plot)."""
    page = opened(server + "#landscape?lesson=valley")
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(HIDDEN, timeout=120_000)
    page.evaluate("() => document.fonts.ready")
    full = width < 500
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"predict-before-{width}.png"), full_page=full)
    page.locator(".lesson-card .predict-choices button", has_text="Adam").click()
    page.locator(".lesson-card .verdict").wait_for()
    page.wait_for_function("() => { const r = document.querySelector('.timeline-range');"
                           " return r && +r.value === +r.max; }", timeout=60_000)
    page.wait_for_function("() => !/Pause/.test(document.querySelector('.timeline .button').textContent)", timeout=30_000)
    assert page.locator(".lesson-card .verdict").inner_text().startswith("✗ Not quite")
    page.screenshot(path=str(SHOTS / f"predict-after-{width}.png"), full_page=full)
