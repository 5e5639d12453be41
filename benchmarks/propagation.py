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

from benchmarks.common import COMOROS, best_of
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
