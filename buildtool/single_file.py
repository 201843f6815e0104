"""dist/descentlab.html: the whole app in one file that works from file:// offline.

- CSS inline; every ES module as a data: URL in an import map (specifiers rewritten).
- The code editor's files (CodeMirror, buildtool/editor.py) as inline <style>s and classic
  <script>s before the modules, so web/lib/editor.js finds window.CodeMirror ready.
- Pyodide, the packages' archives, the lock and the stdlib as base64 text (gzip first where
  that helps: the wasm and asm.js shrink ~3-5x; zips and archives are compressed already).
- The scenes computed at build time (dist/scenes/) as inert <script>s (web/instant.js).
- The main worker starts from the <head> (web/single/early-worker.js), from a Blob:
  web/single/worker-prelude.js answers Pyodide's fetch() and importScripts() for
  descentlab-embedded:/ from the embedded bytes, checks each file's sha256 integrity as the
  server build does, then runs the ordinary worker.js. A small classic bootstrap at the end
  (web/single/bootstrap.js) posts it those bytes once parsed, and makes the Blob the later
  workers start from.
- The page's modules run from an async module script placed before the assets, so the
  precomputed first picture is drawn while the parser is still reading them (a plain module
  script would wait for the whole document).

The bundler is a few regular expressions, not a JavaScript parser: web/ is written so
they suffice (plain relative imports, one stylesheet link, one module script).
"""
from __future__ import annotations

import base64
import json
import os
import re
import urllib.parse
from pathlib import Path

from .common import WEB, BuildError, gzip_cached
from .editor import EDITOR_MODULE, inline_html as editor_inline_html

EMBED_BASE = "descentlab-embedded:/"      # never fetched: the worker answers it from the file
MODULE_PREFIX = "@descentlab/"
IMPORT_RE = re.compile(r"""(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}/[^"'\n]+)\2""")
STYLESHEET_RE = re.compile(r'<link rel="stylesheet" href="([^"]+)">')
HEAD_LINK_RE = re.compile(r'\s*<link rel="(?:manifest|apple-touch-icon)"[^>]*>|\s*<link rel="icon" href="icons/[^"]*"[^>]*>')
APP_SCRIPT_RE = re.compile(r'<script type="module" src="app.js"></script>')
# index.html's first script starts the worker from worker.js; the one file starts its own
# from a Blob (web/single/early-worker.js) in its place.
EARLY_WORKER_RE = re.compile(r'\s*<script id="descentlab-early-worker">.*?</script>', re.S)
# URL-safe in a data: URL inside JSON inside <script>: no %, #, <, >, quotes, backslash, controls.
DATA_URL_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '%#<>"\\')
ASSET_TYPES = {".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json",
               ".zip": "application/zip", ".gz": "application/gzip"}
# The page's modules start here, after the scenes, before the assets (see the docstring).
APP_MODULE = f'<script type="module" async>import "{MODULE_PREFIX}app.js";</script>'
# The runtime files the embedded worker asks for; the lock adds the packages' archives.
RUNTIME_ASSETS = ["pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]


def single_file_html(out: Path, cache: Path) -> bytes:
    """The single-file app built from the finished site in `out`."""
    html = _inline_page((out / "index.html").read_text(encoding="utf-8"), out)
    tail = "\n".join(_scene_blocks(out) + [APP_MODULE] + _asset_blocks(out, cache)) \
        + f"\n<script>\n{(WEB / 'single' / 'bootstrap.js').read_text(encoding='utf-8')}</script>\n"
    if html.count("</body>") != 1:
        raise BuildError("index.html: expected one </body>")
    return html.replace("</body>", tail + "</body>").encode()


def _inline_page(html: str, out: Path) -> str:
    """index.html with its stylesheet inlined, its icon links dropped (nothing to fetch them
    from) and app.js started from an import map of every module."""
    def inline_css(m: re.Match) -> str:
        css = (out / m.group(1)).read_text(encoding="utf-8").replace("</", "<\\/")
        return f"<style>/* {m.group(1)} */\n{css}</style>"

    html, n = STYLESHEET_RE.subn(inline_css, html)
    if n == 0:
        raise BuildError("index.html: no stylesheet <link> to inline")
    html = HEAD_LINK_RE.sub("", html)
    early = f'\n  <script id="descentlab-early-worker">\n{_single_script("early-worker.js", out)}</script>'
    html, n = EARLY_WORKER_RE.subn(lambda _: early, html)
    if n != 1:
        raise BuildError('index.html: expected one <script id="descentlab-early-worker">')

    imports = {name: "data:text/javascript;charset=utf-8," + urllib.parse.quote(src, safe=DATA_URL_SAFE)
               for name, src in bundle_modules(out).items()}
    importmap = json.dumps({"imports": imports}, separators=(",", ":"))
    html, n = APP_SCRIPT_RE.subn(
        lambda _: f'{editor_inline_html(out)}\n  <script type="importmap">{importmap}</script>', html)
    if n != 1:
        raise BuildError('index.html: expected one <script type="module" src="app.js">')
    return html


def bundle_modules(out: Path, entries: tuple = ("app.js", EDITOR_MODULE)) -> dict[str, str]:
    """Every ES module reachable from `entries` (static and dynamic imports), with relative
    specifiers rewritten to "@descentlab/<path>", so an import map can hand each one out
    from a data: URL. Returns {"@descentlab/<path>": source}. (The editor module is an entry
    of its own: its CodeMirror scripts are inlined whether or not a view imports it yet.)"""
    modules: dict[str, str] = {}
    todo = list(entries)
    while todo:
        rel = todo.pop()
        if MODULE_PREFIX + rel in modules:
            continue
        path = out / rel
        if not path.exists():
            continue  # a view not written yet: its import fails at run time, as on a server
        base = os.path.dirname(rel)

        def rewrite(m: re.Match) -> str:
            target = os.path.normpath(os.path.join(base, m.group(3))).replace(os.sep, "/")
            if target.startswith("../"):
                raise BuildError(f"{rel} imports {m.group(3)}, outside dist/")
            todo.append(target)
            return f"{m.group(1)}{m.group(2)}{MODULE_PREFIX}{target}{m.group(2)}"

        source = IMPORT_RE.sub(rewrite, path.read_text(encoding="utf-8"))
        # name it in stack traces and dev tools (instead of the whole data: URL)
        modules[MODULE_PREFIX + rel] = f"{source.rstrip()}\n//# sourceURL=descentlab-single-file/{rel}\n"
    return dict(sorted(modules.items()))


def _asset_blocks(out: Path, cache: Path) -> list[str]:
    """One inert <script> per runtime file and package archive, its bytes as base64 (gzipped when that helps)."""
    lock = json.loads((out / "pyodide-lock.json").read_text())
    names = RUNTIME_ASSETS + sorted(p["file_name"] for p in lock["packages"].values())
    blocks = []
    for name in names:
        data = (out / name).read_bytes()
        packed = gzip_cached(data, cache)
        gz = len(packed) < 0.95 * len(data)
        payload = base64.b64encode(packed if gz else data).decode()
        mime = ASSET_TYPES.get(os.path.splitext(name)[1], "application/octet-stream")
        blocks.append(f'<script type="application/x-descentlab-asset" data-name="{name}" data-type="{mime}" '
                      f'data-gzip="{int(gz)}">{payload}</script>')
    return blocks


def _scene_blocks(out: Path) -> list[str]:
    """The precomputed scenes (dist/scenes/, buildtool/scenes.py) as inert <script>s, read by
    web/instant.js: the index as JSON, each result's JSON text with its floats as base64.
    Only the default scene and its grid (~1.2 MB): every lesson's would add ~5 MB to a file
    that must stay small; the other scenes wait for the worker, as before. Nothing when the
    build shipped none."""
    index_path = out / "scenes" / "index.json"
    if not index_path.exists():
        return []
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index["scenes"] = {k: e for k, e in index["scenes"].items() if e.get("default")}
    blocks = [f'<script type="application/json" id="descentlab-scenes">{_inert(json.dumps(index, separators=(",", ":")))}</script>']
    for entry in sorted(index["scenes"].values(), key=lambda e: e["id"]):
        sid = entry["id"]
        text = (out / "scenes" / f"{sid}.json").read_text(encoding="utf-8")
        floats = base64.b64encode((out / "scenes" / f"{sid}.f64").read_bytes()).decode()
        blocks.append(f'<script type="application/x-descentlab-scene" data-id="{sid}" data-f64="{floats}">{_inert(text)}</script>')
    return blocks


def _inert(text: str) -> str:
    """JSON text safe inside a <script> element (no "</" can end it early)."""
    return text.replace("</", "<\\/")


def _single_script(name: str, out: Path) -> str:
    """web/single/<name> (early-worker.js) with its placeholders filled: the embedded base
    URL, the worker prelude and worker.js."""
    boot = (WEB / "single" / name).read_text(encoding="utf-8")
    prelude = (WEB / "single" / "worker-prelude.js").read_text(encoding="utf-8")
    worker = (out / "worker.js").read_text(encoding="utf-8")
    for key, value in (("BASE", EMBED_BASE), ("PRELUDE", prelude), ("WORKER", worker)):
        marker = f'/*@{key}@*/""'
        if marker not in boot:
            raise BuildError(f"web/single/{name} has no {marker} placeholder")
        boot = boot.replace(marker, _js_literal(value))
    return boot


def _js_literal(text: str) -> str:
    """A JavaScript string literal safe inside an inline <script>."""
    return json.dumps(text).replace("<", "\\u003c")
