"""dist/, the static site: Pyodide, NumPy and our package (as archives) and the lock, the
code editor (CodeMirror), web/ and datasets/, then what depends on all of them: the build id,
the service worker's precache list and build-info.json.

build() is fast and offline when the cache is warm, and rewrites only files that changed.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from pathlib import Path

from .common import (DATASETS, DIST, WEB, BuildError, cache_dir, copy, log, put, sha256_bytes,
                     sha256_file, src_dir, tree)
from . import bytecode, editor, scenes
from .archive import archive_name, wheel_to_archive
from .lock import make_lock, requirement_names
from .pyodide import CORE_FILES, NUMPY_WHEEL, PINNED, STDLIB_ZIP, prepare_assets
from .single_file import single_file_html
from .wheel import PACKAGE, build_wheel, read_pyproject

# The page's files that the build rewrites instead of copying (see finalize()).
TEMPLATED = {"index.html", "sw.js"}
# Written by finalize() from the rest of dist/; not part of the content hash.
GENERATED = {"sw.js", "build-info.json", "descentlab.html"}
# web/ sources that are build inputs only, not shipped as files.
WEB_BUILD_ONLY = ("single/",)
# Shipped, but not precached by the service worker (the single file is a download of its own).
NOT_PRECACHED = {"sw.js", "build-info.json", "descentlab.html"}
BUILD_META_RE = re.compile(r'(<meta name="descentlab-build" content=")[^"]*(">)')
PRECACHE_RE = re.compile(r"/\*@PRECACHE@\*/.*?/\*@END@\*/", re.S)


def build(quiet: bool = False, out: Path | None = None, single_file: bool = True) -> dict:
    """Assemble dist/ (or `out`). Fast and offline when the cache is warm. Returns build-info."""
    out = Path(out) if out is not None else DIST
    t0 = time.perf_counter()
    cache = cache_dir()
    keep: dict[str, str | None] = {}  # rel path -> sha256 when already known
    changed, version = _ship_runtime(out, cache, keep)
    changed += editor.ship(out, cache, keep)  # CodeMirror into vendor/codemirror/
    changed += _ship_sources(out, keep)
    changed += scenes.ship(out, cache, keep)  # results computed ahead: the first picture
    changed += _prune(out, keep)
    info = finalize(out, known=keep, index_template=(WEB / "index.html").read_text(encoding="utf-8"),
                    single_file=single_file, cache=cache)
    if not quiet:
        size = sum(f["size"] for f in info["files"].values())
        single = info.get("single_file")
        log(
            f"{out.name}/ ready: {len(info['files'])} files, {size / 1e6:.1f} MB, descentlab {version}, "
            f"build {info['build']}, {changed} changed, {time.perf_counter() - t0:.2f} s"
            + (f"; {single['name']} {single['size'] / 1e6:.1f} MB" if single else "")
        )
    return info


def _ship_runtime(out: Path, cache: Path, keep: dict) -> tuple[int, str]:
    """Pyodide's files, NumPy and our package, and the lock. Returns (files changed, our version).

    The stdlib zip and both wheels ship compiled to bytecode (bytecode.py), each wheel as the
    archive the page installs from (archive.py); the other runtime files are the official
    ones, copied as they are."""
    assets, npm_lock = prepare_assets(cache)
    pyproject = read_pyproject()
    version, wheel_name, wheel = build_wheel(src_dir(), pyproject)
    out.mkdir(parents=True, exist_ok=True)
    changed = 0
    archives = {STDLIB_ZIP: ((assets / STDLIB_ZIP).read_bytes(), "replace", bytecode.STDLIB_PREFIX),
                NUMPY_WHEEL: ((assets / NUMPY_WHEEL).read_bytes(), "replace", bytecode.SITE_PREFIX),
                wheel_name: (wheel, "beside", bytecode.SITE_PREFIX)}
    for name in CORE_FILES:
        if name not in archives:
            changed += copy(assets / name, out / name)
            keep[name] = PINNED[name]
    packages = {"numpy": NUMPY_WHEEL, PACKAGE: wheel_name}
    for name, data in bytecode.compile_all(cache, assets, archives).items():
        if name in packages.values():  # a wheel ships as the archive the page installs from
            name, data = archive_name(name), wheel_to_archive(data, cache)
        changed += put(out / name, data)
        keep[name] = sha256_bytes(data)

    depends = requirement_names(pyproject["project"].get("dependencies", []))
    lock = make_lock(npm_lock, version, depends,
                     {p: (archive_name(w), keep[archive_name(w)]) for p, w in packages.items()})
    changed += put(out / "pyodide-lock.json", lock)
    keep["pyodide-lock.json"] = sha256_bytes(lock)
    return changed, version


def _ship_sources(out: Path, keep: dict) -> int:
    """web/ (icons included) and datasets/, copied as they are. Returns files changed."""
    changed = 0
    for src in tree(WEB):
        rel = src.relative_to(WEB).as_posix()
        if rel.startswith(WEB_BUILD_ONLY):
            continue
        if rel in keep or rel in GENERATED - TEMPLATED:
            raise BuildError(f"web/{rel} would overwrite a generated file in dist/")
        if rel in TEMPLATED:
            keep[rel] = None  # written by finalize()
            continue
        changed += copy(src, out / rel)
        keep[rel] = None
    for src in tree(DATASETS):
        rel = "datasets/" + src.relative_to(DATASETS).as_posix()
        changed += copy(src, out / rel)
        keep[rel] = None
    return changed


def _prune(out: Path, keep: dict) -> int:
    """Remove whatever `out` holds that this build does not ship (old archives, deleted pages)."""
    removed = 0
    for path in sorted(out.rglob("*"), reverse=True):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in keep and rel not in GENERATED:
            path.unlink()
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return removed


def finalize(out: Path, known: dict | None = None, index_template: str | None = None,
             single_file: bool = True, cache: Path | None = None) -> dict:
    """Write what depends on the whole of `out`: the build id in index.html, sw.js (its
    precache list), descentlab.html (the single-file app) and build-info.json.

    The content hash covers every file except these generated ones (index.html with its
    build id blanked), so rerunning finalize() on an unchanged directory changes nothing,
    and changing any shipped file gives a new build id, a new service worker and a new
    offline cache. `build()` calls it; deploy scripts and tests may call it on a copy of
    dist/ after changing files there.
    """
    out = Path(out)
    if index_template is None:
        index_template = (out / "index.html").read_text(encoding="utf-8")
    if not BUILD_META_RE.search(index_template):
        raise BuildError('index.html has no <meta name="descentlab-build" content="..."> for the build id')
    files, content_hash = _content_hash(out, known or {}, index_template)
    build_id = content_hash[:16]

    index = BUILD_META_RE.sub(rf"\g<1>{build_id}\g<2>", index_template).encode()
    put(out / "index.html", index)
    files["index.html"] = {"sha256": sha256_bytes(index), "size": len(index)}
    precache = _write_service_worker(out, files, build_id)

    info = {
        "build": build_id,
        "content_hash": content_hash,
        "files": dict(sorted(files.items())),
        "precache": {"cache": f"descentlab:<scope path>:{build_id}", "files": len(precache),
                     "bytes": sum(f[2] for f in precache)},
    }
    info.update(_lock_summary(out))
    if single_file:
        html = single_file_html(out, cache or cache_dir())
        put(out / "descentlab.html", html)
        info["single_file"] = {"name": "descentlab.html", "size": len(html), "sha256": sha256_bytes(html)}
    elif (out / "descentlab.html").exists():
        (out / "descentlab.html").unlink()
    put(out / "build-info.json", (json.dumps(info, indent=1, sort_keys=True) + "\n").encode())
    return info


def _content_hash(out: Path, known: dict, index_template: str) -> tuple[dict, str]:
    """{rel: {sha256, size}} of every shipped file but the generated ones, and their hash."""
    index_blank = BUILD_META_RE.sub(r"\g<1>dev\g<2>", index_template).encode()
    files: dict[str, dict] = {}
    total = hashlib.sha256()
    rels = sorted({p.relative_to(out).as_posix() for p in tree(out)} - GENERATED | {"index.html"})
    for rel in rels:
        if rel == "index.html":
            digest, size = sha256_bytes(index_blank), len(index_blank)
        else:
            path = out / rel
            digest = known.get(rel) or sha256_file(path)
            size = path.stat().st_size
        files[rel] = {"sha256": digest, "size": size}
        total.update(f"{rel}\0{digest}\0{size}\n".encode())
    return files, total.hexdigest()


def _write_service_worker(out: Path, files: dict, build_id: str) -> list:
    """dist/sw.js from web/sw.js with its precache list: [rel, SRI integrity, size] per file.
    Adds sw.js to `files`; returns the precache list."""
    sw_template = (WEB / "sw.js").read_text(encoding="utf-8")
    if not PRECACHE_RE.search(sw_template):
        raise BuildError("web/sw.js has no /*@PRECACHE@*/ ... /*@END@*/ placeholder")
    precache = {
        "build": build_id,
        "files": [[rel, "sha256-" + base64.b64encode(bytes.fromhex(f["sha256"])).decode(), f["size"]]
                  for rel, f in files.items() if rel not in NOT_PRECACHED],
    }
    sw = PRECACHE_RE.sub(lambda _: json.dumps(precache, separators=(",", ":")), sw_template).encode()
    put(out / "sw.js", sw)
    files["sw.js"] = {"sha256": sha256_bytes(sw), "size": len(sw)}
    return precache["files"]


def _lock_summary(out: Path) -> dict:
    """The versions build-info.json reports, read from the lock dist/ ships."""
    lock_path = out / "pyodide-lock.json"
    if not lock_path.exists():
        return {}
    lock = json.loads(lock_path.read_text())
    own = lock.get("packages", {}).get(PACKAGE, {})
    return {"pyodide_version": lock.get("info", {}).get("version"),
            "descentlab_version": own.get("version"), "wheel": own.get("file_name")}
