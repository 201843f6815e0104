"""What every step of the build shares: the repo's paths, errors, hashing and safe writes."""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
WEB = ROOT / "web"
DATASETS = ROOT / "datasets"
PYPROJECT = ROOT / "pyproject.toml"
VENV = ROOT / ".venv"
REQUIREMENTS_TEST = ROOT / "requirements-test.txt"


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
    """Downloads and derived files, outside the repo: $DESCENTLAB_CACHE or ~/.cache/descentlab."""
    d = Path(os.environ.get("DESCENTLAB_CACHE") or Path.home() / ".cache" / "descentlab")
    d = d.expanduser().resolve()
    d.mkdir(parents=True, exist_ok=True)
    return d


def src_dir() -> Path:
    """The directory holding the `descentlab` package: $DESCENTLAB_SRC (for trying the
    pipeline against another copy of the core) or pywasm/."""
    return Path(os.environ.get("DESCENTLAB_SRC") or ROOT / "pywasm").resolve()


def put(dest: Path, data: bytes) -> bool:
    """Write bytes if they differ from what is there. True when written.

    Unchanged files keep their mtime, so a rebuild touches only what changed."""
    if dest.exists() and dest.stat().st_size == len(data) and dest.read_bytes() == data:
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(dest)
    return True


def copy(src: Path, dest: Path) -> bool:
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


def tree(base: Path) -> list[Path]:
    """The files under `base`, sorted, without caches and hidden files."""
    if not base.is_dir():
        return []
    return sorted(
        p for p in base.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
        and not any(part.startswith(".") for part in p.relative_to(base).parts)
    )


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def can_apt() -> bool:
    """Whether this process may install Debian packages itself (root on a machine with apt-get)."""
    return is_root() and shutil.which("apt-get") is not None


def apt_install(packages: list[str]) -> None:
    log(f"installing Debian packages: {' '.join(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *packages], check=True, env=env)


def gzip_cached(data: bytes, cache: Path) -> bytes:
    """gzip -9 with mtime 0 (deterministic); big results cached by the input's sha256."""
    if len(data) < 1 << 20:
        return gzip.compress(data, 9, mtime=0)
    gz_dir = cache / "gzip"
    gz_dir.mkdir(exist_ok=True)
    path = gz_dir / f"{sha256_bytes(data)}.gz"
    if path.exists():
        return path.read_bytes()
    packed = gzip.compress(data, 9, mtime=0)
    put(path, packed)
    return packed
