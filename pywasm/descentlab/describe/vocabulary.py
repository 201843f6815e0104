"""The words :func:`descentlab.describe.describe` understands, and what each one sets.

``VOCABULARY`` holds the full lists, for the page to display.

shapes
    moons (moon, half moons, crescents), circles (rings, concentric, donut),
    spirals (spiral, swirl, interleaved), blobs (clusters, gaussians; a single
    "blob"/"cluster" is one class), xor (quadrants), checkerboard (chessboard,
    grid), linear (line, separable, linearly separable).
counts
    "500 points", "200 samples", "n=300", "100 points per class" / "each",
    number words ("one" .. "twenty", "thirty" .. "ninety", "hundred",
    "thousand", "2k", "1,000"), "a few", "several", "many", "lots of";
    sizes "tiny", "small", "large", "big", "huge".  A number below 20 right
    before a shape counts the shape's classes ("three spirals" = three arms,
    "4 blobs"); "3 classes", "with 4 classes", "3 arms" set the classes.  Any
    other number of at least 20 ("500 moons", "moons 500") is the number of
    points.
noise
    none ("no noise", "clean", "noiseless"), low ("a little noise",
    "slightly noisy", "tight"), medium ("noise", "some noise", the default),
    high ("noisy", "fuzzy"), very high ("very noisy", "lots of noise");
    or a value: "noise 0.3", "noise=0.3", "0.3 noise".  The level becomes a
    per-shape standard deviation from ``NOISE_LEVELS`` (a blob needs a wider
    spread than a circle for the same look).
overlap
    "overlapping", "touching", "separated", "well separated", "far apart":
    set the noise level and the gap between combined shapes.
imbalance
    "imbalanced", "a rare class", "90/10" (or "80/15/5"), "mostly ...":
    split the points unevenly between the parts of the dataset.  The parts
    are the combined shapes or, for blobs alone, the blobs themselves; the
    other generators always draw balanced classes, so "imbalanced moons" only
    gives a note.
combinations
    "and", "plus", "+", ",", "with", "along with" ... start a new shape when a
    shape word follows ("two moons and a blob").  A part without a shape
    ("with lots of noise") applies to the shape before it when introduced by
    "with"/"having", and to every shape otherwise.  Shapes are laid out left to
    right, three to a row; "below", "above", "left", "in the middle"/"inside"
    place a shape relative to the one before.  "noise points", "outliers", "background
    points" add a wide cloud of points whose labels are spread over the
    existing classes.
label noise
    "20% label noise", "noisy labels", "mislabelled" (10 % when no share is
    said): that share of the points, picked at random, is given another class;
    no point moves and none is added.
seed
    "seed 7", "seed=7", "random seed 7" (default 0).

Stop words (``STOP_WORDS``: "a", "the", "with" when nothing follows, "of",
"some", "points", "data", "make", "please", ...) carry no meaning here: they are
neither listed as understood nor flagged as ignored.  Every other word the rules
do not use is returned in ``ignored``, so the page can show what was not
understood.

The recipe always passes :func:`descentlab.datasets.validate_recipe`: at most ``MAX_POINTS`` points and
``MAX_CLASSES`` classes in all (larger requests are scaled down, with a note).
"""

from __future__ import annotations

from ..datasets import COORD_BOUND, MAX_CLASSES, MAX_COMPONENTS, MAX_SAMPLES, MAX_SEED, MIN_SAMPLES  # noqa: F401

MAX_POINTS = MAX_SAMPLES  # all components together
MIN_POINTS = MIN_SAMPLES  # enough to train and validate
MAX_TEXT_CHARS = 1000
MAX_NUMBER = 1e15  # larger numbers in a description are read as this: every count, seed and level is far below
DEFAULT_N = 200  # points of a shape when no count is given
DEFAULT_BLOB_N = 100  # points of a single blob
BARE_COUNT_MIN = 20  # a number alone ("moons 500") is a count from this value up
MIN_PER_CLASS = 3  # every class of a component gets at least this many points

# family -> {"plural": [...], "singular": [...], "adjective": [...]}
SHAPES = {
    "moons": {"plural": ["moons", "half moons", "half circles", "crescents", "bananas"],
              "singular": ["moon", "half moon", "half circle", "crescent", "banana"],
              "adjective": []},
    "circles": {"plural": ["circles", "rings", "donuts", "doughnuts"],
                "singular": ["circle", "ring", "donut", "doughnut"],
                "adjective": ["concentric", "circular"]},
    "spirals": {"plural": ["spirals", "swirls"], "singular": ["spiral", "swirl"],
                "adjective": ["interleaved", "interleaving", "twisted"]},
    "blobs": {"plural": ["blobs", "clusters", "gaussians", "clumps"],
              "singular": ["blob", "cluster", "clump"], "adjective": ["gaussian"]},
    "xor": {"plural": ["xor", "quadrants", "exclusive or"], "singular": ["quadrant"], "adjective": []},
    "checkerboard": {"plural": ["checkerboard", "chessboard", "checkers", "checker board", "chess board",
                                "checkerboards", "chequerboard", "grid", "checkered"],
                     "singular": [], "adjective": []},
    "linear": {"plural": ["linear", "line", "lines", "separable", "linearly separable", "half planes",
                          "straight line"],
               "singular": [], "adjective": []},
}

NOISE_WORDS = {
    "none": ["no noise", "noiseless", "noise free", "clean", "without noise", "zero noise", "perfect",
             "very clean", "crisp", "pristine", "exact"],
    "low": ["a little noise", "little noise", "slightly noisy", "slight noise", "low noise",
            "a bit of noise", "bit of noise", "a bit noisy", "a little noisy", "somewhat noisy",
            "mild noise", "not much noise", "tight", "sharp"],
    "medium": ["some noise", "moderate noise", "moderately noisy", "medium noise", "normal noise"],
    "high": ["noisy", "high noise", "much noise", "quite noisy", "fuzzy", "blurry", "messy", "loose",
             "diffuse", "spread out", "wide"],
    "very_high": ["very noisy", "really noisy", "extremely noisy", "super noisy", "lots of noise",
                  "a lot of noise", "heavy noise", "heavily noisy", "tons of noise", "very high noise",
                  "very fuzzy"],
}
NOISE_KEYS = ["noise", "noise level", "sigma", "std", "standard deviation", "noise std"]
LEVELS = ("none", "low", "medium", "high", "very_high")
# generator -> noise standard deviation per level (medium = the generator's default look)
NOISE_LEVELS = {
    "moons": dict(zip(LEVELS, (0.0, 0.05, 0.1, 0.2, 0.35))),
    "circles": dict(zip(LEVELS, (0.0, 0.02, 0.05, 0.1, 0.2))),
    "spirals": dict(zip(LEVELS, (0.0, 0.02, 0.05, 0.1, 0.2))),
    "blobs": dict(zip(LEVELS, (0.15, 0.3, 0.5, 0.9, 1.4))),  # a blob with no spread is one dot
    "blob": dict(zip(LEVELS, (0.05, 0.1, 0.2, 0.35, 0.5))),
    "xor": dict(zip(LEVELS, (0.0, 0.02, 0.05, 0.15, 0.3))),
    "checkerboard": dict(zip(LEVELS, (0.0, 0.01, 0.02, 0.06, 0.12))),
    "linear": dict(zip(LEVELS, (0.0, 0.02, 0.05, 0.15, 0.3))),
}

GAP = 0.5  # space between two shapes laid side by side (before overlap words)
ROW_LENGTH = 3  # shapes placed by default go left to right, three to a row
# phrase -> (noise level, gap between shapes)
OVERLAP_WORDS = {
    "overlapping": ("high", -0.5), "overlap": ("high", -0.5), "overlaps": ("high", -0.5),
    "overlapped": ("high", -0.5), "mixed": ("high", -0.5), "intertwined": ("high", -0.5),
    "heavily overlapping": ("very_high", -1.0), "very overlapping": ("very_high", -1.0),
    "touching": ("medium", 0.0), "close": ("medium", 0.0), "close together": ("medium", 0.0),
    "adjacent": ("medium", 0.0), "slightly overlapping": ("medium", 0.0), "nearby": ("medium", 0.0),
    "separated": ("low", 1.0), "distinct": ("low", 1.0), "apart": ("low", 1.0),
    "well separated": ("low", 1.5), "clearly separated": ("low", 1.5), "spread apart": ("low", 1.5),
    "very well separated": ("low", 2.5), "far apart": ("low", 2.5), "isolated": ("low", 2.5),
}
IMBALANCE_WORDS = {
    "imbalanced": ["imbalanced", "unbalanced", "imbalance", "skewed", "uneven", "lopsided",
                   "class imbalance", "not balanced"],
    "rare": ["rare class", "a rare class", "rare", "minority class", "minority", "small class"],
    "mostly": ["mostly", "mainly", "predominantly", "mostly of"],
    "balanced": ["balanced", "evenly split", "equal classes", "equal sizes", "evenly"],
}
IMBALANCE_FACTOR = 4.0  # "imbalanced": each part has a quarter of the points of the one before
RARE_SHARE = 1.0 / 9.0  # "rare": the part gets 1/9 of the weight of a normal one (10 % of two parts)
MOSTLY_WEIGHT = 9.0  # "mostly X": X gets 9 times the weight of each other part

COUNT_UNITS = ["points", "point", "samples", "sample", "examples", "example", "rows", "observations",
               "data points", "datapoints", "dots", "instances"]
CLASS_UNITS = ["classes", "class", "labels", "colors", "colours", "categories", "groups", "arms",
               "kinds", "types", "different classes"]
EACH_WORDS = ["each", "apiece", "per class", "per arm", "per cluster", "per blob", "per spiral",
              "per group", "per label", "per colour", "per color", "in each class", "for each class",
              "each class"]
N_KEYS = ["n", "size", "sample size", "number of points"]
SEED_KEYS = ["seed", "random seed", "rng seed", "seeded"]
# phrase -> (as a number of classes/shapes, as a number of points)
QUANTIFIERS = {
    "a few": (3, 50), "few": (3, 50), "several": (4, 100), "a couple of": (2, 30), "a couple": (2, 30),
    "couple of": (2, 30), "a handful of": (5, 30), "handful of": (5, 30), "a bunch of": (4, 100),
    "bunch of": (4, 100), "many": (6, 1000), "lots of": (6, 1000), "a lot of": (6, 1000),
    "plenty of": (5, 1000), "numerous": (6, 1000), "tons of": (8, 2000),
}
SIZE_WORDS = {"tiny": 50, "small": 100, "large": 1000, "big": 1000, "huge": 3000, "massive": 5000}
POSITION_WORDS = {
    "centre": ["in the middle", "in the center", "in the centre", "at the center", "at the centre",
               "in the middle of", "in the center of", "in the centre of", "inside", "centered",
               "centred", "in between"],
    "below": ["below", "under", "underneath", "beneath"],
    "above": ["above", "on top", "over"],
    "left": ["to the left", "on the left", "left of", "left"],
    "right": ["to the right", "on the right", "right of", "right", "beside", "next to"],
}
OUTLIER_WORDS = ["noise points", "outliers", "outlier", "outlier points", "background noise",
                 "background points", "random points", "stray points", "scattered points"]
OUTLIER_SHARE = 0.1  # outliers without a count: 10 % of the other points
# Label noise moves no point: it gives a share of the points another class ("20% label noise").
LABEL_NOISE_WORDS = ["label noise", "noisy labels", "flipped labels", "wrong labels", "corrupted labels",
                     "mislabeled", "mislabelled", "mislabeled points", "mislabelled points"]
LABEL_NOISE_SHARE = 0.1  # label noise without a percentage: 10 % of the labels flipped
CONJUNCTIONS = ["and", "plus", "+", "&", ",", ";", ".", "!", "?", "along with", "together with",
                "alongside", "as well as", "also", "and also", "then", "but", "next", "beside it"]
WITH_WORDS = ["with", "having", "containing", "that has", "that have", "which has", "which have"]
NOT_SUPPORTED = {
    "3d": "only 2-D datasets can be described",
    "three dimensional": "only 2-D datasets can be described",
    "regression": "the lab makes classification datasets",
    "digits": "the handwritten digits are a dataset of their own: choose them from the dataset list",
    "images": "only 2-D point datasets can be described",
}
STOP_WORDS = sorted(set("""
a an the of some in on at to for from by as is are be been it its this that these those there them
their into onto i me my we us our you your please make create generate give show draw plot build
want need like would could can let get dataset datasets data set points point total overall shaped
shape shapes pattern patterns distribution distributed arranged around kind sort type problem task
classification classifier toy simple 2d plane random just only exactly about roughly approximately
both all so what which where has have had made consisting consists composed up out between labelled
labeled colored coloured do does using use nice good new some lots together form forms forming
looking look looks how something thing things
""".split()))

NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                     "eighty": 80, "ninety": 90, "single": 1, "pair": 2})
MULTIPLIERS = {"hundred": 100, "thousand": 1000}

VOCABULARY = {
    "shapes": {fam: forms["plural"] + forms["singular"] + forms["adjective"] for fam, forms in SHAPES.items()},
    "counts": {"points": COUNT_UNITS, "classes": CLASS_UNITS, "per class": EACH_WORDS, "n": N_KEYS,
               "number words": list(NUMBER_WORDS) + list(MULTIPLIERS) + ["dozen", "2k", "1,000"],
               "quantifiers": list(QUANTIFIERS), "sizes": list(SIZE_WORDS)},
    "noise": {**{level: words for level, words in NOISE_WORDS.items()},
              "value": [k + " 0.3" for k in NOISE_KEYS] + ["noise=0.3", "0.3 noise"]},
    "overlap": list(OVERLAP_WORDS),
    "imbalance": {**IMBALANCE_WORDS, "ratio": ["90/10", "80/15/5", "70%/30%"]},
    "combining": {"and": CONJUNCTIONS, "with": WITH_WORDS,
                  "position": {k: v for k, v in POSITION_WORDS.items()}, "outliers": OUTLIER_WORDS},
    "label noise": LABEL_NOISE_WORDS + ["20% label noise"],
    "seed": SEED_KEYS,
    "not supported": list(NOT_SUPPORTED),
    "stop words": STOP_WORDS,
}


def noise_band(generator: str, noise: float) -> str:
    """The named level (``LEVELS``) whose value in ``NOISE_LEVELS`` is nearest to ``noise``."""
    table = NOISE_LEVELS[generator]
    return min(LEVELS, key=lambda level: (abs(table[level] - noise), LEVELS.index(level)))
