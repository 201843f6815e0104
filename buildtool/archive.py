"""The packages as the page installs them: each wheel's files in a gzipped ustar archive.

Pyodide's loadPackage unpacks a wheel with Python's zipfile, inside wasm, and reads its zip
directory three times (unpack, installer record, dynlib list). For NumPy's 338 files that was
0.33 s of every start in the page, cold or warm (headless Chromium, 2 cores). The worker
(web/worker.js, "packages") reads this archive in JavaScript instead: the browser's own gzip
(DecompressionStream) inflates it while the interpreter is still starting, and writing the
files into Pyodide's file system takes ~50 ms.

The archive is the wheel's files exactly (RECORD and dist-info included, so importlib.metadata
sees the package as installed), in the wheel's order, as plain ustar entries: regular files
only, mode 0644, owner 0, mtime 0, so the bytes depend on the wheel alone. A name that ustar
cannot hold stops the build; the page's reader accepts nothing else. pyodide-lock.json names
the archive (`file_name`, `sha256`), and the worker fetches it with that sha256 as integrity.
Pyodide's own loadPackage would unpack the same file (it reads .tar.gz with tarfile).
"""
from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from .common import BuildError, gzip_cached

SUFFIX = ".tar.gz"
FILE_MODE = 0o644


def archive_name(wheel_name: str) -> str:
    """numpy-2.0.2-cp312-...whl -> numpy-2.0.2-cp312-....tar.gz: the wheel's tags stay in the name."""
    if not wheel_name.endswith(".whl"):
        raise BuildError(f"{wheel_name} is not a wheel")
    return wheel_name[: -len(".whl")] + SUFFIX


def wheel_to_archive(wheel: bytes, cache: Path) -> bytes:
    """The files of `wheel` (the bytes of a .whl) as a deterministic gzipped ustar archive."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(wheel)) as whl, \
            tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for entry in whl.infolist():
            if entry.is_dir():
                continue
            data = whl.read(entry)
            info = tarfile.TarInfo(entry.filename)
            info.size, info.mode, info.mtime = len(data), FILE_MODE, 0
            try:
                tar.addfile(info, io.BytesIO(data))
            except ValueError as e:  # a name longer than ustar's 100 + 155 bytes
                raise BuildError(f"{entry.filename}: cannot be stored in a ustar archive ({e})") from e
    return gzip_cached(buf.getvalue(), cache)
