"""Command line: ``python -m descentlab run SPEC.json [-o OUT.json]`` and ``list``.

A bad spec (or a file that is not a JSON spec) exits with status 2 and a
one-line message naming the field and its allowed range; anything else that
goes wrong exits with status 1 and a one-line message.  Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import list_catalog, run
from .errors import SpecError

EXIT_INTERNAL = 1
EXIT_BAD_SPEC = 2
EXIT_INTERRUPTED = 130
MAX_INT_DIGITS = 1000  # longer JSON integers are read by their size alone (they are out of every range)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="descentlab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run a JSON spec and print (or write) the JSON result")
    p_run.add_argument("spec", help="path to a spec file, or - for standard input")
    p_run.add_argument("-o", "--output", help="write the result here instead of printing it")
    p_run.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    p_run.add_argument("--allow-code", action="store_true",
                       help="run learner code in optimizer entries ({\"name\": \"custom\", \"code\": ...});"
                            " only for code you have read: it runs in this process")
    sub.add_parser("list", help="list test functions, optimizers (with defaults) and datasets")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            _print_catalog(list_catalog())
            return 0
        return _run(args)
    except KeyboardInterrupt:
        print("descentlab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (e.g. `| head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INTERNAL
    except Exception as e:  # a bug, or out of memory: one line, so a script can report it
        print(f"descentlab: internal error: {type(e).__name__}: {_one_line(e)}", file=sys.stderr)
        return EXIT_INTERNAL


def _run(args) -> int:
    spec, problem = _read_spec(args.spec)
    if problem:
        print(f"descentlab: {problem}", file=sys.stderr)
        return EXIT_BAD_SPEC
    try:
        result = run(spec, allow_code=args.allow_code)
    except SpecError as e:
        print(f"descentlab: bad spec: {_one_line(e)}", file=sys.stderr)
        return EXIT_BAD_SPEC
    out = json.dumps(result, indent=args.indent, allow_nan=False)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(out + "\n")
        except OSError as e:
            print(f"descentlab: cannot write {args.output}: {e.strerror}", file=sys.stderr)
            return EXIT_INTERNAL
        print(f"wrote {args.output} (digest {result['digest']})", file=sys.stderr)
    else:
        print(out)
    return 0


def _read_spec(name: str):
    """``(spec, None)``, or ``(None, why)`` when the file cannot be read as JSON."""
    try:
        if name == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(name, "rb") as f:
                raw = f.read()
    except OSError as e:
        return None, f"cannot read {name}: {e.strerror}"
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark from a Windows editor is fine
    except UnicodeDecodeError as e:
        return None, f"{name} is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})"
    try:
        # NaN/Infinity parse, so validation can name their field
        return json.loads(text, parse_int=_parse_int), None
    except RecursionError:
        return None, f"invalid JSON in {name}: nested too deeply to read"
    except ValueError as e:  # JSONDecodeError, and anything else the parser refuses
        return None, f"invalid JSON in {name}: {_one_line(e)}"


def _parse_int(digits: str) -> int:
    # int() refuses strings over 4300 digits; the value's size is all validation needs
    if len(digits) <= MAX_INT_DIGITS:
        return int(digits)
    sign = -1 if digits.startswith("-") else 1
    return sign * 10 ** (len(digits.lstrip("+-")) - 1)


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= 500 else text[:497] + "..."


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
