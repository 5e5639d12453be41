"""Numba kernels of the grid stage. Arrays and scalars only; no I/O, no logging."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_MAX_VERTICES = 16
"""A quadrilateral clipped by the four sides of a cell has at most eight vertices."""


@nb.njit(cache=True)
def _clip_half_plane(px, py, n, axis, bound, keep_below, qx, qy):
    """Sutherland–Hodgman: the polygon ``px, py[:n]`` cut to x (axis 0) or y (axis 1)
    ≤ ``bound`` (``keep_below``) or ≥ it, into ``qx, qy``; returns its vertex count."""
    m = 0
    if n == 0:
        return 0
    for i in range(n):
        ax, ay = px[i], py[i]
        bx, by = px[(i + 1) % n], py[(i + 1) % n]
        va = ax if axis == 0 else ay
        vb = bx if axis == 0 else by
        ina = va <= bound if keep_below else va >= bound
        inb = vb <= bound if keep_below else vb >= bound
        if ina:
            qx[m] = ax
            qy[m] = ay
            m += 1
        if ina != inb:
            t = (bound - va) / (vb - va)
            qx[m] = ax + t * (bx - ax)
            qy[m] = ay + t * (by - ay)
            m += 1
    return m


@nb.njit(cache=True)
def _area(px, py, n):
    """Area of a simple polygon (shoelace), ≥ 0."""
    s = 0.0
    for i in range(n):
        j = (i + 1) % n
        s += px[i] * py[j] - px[j] * py[i]
    return abs(0.5 * s)


@nb.njit(cache=True)
def area_weighted_counts(counts, corner_x, corner_y, x0, y0, cell_m, n_rows, n_cols, out):
    """Move per-cell counts from a source grid onto a target grid by exact area overlap.

    Each source cell (i, j) is the quadrilateral of its corners ``corner_x/y[i:i+2,
    j:j+2]`` in the target CRS [m] (the corners reprojected: at a cell's size the
    reprojected edges are straight to well under a millimetre). Each target cell it
    overlaps receives ``counts[i, j]`` × (overlap area / quadrilateral area), the overlap
    clipped exactly (Sutherland–Hodgman against the cell's four sides), so a uniform
    density stays uniform (no moiré) and the total is conserved.

    Parameters
    ----------
    counts : (H, W) float64, people per source cell (0 or NaN where none)
    corner_x, corner_y : (H+1, W+1) float64, source cell corners in target CRS [m]
    x0, y0 : float, target grid's top-left corner [m]
    cell_m : float, target cell size [m]
    n_rows, n_cols : int, target grid shape
    out : (n_rows, n_cols) float64, accumulated into

    Returns
    -------
    float
        The count that fell outside the target grid.
    """
    h, w = counts.shape
    outside = 0.0
    sx = np.empty(_MAX_VERTICES)
    sy = np.empty(_MAX_VERTICES)
    ax = np.empty(_MAX_VERTICES)
    ay = np.empty(_MAX_VERTICES)
    bx = np.empty(_MAX_VERTICES)
    by = np.empty(_MAX_VERTICES)
    for i in range(h):
        for j in range(w):
            c = counts[i, j]
            if not (c > 0.0):
                continue
            sx[0], sy[0] = corner_x[i, j], corner_y[i, j]
            sx[1], sy[1] = corner_x[i, j + 1], corner_y[i, j + 1]
            sx[2], sy[2] = corner_x[i + 1, j + 1], corner_y[i + 1, j + 1]
            sx[3], sy[3] = corner_x[i + 1, j], corner_y[i + 1, j]
            whole = _area(sx, sy, 4)
            if not (whole > 0.0):
                outside += c  # a degenerate cell: nowhere to put it
                continue
            c_lo = int(math.floor((min(sx[0], sx[1], sx[2], sx[3]) - x0) / cell_m))
            c_hi = int(math.floor((max(sx[0], sx[1], sx[2], sx[3]) - x0) / cell_m))
            r_lo = int(math.floor((y0 - max(sy[0], sy[1], sy[2], sy[3])) / cell_m))
            r_hi = int(math.floor((y0 - min(sy[0], sy[1], sy[2], sy[3])) / cell_m))
            placed = 0.0
            for row in range(max(r_lo, 0), min(r_hi, n_rows - 1) + 1):
                top = y0 - row * cell_m
                bottom = top - cell_m
                for col in range(max(c_lo, 0), min(c_hi, n_cols - 1) + 1):
                    left = x0 + col * cell_m
                    right = left + cell_m
                    n = _clip_half_plane(sx, sy, 4, 0, left, False, ax, ay)
                    n = _clip_half_plane(ax, ay, n, 0, right, True, bx, by)
                    n = _clip_half_plane(bx, by, n, 1, bottom, False, ax, ay)
                    n = _clip_half_plane(ax, ay, n, 1, top, True, bx, by)
                    if n >= 3:
                        share = c * _area(bx, by, n) / whole
                        out[row, col] += share
                        placed += share
            outside += c - placed
    return outside
