"""Mutations of valid specs, and ``random_spec``: one generated spec of any kind.

``random_spec(rng)`` draws a small valid spec (``spec_builders.BUILDERS``), then,
most of the time, a few ``MUTATIONS`` of it: wrong types, values out of range,
huge integers, NaN, empty and unknown keys, deep nesting, missing fields; now and
then one of the ``OVERSIZED`` specs instead.
"""

from __future__ import annotations

import copy
import functools
import math
import random

from spec_builders import BUILDERS, NAMES, OVERSIZED

HUGE_INTS = [10**20, -(10**20), 2**63, 2**64 + 1, 10**308, 10**309, 10**400, -(10**400), 10**4000]
NOT_FINITE = [float("nan"), float("inf"), float("-inf")]
WRONG_TYPES = [None, True, False, "", "1", "adam", [], [1], {}, {"a": 1}, [[1, 2]], 0.5, -1, 0, 1e300]


def nested(depth: int, leaf=1, as_dict: bool = False):
    """``[[[...leaf...]]]`` (or ``{"a": {"a": ...}}``) ``depth`` levels deep, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


def places(spec, max_depth: int = 8) -> list[tuple]:
    """Every (container, key) in ``spec`` down to ``max_depth``, the root's keys included;
    long lists sampled (their first three items)."""
    out, stack = [], [(spec, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            keys = list(node)
        elif isinstance(node, list):
            keys = list(range(min(len(node), 3)))
        else:
            continue
        for key in keys:
            out.append((node, key))
            if depth < max_depth:
                stack.append((node[key], depth + 1))
    return out


def dicts(spec) -> list[dict]:
    return [node[key] for node, key in places(spec) if isinstance(node[key], dict)] + [spec]


def _replace(rng, spec, choices):
    found = places(spec)
    if found:
        node, key = rng.choice(found)
        node[key] = choices(rng, node[key]) if callable(choices) else rng.choice(choices)


def _out_of_range(rng, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return rng.choice([-1, 0, 10**6, 1e-300])
    if isinstance(value, int):  # integer arithmetic: the value may already be huge
        return rng.choice([-value - 1, value * 1000 + 10**6, value - 10**9, 0, -1])
    return rng.choice([-value - 1, value * 1000 + 1e6, value - 1e9, value + 0.5, -1e-9, 0])


def _nearby(rng, value):
    """Another value of the same type, often still valid: a cheap way to reach the edges."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice([value - 1, value + 1, value * 2, 0, 1, 2])
    if isinstance(value, float):
        return rng.choice([value * 0.5, value * 1.5, 0.0, 1.0, value + 1e-12, -value])
    if isinstance(value, str):
        return rng.choice(sum(NAMES.values(), []) + list(BUILDERS) + ["", "x" * 2000, "é"])
    if isinstance(value, list):
        return rng.choice([value[:1], value[1:], value + value, [], value * 30])
    return value


def m_wrong_type(rng, spec):
    _replace(rng, spec, WRONG_TYPES)


def m_out_of_range(rng, spec):
    _replace(rng, spec, _out_of_range)


def m_huge_int(rng, spec):
    _replace(rng, spec, HUGE_INTS)


def m_not_finite(rng, spec):
    _replace(rng, spec, NOT_FINITE)


def m_nearby(rng, spec):
    _replace(rng, spec, _nearby)


NESTED_LEAVES = [1, "x", None, float("nan")]
FRESH_LEVELS = 10  # the top of a deep value is new each time; mutations reach only 8 levels down


@functools.lru_cache(maxsize=None)
def _deep_tail(depth: int, leaf: int, as_dict: bool):
    # shared between specs, never mutated (below every mutation's reach): 100,000 levels once
    return nested(depth, NESTED_LEAVES[leaf], as_dict)


def m_nested(rng, spec):
    depth = rng.choice([3, 25, 50, 1000, 1000, 100_000])
    leaf, as_dict = rng.randrange(len(NESTED_LEAVES)), rng.random() < 0.3
    tail = max(depth - FRESH_LEVELS, 0)
    _replace(rng, spec, lambda r, v: nested(depth - tail, _deep_tail(tail, leaf, as_dict), as_dict))


def m_missing(rng, spec):
    found = [(n, k) for n, k in places(spec) if isinstance(n, dict)]
    if found:
        node, key = rng.choice(found)
        del node[key]


def m_unknown_key(rng, spec):
    rng.choice(dicts(spec))[rng.choice(["lerning_rate", "x", "__proto__", "constructor", "1", "é" * 50,
                                         "k" * 500])] = 1


def m_empty_key(rng, spec):
    rng.choice(dicts(spec))[""] = rng.choice([1, "", None, {}])


def m_swap_kind(rng, spec):
    spec["kind"] = rng.choice(list(BUILDERS) + ["Landscape", "", "lab"])


MUTATIONS = [m_wrong_type, m_out_of_range, m_huge_int, m_not_finite, m_nearby, m_nearby, m_nested,
             m_missing, m_unknown_key, m_empty_key, m_swap_kind]

# how often each kind is drawn: the cheap kinds most, the trained ones least
WEIGHTS = {"landscape": 6, "grid": 4, "regime": 6, "dataset": 6, "network": 3, "tsne": 3, "projection": 1}
VALID_SHARE = 0.2  # specs left as built (most are valid); the rest get 1-3 mutations
OVERSIZED_SHARE = 0.004  # specs drawn from OVERSIZED (their validation builds 5,000 points)


def random_spec(rng: random.Random) -> dict:
    """One spec of any kind: valid and small, or a mutation of one, or one far over the budget."""
    if rng.random() < OVERSIZED_SHARE:
        return copy.deepcopy(rng.choice(OVERSIZED))
    kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    spec = BUILDERS[kind](rng)
    if rng.random() >= VALID_SHARE:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            rng.choice(MUTATIONS)(rng, spec)
    return spec
