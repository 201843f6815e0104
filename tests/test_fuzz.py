"""Ten thousand generated specs, and exactly two outcomes for each.

Every spec either runs to a result whose every number is finite (no NaN, no
inf, no null where a number belongs), or raises ``SpecError`` naming a
non-empty field, before any work starts.  The specs (``strategies.random_spec``)
cover every kind: small valid ones, mutations of them (wrong types, values out
of range, huge integers, NaN, empty and unknown keys, nesting 100,000 deep,
missing fields) and specs far over the work budget.  They come from one seed, so
a failure names a spec number that ``nth_spec`` rebuilds.
"""

from __future__ import annotations

import collections
import json
import random
import signal
import time
from contextlib import contextmanager

import pytest

from descentlab import SpecError, run
from strategies import BUILDERS, finite_problems, random_spec, short

SEED = 20261130
N_SPECS = 10_000
SPEC_SECONDS = 10.0  # far above any generated valid spec (under 0.5 s); a runaway fails instead of hanging
MIN_RESULTS_PER_KIND = 10  # each kind's valid specs must really run, or the test proves little
SHOWN = 12  # reproducers printed on failure


class TooSlow(Exception):
    """A spec ran past ``SPEC_SECONDS``: a budget should have refused it."""


@contextmanager
def time_limit(seconds: float):
    def expire(signum, frame):
        raise TooSlow(f"still running after {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def nth_spec(n: int, seed: int = SEED) -> dict:
    """Spec number ``n`` of the run with ``seed``, to reproduce a failure."""
    rng = random.Random(seed)
    for _ in range(n):
        random_spec(rng)
    return random_spec(rng)


def outcome(spec) -> tuple[str, str | None]:
    """``("result" | "error", None)`` for an allowed outcome, else ``(label, what went wrong)``."""
    try:
        with time_limit(SPEC_SECONDS):
            result = run(spec)
    except SpecError as e:
        if isinstance(e.field, str) and e.field.strip() and e.message:
            return "error", None
        return "SpecError without a field", str(e)
    except TooSlow as e:
        return "too slow", str(e)
    except Exception as e:  # noqa: BLE001 - any other exception is what this test is looking for
        return type(e).__name__, f"{type(e).__name__}: {str(e)[:200]}"
    problems = finite_problems(result)
    try:
        json.dumps(result, allow_nan=False)
    except (TypeError, ValueError) as e:
        problems.append(f"json.dumps: {e}")
    return ("result", None) if not problems else ("not finite", "; ".join(problems))


def _kind(spec) -> str:
    kind = spec.get("kind") if isinstance(spec, dict) else None
    return kind if isinstance(kind, str) and kind in BUILDERS else "other"


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM for the per-spec time limit")
def test_every_generated_spec_runs_finite_or_names_a_field():
    rng = random.Random(SEED)
    failures = collections.defaultdict(list)  # (kind, label) -> [(spec number, detail, spec)]
    counts = collections.Counter()
    slowest = (0.0, None)
    for n in range(N_SPECS):
        spec = random_spec(rng)
        start = time.perf_counter()
        label, detail = outcome(spec)
        elapsed = time.perf_counter() - start
        slowest = max(slowest, (elapsed, n), key=lambda t: t[0])
        counts[(_kind(spec), label)] += 1
        if detail is not None:
            failures[(_kind(spec), label)].append((n, detail, spec))
    lines = []
    for (kind, label), cases in sorted(failures.items(), key=lambda kv: -len(kv[1]))[:SHOWN]:
        n, detail, spec = cases[0]
        lines.append(f"{len(cases)} x {kind} / {label}: e.g. nth_spec({n}): {detail}\n    {short(spec)}")
    failed = sum(map(len, failures.values()))
    assert not lines, f"{failed} specs of {N_SPECS} failed:\n" + "\n".join(lines)
    thin = [k for k in BUILDERS if counts[(k, "result")] < MIN_RESULTS_PER_KIND]
    assert not thin, f"too few valid specs ran for {thin}: {dict(counts)}"
    assert slowest[0] < SPEC_SECONDS


def test_nth_spec_rebuilds_the_same_spec():
    rng = random.Random(SEED)
    specs = [random_spec(rng) for _ in range(30)]
    assert short(nth_spec(29)) == short(specs[29])
