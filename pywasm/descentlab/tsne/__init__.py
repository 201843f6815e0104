"""t-SNE (van der Maaten & Hinton 2008, JMLR 9:2579) and the ``"tsne"`` spec.

t-SNE places n points in the plane so that their neighbourhoods match those of
the high-dimensional data:

1. **Affinities.**  For each point i, a Gaussian over the others,
   ``p_{j|i} ∝ exp(-β_i ‖x_i - x_j‖²)``, whose precision ``β_i = 1 / (2σ_i²)``
   is found by binary search so that its perplexity ``exp(H_i)`` (H in nats)
   equals the user's ``perplexity`` (:func:`binary_search_perplexity`).  They
   are symmetrised into one joint distribution ``p_ij = (p_{j|i} + p_{i|j}) / 2n``.
2. **Embedding.**  Points ``y_i`` in 2-D define a heavy-tailed joint
   distribution ``q_ij = (1 + ‖y_i - y_j‖²)⁻¹ / Z`` (a Student t with one degree
   of freedom), ``Z = Σ_{k≠l} (1 + ‖y_k - y_l‖²)⁻¹``.
3. **Objective.**  ``KL(P‖Q) = Σ p_ij log(p_ij / q_ij)`` is minimised by gradient
   descent on the gradient (paper, eq. 5)
   ``∂KL/∂y_i = 4 Σ_j (p_ij - q_ij)(y_i - y_j)(1 + ‖y_i - y_j‖²)⁻¹``.

The optimisation follows scikit-learn 1.5's ``TSNE`` (``_gradient_descent``):
``early_exaggeration`` (12) multiplies P for the first 250 iterations with
momentum 0.5, then momentum 0.8; each coordinate has a gain that grows by 0.2
while its gradient keeps its sign and shrinks by x0.8 when the sign flips
(Jacobs 1988, "delta-bar-delta"), never below 0.01; ``learning_rate="auto"`` is
``max(n / early_exaggeration / 4, 50)`` (Belkina et al. 2019); the start is the
PCA projection scaled to a first-coordinate standard deviation of 1e-4
(Kobak & Berens 2019), from our own :mod:`descentlab.pca`.

One module per part, each readable on its own:

* :mod:`.affinities`: distances, the perplexity search, the joint P (step 1);
* :mod:`.exact`: KL(P‖Q) and its gradient exactly, O(n²) per iteration (step 3);
* :mod:`.barnes_hut`: the same approximately in O(n log n) (van der Maaten 2014),
  which ``method="auto"`` picks above ``AUTO_EXACT_MAX_N`` points;
* :mod:`.descent`: the start and the gradient descent (step 2 and 3);
* :mod:`.parallel`: row blocks of pairwise work, shared among native threads;
* :mod:`.spec`: the ``"tsne"`` spec, its cost and its run.

Determinism.  Only operations of the bit-identical table in ``docs/determinism.md``
touch floating-point numbers: ``+ - * /``, ``sqrt``, ``maximum``, ``where``,
``sum`` along an axis, the kernels' ``exp``/``log``/``log1p`` and
``kernels.matmul`` (always on C-ordered operands, see :class:`SquaredDistances`).
``min``/``max`` and comparisons select values without rounding, and index
bookkeeping (integer arithmetic, ``sort`` of integer keys, gathers and
scatters) is exact, so neither can differ.  Every per-point sum runs along one
whole row, so the results do not depend on the block sizes below or on the
number of threads (the tests change them and compare bytes).

Speed.  Natively, row blocks are shared among ``WORKERS`` threads (NumPy
releases the GIL inside its loops); every block writes only its own rows, so
the bits do not depend on the number of threads.  Pyodide has no threads and
runs the same blocks one after another.

Memory.  The exact method keeps the dense joint P, n² float64 (26 MB for the
1797 digits, 200 MB at ``EXACT_MAX_N``); every other pairwise quantity is
computed in row blocks of about ``ROW_BLOCK`` elements (at least two rows),
at most ``WORKING_BLOCKS`` such blocks alive at a time per thread (the
perplexity search is the largest), so the working memory beside P is a few MB
(8 MB per thread by default) whatever n is.
"""

from . import affinities, barnes_hut, descent, exact, parallel, spec
from .affinities import (MACHINE_EPSILON, PERPLEXITY_TOL, SquaredDistances, binary_search_perplexity,
                         conditional_probabilities, joint_probabilities, squared_distances, symmetrize)
from .descent import (CHECK_EVERY, EARLY_EXAGGERATION, EARLY_EXAGGERATION_ITER, PERPLEXITY, descend,
                      initial_embedding, initial_embedding_steps, learning_rate_auto)
from .exact import ExactObjective, half_pairs
from .spec import (AUTO_EXACT_MAX_N, EXACT_MAX_N, MAX_PERPLEXITY, MAX_POINTS, MAX_SEED, MIN_PERPLEXITY,
                   MIN_POINTS, cost, exact_cost, exact_iteration_seconds, iterate, load, read_spec, resolve_method)

__all__ = [
    "affinities", "barnes_hut", "descent", "exact", "parallel", "spec",
    "MACHINE_EPSILON", "PERPLEXITY_TOL", "SquaredDistances", "binary_search_perplexity",
    "conditional_probabilities", "joint_probabilities", "squared_distances", "symmetrize",
    "CHECK_EVERY", "EARLY_EXAGGERATION", "EARLY_EXAGGERATION_ITER", "PERPLEXITY", "descend",
    "initial_embedding", "initial_embedding_steps", "learning_rate_auto", "ExactObjective", "half_pairs",
    "AUTO_EXACT_MAX_N", "EXACT_MAX_N", "MAX_PERPLEXITY", "MAX_POINTS", "MAX_SEED", "MIN_PERPLEXITY",
    "MIN_POINTS", "cost", "exact_cost", "exact_iteration_seconds", "iterate", "load", "read_spec",
    "resolve_method",
]
