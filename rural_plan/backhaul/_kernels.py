"""Numba kernels of the backhaul stage: microwave path clearance over the DEM."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from rural_plan.units import EARTH_RADIUS_M, SPEED_OF_LIGHT_M_S


@nb.njit(cache=True)
def _bilinear(elev, x0, y0, cell_m, x, y):
    """Terrain height at (x, y) [m] by bilinear interpolation of cell centres."""
    n_rows, n_cols = elev.shape
    fc = (x - x0) / cell_m - 0.5
    fr = (y0 - y) / cell_m - 0.5
    c = min(max(int(math.floor(fc)), 0), n_cols - 2)
    r = min(max(int(math.floor(fr)), 0), n_rows - 2)
    u = min(max(fc - c, 0.0), 1.0)
    v = min(max(fr - r, 0.0), 1.0)
    top = elev[r, c] * (1 - u) + elev[r, c + 1] * u
    bottom = elev[r + 1, c] * (1 - u) + elev[r + 1, c + 1] * u
    return top * (1 - v) + bottom * v


@nb.njit(cache=True)
def fresnel_clearance(elev, x0, y0, cell_m, xa, ya, ha_m, xb, yb, hb_m, f_mhz, k_factor):
    """Smallest clearance of a hop over the terrain, in units of the first Fresnel radius.

    The ray joins antennas at heights ``ha_m``, ``hb_m`` above ground at A and B. At each
    profile point (half-cell steps) the clearance is (ray height − terrain − earth bulge)
    divided by the first Fresnel zone radius F1 = sqrt(λ d1 d2 / d) (ITU-R P.530 §2.2,
    earth bulge d1 d2 / (2 k a)). A hop is clear when the result is ≥ the required
    fraction (0.6 is usual). Returns +inf for a hop shorter than two cells.
    """
    d = math.hypot(xb - xa, yb - ya)
    n = int(d / (0.5 * cell_m))
    if n < 2:
        return np.inf
    za = _bilinear(elev, x0, y0, cell_m, xa, ya) + ha_m
    zb = _bilinear(elev, x0, y0, cell_m, xb, yb) + hb_m
    lam = SPEED_OF_LIGHT_M_S / (f_mhz * 1e6)
    a_eff = k_factor * EARTH_RADIUS_M
    worst = np.inf
    for i in range(1, n):
        t = i / n
        d1 = t * d
        d2 = d - d1
        ground = _bilinear(elev, x0, y0, cell_m, xa + t * (xb - xa), ya + t * (yb - ya))
        bulge = d1 * d2 / (2.0 * a_eff)
        ray = za + t * (zb - za)
        f1 = math.sqrt(lam * d1 * d2 / d)
        ratio = (ray - ground - bulge) / f1
        if ratio < worst:
            worst = ratio
    return worst


@nb.njit(parallel=True, cache=True)
def fresnel_clearances(elev, x0, y0, cell_m, xa, ya, ha, xb, yb, hb, f_mhz, k_factor, out):
    """:func:`fresnel_clearance` for many hops in parallel."""
    for i in nb.prange(xa.shape[0]):
        out[i] = fresnel_clearance(
            elev, x0, y0, cell_m, xa[i], ya[i], ha[i], xb[i], yb[i], hb[i], f_mhz, k_factor
        )


@nb.njit(cache=True)
def fresnel_clearances_serial(elev, x0, y0, cell_m, xa, ya, ha, xb, yb, hb, f_mhz, k_factor, out):
    """:func:`fresnel_clearances` in the calling thread: for small batches, where waking
    the parallel workers costs more than the hops (a busy core holds every call up)."""
    for i in range(xa.shape[0]):
        out[i] = fresnel_clearance(
            elev, x0, y0, cell_m, xa[i], ya[i], ha[i], xb[i], yb[i], hb[i], f_mhz, k_factor
        )
