"""`build.py test`: .venv from the hash-locked requirements-test.txt, Debian's Chromium, a
build, then pytest over tests/ and e2e/.

requirements-test.txt is compiled from requirements-test.in with every file's sha256
(pip-compile --generate-hashes) and installed with --require-hashes, so a test run gets
exactly the bytes that were locked. A stamp in .venv (the file's hash and the Python
version) skips the install when nothing changed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .common import REQUIREMENTS_TEST, ROOT, VENV, BuildError, apt_install, is_root, log, sha256_bytes, src_dir
from .dist import build

# The browser the end-to-end tests and the benchmarks drive (Debian's package), and how:
# as root it needs --no-sandbox; with background networking on it keeps calling out.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]


def _stamp_text() -> str:
    return sha256_bytes(REQUIREMENTS_TEST.read_bytes()) + " " + sys.version.split()[0] + "\n"


def _create_venv() -> None:
    log(f"creating {VENV}")
    if subprocess.run([sys.executable, "-m", "venv", str(VENV)]).returncode == 0:
        return
    if not (is_root() and shutil.which("apt-get")):
        raise BuildError("cannot create .venv: install the venv module (Debian: apt-get install python3-venv)")
    shutil.rmtree(VENV, ignore_errors=True)
    apt_install(["python3-venv"])
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)


def ensure_venv() -> Path:
    """.venv with exactly the locked test requirements; returns its python."""
    py = VENV / "bin" / "python"
    if not py.exists():
        _create_venv()
    stamp = VENV / ".requirements-test.stamp"
    if not stamp.exists() or stamp.read_text() != _stamp_text():
        log(f"installing {REQUIREMENTS_TEST.name} into .venv")
        subprocess.run([str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                        "--require-hashes", "-r", str(REQUIREMENTS_TEST)], check=True)
        stamp.write_text(_stamp_text())
    return py


def ensure_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if is_root() and shutil.which("apt-get"):
        apt_install(["chromium"])
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
