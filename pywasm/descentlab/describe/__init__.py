"""Datasets described in words: a small offline recipe maker, and a language model's answer.

``describe("two moons and a blob, very noisy")`` turns a short English phrase
into a dataset *recipe* (the schema of :mod:`descentlab.datasets.recipes`), and
says which words it used, which it did not understand, and what it decided.  It
is a fixed vocabulary read by a few plain rules: no randomness, no network, no
model, so the same words always give the same recipe.

Read top to bottom:

- :mod:`.vocabulary`: every word understood and what it sets, and the limits;
- :mod:`.phrases`: the text read into items, longest phrase first;
- :mod:`.clauses`: the words around each shape read into its modifiers;
- :mod:`.parts`: each shape's generator, classes, noise, place and components;
- :mod:`.sizes`: how many points each shape gets (counts, imbalance, outliers);
- :mod:`.words`: :func:`describe` itself, from text to recipe;
- :mod:`.llm`: the prompt for a language model (``LLM_PROMPT``) and its answer
  read safely (:func:`parse_llm_answer`).

Untrusted recipes (a user's JSON, a language model's answer) go through
:func:`validate_recipe` (re-exported from :mod:`descentlab.datasets.recipes`,
where :func:`~descentlab.datasets.from_recipe` uses it too).
"""

from __future__ import annotations

from ..datasets.recipes import recipe_size, validate_recipe
from .llm import LLM_PROMPT, MAX_ANSWER_CHARS, parse_llm_answer
from .phrases import PHRASES
from .vocabulary import (COORD_BOUND, LEVELS, MAX_CLASSES, MAX_COMPONENTS, MAX_NUMBER, MAX_POINTS, MAX_SEED,
                         MAX_TEXT_CHARS, MIN_POINTS, NOISE_LEVELS, SHAPES, STOP_WORDS, VOCABULARY, noise_band)
from .words import describe

__all__ = ["describe", "validate_recipe", "recipe_size", "parse_llm_answer", "noise_band", "LLM_PROMPT",
           "VOCABULARY", "NOISE_LEVELS", "LEVELS", "SHAPES", "STOP_WORDS", "PHRASES", "MAX_POINTS", "MIN_POINTS",
           "MAX_CLASSES", "MAX_COMPONENTS", "MAX_SEED", "MAX_TEXT_CHARS", "MAX_ANSWER_CHARS", "MAX_NUMBER",
           "COORD_BOUND"]
