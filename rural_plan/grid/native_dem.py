"""The input DEM at its own resolution and in its own CRS, for backhaul hops.

The planning grid resamples terrain (a 90 m cell averages 3 x 3 SRTM 1" posts), which
lowers ridges: a microwave hop that clears the grid can be blocked by the terrain it
crosses. Hops are therefore traced on the DEM the scenario names, post by post, over
the area the plan can reach (the grid, its fibre points of presence and existing
towers, and a margin). Hop ends are given in the grid's metric CRS and mapped to the
DEM's fractional pixel coordinates here, once per node; the kernel samples in pixel
space (see :mod:`rural_plan.backhaul._kernels`).

Missing posts: holes inside the terrain are filled by interpolation; no-data reaching
the edge of the window, and the window beyond the DEM's extent, is sea
(``grid.sea_level_m``), as SRTM leaves the sea (a hop over water sees the water surface,
not the nearest coast's height).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import rasterio.fill
import scipy.ndimage as ndi
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling

from rural_plan.errors import RasterError
from rural_plan.grid.grid import Grid
from rural_plan.io.rasters import raster_info, warp_to_grid
from rural_plan.units import TERRAIN_ELEVATION_RANGE_M

HOP_MARGIN_M = 2_000.0
"""Terrain read beyond the farthest node [m] (hop ends sit on nodes; the margin keeps
the bilinear samples of a node at the edge inside the window)."""


@dataclass(frozen=True)
class NativeDem:
    """Terrain posts of the input DEM over the plan's reach, and how to find a grid
    point on them."""

    elevation_m: np.ndarray
    """Heights [m], float64, C order, defined everywhere (see the module docstring)."""
    transform: Affine
    """Pixel → DEM CRS (north up)."""
    crs: str
    """The DEM's CRS."""
    grid_crs: str
    """The CRS hop ends are given in (the planning grid's, metric)."""
    post_spacing_m: float
    """Ground distance between posts [m] (the larger of the two axes)."""
    source: str
    """What the posts are: the DEM's file name, or 'planning grid'."""

    @classmethod
    def from_grid(cls, grid: Grid) -> NativeDem:
        """The planning grid's own terrain (a region generated in code has no other)."""
        return cls(
            np.ascontiguousarray(grid.elevation_m, dtype=np.float64),
            grid.transform,
            str(grid.crs),
            str(grid.crs),
            float(grid.cell_size_m),
            "planning grid",
        )

    @classmethod
    def from_dem(
        cls,
        dem_paths: tuple[Path, ...],
        grid: Grid,
        *,
        extra_x: np.ndarray | None = None,
        extra_y: np.ndarray | None = None,
        sea_level_m: float = 0.0,
        margin_m: float = HOP_MARGIN_M,
    ) -> NativeDem:
        """Read ``dem_paths`` (mosaicked in order) on the first tile's own pixel grid
        over the grid and the points (``extra_x``, ``extra_y``) [m, grid CRS], with a
        margin. Tiles in another CRS are warped onto that pixel grid (nearest post)."""
        first = raster_info(dem_paths[0])
        rows, cols = grid.shape
        g = grid.transform
        gx0, gy1 = g.c, g.f
        gx1, gy0 = g.c + cols * g.a, g.f + rows * g.e
        xs = np.r_[gx0, gx1, np.asarray(extra_x if extra_x is not None else [], dtype=float)]
        ys = np.r_[gy0, gy1, np.asarray(extra_y if extra_y is not None else [], dtype=float)]
        xs, ys = xs[np.isfinite(xs)], ys[np.isfinite(ys)]
        box_x = np.array([xs.min(), xs.max(), xs.max(), xs.min()]) + margin_m * np.array(
            [-1, 1, 1, -1]
        )
        box_y = np.array([ys.min(), ys.min(), ys.max(), ys.max()]) + margin_m * np.array(
            [-1, -1, 1, 1]
        )
        # the box's outline, densified, in the DEM's CRS (a projected box is curved there)
        t = np.linspace(0.0, 1.0, 33)[:-1]
        ox = np.concatenate([box_x[i] + t * (box_x[(i + 1) % 4] - box_x[i]) for i in range(4)])
        oy = np.concatenate([box_y[i] + t * (box_y[(i + 1) % 4] - box_y[i]) for i in range(4)])
        to_dem = pyproj.Transformer.from_crs(grid.crs, first.crs, always_xy=True)
        dx, dy = to_dem.transform(ox, oy)
        pc, pr = _apply(~first.transform, np.asarray(dx), np.asarray(dy))
        c0, c1 = math.floor(np.min(pc)) - 1, math.ceil(np.max(pc)) + 1
        r0, r1 = math.floor(np.min(pr)) - 1, math.ceil(np.max(pr)) + 1
        t0 = first.transform
        transform = Affine(
            t0.a, t0.b, t0.c + t0.a * c0 + t0.b * r0, t0.d, t0.e, t0.f + t0.d * c0 + t0.e * r0
        )
        shape = (r1 - r0, c1 - c0)
        if shape[0] * shape[1] > 400_000_000:
            raise RasterError(
                f"{dem_paths[0]}: the backhaul's reach covers {shape[0]} x {shape[1]} DEM posts "
                "(over 400 million); use a coarser DEM or a smaller area"
            )
        heights = warp_to_grid(
            tuple(dem_paths),
            dst_crs=first.crs,
            dst_transform=transform,
            shape=shape,
            resampling=Resampling.nearest,
            valid_range=TERRAIN_ELEVATION_RANGE_M,  # as the grid's: 1e30 m is no terrain
            what="elevations [m]",
        )
        heights = _filled(heights, sea_level_m)
        centre_lat = pyproj.Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(
            0.5 * (gx0 + gx1), 0.5 * (gy0 + gy1)
        )[1]
        return cls(
            np.ascontiguousarray(heights, dtype=np.float64),
            transform,
            first.crs.to_string(),
            str(grid.crs),
            _post_spacing_m(first.crs, transform, centre_lat),
            Path(dem_paths[0]).name,
        )

    def pixel_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (column, row) of grid points (``x``, ``y``) [m, grid CRS] on the
        posts: post (i, j) is at (j, i); the kernel interpolates between posts."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if CRS.from_user_input(self.crs) != CRS.from_user_input(self.grid_crs):
            tr = pyproj.Transformer.from_crs(self.grid_crs, self.crs, always_xy=True)
            x, y = (np.asarray(v, dtype=np.float64) for v in tr.transform(x, y))
        col, row = _apply(~self.transform, x, y)
        return col - 0.5, row - 0.5


def _apply(t: Affine, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An affine transform applied to arrays of points."""
    return t.a * x + t.b * y + t.c, t.d * x + t.e * y + t.f


def _filled(heights: np.ndarray, sea_level_m: float) -> np.ndarray:
    """Holes inside the terrain interpolated; no-data reaching the edge is sea."""
    nodata = np.isnan(heights)
    if not nodata.any():
        return heights
    if nodata.all():
        raise RasterError("the DEM holds no terrain over the backhaul's reach (all nodata)")
    labels, _ = ndi.label(nodata)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    sea = np.isin(labels, edge[edge > 0])
    out = np.where(sea, sea_level_m, heights)
    holes = np.isnan(out)
    if holes.any():
        filled = rasterio.fill.fillnodata(
            np.where(holes, 0.0, out),
            mask=(~holes).astype(np.uint8),
            max_search_distance=float(max(out.shape)),
            smoothing_iterations=0,
        )
        out = np.where(holes, filled, out)
    return out


def _post_spacing_m(crs: CRS, transform: Affine, lat_deg: float) -> float:
    if not crs.is_geographic:
        return float(max(abs(transform.a), abs(transform.e)))
    m_per_deg = 111_320.0
    across = abs(transform.a) * m_per_deg * math.cos(math.radians(lat_deg))
    return float(max(across, abs(transform.e) * m_per_deg))
