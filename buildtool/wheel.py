"""Our wheel, descentlab-<version>-py3-none-any.whl, built with the standard library.

Its metadata comes from pyproject.toml (the same file `pip install .` reads), so the wheel in
dist/ and the installed package describe themselves alike. A [project] field this module
does not know how to write stops the build instead of being dropped. The bytes are
deterministic: fixed timestamps, sorted entries, RECORD last.
"""
from __future__ import annotations

import base64
import hashlib
import io
import re
import tomllib
import zipfile
from pathlib import Path

from .common import DATASETS, PYPROJECT, BuildError, log

PACKAGE = "descentlab"  # the import package inside src_dir(), and its name in pyodide-lock.json

# Fixed timestamp for wheel entries (zip cannot store dates before 1980).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# [project] fields written into the wheel. `readme` is known but left out on purpose: the
# browser never reads it, and with it every README edit would change the wheel, hence the
# build id, and make every visitor's offline cache download the whole app again.
KNOWN_FIELDS = {"name", "version", "dynamic", "description", "readme", "requires-python",
                "dependencies", "classifiers", "scripts"}


def read_pyproject(path: Path = PYPROJECT) -> dict:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise BuildError(f"cannot read {path}: {e}") from e
    unknown = sorted(set(data.get("project", {})) - KNOWN_FIELDS)
    if unknown:
        raise BuildError(f"{path.name}: build.py does not write [project] {', '.join(unknown)} into the "
                         "wheel yet; teach buildtool/wheel.py (metadata()) to, so the two cannot drift")
    return data


def read_version(pyproject: dict, src: Path) -> str:
    """[project] version, or the attribute that [tool.setuptools.dynamic] names, read as text."""
    project = pyproject["project"]
    if "version" in project:
        return project["version"]
    attr = pyproject.get("tool", {}).get("setuptools", {}).get("dynamic", {}).get("version", {}).get("attr")
    if "version" not in project.get("dynamic", []) or not attr:
        raise BuildError("pyproject.toml: no [project] version and no [tool.setuptools.dynamic] version attr")
    module, _, name = attr.rpartition(".")
    base = src / module.replace(".", "/")
    candidates = [base / "__init__.py", base.with_suffix(".py")]
    path = next((p for p in candidates if p.exists()), candidates[0])
    if not path.exists():
        raise BuildError(f"{path} not found (set DESCENTLAB_SRC to another core for trying the pipeline)")
    m = re.search(rf"""^{re.escape(name)}\s*=\s*["']([^"']+)["']""", path.read_text(encoding="utf-8"), re.M)
    if not m:
        raise BuildError(f'no `{name} = "..."` line in {path}')
    return m.group(1)


def metadata(project: dict, version: str) -> str:
    """Core metadata (METADATA), fields in the order setuptools writes them."""
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {version}"]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    lines += [f"Classifier: {c}" for c in project.get("classifiers", [])]
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    return "\n".join(lines) + "\n"


def entry_points(project: dict) -> str:
    scripts = project.get("scripts", {})
    if not scripts:
        return ""
    return "[console_scripts]\n" + "".join(f"{name} = {target}\n" for name, target in scripts.items())


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
        files[f"{PACKAGE}/" + rel.as_posix()] = path.read_bytes()
    digits = DATASETS / "digits.csv.gz"
    if digits.exists():
        name = f"{PACKAGE}/data/digits.csv.gz"
        if name in files and files[name] != digits.read_bytes():
            log(f"warning: {name} exists in the package and differs from datasets/; keeping the package's")
        files.setdefault(name, digits.read_bytes())
    return files


def build_wheel(src: Path, pyproject: dict | None = None) -> tuple[str, str, bytes]:
    """A deterministic PEP 427 wheel of src/descentlab. Returns (version, file name, bytes)."""
    pyproject = pyproject or read_pyproject()
    project = pyproject["project"]
    version = read_version(pyproject, src)
    dist_name = re.sub(r"[-_.]+", "_", project["name"]).lower()
    dist_info = f"{dist_name}-{version}.dist-info"
    meta = {
        f"{dist_info}/METADATA": metadata(project, version),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\n"
            "Generator: descentlab-build.py\n"
            "Root-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
        f"{dist_info}/entry_points.txt": entry_points(project),
        f"{dist_info}/top_level.txt": f"{PACKAGE}\n",
    }
    entries = dict(sorted(wheel_files(src / PACKAGE).items()))
    entries.update({k: v.encode() for k, v in meta.items() if v})
    record_name = f"{dist_info}/RECORD"
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries.items())
    record += f"{record_name},,\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in list(entries.items()) + [(record_name, record.encode())]:
            zf.writestr(_zip_info(name), data, compresslevel=9)
    return version, f"{dist_name}-{version}-py3-none-any.whl", buf.getvalue()
