"""Contour lines and shading of a function sampled on a grid, ready to draw.

The page draws, Python computes: levels, the line segments of each level
(marching squares) and a [0, 1] shade per grid value all come from here, so the
browser only strokes lines and maps a shade to a colour.

Loss surfaces span many orders of magnitude (Rosenbrock: 0 to 2500), so levels
are spaced evenly in ``log(f - f_min + offset)``; equal spacing in f would put
every line on the steep walls and none in the valley that matters.
"""

from __future__ import annotations

import numpy as np

from . import kernels as K

LOG_OFFSET_FRACTION = 1e-3  # offset added before the log, relative to the value range

# For each of the 16 corner patterns (bit 0: bottom-left above the level, 1:
# bottom-right, 2: top-right, 3: top-left), the pairs of cell edges the line
# crosses.  Edges: 0 bottom, 1 right, 2 top, 3 left.  The two saddle patterns
# (5 and 10) are resolved one fixed way; at drawing resolution it does not show.
_SEGMENTS = {
    1: [(3, 0)], 2: [(0, 1)], 3: [(3, 1)], 4: [(1, 2)], 5: [(3, 2), (0, 1)], 6: [(0, 2)],
    7: [(3, 2)], 8: [(2, 3)], 9: [(2, 0)], 10: [(2, 1), (0, 3)], 11: [(2, 1)], 12: [(1, 3)],
    13: [(1, 0)], 14: [(0, 3)],
}


def log_levels(z, n: int, f_min: float | None = None) -> tuple[np.ndarray, float, float]:
    """``n`` contour levels evenly spaced in ``log(z - base + offset)``.

    Parameters
    ----------
    z : ndarray, shape (H, W)
    n : int
    f_min : float, optional
        The function's known minimum; the grid's own minimum otherwise.

    Returns
    -------
    levels : ndarray, shape (n,), increasing
    base, offset : float
        ``shade`` uses the same transformation.
    """
    lo = float(z.min()) if f_min is None else min(float(f_min), float(z.min()))
    span = float(z.max()) - lo
    offset = max(span * LOG_OFFSET_FRACTION, 1e-12)
    a, b = K.log(offset), K.log(span + offset)
    t = (np.arange(1, n + 1, dtype=np.float64)) / (n + 1)
    return K.exp(a + t * (b - a)) - offset + lo, lo, offset


def shade(z, base: float, offset: float) -> np.ndarray:
    """Map ``z`` to [0, 1] on the log scale of :func:`log_levels`; shape of ``z``."""
    u = K.log(np.maximum(z - base, 0.0) + offset)
    lo, hi = u.min(), u.max()
    return (u - lo) / (hi - lo) if hi > lo else np.zeros_like(u)


def segments(xs, ys, z, level: float) -> np.ndarray:
    """Marching squares: the line segments where ``z`` crosses ``level``.

    Parameters
    ----------
    xs : ndarray, shape (W,)
    ys : ndarray, shape (H,)
    z : ndarray, shape (H, W); ``z[i, j]`` is the value at ``(xs[j], ys[i])``
    level : float

    Returns
    -------
    ndarray, shape (m, 4)
        Rows ``x0, y0, x1, y1``, with crossings placed by linear interpolation.
    """
    above = z > level
    bl, br = above[:-1, :-1], above[:-1, 1:]
    tr, tl = above[1:, 1:], above[1:, :-1]
    case = bl * 1 + br * 2 + tr * 4 + tl * 8
    out = []
    for code, pairs in _SEGMENTS.items():
        i, j = np.nonzero(case == code)
        if len(i) == 0:
            continue
        for e0, e1 in pairs:
            p0 = _edge_points(xs, ys, z, level, i, j, e0)
            p1 = _edge_points(xs, ys, z, level, i, j, e1)
            out.append(np.concatenate([p0, p1], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 4))


def _edge_points(xs, ys, z, level, i, j, edge):
    """Where ``level`` crosses the given edge of cells (i, j), shape (m, 2)."""
    # the edge's two corners as (row, col) offsets from the cell's bottom-left
    (r0, c0), (r1, c1) = {0: ((0, 0), (0, 1)), 1: ((0, 1), (1, 1)),
                          2: ((1, 1), (1, 0)), 3: ((1, 0), (0, 0))}[edge]
    za, zb = z[i + r0, j + c0], z[i + r1, j + c1]
    t = (level - za) / (zb - za)  # za and zb straddle level, so zb != za
    x = xs[j + c0] + t * (xs[j + c1] - xs[j + c0])
    y = ys[i + r0] + t * (ys[i + r1] - ys[i + r0])
    return np.stack([x, y], axis=1)
