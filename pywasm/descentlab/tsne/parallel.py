"""Row blocks of pairwise work, shared among native threads: memory and cache, never results.

Every per-point sum of t-SNE runs along one whole row, and each block writes only
its own rows, so the bits do not depend on the block size or on the number of
threads (the tests change both and compare bytes).  Pyodide has no threads and
runs the same blocks one after another.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

ROW_BLOCK = 1 << 16  # elements per row block of pairwise work (512 kB: stays in cache)
WORKING_BLOCKS = 17  # block-sized arrays alive at once at most (tested with tracemalloc)

# native threads for independent row blocks (Pyodide has none); results never depend on it
WORKERS = 1 if sys.platform == "emscripten" else max(1, min(2, os.cpu_count() or 1))
_POOL: list = []


def run_parallel(fn, tasks):
    """``[fn(t) for t in tasks]``, natively spread over ``WORKERS`` threads.

    Each task must write only outputs no other task touches; then the result is
    the same whatever the number of threads.
    """
    tasks = list(tasks)
    if WORKERS <= 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    if not _POOL or _POOL[0][0] != WORKERS:
        _POOL[:] = [(WORKERS, ThreadPoolExecutor(WORKERS, thread_name_prefix="descentlab"))]
    return list(_POOL[0][1].map(fn, tasks))


def split_range(n, parts):
    """``[0, n)`` cut into ``parts`` contiguous ranges as equal as possible (empty ones dropped)."""
    cuts = [n * i // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def row_blocks(start, stop, width):
    """Consecutive ``(s, e)`` row ranges of ``start:stop`` with about ``ROW_BLOCK`` elements each."""
    rows = max(2, ROW_BLOCK // max(1, width))
    return [(s, min(stop, s + rows)) for s in range(start, stop, rows)]

