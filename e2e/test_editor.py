"""The code editor (web/lib/editor.js) in Chromium: typed with the keyboard like a learner
would, from the served app, offline from the service worker's cache, and from the
single-file app on disk; with a plain textarea when CodeMirror cannot load.

No view uses the editor on its own yet, so each test imports the module into the app page
and makes an editor in a box of its own beside the (hidden) view.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import PageWatch, open_page, wait_until_ready, watched_pages
from test_offline import site, wait_controlled  # noqa: F401 - site: the offline tests' served copy of dist/

SHOTS = Path("/tmp/shots")
LABEL = "Code of My SGD"
LEAVE = "Esc then Tab to leave the editor"

# Import the module, wait for CodeMirror (or its absence), make an editor in a test box
# between two buttons. `create` false: only import (for tests of what happens before ready).
SETUP_JS = """async ([url, options, wait]) => {
    const m = await import(url);
    window.editorModule = m;
    let box = document.querySelector('#editor-test');
    if (!box) {
        box = document.createElement('section');
        box.id = 'editor-test';
        box.style.cssText = 'padding: 1rem; max-width: 52rem';
        box.innerHTML = '<button id="before">before</button><div class="slot" style="margin: .5rem 0"></div>'
            + '<button id="after">after</button>';
        const view = document.querySelector('#view');
        view.hidden = true;
        view.after(box);
    }
    window.changes = [];
    const ready = wait ? await m.editorReady : null;
    window.ed = m.createEditor(box.querySelector('.slot'),
        {label: %r, minLines: 6, ...options, onChange: (t) => window.changes.push(t)});
    return {ready, kind: window.ed.kind};
}""" % LABEL

SGD = "def update(grads, state, params, lr=0.01):\n    return -lr * grads, state"
ADAM = """def init(params):
    z = K.zeros_like(params)
    return (0, z, z)


def update(grads, state, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    t, m, v = state
    t = t + 1
    m = beta1 * m + (1.0 - beta1) * grads   # first moment
    v = beta2 * v + (1.0 - beta2) * grads * grads
    m_hat = m / (1.0 - beta1 ** t)
    return -lr * m_hat / (K.sqrt(v_hat) + eps), (t, m, v)
"""


def setup(page, url, wait=True, **options):
    return page.evaluate(SETUP_JS, [url, options, wait])


def value(page) -> str:
    return page.evaluate("() => window.ed.getValue()")


def focus_in_editor(page) -> bool:
    return page.evaluate("() => window.ed.el.contains(document.activeElement)")


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement.id")


def check_keyboard_exit(page):
    """Tab indents (focus stays); Esc then Tab leaves forwards, Esc then Shift-Tab backwards."""
    page.evaluate("() => window.ed.focus()")
    page.keyboard.press("Tab")
    assert focus_in_editor(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert focused_id(page) == "after"
    page.evaluate("() => window.ed.focus()")
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Tab")
    assert focused_id(page) == "before"
    # a key between Esc and Tab cancels leaving: the Tab indents again
    page.evaluate("() => window.ed.focus()")
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Tab")
    assert focus_in_editor(page)


def type_sgd(page):
    """Type SGD's update; Python mode indents the body after the colon by itself."""
    page.evaluate("() => window.ed.focus()")
    page.keyboard.type("def update(grads, state, params, lr=0.01):")
    page.keyboard.press("Enter")
    page.keyboard.type("return -lr * grads, state")


def test_codemirror_editor_with_the_keyboard(page, server):
    assert setup(page, server + "lib/editor.js") == {"ready": True, "kind": "codemirror"}
    type_sgd(page)
    assert value(page) == SGD
    assert page.evaluate("() => window.changes.at(-1)") == SGD

    # Tab indents by 4 spaces to the next stop, Shift-Tab dedents; each an undo step of its own
    page.keyboard.press("Home")               # first non-blank of "    return"
    page.keyboard.press("Tab")
    assert value(page).split("\n")[1] == "        return -lr * grads, state"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert value(page).split("\n")[1] == "return -lr * grads, state"
    page.keyboard.press("Control+z")
    assert value(page).split("\n")[1] == "    return -lr * grads, state"
    page.keyboard.press("Control+z")
    assert value(page).split("\n")[1] == "        return -lr * grads, state"
    page.keyboard.press("Control+Shift+z")
    assert value(page) == SGD
    assert "\t" not in value(page)
    # a selection across lines moves as a block
    page.keyboard.press("Control+a")
    page.keyboard.press("Tab")
    assert value(page) == "\n".join("    " + line for line in SGD.split("\n"))
    page.keyboard.press("Shift+Tab")
    assert value(page) == SGD

    # line numbers, Python colouring, the accessible name and the visible hint
    root = page.locator("#editor-test .dl-editor")
    assert root.locator(".CodeMirror-linenumber:visible").all_inner_texts()[:2] == ["1", "2"]
    assert root.locator(".cm-keyword").all_inner_texts()[:2] == ["def", "return"]
    assert root.locator(".cm-def").first.inner_text() == "update"
    assert root.locator(".cm-number").first.inner_text() == "0.01"
    editor_input = page.get_by_label(LABEL)
    assert editor_input.count() == 1 and editor_input.get_attribute("contenteditable") == "true"
    hint = root.locator(".dl-editor-hint")
    assert hint.is_visible() and LEAVE in hint.inner_text()
    assert hint.get_attribute("id") in editor_input.get_attribute("aria-describedby").split()

    check_keyboard_exit(page)

    # the learner's error line: highlighted, named under the editor, cleared with null
    page.evaluate("(text) => window.ed.setValue(text)", ADAM)
    page.evaluate("() => window.ed.markLine(12, \"NameError: name 'v_hat' is not defined\")")
    assert "dl-editor-error-line" in root.locator(".CodeMirror-code > div").nth(11).get_attribute("class")
    assert root.locator(".dl-editor-error-line").count() == 1
    assert root.locator(".dl-editor-message").inner_text() == "Line 12: NameError: name 'v_hat' is not defined"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SHOTS / "editor-1280.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "editor-390.png"))
    # at phone width the editor fits the screen: long lines scroll inside it
    assert page.evaluate("() => window.ed.el.getBoundingClientRect().right") <= 390
    assert page.evaluate("() => { const s = window.ed.el.querySelector('.CodeMirror-scroll'); return s.scrollWidth > s.clientWidth; }")
    page.evaluate("() => window.ed.markLine(null)")
    assert root.locator(".dl-editor-error-line").count() == 0 and root.locator(".dl-editor-message").is_hidden()

    # setValue is not an edit by the user; destroy removes it all
    n = page.evaluate("() => window.changes.length")
    page.evaluate("() => window.ed.setValue('x = 1\\n')")
    assert value(page) == "x = 1\n" and page.evaluate("() => window.changes.length") == n
    page.evaluate("() => window.ed.destroy()")
    assert page.locator("#editor-test .dl-editor").count() == 0


def test_read_only_editor_and_highlighted_source(page, server):
    assert setup(page, server + "lib/editor.js", value=SGD, readOnly=True)["kind"] == "codemirror"
    page.evaluate("() => window.ed.focus()")
    page.keyboard.type("oops")
    assert value(page) == SGD and page.evaluate("() => window.changes") == []
    page.keyboard.press("Tab")               # nothing to indent: Tab leaves at once
    assert focused_id(page) == "after"

    code = page.evaluate("""() => {
        const el = window.editorModule.highlightPython("def f(x):\\n    return x  # the identity");
        document.querySelector('#editor-test').append(el);
        return {tag: el.tagName, cls: el.className, text: el.textContent,
                spans: [...el.querySelectorAll('span')].map((s) => [s.className, s.textContent])};
    }""")
    assert code["tag"] == "CODE" and "py" in code["cls"].split()
    assert code["text"] == "def f(x):\n    return x  # the identity"
    assert ["cm-keyword", "def"] in code["spans"] and ["cm-keyword", "return"] in code["spans"]
    assert ["cm-def", "f"] in code["spans"] and ["cm-comment", "# the identity"] in code["spans"]


def test_editor_made_before_codemirror_arrives_turns_into_it(page, server):
    started = setup(page, server + "lib/editor.js", wait=False, value="x = 1")
    assert started == {"ready": None, "kind": "textarea"}
    page.evaluate("() => window.editorModule.editorReady")
    assert page.evaluate("() => window.ed.kind") == "codemirror"
    assert value(page) == "x = 1"
    assert page.locator("#editor-test textarea.dl-editor-fallback").count() == 0
    assert page.locator("#editor-test .CodeMirror").count() == 1


def test_textarea_when_codemirror_cannot_load(browser, server):
    watch = PageWatch()
    page = open_page(browser, server, watch)
    try:
        page.route("**/vendor/codemirror/codemirror.js", lambda route: route.abort())
        assert setup(page, server + "lib/editor.js") == {"ready": False, "kind": "textarea"}
        textarea = page.get_by_label(LABEL)
        assert textarea.evaluate("(el) => el.tagName") == "TEXTAREA"
        type_sgd(page)
        page.keyboard.press("Home")            # Python mode is gone: indent by hand
        page.keyboard.press("Tab")
        assert value(page) == SGD
        page.keyboard.press("End")             # to the next multiple of 4 columns
        page.keyboard.press("Tab")
        assert value(page) == SGD + " " * (4 - len(SGD.split("\n")[1]) % 4)
        page.keyboard.press("Control+z")
        assert value(page) == SGD
        page.keyboard.press("Control+a")
        page.keyboard.press("Tab")
        assert value(page).split("\n")[0] == "    def update(grads, state, params, lr=0.01):"
        page.keyboard.press("Shift+Tab")
        assert value(page).split("\n")[0] == "def update(grads, state, params, lr=0.01):"
        assert page.evaluate("() => window.changes.at(-1)") == value(page)
        assert LEAVE in page.locator("#editor-test .dl-editor-hint").inner_text()
        check_keyboard_exit(page)
        page.evaluate("() => window.ed.markLine(1, 'SyntaxError: invalid syntax')")
        assert page.locator("#editor-test .dl-editor-message").inner_text() == "Line 1: SyntaxError: invalid syntax"
        code = page.evaluate("() => window.editorModule.highlightPython('def f(): pass').outerHTML")
        assert code == '<code class="py cm-s-default">def f(): pass</code>'
    finally:
        page.context.close()
    # the only errors are the blocked script's
    assert watch.console_errors and all("Failed to load resource" in e for e in watch.console_errors), watch.console_errors
    assert watch.external_requests == []


def test_single_file_app_has_the_editor(browser, dist, tmp_path):
    stick = tmp_path / "usb-stick"
    stick.mkdir()
    path = stick / "descentlab.html"
    shutil.copy(dist / "descentlab.html", path)
    with watched_pages(browser) as open_:
        page = open_(path.as_uri())
        assert setup(page, "@descentlab/lib/editor.js") == {"ready": True, "kind": "codemirror"}
        type_sgd(page)
        assert value(page) == SGD
        assert page.locator("#editor-test .cm-keyword").first.inner_text() == "def"
        check_keyboard_exit(page)
        # nothing loaded: the scripts and styles were inline in the file
        assert page.evaluate("() => document.querySelectorAll('script[data-descentlab-vendor], link[href*=\"editor\"], link[href*=\"codemirror\"]').length") == 0
        assert page.evaluate("() => getComputedStyle(document.querySelector('.dl-editor .CodeMirror')).position") == "relative"
        page.set_viewport_size({"width": 1280, "height": 800})
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "editor-single-file.png"))
        requests = list(open_.watch.requests)
    for url in requests:
        assert url.split(":", 1)[0] in ("file", "data", "blob"), url
        if url.startswith("file:"):
            assert url.split("#")[0] == path.as_uri(), url


def test_editor_works_offline_from_the_service_worker_cache(browser, site):
    with watched_pages(browser, service_workers="allow") as open_:
        page = open_(site.url)
        wait_controlled(page)
        page.wait_for_function("""async () => {
            const keys = await caches.keys();
            if (keys.length !== 1) return false;
            const cached = await (await caches.open(keys[0])).keys();
            return cached.some((r) => r.url.endsWith('/vendor/codemirror/codemirror.js'));
        }""", timeout=120_000, polling=250)
        site.stop()
        page.context.set_offline(True)
        page.reload()
        wait_until_ready(page)
        assert setup(page, site.url + "lib/editor.js") == {"ready": True, "kind": "codemirror"}
        type_sgd(page)
        assert value(page) == SGD
        assert page.locator("#editor-test .cm-keyword").first.inner_text() == "def"
