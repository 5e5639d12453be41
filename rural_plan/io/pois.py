"""Points of interest (schools, clinics): read in the ITU / UNICEF Giga schema or from
OpenStreetMap, placed on the grid, and typed.

Giga's POI table has ``poi_id, lat, lon, poi_type, is_connected, connectivity_type,
has_electricity, number_of_users, total_mbps`` (CSV or GeoJSON). OSM extracts carry
``amenity`` (school, clinic, hospital ...) and sometimes a coarser ``poi_kind``
(education, health). Types are normalised to ``school`` and ``health`` where they
clearly are one, and kept as given otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio.warp

from rural_plan.errors import VectorError
from rural_plan.io.vectors import read_points

SCHOOL = {
    "school",
    "schools",
    "education",
    "college",
    "kindergarten",
    "university",
    "primary",
    "secondary",
}
HEALTH = {
    "health",
    "clinic",
    "hospital",
    "doctors",
    "health_post",
    "health_centre",
    "health_center",
    "dispensary",
}


def poi_type(props: dict) -> str:
    """``school``, ``health``, or the raw type (lower case) of a POI's properties."""
    for key in ("poi_type", "amenity", "poi_kind", "type"):
        raw = props.get(key)
        if isinstance(raw, str) and raw.strip():
            t = raw.strip().lower()
            if t in SCHOOL:
                return "school"
            if t in HEALTH:
                return "health"
            return t
    return "other"


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "connected")
    try:
        return bool(value) and float(value) != 0.0
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Pois:
    """POIs inside the grid, in file order."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    types: tuple[str, ...]
    lon: np.ndarray
    lat: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    is_connected: np.ndarray
    """The input's own ``is_connected`` flag (Giga), False when absent."""
    outside: int
    """POIs of the file that lie outside the grid (not planned for)."""

    def __len__(self) -> int:
        return len(self.ids)


def read_pois(path: Path, grid) -> Pois:
    """The POIs of a Giga or OSM file that lie on the grid's land or near it."""
    points = read_points(path)
    if not points:
        raise VectorError(f"{path}: holds no points of interest")
    lon = np.array([p.lon for p in points])
    lat = np.array([p.lat for p in points])
    xs, ys = rasterio.warp.transform("EPSG:4326", grid.crs, lon.tolist(), lat.tolist())
    rows, cols = grid.rowcol_of(np.asarray(xs), np.asarray(ys))
    inside = grid.contains(rows, cols)
    ids, names, types, connected = [], [], [], []
    for i, p in enumerate(points):
        pid = p.properties.get("poi_id") or p.properties.get("osm_id") or f"poi {i}"
        ids.append(str(pid))
        names.append(str(p.properties.get("name") or ""))
        types.append(poi_type(p.properties))
        connected.append(_truthy(p.properties.get("is_connected", False)))
    keep = np.flatnonzero(inside)
    return Pois(
        ids=tuple(ids[i] for i in keep),
        names=tuple(names[i] for i in keep),
        types=tuple(types[i] for i in keep),
        lon=lon[keep],
        lat=lat[keep],
        rows=rows[keep],
        cols=cols[keep],
        is_connected=np.array(connected, dtype=bool)[keep],
        outside=int((~inside).sum()),
    )
