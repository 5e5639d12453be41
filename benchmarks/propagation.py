"""Propagation benchmarks: line of sight against GDAL's viewshed (and GRASS r.viewshed).

Standard instance: the Comoros 1" SRTM mosaic reprojected to UTM 38S at 30 m, one
observer 30 m above ground on Ngazidja, targets 1.5 m, 20 km radius, k = 4/3.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numba
import numpy as np
from rasterio.crs import CRS

from benchmarks.common import COMOROS, best_of, table
from benchmarks.peers import gdal_viewshed
from rural_plan.grid import build_grid
from rural_plan.propagation.viewshed import line_of_sight

OBSERVER_LONLAT = (43.33, -11.60)  # north-central Ngazidja, on the slopes of La Grille
H_OBS_M, H_TGT_M, RADIUS_M, K = 30.0, 1.5, 20_000.0, 4.0 / 3.0


def comoros_30m():
    return build_grid(
        dem_paths=(COMOROS / "com_dem_srtm1_1arcsec.tif",),
        population_path=COMOROS / "com_ppp_2020_UNadj.tif",
        cell_size_m=30.0,
    )


def observer_cell(grid) -> tuple[int, int]:
    import rasterio.warp

    xs, ys = rasterio.warp.transform(
        "EPSG:4326", grid.crs, [OBSERVER_LONLAT[0]], [OBSERVER_LONLAT[1]]
    )
    r, c = grid.rowcol_of(np.array(xs), np.array(ys))
    return int(r[0]), int(c[0])


def _grass_viewshed(grid, r0, c0) -> np.ndarray | None:
    """Boolean visibility from GRASS r.viewshed (exact), or None when GRASS is absent."""
    grass = shutil.which("grass")
    if grass is None:
        return None
    import rasterio

    with tempfile.TemporaryDirectory() as tmp:
        dem = Path(tmp) / "dem.tif"
        out = Path(tmp) / "vs.tif"
        with rasterio.open(
            dem,
            "w",
            driver="GTiff",
            width=grid.shape[1],
            height=grid.shape[0],
            count=1,
            dtype="float64",
            crs=grid.crs,
            transform=grid.transform,
        ) as ds:
            ds.write(grid.elevation_m, 1)
        x, y = grid.xy_of(np.array([r0]), np.array([c0]))
        script = (
            f"r.in.gdal input={dem} output=dem --quiet && g.region raster=dem && "
            f"r.viewshed -c -r -b input=dem output=vs coordinates={x[0]},{y[0]} "
            f"observer_elevation={H_OBS_M} target_elevation={H_TGT_M} "
            f"max_distance={RADIUS_M} refraction_coeff={1 - 1 / K} memory=4000 --quiet && "
            f"r.out.gdal input=vs output={out} --quiet"
        )
        res = subprocess.run(
            [grass, "--tmp-project", grid.crs, "--exec", "bash", "-c", script],
            capture_output=True,
            text=True,
        )
        if res.returncode != 0 or not out.exists():
            res = subprocess.run(
                [grass, "--tmp-location", grid.crs, "--exec", "bash", "-c", script],
                capture_output=True,
                text=True,
            )
        if not out.exists():
            print("GRASS r.viewshed failed:", res.stderr[-500:])
            return None
        with rasterio.open(out) as ds:
            return ds.read(1) == 1


def line_of_sight_vs_gdal() -> tuple[list[str], dict]:
    grid = comoros_30m()
    r0, c0 = observer_cell(grid)
    elev = np.ascontiguousarray(grid.elevation_m)

    def ours(threads: int):
        numba.set_num_threads(threads)
        line_of_sight(grid, r0, c0, h_obs_m=H_OBS_M, h_tgt_m=H_TGT_M, radius_m=RADIUS_M, k_factor=K)
        return best_of(
            lambda: line_of_sight(
                grid, r0, c0, h_obs_m=H_OBS_M, h_tgt_m=H_TGT_M, radius_m=RADIUS_M, k_factor=K
            )
        )

    t1, t2 = ours(1), ours(numba.config.NUMBA_NUM_THREADS)
    vs = line_of_sight(
        grid, r0, c0, h_obs_m=H_OBS_M, h_tgt_m=H_TGT_M, radius_m=RADIUS_M, k_factor=K
    )
    cells = int(vs.in_range.sum())
    row = {
        "instance": f"Comoros 30 m, {grid.shape[0]}x{grid.shape[1]}, r=20 km",
        "cells_in_range": cells,
        "rural_plan_1_core_ns_per_cell": round(t1 / cells * 1e9, 2),
        "rural_plan_2_cores_ns_per_cell": round(t2 / cells * 1e9, 2),
    }
    lib = gdal_viewshed.load()
    if lib is not None:
        wkt = CRS.from_string(grid.crs).to_wkt()

        def gdal_run():
            return gdal_viewshed.viewshed(
                lib,
                elev,
                r0,
                c0,
                h_obs_m=H_OBS_M,
                h_tgt_m=H_TGT_M,
                radius_m=RADIUS_M,
                cell_m=grid.cell_size_m,
                k_factor=K,
                wkt=wkt,
            )

        runs = [gdal_run() for _ in range(7)]
        g = runs[0]
        tg = min(r.seconds for r in runs)
        sub = g.visible[vs.row_offset - g.row_offset :, vs.col_offset - g.col_offset :]
        sub = sub[: vs.codes.shape[0], : vs.codes.shape[1]]
        both = (vs.codes < 2) & (sub < 2)
        row.update(
            {
                "gdal": g.version,
                "gdal_1_core_ns_per_cell": round(tg / cells * 1e9, 2),
                "speedup_1_core": round(tg / t1, 2),
                "speedup_2_cores": round(tg / t2, 2),
                "agreement_with_gdal_pct": round(
                    100 * float((vs.codes[both] == sub[both]).mean()), 4
                ),
            }
        )
    exact = _grass_viewshed(grid, r0, c0)
    if exact is not None:
        win = exact[
            vs.row_offset : vs.row_offset + vs.codes.shape[0],
            vs.col_offset : vs.col_offset + vs.codes.shape[1],
        ]
        inr = vs.in_range
        row["agreement_with_grass_r_viewshed_pct"] = round(
            100 * float((vs.visible[inr] == win[inr]).mean()), 4
        )
    lines = [
        "## Line of sight: one site, rural_plan vs GDAL viewshed (same run)",
        "",
        f"Observer {OBSERVER_LONLAT} lon/lat, {H_OBS_M:g} m above ground; targets "
        f"{H_TGT_M:g} m; radius {RADIUS_M / 1000:g} km; k = 4/3. Best of 7 runs each; GDAL "
        "is Debian's libgdal called in-process (ctypes), single-threaded.",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in row.items()]
    return lines, {"grid": grid, "observer": (r0, c0), "viewshed": vs}


# --------------------------------------------------------------------------------------
# Point-to-area models on real terrain, per site and for many sites
# --------------------------------------------------------------------------------------
import math  # noqa: E402
import time  # noqa: E402

import numba as nb  # noqa: E402

from benchmarks.peers import itmlogic_p2p  # noqa: E402
from rural_plan.propagation._itm import (  # noqa: E402
    _ground_constants,
    itm_p2p_tls_kernel,
    quick_profile,
)
from rural_plan.propagation._radial import (  # noqa: E402
    locations_windows,
    owned_cells,
    owned_samples,
    radial_profiles,
    ray_targets,
)
from rural_plan.propagation.itm import itm_p2p_cr  # noqa: E402
from rural_plan.propagation.models import PROPAGATION_MODELS  # noqa: E402

ITM_PARAMS = np.array([301.0, 1.0, 15.0, 0.005, 5.0, 12.0, 50.0, 50.0, 50.0])
MODEL_PARAMS = {
    "itm": ITM_PARAMS,
    "delta-bullington": np.array([2.0]),
    "okumura-hata": np.array([3.0]),
    "3gpp-rma": np.array([5.0, 20.0]),
}


PLANNING_CAP_DB = 131.75
"""The planning sweep's loss cap in the rows marked "planning": the demo's light pole
(15 m) has a loss budget of 149.48 dB, and its least P.2108 clutter loss is 17.73 dB, so
no cell with a path loss above 131.75 dB can be covered (``point_to_area.loss_caps``)."""


def comoros_90m():
    return build_grid(
        dem_paths=(COMOROS / "com_dem_srtm1_1arcsec.tif",),
        population_path=COMOROS / "com_ppp_2020_UNadj.tif",
        cell_size_m=90.0,
    )


@nb.njit(cache=True)
def bare_radial_read(elev, rows, cols, radius_cells):
    """The floor: read the DEM at the cells along every ray of every site, nothing else."""
    ray_dr, ray_dc = ray_targets(radius_cells)
    total = 0.0
    n_rows, n_cols = elev.shape
    for q in range(rows.shape[0]):
        for j in range(ray_dr.shape[0]):
            for i in range(1, radius_cells + 1):
                r = rows[q] + (i * ray_dr[j]) // radius_cells
                c = cols[q] + (i * ray_dc[j]) // radius_cells
                if 0 <= r < n_rows and 0 <= c < n_cols:
                    total += elev[r, c]
    return total


@nb.njit(parallel=True, cache=True)
def bare_radial_read_sites(elev, rows, cols, radius_cells, totals):
    """:func:`bare_radial_read` for many sites in parallel (the many-sites floor)."""
    ray_dr, ray_dc = ray_targets(radius_cells)
    n_rows, n_cols = elev.shape
    for q in nb.prange(rows.shape[0]):
        total = 0.0
        for j in range(ray_dr.shape[0]):
            for i in range(1, radius_cells + 1):
                r = rows[q] + (i * ray_dr[j]) // radius_cells
                c = cols[q] + (i * ray_dc[j]) // radius_cells
                if 0 <= r < n_rows and 0 <= c < n_cols:
                    total += elev[r, c]
        totals[q] = total


@nb.njit(cache=True)
def itm_many(profiles, lengths, steps, h_tx, h_rx, f_mhz, n_s, pol, out):
    """rural_plan's ITM kernel over many profiles, one after the other (CR 50 % / 50 %)."""
    scratch = np.empty(16)
    for k in range(lengths.shape[0]):
        out[k] = itm_p2p_tls_kernel(
            profiles[k, : lengths[k]],
            steps[k],
            h_tx,
            h_rx,
            n_s,
            f_mhz,
            pol,
            15.0,
            0.005,
            5,
            12,
            50.0,
            50.0,
            50.0,
            scratch,
        )


@nb.njit(cache=True)
def itm_profile_analysis_many(profiles, lengths, steps, h_tx, h_rx, gamma_e, out):
    """Only the profile analysis of the ITM kernel (horizons, Δh, effective heights)."""
    for k in range(lengths.shape[0]):
        out[k] = quick_profile(profiles[k, : lengths[k]], steps[k], gamma_e, h_tx, h_rx)[6]


def _site_cells(grid, radius_m):
    r = math.ceil(radius_m / grid.cell_size_m)
    return sum(
        1
        for a in range(-r, r + 1)
        for b in range(-r, r + 1)
        if (a * a + b * b) * grid.cell_size_m**2 <= radius_m**2
    )


def land_sites(grid, n, seed=0):
    rng = np.random.default_rng(seed)
    rows, cols = np.nonzero(grid.land & (grid.population > 0))
    pick = rng.choice(rows.size, size=min(n, rows.size), replace=False)
    order = np.lexsort((cols[pick], rows[pick]))
    return rows[pick][order].astype(np.int64), cols[pick][order].astype(np.int64)


def _windows(grid, rows, cols, model, radius_m=15_000.0, h_tx=15.0, cap_db=np.inf):
    r = math.ceil(radius_m / grid.cell_size_m)
    out = np.empty((rows.size, 2 * r + 1, 2 * r + 1), dtype=np.float32)
    locations_windows(
        np.ascontiguousarray(grid.elevation_m),
        rows,
        cols,
        np.arange(rows.size + 1, dtype=np.int64),
        r,
        radius_m,
        grid.cell_size_m,
        np.full(rows.size, h_tx),
        1.5,
        900.0,
        4 / 3,
        PROPAGATION_MODELS[model].code,
        MODEL_PARAMS.get(model, np.zeros(0)),
        np.full(rows.size, cap_db),
        out,
    )
    return out


ITM_KW = dict(h_tx_m=15.0, h_rx_m=1.5, f_mhz=900.0, pol=1, epsilon=15.0, sigma=0.005, climate=5)


def itm_profiles(grid):
    """The 672 ITM benchmark profiles: every 16th ray of 8 Ngazidja sites, cut to 20-168 points.

    Returns (profiles, steps_m, labels). A ray to perimeter offset (dr, dc) of the 167-cell
    window has 167 steps of 90 m · √(dr² + dc²)/167, so spacings run from 90 to 127 m.
    """
    rows, cols = land_sites(grid, 8, seed=1)
    r = 167
    ray_dr, ray_dc = ray_targets(r)
    profiles, steps, labels = [], [], []
    for q in range(rows.size):
        heights = np.empty((ray_dr.size, r + 1))
        n_valid = np.empty(ray_dr.size, dtype=np.int64)
        radial_profiles(
            np.ascontiguousarray(grid.elevation_m),
            rows[q],
            cols[q],
            r,
            ray_dr,
            ray_dc,
            heights,
            n_valid,
        )
        for j in range(0, ray_dr.size, 16):
            n = int(n_valid[j])
            length = 20 + (j * 7) % max(1, n - 20)
            profiles.append(heights[j, :length].copy())
            steps.append(grid.cell_size_m * math.hypot(ray_dr[j], ray_dc[j]) / r)
            labels.append(f"site {q}, ray ({ray_dr[j]}, {ray_dc[j]})")
    return profiles, np.asarray(steps), labels


def _share(diffs, tol=0.05) -> str:
    within = int((diffs <= tol).sum())
    return f"{100 * within / diffs.size:.1f} % ({within} of {diffs.size})"


def itm_vs_itmlogic(grid) -> list[str]:
    """Same real profiles through rural_plan's ITM and itmlogic: values and per-call time.

    Values are compared twice: with itmlogic as published, and with the one value its
    ``qlrpfl`` gets wrong on clear paths corrected (the receiver's effective height taken
    over z_n, not z_{n-1}; see ``benchmarks/peers/itmlogic_p2p.py``). What then remains
    (< 0.02 dB) is ITM 1.2.2's constants against NTIA's C++ 1.4, which rural_plan follows;
    given 1.2.2's constants (line-of-sight weight 0.021/(0.021 + kΔh/…), 4.343 ln for
    10 log10, the smooth-earth terms in 151 (a k)^{1/3} form, A_fo in 2.171 ln form),
    rural_plan's kernel reproduced the corrected itmlogic on these profiles within
    0.00035 dB (max; the line-of-sight weight alone accounts for 0.0198 -> 0.0043 dB).
    """
    from rural_plan.propagation.itm import PathType

    profiles, steps, labels = itm_profiles(grid)
    n = len(profiles)
    ours = [
        itm_p2p_cr(
            elevations_m=z,
            step_m=step,
            reliability_pct=50.0,
            confidence_pct=50.0,
            n0=301.0,
            mdvar=12,
            ns_direct=True,
            **ITM_KW,
        )
        for z, step in zip(profiles, steps, strict=True)
    ]
    peer_kw = dict(n_s=301.0, reliability_pct=50.0, confidence_pct=50.0, **ITM_KW)
    raw = [itmlogic_p2p.p2p_cr(z, st, **peer_kw) for z, st in zip(profiles, steps, strict=True)]
    fixed = [
        itmlogic_p2p.p2p_cr_db(z, st, receiver_ground_fix=True, **peer_kw)
        for z, st in zip(profiles, steps, strict=True)
    ]
    loss = np.array([o.loss_db for o in ours])
    d_raw = np.abs(loss - np.array([v for v, _ in raw]))
    d_fix = np.abs(loss - np.array(fixed))
    clear = np.array([o.path_type == PathType.LINE_OF_SIGHT for o in ours])
    over = d_raw > 0.05
    worst = int(np.argmax(d_raw))
    z_w = profiles[worst]

    # Per-call time, same profiles and inputs, one core. itmlogic: the whole Python call
    # per profile; rural_plan: the numba kernel in a numba loop, and the Python API.
    padded = np.zeros((n, max(z.size for z in profiles)))
    for k, z in enumerate(profiles):
        padded[k, : z.size] = z
    lens = np.array([z.size for z in profiles], dtype=np.int64)
    out = np.empty(n)
    nb.set_num_threads(1)
    itm_many(padded, lens, steps, 15.0, 1.5, 900.0, 301.0, 1, out)
    assert np.array_equal(out, loss)  # the timed loop computes the compared values
    t_kernel = best_of(
        lambda: itm_many(padded, lens, steps, 15.0, 1.5, 900.0, 301.0, 1, out), repeat=15
    )

    def peer_pass():
        for z, st in zip(profiles, steps, strict=True):
            itmlogic_p2p.p2p_cr_db(z, st, **peer_kw)

    def api_pass():
        for z, st in zip(profiles, steps, strict=True):
            itm_p2p_cr(
                elevations_m=z,
                step_m=st,
                reliability_pct=50.0,
                confidence_pct=50.0,
                n0=301.0,
                mdvar=12,
                ns_direct=True,
                **ITM_KW,
            )

    gamma_e = _ground_constants(301.0, 900.0, 1, 15.0, 0.005)[0]
    dh = np.empty(n)
    itm_profile_analysis_many(padded, lens, steps, 15.0, 1.5, gamma_e, dh)
    t_profile = best_of(
        lambda: itm_profile_analysis_many(padded, lens, steps, 15.0, 1.5, gamma_e, dh),
        repeat=15,
    )
    t_peer = best_of(peer_pass, repeat=3)
    t_api = best_of(api_pass, repeat=3)
    nb.set_num_threads(nb.config.NUMBA_NUM_THREADS)
    return [
        "## ITM point-to-point: rural_plan vs itmlogic 1.2 (same profiles, same run)",
        "",
        f"{n} real radial profiles of Ngazidja (Comoros SRTM at 90 m; every 16th ray of 8 "
        f"sites, {lens.min()}-{lens.max()} points spaced {steps.min():.0f}-{steps.max():.0f} "
        "m), 900 MHz, 15 m / 1.5 m, vertical, N_s 301, CR 50 % / 50 %.",
        "",
        f"- itmlogic as published: max |rural_plan - itmlogic| {d_raw.max():.4f} dB, mean "
        f"{d_raw.mean():.5f} dB; within 0.05 dB: {_share(d_raw)} of the profiles.",
        f"- {int(over.sum())} profiles are over 0.05 dB, {int((over & clear).sum())} of them "
        f"clear paths ({int(clear.sum())} clear paths in all). On clear paths (horizons "
        "found on the profile adding up to >= 1.5 d) itmlogic's `qlrpfl` measures the "
        "receiver's effective height over `pfl[np+1]`, the sample before the receiver, "
        "instead of `pfl[np+2]`, the receiver's own ground, which its other branch, ITM "
        "1.2.2 and NTIA's C++ `QuickPfl` use. Worst: "
        f"{labels[worst]}, {1e-3 * ours[worst].d_m:.2f} km: h_e2 {ours[worst].h_e_m[1]:.2f} m "
        f"(rural_plan) vs {raw[worst][1]['he'][1]:.2f} m (itmlogic), the ground rising "
        f"{z_w[-1] - z_w[-2]:.1f} m over the last step; {d_raw[worst]:.2f} dB.",
        f"- itmlogic with that one value corrected: max {d_fix.max():.4f} dB, mean "
        f"{d_fix.mean():.5f} dB; within 0.05 dB: {_share(d_fix)}. The rest is ITM 1.2.2's "
        "constants against NTIA's C++ 1.4, which rural_plan follows (0.0 dB on NTIA's "
        "oracles), chiefly the line-of-sight weight 0.021/(0.021 + kΔh/max(d_sML, 10 km)) "
        "against 1/(1 + fΔh/max(d_sML, 10 km)).",
        "",
        "Time per call, one core, best of repeated passes over all profiles:",
        "",
        f"- itmlogic: {1e3 * t_peer / n:.3f} ms (one Python call per profile: its `prop` "
        "dict from the inputs, `qlrpfl` = horizons, Δh, effective heights, reference "
        "attenuation; `avar`; free-space loss)",
        f"- rural_plan kernel: {1e6 * t_kernel / n:.2f} µs (`itm_p2p_tls_kernel` called from "
        "a numba loop over the same profiles: the same steps, no input checks, no Python "
        f"objects); {t_peer / t_kernel:,.0f}x itmlogic",
        f"- rural_plan from Python, one call at a time (`itm_p2p_cr`: input checks, kernel, "
        f"`ItmResult`): {1e6 * t_api / n:.1f} µs; {t_peer / t_api:,.0f}x itmlogic",
        "",
        "The issue's 1,000x is not reachable per call: it would mean "
        f"{1e9 * t_peer / n / 1000:.0f} ns per profile. Of the kernel's "
        f"{1e6 * t_kernel / n:.2f} µs, {1e6 * t_profile / n:.2f} µs is the profile analysis, "
        f"which reads each of the {lens.mean():.0f} points (mean) in four passes (horizons, "
        "Δh resampling, its deciles, terrain fit); the rest evaluates some 75-80 "
        "exp/log/pow/sqrt/sin/cos (reference attenuation at up to six distances, "
        "variability, free space) at ~10-20 ns each.",
        "",
    ]


def per_site_models(grid) -> list[str]:
    rows, cols = land_sites(grid, 4, seed=2)
    cells = _site_cells(grid, 15_000.0)
    elev = np.ascontiguousarray(grid.elevation_m)
    r = 167
    nb.set_num_threads(1)
    out = [
        "## Point-to-area, one site: 15 km radius at 90 m, one core",
        "",
        f"{cells:,} cells per site; best of 3 over 4 Ngazidja sites (each run: all 4 in one "
        "call, time divided by 4). The floor is measured before and after the models, the "
        "smaller kept.",
        "",
    ]

    def floor_now():
        return best_of(lambda: bare_radial_read(elev, rows, cols, r), repeat=5) / rows.size

    bare_radial_read(elev, rows, cols, r)
    t_floor = floor_now()
    times = {}
    for model in (
        "fspl-los",
        "fspl-knife-edge",
        "okumura-hata",
        "3gpp-rma",
        "bullington",
        "delta-bullington",
        "deygout",
        "itm",
    ):
        _windows(grid, rows[:1], cols[:1], model)
        times[model] = best_of(lambda m=model: _windows(grid, rows, cols, m), repeat=3) / rows.size
    for model in ("bullington", "delta-bullington", "deygout"):
        times[f"{model}, planning"] = (
            best_of(lambda m=model: _windows(grid, rows, cols, m, cap_db=PLANNING_CAP_DB), repeat=3)
            / rows.size
        )
    t_floor = min(t_floor, floor_now())
    rows_tab = [
        {
            "model": model,
            "s_per_site": round(t, 4),
            "ns_per_cell": round(t / cells * 1e9, 1),
            "x_bare_read_floor": round(t / t_floor, 2),
        }
        for model, t in times.items()
    ]

    # Where fspl-knife-edge's time goes: the terrain samples along the rays, the geometry
    # every call computes once (which ray sample owns which cell), the rest (horizon pass
    # and losses written to the owned cells).
    ray_dr, ray_dc = ray_targets(r)
    heights = np.empty((ray_dr.size, r + 1))
    n_valid = np.empty(ray_dr.size, dtype=np.int64)

    def profiles():
        for q in range(rows.size):
            radial_profiles(elev, rows[q], cols[q], r, ray_dr, ray_dc, heights, n_valid)

    def geometry():
        used = owned_samples(r, 15_000.0, grid.cell_size_m, ray_dr, ray_dc)
        owned_cells(used, ray_dr, ray_dc, r)

    profiles()
    geometry()
    t_prof = best_of(profiles, repeat=5) / rows.size
    t_geom_call = best_of(geometry, repeat=5)
    t_ke = times["fspl-knife-edge"]
    t_rest = t_ke - t_prof - t_geom_call / rows.size
    samples = ray_dr.size * r

    def ns(t):
        return f"{t / cells * 1e9:.1f} ns per cell ({t / t_floor:.2f}x the floor)"

    out += table(rows_tab)
    out += [
        "",
        f"Bare loop reading the DEM along the same radials: {t_floor * 1e3:.2f} ms per "
        f"site ({t_floor / cells * 1e9:.1f} ns per cell; {samples:,} ray samples, "
        f"{samples / cells:.2f} per cell). The radial sweep with the incremental model "
        f"(fspl-knife-edge) costs {t_ke / t_floor:.2f}x that floor (the issue's target: "
        "within 3x). Its time, measured apart in the same run:",
        "",
        f"- terrain profiles (interpolated between the two cells across each ray, the "
        f"other axis exact on a cell centre): {ns(t_prof)};",
        f"- the per-call geometry (which ray sample owns which window cell, "
        f"{t_geom_call * 1e3:.2f} ms per call whatever the number of sites, here shared by "
        f"{rows.size}; a pipeline chunk holds hundreds of options): "
        f"{ns(t_geom_call / rows.size)};",
        f"- the rest, {ns(t_rest)}: the horizon pass over every sample (one division "
        "each) and, per owned cell, a division and a logarithm, plus for cells behind an "
        "edge with ν > -0.78 a division and two square roots (J(ν) shares the free-space "
        "logarithm); filling and writing the window.",
        "",
        f'"planning": the sweep `covered_demand` runs, with a loss cap of '
        f"{PLANNING_CAP_DB} dB (`PLANNING_CAP_DB`): past it the terms that can only add "
        "loss are skipped (delta-Bullington: the spherical-earth loss and L_bulls once free "
        "space plus L_bulla exceed the cap; Bullington and Deygout: diffraction once free "
        "space does), the same covered cells. One-site maps (`site_loss_window`) run "
        "without a cap.",
        "",
        "fspl-los skips the diffraction term; the empirical models (Okumura-Hata, 3GPP "
        "RMa) evaluate their formula per sample; Bullington and delta-Bullington are "
        "incremental along the ray (an upper convex hull of the profile carried along, "
        "O(log R) queries per sample) but pay two J(nu) and, for delta-Bullington, the "
        "spherical-earth loss per sample; Deygout evaluates the whole profile from the "
        "site to every owned cell (O(R) per cell); ITM runs along each ray "
        "(`_itm_ray.py`: N_s from prefix sums, horizons over a convex hull carried along) "
        "but its interdecile Δh resamples each cell's stretch at up to 245 points and its "
        "reference attenuation evaluates some 75 transcendental functions per cell, so "
        "the floor's 3x is out of their reach.",
        "",
    ]
    nb.set_num_threads(nb.config.NUMBA_NUM_THREADS)
    return out


MANY_SITES_MODELS = ("fspl-knife-edge", "delta-bullington", "itm")

# Compiles (or loads from the cache) the sweep the many-sites benchmark calls, with its
# argument types, on tiny inputs; prints the seconds and numba's cache misses and hits.
_MANY_SITES_COMPILE_PROBE = """
import time
import numpy as np
from rural_plan.propagation._radial import locations_windows
from rural_plan.propagation.models import PROPAGATION_MODELS
params = {params!r}
t0 = time.perf_counter()
for name in {models!r}:
    locations_windows(
        np.zeros((8, 8)), np.array([4]), np.array([4]), np.array([0, 1]), 1, 90.0, 90.0,
        np.full(1, 15.0), 1.5, 900.0, 4 / 3, PROPAGATION_MODELS[name].code,
        np.array(params.get(name, []), dtype=np.float64), np.full(1, np.inf),
        np.empty((1, 3, 3), dtype=np.float32),
    )
st = locations_windows.stats
print(time.perf_counter() - t0, sum(st.cache_misses.values()), sum(st.cache_hits.values()))
"""


def many_sites_compile_seconds() -> list[tuple[float, int, int]]:
    """(seconds, cache misses, cache hits) of the many-sites kernels' first call in two
    fresh processes sharing an empty numba cache: the first compiles, the second loads."""
    import os
    import sys

    from benchmarks.common import REPO

    probe = _MANY_SITES_COMPILE_PROBE.format(
        params={k: v.tolist() for k, v in MODEL_PARAMS.items()}, models=MANY_SITES_MODELS
    )
    cache = Path(tempfile.mkdtemp(prefix="numba-cache-"))
    env = os.environ | {"NUMBA_CACHE_DIR": str(cache)}
    try:
        runs = []
        for _ in range(2):
            out = subprocess.run(
                [sys.executable, "-c", probe],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=REPO,
            )
            t, misses, hits = out.stdout.strip().splitlines()[-1].split()
            runs.append((float(t), int(misses), int(hits)))
        return runs
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def many_sites(grid, n_sites: int = 1000) -> list[str]:
    (t_cold, miss_cold, _), (t_warm, miss_warm, hit_warm) = many_sites_compile_seconds()
    rows, cols = land_sites(grid, n_sites, seed=3)
    per_site = _site_cells(grid, 15_000.0)
    cells = per_site * rows.size
    threads = nb.config.NUMBA_NUM_THREADS
    nb.set_num_threads(threads)
    elev = np.ascontiguousarray(grid.elevation_m)
    totals = np.empty(rows.size)
    bare_radial_read_sites(elev, rows, cols, 167, totals)
    t_floor = best_of(lambda: bare_radial_read_sites(elev, rows, cols, 167, totals), repeat=3)

    def sweep(model, cap_db=np.inf):
        chunk = 16
        for lo in range(0, rows.size, chunk):
            _windows(grid, rows[lo : lo + chunk], cols[lo : lo + chunk], model, cap_db=cap_db)

    tab = [
        {
            "model": "bare DEM read (floor)",
            "seconds": round(t_floor, 2),
            "ns_per_cell_per_core": round(t_floor * threads / cells * 1e9, 1),
            "cells_per_s_per_core": f"{cells / t_floor / threads:,.0f}",
            "x_bare_read_floor": 1.0,
        }
    ]
    runs = [(model, model, np.inf) for model in MANY_SITES_MODELS]
    runs.insert(2, ("delta-bullington, planning", "delta-bullington", PLANNING_CAP_DB))
    for label, model, cap in runs:
        if model == "fspl-knife-edge":  # seconds: best of 3 like the floor
            t = best_of(lambda m=model: sweep(m), repeat=3)
        else:  # minutes: one pass
            t0 = time.perf_counter()
            sweep(model, cap)
            t = time.perf_counter() - t0
        tab.append(
            {
                "model": label,
                "seconds": round(t, 2 if t < 10 else 1),
                "ns_per_cell_per_core": round(t * threads / cells * 1e9, 1),
                "cells_per_s_per_core": f"{cells / t / threads:,.0f}",
                "x_bare_read_floor": round(t / t_floor, 2),
            }
        )
    ke = tab[1]["x_bare_read_floor"]
    db = tab[2]["x_bare_read_floor"]
    db_plan = tab[3]["x_bare_read_floor"]
    return [
        f"## Many sites: {rows.size} sites over the Comoros DEM at 90 m, 15 km radius, "
        f"{threads} threads",
        "",
        f"{rows.size} random populated land cells of the three islands, {per_site:,} cells "
        f"each ({cells:,} in all), in chunks of 16 sites; every model is the same radial "
        "sweep (`locations_windows`). The floor is a bare loop reading the DEM at the "
        "cells along the same radials of the same sites, on the same threads, best of 3; "
        "fspl-knife-edge best of 3, the others one pass.",
        "",
        *table(tab),
        "",
        f"- fspl-knife-edge, the incremental radial model (one pass per ray, the horizon "
        f"carried along), costs {ke:.2f}x the bare read per cell "
        f"({'within' if ke <= 3 else 'over'} the issue's 3x). delta-Bullington is "
        "incremental too (convex-hull queries, O(log R) a sample) but evaluates two "
        "Bullington constructions, two J(nu) and the P.526 spherical-earth loss per "
        "sample: its cost is arithmetic, not terrain reads, and stays an order of "
        f"magnitude above the floor ({db:.2f}x; the issue's target: 30x). The planning "
        f"sweep (`covered_demand`, loss cap {PLANNING_CAP_DB} dB: the demo light pole's "
        "budget net of its least clutter loss) skips the spherical-earth loss and L_bulls "
        "where free space plus L_bulla already exceed the cap, and covers the same cells: "
        f"{db_plan:.2f}x. ITM runs along each ray too (horizons and N_s "
        "carried along) but resamples each cell's stretch for Δh (up to 245 points) and "
        "evaluates its reference attenuation per cell, two orders of magnitude above the "
        "floor by construction. The 3x target is met by fspl-knife-edge only.",
        f"- JIT compile of the sweep these rows call (`locations_windows`: every model is "
        f"one dispatch, so all are compiled together), first call in a fresh process: "
        f"{t_cold:.2f} s with an empty numba cache ({miss_cold} signature compiled), "
        f"{t_warm:.2f} s "
        f"in a second process with that cache warm ({miss_warm} compiled, {hit_warm} "
        "loaded from the cache). Not in the times above: the kernels were loaded before.",
        "",
    ]


def site_coverage_png(grid, path) -> list[str]:
    """Best-server received power of one Ngazidja site (delta-Bullington), over hillshade."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rural_plan.propagation import RadioSettings, site_loss_window

    rows, cols = land_sites(grid, 1, seed=5)
    radio = RadioSettings("delta-bullington", 900.0, 1.5, 4 / 3, 15_000.0, (2.0,))
    loss = site_loss_window(grid, int(rows[0]), int(cols[0]), 15.0, radio)
    r = (loss.shape[0] - 1) // 2
    sl = (slice(rows[0] - r, rows[0] + r + 1), slice(cols[0] - r, cols[0] + r + 1))
    elev = grid.elevation_m[sl]
    gy, gx = np.gradient(elev, grid.cell_size_m)
    shade = np.clip(0.5 + 0.5 * (-gx - gy) / np.sqrt(1 + gx**2 + gy**2), 0, 1)
    rx = 56.0 - loss
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    ax.imshow(shade, cmap="gray", extent=(-r * 0.09, r * 0.09, -r * 0.09, r * 0.09))
    im = ax.imshow(
        np.where(rx >= -110, rx, np.nan),
        cmap="viridis",
        alpha=0.75,
        vmin=-110,
        vmax=-40,
        extent=(-r * 0.09, r * 0.09, -r * 0.09, r * 0.09),
    )
    ax.plot(0, 0, "r^", ms=9)
    ax.set_xlabel("east of site [km]")
    ax.set_ylabel("north of site [km]")
    ax.set_title(
        "Ngazidja light site (15 m, 56 dBm EIRP, 900 MHz): received power\n"
        'delta-Bullington over SRTM 1" at 90 m; blank: below -110 dBm or sea'
    )
    fig.colorbar(im, ax=ax, label="received power [dBm]")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return [f"Coverage map of one Ngazidja site: `{Path(path).name}`.", ""]
