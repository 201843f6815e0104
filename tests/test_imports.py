"""The core's modules import without cycles, each on its own.

A cycle between two modules works only as long as one of them defers its
import into a function, or Python happens to import them in the right order;
it also makes either module impossible to read without the other.  So the
import graph of ``pywasm/descentlab`` (every ``import``, at module level or
inside a function) must be acyclic, and every module must import first in a
fresh interpreter.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = "descentlab"
CORE = Path(__file__).resolve().parents[1] / "pywasm" / PACKAGE


def module_names() -> dict[str, Path]:
    """``{"descentlab.datasets.recipes": path, ...}`` for every module of the core (packages too)."""
    out = {}
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of a relative import ``from <level dots><target> import ...`` in ``module``."""
    if level == 0:
        return target or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(module: str, path: Path, modules: dict) -> set[str]:
    """The core modules ``module`` imports, anywhere in its body.

    ``from X import name`` counts ``X.name`` when that is a module, else ``X``.  An
    import of one of the module's own ancestor packages is left out: Python has
    initialised those before the module itself, so they cannot close a cycle.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            for a in node.names:
                found.add(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base)
    ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    return {m for m in found if m in modules and m != module and m not in ancestors}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, 1972)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_import_graph_has_no_cycle():
    modules = module_names()
    graph = {m: imports_of(m, p, modules) for m, p in modules.items()}
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(
        " <-> ".join(c) + ": " + "; ".join(f"{m} imports {sorted(graph[m] & set(c))}" for m in c) for c in found)


def test_the_checker_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    modules = {"descentlab.x": None, "descentlab.y": None, "descentlab.p": None, "descentlab.p.q": None}
    assert _resolve("descentlab.p.q", False, 2, None) == "descentlab"
    assert _resolve("descentlab.p", True, 1, "q") == "descentlab.p.q"
    assert _resolve("descentlab.x", False, 1, "p") == "descentlab.p"
    assert modules  # (the names above are what module_names() produces for such a tree)


# Each module is imported first, with every module of the core forgotten before it: the order
# a user's "import descentlab.<module>" or "python -m descentlab" would meet them.  One fresh
# interpreter for all of them (NumPy stays loaded), so the whole check takes a second or two.
_IMPORT_EACH_FIRST = """
import importlib, sys
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "descentlab" or m.startswith("descentlab.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as e:
        failed.append(f"{name}: {type(e).__name__}: {e}")
print("\\n".join(failed))
"""


def test_every_module_imports_first_in_a_fresh_interpreter():
    names = [m for m in module_names() if not m.endswith("__main__")]
    env = {**os.environ, "PYTHONPATH": str(CORE.parent)}
    done = subprocess.run([sys.executable, "-c", _IMPORT_EACH_FIRST, *names], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not done.stdout.strip(), done.stdout


KNOWN_SHADOWED: set = set()  # a module whose name a function of its package takes (none)


def test_no_module_is_shadowed_by_a_function_of_its_package():
    """``package.name`` is the submodule ``name`` itself (``optimizers.nadam`` once was a function)."""
    shadowed = []
    for name in module_names():
        parent, _, child = name.rpartition(".")
        if not parent:
            continue
        module, package = importlib.import_module(name), importlib.import_module(parent)
        if getattr(package, child) is not module:
            shadowed.append(f"{name} is {getattr(package, child)!r}")
    assert sorted(s.split(" ")[0] for s in shadowed) == sorted(KNOWN_SHADOWED), "\n".join(shadowed)


# What the browser's first live result (a landscape scene, see web/worker.js) imports: the
# worker's glue and one run. Every other spec kind and the page's occasional calls load on
# first use (api.KINDS, descentlab.__getattr__), so none of these may be imported by then.
_FIRST_SCENE = """
import json, sys
import descentlab.worker_glue
import descentlab
descentlab.run({"kind": "landscape", "function": "rosenbrock", "start": [-1.5, 2.0], "steps": 20,
                "optimizers": [{"name": "adam", "lr": 0.05}]})
print(json.dumps(sorted(m for m in sys.modules if m.startswith("descentlab."))))
"""
NOT_FOR_THE_FIRST_SCENE = ["descentlab.network", "descentlab.regime", "descentlab.tune", "descentlab.datasets",
                           "descentlab.nn", "descentlab.tsne", "descentlab.projection", "descentlab.dataset_spec",
                           "descentlab.catalog", "descentlab.describe", "descentlab.tracing", "descentlab.exercises",
                           "descentlab.csvdata", "descentlab.selftest"]


def test_the_first_scene_imports_only_what_a_landscape_needs():
    env = {**os.environ, "PYTHONPATH": str(CORE.parent)}
    done = subprocess.run([sys.executable, "-c", _FIRST_SCENE], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "descentlab.landscape" in loaded and "descentlab.worker_glue" in loaded
    early = [m for m in loaded if any(m == n or m.startswith(n + ".") for n in NOT_FOR_THE_FIRST_SCENE)]
    assert not early, f"imported before the first scene: {early}"
