"""Numba kernels of the grid stage. Arrays and scalars only; no I/O, no logging."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def splat_counts(counts, corner_x, corner_y, x0, y0, cell_m, n_rows, n_cols, k, out):
    """Move per-cell counts from a source grid onto a target grid, conserving the total.

    Each source cell (i, j) is a quadrilateral in the target CRS whose corners are
    ``corner_x/y[i:i+2, j:j+2]`` (target metres). It is split into k × k sub-cells,
    positioned by bilinear interpolation of its corners; each sub-cell's share
    ``counts[i, j] / k²`` is added to the target cell holding its centre.

    Parameters
    ----------
    counts : (H, W) float64, people per source cell (0 or NaN where none)
    corner_x, corner_y : (H+1, W+1) float64, source cell corners in target CRS [m]
    x0, y0 : float, target grid's top-left corner [m]
    cell_m : float, target cell size [m]
    n_rows, n_cols : int, target grid shape
    k : int, sub-cells per source cell edge
    out : (n_rows, n_cols) float64, accumulated into

    Returns
    -------
    float
        The count that fell outside the target grid.
    """
    h, w = counts.shape
    outside = 0.0
    inv_k = 1.0 / k
    for i in range(h):
        for j in range(w):
            c = counts[i, j]
            if not (c > 0.0):
                continue
            share = c * inv_k * inv_k
            xa = corner_x[i, j]
            xb = corner_x[i, j + 1]
            xc = corner_x[i + 1, j]
            xd = corner_x[i + 1, j + 1]
            ya = corner_y[i, j]
            yb = corner_y[i, j + 1]
            yc = corner_y[i + 1, j]
            yd = corner_y[i + 1, j + 1]
            for a in range(k):
                v = (a + 0.5) * inv_k
                for b in range(k):
                    u = (b + 0.5) * inv_k
                    x = (1 - v) * ((1 - u) * xa + u * xb) + v * ((1 - u) * xc + u * xd)
                    y = (1 - v) * ((1 - u) * ya + u * yb) + v * ((1 - u) * yc + u * yd)
                    col = int(np.floor((x - x0) / cell_m))
                    row = int(np.floor((y0 - y) / cell_m))
                    if 0 <= row < n_rows and 0 <= col < n_cols:
                        out[row, col] += share
                    else:
                        outside += share
    return outside
