"""End-to-end fixtures: the real dist/, served locally, in Debian's Chromium.

Session fixtures: ``dist`` (builds once), ``server`` (base URL of dist/ on 127.0.0.1),
``browser`` (headless Chromium). Per test: ``page`` (the app, loaded and ready; at
teardown it fails the test on any console error or on any request that left
127.0.0.1) and ``browser_run`` (``browser_run(page, spec) -> result dict``).
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
READY_TIMEOUT_MS = 90_000
RUN_TIMEOUT_MS = 120_000

# Trying the pipeline against another copy of the core (see build.py): import that one natively too.
if os.environ.get("DESCENTLAB_SRC"):
    sys.path.insert(0, str(Path(os.environ["DESCENTLAB_SRC"]).resolve()))


if str(ROOT) not in sys.path:  # buildtool/ lives at the top of the repository
    sys.path.insert(0, str(ROOT))
import buildtool as build_tool  # noqa: E402

CHROMIUM, CHROMIUM_ARGS = build_tool.CHROMIUM, build_tool.CHROMIUM_ARGS


@dataclass
class PageWatch:
    """What a page did that a test must not allow."""
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def is_local(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "file"):
        return True
    return parts.hostname in LOCAL_HOSTS


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """A private build of dist/ for this session (fast from the cache), so a rebuild of
    the shared dist/ while the tests run cannot pair an old lock with a new wheel."""
    out = tmp_path_factory.mktemp("session") / "dist"
    build_tool.build(quiet=True, out=out)
    assert (out / "index.html").exists()
    return out


@pytest.fixture(scope="session")
def server(dist):
    httpd = build_tool.make_server(dist, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=httpd.serve_forever, name="dist-server", daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    yield f"http://{host}:{port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="session")
def browser(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (python3 build.py test does it as root)")
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


def open_page(browser, url: str, watch: PageWatch, wait_ready: bool = True, service_workers: str = "block"):
    """A new context + page on `url`, with every non-local request blocked and recorded.

    Service workers are blocked unless asked for (`service_workers="allow"`, as
    e2e/test_offline.py does): otherwise every test's fresh context would precache the
    whole of dist/ in the background, and requests a service worker answers bypass the guard.
    """
    context = browser.new_context(service_workers=service_workers)

    def guard(route):
        url = route.request.url
        watch.requests.append(url)
        if is_local(url):
            route.continue_()
        else:
            watch.external_requests.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
    page.on("pageerror", lambda e: watch.console_errors.append(f"pageerror: {e}"))
    # (the worker's console messages reach the page's "console" event too)
    page.goto(url)
    if wait_ready:
        wait_until_ready(page)
    return page


def wait_until_ready(page, timeout_ms: int = READY_TIMEOUT_MS) -> dict:
    page.wait_for_function("() => window.descentlab !== undefined", timeout=timeout_ms)
    return page.evaluate(
        """(t) => Promise.race([
            window.descentlab.ready,
            new Promise((_, reject) => setTimeout(() => reject(new Error(`not ready after ${t} ms`)), t)),
        ])""",
        timeout_ms,
    )


@contextlib.contextmanager
def watched_pages(browser, **options):
    """``open_(url, **more) -> page`` for pages opened with :func:`open_page` and one shared
    PageWatch; on exit the pages are closed and any console error or request that left
    127.0.0.1 fails the test."""
    watch = PageWatch()
    pages = []

    def open_(url, **more):
        page = open_page(browser, url, watch, **{**options, **more})
        pages.append(page)
        return page

    open_.watch = watch
    yield open_
    for page in pages:
        page.context.close()
    assert watch.console_errors == [], f"console errors: {watch.console_errors}"
    assert watch.external_requests == [], f"requests left 127.0.0.1: {watch.external_requests}"


@pytest.fixture
def opened(browser):
    """Open watched pages in a test (see :func:`watched_pages`)."""
    with watched_pages(browser) as open_:
        yield open_


@pytest.fixture
def page_watch(opened):
    """What the test's pages did (requests, console errors): the watch behind ``opened``."""
    return opened.watch


@pytest.fixture
def page(opened, server):
    return opened(server)


def _browser_run(page, spec: dict, timeout_ms: int = RUN_TIMEOUT_MS) -> dict:
    """Run `spec` in the page's worker; returns exactly what descentlab.run(spec) returned there."""
    return page.evaluate(
        """([spec, t]) => Promise.race([
            window.descentlab.run(spec),
            new Promise((_, reject) => setTimeout(() => reject(new Error(`run took over ${t} ms`)), t)),
        ])""",
        [spec, timeout_ms],
    )


@pytest.fixture
def browser_run():
    return _browser_run


# ---------------------------------------------------------------- helpers for the view tests
def native(spec: dict) -> dict:
    """``descentlab.run`` natively on `spec` as JSON carries it (as the page sends it)."""
    import descentlab
    return descentlab.run(json.loads(json.dumps(spec)))


def wait_digest(page, old=None, timeout: int = 60_000) -> str:
    """Wait until the view shows a result with a digest other than `old`; returns it."""
    page.wait_for_function(
        "(old) => { const d = document.querySelector('#view').dataset.digest; return d && d !== old; }",
        arg=old, timeout=timeout)
    return page.evaluate("() => document.querySelector('#view').dataset.digest")


def drag(page, box: dict, start: tuple, end: tuple, steps: int = 5) -> None:
    """Press at `start`, move to `end` in `steps` moves, release; both are fractions (x, y)
    of `box`, a bounding box in the page's coordinates."""
    at = lambda f: (box["x"] + box["width"] * f[0], box["y"] + box["height"] * f[1])  # noqa: E731
    page.mouse.move(*at(start))
    page.mouse.down()
    page.mouse.move(*at(end), steps=steps)
    page.mouse.up()
