"""What the benchmark scripts share: the build tool (buildtool/: its build, server and browser settings)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # buildtool/ sits at the repo root; the scripts run from bench/
    sys.path.insert(0, str(ROOT))

import buildtool  # noqa: E402


def load_build_tool():
    """The build tool: `build`, `make_server`, `DIST`, `CHROMIUM`, `CHROMIUM_ARGS`."""
    return buildtool
