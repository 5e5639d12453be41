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
from numba import types
from numba.extending import overload

from rural_plan.propagation._bullington_ray import ray_loss_bullington
from rural_plan.propagation._diffraction import deygout_loss_db
from rural_plan.propagation._empirical import (
    EMP_COST231_HATA,
    EMP_HATA_OPEN,
    EMP_HATA_SUBURBAN,
    EMP_HATA_URBAN,
    EMP_RMA_LOS,
    EMP_RMA_NLOS,
    empirical_loss_db,
)
from rural_plan.propagation._itm import OUT_SIZE as ITM_OUT_SIZE
from rural_plan.propagation._itm import itm_p2p_tls_kernel, surface_refractivity
from rural_plan.propagation._itm_ray import itm_ray_to_window
from rural_plan.propagation._itm_ray import work_sizes as itm_work_sizes
from rural_plan.propagation._kernels import (
    MODEL_3GPP_RMA,
    MODEL_BULLINGTON,
    MODEL_COST231_HATA,
    MODEL_DELTA_BULLINGTON,
    MODEL_DEYGOUT,
    MODEL_FREE_SPACE,
    MODEL_FSPL_KNIFE_EDGE,
    MODEL_FSPL_LOS,
    MODEL_ITM,
    MODEL_OKUMURA_HATA,
    free_space_loss_db,
    knife_edge_loss_db,
)
from rural_plan.units import EARTH_RADIUS_M, SPEED_OF_LIGHT_M_S


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
def ray_offsets(radius_cells):
    """``off[t, i]`` = i·t/R for t, i in 0..R: sample i's offset across a ray's minor axis.

    Every ray ends on the window's perimeter, so one of its offsets (dr, dc) is ±R: along
    that axis sample i sits exactly i cells out (i·R/R = i exactly), and across it at
    ±i·|t|/R, t the other offset. The table holds that division once (the same float
    value as computing it per sample; a negative t takes its exact negation).
    """
    r = radius_cells
    off = np.empty((r + 1, r + 1))
    for t in range(r + 1):
        for i in range(r + 1):
            off[t, i] = i * t / r
    return off


@nb.njit(cache=True)
def radial_profiles(elev, r0, c0, radius_cells, ray_dr, ray_dc, heights, n_valid):
    """Sample the terrain along every ray.

    Parameters
    ----------
    elev : (rows, cols) float64 terrain [m], finite (grids fill every void)
    r0, c0 : site cell
    radius_cells : R, steps per ray
    ray_dr, ray_dc : (n_rays,) perimeter offsets (see :func:`ray_targets`)
    heights : (n_rays, R + 1) float64, out: terrain [m] at steps 0..R (0 = the site)
    n_valid : (n_rays,) int64, out: samples inside the grid (the ray stops at its edge)
    """
    sample_rays(
        elev, r0, c0, radius_cells, ray_dr, ray_dc, ray_offsets(radius_cells), heights, n_valid
    )


@nb.njit(cache=True)
def sample_rays(elev, r0, c0, radius_cells, ray_dr, ray_dc, offsets, heights, n_valid):
    """:func:`radial_profiles` with the table of :func:`ray_offsets` given.

    Sample i of ray (dr, dc) is the bilinear interpolation at (r0 + i·dr/R, c0 + i·dc/R)
    between cell centres (indices clamped to the grid, the ray stopped where it leaves
    it). Along the ray's major axis (offset ±R) the sample is on a cell centre, so its
    weight across that axis is 0 (or 1 on the grid's last row or column, where the
    clamped cell pair is the one before): the value is the interpolation between the
    two cells of that row (column), the same float operations as the 2-D formula
    without its zero-weight terms (x·1.0 and + y·0.0), given finite terrain.
    """
    n_rows, n_cols = elev.shape
    r = radius_cells
    z0 = elev[r0, c0]
    for j in range(ray_dr.shape[0]):
        z = heights[j]
        z[0] = z0
        n = 1
        if ray_dr[j] == r or ray_dr[j] == -r:  # rows exact: interpolate across columns
            sr = 1 if ray_dr[j] > 0 else -1
            t = ray_dc[j]
            off = offsets[abs(t)]
            for i in range(1, r + 1):
                row = r0 + sr * i
                fc = c0 - off[i] if t < 0 else c0 + off[i]
                if row < 0 or row >= n_rows or fc < -0.5 or fc > n_cols - 0.5:
                    break
                c = min(max(int(math.floor(fc)), 0), n_cols - 2)
                u = min(max(fc - c, 0.0), 1.0)
                z[i] = elev[row, c] * (1.0 - u) + elev[row, c + 1] * u
                n += 1
        else:  # columns exact (dc = ±R): interpolate across rows
            sc = 1 if ray_dc[j] > 0 else -1
            t = ray_dr[j]
            off = offsets[abs(t)]
            for i in range(1, r + 1):
                col = c0 + sc * i
                fr = r0 - off[i] if t < 0 else r0 + off[i]
                if col < 0 or col >= n_cols or fr < -0.5 or fr > n_rows - 0.5:
                    break
                rr = min(max(int(math.floor(fr)), 0), n_rows - 2)
                v = min(max(fr - rr, 0.0), 1.0)
                z[i] = elev[rr, col] * (1.0 - v) + elev[rr + 1, col] * v
                n += 1
        n_valid[j] = n


@nb.njit(cache=True)
def ray_loss_fspl(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, a_e_m, knife_edge, out):
    """Free space with terrain line of sight along one profile, in one pass.

    Keeps the steepest terrain slope seen from the transmitter (earth curvature as a
    height drop d²/2a_e). With ``knife_edge`` the point where that slope was reached
    is the dominant edge and its ITU-R P.526 J(ν) is added; without it, points with
    no line of sight get +inf. The loss is computed only at the samples that own a
    cell (``used``); the horizon is followed through every sample.
    """
    z_tx = z[0] + h_tx_m
    lam = SPEED_OF_LIGHT_M_S / (f_mhz * 1e6)
    inv_2ae = 1.0 / (2.0 * a_e_m)
    # Free space 20 log10(4π d / λ) as 10 log10(d²) + 20 log10(4π / λ): no square root.
    fs_const = 20.0 * math.log10(4.0 * math.pi / lam)
    s_max = -np.inf
    d_obs = 0.0
    for i in range(1, n):
        d = i * step_m
        z_ground = z[i] - d * d * inv_2ae
        if used[i]:
            dz_rx = z_ground + h_rx_m - z_tx
            s_rx = dz_rx / d
            if not knife_edge and s_rx < s_max:
                out[i] = np.inf
            else:
                loss = 10.0 * math.log10(d * d + dz_rx * dz_rx) + fs_const
                if knife_edge and s_max > -np.inf:
                    h = (s_max - s_rx) * d_obs
                    d2 = d - d_obs
                    if d2 > 0.0:
                        loss += knife_edge_loss_db(h * math.sqrt(2.0 * d / (lam * d_obs * d2)))
                out[i] = loss
        s_ground = (z_ground - z_tx) / d
        if s_ground > s_max:
            s_max = s_ground
            d_obs = d


_TEN_OVER_LN10 = 10.0 / math.log(10.0)


@nb.njit(cache=True)
def fspl_ray_to_window(
    z,
    step_m,
    n,
    samples,
    cells,
    h_tx_m,
    h_rx_m,
    lam_m,
    fs_const_db,
    inv_2ae,
    knife_edge,
    horizon,
    window,
):
    """:func:`ray_loss_fspl` written straight into the cells the ray owns.

    ``samples`` (ascending) and ``cells`` (flat indices into ``window``) are the ray's part
    of :func:`owned_cells`; ``horizon`` is (3, R + 1) scratch. Two passes: first the
    horizon (steepest ground slope before each sample, and where it was reached) at every
    sample, with no branch on ownership; then the loss at the owned samples only. The
    free-space and knife-edge terms share one natural logarithm,
    10 log10(X) + 20 log10(Y) = (10 / ln 10) ln(X Y²), instead of two base-10 ones
    (about 4 ns against 8.6 here): the loss differs from :func:`ray_loss_fspl`'s by float
    rounding only (~1e-14 dB); every comparison (line of sight, ν > −0.78) is computed
    the same way, so the same cells are blocked or diffracted.
    """
    z_tx = z[0] + h_tx_m
    z_ground = horizon[0]
    s_before = horizon[1]
    d_before = horizon[2]
    s_max = -np.inf
    d_obs = 0.0
    for i in range(1, n):
        d = i * step_m
        zg = z[i] - d * d * inv_2ae
        z_ground[i] = zg
        s_before[i] = s_max
        d_before[i] = d_obs
        s_ground = (zg - z_tx) / d
        if s_ground > s_max:
            s_max = s_ground
            d_obs = d
    for k in range(samples.shape[0]):
        i = samples[k]
        if i >= n:
            break
        d = i * step_m
        dz_rx = z_ground[i] + h_rx_m - z_tx
        s_rx = dz_rx / d
        s_max = s_before[i]
        if not knife_edge and s_rx < s_max:
            window[cells[k]] = np.inf
            continue
        x = d * d + dz_rx * dz_rx
        const = fs_const_db
        if knife_edge and s_max > -np.inf:
            d_obs = d_before[i]
            h = (s_max - s_rx) * d_obs
            d2 = d - d_obs
            if d2 > 0.0:
                nu = h * math.sqrt(2.0 * d / (lam_m * d_obs * d2))
                if nu > -0.78:  # J(ν) = 6.9 + 20 log10(√((ν − 0.1)² + 1) + ν − 0.1)
                    t = nu - 0.1
                    y = math.sqrt(t * t + 1.0) + t
                    x *= y * y
                    const += 6.9
        window[cells[k]] = _TEN_OVER_LN10 * math.log(x) + const


@nb.njit(cache=True)
def _rays_fspl_knife_edge(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    a_e = k_factor * EARTH_RADIUS_M
    ray_loss_fspl(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, a_e, True, out)


@nb.njit(cache=True)
def _rays_fspl_los(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    a_e = k_factor * EARTH_RADIUS_M
    ray_loss_fspl(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, a_e, False, out)


@nb.njit(cache=True)
def _rays_free_space(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    for i in range(1, n):
        d = i * step_m
        dz = z[i] + h_rx_m - z[0] - h_tx_m
        out[i] = free_space_loss_db(math.sqrt(d * d + dz * dz), f_mhz)


@nb.njit(cache=True)
def _rays_itm(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    scratch = np.empty(ITM_OUT_SIZE)
    for i in range(1, n):
        if not used[i]:
            out[i] = np.inf
        elif i < 2:  # ITM needs three profile points: free space one cell out
            dz = z[1] + h_rx_m - z[0] - h_tx_m
            out[i] = free_space_loss_db(math.sqrt(step_m * step_m + dz * dz), f_mhz)
        else:
            path = z[: i + 1]
            n_s = surface_refractivity(path, params[0])
            out[i] = itm_p2p_tls_kernel(
                path,
                step_m,
                h_tx_m,
                h_rx_m,
                n_s,
                f_mhz,
                int(params[1]),
                params[2],
                params[3],
                int(params[4]),
                int(params[5]),
                params[6],
                params[7],
                params[8],
                scratch,
            )


@nb.njit(cache=True)
def _rays_hata(cost231, z, step_m, n, h_tx_m, h_rx_m, f_mhz, params, out):
    # params: environment 0 urban, 1 urban large city, 2 suburban, 3 open.
    env = int(params[0])
    large = env == 1
    if cost231:
        code = EMP_COST231_HATA
    else:
        code = EMP_HATA_SUBURBAN if env == 2 else EMP_HATA_OPEN if env == 3 else EMP_HATA_URBAN
    for i in range(1, n):
        d = max(i * step_m, 1000.0)  # below the models' 1 km: the 1 km value
        out[i] = empirical_loss_db(code, f_mhz, d, h_tx_m, h_rx_m, large, 0.0, 0.0)


@nb.njit(cache=True)
def _rays_okumura_hata(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    _rays_hata(False, z, step_m, n, h_tx_m, h_rx_m, f_mhz, params, out)


@nb.njit(cache=True)
def _rays_cost231_hata(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    _rays_hata(True, z, step_m, n, h_tx_m, h_rx_m, f_mhz, params, out)


@nb.njit(cache=True)
def _rays_3gpp_rma(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    # LOS or NLOS formula as the terrain gives line of sight; params: h_bld, W [m].
    a_e = k_factor * EARTH_RADIUS_M
    z_tx = z[0] + h_tx_m
    s_max = -np.inf
    for i in range(1, n):
        d = i * step_m
        z_ground = z[i] - d * d / (2.0 * a_e)
        s_rx = (z_ground + h_rx_m - z_tx) / d
        code = EMP_RMA_LOS if s_rx >= s_max else EMP_RMA_NLOS
        out[i] = empirical_loss_db(
            code, f_mhz, max(d, 10.0), h_tx_m, h_rx_m, False, params[0], params[1]
        )
        s_ground = (z_ground - z_tx) / d
        if s_ground > s_max:
            s_max = s_ground


@nb.njit(cache=True)
def _rays_bullington(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    # Free space over the 3-D path plus the profile's diffraction loss, incrementally.
    a_e = k_factor * EARTH_RADIUS_M
    ray_loss_bullington(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, a_e, False, 1, cap_db, out)


@nb.njit(cache=True)
def _rays_delta_bullington(
    z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out
):
    a_e = k_factor * EARTH_RADIUS_M
    pol = int(params[0])
    ray_loss_bullington(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, a_e, True, pol, cap_db, out)


@nb.njit(cache=True)
def _rays_deygout(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    # Free space over the 3-D path plus Deygout's loss over the profile to each cell.
    a_e = k_factor * EARTH_RADIUS_M
    dist = np.arange(n) * step_m
    scratch = np.empty(16)
    for i in range(1, n):
        if not used[i]:
            out[i] = np.inf
            continue
        dz = z[i] + h_rx_m - z[0] - h_tx_m
        d = dist[i]
        loss = free_space_loss_db(math.sqrt(d * d + dz * dz), f_mhz)
        if i >= 2 and loss <= cap_db:  # Deygout's loss ≥ 0: past the cap, free space is a bound
            loss += deygout_loss_db(
                dist[: i + 1], z[: i + 1], h_tx_m, h_rx_m, f_mhz, a_e, True, scratch
            )
        out[i] = loss


@nb.njit(cache=True)
def _rays_unknown(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out):
    for i in range(1, n):
        out[i] = np.nan


_RAYS = {
    MODEL_FSPL_KNIFE_EDGE: _rays_fspl_knife_edge,
    MODEL_FSPL_LOS: _rays_fspl_los,
    MODEL_FREE_SPACE: _rays_free_space,
    MODEL_ITM: _rays_itm,
    MODEL_OKUMURA_HATA: _rays_okumura_hata,
    MODEL_COST231_HATA: _rays_cost231_hata,
    MODEL_3GPP_RMA: _rays_3gpp_rma,
    MODEL_BULLINGTON: _rays_bullington,
    MODEL_DELTA_BULLINGTON: _rays_delta_bullington,
    MODEL_DEYGOUT: _rays_deygout,
}
"""One loss function per model code, all with :func:`ray_losses`'s arguments after ``model``."""

MODEL_CODES = tuple(_RAYS)


@nb.njit(cache=True)
def ray_losses(model, z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, out):
    """Loss [dB] at the points 1..n-1 of one profile for the model ``model`` (every loss
    exact: :func:`ray_losses_capped` with no cap).

    Point-to-point models (ITM, diffraction) are evaluated only where ``used`` is true
    (the samples that own a cell, see :func:`owned_samples`); +inf elsewhere. ``params``
    holds the model's parameters (ITM: N_0, polarisation, ε, σ, climate, mdvar, time %,
    location %, situation %).

    ``model`` chosen at run time: compiling this compiles every model. The sweep
    (:func:`model_sweep`) passes its model as a compile-time constant instead, through
    :func:`_model_ray_losses`, and compiles that model's code only.
    """
    ray_losses_capped(
        model, z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, np.inf, out
    )


@nb.njit(cache=True)
def ray_losses_capped(
    model, z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out
):
    """:func:`ray_losses` with a loss cap ``cap_db`` [dB]: where a model's loss is a sum of
    terms ≥ 0 (Bullington, delta-Bullington, Deygout), a sample whose loss is above the cap
    may get a lower bound of it that is itself above the cap (the terms left out once the
    sum has passed it; see :func:`._bullington_ray.ray_loss_bullington`). Losses at or below
    the cap are exact; +inf: no cap. The other models ignore it."""
    args = (z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out)
    if model == MODEL_FSPL_KNIFE_EDGE:
        _rays_fspl_knife_edge(*args)
    elif model == MODEL_FSPL_LOS:
        _rays_fspl_los(*args)
    elif model == MODEL_FREE_SPACE:
        _rays_free_space(*args)
    elif model == MODEL_ITM:
        _rays_itm(*args)
    elif model == MODEL_OKUMURA_HATA:
        _rays_okumura_hata(*args)
    elif model == MODEL_COST231_HATA:
        _rays_cost231_hata(*args)
    elif model == MODEL_3GPP_RMA:
        _rays_3gpp_rma(*args)
    elif model == MODEL_BULLINGTON:
        _rays_bullington(*args)
    elif model == MODEL_DELTA_BULLINGTON:
        _rays_delta_bullington(*args)
    elif model == MODEL_DEYGOUT:
        _rays_deygout(*args)
    else:
        _rays_unknown(*args)


def _model_ray_losses(
    model, z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out
):
    """:func:`ray_losses_capped` inside the sweep; its implementation is chosen at compile
    time (below)."""
    raise NotImplementedError("called from numba-compiled code only")


@overload(_model_ray_losses, prefer_literal=True)
def _model_ray_losses_impl(
    model, z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out
):
    """A compile-time constant ``model`` (``Literal[int]``): that model's function, alone.
    Any other ``model``: :func:`ray_losses_capped`, every model."""
    if isinstance(model, types.IntegerLiteral):
        rays = _RAYS.get(model.literal_value, _rays_unknown)

        def one_model(
            model, z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out
        ):
            rays(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out)

        return one_model

    def every_model(
        model, z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out
    ):
        ray_losses_capped(
            model, z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, k_factor, params, cap_db, out
        )

    return every_model


@nb.njit(cache=True)
def owned_samples(radius_cells, radius_m, cell_m, ray_dr, ray_dc):
    """Which ray sample owns each window cell: the one closest to the cell centre.

    Geometry only (the same for every site with this radius). Returns ``used``
    (n_rays, R + 1) bool: True where sample i of ray j is the owner of its cell, so a
    point-to-point model need only run there (about once per cell instead of ~2.2×).
    """
    r = radius_cells
    n_rays = ray_dr.shape[0]
    best = np.full((2 * r + 1, 2 * r + 1), np.inf)
    owner = np.full((2 * r + 1, 2 * r + 1), -1, dtype=np.int64)
    used = np.zeros((n_rays, r + 1), dtype=np.bool_)
    r2 = radius_m * radius_m * (1.0 + 1e-12)  # a cell exactly at the radius is in range
    c2 = cell_m * cell_m
    for j in range(n_rays):
        for i in range(1, r + 1):
            fr = i * ray_dr[j] / r
            fc = i * ray_dc[j] / r
            a = int(round(fr))
            b = int(round(fc))
            if (a * a + b * b) * c2 > r2:
                continue
            off = (fr - a) ** 2 + (fc - b) ** 2
            if off < best[r + a, r + b]:
                best[r + a, r + b] = off
                owner[r + a, r + b] = j * (r + 1) + i
    for a in range(2 * r + 1):
        for b in range(2 * r + 1):
            k = owner[a, b]
            if k >= 0:
                used[k // (r + 1), k % (r + 1)] = True
    return used


@nb.njit(cache=True)
def owned_cells(used, ray_dr, ray_dc, radius_cells):
    """The owned samples of :func:`owned_samples` as lists per ray.

    Returns ``start`` (n_rays + 1,), ``samples`` and ``cells``: ray j owns samples
    ``samples[start[j]:start[j + 1]]`` (ascending), which fall in the cells of flat index
    ``cells[...]`` of the (2R+1)² window (where :func:`scatter_ray` writes them).
    """
    r = radius_cells
    n_rays = ray_dr.shape[0]
    w = 2 * r + 1
    start = np.zeros(n_rays + 1, dtype=np.int64)
    for j in range(n_rays):
        start[j + 1] = start[j] + used[j].sum()
    samples = np.empty(start[n_rays], dtype=np.int64)
    cells = np.empty(start[n_rays], dtype=np.int64)
    for j in range(n_rays):
        k = start[j]
        for i in range(1, r + 1):
            if used[j, i]:
                a = int(round(i * ray_dr[j] / r))
                b = int(round(i * ray_dc[j] / r))
                samples[k] = i
                cells[k] = (r + a) * w + r + b
                k += 1
    return start, samples, cells


@nb.njit(cache=True)
def scatter_ray(window, ray_loss, n, used, dr_t, dc_t, radius_cells):
    """Write a ray's losses into the cells it owns (see :func:`owned_samples`)."""
    half = window.shape[0] // 2
    for i in range(1, n):
        if used[i]:
            a = int(round(i * dr_t / radius_cells))
            b = int(round(i * dc_t / radius_cells))
            window[half + a, half + b] = ray_loss[i]


@nb.njit(cache=True)
def site_windows(
    elev,
    r0,
    c0,
    radius_cells,
    radius_m,
    cell_m,
    h_tx_m,
    h_rx_m,
    f_mhz,
    k_factor,
    model,
    params,
    used,
    out,
):
    """Loss windows for one location and several antenna heights (one profile pass).

    ``h_tx_m`` is (n_options,) and ``out`` (n_options, 2R+1, 2R+1) float32: loss [dB]
    to every cell whose centre is within ``radius_m`` (R = ceil(radius_m / cell_m)), +inf
    beyond it or the grid. ``used`` comes from :func:`owned_samples`. The site's own cell gets
    free-space loss at half a cell.
    """
    r = radius_cells
    ray_dr, ray_dc = ray_targets(r)
    start, samples, cells = owned_cells(used, ray_dr, ray_dc, r)
    site_windows_owned(
        elev,
        r0,
        c0,
        r,
        cell_m,
        h_tx_m,
        h_rx_m,
        f_mhz,
        k_factor,
        model,
        params,
        ray_dr,
        ray_dc,
        ray_offsets(r),
        used,
        start,
        samples,
        cells,
        np.full(h_tx_m.shape[0], np.inf),
        out,
    )


@nb.njit(cache=True)
def site_windows_owned(
    elev,
    r0,
    c0,
    radius_cells,
    cell_m,
    h_tx_m,
    h_rx_m,
    f_mhz,
    k_factor,
    model,
    params,
    ray_dr,
    ray_dc,
    offsets,
    used,
    start,
    samples,
    cells,
    cap_db,
    out,
):
    """:func:`site_windows` with the geometry shared by every site given.

    ``offsets`` from :func:`ray_offsets`, ``used`` from :func:`owned_samples` and
    ``start``, ``samples``, ``cells`` from :func:`owned_cells`. The two free-space models
    with terrain line of sight and ITM are incremental along a ray and write the owned
    cells directly (:func:`fspl_ray_to_window`, :func:`._itm_ray.itm_ray_to_window`); the
    others go through :func:`ray_losses_capped` (see :func:`rays_to_window`). ``cap_db``
    (n_options,) [dB]: option o's loss cap (see :func:`ray_losses_capped`; +inf: exact
    losses everywhere).
    """
    r = radius_cells
    n_rays = ray_dr.shape[0]
    heights = np.empty((n_rays, r + 1))
    n_valid = np.empty(n_rays, dtype=np.int64)
    sample_rays(elev, r0, c0, r, ray_dr, ray_dc, offsets, heights, n_valid)
    steps = ray_steps(ray_dr, ray_dc, r, cell_m)
    for o in range(h_tx_m.shape[0]):
        flat = start_window(out[o], r, cell_m, h_tx_m[o], h_rx_m, f_mhz)
        rays_to_window(
            0,
            n_rays,
            heights,
            steps,
            n_valid,
            h_tx_m[o],
            h_rx_m,
            f_mhz,
            k_factor,
            model,
            params,
            ray_dr,
            ray_dc,
            used,
            start,
            samples,
            cells,
            cap_db[o],
            out[o],
            flat,
        )


@nb.njit(cache=True)
def ray_steps(ray_dr, ray_dc, radius_cells, cell_m):
    """Sample spacing [m] along each ray: one cell along its major axis."""
    steps = np.empty(ray_dr.shape[0])
    for j in range(ray_dr.shape[0]):
        steps[j] = cell_m * math.sqrt(ray_dr[j] ** 2 + ray_dc[j] ** 2) / radius_cells
    return steps


@nb.njit(cache=True)
def start_window(win, radius_cells, cell_m, h_tx_m, h_rx_m, f_mhz):
    """Fill a loss window with +inf but the site's own cell (free space at half a cell);
    returns its flat view."""
    r = radius_cells
    win[:, :] = np.inf
    dz = h_rx_m - h_tx_m
    win[r, r] = free_space_loss_db(math.sqrt((0.5 * cell_m) ** 2 + dz * dz), f_mhz)
    return win.reshape(-1)


@nb.njit(cache=True)
def rays_to_window(
    j_lo,
    j_hi,
    heights,
    steps,
    n_valid,
    h_tx_m,
    h_rx_m,
    f_mhz,
    k_factor,
    model,
    params,
    ray_dr,
    ray_dc,
    used,
    start,
    samples,
    cells,
    cap_db,
    win,
    flat,
):
    """Losses along rays ``j_lo:j_hi`` written into the cells they own in ``win`` (and its
    flat view ``flat``): the incremental kernels (free space with line of sight, ITM)
    straight into the cells, the others through :func:`ray_losses_capped` with the loss
    cap ``cap_db`` [dB] (+inf: none). Rays own disjoint cells, so ranges of rays may run
    on different threads."""
    r = win.shape[0] // 2
    fspl = model == MODEL_FSPL_KNIFE_EDGE or model == MODEL_FSPL_LOS
    knife_edge = model == MODEL_FSPL_KNIFE_EDGE
    itm = model == MODEL_ITM
    lam = SPEED_OF_LIGHT_M_S / (f_mhz * 1e6)
    fs_const = 20.0 * math.log10(4.0 * math.pi / lam)
    inv_2ae = 1.0 / (2.0 * (k_factor * EARTH_RADIUS_M))
    ray_loss = np.empty(r + 1)
    horizon = np.empty((3, r + 1))
    n_work, n_iwork = itm_work_sizes(r if itm else 0)
    itm_work = np.empty(n_work)
    itm_iwork = np.empty(n_iwork, dtype=np.int64)
    for j in range(j_lo, j_hi):
        if fspl:
            fspl_ray_to_window(
                heights[j],
                steps[j],
                n_valid[j],
                samples[start[j] : start[j + 1]],
                cells[start[j] : start[j + 1]],
                h_tx_m,
                h_rx_m,
                lam,
                fs_const,
                inv_2ae,
                knife_edge,
                horizon,
                flat,
            )
        elif itm:
            itm_ray_to_window(
                heights[j],
                steps[j],
                n_valid[j],
                samples[start[j] : start[j + 1]],
                cells[start[j] : start[j + 1]],
                h_tx_m,
                h_rx_m,
                f_mhz,
                params,
                itm_work,
                itm_iwork,
                flat,
            )
        else:
            _model_ray_losses(
                model,
                heights[j],
                steps[j],
                n_valid[j],
                used[j],
                h_tx_m,
                h_rx_m,
                f_mhz,
                k_factor,
                params,
                cap_db,
                ray_loss,
            )
            scatter_ray(win, ray_loss, n_valid[j], used[j], ray_dr[j], ray_dc[j], r)


_RAY_BLOCKS = 64
"""Blocks of rays one site's sweep hands to threads (dynamic scheduling balances them)."""


@nb.njit(parallel=True, cache=True)
def site_windows_parallel(
    elev,
    r0,
    c0,
    radius_cells,
    radius_m,
    cell_m,
    h_tx_m,
    h_rx_m,
    f_mhz,
    k_factor,
    model,
    params,
    out,
):
    """:func:`site_windows` for one location, its rays in parallel over numba threads.

    The same windows as :func:`locations_windows` gives for that location (each ray is
    computed by the same code, whichever thread runs it, and rays own disjoint cells);
    for one site at a time (a coverage map, the best-server field) where the many-site
    sweep would leave all but one thread idle.
    """
    r = radius_cells
    ray_dr, ray_dc = ray_targets(r)
    offsets = ray_offsets(r)
    used = owned_samples(r, radius_m, cell_m, ray_dr, ray_dc)
    start, samples, cells = owned_cells(used, ray_dr, ray_dc, r)
    n_rays = ray_dr.shape[0]
    n_blocks = min(n_rays, _RAY_BLOCKS)
    heights = np.empty((n_rays, r + 1))
    n_valid = np.empty(n_rays, dtype=np.int64)
    for b in nb.prange(n_blocks):
        lo = b * n_rays // n_blocks
        hi = (b + 1) * n_rays // n_blocks
        sample_rays(
            elev, r0, c0, r, ray_dr[lo:hi], ray_dc[lo:hi], offsets, heights[lo:hi], n_valid[lo:hi]
        )
    steps = ray_steps(ray_dr, ray_dc, r, cell_m)
    for o in range(h_tx_m.shape[0]):
        flat = start_window(out[o], r, cell_m, h_tx_m[o], h_rx_m, f_mhz)
        for b in nb.prange(n_blocks):
            rays_to_window(
                b * n_rays // n_blocks,
                (b + 1) * n_rays // n_blocks,
                heights,
                steps,
                n_valid,
                h_tx_m[o],
                h_rx_m,
                f_mhz,
                k_factor,
                model,
                params,
                ray_dr,
                ray_dc,
                used,
                start,
                samples,
                cells,
                np.inf,
                out[o],
                flat,
            )


@nb.njit(parallel=True, cache=True)
def locations_windows(
    elev,
    loc_rows,
    loc_cols,
    loc_start,
    radius_cells,
    radius_m,
    cell_m,
    h_tx_m,
    h_rx_m,
    f_mhz,
    k_factor,
    model,
    params,
    cap_db,
    out,
):
    """:func:`site_windows` for many locations in parallel.

    Options of location ``q`` are ``loc_start[q]:loc_start[q + 1]`` of ``h_tx_m``,
    ``cap_db`` and ``out``. ``cap_db`` [dB] per option: a cell whose loss is above it
    may hold a lower bound of its loss above it instead (see :func:`ray_losses_capped`);
    the planning sweep passes what no covered cell can exceed (:mod:`.point_to_area`),
    +inf gives every loss exactly.
    """
    r = radius_cells
    ray_dr, ray_dc = ray_targets(r)
    offsets = ray_offsets(r)
    used = owned_samples(r, radius_m, cell_m, ray_dr, ray_dc)
    start, samples, cells = owned_cells(used, ray_dr, ray_dc, r)
    for q in nb.prange(loc_rows.shape[0]):
        lo = loc_start[q]
        hi = loc_start[q + 1]
        site_windows_owned(
            elev,
            loc_rows[q],
            loc_cols[q],
            r,
            cell_m,
            h_tx_m[lo:hi],
            h_rx_m,
            f_mhz,
            k_factor,
            model,
            params,
            ray_dr,
            ray_dc,
            offsets,
            used,
            start,
            samples,
            cells,
            cap_db[lo:hi],
            out[lo:hi],
        )


@nb.njit(cache=True)
def covered_cells(
    windows,
    rows,
    cols,
    max_loss_db,
    pattern_index,
    patterns,
    demand_id,
    extra_db,
    counts_only,
    counts,
    indices,
):
    """Demand cells within each option's loss budget, as CSR rows.

    A cell is covered when loss + pattern attenuation + the demand cell's own extra loss
    (``extra_db[k]`` [dB]: clutter around the handset) ≤ the option's budget.
    ``demand_id`` maps a grid cell to its demand index (-1: none). First call with
    ``counts_only=True`` to fill ``counts``; then with False to fill ``indices``.
    """
    n_rows, n_cols = demand_id.shape
    half = windows.shape[1] // 2
    pos = 0
    for i in range(windows.shape[0]):
        n = 0
        budget = max_loss_db[i]
        pat = patterns[pattern_index[i]]
        for a in range(windows.shape[1]):
            r = rows[i] + a - half
            if r < 0 or r >= n_rows:
                continue
            for b in range(windows.shape[2]):
                c = cols[i] + b - half
                if c < 0 or c >= n_cols:
                    continue
                k = demand_id[r, c]
                if k >= 0 and windows[i, a, b] + pat[a, b] + extra_db[k] <= budget:
                    if not counts_only:
                        indices[pos] = k
                        pos += 1
                    n += 1
        if counts_only:
            counts[i] = n
    return pos


def _sweep_of(model):
    """:func:`locations_windows` with ``model`` a compile-time constant: compiles (and
    caches, once per machine) that model's code only. Each closure differs only by the
    model code it holds, which numba's cache keys on."""

    @nb.njit(cache=True)
    def sweep(
        elev,
        loc_rows,
        loc_cols,
        loc_start,
        radius_cells,
        radius_m,
        cell_m,
        h_tx_m,
        h_rx_m,
        f_mhz,
        k_factor,
        params,
        cap_db,
        out,
    ):
        locations_windows(
            elev,
            loc_rows,
            loc_cols,
            loc_start,
            radius_cells,
            radius_m,
            cell_m,
            h_tx_m,
            h_rx_m,
            f_mhz,
            k_factor,
            model,
            params,
            cap_db,
            out,
        )

    sweep.__doc__ = (
        f":func:`locations_windows` for model code {model} only (no ``model`` argument)."
    )
    return sweep


def _site_sweep_of(model):
    """:func:`site_windows_parallel` with ``model`` a compile-time constant (as
    :func:`_sweep_of`)."""

    @nb.njit(cache=True)
    def site_sweep(
        elev, r0, c0, radius_cells, radius_m, cell_m, h_tx_m, h_rx_m, f_mhz, k_factor, params, out
    ):
        site_windows_parallel(
            elev,
            r0,
            c0,
            radius_cells,
            radius_m,
            cell_m,
            h_tx_m,
            h_rx_m,
            f_mhz,
            k_factor,
            model,
            params,
            out,
        )

    site_sweep.__doc__ = (
        f":func:`site_windows_parallel` for model code {model} only (no ``model`` argument)."
    )
    return site_sweep


_SWEEPS = {code: _sweep_of(code) for code in MODEL_CODES}
_SITE_SWEEPS = {code: _site_sweep_of(code) for code in MODEL_CODES}


def model_site_sweep(model: int):
    """The one-site sweep of one model (its rays over the threads): the arguments of
    :func:`site_windows_parallel` without ``model``; compiles that model alone."""
    return _SITE_SWEEPS[model]


def model_sweep(model: int):
    """The radial sweep of one model: :func:`locations_windows`'s arguments without
    ``model``. Compiling it compiles that model alone (seconds, not the minute all
    models take together)."""
    return _SWEEPS[model]
