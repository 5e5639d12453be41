"""One site's coverage map, as SPLAT! and Signal-Server users expect: the guts of
``rural-plan coverage``.

The DEM is warped onto a metric grid centred on the site (:func:`grid.site.site_terrain`)
and the planner's own sweep computes the path loss to every cell within the radius
(:func:`propagation.point_to_area.site_loss_window`: the same kernels and settings as a
scenario with that ``radio`` section, the site's rays spread over the numba threads). The
map is written as a Cloud-Optimised GeoTIFF: band 1 ``path_loss_db`` (the total basic
transmission loss, with the handset's P.2108 clutter correction when a clutter type is
given), band 2 ``rx_dbm`` = EIRP − path loss when an EIRP is given; cells beyond the
radius, outside the DEM or where the model has no answer are nodata (NaN).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rural_plan._version import __version__
from rural_plan.grid.site import SiteTerrain, site_terrain
from rural_plan.io.rasters import check_output_file, write_geotiff_file
from rural_plan.propagation.clutter import DEFAULT_CLUTTER_HEIGHT_M, height_gain_correction_db
from rural_plan.propagation.point_to_area import site_loss_window
from rural_plan.propagation.settings import RadioSettings
from rural_plan.propagation.warm import warm_site_window
from rural_plan.scenario.schema import Radio

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Clutter:
    """P.2108-1 §3.1 clutter around the handset, the same in every cell."""

    type: str
    street_width_m: float
    height_m: float | None = None
    """Representative clutter height R [m]; None: Table 3's for the type."""


@dataclass(frozen=True)
class CoverageMap:
    path_loss_db: np.ndarray
    """(2R + 1)² float32 [dB], NaN where there is no value."""
    rx_dbm: np.ndarray | None
    """EIRP − path loss [dBm] (float32, NaN likewise), with an EIRP."""
    terrain: SiteTerrain
    radio: RadioSettings
    h_tx_m: float
    eirp_dbm: float | None
    clutter_loss_db: float
    clutter: Clutter | None
    compile_seconds: float
    """Loading (or compiling) the sweep's kernel before it runs."""
    terrain_seconds: float
    propagation_seconds: float

    @property
    def cells(self) -> int:
        """Cells with a path loss."""
        return int(np.isfinite(self.path_loss_db).sum())


def coverage_map(
    dem: Path,
    *,
    lon: float,
    lat: float,
    h_tx_m: float,
    radio: Radio,
    cell_size_m: float | None = None,
    eirp_dbm: float | None = None,
    clutter: Clutter | None = None,
) -> CoverageMap:
    """Path loss (and received power) from one site at (lon, lat), ``h_tx_m`` above
    ground, to every cell within ``radio.radius_m``, on cells of ``cell_size_m`` (default:
    the DEM's own). ``radio`` is a scenario's ``radio`` section (model, frequency, handset
    height, k-factor, radius and the model's parameters), already validated."""
    t0 = time.perf_counter()
    warm_site_window(radio.model)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    terrain = site_terrain(
        Path(dem), lon=lon, lat=lat, radius_m=radio.radius_m, cell_size_m=cell_size_m
    )
    terrain_s = time.perf_counter() - t0
    settings = RadioSettings.from_radio(radio)
    t0 = time.perf_counter()
    loss = site_loss_window(terrain.grid, terrain.row, terrain.col, h_tx_m, settings)
    propagation_s = time.perf_counter() - t0
    clutter_db = 0.0
    if clutter is not None:
        height = clutter.height_m
        if height is None:
            height = DEFAULT_CLUTTER_HEIGHT_M.get(clutter.type, 10.0)
        clutter_db = float(
            height_gain_correction_db(
                radio.frequency_mhz, radio.rx_height_m, clutter.street_width_m, height, clutter.type
            )
        )
    loss = loss.astype(np.float32)
    loss[~np.isfinite(loss) | terrain.outside] = np.nan
    if clutter_db:
        loss += np.float32(clutter_db)
    rx = None if eirp_dbm is None else (np.float32(eirp_dbm) - loss).astype(np.float32)
    log.info(
        "coverage: %s, %d cells in %.2f s (terrain %.2f s, kernel load %.2f s)",
        radio.model,
        int(np.isfinite(loss).sum()),
        propagation_s,
        terrain_s,
        compile_s,
    )
    return CoverageMap(
        path_loss_db=loss,
        rx_dbm=rx,
        terrain=terrain,
        radio=settings,
        h_tx_m=float(h_tx_m),
        eirp_dbm=eirp_dbm,
        clutter_loss_db=clutter_db,
        clutter=clutter,
        compile_seconds=compile_s,
        terrain_seconds=terrain_s,
        propagation_seconds=propagation_s,
    )


def _tags(cmap: CoverageMap, lon: float, lat: float) -> dict[str, str]:
    r = cmap.radio
    tags = {
        "rural_plan_version": __version__,
        "model": r.model,
        "model_params": ",".join(f"{p:g}" for p in r.params),
        "f_mhz": f"{r.f_mhz:g}",
        "h_tx_m": f"{cmap.h_tx_m:g}",
        "h_rx_m": f"{r.h_rx_m:g}",
        "radius_m": f"{r.radius_m:g}",
        "k_factor": f"{r.k_factor:g}",
        "site_lon": f"{lon:.7f}",
        "site_lat": f"{lat:.7f}",
        "clutter_loss_db": f"{cmap.clutter_loss_db:g}",
    }
    if cmap.eirp_dbm is not None:
        tags["eirp_dbm"] = f"{cmap.eirp_dbm:g}"
    return tags


def check_output(out: Path, *, overwrite: bool = False) -> None:
    """Refuse, before any work, an output :func:`write_coverage` would refuse."""
    check_output_file(out, overwrite=overwrite)


def write_coverage(
    cmap: CoverageMap, out: Path, *, lon: float, lat: float, overwrite: bool = False
) -> float:
    """Write the map to ``out`` (COG, atomically; an existing file only with
    ``overwrite``); returns the seconds it took."""
    t0 = time.perf_counter()
    bands = [cmap.path_loss_db]
    names = ["path_loss_db"]
    if cmap.rx_dbm is not None:
        bands.append(cmap.rx_dbm)
        names.append("rx_dbm")
    grid = cmap.terrain.grid
    write_geotiff_file(
        out,
        bands,
        overwrite=overwrite,
        transform=grid.transform,
        crs=grid.crs,
        descriptions=names,
        nodata=float("nan"),
        tags=_tags(cmap, lon, lat),
    )
    return time.perf_counter() - t0


def summary(
    cmap: CoverageMap, out: Path, *, lon: float, lat: float, write_seconds: float
) -> dict[str, Any]:
    """The JSON line ``rural-plan coverage`` prints."""
    grid = cmap.terrain.grid
    r = cmap.radio
    finite = np.isfinite(cmap.path_loss_db)
    rr, cc = np.nonzero(finite)
    d_m = np.hypot(rr - cmap.terrain.row, cc - cmap.terrain.col) * grid.cell_size_m
    out_dict: dict[str, Any] = {
        "output": str(out),
        "cells": int(finite.sum()),
        "seconds": round(cmap.terrain_seconds + cmap.propagation_seconds + write_seconds, 3),
        "propagation_seconds": round(cmap.propagation_seconds, 3),
        "terrain_seconds": round(cmap.terrain_seconds, 3),
        "write_seconds": round(write_seconds, 3),
        "compile_seconds": round(cmap.compile_seconds, 3),
        "ns_per_cell": round(cmap.propagation_seconds / max(1, int(finite.sum())) * 1e9, 1),
        "model": r.model,
        "f_mhz": r.f_mhz,
        "h_tx_m": cmap.h_tx_m,
        "h_rx_m": r.h_rx_m,
        "radius_m": r.radius_m,
        "radius_cells": cmap.terrain.radius_cells,
        "cell_size_m": round(grid.cell_size_m, 4),
        "dem_resolution_m": round(cmap.terrain.dem_resolution_m, 4),
        "crs": grid.crs,
        "lon": lon,
        "lat": lat,
        "site_ground_m": round(float(grid.elevation_m[cmap.terrain.row, cmap.terrain.col]), 2),
        "cells_outside_dem": int(cmap.terrain.outside.sum()),
        "clutter_loss_db": round(cmap.clutter_loss_db, 4),
        "path_loss_db_min": _rounded(cmap.path_loss_db, np.nanmin),
        "path_loss_db_median": _rounded(cmap.path_loss_db, np.nanmedian),
        "path_loss_db_max": _rounded(cmap.path_loss_db, np.nanmax),
        "max_distance_m": round(float(d_m.max()), 1) if d_m.size else 0.0,
        "bands": ["path_loss_db"] + (["rx_dbm"] if cmap.rx_dbm is not None else []),
    }
    if cmap.clutter is not None:
        out_dict["clutter_type"] = cmap.clutter.type
    if cmap.eirp_dbm is not None:
        out_dict["eirp_dbm"] = cmap.eirp_dbm
    return out_dict


def _rounded(a: np.ndarray, fn) -> float | None:
    if not np.isfinite(a).any():
        return None
    return round(float(fn(a)), 3)
