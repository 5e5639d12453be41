"""Numba kernels of the backhaul stage: hop clearance over the DEM's posts."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

SAMPLES_PER_POST = 4
"""Profile samples per post spacing crossed, besides every crossing of a row or column
of posts (where the interpolated terrain bends): between two crossings the terrain along
the hop is a parabola, and four samples a post bound what they miss of its top to
1/128 of the cell's twist (z00 - z01 - z10 + z11)."""


@nb.njit(cache=True)
def _bilinear(elev, col, row):
    """Terrain height [m] at fractional post coordinates (clamped to the posts)."""
    n_rows, n_cols = elev.shape
    c = min(max(int(math.floor(col)), 0), n_cols - 2)
    r = min(max(int(math.floor(row)), 0), n_rows - 2)
    u = min(max(col - c, 0.0), 1.0)
    v = min(max(row - r, 0.0), 1.0)
    top = elev[r, c] * (1 - u) + elev[r, c + 1] * u
    bottom = elev[r + 1, c] * (1 - u) + elev[r + 1, c + 1] * u
    return top * (1 - v) + bottom * v


@nb.njit(cache=True)
def _ratio(elev, ca, ra, dc, dr, t, d_m, za, zb, a_eff_m):
    d1 = t * d_m
    d2 = d_m - d1
    ground = _bilinear(elev, ca + t * dc, ra + t * dr)
    bulge = d1 * d2 / (2.0 * a_eff_m)
    ray = za + t * (zb - za)
    return (ray - ground - bulge) / math.sqrt(d1 * d2 / d_m)


@nb.njit(cache=True)
def _crossings_min(elev, ca, ra, dc, dr, d_m, za, zb, a_eff_m, start, delta, worst):
    """The least ratio at the crossings of whole post lines by ``start + t·delta``."""
    if delta == 0.0:
        return worst
    lo = min(start, start + delta)
    hi = max(start, start + delta)
    for k in range(int(math.ceil(lo)), int(math.floor(hi)) + 1):
        t = (k - start) / delta
        if 1e-9 < t < 1.0 - 1e-9:
            r = _ratio(elev, ca, ra, dc, dr, t, d_m, za, zb, a_eff_m)
            if r < worst:
                worst = r
    return worst


@nb.njit(cache=True)
def hop_clearance(elev, ca, ra, cb, rb, d_m, ha_m, hb_m, a_eff_m):
    """Smallest clearance of a hop over the terrain, per unit √(d1·d2/d) [√m].

    The hop joins antennas ``ha_m``, ``hb_m`` above the ground at fractional post
    coordinates (``ca``, ``ra``) and (``cb``, ``rb``), ``d_m`` apart. At each profile
    point the clearance is the ray's height over the terrain (bilinear between posts)
    plus the earth bulge d1·d2/(2·k·a) [m]; divided by √(d1·d2/d) it becomes, divided
    again by √λ, the clearance in first-Fresnel-zone radii F1 = √(λ·d1·d2/d) (ITU-R
    P.530-18 §2.2): the kernel is free of the frequency, which each link type applies.
    Samples: every crossing of a post row or column and :data:`SAMPLES_PER_POST` a post
    between. +inf for a hop within one post.
    """
    dc = cb - ca
    dr = rb - ra
    span = max(abs(dc), abs(dr))
    if d_m <= 0.0 or span < 1.0:
        return np.inf
    za = _bilinear(elev, ca, ra) + ha_m
    zb = _bilinear(elev, cb, rb) + hb_m
    n = int(math.ceil(span * SAMPLES_PER_POST))
    worst = np.inf
    for i in range(1, n):
        r = _ratio(elev, ca, ra, dc, dr, i / n, d_m, za, zb, a_eff_m)
        if r < worst:
            worst = r
    worst = _crossings_min(elev, ca, ra, dc, dr, d_m, za, zb, a_eff_m, ca, dc, worst)
    worst = _crossings_min(elev, ca, ra, dc, dr, d_m, za, zb, a_eff_m, ra, dr, worst)
    return worst


@nb.njit(parallel=True, cache=True)
def hop_clearances(elev, ca, ra, cb, rb, d_m, ha, hb, a_eff_m, out):
    """:func:`hop_clearance` for many hops in parallel."""
    for i in nb.prange(ca.shape[0]):
        out[i] = hop_clearance(elev, ca[i], ra[i], cb[i], rb[i], d_m[i], ha[i], hb[i], a_eff_m)


@nb.njit(cache=True)
def hop_clearances_serial(elev, ca, ra, cb, rb, d_m, ha, hb, a_eff_m, out):
    """:func:`hop_clearances` in the calling thread: for small batches, where waking
    the parallel workers costs more than the hops (a busy core holds every call up)."""
    for i in range(ca.shape[0]):
        out[i] = hop_clearance(elev, ca[i], ra[i], cb[i], rb[i], d_m[i], ha[i], hb[i], a_eff_m)
