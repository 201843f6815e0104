"""Barnes-Hut t-SNE: the fast method for large n (van der Maaten 2014, JMLR 15:3221).

Exact t-SNE costs O(n²) per iteration.  Barnes-Hut-SNE cuts both halves of the
gradient ``∂KL/∂y_i = 4 (F_attr,i - F_rep,i / Z)`` down to size:

* **Sparse P.**  Only the ``k = min(n - 1, ⌊3·perplexity⌋ + 1)`` nearest
  neighbours of each point get a non-zero ``p_{j|i}`` (a Gaussian with
  perplexity ``u`` puts almost all its mass within ``3u`` neighbours).  The
  attractive force ``F_attr,i = Σ_j p_ij w_ij (y_i - y_j)``, ``w = (1 + d²)⁻¹``,
  then costs O(n k).
* **Quadtree.**  The repulsive sums ``Z = Σ_{i≠j} w_ij`` and
  ``F_rep,i = Σ_j w_ij² (y_i - y_j)`` treat a whole cell of far-away points as
  one point of mass ``N_cell`` at its centre of mass, whenever the cell's side
  is less than ``ANGLE`` (θ = 0.5) times its distance to ``y_i`` (Barnes & Hut
  1986).  That costs O(n log n).

Everything is vectorised over all points at once, without a Python loop per
point:

* The nearest neighbours come from exact squared distances in row blocks; the
  k-th smallest distance of a row is read from ``np.sort`` and the neighbours
  are the entries below it plus, on ties, the lowest indices.  (``argsort`` and
  ``argpartition`` are not on the bit-identical list; this selection uses only
  comparisons and integer counts, so it is exact and identical everywhere.)
* The quadtree is built from Morton (Z-order) codes: each point's cell at the
  deepest level interleaves the bits of its quantised x and y, so sorting the
  codes (``np.sort`` on integers that also carry the point index: a
  deterministic argsort) puts every cell's points in one contiguous run at
  every level.  Cells are the runs; their masses are summed bottom-up.
* The tree walk proceeds level by level over a flat list of (point, cell)
  pairs: a pair whose cell is a leaf or far enough contributes; the others are
  replaced by (point, child) pairs for the next level.  Each point adds its
  contributions in a fixed order (level by level, cells in Morton order) by a
  sequential ``sum`` over a padded table (:func:`accumulate`), so the result is
  the same bits however the pairs are split into blocks.

Natively the walk's points are split between ``parallel.WORKERS`` threads, which
gains little: much of its index bookkeeping (``repeat``, ``nonzero``) holds the
GIL.  The per-point results do not depend on the split.

The alternative considered was FIt-SNE's interpolation onto a grid with FFT
convolutions (Linderman et al. 2019, Nature Methods 16:243).  ``np.fft`` is not
bit-identical, so the FFTs would be written in NumPy (radix 2, real and
imaginary parts as separate arrays); the grid spacing must stay near the
kernel's width of 1 while the embedding spans ~100 units, i.e. 256² to 1024²
grids, about ten 2-D FFTs per iteration.  Our estimate put that above the cost
of the tree walk below, which also keeps Barnes-Hut's well-known accuracy
guarantee (θ = 0.5) instead of an interpolation error that grows with the
embedding's extent.
"""

from __future__ import annotations

import math

import numpy as np

from .. import kernels as K
from . import parallel
from .affinities import SquaredDistances, binary_search_perplexity
from .parallel import row_blocks, run_parallel, split_range

ANGLE = 0.5  # Barnes-Hut θ (sklearn's default); must stay below 1/√2, see repulsion()
TREE_DEPTH = 20  # levels below the root at most: cells down to 2⁻²⁰ of the bounding square
INDEX_BITS = 14  # point index packed under the Morton code in one int64 sort key
PAIR_BLOCK = 1 << 15  # (point, cell) pairs evaluated at once (memory and cache, never results)
MAX_INDEX = 1 << INDEX_BITS  # points a quadtree can hold (spec.MAX_POINTS stays below)

# bit masks that spread a 20-bit integer over the even bits of a 40-bit one
_SPREAD = ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
           (2, 0x3333333333333333), (1, 0x5555555555555555))


# --- sparse affinities ---------------------------------------------------------------


def n_neighbors(n: int, perplexity: float) -> int:
    """``min(n - 1, ⌊3·perplexity + 1⌋)`` neighbours, as van der Maaten (2014) and sklearn."""
    return min(n - 1, int(3.0 * perplexity + 1.0))


def nearest_neighbors(X, k, start=0, stop=None, distances=None):
    """The ``k`` nearest other points of rows ``start:stop``, exactly, ties to the lower index.

    Parameters
    ----------
    X : ndarray of float64, shape (n, d)
    k : int, 1 <= k <= n - 1
    start, stop : int
    distances : SquaredDistances, optional
        Of ``X``; pass one to reuse it over many blocks.

    Returns
    -------
    index : ndarray of int64, shape (stop - start, k); increasing along each row
    dist : ndarray of float64, shape (stop - start, k); squared distances
    """
    stop = X.shape[0] if stop is None else stop
    distances = SquaredDistances(X) if distances is None else distances
    D = distances.rows(start, stop)
    b = stop - start
    D[np.arange(b), np.arange(start, stop)] = np.inf  # a point is not its own neighbour
    kth = np.sort(D, axis=1)[:, k - 1:k]  # the k-th smallest value of each row
    below = D < kth
    tie = D == kth
    # ties at the k-th value: keep the lowest indices until the row has k neighbours
    room = k - below.sum(axis=1, keepdims=True)
    chosen = below | (tie & (np.cumsum(tie, axis=1) <= room))
    rows, cols = np.nonzero(chosen)  # row-major: k columns per row, in increasing order
    return cols.reshape(b, k), D[rows, cols].reshape(b, k)


def sparse_joint_probabilities(X, perplexity):
    """Joint affinities restricted to nearest neighbours, as a sparse matrix.

    ``p_{j|i}`` is calibrated over the k nearest neighbours only, then
    ``p_ij = (p_{j|i} + p_{i|j}) / 2n`` on the union of both neighbour lists.

    A generator: yields ``(rows_done, n)`` after each row block and returns the
    matrix in compressed sparse row form ``(row_start, columns, p)``: row i's
    non-zero ``p_ij`` are ``p[row_start[i]:row_start[i + 1]]``, at the columns
    ``columns[...]`` in increasing order.  A row holds i's k neighbours plus
    every j that has i among its own: usually fewer than 2k entries, but a
    "hub" point can have many more.

    Parameters
    ----------
    X : ndarray of float64, shape (n, d)
    perplexity : float
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    k = n_neighbors(n, perplexity)
    index = np.empty((n, k), dtype=np.int64)
    cond = np.empty((n, k))
    distances = SquaredDistances(X)

    def block(rows):
        s, e = rows
        index[s:e], dist = nearest_neighbors(X, k, s, e, distances)
        cond[s:e] = binary_search_perplexity(dist, perplexity)[0]

    blocks = row_blocks(0, n, n)
    for g in range(0, len(blocks), parallel.WORKERS):
        group = blocks[g:g + parallel.WORKERS]
        run_parallel(block, group)
        yield group[-1][1], n
    # every entry once as (i, j) and once transposed as (j, i); sort by (row, column)
    # with the entry number in the low digits: a deterministic argsort on integers
    i = np.repeat(np.arange(n, dtype=np.int64), k)
    j = index.ravel()
    rows_all = np.concatenate([i, j])
    cols_all = np.concatenate([j, i])
    vals = np.concatenate([cond.ravel(), cond.ravel()])
    entries = len(vals)  # 2nk; keys stay below n² · 2nk <= 2n⁴ = 2e16 < 2⁶³ for n <= 10⁴
    keys = np.sort((rows_all * n + cols_all) * entries + np.arange(entries, dtype=np.int64))
    vals = vals[keys % entries]
    cell = keys // entries
    first = np.concatenate([[True], cell[1:] != cell[:-1]])
    starts = np.flatnonzero(first)
    # a pair occurs at most twice (from i's list and from j's); a + b == b + a exactly
    p = vals[starts].copy()
    twice = np.diff(np.append(starts, entries)) == 2
    p[twice] = p[twice] + vals[starts[twice] + 1]
    p /= 2.0 * n
    rows_of, columns = cell[starts] // n, cell[starts] % n
    row_start = np.searchsorted(rows_of, np.arange(n + 1))  # rows_of is sorted; exact integers
    return row_start, columns, p


def padded_rows(row_start, columns, p):
    """Sparse rows regrouped into a few dense tables, for row sums without Python loops.

    A row of length L is padded to the smallest width of ``_widths`` that holds
    it (with its own index as column and ``p = 0``, which contribute exactly
    nothing), so padding adds at most a quarter plus 8 entries per row, even
    with a "hub" row as long as n (one table padded to the longest row could
    take n² entries), and a row's width, hence its ``sum``, depends on the row
    alone.

    Parameters
    ----------
    row_start, columns, p : ndarray
        A sparse matrix as returned by :func:`sparse_joint_probabilities`.

    Returns
    -------
    list of (rows, columns, p)
        ``rows`` (g,) the rows of the table; ``columns`` (g, w) int and ``p``
        (g, w) float64 their padded entries.
    """
    length = np.diff(row_start)
    widths = _widths(int(length.max()))
    width_of = widths[np.searchsorted(widths, length)]
    tables = []
    for w in np.unique(width_of):
        rows = np.flatnonzero(width_of == w)
        lens = length[rows]
        rank = np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens)
        slot = np.repeat(np.arange(len(rows)), lens)
        source = np.repeat(row_start[rows], lens) + rank
        cols = np.repeat(rows.astype(np.int64)[:, None], w, axis=1)
        vals = np.zeros((len(rows), w))
        cols[slot, rank] = columns[source]
        vals[slot, rank] = p[source]
        tables.append((rows, cols, vals))
    return tables


def _widths(longest):
    """Table widths 8, 16, 24, 32, 40, 56, ...: multiples of 8, each at most 25% (+8) above the last."""
    widths = [8]
    while widths[-1] < longest:
        widths.append(-(-int(widths[-1] * 1.25) // 8) * 8)
    return np.array(widths)


# --- the quadtree -----------------------------------------------------------------------


def _spread_bits(v):
    """Move bit b of each (20-bit) integer to bit 2b."""
    v = v.astype(np.int64)
    for shift, mask in _SPREAD:
        v = (v | (v << shift)) & mask
    return v


def segment_sums(values, starts, counts):
    """Sums of runs ``values[starts[g] : starts[g] + counts[g]]``, added in order.

    The runs are laid out as the columns of a zero-padded table and summed down
    its rows (a ``sum`` over axis 0 adds row after row), so each run is summed
    left to right whatever the other runs are.

    Parameters
    ----------
    values : ndarray, shape (v,) or (c, v)
    starts, counts : ndarray of int, shape (g,)

    Returns
    -------
    ndarray, shape (g,) or (c, g)
    """
    values = np.asarray(values, dtype=np.float64)
    flat = values.ndim == 1
    values = values[None] if flat else values
    g = len(starts)
    rank = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    source = np.repeat(starts, counts) + rank
    # one spare zero column: with a single column the summed axis would be contiguous,
    # and NumPy would switch from adding row after row to pairwise summation
    table = np.zeros((values.shape[0], int(counts.max()) if g else 0, g + 1))
    table[:, rank, np.repeat(np.arange(g), counts)] = values[:, source]
    out = table.sum(axis=1)[:, :g]
    return out[0] if flat else out


class Level:
    """The cells of one quadtree level, in Morton order.

    Attributes
    ----------
    side : float
        Side length of every cell of this level.
    start, count : ndarray of int, shape (c,)
        The run of (Morton-sorted) points inside each cell.
    com : ndarray of float64, shape (2, c)
        Centres of mass (x row, y row).
    mass : ndarray of float64, shape (c,)
        ``count`` as float.
    leaf : ndarray of bool, shape (c,)
        One point, or the deepest level.
    first_child, n_children : ndarray of int, shape (c,)
        Children are cells ``first_child .. first_child + n_children - 1`` of
        the next level.
    """

    def __init__(self, side, start, count):
        self.side = side
        self.start = start
        self.count = count
        self.mass = count.astype(np.float64)
        # np.intp: np.repeat takes its counts as the platform's index type (int32 in wasm32)
        self.first_child = np.zeros(len(start), dtype=np.intp)
        self.n_children = np.zeros(len(start), dtype=np.intp)


def build_quadtree(Y):
    """A quadtree over the points ``Y``, one :class:`Level` per depth.

    The bounding square of the points is divided into ``2^L x 2^L`` cells at
    depth ``L``; a cell is kept when it holds a point and its parent holds at
    least two.  Points are sorted by the Morton code of their deepest cell, so
    the points of any cell are one contiguous run of ``order``.

    Parameters
    ----------
    Y : ndarray of float64, shape (n, 2)

    Returns
    -------
    levels : list of Level, root first
    order : ndarray of int64, shape (n,)
        ``Y[order]`` is the Morton-sorted point list the levels refer to.
    """
    n = Y.shape[0]
    if n > MAX_INDEX:
        raise ValueError(f"a quadtree holds at most {MAX_INDEX} points, got {n}")
    lo = Y.min(axis=0)
    side = float((Y.max(axis=0) - lo).max())
    side = side * (1.0 + 2.0 ** -20) if side > 0.0 else 1.0  # keep the top edge inside
    cells = 2 ** TREE_DEPTH
    q = np.clip(np.floor((Y - lo) * (cells / side)), 0, cells - 1).astype(np.int64)
    code = (_spread_bits(q[:, 0]) << 1) | _spread_bits(q[:, 1])
    keys = np.sort((code << INDEX_BITS) | np.arange(n, dtype=np.int64))
    order = keys & ((1 << INDEX_BITS) - 1)
    code = keys >> INDEX_BITS
    Ys = Y[order]
    levels = [Level(side, np.array([0]), np.array([n]))]
    cell_of = np.zeros(n, dtype=np.int64)  # each sorted point's cell at the last level (-1: none)
    boundary = np.zeros(n, dtype=bool)  # where a run of any level so far begins
    boundary[0] = True
    depth = 0
    while depth < TREE_DEPTH and (levels[-1].count >= 2).any():
        depth += 1
        prefix = code >> (2 * (TREE_DEPTH - depth))
        boundary[1:] |= prefix[1:] != prefix[:-1]
        run_start = np.flatnonzero(boundary)
        run_count = np.diff(np.append(run_start, n))
        parent = cell_of[run_start]
        split = parent >= 0
        split[split] = levels[-1].count[parent[split]] >= 2  # only cells of 2+ points divide
        start, count, parent = run_start[split], run_count[split], parent[split]
        # children of one parent are consecutive (Morton order within the parent)
        first = np.flatnonzero(np.concatenate([[True], parent[1:] != parent[:-1]]))
        levels[-1].first_child[parent[first]] = first
        levels[-1].n_children[parent[first]] = np.diff(np.append(first, len(parent)))
        cell_id = np.full(len(run_start), -1, dtype=np.int64)
        cell_id[split] = np.arange(len(start))
        cell_of = cell_id[np.cumsum(boundary) - 1]
        levels.append(Level(math.ldexp(side, -depth), start, count))  # side / 2**depth, exactly
    # centres of mass, bottom-up: a cell's mass-weighted sum is its children's sum
    below = None
    for level in reversed(levels):
        c = len(level.start)
        level.leaf = level.n_children == 0
        total = np.zeros((2, c))
        if below is not None:
            for j in range(4):  # children in quadrant order: the same 4-term sum everywhere
                has = level.n_children > j
                child = np.where(has, level.first_child + j, 0)
                total += np.where(has, below[:, child], 0.0)
        single = level.count == 1
        total[:, single] = Ys[level.start[single]].T  # exact: a one-point cell's centre is the point
        deep = level.leaf & (level.count > 1)  # coincident points at the deepest level
        if deep.any():
            total[:, deep] = segment_sums(Ys.T, level.start[deep], level.count[deep])
        level.com = total / level.mass
        below = total
    return levels, order


def accumulate(acc, points, values):
    """``acc[:, p] += values[:, pairs of p]``, one term after another, for sorted ``points``.

    The current totals form row 0 of a padded table whose column g holds the
    new terms of the g-th distinct point; a ``sum`` over axis 0 then adds them
    in order.  Adding a point's terms in two calls gives the same bits as in one.

    Parameters
    ----------
    acc : ndarray of float64, shape (c, n); updated in place
    points : ndarray of int, shape (a,), non-decreasing
    values : ndarray of float64, shape (c, a)
    """
    a = len(points)
    new = np.empty(a, dtype=bool)
    new[0] = True
    np.not_equal(points[1:], points[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    g = len(starts)
    column = np.cumsum(new) - 1
    rank = np.arange(a) - starts[column]
    width = int(rank.max()) + 2
    cols = g + 1  # a spare zero column keeps the sum row after row (see segment_sums)
    slot = (rank + 1) * cols + column
    rows = points[starts]
    table = np.empty(width * cols)
    for c in range(acc.shape[0]):
        table[:] = 0.0
        table[:g] = acc[c, rows]
        table[slot] = values[c]
        acc[c, rows] = table.reshape(width, cols).sum(axis=0)[:g]


def repulsion(Y, angle=ANGLE):
    """Barnes-Hut estimates of ``Z`` and of the repulsive sums ``Σ_j w_ij² (y_i - y_j)``.

    A cell is used as a whole when it is a leaf or when ``side < angle · d``,
    i.e. ``d² > (side / angle)²``, with ``d`` the distance from ``y_i`` to its
    centre of mass.  It then contributes ``N_cell · w`` to point i's share of Z
    and ``N_cell · w² (y_i - y_cell)`` to its force, ``w = 1 / (1 + d²)``.

    A cell that contains ``y_i`` lies within ``√2 · side`` of it, closer than
    ``side / angle`` for ``angle < 1/√2``, so it is always opened; the walk
    therefore reaches i's own leaf, whose centre is ``y_i`` exactly and which
    adds exactly 1 to Z and exactly 0 to the force: Z is corrected by ``- n``.

    Parameters
    ----------
    Y : ndarray of float64, shape (n, 2)
    angle : float in [0, 1/√2); 0 gives the exact sums (every cell opened)

    Returns
    -------
    Z : float
    force : ndarray of float64, shape (n, 2)
    """
    n = Y.shape[0]
    levels, order = build_quadtree(Y)
    Ys = Y[order]
    yx, yy = Ys[:, 0].copy(), Ys[:, 1].copy()
    acc = np.zeros((3, n))  # per sorted point: Z share, force x, force y

    def walk(part):
        """The whole walk for the sorted points ``part[0]:part[1]`` (writes only their columns)."""
        kids = int(levels[0].n_children[0])
        point = np.repeat(np.arange(part[0], part[1], dtype=np.int64), kids)
        cell = np.tile(np.arange(kids, dtype=np.int64), part[1] - part[0])
        depth = 1
        while len(point):
            level = levels[depth]
            # angle 0 opens every cell down to the leaves: the exact sums
            reach = level.side / angle if angle > 0.0 else np.inf
            reach2 = reach * reach  # not ** 2: float ** is libm pow, not bit-identical
            cx, cy = level.com[0], level.com[1]
            open_point, open_cell = [], []
            for s in range(0, len(point), PAIR_BLOCK):
                p, c = point[s:s + PAIR_BLOCK], cell[s:s + PAIR_BLOCK]
                dx = yx[p] - cx[c]
                dy = yy[p] - cy[c]
                d2 = dx * dx + dy * dy
                far = level.leaf[c] | (d2 > reach2)
                use = np.flatnonzero(far)
                if len(use):
                    w = 1.0 / (1.0 + d2[use])
                    mw = level.mass[c[use]] * w
                    mww = mw * w
                    accumulate(acc, p[use], np.stack([mw, mww * dx[use], mww * dy[use]]))
                near = np.flatnonzero(~far)
                open_point.append(p[near])
                open_cell.append(c[near])
            point = np.concatenate(open_point)
            cell = np.concatenate(open_cell)
            # replace each opened (point, cell) pair by (point, child) pairs, children in order
            kids = level.n_children[cell]
            offset = np.repeat(level.first_child[cell] - (np.cumsum(kids) - kids), kids)
            cell = offset + np.arange(int(kids.sum()), dtype=np.int64)
            point = np.repeat(point, kids)
            depth += 1

    if n > 1:
        run_parallel(walk, split_range(n, parallel.WORKERS))
    force = np.empty((n, 2))
    force[order, 0] = acc[1]
    force[order, 1] = acc[2]
    Z = float(acc[0].sum()) - n
    return Z, force


# --- the objective ---------------------------------------------------------------------


class BarnesHutObjective:
    """KL(P‖Q) and its gradient with sparse P and Barnes-Hut repulsion.

    Parameters
    ----------
    row_start, columns, p : ndarray
        Sparse joint probabilities from :func:`sparse_joint_probabilities`.
    angle : float
        Barnes-Hut θ.
    """

    method = "barnes_hut"

    def __init__(self, row_start, columns, p, angle=ANGLE):
        self.n = len(row_start) - 1
        self.angle = angle
        self.tables = padded_rows(row_start, columns, p)
        self.p_sum = float(self._row_sums(lambda rows, cols, pv: pv).sum())
        self.p_log_p = float(self._row_sums(lambda rows, cols, pv: pv * K.log(np.where(pv > 0.0, pv, 1.0))).sum())

    def _row_sums(self, terms, k=1):
        """``Σ_j terms(rows, columns, p)`` for every row, natively in threads.

        ``terms`` returns an array (b, w), or a tuple of k of them, for a block
        of b rows of one table; the result has shape (n,) or (k, n).
        """
        out = np.empty((k, self.n))
        blocks = [(t, s, e) for t, (rows, cols, pv) in enumerate(self.tables)
                  for s, e in row_blocks(0, len(rows), cols.shape[1])]

        def block(job):
            t, s, e = job
            rows, cols, pv = self.tables[t]
            values = terms(rows[s:e], cols[s:e], pv[s:e])
            for j, v in enumerate(values if k > 1 else (values,)):
                out[j, rows[s:e]] = v.sum(axis=1)

        run_parallel(lambda part: [block(j) for j in blocks[part[0]:part[1]]],
                     split_range(len(blocks), parallel.WORKERS))
        return out if k > 1 else out[0]

    def attraction(self, Y, with_kl=False):
        """``Σ_j p_ij w_ij (y_i - y_j)`` over the non-zero ``p_ij``, and ``Σ_j p_ij log(1 + d²)`` if asked.

        Returns
        -------
        ndarray of float64, shape (2, n), or (3, n) with ``with_kl``
        """
        y0, y1 = Y[:, 0].copy(), Y[:, 1].copy()

        def terms(rows, cols, pv):
            dx = y0[rows, None] - y0[cols]
            dy = y1[rows, None] - y1[cols]
            d2 = dx * dx + dy * dy
            pw = pv / (1.0 + d2)
            if with_kl:
                return pw * dx, pw * dy, pv * K.log1p(d2)
            return pw * dx, pw * dy

        return self._row_sums(terms, k=3 if with_kl else 2)

    def forces(self, Y, with_kl=False):
        """The two halves of the gradient at ``Y``, and KL(P‖Q) if asked.

        ``KL = Σ p log p + Σ p log(1 + d²) + log Z · Σ p`` over the non-zero
        ``p_ij``, with Z from the quadtree; the middle sum comes from the same
        pass over the neighbours as the attraction.

        Returns
        -------
        attraction : ndarray of float64, shape (n, 2)
            ``Σ_j p_ij w_ij (y_i - y_j)`` over the non-zero ``p_ij``
        repulsion : ndarray of float64, shape (n, 2)
            The Barnes-Hut estimate of ``Σ_j w_ij² (y_i - y_j) / Z``
        kl : float or None
        """
        sums = self.attraction(Y, with_kl)
        Z, rep = repulsion(Y, self.angle)
        kl = None
        if with_kl:
            kl = self.p_log_p + float(sums[2].sum()) + float(K.log(Z)) * self.p_sum
        return sums[:2].T.copy(), rep / Z, kl

    def gradient(self, Y, exaggeration=1.0):
        """``∂KL/∂Y = 4 (α F_attr - F_rep / Z)``; shape (n, 2)."""
        attract, repulse, _ = self.forces(Y)
        return 4.0 * (exaggeration * attract - repulse)

    def kl(self, Y):
        """KL(P‖Q) at ``Y`` with Z from the quadtree."""
        return self.forces(Y, with_kl=True)[2]
