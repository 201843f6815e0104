"""End-to-end fixtures: the real dist/, served locally, in Debian's Chromium.

Session fixtures: ``dist`` (builds once), ``server`` (base URL of dist/ on 127.0.0.1),
``browser`` (headless Chromium). Per test: ``page`` (the app, loaded and ready; at
teardown it fails the test on any console error or on any request that left
127.0.0.1) and ``browser_run`` (``browser_run(page, spec) -> result dict``).
"""
from __future__ import annotations

import contextlib
import importlib.util
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


def _load_build_tool():
    """build.py as a module (not named `build`, which is also a PyPI package)."""
    spec = importlib.util.spec_from_file_location("descentlab_build_tool", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build_tool = _load_build_tool()
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
