"""The code lab in the page: the learner edits a copy of a built-in optimizer or writes
their own, and races it; code that arrives in a link is shown and confirmed before any of
it runs.

- "Edit a copy" of Adam, saved unchanged, races bit for bit like the built-in Adam;
- a syntax error is named with its line next to the editor, the page stays alive, and the
  fixed code runs;
- a link with code opens the confirmation dialog before anything runs (no message that
  carries the code reaches any worker); "Run this code" runs it, "Don't run" (or Escape)
  drops the custom entries and runs the rest;
- an endless loop in update ends with a clear message and the page still runs built-ins;
- screenshots of the editor panel at 1280x800 and 390x844 (docs/screenshots/).
"""
from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from conftest import wait_digest, wait_until_ready

CODE_TIMEOUT = 120_000   # ms: a first request to the code worker waits for it to load
DOCS_SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"

ADAM_LINK = "#landscape?function=rosenbrock&start=[-1.2,1]&steps=150&optimizers=" + urllib.parse.quote(
    json.dumps([{"name": "adam", "params": {"lr": 0.02}}]), safe="")

# Plain gradient descent, as a learner would write it: with lr=0.001 it is the built-in sgd.
MY_SGD = """\
def init(params):
    return (0,)


def update(grads, state, params, lr=0.001):
    (step,) = state
    return -lr * grads, (step + 1,)
"""

# Every message a page posts to a worker, noted before the page's own scripts run: which
# worker (its name) and whether the message carries learner code ("name": "custom").
WATCH_WORKERS = """
(() => {
  window.__workerMessages = [];
  const Real = window.Worker;
  window.Worker = class extends Real {
    constructor(url, options) { super(url, options); this.__name = (options && options.name) || "main"; }
    postMessage(msg, ...rest) {
      let code = false;
      try { code = JSON.stringify(msg).includes('"name":"custom"'); } catch { code = true; }
      window.__workerMessages.push({ worker: this.__name, type: msg && msg.type, code });
      return super.postMessage(msg, ...rest);
    }
  };
})();
"""


def link_with_code(entries) -> str:
    return "#landscape?function=rosenbrock&start=[-1.2,1]&steps=80&optimizers=" + urllib.parse.quote(json.dumps(entries), safe="")


def open_watched(opened, server, hash_: str):
    """A page on `hash_` whose worker messages are recorded from its first script on."""
    page = opened("about:blank", wait_ready=False)
    page.add_init_script(WATCH_WORKERS)
    page.goto(server + hash_)
    wait_until_ready(page)
    return page


def runs(page) -> list | None:
    """The names of the shown result's runs (None: no view, or nothing computed yet)."""
    return page.evaluate("() => { const v = window.descentlab.view; return v && v.result ? v.result.runs.map((r) => r.name) : null; }")


def same_bits(page, a: int, b: int) -> bool:
    """Whether runs a and b of the shown result have the same path and losses, bit for bit."""
    return page.evaluate("""([a, b]) => {
        const runs = window.descentlab.view.result.runs;
        const flat = (r) => [...r.path.flat(), ...r.loss];
        const x = flat(runs[a]), y = flat(runs[b]);
        return x.length === y.length && x.length > 10 && x.every((v, i) => Object.is(v, y[i]));
    }""", [a, b])


def panel_code(page, text: str | None = None) -> str:
    """The code panel's editor text (set to `text` first when given)."""
    page.wait_for_function("() => document.querySelector('.code-panel') && document.querySelector('.code-panel').codeEditor")
    if text is not None:
        page.evaluate("(t) => document.querySelector('.code-panel').codeEditor.setValue(t)", text)
    return page.evaluate("() => document.querySelector('.code-panel').codeEditor.getValue()")


def panel_error(page, timeout: int = CODE_TIMEOUT) -> str:
    """The error the code panel announces (its alert box; the editor marks the line)."""
    page.wait_for_function("() => { const e = document.querySelector('.code-panel .code-error'); return e && !e.hidden && e.textContent; }",
                           timeout=timeout)
    return page.evaluate("() => document.querySelector('.code-panel .code-error').textContent")


def save(page) -> None:
    page.get_by_role("button", name="Save and run").click()


def edit_copy_of_adam(page) -> str:
    before = wait_digest(page)
    page.get_by_role("button", name="Edit a copy of Adam (run 1)").click()
    code = panel_code(page)
    assert "def update(" in code and "def init(" in code
    save(page)
    # (the code worker starts on its first use: Pyodide and NumPy load once more)
    page.wait_for_function("() => window.descentlab.view.result && window.descentlab.view.result.runs.length === 2", timeout=CODE_TIMEOUT)
    wait_digest(page, before, timeout=CODE_TIMEOUT)
    return code


# ---------------------------------------------------------------- (a) and (b)
def test_edit_a_copy_of_adam_races_bit_for_bit_and_a_syntax_error_names_its_line(opened, server):
    page = opened(server + ADAM_LINK)
    code = edit_copy_of_adam(page)
    assert runs(page) == ["adam", "custom"]
    assert same_bits(page, 0, 1), "the copy of Adam must race exactly like the built-in Adam"
    assert page.evaluate("() => window.descentlab.view.result.runs[1].label") == "My Adam"
    # its entry: a label, an "Edit code" button and the hyper-parameters of update's defaults
    item = page.locator(".opt-item.opt-custom")
    assert item.locator("input[data-field='optimizers[1].label']").input_value() == "My Adam"
    assert item.locator("[data-field='optimizers[1].hyper.lr']").input_value() == "0.02"   # the copy kept the run's lr
    # and the link carries it
    assert "%22custom%22" in page.url or '"custom"' in urllib.parse.unquote(page.url)

    # (b) a syntax error: the learner's line and message next to the editor, nothing else breaks
    broken = code.rstrip("\n") + "\n\ndef broken(:\n    pass\n"
    line = broken.count("\n") - 1
    panel_code(page, broken)
    save(page)
    text = panel_error(page)
    assert f"ine {line}" in text and "SyntaxError" in text, text
    # the editor marks that line and shows the message under it
    assert page.locator(".code-panel .dl-editor-message").inner_text().startswith(f"Line {line}: SyntaxError")
    # the page is alive: the built-in Adam still runs when its lr changes
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    lr = page.locator("[data-field='optimizers[0].lr']")
    lr.fill("0.03")
    lr.press("Enter")
    wait_digest(page, before)
    assert runs(page) == ["adam", "custom"]
    # fixed, it runs: the copy (lr 0.02) is now another plain gradient descent
    before = page.evaluate("() => document.querySelector('#view').dataset.digest")
    panel_code(page, MY_SGD)
    save(page)
    page.wait_for_function("() => !document.querySelector('.code-panel .code-error') || document.querySelector('.code-panel .code-error').hidden")
    wait_digest(page, before, timeout=CODE_TIMEOUT)
    assert runs(page) == ["adam", "custom"]
    assert page.locator(".opt-item.opt-custom [data-field='optimizers[1].hyper.lr']").input_value() == "0.02"


# ---------------------------------------------------------------- (d)
def test_an_endless_loop_is_stopped_with_a_message_and_the_page_stays_usable(opened, server):
    page = opened(server + ADAM_LINK)
    wait_digest(page)
    page.get_by_role("button", name="+ Write your own").click()
    template = panel_code(page)
    assert "def init(params)" in template and "def update(grads, state, params, lr=" in template
    panel_code(page, MY_SGD.replace("    (step,) = state\n", "    (step,) = state\n    while True:\n        pass\n"))
    save(page)
    text = panel_error(page)
    assert "loop" in text or "stopped" in text, text
    # still usable: without the custom entry the built-in Adam runs (the same scene as
    # before, so the same digest: the view's count of drawn scenes tells the new result)
    scenes = page.evaluate("() => +document.querySelector('#view').dataset.scenes")
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Remove run 2").click()
    page.wait_for_function("(n) => +document.querySelector('#view').dataset.scenes > n", arg=scenes)
    assert runs(page) == ["adam"]


# ---------------------------------------------------------------- (c) links with code
CODE_ENTRY = {"name": "custom", "label": "Linked SGD", "code": MY_SGD, "hyper": {"lr": 0.001}}


def dialog_shows_code_and_nothing_ran(page):
    dialog = page.locator("dialog.confirm-code-dialog")
    dialog.wait_for(state="visible")
    assert "Linked SGD" in dialog.inner_text() and "def update(grads, state, params, lr=0.001):" in dialog.inner_text()
    title_id = dialog.get_attribute("aria-labelledby")
    assert page.locator(f"#{title_id}").inner_text()
    # focus is in the dialog, on the safe choice
    assert page.evaluate("() => document.activeElement.textContent") == "Don't run"
    assert runs(page) is None
    assert not any(m["code"] for m in page.evaluate("() => window.__workerMessages"))
    assert not [m for m in page.evaluate("() => window.__workerMessages") if m["worker"] == "descentlab-code"]
    return dialog


def test_a_link_with_code_asks_before_it_runs(opened, server):
    page = open_watched(opened, server, link_with_code([{"name": "sgd", "params": {"lr": 0.001}}, CODE_ENTRY]))
    dialog = dialog_shows_code_and_nothing_ran(page)
    # Tab stays inside the dialog
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('dialog.confirm-code-dialog')")
    dialog.get_by_role("button", name="Run this code").click()
    wait_digest(page, timeout=CODE_TIMEOUT)
    assert runs(page) == ["sgd", "custom"]
    assert same_bits(page, 0, 1), "the linked plain gradient descent is the built-in sgd"
    # accepted code is trusted in this tab: the same link opens without asking
    page.reload()
    wait_until_ready(page)
    wait_digest(page, timeout=CODE_TIMEOUT)
    assert runs(page) == ["sgd", "custom"]
    assert page.locator("dialog.confirm-code-dialog").count() == 0


@pytest.mark.parametrize("how", ["button", "escape"])
def test_declined_code_leaves_the_scene_and_the_rest_runs(opened, server, how):
    page = open_watched(opened, server, link_with_code([CODE_ENTRY, {"name": "adam", "params": {"lr": 0.02}}]))
    dialog = dialog_shows_code_and_nothing_ran(page)
    if how == "button":
        dialog.get_by_role("button", name="Don't run").click()
    else:
        page.keyboard.press("Escape")
    wait_digest(page)
    assert runs(page) == ["adam"]
    assert page.locator(".opt-item.opt-custom").count() == 0
    assert "custom" not in urllib.parse.unquote(page.url)
    assert not any(m["code"] for m in page.evaluate("() => window.__workerMessages"))


def test_code_in_a_link_is_checked_for_length(opened, server):
    too_long = dict(CODE_ENTRY, code="# x\n" * 6000, label="L" * 50)
    page = open_watched(opened, server, link_with_code([too_long, {"name": "adam"}]))
    wait_digest(page)
    shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.link-problems li')]
        .map((li) => [li.dataset.param, li.textContent]))""")
    assert "at most 20000" in shown["optimizers[0].code"]
    assert runs(page) == ["adam"]
    assert page.locator("dialog.confirm-code-dialog").count() == 0


# ---------------------------------------------------------------- the network view
def test_network_view_offers_the_same_code_lab(opened, server):
    page = open_watched(opened, server, "#network?optimizers=" + urllib.parse.quote(json.dumps([{"name": "adam"}, CODE_ENTRY]), safe=""))
    dialog_shows_code_and_nothing_ran(page)
    page.get_by_role("button", name="Run this code").click()
    page.locator(".opt-item.opt-custom").wait_for()
    assert page.get_by_role("button", name="Edit a copy of Adam (run 1)").is_visible()
    assert page.get_by_role("button", name="+ Write your own").is_visible()
    page.evaluate("() => window.descentlab.view.train()")
    page.wait_for_function("() => window.descentlab.view.result", timeout=2 * CODE_TIMEOUT)
    names = page.evaluate("() => window.descentlab.view.result.runs.map((r) => r.label || r.name)")
    assert names == ["adam", "Linked SGD"]


# ---------------------------------------------------------------- screenshots
@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_editor_panel_screenshots(opened, server, width, height):
    page = opened(server + ADAM_LINK)
    page.set_viewport_size({"width": width, "height": height})
    wait_digest(page)
    page.get_by_role("button", name="Edit a copy of Adam (run 1)").click()
    panel_code(page)
    page.wait_for_function("() => document.querySelector('.code-panel .CodeMirror') !== null", timeout=30_000)
    box = page.locator(".code-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5   # the panel fits the screen
    # Save and run is in sight without scrolling the panel (its foot is sticky)
    save_box = page.get_by_role("button", name="Save and run").bounding_box()
    assert 0 <= save_box["y"] and save_box["y"] + save_box["height"] <= height
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SHOTS / f"editor-{width}.png"))


# ---------------------------------------------------------------- an embedding page's run
from test_embed import app_frame, host  # noqa: E402,F401  (the course-page server fixture)


def test_code_from_an_embedding_page_is_confirmed_first(host, server, opened):
    src = f"{server}index.html?embed=1#landscape"
    page = opened(host.write_page("code.html", src, server), wait_ready=False)
    frame = app_frame(page, server)
    frame.wait_for_function("() => window.descentlab && window.descentlab.loadState.stage === 'ready'", timeout=120_000)
    spec = {"kind": "landscape", "function": "rosenbrock", "start": [-1.2, 1.0], "steps": 60,
            "optimizers": [{"name": "sgd", "lr": 0.001}, CODE_ENTRY]}
    ask = """(s) => { window.__answer = null;
        lab.run(s).then((r) => { window.__answer = {runs: r.runs.map((x) => x.path)}; },
                        (e) => { window.__answer = {kind: e.kind, field: e.field, message: e.message}; }); }"""
    page.evaluate(ask, spec)
    dialog = frame.locator("dialog.confirm-code-dialog")
    dialog.wait_for(state="visible")
    assert "Linked SGD" in dialog.inner_text()
    dialog.get_by_role("button", name="Don't run").click()
    page.wait_for_function("() => window.__answer")
    answer = page.evaluate("() => window.__answer")
    assert answer["kind"] == "Declined" and answer["field"] == "optimizers[1].code", answer
    # asked again, and accepted: it runs (and the linked plain gradient descent is sgd, bit for bit)
    page.evaluate(ask, spec)
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name="Run this code").click()
    page.wait_for_function("() => window.__answer", timeout=CODE_TIMEOUT)
    paths = page.evaluate("() => window.__answer.runs")
    assert paths and paths[0] == paths[1]
