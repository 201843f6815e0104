"""What the benchmark scripts share: build.py as a module (its build, server and browser settings)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_build_tool():
    """build.py as a module (not named `build`, which is also a PyPI package)."""
    name = "descentlab_build_tool"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
