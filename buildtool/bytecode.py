"""Bytecode ahead of time: Pyodide's own CPython compiles the Python that dist/ ships, once.

Pyodide 0.27's python_stdlib.zip, NumPy's wheel and ours hold source only, so every page load
compiled it: the ~180 stdlib modules of Pyodide's own start-up, NumPy's and ours. That was most
of the start-up (measured cold on a 2-core machine, headless Chromium: loadPyodide 3.5 s from
source, 1.6 s from bytecode). So the build runs Pyodide 0.27.7 itself under Node, the very
interpreter that loads the result in the page, and ships

- python_stdlib.zip with each `x.py` replaced by `x.pyc`: zipimport looks for `x.pyc` first
  and knows no __pycache__ (this is what Pyodide's own `pyodide py-compile` does);
- NumPy's wheel the same way (sourceless .pyc, as in Pyodide's own py-compiled packages):
  fewer and smaller files to unpack at every load;
- our wheel with `__pycache__/x.cpython-312.pyc` beside every `x.py`, which stays, so a
  learner's `inspect.getsource` and "Edit a copy" still read Descent Lab's source, and RECORD
  listing them.

Every .pyc is an unchecked hash-based pyc (PEP 552): no mtime in its header, so it holds
whenever the wheel is unpacked, and the import system takes it without reading the source.
Its header carries the source's hash, so a test can check that each one came from exactly
the official source. Every other entry is copied byte for byte. Compiling changes no number:
it is the same compiler the page would run, only earlier.

Outputs are cached by the sha256 of their input and of this recipe. Without Node (and no apt
to install it) the archives ship as they are and the build says start-up will be slower.
"""
from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from .common import BuildError, apt_install, can_apt, log, sha256_bytes

RUNNER = Path(__file__).with_name("bytecode.cjs")
# Where Pyodide finds each archive at run time: the prefix of every compiled code object's
# co_filename, so a traceback names the same file as one from source would.
STDLIB_PREFIX = "/lib/python312.zip/"
SITE_PREFIX = "/lib/python3.12/site-packages/"
CACHE_TAG = "cpython-312"          # the interpreter the page runs (Pyodide 0.27.7: CPython 3.12.7)
NODE_SECONDS = 600                  # compiling the stdlib takes ~10 s; a hung Node must not hang the build


def compile_archive(src: str, dst: str, mode: str, prefix: str) -> int:
    """Write the zip `src` again as `dst`, with bytecode for each .py in it.

    Runs inside Pyodide (its source is sent there), and natively in the tests.

    Parameters
    ----------
    src, dst : str
        Paths of the archive read and of the one written.
    mode : {"replace", "beside"}
        "replace": each x.py becomes x.pyc (a zipimport archive). "beside": x.py stays and
        __pycache__/x.<cache tag>.pyc follows it. A wheel's RECORD lists the .pyc files.
    prefix : str
        The directory the archive's names are found under at run time (for co_filename).

    Returns
    -------
    int
        How many .py files were compiled.
    """
    import base64
    import hashlib
    import importlib._bootstrap_external as bootstrap
    import importlib.util
    import sys
    import zipfile

    def pyc(name, source):
        code = compile(source, prefix + name, "exec", dont_inherit=True, optimize=0)
        return bootstrap._code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)

    def like(info, name):
        new = zipfile.ZipInfo(name, info.date_time)
        new.compress_type = zipfile.ZIP_DEFLATED
        new.external_attr, new.create_system = info.external_attr, info.create_system
        return new

    entries, compiled, record = [], {}, None   # compiled: source name -> (pyc name, pyc)
    with zipfile.ZipFile(src) as zin:
        for info in zin.infolist():
            data = zin.read(info)
            if not info.filename.endswith(".py"):
                if info.filename.endswith(".dist-info/RECORD"):
                    record = len(entries)
                entries.append((info, data))
                continue
            code = pyc(info.filename, data)
            if mode == "replace":
                name = info.filename + "c"
            else:
                folder, _, file = info.filename.rpartition("/")
                name = (folder + "/" if folder else "") + f"__pycache__/{file[:-3]}.{sys.implementation.cache_tag}.pyc"
                entries.append((info, data))
            entries.append((like(info, name), code))
            compiled[info.filename] = (name, code)
    if record is not None:   # a wheel's RECORD lists what it holds (PEP 376 / 427)
        info, text = entries[record]
        digest = lambda b: base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
        line = lambda name, code: f"{name},sha256={digest(code)},{len(code)}"
        lines = text.decode().splitlines()
        if mode == "replace":
            lines = [line(*compiled[row.split(",")[0]]) if row.split(",")[0] in compiled else row for row in lines]
        else:
            lines += [line(name, code) for name, code in compiled.values()]
        entries[record] = (info, ("\n".join(lines) + "\n").encode())
    with zipfile.ZipFile(dst, "w") as zout:
        for info, data in entries:
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return len(compiled)


def _node() -> str | None:
    node = shutil.which("node")
    if node is None and can_apt():
        apt_install(["nodejs"])  # a fresh Debian machine: the README's two commands do all the set-up
        node = shutil.which("node")
    return node


def _recipe() -> str:
    """What decides the output besides the input bytes: this function and the runner."""
    return sha256_bytes((inspect.getsource(compile_archive) + RUNNER.read_text() + CACHE_TAG).encode())


def compile_all(cache: Path, runtime: Path, archives: dict[str, tuple[bytes, str]]) -> dict[str, bytes]:
    """Each archive with bytecode (see the module docstring), from the cache when it is there.

    Parameters
    ----------
    cache : Path
        The build cache; outputs are kept in cache/bytecode/.
    runtime : Path
        The verified Pyodide files (pyodide.js, .asm.js, .asm.wasm, python_stdlib.zip) that Node runs.
    archives : dict
        file name -> (bytes, mode, prefix), as in compile_archive.

    Returns
    -------
    dict
        file name -> bytes to ship (the input itself when Node is missing).
    """
    store = cache / "bytecode"
    store.mkdir(exist_ok=True)
    recipe = _recipe()
    key = {name: sha256_bytes(f"{recipe} {mode} {prefix} ".encode() + data)
           for name, (data, mode, prefix) in archives.items()}
    out = {name: (store / key[name]).read_bytes() for name in archives if (store / key[name]).exists()}
    todo = [name for name in archives if name not in out]
    if not todo:
        return out
    node = _node()
    if node is None:
        log("warning: Node.js not found: shipping source-only Python, so the page starts ~2 s slower "
            "(install nodejs and build again)")
        return {name: data for name, (data, _, _) in archives.items()}
    with tempfile.TemporaryDirectory() as tmp:
        items = []
        for i, name in enumerate(todo):
            data, mode, prefix = archives[name]
            (Path(tmp) / f"in{i}").write_bytes(data)
            items.append({"src": f"in{i}", "dst": f"out{i}", "mode": mode, "prefix": prefix})
        job = {"dir": tmp, "code": inspect.getsource(compile_archive), "items": items, "cache_tag": CACHE_TAG}
        (Path(tmp) / "job.json").write_text(json.dumps(job))
        log(f"compiling Python to bytecode with Pyodide under Node: {', '.join(todo)}")
        try:
            run = subprocess.run([node, str(RUNNER), str(runtime), str(Path(tmp) / "job.json")],
                                 capture_output=True, text=True, timeout=NODE_SECONDS)
        except subprocess.TimeoutExpired as e:
            raise BuildError(f"compiling to bytecode took over {NODE_SECONDS} s (node {RUNNER.name})") from e
        if run.returncode != 0:
            raise BuildError(f"compiling to bytecode failed (node {RUNNER.name}): {run.stderr.strip()[-2000:]}")
        for i, name in enumerate(todo):
            data = (Path(tmp) / f"out{i}").read_bytes()
            (store / key[name]).write_bytes(data)
            out[name] = data
    return out
