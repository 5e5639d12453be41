"""How much memory a plan will need, estimated before it starts.

The estimate reads no pixels: the grid's size comes from the scenario (a synthetic
region) or from the rasters' headers and the area of interest, the propagation
windows from ``radio.radius_m``, and the number of site options from the candidate
rules. The peak is the base, plus the coverage matrix (held from propagation to the
outputs), plus the larger of the grid's arrays (the peak while the outputs are drawn)
and what propagation holds besides (its windows and the population raster being read).
Measured against the peak of the stages (``provenance.json`` ``peak_rss_mb``): 0.95 to
1.25 times it on the demo, Ngazidja and the whole Comoros at 30 m (fspl-knife-edge 10 km
and delta-Bullington 15 km; benchmarks/RESULTS.md). Enough to refuse at once a scenario
that cannot fit, instead of failing an hour later.
``limits.max_memory_gb`` in the scenario (or ``rural-plan run --max-memory-gb``) sets
the ceiling; by default it is the memory available when the run starts.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rural_plan.errors import ResourceError

if TYPE_CHECKING:
    from rural_plan.scenario.schema import Scenario

GB = 1e9
BASE_BYTES = 550 * 2**20
"""Python, NumPy, numba's compiled kernels, GDAL, pandas and matplotlib, loaded, and the
report's rendering (the demo's outputs peak at 640 MB on a 0.2-million-cell grid)."""
GRID_BYTES_PER_CELL = 200
"""Terrain, population, masks, the void filling and the distance transforms (float64 and
int64 arrays of the grid's size, a dozen or more at the peak; the synthetic terrain's FFTs),
and the best-server map."""
SOURCE_BYTES_PER_CELL = 160
"""Population raster cells read over the area: values, mask, corner coordinates."""
WINDOW_CHUNK_BYTES = 256 * 2**20
"""Propagation works on chunks of loss windows of at most this size (see point_to_area)."""
COVERAGE_BYTES_PER_ENTRY = 16
"""One (site option, demand cell) pair of the sparse coverage matrix: int64 indices in the
per-chunk parts and once concatenated (the placement instance shares them)."""
COVERAGE_SHARE = 0.15
"""Share of the demand cells within ``radio.radius_m`` of a site assumed covered by it
(the demo and Ngazidja cover about 12 % at 15 km; flat land with a strong budget more)."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak memory of a plan, by part [bytes], and the sizes it comes from."""

    grid_cells: int
    source_cells: int
    options: int
    window_cells: int
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def total_bytes(self) -> float:
        return float(sum(self.parts.values()))

    def describe(self) -> str:
        """'3.2 GB (grid 0.1, population raster 0.0, propagation 0.3, coverage 2.4, ...)'."""
        parts = ", ".join(f"{k} {v / GB:.1f}" for k, v in self.parts.items())
        return (
            f"{self.total_bytes / GB:.1f} GB ({parts} GB; {self.grid_cells:,} grid cells, "
            f"about {self.options:,} site options, windows of {self.window_cells:,} cells)"
        )


def _grid_size(scenario: Scenario) -> tuple[int, int, float]:
    """(grid cells, population raster cells read, area [m²]) without reading pixels."""
    # here, not at the top: ``rural-plan place`` reads the memory guard below without
    # loading the geospatial stack (rasterio, pyproj, scipy)
    from rural_plan.grid.align import WGS84, plan_frame, transform_geom
    from rural_plan.io.rasters import raster_info

    cell_m = scenario.grid.cell_size_m
    synthetic = scenario.inputs.synthetic
    if synthetic is not None:
        n = max(16, round(synthetic.size_m / cell_m))
        return n * n, 0, (n * cell_m) ** 2
    dem = [raster_info(p) for p in scenario.inputs.dem_paths]
    pop = raster_info(scenario.inputs.population)
    area, _, _, _, (rows, cols) = plan_frame(
        bbox_lonlat=scenario.area.bbox_lonlat,
        polygon_lonlat=scenario.area.polygon_lonlat,
        dem=dem,
        population=pop,
        cell_size_m=cell_m,
        crs=scenario.grid.crs,
    )
    w, s, e, n = transform_geom(area, WGS84, pop.crs).bounds
    src = math.ceil((e - w) / abs(pop.transform.a) + 1) * math.ceil(
        (n - s) / abs(pop.transform.e) + 1
    )
    return rows * cols, int(src), float(rows * cols * cell_m**2)


def estimate_memory(scenario: Scenario) -> MemoryEstimate:
    """Estimate the peak memory of planning ``scenario`` (reads raster headers only).

    >>> from rural_plan.cli import demo_scenario
    >>> estimate_memory(demo_scenario()).total_bytes < 2e9
    True
    """
    cells, source_cells, area_m2 = _grid_size(scenario)
    cell_m = scenario.grid.cell_size_m
    cand = scenario.candidates
    n_types = len(scenario.site_types)
    synthetic = scenario.inputs.synthetic
    villages = (
        synthetic.villages
        if synthetic is not None
        else area_m2 / (math.pi * (2.0 * cand.village_radius_m) ** 2)
    )
    hilltops = villages if cand.hilltop_radius_m > 0 else 0.0
    locations = min(cand.max_candidates, area_m2 / cand.grid_spacing_m**2 + villages + hilltops)
    options = max(1, math.ceil(locations)) * n_types

    radius = max(1, math.ceil(scenario.radio.radius_m / cell_m - 1e-9))
    w = 2 * radius + 1
    block = max(1, round(scenario.grid.demand_cell_m / cell_m))
    demand_cells = cells / block**2
    per_option = COVERAGE_SHARE * min(math.pi * radius**2 / block**2, demand_cells)
    per_chunk = max(1, min(WINDOW_CHUNK_BYTES // (w * w * 4), max(64, options // 40)))
    grid = float(cells * GRID_BYTES_PER_CELL)
    raster = float(source_cells * SOURCE_BYTES_PER_CELL)
    windows = float(min(per_chunk, options) * w * w * 4 + n_types * w * w * 4 + 40 * w * w)
    # Not all at once: the grid's full set of arrays peaks while the outputs are drawn,
    # after the windows and the population raster are gone; what stays is counted once.
    parts = {
        "base": float(BASE_BYTES),
        "coverage": float(options * per_option * COVERAGE_BYTES_PER_ENTRY),
    }
    if grid >= raster + windows:
        parts["grid"] = grid
    else:
        parts["population raster"] = raster
        parts["propagation"] = windows
    return MemoryEstimate(cells, source_cells, options, w * w, parts)


def available_memory_bytes() -> int | None:
    """Memory this process can still use: ``MemAvailable`` of /proc/meminfo (or free
    physical pages), capped by a cgroup (container) limit; None when unknown."""
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            available = None
    cgroup = _cgroup_room()
    if cgroup is not None:
        available = cgroup if available is None else min(available, cgroup)
    return available


def _cgroup_room() -> int | None:
    """What is left under a cgroup v2 (or v1) memory limit, if one is set."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            limit_text = Path(limit_file).read_text().strip()
            if limit_text == "max":
                return None
            limit = int(limit_text)
            usage = int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit >= 2**60:  # v1 "no limit"
            return None
        return max(0, limit - usage)
    return None


def check_memory(scenario: Scenario, *, max_memory_gb: float | None = None) -> MemoryEstimate:
    """Refuse ``scenario`` with :class:`~rural_plan.errors.ResourceError` when its estimated
    peak memory exceeds ``max_memory_gb`` (default: ``limits.max_memory_gb``, else the
    memory available now). Returns the estimate."""
    estimate = estimate_memory(scenario)
    limit_gb = max_memory_gb if max_memory_gb is not None else scenario.limits.max_memory_gb
    if limit_gb is not None:
        limit, what = limit_gb * GB, f"the limit of {limit_gb:g} GB"
    else:
        room = available_memory_bytes()
        if room is None:
            return estimate
        limit, what = float(room), f"the {room / GB:.1f} GB of memory available"
    if estimate.total_bytes > limit:
        where = f"{scenario.source_path}: " if scenario.source_path else ""
        raise ResourceError(
            f"{where}estimated peak memory {estimate.describe()} exceeds {what}; use a larger "
            "grid.cell_size_m, a smaller radio.radius_m, area or candidates.max_candidates, "
            "or set limits.max_memory_gb (--max-memory-gb) if you know better"
        )
    return estimate
