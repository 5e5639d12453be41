"""Line-of-sight viewshed from one observer, one pass over the cells.

The reference-plane method of Wang, Robinson & White (2000), "Generating
viewsheds without using sightlines", PE&RS 66(1): 87–90. Cells are visited
row by row moving away from the observer and, within a row, column by column
moving away from it, so every cell's two neighbours nearer the observer are
already done. Each cell keeps the height ``Z`` that the sight line must clear
there: the line from the observer through the interpolation of its two inner
neighbours' ``Z`` (where the true sight line crosses their row or column),
extrapolated to the cell, or the terrain if higher. A target is visible when
terrain + target height reaches the extrapolated line.

Earth curvature: terrain is lowered by d² / (2 k a) (k the effective earth
radius factor). The four quadrants are independent and run in parallel.
"""

from __future__ import annotations

import numba as nb
import numpy as np

VISIBLE = np.uint8(1)
INVISIBLE = np.uint8(0)
OUT_OF_RANGE = np.uint8(2)


@nb.njit(cache=True)
def _quadrant(
    elev,
    r0,
    c0,
    sr,
    sc,
    n_rows_q,
    n_cols_q,
    z_obs,
    h_tgt,
    radius2_cells,
    cell_m,
    inv2ae,
    out,
    row0_off,
    col0_off,
):
    """One quadrant: rows r0, r0+sr, ...; columns c0, c0+sc, ... (axes included).

    ``a`` counts columns and ``b`` rows away from the observer. The sight line to (a, b)
    crosses column a−1 (when a > b) or row b−1 (when b > a) between two cells whose
    ``Z`` is interpolated, then extrapolated by m = n/(n−1) along the line:
    line = Z_cross·m − z_obs·(m − 1). Tables hold m, z_obs·(m−1), 1/n and the curvature
    drop so the inner loops have no division and no branch.
    """
    n = max(n_rows_q, n_cols_q) + 1
    m = np.empty(n)
    zom = np.empty(n)
    inv = np.empty(n)
    drop = np.empty(n)
    for k in range(n):
        inv[k] = 1.0 / k if k > 0 else 0.0
        m[k] = k / (k - 1.0) if k > 1 else 0.0
        zom[k] = z_obs * (m[k] - 1.0) if k > 1 else 0.0
        drop[k] = k * k * cell_m * cell_m * inv2ae
    prev = np.zeros(n_cols_q)  # row 0 weighs it by 0: must be finite
    this = np.zeros(n_cols_q)
    for b in range(n_rows_q):
        r = r0 + sr * b
        orow = r - row0_off
        ocol0 = c0 - col0_off
        rest = radius2_cells - b * b
        a_max = min(n_cols_q - 1, int(np.sqrt(rest))) if rest >= 0 else -1
        while a_max >= 0 and a_max * a_max > rest:
            a_max -= 1
        while a_max + 1 < n_cols_q and (a_max + 1) * (a_max + 1) <= rest:
            a_max += 1
        row_drop = drop[b]
        if b <= 1:
            # Rows next to the observer: the 3 x 3 block is visible, then the a > b rule.
            for a in range(min(2, a_max + 1)):
                z = elev[r, c0 + sc * a] - row_drop - drop[a]
                out[orow, ocol0 + sc * a] = VISIBLE
                this[a] = z
            start = 2
        else:
            # Columns a < b: the line crosses row b−1 between columns a−1 and a.
            mb = m[b]
            zb = zom[b]
            invb = inv[b]
            top = min(b - 1, a_max)
            if top >= 0:
                z = elev[r, c0] - row_drop
                line = prev[0] * mb - zb
                out[orow, ocol0] = VISIBLE if z + h_tgt >= line else INVISIBLE
                this[0] = z if z > line else line
            for a in range(1, top + 1):
                z = elev[r, c0 + sc * a] - row_drop - drop[a]
                w = a * invb
                line = (w * prev[a - 1] + (1.0 - w) * prev[a]) * mb - zb
                out[orow, ocol0 + sc * a] = VISIBLE if z + h_tgt >= line else INVISIBLE
                this[a] = z if z > line else line
            if b <= a_max:  # the diagonal cell
                z = elev[r, c0 + sc * b] - row_drop - drop[b]
                line = prev[b - 1] * mb - zb
                out[orow, ocol0 + sc * b] = VISIBLE if z + h_tgt >= line else INVISIBLE
                this[b] = z if z > line else line
            start = b + 1
        # Columns a > b: the line crosses column a−1 between rows b−1 and b.
        # Only ``last`` (this[a−1]) is carried from cell to cell: keep it in a register
        # and put one multiply-add on the dependency chain, the rest beside it.
        fb = float(b)
        last = this[start - 1] if start >= 1 else 0.0
        for a in range(start, a_max + 1):
            z = elev[r, c0 + sc * a] - row_drop - drop[a]
            w = fb * inv[a]
            ma = m[a]
            line = last * ((1.0 - w) * ma) + (w * prev[a - 1] * ma - zom[a])
            out[orow, ocol0 + sc * a] = VISIBLE if z + h_tgt >= line else INVISIBLE
            last = z if z > line else line
            this[a] = last
        for a in range(max(a_max + 1, 0), n_cols_q):
            out[orow, ocol0 + sc * a] = OUT_OF_RANGE
            this[a] = np.inf
        prev, this = this, prev


@nb.njit(parallel=True, cache=True)
def viewshed(elev, r0, c0, h_obs_m, h_tgt_m, radius_m, cell_m, k_factor, out):
    """Visibility of every cell within ``radius_m`` of the observer cell (r0, c0).

    Parameters
    ----------
    elev : (rows, cols) float64 terrain [m]
    h_obs_m, h_tgt_m : observer and target heights above ground [m]
    radius_m, cell_m : range and cell size [m]
    k_factor : effective earth radius factor (0 or inf: no curvature)
    out : (rows, cols) uint8 window of the grid clipped to the range; its top-left cell
        is (r0 - R, c0 - R) clipped to 0. Values: 1 visible, 0 hidden, 2 out of range.
        Returns (row offset, col offset) of ``out`` in the grid.
    """
    n_rows, n_cols = elev.shape
    rad_cells = int(radius_m / cell_m)
    row_lo = max(0, r0 - rad_cells)
    col_lo = max(0, c0 - rad_cells)
    inv2ae = 0.0
    if k_factor > 0 and np.isfinite(k_factor):
        inv2ae = 1.0 / (2.0 * k_factor * 6_371_000.0)
    radius2_cells = (radius_m / cell_m) ** 2
    z_obs = elev[r0, c0] + h_obs_m
    for q in nb.prange(4):
        sr = -1 if q < 2 else 1
        sc = -1 if q % 2 == 0 else 1
        n_rows_q = (r0 - row_lo + 1) if sr < 0 else (min(n_rows - 1, r0 + rad_cells) - r0 + 1)
        n_cols_q = (c0 - col_lo + 1) if sc < 0 else (min(n_cols - 1, c0 + rad_cells) - c0 + 1)
        _quadrant(
            elev,
            r0,
            c0,
            sr,
            sc,
            n_rows_q,
            n_cols_q,
            z_obs,
            h_tgt_m,
            radius2_cells,
            cell_m,
            inv2ae,
            out,
            row_lo,
            col_lo,
        )
    return row_lo, col_lo
