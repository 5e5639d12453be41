"""Today's network from the files planners have: OpenCelliD cell exports, the UNICEF Giga
cell-site table, OpenStreetMap masts, or any points (GeoJSON / CSV with lon, lat).

Cells are grouped into sites (:func:`group_cells`); each site carries its technologies
(2G, 3G, 4G, 5G) when the file says them. What cannot be used is counted and reported,
never dropped silently.
"""

from __future__ import annotations

import csv
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rural_plan.errors import VectorError
from rural_plan.io.vectors import MAX_VECTOR_BYTES, read_points
from rural_plan.scenario.files import MB, UnusableFile, open_regular
from rural_plan.scenario.names import TECHNOLOGIES
from rural_plan.units import EARTH_RADIUS_M

OPENCELLID_COLUMNS = ("radio", "mcc", "net", "area", "cell", "lon", "lat")
"""Header columns that mark an OpenCelliD export (its full header: radio, mcc, net, area,
cell, unit, lon, lat, range, samples, changeable, created, updated, averageSignal)."""

OPENCELLID_RADIO = {"GSM": "2G", "CDMA": "2G", "UMTS": "3G", "LTE": "4G", "NR": "5G"}
"""OpenCelliD ``radio`` → generation (Mozilla Ichnaea's export format documents GSM, UMTS,
LTE and CDMA; NR is 5G)."""

GIGA_TECHNOLOGY = {"2G": "2G", "3G": "3G", "4G": "4G", "LTE": "4G", "5G": "5G"}
"""Giga cell-site ``Technology`` values (``2G/3G/4G``, ``3G Only``, ``LTE``; giga-open-cost-
model ``giga/schemas/cellular.py``) → generation."""

OSM_MAST_TAGS = {"man_made": ("mast", "tower", "communications_tower", "antenna")}
"""OpenStreetMap masts: ``man_made=mast|tower|communications_tower`` (or ``antenna``) with
``tower:type=communication`` or ``communication:mobile_phone=yes`` (OSM wiki, Key:tower:type
and Tag:man_made=communications_tower)."""

LTE_CELLS_PER_ENODEB = 256
"""An LTE E-UTRAN cell identity is eNodeB id × 256 + cell id (3GPP TS 36.413 ECGI): cells
of one eNodeB are one site."""


@dataclass(frozen=True)
class TowerSite:
    """One existing site: where it is, what it carries, what the file said of it."""

    lon: float
    lat: float
    name: str
    technologies: frozenset[str] | None = None
    """Generations it carries; None: the file does not say."""
    height_m: float | None = None
    eirp_dbm: float | None = None
    operator: str = ""
    cells: int = 1


@dataclass(frozen=True)
class TowerFile:
    """The sites a file describes and what was skipped reading it."""

    sites: tuple[TowerSite, ...]
    format: str
    """'opencellid', 'giga', 'osm' or 'points'."""
    rows: int
    """Rows (cells, features) the file holds."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Rows not used, by reason (unknown radio, duplicate cell, not a telecom mast, ...)."""


HEADER_BYTES = 1 * MB
"""Most bytes read to find a CSV's header line (a header is a few hundred)."""


def _csv_header(path: Path) -> list[str]:
    """The header of a regular file of at most MAX_VECTOR_BYTES (a named pipe, a device or
    a sparse 4 GB file is refused, never read to its end)."""
    try:
        fd = open_regular(path, limit=MAX_VECTOR_BYTES)
    except UnusableFile as err:
        raise VectorError(f"{path}: {err.problem}") from None
    with os.fdopen(fd, "rb") as f:
        head = f.read(HEADER_BYTES)
    line = head.split(b"\n", 1)[0]
    if len(line) == len(head) == HEADER_BYTES:
        raise VectorError(
            f"{path}: not a readable CSV file (no header line in its first {HEADER_BYTES:,} bytes)"
        )
    try:
        text = line.decode("utf-8-sig")
        return [h.strip() for h in next(csv.reader([text]), [])]
    except (UnicodeDecodeError, csv.Error) as err:
        raise VectorError(f"{path}: not a readable CSV file ({err})") from err


def read_towers(path: Path, *, merge_m: float) -> TowerFile:
    """The existing sites in ``path``: an OpenCelliD CSV (detected from its header; cells
    grouped into sites within ``merge_m`` metres, :func:`group_cells`), a Giga cell-site
    CSV (``Latitude``, ``Longitude``, ``Technology``, ``Tower Height``), a GeoJSON of
    OpenStreetMap features (telecom masts kept, other features skipped and counted), or
    points with optional ``height_m`` / ``antenna_height``, ``eirp_dbm``, ``technology``."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        header = {h.lower() for h in _csv_header(path)}
        if set(OPENCELLID_COLUMNS) <= header:
            return _opencellid(path, merge_m)
        if {"technology", "latitude", "longitude"} <= header or "technologies" in header:
            return _points(path, "giga")
    return _points(path, "points")


def _technologies(value, table: dict[str, str], path: Path) -> frozenset[str] | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    out = set()
    for part in str(value).replace(",", "/").replace(";", "/").split("/"):
        token = part.strip().upper().removesuffix(" ONLY").strip()
        if not token:
            continue
        if token not in table:
            raise VectorError(
                f"{path}: technology {part.strip()!r} is not one of {', '.join(sorted(table))}"
            )
        out.add(table[token])
    return frozenset(out) or None


def _is_osm_mast(props: dict) -> bool:
    if props.get("poi_kind") == "telecom_mast":
        return True
    if props.get("man_made") not in OSM_MAST_TAGS["man_made"]:
        return False
    return (
        props.get("tower:type") == "communication"
        or str(props.get("communication:mobile_phone", "")).lower() in ("yes", "true", "1")
        or props.get("man_made") == "communications_tower"
    )


def _points(path: Path, fmt: str) -> TowerFile:
    points = read_points(path)
    osm = fmt == "points" and any(
        ("man_made" in p.properties or "poi_kind" in p.properties) for p in points
    )
    skipped: Counter[str] = Counter()
    sites = []
    for i, p in enumerate(points):
        props = {k.lower() if fmt == "giga" else k: v for k, v in p.properties.items()}
        if osm and not _is_osm_mast(props):
            skipped["not a telecom mast (OpenStreetMap feature of another kind)"] += 1
            continue
        if _in_building(props):  # no outdoor mast: its height 0 is outside any mast's range
            skipped["in-building site (no outdoor mast)"] += 1
            continue
        tech_value = props.get("technology", props.get("technologies"))
        sites.append(
            TowerSite(
                lon=p.lon,
                lat=p.lat,
                name=str(
                    props.get("name")
                    or props.get("site id")
                    or props.get("ict_id")
                    or props.get("osm_id")
                    or f"tower {i}"
                ),
                technologies=_technologies(tech_value, GIGA_TECHNOLOGY, path),
                height_m=_number(props, _HEIGHT_KEYS, path),
                eirp_dbm=_number(props, ("eirp_dbm",), path),
                operator=str(props.get("operator") or props.get("ownership of site") or ""),
            )
        )
    return TowerFile(tuple(sites), "osm" if osm else fmt, len(points), dict(skipped))


_HEIGHT_KEYS = ("height_m", "antenna_height", "tower height", "height")


def _in_building(props: dict) -> bool:
    """A Giga in-building site (``Tower Height: IBS``, or ``indoor``)."""
    for key in _HEIGHT_KEYS:
        value = props.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower() in ("ibs", "indoor")
        if value is not None:
            return False
    return False


def _number(props: dict, keys: tuple[str, ...], path: Path) -> float | None:
    for key in keys:
        value = props.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, bool):  # true is not 1 m
            raise VectorError(f"{path}: property {key}={value!r} is not a number")
        if isinstance(value, str):
            value = value.strip().lower().removesuffix("m").strip()
            if value in ("ibs", "indoor"):  # Giga: an in-building site has no tower
                return 0.0
        try:
            out = float(value)
        except (TypeError, ValueError, OverflowError):
            raise VectorError(f"{path}: property {key}={value!r:.60} is not a number") from None
        if not math.isfinite(out):
            raise VectorError(f"{path}: property {key}={value!r} is not finite")
        return out
    return None


@dataclass(frozen=True)
class Cell:
    """One OpenCelliD row."""

    generation: str
    operator: str
    key: tuple
    """Where the cell belongs before any distance merge: its LTE eNodeB, else itself."""
    lon: float
    lat: float
    samples: float


def _opencellid(path: Path, merge_m: float) -> TowerFile:
    skipped: Counter[str] = Counter()
    seen: set[tuple] = set()
    cells: list[Cell] = []
    unknown: Counter[str] = Counter()
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = _opencellid_rows(csv.DictReader(f), skipped, seen, cells, unknown)
    except (UnicodeDecodeError, csv.Error) as err:
        raise VectorError(f"{path}: not a readable CSV file ({err})") from None
    for radio, n in unknown.items():
        skipped[f"unknown radio {radio!r} (valid: {', '.join(OPENCELLID_RADIO)})"] = n
    return TowerFile(group_cells(cells, merge_m), "opencellid", rows, dict(skipped))


def _opencellid_rows(
    reader: csv.DictReader,
    skipped: Counter[str],
    seen: set[tuple],
    cells: list[Cell],
    unknown: Counter[str],
) -> int:
    """Read an OpenCelliD export's rows into ``cells`` (what cannot be used counted in
    ``skipped`` / ``unknown``); the number of rows."""
    reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
    rows = 0
    for row in reader:
        rows += 1
        radio = (row.get("radio") or "").strip().upper()
        generation = OPENCELLID_RADIO.get(radio)
        if generation is None:
            unknown[radio or "(empty)"] += 1
            continue
        try:
            mcc, net, area, cell = (int(float(row[k])) for k in ("mcc", "net", "area", "cell"))
            lon, lat = float(row["lon"]), float(row["lat"])
        except (TypeError, ValueError, KeyError, OverflowError):
            skipped["unreadable row (mcc, net, area, cell, lon or lat not a number)"] += 1
            continue
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            skipped["coordinates outside longitude / latitude ranges"] += 1
            continue
        ident = (radio, mcc, net, area, cell)
        if ident in seen:
            skipped["duplicate cell (same radio, mcc, net, area, cell)"] += 1
            continue
        seen.add(ident)
        operator = f"{mcc}-{net}"
        key = (
            (operator, "enb", cell // LTE_CELLS_PER_ENODEB)
            if radio == "LTE"
            else (operator, *ident)
        )
        try:
            samples = max(float(row.get("samples") or 1.0), 1.0)
        except ValueError:
            samples = 1.0
        cells.append(Cell(generation, operator, key, lon, lat, samples))
    return rows


def group_cells(cells: list[Cell], merge_m: float) -> tuple[TowerSite, ...]:
    """Cells grouped into sites: LTE cells of one eNodeB first, then, operator by
    operator, each group joins the nearest site whose position is within ``merge_m``
    metres (heaviest groups first, by their samples), else starts a site. A site's
    position is the samples-weighted mean of its cells'; its technologies are theirs."""
    groups: dict[tuple, list[Cell]] = {}
    for c in cells:
        groups.setdefault(c.key, []).append(c)
    ordered = sorted(
        groups.values(), key=lambda g: (-sum(c.samples for c in g), g[0].operator, g[0].key)
    )
    sites: list[dict] = []
    for group in ordered:
        w = sum(c.samples for c in group)
        lon = sum(c.lon * c.samples for c in group) / w
        lat = sum(c.lat * c.samples for c in group) / w
        best, best_d = None, merge_m
        for s in sites:
            if s["operator"] != group[0].operator:
                continue
            d = _distance_m(lon, lat, s["lon"], s["lat"])
            if d <= best_d:
                best, best_d = s, d
        if best is None:
            sites.append(
                {
                    "operator": group[0].operator,
                    "lon": lon,
                    "lat": lat,
                    "w": w,
                    "tech": {c.generation for c in group},
                    "cells": len(group),
                }
            )
        else:
            total = best["w"] + w
            best["lon"] = (best["lon"] * best["w"] + lon * w) / total
            best["lat"] = (best["lat"] * best["w"] + lat * w) / total
            best["w"] = total
            best["tech"] |= {c.generation for c in group}
            best["cells"] += len(group)
    return tuple(
        TowerSite(
            lon=s["lon"],
            lat=s["lat"],
            name=f"{s['operator']} site {k + 1}",
            technologies=frozenset(s["tech"]),
            operator=s["operator"],
            cells=s["cells"],
        )
        for k, s in enumerate(sites)
    )


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance [m] (haversine, mean earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


__all__ = [
    "TECHNOLOGIES",
    "TowerFile",
    "TowerSite",
    "group_cells",
    "read_towers",
]
