"""A language model as the recipe maker: the prompt the page may send, and its answer read safely.

:data:`LLM_PROMPT` is the system prompt the page may send to an
OpenAI-compatible chat endpoint the learner chose; :func:`parse_llm_answer`
reads the model's answer.  Nothing here ever executes text: JSON is parsed,
checked key by key and number by number (:func:`~descentlab.datasets.validate_recipe`),
and anything unknown is rejected.
"""

from __future__ import annotations

import json
import re

from ..datasets import FIXED_CLASSES, RECIPE_GENERATORS, validate_recipe
from ..errors import SpecError
from .vocabulary import COORD_BOUND, MAX_CLASSES, MAX_COMPONENTS, MAX_POINTS, MAX_SEED, MIN_POINTS

MAX_ANSWER_CHARS = 20_000  # a language model's answer


def _generator_lines() -> str:
    """One line per recipe generator: what it draws and its parameters' ranges."""
    lines = []
    for name, g in RECIPE_GENERATORS.items():
        p = g.params
        parts = [f"n {p['n']['min']}..{p['n']['max']} (default {p['n']['default']})",
                 f"noise {p['noise']['min']:g}..{p['noise']['max']:g} (default {p['noise']['default']:g})"]
        if "classes" in p and name != "blob":
            parts.append(f"classes {p['classes']['min']}..{p['classes']['max']}"
                         f" (default {p['classes']['default']})")
        else:
            parts.append(f"always {1 if name == 'blob' else FIXED_CLASSES} class"
                         + ("" if name == "blob" else "es") + " (no \"classes\" key)")
        lines.append(f"- {name}: {g.description} {'; '.join(parts)}.")
    return "\n".join(lines)


_EXAMPLE_1 = {"components": [{"generator": "spirals", "n": 600, "noise": 0.02, "classes": 3}], "seed": 0}
_EXAMPLE_2 = {"components": [{"generator": "moons", "n": 300, "noise": 0.2},
                             {"generator": "blob", "n": 100, "noise": 0.2, "shift": [0.0, -1.6]}],
              "seed": 7}

LLM_PROMPT = f"""You turn a short description of a 2-D classification dataset into a JSON recipe.
Answer with ONLY one JSON object: no prose, no explanation, no code fence.

Schema:
{{"components": [COMPONENT, ...], "seed": INTEGER}}
COMPONENT = {{"generator": NAME, "n": INTEGER, "noise": NUMBER, "classes": INTEGER,
             "scale": NUMBER, "shift": [NUMBER, NUMBER], "label": INTEGER}}
Only "generator" is required in a component; no other keys are allowed anywhere.

Generators (NAME) and their parameters:
{_generator_lines()}

Rules:
- 1 to {MAX_COMPONENTS} components; {MIN_POINTS} to {MAX_POINTS} points ("n") and 2 to {MAX_CLASSES} classes in all.
- "seed": integer 0..{MAX_SEED} (default 0).
- Each component's points become scale * x + shift; "scale" and each "shift" number within
  -{COORD_BOUND:g}..{COORD_BOUND:g}. Every generator draws around the origin, about 3 units wide
  (blobs about 5): shift combined shapes apart by about that much unless they should overlap.
- Labels: each component's classes get new labels after those already used (moons then a blob
  give classes 0, 1 and 2). "label": k puts all of a component's points in existing class k
  (0..{MAX_CLASSES - 1}), e.g. for outliers. The labels must end up 0..C-1 without gaps.
- Noise is a standard deviation in the same units: 0 is clean; for moons 0.05 is a little,
  0.2 is noisy; for blobs 0.5 is normal.

Example: "three spirals with a little noise, 600 points"
{json.dumps(_EXAMPLE_1)}

Example: "noisy moons and a blob below them, seed 7"
{json.dumps(_EXAMPLE_2)}
"""

_FENCE = re.compile(r"```[ \t]*(?:json|JSON|javascript|js)?[ \t]*\n?(.*?)```", re.DOTALL)
MAX_JSON_TRIES = 50


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constants(name):
    raise ValueError(f"{name} is not allowed in a recipe")


def _top_level_braces(body: str) -> list[int]:
    """Positions of each "{" not inside another {...} (strings skipped): the candidate objects."""
    out, depth, in_string, escaped = [], 0, False, False
    for i, ch in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = depth > 0  # quotes in the prose around the JSON do not start strings
        elif ch == "{":
            if depth == 0:
                out.append(i)
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
    return out


def parse_llm_answer(text) -> dict:
    """Read the recipe out of a chat model's answer.

    The first JSON object in the answer is used (inside a ```json fence when
    there is one; objects nested in another are not candidates, so an
    invalid recipe is reported as such rather than replaced by one of its
    components); ``{"recipe": {...}}`` is unwrapped.  It is then checked by
    :func:`validate_recipe`: unknown keys (``"__proto__"`` included), numbers
    out of range, too many points or classes are all rejected.

    Raises
    ------
    SpecError
        with field ``"recipe"`` and a message saying what is wrong.
    """
    if not isinstance(text, str):
        raise SpecError("recipe", "the model's answer must be text")
    if len(text) > MAX_ANSWER_CHARS:
        raise SpecError("recipe", f"the model's answer is too long ({len(text)} characters;"
                        f" at most {MAX_ANSWER_CHARS})")
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    obj, first_error = None, None
    for start in _top_level_braces(body)[:MAX_JSON_TRIES]:
        try:
            obj, _ = decoder.raw_decode(body, start)
            break
        except (ValueError, RecursionError) as e:
            if first_error is None:
                first_error = str(e) or "too deeply nested"
            obj = None
    if obj is None:
        if first_error is not None:
            raise SpecError("recipe", f"the model's answer is not valid JSON ({first_error});"
                            " expected only a JSON recipe object")
        raise SpecError("recipe", "the model's answer contains no JSON object; expected only a JSON recipe"
                        ' like {"components": [{"generator": "moons"}], "seed": 0}')
    if isinstance(obj, dict) and set(obj) == {"recipe"} and isinstance(obj["recipe"], dict):
        obj = obj["recipe"]
    try:
        return validate_recipe(obj)
    except SpecError as e:
        raise SpecError("recipe", f"the model's answer is not a valid recipe: {e.field}: {e.message}") from None


__all__ = ["LLM_PROMPT", "parse_llm_answer", "MAX_ANSWER_CHARS"]
