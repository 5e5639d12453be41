"""GeoJSON input and output. Coordinates are WGS84 longitude / latitude."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
import shapely.errors
import shapely.geometry

from rural_plan.errors import OutputError, VectorError
from rural_plan.scenario.files import MB, UnusableFile, read_regular

MAX_VECTOR_BYTES = 1024 * MB
"""Largest vector layer read (GeoJSON or CSV): a country's roads are a few hundred MB."""


@dataclass(frozen=True)
class PointFeature:
    """One point with its properties (longitude, latitude in degrees)."""

    lon: float
    lat: float
    properties: dict[str, Any] = field(default_factory=dict)


def _read(path: Path) -> bytes:
    try:
        return read_regular(path, limit=MAX_VECTOR_BYTES)
    except UnusableFile as err:
        raise VectorError(f"{path}: {err.problem}") from None


def _load_features(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection, each checked to be a Feature object
    whose geometry and properties are objects (or null)."""
    raw = _read(path)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise VectorError(f"{path}: not a readable GeoJSON file ({err})") from err
    except RecursionError:
        raise VectorError(
            f"{path}: not a readable GeoJSON file (lists or objects nested too deeply)"
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise VectorError(f"{path}: expected a GeoJSON FeatureCollection")
    if re.search(rb"\\u[dD][89a-fA-F]", raw):  # a surrogate escape: maybe a lone one
        data = _valid_text(data)
    feats = data.get("features")
    if not isinstance(feats, list):
        raise VectorError(f"{path}: 'features' must be a list")
    for i, feat in enumerate(feats):
        if not isinstance(feat, dict):
            raise VectorError(
                f"{path}: feature {i}: expected a GeoJSON Feature object, got {_json_kind(feat)}"
            )
        for key in ("geometry", "properties"):
            if feat.get(key) is not None and not isinstance(feat[key], dict):
                raise VectorError(
                    f"{path}: feature {i}: '{key}' must be an object or null, got "
                    f"{_json_kind(feat[key])}"
                )
    return feats


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_text(value: Any) -> Any:
    """``value`` with every lone surrogate (JSON's "\\udcff") in its strings replaced by
    U+FFFD: a name that cannot be written to the UTF-8 outputs is shown as "\ufffd"."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_valid_text(v) for v in value]
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    return value


def _json_kind(value: Any) -> str:
    """A JSON value's kind, as a reader would say it: 'a number', 'a list', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true / false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


_LON_COLUMNS = ("lon", "longitude", "x")
_LAT_COLUMNS = ("lat", "latitude", "y")


def _read_csv_points(path: Path) -> list[PointFeature]:
    """Points from a CSV with a header: lon / longitude and lat / latitude columns (WGS84
    degrees); every other column becomes a property (numbers parsed where they parse)."""
    raw = _read(path)
    try:
        text = raw.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error) as err:
        raise VectorError(f"{path}: not a readable CSV file ({err})") from err
    header = {k.strip().lower(): k for k in (rows[0].keys() if rows else []) if isinstance(k, str)}
    lon_key = next((header[k] for k in _LON_COLUMNS if k in header), None)
    lat_key = next((header[k] for k in _LAT_COLUMNS if k in header), None)
    if rows and (lon_key is None or lat_key is None):
        raise VectorError(
            f"{path}: CSV needs a longitude column ({' / '.join(_LON_COLUMNS)}) and a "
            f"latitude column ({' / '.join(_LAT_COLUMNS)}), WGS84 degrees"
        )
    points = []
    for i, row in enumerate(rows):
        lon, lat = _csv_lonlat(path, i, row.get(lon_key), row.get(lat_key))
        props = {
            k: _number_or_text(v)
            for k, v in row.items()
            if k not in (lon_key, lat_key) and isinstance(k, str)
        }
        points.append(PointFeature(lon, lat, props))
    return points


def _csv_lonlat(path: Path, i: int, lon_text: Any, lat_text: Any) -> tuple[float, float]:
    """A CSV row's longitude and latitude (``i``: the data row, 0 first)."""
    where = f"{path}: row {i + 1} (line {i + 2})"
    try:
        lon, lat = float(lon_text), float(lat_text)
    except (TypeError, ValueError):
        raise VectorError(
            f"{where}: longitude {lon_text!r} and latitude {lat_text!r} must be numbers "
            "(WGS84 degrees)"
        ) from None
    if not _in_degrees(lon, lat):
        raise VectorError(
            f"{where}: longitude {lon_text!r}, latitude {lat_text!r} are not "
            "longitude/latitude in degrees (the CSV's lon / lat columns must be WGS84 "
            "degrees, longitude -180..180, latitude -90..90)"
        )
    return lon, lat


def _in_degrees(lon: float, lat: float) -> bool:
    return math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90


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
        geom = feat.get("geometry") or {}
        kind = geom.get("type")
        coords = geom.get("coordinates")
        props = feat.get("properties") or {}
        if kind == "Point":
            parts = [coords]
        elif kind == "MultiPoint" and isinstance(coords, list):
            parts = coords
        elif kind == "MultiPoint":
            raise VectorError(f"{path}: feature {i}: a MultiPoint needs a list of positions")
        else:
            raise VectorError(f"{path}: feature {i}: expected a Point, got {_short(kind)}")
        for c in parts:
            lon, lat = _lonlat(path, i, c)
            points.append(PointFeature(lon, lat, dict(props)))
    return points


def _lonlat(path: Path, i: int, c: Any) -> tuple[float, float]:
    numbers = (
        isinstance(c, list | tuple)
        and 2 <= len(c) <= 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in c)
    )
    if not numbers:
        raise VectorError(
            f"{path}: feature {i}: bad coordinates {_short(c)}; a position is "
            "[longitude, latitude] in degrees (numbers)"
        )
    lon, lat = float(c[0]), float(c[1])
    if not _in_degrees(lon, lat):
        raise VectorError(
            f"{path}: feature {i}: coordinates {c!r} are not longitude/latitude in degrees "
            "(GeoJSON must be EPSG:4326)"
        )
    return lon, lat


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxstring, _REPR.maxother = 3, 4, 40, 40


def _short(value: Any) -> str:
    return _REPR.repr(value)


def read_polygons(path: Path) -> list[shapely.Geometry]:
    """Read Polygon / MultiPolygon features as valid shapely geometries (lon/lat)."""
    return [poly for poly, _ in read_polygon_features(path)]


def read_polygon_features(path: Path) -> list[tuple[shapely.Geometry, dict[str, Any]]]:
    """Polygon / MultiPolygon features as (valid shapely geometry (lon/lat), properties)."""
    polys: list[tuple[shapely.Geometry, dict[str, Any]]] = []
    for i, feat in enumerate(_load_features(path)):
        geom = feat.get("geometry")
        kind = (geom or {}).get("type")
        if kind not in ("Polygon", "MultiPolygon"):
            raise VectorError(f"{path}: feature {i}: expected a Polygon, got {_short(kind)}")
        _check_positions(path, i, geom.get("coordinates"), depth=3 if kind == "Polygon" else 4)
        try:
            shape = shapely.geometry.shape(geom)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as err:
            raise VectorError(f"{path}: feature {i}: malformed polygon ({err})") from err
        except shapely.errors.ShapelyError as err:
            raise VectorError(f"{path}: feature {i}: malformed polygon ({err})") from err
        if shape.is_empty:
            raise VectorError(f"{path}: feature {i}: an empty polygon (a ring needs positions)")
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
        geom = feat.get("geometry") or {}
        kind = geom.get("type")
        coords = geom.get("coordinates")
        if kind == "LineString":
            parts = [coords]
        elif kind == "MultiLineString" and isinstance(coords, list):
            parts = coords
        elif kind == "MultiLineString":
            raise VectorError(f"{path}: feature {i}: a MultiLineString needs a list of lines")
        else:
            raise VectorError(f"{path}: feature {i}: expected a LineString, got {_short(kind)}")
        for part in parts:
            if not isinstance(part, list) or len(part) < 2:
                raise VectorError(f"{path}: feature {i}: a line needs at least two vertices")
            lines.append([_lonlat(path, i, c) for c in part])
    return lines


def _check_positions(path: Path, i: int, coords: Any, *, depth: int) -> None:
    """Coordinates nested ``depth`` lists deep (3: a Polygon's rings of positions), each
    position [longitude, latitude] in degrees."""
    if depth == 1:
        _lonlat(path, i, coords)
        return
    if not isinstance(coords, list):
        raise VectorError(
            f"{path}: feature {i}: bad coordinates {_short(coords)}; expected lists of "
            "[longitude, latitude] positions"
        )
    for c in coords:
        _check_positions(path, i, c, depth=depth - 1)


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection in EPSG:4326."""
    return {"type": "FeatureCollection", "features": features}


def write_json(path: Path, data: Any) -> None:
    """Write JSON with sorted keys and a trailing newline (byte-stable)."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    # a lone surrogate (a path's byte that is not UTF-8, seen through os.fsdecode) is
    # written as JSON's own escape of it, "\udcff", which reads back as the same string
    raw = (text + "\n").encode("utf-8", "backslashreplace")
    try:
        Path(path).write_bytes(raw)
    except OSError as err:
        raise OutputError(f"{path}: cannot write ({err})") from err
