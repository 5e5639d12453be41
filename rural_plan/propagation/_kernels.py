"""Numba kernels of the propagation stage: arrays and scalars only, float64 maths.

Model codes (see :mod:`rural_plan.propagation.models`): 0 = free space plus a single
knife edge at the dominant obstruction, 1 = free space where there is line of sight.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

MODEL_FSPL_KNIFE_EDGE = 0
MODEL_FSPL_LOS = 1

_C_M_S = 299_792_458.0
_EARTH_RADIUS_M = 6_371_000.0


@nb.njit(cache=True)
def knife_edge_loss_db(nu):
    """Single knife-edge diffraction loss J(ν) [dB], ITU-R P.526-15 eq. (31).

    J(ν) = 6.9 + 20 log10( sqrt((ν − 0.1)² + 1) + ν − 0.1 ) for ν > −0.78, else 0.
    """
    if nu <= -0.78:
        return 0.0
    t = nu - 0.1
    return 6.9 + 20.0 * math.log10(math.sqrt(t * t + 1.0) + t)


@nb.njit(cache=True)
def free_space_loss_db(d_m, f_mhz):
    """Free-space basic transmission loss [dB], ITU-R P.525 eq. (4): 20 log10(4π d / λ)."""
    return 20.0 * math.log10(4.0 * math.pi * d_m * f_mhz * 1e6 / _C_M_S)


@nb.njit(cache=True)
def _ray(
    elev,
    r0,
    c0,
    z_tx,
    dr_t,
    dc_t,
    radius_cells,
    radius_m,
    cell_m,
    f_mhz,
    h_rx_m,
    a_eff_m,
    wavelength_m,
    model,
    out,
):
    """Walk one ray from (r0, c0) towards (r0 + dr_t, c0 + dc_t), major axis one cell a step.

    Keeps the steepest terrain slope seen so far (earth curvature applied as a height
    drop d²/2a_e) and writes each visited cell's loss into ``out`` when lower than
    what is there (the most favourable ray wins; order does not matter).
    """
    n_rows, n_cols = elev.shape
    half = out.shape[0] // 2
    s_max = -np.inf
    d_obs = 0.0
    for i in range(1, radius_cells + 1):
        dr = int(round(i * dr_t / radius_cells))
        dc = int(round(i * dc_t / radius_cells))
        r = r0 + dr
        c = c0 + dc
        if r < 0 or r >= n_rows or c < 0 or c >= n_cols:
            return
        d = cell_m * math.sqrt(dr * dr + dc * dc)
        if d > radius_m:
            return
        z_ground = elev[r, c] - d * d / (2.0 * a_eff_m)
        dz_rx = z_ground + h_rx_m - z_tx
        s_rx = dz_rx / d
        loss = free_space_loss_db(math.sqrt(d * d + dz_rx * dz_rx), f_mhz)
        if model == MODEL_FSPL_LOS:
            if s_rx < s_max:
                loss = np.inf
        elif s_max > -np.inf:
            # Height of the dominant edge above the direct tx-rx ray, and its Fresnel parameter.
            h = (s_max - s_rx) * d_obs
            d2 = d - d_obs
            if d2 > 0.0:
                nu = h * math.sqrt(2.0 * d / (wavelength_m * d_obs * d2))
                loss += knife_edge_loss_db(nu)
        if loss < out[half + dr, half + dc]:
            out[half + dr, half + dc] = loss
        s_ground = (z_ground - z_tx) / d
        if s_ground > s_max:
            s_max = s_ground
            d_obs = d


@nb.njit(cache=True)
def path_loss_window(
    elev, r0, c0, h_tx_m, radius_cells, cell_m, f_mhz, h_rx_m, k_factor, model, out
):
    """Basic transmission loss [dB] from one site to every cell within the radius.

    Parameters
    ----------
    elev : (rows, cols) float64, terrain height [m]
    r0, c0 : int, site cell
    h_tx_m : float, antenna height above ground [m]
    radius_cells : int, half-size of the window [cells]
    cell_m, f_mhz, h_rx_m, k_factor : cell size [m], frequency [MHz], receiver height
        above ground [m], effective earth radius factor
    model : int, model code
    out : (2R+1, 2R+1) float32, filled with loss [dB], +inf where not evaluated
    """
    out[:, :] = np.inf
    half = radius_cells
    z_tx = elev[r0, c0] + h_tx_m
    a_eff = k_factor * _EARTH_RADIUS_M
    lam = _C_M_S / (f_mhz * 1e6)
    radius_m = radius_cells * cell_m
    dz = h_rx_m - h_tx_m
    out[half, half] = free_space_loss_db(math.sqrt((0.5 * cell_m) ** 2 + dz * dz), f_mhz)
    for t in range(-half, half + 1):
        _ray(
            elev,
            r0,
            c0,
            z_tx,
            -half,
            t,
            half,
            radius_m,
            cell_m,
            f_mhz,
            h_rx_m,
            a_eff,
            lam,
            model,
            out,
        )
        _ray(
            elev,
            r0,
            c0,
            z_tx,
            half,
            t,
            half,
            radius_m,
            cell_m,
            f_mhz,
            h_rx_m,
            a_eff,
            lam,
            model,
            out,
        )
        if -half < t < half:
            _ray(
                elev,
                r0,
                c0,
                z_tx,
                t,
                -half,
                half,
                radius_m,
                cell_m,
                f_mhz,
                h_rx_m,
                a_eff,
                lam,
                model,
                out,
            )
            _ray(
                elev,
                r0,
                c0,
                z_tx,
                t,
                half,
                half,
                radius_m,
                cell_m,
                f_mhz,
                h_rx_m,
                a_eff,
                lam,
                model,
                out,
            )


@nb.njit(parallel=True, cache=True)
def path_loss_windows(
    elev, rows, cols, h_tx_m, radius_cells, cell_m, f_mhz, h_rx_m, k_factor, model, out
):
    """:func:`path_loss_window` for many sites, in parallel; ``out`` is (n, 2R+1, 2R+1)."""
    for i in nb.prange(rows.shape[0]):
        path_loss_window(
            elev,
            rows[i],
            cols[i],
            h_tx_m[i],
            radius_cells,
            cell_m,
            f_mhz,
            h_rx_m,
            k_factor,
            model,
            out[i],
        )


@nb.njit(cache=True)
def covered_entries(windows, rows, cols, max_loss_db, demand_id, counts_only, counts, indices):
    """Demand cells within each site's loss budget, as CSR rows.

    ``demand_id`` maps a grid cell to its demand index (-1: no demand). First call with
    ``counts_only=True`` to fill ``counts`` (per site); then with False to fill
    ``indices`` (concatenated rows, in ``counts`` order).
    """
    n_rows, n_cols = demand_id.shape
    half = windows.shape[1] // 2
    pos = 0
    for i in range(windows.shape[0]):
        n = 0
        budget = max_loss_db[i]
        for a in range(windows.shape[1]):
            r = rows[i] + a - half
            if r < 0 or r >= n_rows:
                continue
            for b in range(windows.shape[2]):
                c = cols[i] + b - half
                if c < 0 or c >= n_cols:
                    continue
                k = demand_id[r, c]
                if k >= 0 and windows[i, a, b] <= budget:
                    if not counts_only:
                        indices[pos] = k
                        pos += 1
                    n += 1
        if counts_only:
            counts[i] = n
    return pos
