"""GeoJSON input and output. Coordinates are WGS84 longitude / latitude."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
import shapely.geometry

from rural_plan.errors import OutputError, VectorError


@dataclass(frozen=True)
class PointFeature:
    """One point with its properties (longitude, latitude in degrees)."""

    lon: float
    lat: float
    properties: dict[str, Any] = field(default_factory=dict)


def _load_features(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise VectorError(f"{path}: file not found") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise VectorError(f"{path}: not a readable GeoJSON file ({err})") from err
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise VectorError(f"{path}: expected a GeoJSON FeatureCollection")
    feats = data.get("features")
    if not isinstance(feats, list):
        raise VectorError(f"{path}: 'features' must be a list")
    return feats


_LON_COLUMNS = ("lon", "longitude", "x")
_LAT_COLUMNS = ("lat", "latitude", "y")


def _read_csv_points(path: Path) -> list[PointFeature]:
    """Points from a CSV with a header: lon / longitude and lat / latitude columns (WGS84
    degrees); every other column becomes a property (numbers parsed where they parse)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except FileNotFoundError as err:
        raise VectorError(f"{path}: file not found") from err
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise VectorError(f"{path}: not a readable CSV file ({err})") from err
    header = {k.strip().lower(): k for k in (rows[0].keys() if rows else [])}
    lon_key = next((header[k] for k in _LON_COLUMNS if k in header), None)
    lat_key = next((header[k] for k in _LAT_COLUMNS if k in header), None)
    if rows and (lon_key is None or lat_key is None):
        raise VectorError(
            f"{path}: CSV needs a longitude column ({' / '.join(_LON_COLUMNS)}) and a "
            f"latitude column ({' / '.join(_LAT_COLUMNS)}), WGS84 degrees"
        )
    points = []
    for i, row in enumerate(rows):
        lon, lat = _lonlat(path, i, (row[lon_key], row[lat_key]))
        props = {k: _number_or_text(v) for k, v in row.items() if k not in (lon_key, lat_key)}
        points.append(PointFeature(lon, lat, props))
    return points


def _number_or_text(v: str | None) -> Any:
    if v is None:
        return None
    try:
        return float(v)
    except ValueError:
        return v.strip()


def read_points(path: Path) -> list[PointFeature]:
    """Read points: a GeoJSON FeatureCollection of Point features (MultiPoint parts are
    split), or a ``.csv`` with longitude / latitude columns."""
    if Path(path).suffix.lower() == ".csv":
        return _read_csv_points(path)
    points: list[PointFeature] = []
    for i, feat in enumerate(_load_features(path)):
        geom = (feat or {}).get("geometry") or {}
        kind = geom.get("type")
        coords = geom.get("coordinates")
        props = feat.get("properties") or {}
        if kind == "Point":
            parts = [coords]
        elif kind == "MultiPoint":
            parts = coords or []
        else:
            raise VectorError(f"{path}: feature {i}: expected a Point, got {kind!r}")
        for c in parts:
            lon, lat = _lonlat(path, i, c)
            points.append(PointFeature(lon, lat, dict(props)))
    return points


def _lonlat(path: Path, i: int, c: Any) -> tuple[float, float]:
    try:
        lon, lat = float(c[0]), float(c[1])
    except (TypeError, ValueError, IndexError) as err:
        raise VectorError(f"{path}: feature {i}: bad coordinates {c!r}") from err
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise VectorError(
            f"{path}: feature {i}: coordinates {c!r} are not longitude/latitude in degrees "
            "(GeoJSON must be EPSG:4326)"
        )
    return lon, lat


def read_polygons(path: Path) -> list[shapely.Geometry]:
    """Read Polygon / MultiPolygon features as valid shapely geometries (lon/lat)."""
    return [poly for poly, _ in read_polygon_features(path)]


def read_polygon_features(path: Path) -> list[tuple[shapely.Geometry, dict[str, Any]]]:
    """Polygon / MultiPolygon features as (valid shapely geometry (lon/lat), properties)."""
    polys: list[tuple[shapely.Geometry, dict[str, Any]]] = []
    for i, feat in enumerate(_load_features(path)):
        geom = (feat or {}).get("geometry")
        kind = (geom or {}).get("type")
        if kind not in ("Polygon", "MultiPolygon"):
            raise VectorError(f"{path}: feature {i}: expected a Polygon, got {kind!r}")
        try:
            shape = shapely.geometry.shape(geom)
        except (ValueError, TypeError, AttributeError) as err:
            raise VectorError(f"{path}: feature {i}: malformed polygon ({err})") from err
        if not shape.is_valid:
            reason = shapely.is_valid_reason(shape)
            raise VectorError(f"{path}: feature {i}: invalid polygon ({reason})")
        polys.append((shape, dict((feat or {}).get("properties") or {})))
    return polys


def read_lines(path: Path) -> list[list[tuple[float, float]]]:
    """Read LineString / MultiLineString features (lon/lat degrees) as vertex lists; a
    MultiLineString gives one list per part. Other geometry types are an error."""
    lines: list[list[tuple[float, float]]] = []
    for i, feat in enumerate(_load_features(path)):
        geom = (feat or {}).get("geometry") or {}
        kind = geom.get("type")
        coords = geom.get("coordinates")
        if kind == "LineString":
            parts = [coords]
        elif kind == "MultiLineString":
            parts = coords or []
        else:
            raise VectorError(f"{path}: feature {i}: expected a LineString, got {kind!r}")
        for part in parts:
            if not isinstance(part, list) or len(part) < 2:
                raise VectorError(f"{path}: feature {i}: a line needs at least two vertices")
            lines.append([_lonlat(path, i, c) for c in part])
    return lines


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection in EPSG:4326."""
    return {"type": "FeatureCollection", "features": features}


def write_json(path: Path, data: Any) -> None:
    """Write JSON with sorted keys and a trailing newline (byte-stable)."""
    try:
        Path(path).write_text(
            json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n",
            encoding="utf-8",
        )
    except OSError as err:
        raise OutputError(f"{path}: cannot write ({err})") from err
