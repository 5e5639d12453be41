"""Radial terrain profiles around a site, and models evaluated along them.

The frequency-independent work (pycraf's ``height_map_data`` idea): for a site,
terrain heights are sampled once along rays to every cell of the perimeter of
the (2R+1)² window, at equal steps (one cell along the ray's major axis),
interpolated bilinearly between cell centres. Every model, frequency and antenna
height is then evaluated from these profiles without touching the DEM again.

Each cell of the window takes its value from the ray sample closest to its
centre (ties: the first ray), so the result is deterministic and does not
depend on thread scheduling.

Model codes are the ``MODEL_*`` constants of :mod:`._kernels`.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from rural_plan.propagation._kernels import (
    MODEL_FSPL_KNIFE_EDGE,
    MODEL_FSPL_LOS,
    free_space_loss_db,
    knife_edge_loss_db,
)

_C_M_S = 299_792_458.0
_EARTH_RADIUS_M = 6_371_000.0


@nb.njit(cache=True)
def ray_targets(radius_cells):
    """Offsets (dr, dc) of the 8R perimeter cells of the (2R+1)² window, each once."""
    r = radius_cells
    n = 8 * r
    dr = np.empty(n, dtype=np.int64)
    dc = np.empty(n, dtype=np.int64)
    k = 0
    for t in range(-r, r):  # top edge, left to right (excluding the top-right corner)
        dr[k] = -r
        dc[k] = t
        k += 1
    for t in range(-r, r):  # right edge, top to bottom
        dr[k] = t
        dc[k] = r
        k += 1
    for t in range(r, -r, -1):  # bottom edge, right to left
        dr[k] = r
        dc[k] = t
        k += 1
    for t in range(r, -r, -1):  # left edge, bottom to top
        dr[k] = t
        dc[k] = -r
        k += 1
    return dr, dc


@nb.njit(cache=True)
def _bilinear_rc(elev, fr, fc):
    """Terrain at fractional (row, col) in cell-centre index space."""
    n_rows, n_cols = elev.shape
    r = min(max(int(math.floor(fr)), 0), n_rows - 2)
    c = min(max(int(math.floor(fc)), 0), n_cols - 2)
    v = min(max(fr - r, 0.0), 1.0)
    u = min(max(fc - c, 0.0), 1.0)
    top = elev[r, c] * (1.0 - u) + elev[r, c + 1] * u
    bottom = elev[r + 1, c] * (1.0 - u) + elev[r + 1, c + 1] * u
    return top * (1.0 - v) + bottom * v


@nb.njit(cache=True)
def radial_profiles(elev, r0, c0, radius_cells, ray_dr, ray_dc, heights, n_valid):
    """Sample the terrain along every ray.

    Parameters
    ----------
    elev : (rows, cols) float64 terrain [m]
    r0, c0 : site cell
    radius_cells : R, steps per ray
    ray_dr, ray_dc : (n_rays,) perimeter offsets (see :func:`ray_targets`)
    heights : (n_rays, R + 1) float64, out: terrain [m] at steps 0..R (0 = the site)
    n_valid : (n_rays,) int64, out: samples inside the grid (the ray stops at its edge)
    """
    n_rows, n_cols = elev.shape
    for j in range(ray_dr.shape[0]):
        heights[j, 0] = elev[r0, c0]
        n = 1
        for i in range(1, radius_cells + 1):
            fr = r0 + i * ray_dr[j] / radius_cells
            fc = c0 + i * ray_dc[j] / radius_cells
            if fr < -0.5 or fr > n_rows - 0.5 or fc < -0.5 or fc > n_cols - 0.5:
                break
            heights[j, i] = _bilinear_rc(elev, fr, fc)
            n += 1
        n_valid[j] = n


@nb.njit(cache=True)
def ray_loss_fspl(z, step_m, n, h_tx_m, h_rx_m, f_mhz, a_e_m, knife_edge, out):
    """Free space with terrain line of sight along one profile, in one pass.

    Keeps the steepest terrain slope seen from the transmitter (earth curvature as a
    height drop d²/2a_e). With ``knife_edge`` the point where that slope was reached
    is the dominant edge and its ITU-R P.526 J(ν) is added; without it, points with
    no line of sight get +inf.
    """
    z_tx = z[0] + h_tx_m
    lam = _C_M_S / (f_mhz * 1e6)
    s_max = -np.inf
    d_obs = 0.0
    for i in range(1, n):
        d = i * step_m
        z_ground = z[i] - d * d / (2.0 * a_e_m)
        dz_rx = z_ground + h_rx_m - z_tx
        s_rx = dz_rx / d
        loss = free_space_loss_db(math.sqrt(d * d + dz_rx * dz_rx), f_mhz)
        if not knife_edge:
            if s_rx < s_max:
                loss = np.inf
        elif s_max > -np.inf:
            h = (s_max - s_rx) * d_obs
            d2 = d - d_obs
            if d2 > 0.0:
                loss += knife_edge_loss_db(h * math.sqrt(2.0 * d / (lam * d_obs * d2)))
        out[i] = loss
        s_ground = (z_ground - z_tx) / d
        if s_ground > s_max:
            s_max = s_ground
            d_obs = d


@nb.njit(cache=True)
def ray_losses(model, z, step_m, n, h_tx_m, h_rx_m, f_mhz, k_factor, params, out):
    """Loss [dB] at every point 1..n-1 of one profile for the model ``model``."""
    a_e = k_factor * _EARTH_RADIUS_M
    if model == MODEL_FSPL_KNIFE_EDGE:
        ray_loss_fspl(z, step_m, n, h_tx_m, h_rx_m, f_mhz, a_e, True, out)
    elif model == MODEL_FSPL_LOS:
        ray_loss_fspl(z, step_m, n, h_tx_m, h_rx_m, f_mhz, a_e, False, out)
    else:
        for i in range(1, n):
            out[i] = np.nan


@nb.njit(cache=True)
def scatter_ray(window, best_offset, ray_loss, n, dr_t, dc_t, radius_cells, radius_m, step_m):
    """Write a ray's losses into the window cells its samples fall in (closest sample wins)."""
    half = window.shape[0] // 2
    for i in range(1, n):
        if i * step_m > radius_m:
            return
        fr = i * dr_t / radius_cells
        fc = i * dc_t / radius_cells
        a = int(round(fr))
        b = int(round(fc))
        off = (fr - a) ** 2 + (fc - b) ** 2
        if off < best_offset[half + a, half + b]:
            best_offset[half + a, half + b] = off
            window[half + a, half + b] = ray_loss[i]


@nb.njit(cache=True)
def site_windows(
    elev, r0, c0, radius_cells, cell_m, h_tx_m, h_rx_m, f_mhz, k_factor, model, params, out
):
    """Loss windows for one location and several antenna heights (one profile pass).

    ``h_tx_m`` is (n_options,) and ``out`` (n_options, 2R+1, 2R+1) float32: loss [dB]
    to every cell within ``radius_cells · cell_m``, +inf outside it or the grid. The
    site's own cell gets free-space loss at half a cell.
    """
    r = radius_cells
    ray_dr, ray_dc = ray_targets(r)
    n_rays = ray_dr.shape[0]
    heights = np.empty((n_rays, r + 1))
    n_valid = np.empty(n_rays, dtype=np.int64)
    radial_profiles(elev, r0, c0, r, ray_dr, ray_dc, heights, n_valid)
    best = np.empty((2 * r + 1, 2 * r + 1))
    ray_loss = np.empty(r + 1)
    radius_m = r * cell_m
    for o in range(h_tx_m.shape[0]):
        win = out[o]
        win[:, :] = np.inf
        best[:, :] = np.inf
        dz = h_rx_m - h_tx_m[o]
        win[r, r] = free_space_loss_db(math.sqrt((0.5 * cell_m) ** 2 + dz * dz), f_mhz)
        best[r, r] = 0.0
        for j in range(n_rays):
            step = cell_m * math.sqrt(ray_dr[j] ** 2 + ray_dc[j] ** 2) / r
            ray_losses(
                model,
                heights[j],
                step,
                n_valid[j],
                h_tx_m[o],
                h_rx_m,
                f_mhz,
                k_factor,
                params,
                ray_loss,
            )
            scatter_ray(win, best, ray_loss, n_valid[j], ray_dr[j], ray_dc[j], r, radius_m, step)


@nb.njit(parallel=True, cache=True)
def locations_windows(
    elev,
    loc_rows,
    loc_cols,
    loc_start,
    radius_cells,
    cell_m,
    h_tx_m,
    h_rx_m,
    f_mhz,
    k_factor,
    model,
    params,
    out,
):
    """:func:`site_windows` for many locations in parallel.

    Options of location ``q`` are ``loc_start[q]:loc_start[q + 1]`` of ``h_tx_m`` and ``out``.
    """
    for q in nb.prange(loc_rows.shape[0]):
        lo = loc_start[q]
        hi = loc_start[q + 1]
        site_windows(
            elev,
            loc_rows[q],
            loc_cols[q],
            radius_cells,
            cell_m,
            h_tx_m[lo:hi],
            h_rx_m,
            f_mhz,
            k_factor,
            model,
            params,
            out[lo:hi],
        )
