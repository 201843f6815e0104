"""Classification datasets: seeded 2-D toy generators, the 8×8 digits, and recipes.

One module per concern, all re-exported here (``from descentlab import datasets
as D; D.make("moons")``):

- :mod:`.limits`: how large a dataset the lab takes (shared by every source);
- :mod:`.generators`: the seeded 2-D generators (``GENERATORS``, ``RECIPE_GENERATORS``);
- :mod:`.digits`: the real handwritten digits (``load_digits``);
- :mod:`.recipes`: composing generated pieces (``validate_recipe``, ``from_recipe``),
  as the presets in ``datasets/*.json`` do;
- :mod:`.sources`: a spec's ``dataset`` object by name, recipe or points
  (``make``, ``read_named``, ``read_points``, ``read_recipe``, ``load``);
- :mod:`.prepare`: ``standardize`` and ``train_val_split``.
"""

from __future__ import annotations

from .digits import DIGIT_SIDE, DIGITS_FILE, DIGITS_PATHS, DIGITS_SHA256, DIGITS_SHAPE, load_digits
from .generators import (BLOB_RADIUS, CHECKER_TILES, CIRCLES_FACTOR, FIXED_CLASSES, GENERATORS, LINEAR_MARGIN,
                         RECIPE_GENERATORS, SPIRAL_R0, SPIRAL_TURNS, TWO_PI, Generator, blob, blobs, checkerboard,
                         circles, generate, linear, moons, polar, spirals, xor)
from .limits import (MAX_ABS, MAX_CLASSES, MAX_FEATURES, MAX_SAMPLES, MAX_SEED, MAX_VAL_FRACTION, MIN_SAMPLES,
                     MIN_VAL_FRACTION)
from .prepare import standardize, train_val_split
from .recipes import COORD_BOUND, MAX_COMPONENTS, classes_of, from_recipe, recipe_size, validate_recipe
from .sources import load, make, read_named, read_points, read_recipe

RECIPE_COORD_BOUND = COORD_BOUND  # the name of earlier versions

__all__ = ["Generator", "GENERATORS", "RECIPE_GENERATORS", "FIXED_CLASSES", "generate", "polar", "moons", "circles",
           "spirals", "blobs", "blob", "xor", "checkerboard", "linear", "load_digits", "make", "from_recipe",
           "validate_recipe", "recipe_size", "classes_of", "read_named", "read_points", "read_recipe", "load",
           "standardize", "train_val_split", "MAX_SEED", "MAX_SAMPLES", "MIN_SAMPLES", "MAX_FEATURES",
           "MAX_CLASSES", "MAX_ABS", "MIN_VAL_FRACTION", "MAX_VAL_FRACTION", "MAX_COMPONENTS", "COORD_BOUND",
           "DIGITS_FILE", "DIGITS_SHA256", "DIGITS_SHAPE", "DIGIT_SIDE", "DIGITS_PATHS", "TWO_PI", "CIRCLES_FACTOR",
           "SPIRAL_TURNS", "SPIRAL_R0", "BLOB_RADIUS", "CHECKER_TILES", "LINEAR_MARGIN"]
