"""``plan.gpkg``: every vector layer of a plan in one GeoPackage, styled for QGIS.

Layers (EPSG:4326): ``sites`` (points, the properties of sites.geojson), ``links``
(terrestrial backhaul hops and fibre routes, lines), ``satellite_terminals`` (points),
``backhaul_clusters`` (the area of the sites that share a backhaul root — a fibre point
of presence, an existing tower — as a convex polygon), ``fibre_pops``,
``existing_towers`` and ``pois`` (points). Written through GDAL's GeoPackage driver
(pyogrio). Styles go into the ``layer_styles`` table that QGIS reads on opening a layer
(its default style): sites by type, links by kind, in the report's colours.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import shapely

from rural_plan.errors import OutputError
from rural_plan.pipeline.plan import Plan
from rural_plan.report.features import link_features, lonlat, site_features
from rural_plan.report.maps import LINK_COLOURS

FIXED_TIMESTAMP = "2000-01-01T00:00:00.000Z"
"""The date GDAL and the style table stamp into the file: fixed, so that one plan writes
the same bytes every time (when the plan was made is in provenance.json)."""

SITE_TYPE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")
"""Colours of site types, in the scenario's order."""


def write_gpkg(plan: Plan, path: Path, *, pois: Sequence[dict[str, Any]] | None = None) -> Path:
    """Write the plan's layers and their QGIS styles to ``path`` (a new file)."""
    import pyogrio

    path = Path(path)
    layers = _layers(plan, pois)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
    try:
        _write_layers(path, layers)
        _write_styles(path, plan, {n for n, (_, g, _) in layers.items() if g})
    except (RuntimeError, sqlite3.Error) as err:  # pyogrio's errors are RuntimeErrors
        # a full disk or a file-size limit: GDAL and SQLite say it in their own words
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise OutputError(
            f"{path}: cannot write the GeoPackage; is the disk full? (GDAL / SQLite: {first})"
        ) from err
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    return path


def _write_layers(path: Path, layers) -> None:
    import pyogrio.raw

    first = True
    for name, (geometry_type, geoms, props) in layers.items():
        if not geoms:
            continue
        fields = list(props[0]) if props else []
        data = [_column([p[f] for p in props]) for f in fields]
        pyogrio.raw.write(
            str(path),
            shapely.to_wkb(np.asarray(geoms, dtype=object)),
            data,
            fields,
            layer=name,
            driver="GPKG",
            geometry_type=geometry_type,
            crs="EPSG:4326",
            append=not first,
        )
        first = False
    if first:  # nothing at all to write: still a valid, empty GeoPackage with the sites layer
        pyogrio.raw.write(
            str(path), np.empty(0, dtype=object), [], [], layer="sites", driver="GPKG",
            geometry_type="Point", crs="EPSG:4326",
        )  # fmt: skip


def _column(values: list[Any]) -> np.ndarray:
    """A field's values as an array GDAL takes (text for anything not a plain number)."""
    if all(isinstance(v, bool) or v is None for v in values) and any(v is not None for v in values):
        return np.array([bool(v) if v is not None else False for v in values])
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    if all((isinstance(v, (int, float)) and not isinstance(v, bool)) or v is None for v in values):
        return np.array([np.nan if v is None else float(v) for v in values])
    return np.array(["" if v is None else str(v) for v in values], dtype=object)


def _layers(plan: Plan, pois) -> dict[str, tuple[str, list, list[dict[str, Any]]]]:
    sites = site_features(plan)
    out: dict[str, tuple[str, list, list[dict[str, Any]]]] = {
        "sites": (
            "Point",
            [shapely.Point(f["geometry"]["coordinates"]) for f in sites],
            [f["properties"] for f in sites],
        )
    }
    lines, line_props, terminals, terminal_props = [], [], [], []
    for f in link_features(plan):
        g = f["geometry"]
        if g["type"] == "Point":
            terminals.append(shapely.Point(g["coordinates"]))
            terminal_props.append(f["properties"])
        else:
            lines.append(shapely.LineString(g["coordinates"]))
            line_props.append(f["properties"])
    out["links"] = ("LineString", lines, line_props)
    out["satellite_terminals"] = ("Point", terminals, terminal_props)
    out["backhaul_clusters"] = _clusters(plan, sites)
    region = plan.region
    for name, points in (("fibre_pops", region.fibre), ("existing_towers", region.towers)):
        lon, lat = lonlat(region.grid.crs, points.x, points.y)
        props = [
            {"name": points.names[i], "height_m": float(points.height_m[i])}
            for i in range(len(points))
        ]
        out[name] = ("Point", [shapely.Point(p) for p in zip(lon, lat, strict=True)], props)
    if pois:
        keep = [p for p in pois if p.get("lon") is not None and p.get("lat") is not None]
        out["pois"] = (
            "Point",
            [shapely.Point(float(p["lon"]), float(p["lat"])) for p in keep],
            [{k: v for k, v in p.items() if k not in ("lon", "lat")} for p in keep],
        )
    return out


def _clusters(plan: Plan, sites: list[dict[str, Any]]):
    """Sites grouped by the root of their backhaul (the node below the core their
    traffic reaches it through): one convex polygon each (a buffered point or line where
    fewer than three sites)."""
    names = [f"site:{i + 1}" for i in range(len(sites))]
    parent = dict(zip(names, plan.backhaul.site_parent, strict=False))
    into = {link.b: link.a for link in plan.backhaul.links}

    def root(node: str) -> str:
        seen = set()
        while node in into and into[node] != "core" and node not in seen:
            seen.add(node)
            node = into[node]
        return node

    groups: dict[str, list[int]] = {}
    for i in range(len(sites)):
        name = f"site:{i + 1}"
        key = "satellite" if parent.get(name) == "core" else root(name)
        if key == "satellite":
            key = f"satellite ({name})"
        groups.setdefault(key, []).append(i)
    geoms, props = [], []
    for key, members in groups.items():
        pts = shapely.MultiPoint([sites[i]["geometry"]["coordinates"] for i in members])
        hull = pts.convex_hull
        if hull.geom_type != "Polygon":
            hull = hull.buffer(0.005)  # ~500 m around one site or a line of two
        geoms.append(hull)
        props.append(
            {
                "backhaul_root": key,
                "sites": len(members),
                "people_newly_served": round(
                    sum(sites[i]["properties"]["people_newly_served"] for i in members), 1
                ),
                "site_ids": " ".join(str(sites[i]["properties"]["site_id"]) for i in members),
            }
        )
    return ("Polygon", geoms, props)


# ------------------------------------------------------------------------- QGIS styles


def _write_styles(path: Path, plan: Plan, layers: set[str]) -> None:
    """The ``layer_styles`` table QGIS reads a GeoPackage layer's default style from."""
    types = list(plan.scenario.site_types)
    styles = {
        "sites": _categorized(
            "site_type",
            [(t, SITE_TYPE_COLOURS[i % len(SITE_TYPE_COLOURS)]) for i, t in enumerate(types)],
            "marker",
        ),
        "links": _categorized(
            "type", [(k, c) for k, c in LINK_COLOURS.items() if k != "satellite"], "line"
        ),
        "satellite_terminals": _single(LINK_COLOURS["satellite"], "marker"),
        "backhaul_clusters": _single("#3182bd", "fill"),
        "fibre_pops": _single(LINK_COLOURS["fibre"], "marker", shape="square"),
        "existing_towers": _single("#252525", "marker", shape="triangle"),
        "pois": _single("#e7298a", "marker", shape="diamond"),
    }
    now = FIXED_TIMESTAMP
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "f_table_catalog TEXT, f_table_schema TEXT, f_table_name TEXT, "
            "f_geometry_column TEXT, styleName TEXT, styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT, ui TEXT, update_time DATETIME)"
        )
        for layer in sorted(layers & set(styles)):
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui, update_time) VALUES ('', '', ?, 'geom', ?, ?, '', 1, ?, '', '', ?)",
                (layer, f"rural_plan {layer}", styles[layer], "written by rural_plan", now),
            )


def _symbol(kind: str, colour: str, index: int, shape: str = "circle") -> str:
    if kind == "marker":
        layer = (
            '<layer class="SimpleMarker" enabled="1" locked="0" pass="0">'
            f'<prop k="color" v="{_rgba(colour)}"/><prop k="name" v="{shape}"/>'
            '<prop k="size" v="3"/><prop k="outline_color" v="35,35,35,255"/></layer>'
        )
    elif kind == "line":
        layer = (
            '<layer class="SimpleLine" enabled="1" locked="0" pass="0">'
            f'<prop k="line_color" v="{_rgba(colour)}"/><prop k="line_width" v="0.6"/></layer>'
        )
    else:
        layer = (
            '<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
            f'<prop k="color" v="{_rgba(colour, 60)}"/>'
            f'<prop k="outline_color" v="{_rgba(colour)}"/></layer>'
        )
    return (
        f'<symbol type="{"fill" if kind == "fill" else kind}" name="{index}" alpha="1" '
        f'clip_to_extent="1" force_rhr="0">{layer}</symbol>'
    )


def _categorized(field: str, categories: list[tuple[str, str]], kind: str) -> str:
    cats = "".join(
        f'<category render="true" symbol="{i}" value="{escape(v)}" label="{escape(v)}"/>'
        for i, (v, _) in enumerate(categories)
    )
    symbols = "".join(_symbol(kind, c, i) for i, (_, c) in enumerate(categories))
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis styleCategories="Symbology" version="3.28">'
        f'<renderer-v2 type="categorizedSymbol" attr="{escape(field)}" symbollevels="0" '
        f'enableorderby="0" forceraster="0"><categories>{cats}</categories>'
        f"<symbols>{symbols}</symbols></renderer-v2></qgis>"
    )


def _single(colour: str, kind: str, shape: str = "circle") -> str:
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis styleCategories="Symbology" version="3.28">'
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{_symbol(kind, colour, 0, shape)}</symbols></renderer-v2></qgis>"
    )


def _rgba(colour: str, alpha: int = 255) -> str:
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha}"
