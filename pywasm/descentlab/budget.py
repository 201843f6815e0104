"""How much a spec asks for, worked out from its fields before anything runs.

Every valid spec must finish in bounded time and memory: a link may start it in
a browser tab, and a learner must be able to press Stop.  Each spec kind has a
``cost(spec) -> Cost`` that estimates, from the validated fields alone, the
native seconds and the peak memory of running it; :func:`check` refuses a spec
whose estimate exceeds the budget, naming the fields that drive it.

The estimates are linear models whose coefficients were measured on the
reference machine (a shared 2-core x86-64 VM, NumPy 2.0.2) by
``bench/bench_budget.py``; they err on the high side.  The browser is about
two to three times slower than native, so the 30-second budget is about a
minute or a minute and a half in a tab.

Work is also cut into chunks of at most ``PROGRESS_SECONDS`` (estimated) between
two progress reports, so that Stop takes effect within about a quarter of a
second even on a machine running at half speed.
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import SpecError

SECONDS = 30.0  # estimated native seconds on the reference machine, per spec
MEMORY_BYTES = 768 * 2**20  # estimated peak memory natively, per spec
PROGRESS_SECONDS = 0.08  # estimated work between two progress reports (promise: 0.25 s)

# What one number costs to hold, by container.
FLOAT_BYTES = 8  # in a float64 array
LIST_FLOAT_BYTES = 32  # in a Python list: the pointer plus the float object
JSON_FLOAT_BYTES = 24  # printed in JSON text (about 20 characters and a comma)


class Cost(NamedTuple):
    """An estimate of one spec's work.

    Attributes
    ----------
    seconds : float
        Native seconds on the reference machine.
    memory : float
        Peak bytes natively.
    drivers : tuple of (str, object)
        The fields that drive the estimate, most important first, each with its
        value as the spec gave it, e.g. ``("epochs", 1000)``.
    hint : str
        What to lower, in the page's and the spec's words.
    """

    seconds: float
    memory: float
    drivers: tuple
    hint: str


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _size(n_bytes: float) -> str:
    if n_bytes < 2**30:
        return f"{n_bytes / 2**20:.0f} MB"
    return f"{n_bytes / 2**30:.1f} GB"


def _value(v) -> str:
    if isinstance(v, list) and len(v) > 8:
        return f"{len(v)} items"
    return str(v)


def check(cost: Cost) -> Cost:
    """Raise ``SpecError`` when ``cost`` is over the budget; return it otherwise.

    The error names the most important driving field, and the message names the
    budget, the estimate, every driving field with its value, and what to lower.
    """
    over_time = cost.seconds > SECONDS
    over_memory = cost.memory > MEMORY_BYTES
    if not (over_time or over_memory):
        return cost
    parts = []
    if over_time:
        parts.append(f"about {_duration(cost.seconds)} of work (the budget is {_duration(SECONDS)} natively,"
                     " one to two minutes in a browser)")
    if over_memory:
        parts.append(f"about {_size(cost.memory)} of memory (the budget is {_size(MEMORY_BYTES)})")
    drivers = ", ".join(f"{field}={_value(value)}" for field, value in cost.drivers)
    field = cost.drivers[0][0] if cost.drivers else "kind"
    raise SpecError(field, f"this spec needs {' and '.join(parts)}; driven by {drivers}. {cost.hint}")


def chunk(seconds_per_item: float) -> int:
    """How many items of ``seconds_per_item`` each to do between two progress reports."""
    return max(1, int(PROGRESS_SECONDS / max(seconds_per_item, 1e-12)))


def drain(steps):
    """Run a generator of progress items to its end and return its value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def beats(steps, item: dict):
    """Re-yield each progress token of a generator as a copy of ``item``; return its value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value
        yield dict(item)
