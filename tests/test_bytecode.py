"""Bytecode ahead of time (buildtool/bytecode.py): dist/ ships the official Python files
compiled by Pyodide's own CPython 3.12, every other byte unchanged.

The archive rewriting is checked natively on a small archive (the import system takes the
unchecked .pyc without reading the source, a wheel's RECORD stays true); the shipped files
are checked against the official, sha256-pinned ones in the build cache (each .pyc carries
the hash of exactly the official source); compiling twice under Node gives the same bytes.
"""
from __future__ import annotations

import _imp
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # buildtool/ sits at the repo root, beside pywasm/
    sys.path.insert(0, str(ROOT))

from buildtool import bytecode  # noqa: E402
from buildtool.archive import archive_name  # noqa: E402
from buildtool.common import BuildError, cache_dir  # noqa: E402
from buildtool.dist import build  # noqa: E402
from buildtool.pyodide import NUMPY_WHEEL, PINNED, STDLIB_ZIP, prepare_assets  # noqa: E402
from buildtool.wheel import _record_hash  # noqa: E402  (a RECORD line's hash, as our wheel writes it)

# CPython 3.12's bytecode magic (Lib/importlib/_bootstrap_external.py: MAGIC_NUMBER, 3531),
# the interpreter inside Pyodide 0.27.7; and PEP 552's flags word of an unchecked hash pyc.
MAGIC_312 = (3531).to_bytes(2, "little") + b"\r\n"
UNCHECKED_HASH = 0b01


def _source_hash_312(source: bytes) -> bytes:
    """The hash a 3.12 pyc carries for `source` (importlib.util.source_hash keys it by magic)."""
    return _imp.source_hash(int.from_bytes(MAGIC_312, "little"), source)


def _entries(data: bytes) -> dict[str, bytes]:
    """The files of a zip, or of a gzipped tar (the archive a package ships as: archive.py)."""
    if data[:2] == b"\x1f\x8b":
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


# ------------------------------------------------------------------ the rewriting itself

MOD_SOURCE = b'"""A module."""\nVALUE = 1\nWORDS = {"a", "b", "c"}\n\ndef fail():\n    raise ValueError("here")\n'


def _small_wheel(path: Path) -> None:
    files = {"pkg/__init__.py": b"", "pkg/mod.py": MOD_SOURCE, "pkg/data.txt": b"not python\n"}
    record = "".join(f"{n},{_record_hash(d)},{len(d)}\n" for n, d in files.items()) + "pkg-1.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("pkg-1.dist-info/RECORD", record)


def _python(code: str, path: Path) -> str:
    run = subprocess.run([sys.executable, "-c", code], cwd=path, capture_output=True, text=True,
                         env={"PYTHONPATH": "", "PYTHONDONTWRITEBYTECODE": "1"})
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_beside_keeps_the_source_and_the_import_takes_the_bytecode_unread(tmp_path):
    _small_wheel(tmp_path / "in.whl")
    n = bytecode.compile_archive(str(tmp_path / "in.whl"), str(tmp_path / "out.whl"), "beside", "/site/")
    assert n == 2
    before, after = _entries((tmp_path / "in.whl").read_bytes()), _entries((tmp_path / "out.whl").read_bytes())
    tag = sys.implementation.cache_tag   # natively this interpreter's; cpython-312 in the build
    pyc = f"pkg/__pycache__/mod.{tag}.pyc"
    assert set(after) == set(before) | {pyc, f"pkg/__pycache__/__init__.{tag}.pyc"}
    assert all(after[n] == before[n] for n in before if not n.endswith("RECORD"))
    assert int.from_bytes(after[pyc][4:8], "little") == UNCHECKED_HASH
    # RECORD: the old lines, and one true line per .pyc
    record = after["pkg-1.dist-info/RECORD"].decode().splitlines()
    assert record[:4] == before["pkg-1.dist-info/RECORD"].decode().splitlines()
    assert f"{pyc},{_record_hash(after[pyc])},{len(after[pyc])}" in record
    # unchecked: once unpacked, the import uses the bytecode even when the source says otherwise
    site = tmp_path / "site"
    zipfile.ZipFile(tmp_path / "out.whl").extractall(site)
    (site / "pkg/mod.py").write_bytes(MOD_SOURCE.replace(b"VALUE = 1", b"VALUE = 2"))
    assert _python("import pkg.mod, inspect; print(pkg.mod.VALUE, 'VALUE = 2' in inspect.getsource(pkg.mod))",
                   site) == "1 True"


def test_replace_makes_a_sourceless_zipimport_archive_with_the_runtime_file_names(tmp_path):
    _small_wheel(tmp_path / "in.zip")
    bytecode.compile_archive(str(tmp_path / "in.zip"), str(tmp_path / "out.zip"), "replace", "/lib/std.zip/")
    after = _entries((tmp_path / "out.zip").read_bytes())
    assert set(after) == {"pkg/__init__.pyc", "pkg/mod.pyc", "pkg/data.txt", "pkg-1.dist-info/RECORD"}
    record = after["pkg-1.dist-info/RECORD"].decode()
    assert "pkg/mod.py," not in record and f"pkg/mod.pyc,{_record_hash(after['pkg/mod.pyc'])}," in record
    out = _python("import sys; sys.path.insert(0, 'out.zip'); import pkg.mod\n"
                  "try: pkg.mod.fail()\n"
                  "except ValueError as e: print(pkg.mod.__spec__.origin, e.__traceback__.tb_next.tb_frame.f_code.co_filename)",
                  tmp_path)
    assert out.split() == ["out.zip/pkg/mod.pyc", "/lib/std.zip/pkg/mod.py"]


# ------------------------------------------------------------------ what dist/ ships


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bytecode") / "dist"
    build(quiet=True, out=out, single_file=False)
    return out


@pytest.fixture(scope="module")
def official() -> Path:
    return prepare_assets(cache_dir())[0]


def _check_replaced(shipped: dict, original: dict, what: str) -> None:
    """Every .py of `original` is a 3.12 unchecked .pyc of exactly that source; the rest is unchanged."""
    sources = {n: d for n, d in original.items() if n.endswith(".py")}
    assert sources, what
    assert set(shipped) == set(original) - set(sources) | {n + "c" for n in sources}, what
    for name, source in sources.items():
        pyc = shipped[name + "c"]
        assert pyc[:4] == MAGIC_312, name
        assert int.from_bytes(pyc[4:8], "little") == UNCHECKED_HASH, name
        assert pyc[8:16] == _source_hash_312(source), f"{what}: {name}c was not compiled from the official source"
    for name in set(original) - set(sources):
        if not name.endswith("RECORD"):
            assert shipped[name] == original[name], f"{what}: {name} changed"


def test_the_stdlib_ships_compiled_from_the_official_zip(site, official):
    assert bytecode.CACHE_TAG == "cpython-312"
    _check_replaced(_entries((site / STDLIB_ZIP).read_bytes()), _entries((official / STDLIB_ZIP).read_bytes()),
                    STDLIB_ZIP)


def test_numpy_ships_compiled_from_the_official_wheel_and_the_lock_names_it(site, official):
    entry = json.loads((site / "pyodide-lock.json").read_text())["packages"]["numpy"]
    assert entry["file_name"] == archive_name(NUMPY_WHEEL)
    shipped_bytes = (site / entry["file_name"]).read_bytes()
    original = _entries((official / NUMPY_WHEEL).read_bytes())
    assert hashlib.sha256((official / NUMPY_WHEEL).read_bytes()).hexdigest() == PINNED[NUMPY_WHEEL]
    shipped = _entries(shipped_bytes)
    _check_replaced(shipped, original, NUMPY_WHEEL)
    record = next(n for n in shipped if n.endswith(".dist-info/RECORD"))
    rows = {row.split(",")[0]: row for row in shipped[record].decode().splitlines()}
    for name, data in shipped.items():
        if name != record:
            assert rows[name] == f"{name},{_record_hash(data)},{len(data)}" or not rows[name].split(",")[1], name
    assert entry["sha256"] == hashlib.sha256(shipped_bytes).hexdigest()


def test_our_wheel_keeps_its_source_beside_the_bytecode(site):
    lock = json.loads((site / "pyodide-lock.json").read_text())["packages"]["descentlab"]
    data = (site / lock["file_name"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == lock["sha256"]
    shipped = _entries(data)
    sources = {n: d for n, d in shipped.items() if n.endswith(".py")}
    assert "descentlab/optimizers/adam.py" in sources
    for name, source in sources.items():
        folder, _, file = name.rpartition("/")
        pyc = shipped[f"{folder}/__pycache__/{file[:-3]}.cpython-312.pyc"]
        assert pyc[:4] == MAGIC_312 and pyc[8:16] == _source_hash_312(source), name
        assert source == (ROOT / "pywasm" / name).read_bytes(), name


@pytest.mark.skipif(shutil.which("node") is None, reason="the build compiles with Pyodide under Node")
def test_compiling_twice_under_node_gives_the_same_bytes(tmp_path, official):
    """The pyc bytes must not depend on the run (a set literal becomes a frozenset whose order
    follows string hashes: the runner fixes PYTHONHASHSEED)."""
    _small_wheel(tmp_path / "in.whl")
    data = (tmp_path / "in.whl").read_bytes()
    runs = []
    for k in range(2):
        store = tmp_path / f"cache{k}"
        store.mkdir()
        runs.append(bytecode.compile_all(store, official, {"w.whl": (data, "beside", bytecode.SITE_PREFIX)})["w.whl"])
        assert list((store / "bytecode").iterdir()), "the output is cached"
    assert runs[0] == runs[1]
    pyc = _entries(runs[0])["pkg/__pycache__/mod.cpython-312.pyc"]
    assert pyc[:4] == MAGIC_312 and pyc[8:16] == _source_hash_312(MOD_SOURCE)


def test_without_node_the_build_ships_the_archives_as_they_are(tmp_path, monkeypatch, capsys, official):
    monkeypatch.setattr(bytecode, "_node", lambda: None)
    data = (official / STDLIB_ZIP).read_bytes()
    out = bytecode.compile_all(tmp_path, official, {STDLIB_ZIP: (data, "replace", bytecode.STDLIB_PREFIX)})
    assert out == {STDLIB_ZIP: data}
    assert "Node.js not found" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("node") is None, reason="the build compiles with Pyodide under Node")
def test_a_failed_compile_stops_the_build_with_node_s_message(tmp_path):
    """A runtime directory without Pyodide: the build stops and says why, nothing is cached."""
    _small_wheel(tmp_path / "in.whl")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError, match="compiling to bytecode failed.*pyodide.js"):
        bytecode.compile_all(tmp_path, tmp_path / "empty", {"w.whl": ((tmp_path / "in.whl").read_bytes(), "beside", "/")})
    assert not any((tmp_path / "bytecode").iterdir())
