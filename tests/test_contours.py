"""Contour segments sit on their level; levels are log-spaced; shading spans [0, 1]."""

import numpy as np

from descentlab import contours, run


def bowl(n=101):
    xs = np.linspace(-2, 2, n)
    ys = np.linspace(-2, 2, n)
    return xs, ys, xs[None, :] ** 2 + ys[:, None] ** 2


def test_circle_contour_lies_on_the_circle():
    xs, ys, z = bowl()
    seg = contours.segments(xs, ys, z, 1.0)
    assert len(seg) > 100
    r = np.hypot(seg[:, [0, 2]], seg[:, [1, 3]])
    assert np.abs(r - 1.0).max() < 2e-3  # linear interpolation on a 0.04 grid


def test_plane_contours_are_exact_and_closed_form():
    xs = np.linspace(0, 1, 11)
    ys = np.linspace(0, 1, 7)
    z = np.broadcast_to(xs[None, :], (7, 11)).copy()  # z = x
    seg = contours.segments(xs, ys, z, 0.55)
    assert len(seg) == 6  # one segment per row of cells
    assert np.allclose(seg[:, [0, 2]], 0.55)


def test_no_segments_outside_the_range():
    xs, ys, z = bowl(11)
    assert contours.segments(xs, ys, z, 100.0).shape == (0, 4)


def test_levels_are_log_spaced_and_shade_is_normalised():
    xs, ys, z = bowl()
    levels, base, offset = contours.log_levels(z, 10, f_min=0.0)
    assert np.all(np.diff(levels) > 0) and levels[0] > 0 and levels[-1] < z.max()
    gaps = np.diff(np.log(levels - base + offset))
    assert np.allclose(gaps, gaps[0])
    s = contours.shade(z, base, offset)
    assert s.min() == 0.0 and s.max() == 1.0 and s.shape == z.shape


def test_grid_spec_returns_contours_for_every_level():
    r = run({"kind": "grid", "function": "rosenbrock", "size": [60, 80], "levels": 12})
    assert len(r["levels"]) == len(r["contours"]) == 12
    assert all(len(c) % 4 == 0 and len(c) > 0 for c in r["contours"])
    assert np.array(r["shade"]).shape == (60, 80)
