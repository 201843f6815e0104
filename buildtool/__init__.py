"""Descent Lab's build tool (standard library only); `python3 build.py` runs it.

One module per job, each readable on its own:

    pyodide      fetch the Pyodide runtime with npm/pip into the cache, verify every sha256
    wheel        our wheel, its metadata read from pyproject.toml
    bytecode     the shipped Python compiled by Pyodide's own CPython under Node (bytecode.cjs)
    archive      each wheel as the gzipped tar of its files that the page installs from
    lock         dist/pyodide-lock.json: numpy + descentlab, named by their archives
    dist         assemble dist/: copy, prune, then build id, sw.js, build-info.json
    single_file  dist/descentlab.html, the whole app in one file
    serve        the local server (`build.py serve`, and the tests' and benches' servers)
    testenv      `build.py test`: .venv from requirements-test.txt (hashes), Chromium, pytest
    cli          the command line
    common       paths, BuildError, hashing, writes that skip unchanged files

Tests and benchmarks import what they use from here.
"""
from .common import DIST, ROOT, BuildError, cache_dir, src_dir
from .dist import build, finalize
from .serve import make_server, serve
from .testenv import CHROMIUM, CHROMIUM_ARGS, ensure_chromium, ensure_venv, test

__all__ = ["DIST", "ROOT", "BuildError", "cache_dir", "src_dir", "build", "finalize", "make_server",
           "serve", "CHROMIUM", "CHROMIUM_ARGS", "ensure_chromium", "ensure_venv", "test"]
