"""What ships: the package finds its data, the wheel in dist/ says what pyproject.toml says,
the app icons are committed files, and the test environment is locked with hashes."""

import io
import json
import re
import struct
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import descentlab
from descentlab import datasets

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # buildtool/ sits at the repo root, beside pywasm/
    sys.path.insert(0, str(ROOT))

from buildtool import wheel  # noqa: E402
from buildtool.common import src_dir  # noqa: E402

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_digits_file_is_inside_the_package():
    inside = Path(descentlab.__file__).parent / "data" / "digits.csv.gz"
    assert inside.is_file()  # a link to datasets/digits.csv.gz, followed by wheel builders
    assert inside.read_bytes() == (ROOT / "datasets" / "digits.csv.gz").read_bytes()
    assert datasets.DIGITS_PATHS[0] == inside.resolve() or datasets.DIGITS_PATHS[0] == inside


def _built_wheel() -> tuple[str, zipfile.ZipFile]:
    version, name, data = wheel.build_wheel(src_dir())
    return name, zipfile.ZipFile(io.BytesIO(data))


def test_wheel_metadata_is_the_one_in_pyproject():
    project = PYPROJECT["project"]
    name, zf = _built_wheel()
    assert name == f"descentlab-{descentlab.__version__}-py3-none-any.whl"
    info = f"descentlab-{descentlab.__version__}.dist-info"
    meta = Parser().parsestr(zf.read(f"{info}/METADATA").decode())
    assert meta["Name"] == project["name"]
    assert meta["Version"] == descentlab.__version__
    assert meta["Summary"] == project["description"]
    assert meta["Requires-Python"] == project["requires-python"]
    assert meta.get_all("Requires-Dist") == project["dependencies"]
    assert meta.get_all("Classifier") == project["classifiers"]
    scripts = "".join(f"{k} = {v}\n" for k, v in project["scripts"].items())
    assert zf.read(f"{info}/entry_points.txt").decode() == "[console_scripts]\n" + scripts


def test_wheel_holds_the_package_and_is_reproducible():
    name, zf = _built_wheel()
    package = src_dir() / "descentlab"
    expected = {"descentlab/" + p.relative_to(package).as_posix() for p in package.rglob("*.py")
                if "__pycache__" not in p.parts}
    assert expected <= set(zf.namelist())
    assert "descentlab/data/digits.csv.gz" in zf.namelist()
    assert zf.namelist()[-1].endswith(".dist-info/RECORD")
    assert wheel.build_wheel(src_dir())[2] == wheel.build_wheel(src_dir())[2]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_every_icon_the_page_names_is_a_committed_file_of_its_size():
    manifest = json.loads((ROOT / "web" / "manifest.webmanifest").read_text(encoding="utf-8"))
    icons = {icon["src"]: icon for icon in manifest["icons"]}
    html = (ROOT / "web" / "index.html").read_text(encoding="utf-8")
    icons.update({src: {"src": src} for src in re.findall(r'href="(icons/[^"]+)"', html)})
    assert any(src.endswith(".png") for src in icons)
    for src, icon in icons.items():
        path = ROOT / "web" / src
        assert path.is_file(), f"{src} is named by the page but not in web/"
        if src.endswith(".png"):
            w, h = _png_size(path)
            assert icon.get("sizes", f"{w}x{h}") == f"{w}x{h}"


def _requirements(path: Path) -> list[str]:
    """The logical lines of a requirements file (continuations joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    return [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]


def test_test_requirements_are_locked_with_hashes():
    locked = {}
    for line in _requirements(ROOT / "requirements-test.txt"):
        m = re.match(r"([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)$", line)
        assert m, f"not pinned with hashes: {line[:80]}"
        locked[m.group(1).lower()] = m.group(2)
    # Every top-level pin of the .in file is in the lock at that version (the lock is current).
    for line in _requirements(ROOT / "requirements-test.in"):
        name, version = line.split("==")
        assert locked.get(name.lower()) == version, f"{line} is not in requirements-test.txt: recompile it"
    # numpy must be the version Pyodide ships, so native and browser compute the same bits.
    assert locked["numpy"] == "2.0.2"


# ---------------------------------------------------------------- precomputed scenes (buildtool/scenes.py)
def test_scene_keys_write_numbers_as_javascript_does():
    """The build keys each precomputed scene by the canonical JSON the page writes
    (web/instant.js canonical: String(number)); a different digit layout would never hit."""
    from buildtool.scenes import canonical, js_number
    # what String(x) gives in JavaScript for each
    # (checked with node: String(x) for each; -0 is the page's own choice, as the worker's)
    cases = [(2.0, "2"), (-1.5, "-1.5"), (0.0005, "0.0005"), (1e-05, "0.00001"), (1e-07, "1e-7"), (1.5e-07, "1.5e-7"),
             (1e21, "1e+21"), (1.25e21, "1.25e+21"), (1e20, "100000000000000000000"), (0.1 + 0.2, "0.30000000000000004"),
             (123456.789, "123456.789"), (-0.0, "-0"), (0.0, "0"), (1000, "1000"), (True, "true"), (float("nan"), "null")]
    for x, js in cases:
        assert js_number(x) == js, (x, js_number(x), js)
    assert canonical({"b": [1.0, -0.0], "a": {"z": None, "y": "é"}}) == '{"a":{"y":"é","z":null},"b":[1,-0]}'


def test_scene_specs_cover_every_lesson_and_its_grid():
    from buildtool.scenes import canonical, default_lesson, lesson_scenes, page_specs
    lessons = lesson_scenes()
    listed = page_specs()
    keys = [canonical(spec) for spec, _ in listed]
    assert len(keys) == len(set(keys))
    for scene in lessons.values():
        assert any(json.loads(k)["kind"] == "landscape" and json.loads(k)["start"] == scene["start"]
                   and json.loads(k)["steps"] == scene["steps"] for k in keys)
    kinds = sorted(spec["kind"] for spec, _ in listed)
    assert kinds.count("landscape") == len(lessons) and kinds.count("grid") >= 1
    default = [spec for spec, is_default in listed if is_default]
    # each view's first picture: the landscape's (and its grid), the Network view's dataset preview, the Projection's
    assert sorted(s["kind"] for s in default) == ["dataset", "grid", "landscape", "projection"]
    assert default[0]["function"] == lessons[default_lesson()]["function"]
    # the spec the page sends: palette colours, record_state off, params beside the name
    spec = next(s for s, d in listed if d and s["kind"] == "landscape")
    assert spec["record_state"] is False and all(o["color"].startswith("#") and "name" in o for o in spec["optimizers"])
