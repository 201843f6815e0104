"""The code editor dist/ ships: CodeMirror 5, fetched with npm into the cache, verified by sha256.

Fetched once into the cache (never into the repo), only by package name and version:
`npm pack codemirror@5.65.21`. The tarball and each file taken from it must match the
sha256 pinned here; the files land in dist/vendor/codemirror/ (precached by the service
worker like the rest of dist/) and are inlined into the single-file app.

Why CodeMirror 5 and not 6: CodeMirror 6 is about ten ES-module packages that import each
other by bare specifiers (`import ... from "@codemirror/state"`), which a browser resolves
only through a bundler or a hand-kept import map of every package and version. CodeMirror 5
is a handful of plain scripts (the editor, the Python mode, two addons) that set
`window.CodeMirror` and need no build step, so Descent Lab stays without a bundler:
web/lib/editor.js adds them as <script> elements. 5.65 is CodeMirror 5's maintained line
(bug fixes still ship), with Python highlighting, line numbers, undo, configurable indent
and keyboard access.
"""
from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

from .common import BuildError, apt_install, can_apt, check_hash, log, put, sha256_bytes, sha256_file

CODEMIRROR_VERSION = "5.65.21"
NPM_SPEC = f"codemirror@{CODEMIRROR_VERSION}"
NPM_TARBALL = f"codemirror-{CODEMIRROR_VERSION}.tgz"
TARBALL_SHA256 = "b26d9d7ae0f42e34b44a8f7667d29a3ab0d3df88d0e79c0dad39dc03ba43f6dc"

# dist/ path the files go to (relative to dist/); web/lib/editor.js loads them from there.
VENDOR_DIR = "vendor/codemirror"

# name in dist/vendor/codemirror/ -> (path in the npm package, pinned sha256).
# Scripts in load order: the editor first, then what registers itself on window.CodeMirror.
SCRIPTS = ["codemirror.js", "python.js", "runmode.js", "matchbrackets.js"]
STYLES = ["codemirror.css"]
FILES = {
    "codemirror.js": ("lib/codemirror.js", "e98aac5ffa07bae58acd4ff07c4293059f8921c0ae0eba506929d8c6f41c9288"),
    "codemirror.css": ("lib/codemirror.css", "eb494ea972d2661ef86f7f6ac656dd6786d721e49c9c1b46e1eb967e4b6f9bf3"),
    "python.js": ("mode/python/python.js", "19a59ca387addb04e95002c9adbe2b8c231427ce49369ac537107e3088a6947c"),
    # CodeMirror.runMode: highlighting read-only source without an editor
    "runmode.js": ("addon/runmode/runmode.js", "920d8eee55e987468236ba7ed2886de0bb8b2fed9d7060383a39ea29924ae885"),
    "matchbrackets.js": ("addon/edit/matchbrackets.js",
                         "9d23a177f1e4d07e3acc37c210ffbe4c1c2eb4d55bbe54c16d3e7ad3d04d0401"),
    # MIT licence: its notice travels with the copy
    "LICENSE": ("LICENSE", "168a4becc968f5001e2ee2e0291b6e4daabafc1894a11ade1e11d56e96096e07"),
}

# The module that uses the files; the single-file build bundles it even before a view imports it.
EDITOR_MODULE = "lib/editor.js"
EDITOR_CSS = "lib/editor.css"


def fetch_tarball(cache: Path) -> Path:
    """CACHE/codemirror-<v>.tgz, fetched with `npm pack` when missing, its sha256 checked."""
    tgz = cache / NPM_TARBALL
    if not tgz.exists():
        if shutil.which("npm") is None and can_apt():
            apt_install(["npm"])  # a fresh Debian machine: the README's two commands do all the set-up
        if shutil.which("npm") is None:
            raise BuildError(
                f"npm is needed once to fetch the code editor ({NPM_SPEC}); install it "
                f"(Debian: apt-get install npm), or put {NPM_TARBALL} (sha256 {TARBALL_SHA256}) in {cache}")
        log(f"fetching the code editor: npm pack {NPM_SPEC}")
        try:
            subprocess.run(["npm", "pack", NPM_SPEC, "--silent"], cwd=cache, check=True, stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError as e:
            raise BuildError(f"cannot fetch the code editor: `npm pack {NPM_SPEC}` exited with {e.returncode}") from e
        if not tgz.exists():
            raise BuildError(f"npm pack did not produce {tgz}")
    check_hash(NPM_TARBALL, sha256_file(tgz), TARBALL_SHA256, str(tgz))
    return tgz


def extract(tgz: Path, out: Path) -> None:
    """Every file of FILES from the tarball into `out`, each checked against its pin first."""
    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tgz, "r:gz") as tar:
        for name, (member_path, pin) in FILES.items():
            try:
                member = tar.extractfile(f"package/{member_path}")
            except KeyError:
                member = None
            if member is None:
                raise BuildError(f"{tgz} has no package/{member_path}")
            data = member.read()
            check_hash(f"{NPM_SPEC} {member_path}", sha256_bytes(data), pin, str(tgz))
            put(out / name, data)


def _verified(out: Path) -> bool:
    return all((out / n).exists() and sha256_file(out / n) == pin for n, (_, pin) in FILES.items())


def prepare_codemirror(cache: Path) -> Path:
    """CACHE/codemirror-<v>/ holding exactly the pinned files (re-extracted if any differs)."""
    out = cache / f"codemirror-{CODEMIRROR_VERSION}"
    if not _verified(out):  # half a megabyte: hashing it on every build costs milliseconds
        extract(fetch_tarball(cache), out)
        log(f"CodeMirror {CODEMIRROR_VERSION} verified in {out}")
    return out


def ship(out: Path, cache: Path, keep: dict) -> int:
    """Copy the verified files into out/vendor/codemirror/. Returns files changed."""
    src = prepare_codemirror(cache)
    changed = 0
    for name, (_, pin) in FILES.items():
        rel = f"{VENDOR_DIR}/{name}"
        changed += put(out / rel, (src / name).read_bytes())
        keep[rel] = pin
    return changed


def inline_html(out: Path) -> str:
    """For the single-file app: CodeMirror's CSS and editor.css as <style>, its scripts as
    classic inline <script>s (they set window.CodeMirror before any module runs; editor.js
    finds them there and by their data-descentlab-inline names instead of loading files)."""
    blocks = []
    for rel in [f"{VENDOR_DIR}/{n}" for n in STYLES] + [EDITOR_CSS]:
        blocks.append(f'<style data-descentlab-inline="{rel}">\n{_verified_text(out, rel)}</style>')
    for rel in [f"{VENDOR_DIR}/{n}" for n in SCRIPTS]:
        blocks.append(f'<script data-descentlab-inline="{rel}">\n{_verified_text(out, rel)}</script>')
    return "\n  ".join(blocks)


def _verified_text(out: Path, rel: str) -> str:
    """A file of out/ as text that cannot end its inline element early."""
    data = (out / rel).read_bytes()
    name = rel.rsplit("/", 1)[-1]
    if rel.startswith(VENDOR_DIR + "/"):
        check_hash(f"{NPM_SPEC} {name}", sha256_bytes(data), FILES[name][1], str(out / rel))
    text = data.decode("utf-8")
    lowered = text.lower()
    for bad in ("</script", "</style", "<!--"):
        if bad in lowered:
            raise BuildError(f"{rel} contains {bad!r}: it cannot be inlined in descentlab.html as it is")
    return text
