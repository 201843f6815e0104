"""dist/scenes/: results computed at build time, so the page draws its first scene before
Python has started in the browser.

Results are bit-identical natively and in Pyodide (same NumPy, deterministic kernels), so
the build runs the core natively on exactly the specs the page will send:

- every lesson's scene (web/lesson-scenes.js; the landscape's default scene is a lesson's)
  as the landscape view's ``landscapeSpec`` makes it, and the grid behind it (``gridSpec``);
- the Network view's default dataset preview and the Projection view's default projection
  (views/network/scene.js, views/projection/scene.js: their defaults between JSON markers);
- the catalog (``list_catalog``), which every view needs before it can mount.

Shipped as ``scenes/index.json`` ({"catalog", "scenes": {canonical spec: {id, digest}}})
and per result ``scenes/<id>.json`` (the result with its long float arrays moved out, as
the worker packs them) plus ``scenes/<id>.f64`` (those floats, little-endian float64).
The key is the spec's canonical JSON as the page writes it (web/instant.js ``canonical``:
sorted keys, no spaces, numbers as JavaScript prints them); e2e/test_instant.py checks
that every shipped key is what the page asks for and that the live worker gives the same
digest for every shipped scene.

The build itself stays standard-library only: the results are computed by another Python
that has numpy 2.0.2 (DESCENTLAB_PRECOMPUTE_PYTHON, else the test venv, else this one).
Without one, precomputing is skipped with a log line, and the page simply waits for the
worker as before. Results are cached by the core's source, the specs and NumPy's version.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from .common import VENV, WEB, BuildError, log, put, sha256_bytes, src_dir, tree

NUMPY_VERSION = "2.0.2"      # the NumPy of Pyodide 0.27.7: other versions may differ in bits
OUT_DIR = "scenes"
FORMAT = 1                   # bump when the shipped layout changes (invalidates the cache)
JSON_BLOCK_RE = re.compile(r"/\*@JSON@\*/(.*?)/\*@END@\*/", re.S)
PALETTE_RE = re.compile(r"export const PALETTE = \[([^\]]*)\]")
CONST_RE = "const {name} = (\\d+);"

# Runs in the precompute Python: specs (JSON list) on stdin -> one directory of results.
RUNNER = r"""
import json, sys
import numpy
import descentlab
from descentlab import worker_glue
out = sys.argv[1]
specs = json.load(sys.stdin)
meta = {"numpy": numpy.__version__, "version": descentlab.__version__, "results": []}
for i, spec in enumerate(specs):
    result = descentlab.run(spec)
    text = worker_glue.dumps_packed(result)
    blob = worker_glue.take_blob()
    with open(f"{out}/{i}.json", "w", encoding="utf-8") as f:
        f.write(text)
    with open(f"{out}/{i}.f64", "wb") as f:
        f.write(blob)
    meta["results"].append({"digest": result.get("digest")})
with open(f"{out}/catalog.json", "w", encoding="utf-8") as f:
    json.dump(descentlab.list_catalog(), f, sort_keys=True, separators=(",", ":"))
with open(f"{out}/meta.json", "w", encoding="utf-8") as f:
    json.dump(meta, f)
"""


# ---------------------------------------------------------------- the page's specs, in Python
def lesson_scenes() -> dict:
    """{lesson id: scene} from web/lesson-scenes.js (the JSON between its markers)."""
    text = (WEB / "lesson-scenes.js").read_text(encoding="utf-8")
    m = JSON_BLOCK_RE.search(text)
    if not m:
        raise BuildError("web/lesson-scenes.js has no /*@JSON@*/ ... /*@END@*/ block")
    return json.loads(m.group(1))


def _page_constants() -> dict:
    """The numbers the page's spec builders use, read from their files (one source)."""
    scene_js = (WEB / "views" / "landscape" / "scene.js").read_text(encoding="utf-8")
    canvas_js = (WEB / "lib" / "canvas.js").read_text(encoding="utf-8")
    consts = {}
    for name in ("GRID_SIZE", "CONTOUR_LEVELS"):
        m = re.search(CONST_RE.format(name=name), scene_js)
        if not m:
            raise BuildError(f"web/views/landscape/scene.js: no `const {name} = <int>;`")
        consts[name] = int(m.group(1))
    m = PALETTE_RE.search(canvas_js)
    if not m:
        raise BuildError("web/lib/canvas.js: no `export const PALETTE = [...]`")
    consts["PALETTE"] = re.findall(r'"(#[0-9a-fA-F]{6})"', m.group(1))
    return consts


def landscape_spec(scene: dict, consts: dict) -> dict:
    """What views/landscape/scene.js landscapeSpec(scene, false) sends for a lesson's scene
    (normalizeOpts then optimizerSpecs: params, name, palette colour)."""
    palette = consts["PALETTE"]
    spec = {"kind": "landscape", "function": scene["function"], "start": scene["start"], "steps": scene["steps"],
            "optimizers": [{**o.get("params", {}), **_dynamic_fields(o), "name": o["name"], "color": palette[i % len(palette)]}
                           for i, o in enumerate(scene["optimizers"][:12])],
            "record_state": False}
    if "function_params" in scene:
        spec["function_params"] = scene["function_params"]
    spec.update(_dynamics_spec(scene, with_noise=True))
    return spec


# lib/optlist.js DYNAMIC_FIELDS: an entry's fields beside its hyper-parameters
DYNAMIC_FIELDS = ("schedule", "clip_grad_norm", "clip_grad_value", "fork", "base")


def _dynamic_fields(o: dict) -> dict:
    """lib/optlist.js optimizerSpecs: schedule, clipping, fork, and SAM's base as the core reads it."""
    out = {k: o[k] for k in DYNAMIC_FIELDS if k in o}
    if "base" in o:
        b = o["base"]
        out["base"] = {**b.get("params", {}), **({"schedule": b["schedule"]} if "schedule" in b else {}), "name": b["name"]}
    return out


def _dynamics_spec(scene: dict, with_noise: bool) -> dict:
    """views/landscape/dynamics.js dynamicsSpec: a custom f(x, y), and noise (landscape only)."""
    out = {}
    if scene["function"] == "custom":
        out.update(expression=scene["expression"], domain=scene["domain"])
    noise = scene.get("noise")
    if with_noise and noise and noise["std"] > 0:
        out["noise"] = noise
    return out


def grid_spec(scene: dict, consts: dict) -> dict:
    """What views/landscape/scene.js gridSpec(scene) sends."""
    n = consts["GRID_SIZE"]
    spec = {"kind": "grid", "function": scene["function"], "size": [n, n], "levels": consts["CONTOUR_LEVELS"]}
    if "function_params" in scene:
        spec["function_params"] = scene["function_params"]
    spec.update(_dynamics_spec(scene, with_noise=False))
    return spec


def default_lesson() -> str:
    """The lesson whose scene a link without one shows (scene.js DEFAULT_LESSON)."""
    scene_js = (WEB / "views" / "landscape" / "scene.js").read_text(encoding="utf-8")
    m = re.search(r'const DEFAULT_LESSON = "([^"]+)";', scene_js)
    if not m:
        raise BuildError('web/views/landscape/scene.js: no `const DEFAULT_LESSON = "<id>";`')
    return m.group(1)


def _json_block(rel: str) -> dict:
    """The JSON between /*@JSON@*/ and /*@END@*/ in web/<rel>."""
    m = JSON_BLOCK_RE.search((WEB / rel).read_text(encoding="utf-8"))
    if not m:
        raise BuildError(f"web/{rel} has no /*@JSON@*/ ... /*@END@*/ block")
    return json.loads(m.group(1))


def network_preview_spec() -> dict:
    """The Network view's first picture: the dataset preview its default experiment asks for
    (views/network/dataset.js refresh(): datasetSpec without val_fraction)."""
    default = _json_block("views/network/scene.js")
    return {"kind": "dataset", "dataset": dict(default["dataset"])}


def projection_spec(consts: dict) -> dict:
    """The Projection view's default scene as views/projection/scene.js projectionSpec makes
    it: the default network (run i coloured PALETTE[i]) and the default settings."""
    d = _json_block("views/projection/scene.js")
    palette = consts["PALETTE"]
    net = {**d["network"], "optimizers": [{**o, "color": palette[i]} for i, o in enumerate(d["network"]["optimizers"])]}
    s = d["settings"]
    spec = {"kind": "projection", "network": net, "target": s["target"], "perplexity": s["perplexity"],
            "max_iter": s["max_iter"], "seed": s["seed"], "grid": s["grid"], "run": min(s["run"], len(net["optimizers"]) - 1)}
    if s["target"] == "activations":
        raise BuildError("views/projection/scene.js: a default target of activations needs its layer here too")
    return spec


def page_specs() -> list[tuple[dict, bool]]:
    """Every spec shipped precomputed, each once, in a stable order, with whether it is a
    view's default scene's (the single file carries only those: it must stay small): the
    lessons' scenes and grids (the landscape's default is a lesson), the Network view's
    dataset preview and the Projection view's default projection."""
    consts = _page_constants()
    default = default_lesson()
    specs, seen = [], {}

    def add(spec, is_default):
        key = canonical(spec)
        if key not in seen:
            seen[key] = len(specs)
            specs.append((spec, is_default))
        elif is_default:
            specs[seen[key]] = (spec, True)

    for lesson, scene in lesson_scenes().items():
        for spec in (landscape_spec(scene, consts), grid_spec(scene, consts)):
            add(spec, lesson == default)
    add(network_preview_spec(), True)
    add(projection_spec(consts), True)
    return specs


# ---------------------------------------------------------------- canonical JSON, as JavaScript writes it
def js_number(x) -> str:
    """A number as JavaScript's Number.prototype.toString prints it (ECMA-262
    Number::toString): both languages pick the shortest digits that read back to the same
    double; only the layout differs (2.0 is "2", 1e-05 is "0.00001", 1e+21 keeps its
    exponent). -0 is "-0" (the page keeps the sign, as the worker does)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if x != x or x in (float("inf"), float("-inf")):
        return "null"
    if x == 0:
        return "-0" if str(x).startswith("-") else "0"
    sign = "-" if x < 0 else ""
    t = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, t.digits)).rstrip("0")
    k = len(digits)
    n = len(t.digits) + t.exponent   # the value is 0.<digits> x 10^n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mant = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mant}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def canonical(value) -> str:
    """The canonical JSON of a spec: the key the page looks a precomputed result up by."""
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{canonical(value[k])}" for k in sorted(value)) + "}"
    raise BuildError(f"cannot write {type(value).__name__} in a spec")


# ---------------------------------------------------------------- computing and shipping
def precompute_python() -> str | None:
    """A Python with numpy==NUMPY_VERSION, or None."""
    candidates = [os.environ.get("DESCENTLAB_PRECOMPUTE_PYTHON"), str(VENV / "bin" / "python"), sys.executable]
    for exe in candidates:
        if not exe or not Path(exe).exists():
            continue
        try:
            got = subprocess.run([exe, "-c", "import numpy; print(numpy.__version__)"], capture_output=True,
                                 text=True, timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if got == NUMPY_VERSION:
            return exe
    return None


def _source_hash() -> str:
    src = src_dir()
    parts = [f"{p.relative_to(src).as_posix()}\0{sha256_bytes(p.read_bytes())}" for p in tree(src)
             if "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return sha256_bytes("\n".join(parts).encode())


def _compute(specs: list[dict], cache: Path) -> Path | None:
    """A directory of results for `specs` (cached), or None when no suitable Python exists."""
    key = sha256_bytes(json.dumps([FORMAT, NUMPY_VERSION, _source_hash(), specs], sort_keys=True).encode())[:24]
    done = cache / "scenes" / key
    if (done / "meta.json").exists():
        return done
    exe = precompute_python()
    if exe is None:
        log(f"scenes: no Python with numpy {NUMPY_VERSION} (set DESCENTLAB_PRECOMPUTE_PYTHON or run "
            f"`build.py test` once for .venv): not precomputing; the page waits for the worker")
        return None
    tmp = done.with_name(key + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(src_dir()), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([exe, "-c", RUNNER, str(tmp)], input=json.dumps(specs), text=True, env=env,
                          capture_output=True)
    if proc.returncode != 0:
        raise BuildError(f"scenes: precomputing failed with {exe}:\n{proc.stderr[-2000:]}")
    shutil.rmtree(done, ignore_errors=True)
    tmp.rename(done)
    return done


def ship(out: Path, cache: Path, keep: dict) -> int:
    """Write dist/scenes/ (or nothing, without numpy). Returns the number of files changed."""
    listed = page_specs()
    specs = [spec for spec, _ in listed]
    results = _compute(specs, cache)
    if results is None:
        return 0
    meta = json.loads((results / "meta.json").read_text())
    changed = 0
    index = {"format": FORMAT, "numpy": meta["numpy"], "version": meta["version"],
             "catalog": json.loads((results / "catalog.json").read_text()), "scenes": {}}
    for i, ((spec, default), res) in enumerate(zip(listed, meta["results"])):
        key = canonical(spec)
        sid = sha256_bytes(key.encode())[:16]
        index["scenes"][key] = {"id": sid, "kind": spec["kind"], "digest": res["digest"], "default": default}
        for ext in ("json", "f64"):
            rel = f"{OUT_DIR}/{sid}.{ext}"
            changed += put(out / rel, (results / f"{i}.{ext}").read_bytes())
            keep[rel] = None
    rel = f"{OUT_DIR}/index.json"
    changed += put(out / rel, (json.dumps(index, sort_keys=True, separators=(",", ":")) + "\n").encode())
    keep[rel] = None
    return changed
