"""Command line: ``python -m descentlab run SPEC.json [-o OUT.json]`` and ``list``.

A bad spec exits with status 2 and the SpecError message (field and allowed
range), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import list_catalog, run
from .errors import SpecError

EXIT_BAD_SPEC = 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="descentlab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run a JSON spec and print (or write) the JSON result")
    p_run.add_argument("spec", help="path to a spec file, or - for standard input")
    p_run.add_argument("-o", "--output", help="write the result here instead of printing it")
    p_run.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    sub.add_parser("list", help="list test functions, optimizers (with defaults) and datasets")
    args = parser.parse_args(argv)

    if args.command == "list":
        _print_catalog(list_catalog())
        return 0
    try:
        text = sys.stdin.read() if args.spec == "-" else open(args.spec, encoding="utf-8").read()
    except OSError as e:
        print(f"descentlab: cannot read {args.spec}: {e.strerror}", file=sys.stderr)
        return EXIT_BAD_SPEC
    try:
        spec = json.loads(text)  # NaN/Infinity parse, so validation can name their field
    except json.JSONDecodeError as e:
        print(f"descentlab: invalid JSON in {args.spec}: {e}", file=sys.stderr)
        return EXIT_BAD_SPEC
    try:
        result = run(spec)
    except SpecError as e:
        print(f"descentlab: bad spec: {e}", file=sys.stderr)
        return EXIT_BAD_SPEC
    out = json.dumps(result, indent=args.indent, allow_nan=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(out + "\n")
        print(f"wrote {args.output} (digest {result['digest']})", file=sys.stderr)
    else:
        print(out)
    return 0


def _print_catalog(cat: dict) -> None:
    print("Test functions:")
    for f in cat["functions"]:
        print(f"  {f['name']:<16} {f['title']}")
    print("\nOptimizers (defaults):")
    for o in cat["optimizers"]:
        defaults = ", ".join(f"{k}={v}" for k, v in o["defaults"].items())
        print(f"  {o['name']:<10} {defaults}")
    print("\nDatasets:")
    for d in cat["datasets"]:
        print(f"  {d['name']:<13} {d['description']}")
    print("\nActivations: " + ", ".join(cat["activations"]))
    print("Losses: " + ", ".join(cat["losses"]))


if __name__ == "__main__":
    sys.exit(main())
