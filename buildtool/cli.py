"""The command line of build.py: build (the default), serve, test."""
from __future__ import annotations

import argparse
import subprocess
import sys

from .common import BuildError
from .dist import build
from .serve import serve
from .testenv import test

DESCRIPTION = "Descent Lab build tool (standard library only)."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="cmd")
    sub.add_parser("build", help="assemble dist/ (default)")
    p_serve = sub.add_parser("serve", help="build, then serve dist/")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--host", default="127.0.0.1")
    sub.add_parser("test", help="set up .venv and Chromium, build, run pytest (extra args go to pytest)",
                   add_help=False)
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] == "test":
            return test(argv[1:])  # everything after `test` goes to pytest, unparsed
        args = parser.parse_args(argv)
        if args.cmd == "serve":
            serve(args.host, args.port)
        else:
            build()
        return 0
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(f"build.py: error: `{' '.join(map(str, e.cmd))}` exited with {e.returncode}", file=sys.stderr)
        return 1
