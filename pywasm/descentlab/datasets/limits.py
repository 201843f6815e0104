"""How large a dataset the lab takes: the limits every dataset source shares.

A generated, composed (recipe), described, uploaded or CSV dataset all end up
in the same scatter plot and the same network, so they share one set of
limits, set to keep a browser tab responsive.  Each spec kind may be stricter
(``tsne`` reads its own, larger limits for points without labels).
"""

from __future__ import annotations

MAX_SEED = 2**32 - 1  # every seed of the lab (datasets, networks, t-SNE) is at most this
MAX_SAMPLES = 5000  # points in one dataset, however it is made
MIN_SAMPLES = 20  # a dataset to train on: enough for a training and a validation part
MAX_FEATURES = 64  # columns of uploaded points (the digits have 64)
MAX_CLASSES = 10
MAX_ABS = 1e9  # |coordinate| of uploaded points
MIN_VAL_FRACTION = 0.05  # the share of the points held out for validation
MAX_VAL_FRACTION = 0.5
DEFAULT_VAL_FRACTION = 0.2

__all__ = ["MAX_SEED", "MAX_SAMPLES", "MIN_SAMPLES", "MAX_FEATURES", "MAX_CLASSES", "MAX_ABS",
           "MIN_VAL_FRACTION", "MAX_VAL_FRACTION", "DEFAULT_VAL_FRACTION"]
