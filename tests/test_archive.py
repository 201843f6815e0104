"""The packages' archives (buildtool/archive.py) and the page's reader of them (web/worker.js,
untar): the archive holds exactly the wheel's files, its bytes depend on the wheel alone, and
the reader returns exactly what Python's tarfile reads, refusing anything archive.py never
writes. The reader runs under Node, from worker.js's own source."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
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

from buildtool.archive import FILE_MODE, archive_name, wheel_to_archive  # noqa: E402
from buildtool.common import BuildError, DIST  # noqa: E402

# Names longer than ustar's 100-byte name field (kept in its prefix field), a file of exactly
# one block, an empty one, one of several blocks.
LONG = "pkg/" + "sub/" * 30 + "deep_module.py"
FILES = {"pkg/__init__.py": b"", "pkg/__pycache__/__init__.cpython-312.pyc": b"\x00" * 700,
         "pkg/data/table.csv": b"a,b\n1,2\n", "pkg/block.bin": bytes(range(256)) * 2,
         LONG: b"VALUE = 1\n", "pkg-1.dist-info/RECORD": b"pkg/__init__.py,,\n"}
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="the reader is JavaScript: Node runs it")


def _wheel(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("pkg/", b"")  # a directory entry: not a file, not archived
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_the_archive_holds_exactly_the_wheel_s_files(tmp_path):
    packed = wheel_to_archive(_wheel(FILES), tmp_path)
    assert packed[:2] == b"\x1f\x8b" and packed[4:8] == b"\0\0\0\0", "gzip with mtime 0"
    with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == list(FILES)  # the wheel's order
        for m in members:
            assert m.isreg() and m.mode == FILE_MODE and m.mtime == 0 and m.uid == m.gid == 0, m.name
            assert tar.extractfile(m).read() == FILES[m.name]
    raw = gzip.decompress(packed)
    assert raw[257:265] == b"ustar\x0000", "plain ustar headers (no pax, no GNU extension)"
    assert 100 < len(LONG) <= 255 and len(FILES["pkg/block.bin"]) == 512


def test_the_archive_depends_on_the_wheel_alone(tmp_path):
    a = wheel_to_archive(_wheel(FILES), tmp_path / "one")
    b = wheel_to_archive(_wheel(FILES), tmp_path / "two")
    assert a == b
    assert wheel_to_archive(_wheel({**FILES, "pkg/__init__.py": b"x = 1\n"}), tmp_path) != a


def test_a_name_ustar_cannot_hold_stops_the_build(tmp_path):
    long = "pkg/" + "d" * 160 + "/" + "f" * 101 + ".py"
    with pytest.raises(BuildError, match=re.escape(long[:40])):
        wheel_to_archive(_wheel({long: b""}), tmp_path)


def test_the_archive_keeps_the_wheel_s_name_and_tags():
    assert archive_name("numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl") == \
        "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.tar.gz"
    with pytest.raises(BuildError):
        archive_name("numpy.zip")


# ------------------------------------------------------------------ the page's reader

def _packages_source() -> str:
    """worker.js's "packages" section: the archive fetching, the unpacker, untar and install."""
    source = (ROOT / "web" / "worker.js").read_text(encoding="utf-8")
    found = re.search(r"^// -{10,} packages\n(.*?)^// -{10,} memory snapshot", source, re.S | re.M)
    assert found and "function untar(" in found.group(1), "web/worker.js has its packages section"
    return found.group(1)


# What the section uses from the rest of worker.js.
STUBS = """
globalThis.self = globalThis;
const BASE_URL = "http://test/";
const progress = {bytes: null, over: false};
const bytesArrived = () => {};
const errorText = (e) => String((e && e.message) || e);
"""


READER = STUBS + """
const fs = require("fs"), crypto = require("crypto");
%s
const out = [];
for (const path of process.argv.slice(1)) {
  try {
    const files = untar(new Uint8Array(fs.readFileSync(path)), "pkg");
    out.push({files: files.map(([name, bytes]) => [name, crypto.createHash("sha256").update(bytes).digest("hex")])});
  } catch (e) { out.push({error: e.message}); }
}
process.stdout.write(JSON.stringify(out));
"""


def _read_in_node(tmp_path: Path, tars: list[bytes]) -> list[dict]:
    paths = []
    for k, data in enumerate(tars):
        paths.append(tmp_path / f"{k}.tar")
        paths[-1].write_bytes(data)
    run = subprocess.run(["node", "-e", READER % _packages_source(), *map(str, paths)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _tar(add, fmt=tarfile.USTAR_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        add(tar)
    return buf.getvalue()


def _file(tar, name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


@needs_node
def test_the_reader_returns_what_tarfile_reads(tmp_path):
    """Our archive of a small wheel, and the two that dist/ ships, when it is built."""
    tars = [gzip.decompress(wheel_to_archive(_wheel(FILES), tmp_path))]
    lock = DIST / "pyodide-lock.json"
    if lock.exists():
        for entry in json.loads(lock.read_text())["packages"].values():
            tars.append(gzip.decompress((DIST / entry["file_name"]).read_bytes()))
    for data, got in zip(tars, _read_in_node(tmp_path, tars)):
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            want = [[m.name, hashlib.sha256(tar.extractfile(m).read()).hexdigest()] for m in tar.getmembers()]
        assert got == {"files": want}
    assert len(tars) == 3 or not lock.exists()


@needs_node
def test_the_reader_refuses_what_archive_py_never_writes(tmp_path):
    good = _tar(lambda t: _file(t, "pkg/a.py"))
    cases = {
        "a link": _tar(lambda t: t.addfile(_link())),
        "a pax header": _tar(lambda t: _file(t, "pkg/" + "n" * 120 + ".py"), tarfile.PAX_FORMAT),
        "GNU headers": _tar(lambda t: _file(t, "pkg/a.py"), tarfile.GNU_FORMAT),
        "a path that climbs": _tar(lambda t: _file(t, "pkg/../../etc/x")),
        "an absolute path": _tar(lambda t: _file(t, "/etc/x")),
        "a cut-off archive": good[:700],
        "no end blocks": good[:1024],
        "not a tar": b"PK\x03\x04" + b"\0" * 1020,
    }
    got = _read_in_node(tmp_path, [good, *cases.values()])
    assert got[0] == {"files": [["pkg/a.py", hashlib.sha256(b"x").hexdigest()]]}
    for (what, _), answer in zip(cases.items(), got[1:]):
        assert "error" in answer and answer["error"].startswith("pkg: "), (what, answer)


def _link() -> tarfile.TarInfo:
    info = tarfile.TarInfo("pkg/link")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return info


# The worker's archive fetching when its unpacker thread is missing or dies: before its
# job, or while holding it. Each time the archive is fetched and inflated on the worker's
# own thread instead, and the load goes on (a dead unpacker used to leave it waiting).
FALLBACK = STUBS + """
const archive = require("fs").readFileSync(process.argv[1]);
globalThis.fetch = async () => new Response(archive);
class DyingWorker {
  constructor() { setTimeout(() => this.onerror({message: "it broke", preventDefault() {}}), 5); }
  postMessage() {}
  terminate() {}
}
%s
(async () => {
  const out = {};
  const lock = {pkg: {file_name: "pkg.tar.gz", sha256: "00".repeat(32)}};
  for (const mode of ["none", "dies before its job", "dies holding its job"]) {
    globalThis.Worker = mode === "none" ? undefined : DyingWorker;
    const [fetchArchive, done] = archiveFetcher(true);
    if (mode === "dies before its job") await new Promise((r) => setTimeout(r, 50));
    out[mode] = untar(await fetchArchive(lock, "pkg"), "pkg").map(([name]) => name);
    done();
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


@needs_node
def test_without_a_working_unpacker_the_worker_inflates_the_archive_itself(tmp_path):
    (tmp_path / "a.tar.gz").write_bytes(wheel_to_archive(_wheel(FILES), tmp_path))
    run = subprocess.run(["node", "-e", FALLBACK % _packages_source(), str(tmp_path / "a.tar.gz")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {mode: list(FILES) for mode in
                                      ("none", "dies before its job", "dies holding its job")}
    assert run.stderr.count("the unpacker stopped (it broke)") == 2


def test_the_lock_names_exactly_the_archives_dist_ships():
    from buildtool.lock import make_lock
    npm = {"info": {"python": "3.12.7"}, "packages": {"numpy": {"name": "numpy", "file_name": "numpy.whl", "sha256": "0"}}}
    shipped = {"numpy": ("numpy.tar.gz", "a" * 64), "descentlab": ("descentlab.tar.gz", "b" * 64)}
    lock = json.loads(make_lock(npm, "0.1.0", ["numpy"], shipped))
    assert {n: (p["file_name"], p["sha256"]) for n, p in lock["packages"].items()} == shipped
    with pytest.raises(BuildError, match="does not ship"):  # numpy would keep the official wheel's name
        make_lock(npm, "0.1.0", ["numpy"], {"descentlab": shipped["descentlab"]})
