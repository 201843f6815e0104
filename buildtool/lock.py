"""dist/pyodide-lock.json: the packages Pyodide may load, exactly what dist/ ships.

Written by hand with json: the `pyodide-lock` package from PyPI would need pydantic, and
build.py (hence `serve`) must run on a bare Python with the standard library only.
The page's worker fetches each package's archive with the lock's sha256 as the fetch
integrity (as Pyodide 0.27's loadPackage does), so a file that does not match its entry fails
to load.
"""
from __future__ import annotations

import json
import re

from .common import BuildError
from .wheel import PACKAGE

# Pyodide packages dist/ ships besides ours, each with its entry from the official lock.
SHIPPED = ("numpy",)


def requirement_names(dependencies: list[str]) -> list[str]:
    """The project names of PEP 508 requirements ("numpy>=2; ..." -> "numpy")."""
    return [re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", d).group(1).lower() for d in dependencies]


def make_lock(npm_lock: dict, version: str, depends: list[str], shipped: dict[str, tuple[str, str]]) -> bytes:
    """The lock for our package (depending on `depends`) and the shipped Pyodide packages.

    `shipped` maps each package (ours and those of SHIPPED) to the (file name, sha256) of the
    file dist/ ships: an archive of the wheel with bytecode added (archive.py), another file
    than the official lock names."""
    missing = sorted(set(depends) - set(SHIPPED))
    if missing:
        raise BuildError(f"pyproject.toml depends on {', '.join(missing)}, which dist/ does not ship; "
                         "add its Pyodide wheel (pinned by sha256) to buildtool/pyodide.py and SHIPPED")
    if set(shipped) != {*SHIPPED, PACKAGE}:
        raise BuildError(f"the lock would name files dist/ does not ship: it lists {sorted({*SHIPPED, PACKAGE})}, "
                         f"dist/ ships {sorted(shipped)}")
    packages = {name: dict(npm_lock["packages"][name]) for name in SHIPPED}
    packages[PACKAGE] = {
        "name": PACKAGE,
        "version": version,
        "install_dir": "site",
        "package_type": "package",
        "imports": [PACKAGE],
        "depends": list(depends),
        "unvendored_tests": False,
    }
    for name, (file_name, sha) in shipped.items():
        packages[name].update(file_name=file_name, sha256=sha)
    lock = {"info": npm_lock["info"], "packages": packages}
    return (json.dumps(lock, indent=2, sort_keys=True) + "\n").encode()
