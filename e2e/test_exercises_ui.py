"""The exercises view in Chromium: a learner passes SGD, makes Adam's classic mistake and
reads exactly where it goes wrong, survives an endless loop, keeps their progress across
an export and an import (and a corrupt store), races a passing optimizer on the landscape,
and a course page that embeds the lab records each check.
"""
from __future__ import annotations

import importlib.util
import json
import re
import threading
from pathlib import Path

import pytest

from descentlab import exercises as E
from conftest import ROOT, build_tool, wait_digest

KEY = "descentlab:exercises:v1"
SHOTS = ROOT / "docs" / "screenshots"
CHECK_TIMEOUT = 60_000     # the code worker starts on the first check (its own Pyodide)
SGD_ANSWER = {"g = grads  # TODO: add the L2 term λθ (weight_decay * params)": "g = grads + weight_decay * params",
              "updates = ...  # TODO: a step against the gradient, of size lr": "updates = -lr * g"}
ADAM_NO_BIAS_CORRECTION = {
    "m = ...  # TODO: running mean of g": "m = beta1 * state.m + (1 - beta1) * g",
    "v = ...  # TODO: running mean of g²": "v = beta2 * state.v + (1 - beta2) * g * g",
    "m_hat = ...  # TODO: undo the zero start of m": "m_hat = m",           # the classic mistake
    "v_hat = ...  # TODO: undo the zero start of v": "v_hat = v / bias_correction(beta2, t)",
    "updates = ...  # TODO": "updates = -lr * m_hat / (K.sqrt(v_hat) + eps)",
}


def solved(exercise_id, replacements):
    code = E.EXERCISES[exercise_id].skeleton
    for todo, line in replacements.items():
        assert todo in code, todo
        code = code.replace(todo, line)
    return code


SGD_CODE = solved("sgd", SGD_ANSWER)


def open_exercise(page, server, exercise):
    page.goto(f"{server}#exercises?exercise={exercise}")
    page.wait_for_function("(id) => window.descentlab.viewName === 'exercises' && descentlab.view.exercise === id"
                           " && descentlab.view.code !== null", arg=exercise, timeout=60_000)


def check(page, code):
    """Put `code` in the editor, press Check, and return the verdict's element text."""
    page.evaluate("(c) => descentlab.view.setCode(c)", code)
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_selector(".ex-verdict", timeout=CHECK_TIMEOUT)
    return page.inner_text(".ex-verdict")


def stored(page):
    return page.evaluate("(k) => JSON.parse(localStorage.getItem(k))", KEY)


def test_sgd_passes_is_stored_and_races(page, server):
    open_exercise(page, server, "sgd")
    assert page.locator(".ex-item").all_inner_texts()[0].startswith("1.")
    # the list: numbered through, under a heading per group, each title's name (the rest under it)
    titles = [e["title"] for e in E.list()]
    names = page.locator(".ex-item .ex-name").all_inner_texts()
    subs = page.locator(".ex-item").evaluate_all("(els) => els.map((e) => e.querySelector('.ex-sub')?.textContent ?? null)")
    assert [n if s is None else f"{n}: {s}" for n, s in zip(names, subs)] == titles
    assert page.locator(".ex-group-title").all_text_contents() == ["The classics", "Modern optimizers"]
    assert page.locator(".ex-group").nth(1).locator(".ex-num").first.inner_text() == "8."
    assert page.locator(".ex-item").count() == len(titles) == 17
    assert page.locator(".ex-equations").inner_text().splitlines() == E.list()[0]["equations"]

    # hints, one at a time
    hints = E.list()[0]["hints"]
    button = page.locator(".ex-hint-button")
    assert button.inner_text() == f"Show a hint (1 of {len(hints)})"
    button.click()
    assert page.locator(".ex-hints li").all_inner_texts() == hints[:1]
    assert button.inner_text() == f"Show a hint (2 of {len(hints)})"

    text = check(page, SGD_CODE)
    assert text.startswith("✓ Passed"), text
    assert page.locator(".ex-item[data-exercise=sgd] .ex-mark.passed").count() == 1
    assert stored(page) == {"version": 1, "exercises": {"sgd": {"code": SGD_CODE, "passed": True, "attempts": 1}}}

    # Race it: the landscape with the learner's SGD beside the built-in one, no confirmation asked
    page.get_by_role("button", name="Race it").click()
    page.wait_for_function("() => descentlab.viewName === 'landscape'")
    wait_digest(page, timeout=CHECK_TIMEOUT)
    assert page.locator("dialog.confirm-code-dialog").count() == 0
    scene = page.evaluate("() => descentlab.view.scene")
    assert [o["name"] for o in scene["optimizers"]] == ["sgd", "custom"]
    assert scene["optimizers"][1]["code"] == SGD_CODE
    runs = page.evaluate("() => descentlab.view.result.runs.map((r) => r.path.at(-1))")
    assert runs[0] == pytest.approx(runs[1], rel=1e-9, abs=1e-12)   # the learner's SGD is SGD


def test_adam_without_bias_correction_names_step_quantity_and_hint(page, server):
    code = solved("adam", ADAM_NO_BIAS_CORRECTION)
    native = E.check("adam", code)
    assert native["quantity"] == "m_hat[0]" and native["step"] == 1
    open_exercise(page, server, "adam")
    text = check(page, code)
    m = re.search(r"step (\d+), (\S+): expected (\S+), got (\S+)", text)
    assert m, text
    assert (int(m[1]), m[2]) == (native["step"], native["quantity"])
    assert float(m[3]) == pytest.approx(native["expected"], rel=1e-3)
    assert float(m[4]) == pytest.approx(native["got"], rel=1e-3)
    assert f"Hint: {native['hint']}" in text and "1 − β₁ᵗ" in text
    assert page.locator(".ex-race").is_hidden()
    assert stored(page)["exercises"]["adam"] == {"code": code, "passed": False, "attempts": 1}

    # an error at a learner line marks that line in the editor
    text = check(page, code.replace("    m_hat = m\n", "    m_hat = m +\n"))
    assert "line 17" in text and "SyntaxError" in text, text
    assert "Line 17" in page.locator(".ex-detail").inner_text()
    assert page.locator(".dl-editor-error-line, .ex-line-note:not([hidden])").count() >= 1


def test_an_endless_loop_is_stopped_and_the_view_recovers(page, server):
    open_exercise(page, server, "sgd")
    # a Python loop: the code's own step budget names its line, and the editor marks it
    loop = SGD_CODE.replace("    updates = -lr * g\n", "    while True:\n        pass\n    updates = -lr * g\n")
    text = check(page, loop)
    assert "line 12" in text and "endless loop" in text, text
    assert "Line 12" in page.locator(".ex-detail").inner_text()
    # a loop inside one call (no Python line runs): the code worker is stopped and restarted
    stuck = SGD_CODE.replace("    updates = -lr * g\n", "    sum(range(10 ** 13))\n    updates = -lr * g\n")
    text = check(page, stuck)
    assert "Stopped" in text and "8 s" in text and "still usable" in text, text
    assert page.locator(".ex-check").is_enabled()
    # the restarted code worker checks the next attempt
    page.evaluate("() => document.querySelector('.ex-verdict-box').replaceChildren()")
    assert check(page, SGD_CODE).startswith("✓ Passed")
    assert stored(page)["exercises"]["sgd"] == {"code": SGD_CODE, "passed": True, "attempts": 3}


def test_export_then_import_round_trips(page, server, tmp_path):
    open_exercise(page, server, "adam")
    adam = solved("adam", ADAM_NO_BIAS_CORRECTION)
    page.evaluate("(c) => descentlab.view.setCode(c)", adam)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export progress").click()
    path = tmp_path / "progress.json"
    info.value.save_as(path)
    exported = json.loads(path.read_text())
    assert exported == {"format": "descentlab-exercises", "version": 1,
                        "exercises": {"adam": {"code": adam, "passed": False, "attempts": 0}}}

    # a fresh start, then the file brings the code back
    page.evaluate("(k) => localStorage.removeItem(k)", KEY)
    page.reload()
    page.wait_for_function("(c) => window.descentlab.view && descentlab.view.code === c", arg=E.EXERCISES["adam"].skeleton,
                           timeout=90_000)
    file_input = page.locator(".ex-file input[type=file]")
    file_input.set_input_files(str(path))
    page.wait_for_function("() => /Imported progress for 1 exercise/.test(document.querySelector('.ex-file-status').textContent)")
    assert stored(page)["exercises"]["adam"]["code"] == adam
    page.wait_for_function("(c) => descentlab.view.exercise === 'adam' && descentlab.view.code === c", arg=adam)

    # bad files are refused with the field named, and change nothing
    for name, data, words in [
        ("unknown.json", {**exported, "exercises": {"adamax": {"code": "", "passed": True, "attempts": 1}}}, "exercises.adamax"),
        ("long.json", {**exported, "exercises": {"sgd": {"code": "#" * 20_001, "passed": False, "attempts": 0}}},
         "exercises.sgd.code: is 20,001 characters long; at most 20,000"),
        ("attempts.json", {**exported, "exercises": {"sgd": {"code": "", "passed": False, "attempts": -1}}},
         "exercises.sgd.attempts"),
        ("format.json", {"version": 1, "exercises": {}}, "format"),
    ]:
        bad = tmp_path / name
        bad.write_text(json.dumps(data))
        file_input.set_input_files(str(bad))
        page.wait_for_function("(w) => document.querySelector('.ex-file-status').textContent.includes(w)", arg=words)
        assert page.locator(".ex-file-status").inner_text().startswith("Not imported:")
    (tmp_path / "text.json").write_text("not json")
    file_input.set_input_files(str(tmp_path / "text.json"))
    page.wait_for_function("() => document.querySelector('.ex-file-status').textContent.includes('is not JSON')")
    assert stored(page)["exercises"] == {"adam": {"code": adam, "passed": False, "attempts": 0}}


def test_corrupt_storage_and_a_bad_link_do_not_crash(opened, server):
    page = opened(server, wait_ready=False)
    page.evaluate("(k) => localStorage.setItem(k, '{not json')", KEY)
    page.goto(f"{server}#exercises?exercise=adamax")
    page.wait_for_function("() => window.descentlab.viewName === 'exercises' && descentlab.view.code !== null", timeout=90_000)
    assert "could not be read" in page.locator("#notice-text").inner_text()
    problem = page.locator(".link-problems li[data-param=exercise]")
    assert "must be one of sgd, momentum" in problem.inner_text()
    assert page.evaluate("() => descentlab.view.exercise") == "sgd"
    assert page.locator(".ex-item").count() == len(E.list())

    # one bad entry is dropped, the good one kept
    page.evaluate("""(k) => localStorage.setItem(k, JSON.stringify({version: 1, exercises: {
        sgd: {code: "x = 1", passed: "yes", attempts: 1}, adam: {code: "y = 2", passed: true, attempts: 3}}}))""", KEY)
    page.goto(f"{server}#exercises?exercise=adam")
    page.reload()
    page.wait_for_function("() => descentlab.view && descentlab.view.code === 'y = 2'", timeout=90_000)
    assert "exercises.sgd.passed" in page.locator("#notice-text").inner_text()
    assert page.locator(".ex-item[data-exercise=adam] .ex-mark.passed").count() == 1


def _answers():
    """tests/test_exercises.py's correct answers (one source for both suites)."""
    spec = importlib.util.spec_from_file_location("exercise_answers", ROOT / "tests" / "test_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.answer


def test_lion_signs_the_wrong_thing_then_passes_and_races(page, server):
    answer = _answers()
    todo = "updates = ...  # TODO: −η (sign(c_t) + λθ)"
    wrong = answer("lion", **{todo: "updates = -lr * (np.sign(state.m) + weight_decay * params)"})
    native = E.check("lion", wrong)
    assert (native["step"], native["quantity"]) == (1, "updates[0]")
    open_exercise(page, server, "lion")
    assert page.locator(".ex-detail h2").inner_text().startswith("8. Lion: the sign of an interpolation")
    assert page.locator(".ex-equations").inner_text().splitlines() == next(
        e["equations"] for e in E.list() if e["id"] == "lion")
    text = check(page, wrong)
    assert "step 1, updates[0]" in text and f"Hint: {native['hint']}" in text, text
    text = check(page, answer("lion"))
    assert text.startswith("✓ Passed"), text
    page.get_by_role("button", name="Race it").click()
    page.wait_for_function("() => descentlab.viewName === 'landscape'")
    wait_digest(page, timeout=CHECK_TIMEOUT)
    scene = page.evaluate("() => descentlab.view.scene")
    assert [o["name"] for o in scene["optimizers"]] == ["lion", "custom"]
    assert scene["optimizers"][1]["label"] == "My Lion"
    runs = page.evaluate("() => descentlab.view.result.runs.map((r) => r.path.at(-1))")
    assert runs[0] == pytest.approx(runs[1], rel=1e-9, abs=1e-12)


def test_sam_passes_and_races_beside_sam_on_sgd(page, server):
    answer = _answers()
    open_exercise(page, server, "sam")
    assert "Write probe" in page.locator(".ex-note").inner_text()
    forgot = answer("sam", **{"scale = ...  # TODO: ρ / (‖g‖ + ε)": "scale = rho"})
    text = check(page, forgot)
    assert "step 1, scale" in text and "dividing by the norm" in text, text
    assert check(page, answer("sam")).startswith("✓ Passed")
    page.get_by_role("button", name="Race it").click()
    page.wait_for_function("() => descentlab.viewName === 'landscape'")
    wait_digest(page, timeout=CHECK_TIMEOUT)
    scene = page.evaluate("() => descentlab.view.scene")
    assert scene["optimizers"][0]["name"] == "sam" and scene["optimizers"][0]["base"]["name"] == "sgd"
    runs = page.evaluate("() => descentlab.view.result.runs.map((r) => r.path.at(-1))")
    assert runs[0] == pytest.approx(runs[1], rel=1e-9, abs=1e-12)   # the learner's probe is SAM's


def test_muon_passes_and_races_in_the_network_view(page, server):
    """Muon needs weight matrices: its race is in the network view, the learner's code given the blocks."""
    answer = _answers()
    open_exercise(page, server, "muon")
    assert check(page, answer("muon")).startswith("✓ Passed")
    note = next(e["race_note"] for e in E.list() if e["id"] == "muon")
    assert page.locator(".ex-race-note").inner_text() == note and "network view" in note
    page.get_by_role("button", name="Race it").click()
    page.wait_for_function("() => descentlab.viewName === 'network'")
    assert page.locator("dialog.confirm-code-dialog").count() == 0
    page.wait_for_function("() => { const v = window.descentlab.view; return v && v.result && v.result.runs.length === 2"
                           " && v.result.runs.every((r) => r.train_loss && r.train_loss.length > 0); }",
                           timeout=4 * CHECK_TIMEOUT)
    spec = page.evaluate("() => descentlab.view.spec")
    assert [o["name"] for o in spec["optimizers"]] == ["muon", "custom"] and spec["epochs"] == 20, spec
    losses = page.evaluate("() => descentlab.view.result.runs.map((r) => Array.from(r.train_loss))")
    assert len(losses[0]) == len(losses[1]) > 1
    # NumPy's @ in the learner's code, the kernels' matmul in Muon's: the same losses, not the same bits
    assert losses[1] == pytest.approx(losses[0], rel=1e-6)
    assert losses[0][-1] < losses[0][0]


@pytest.fixture
def course(tmp_path):
    """e2e/host_exercise.html served from a second port (another origin than the lab)."""
    httpd = build_tool.make_server(Path(__file__).parent, "127.0.0.1", 0, quiet=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_a_course_page_records_each_check(opened, server, course):
    page = opened(f"{course}host_exercise.html?lab={server}", wait_ready=False)
    frame = page.wait_for_selector("#lab").content_frame()
    frame.wait_for_function("() => window.descentlab && descentlab.viewName === 'exercises' && descentlab.view.code !== null",
                            timeout=90_000)
    assert frame.evaluate("() => location.origin") != page.evaluate("() => location.origin")
    frame.evaluate("(c) => descentlab.view.setCode(c)", SGD_CODE)
    frame.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_function("() => window.exerciseMessages.length === 1", timeout=CHECK_TIMEOUT)
    [message] = page.evaluate("() => window.exerciseMessages")
    assert {k: message[k] for k in ("exercise", "passed", "attempts")} == {"exercise": "sgd", "passed": True, "attempts": 1}
    assert re.fullmatch(r"[0-9a-f]{32}", message["id"])
    assert page.locator("#results li").inner_text() == "sgd: passed (attempt 1)"


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_layout_and_screenshots(opened, server, width, height):
    page = opened(server, wait_ready=False)
    page.set_viewport_size({"width": width, "height": height})
    open_exercise(page, server, "adam")
    page.locator(".ex-hint-button").click()
    check(page, solved("adam", ADAM_NO_BIAS_CORRECTION))
    # nothing of the view is wider than the window
    # (the editor scrolls its own long lines: its insides are not laid out in the page)
    overflow = page.evaluate("""(w) => [...document.querySelectorAll('#view *')]
        .filter((e) => e.getBoundingClientRect().right > w + 0.5 && !e.parentElement.closest('.CodeMirror, .ex-textarea'))
        .map((e) => e.tagName + '.' + e.className)""", width)
    assert overflow == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    if width < 600:
        assert page.evaluate("() => getComputedStyle(document.querySelector('.ex-view')).gridTemplateColumns.split(' ').length") == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"exercise-{width}.png"), full_page=width < 600)
