"""plan.gpkg: every vector layer of the plan in one GeoPackage that GDAL reads back as
the GeoJSON files say, with the QGIS default styles in its layer_styles table."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET

import pyogrio
import pytest
import shapely

from rural_plan.api import plan
from rural_plan.report.writer import write_results
from tests.support import small_scenario


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gpkg")
    types = {
        "light_pole": {"mast_height_m": 15, "eirp_dbm": 56, "power_w": 150},
        "macro_tower": {"mast_height_m": 35, "eirp_dbm": 62, "power_w": 2500},
    }
    p = plan(small_scenario(tmp, site_types=types))
    return p, write_results(p, tmp / "out")


def test_layers_read_back_as_the_geojson_files_say(written):
    p, out = written
    gpkg = out / "plan.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    sites_json = json.loads((out / "sites.geojson").read_text())["features"]
    info = pyogrio.read_info(gpkg, layer="sites")
    assert info["crs"] == "EPSG:4326" and info["features"] == len(sites_json)
    assert layers["sites"] == "Point" and layers["links"] == "LineString"
    meta, _, geometry, fields = pyogrio.raw.read(gpkg, layer="sites")
    xy = [c for g in shapely.from_wkb(geometry) for c in g.coords[0]]
    assert xy == pytest.approx([c for f in sites_json for c in f["geometry"]["coordinates"]])
    ids = list(fields[list(meta["fields"]).index("site_id")])
    assert ids == [f["properties"]["site_id"] for f in sites_json]
    served = fields[list(meta["fields"]).index("people_newly_served")]
    assert sum(served) == pytest.approx(
        sum(f["properties"]["people_newly_served"] for f in sites_json)
    )
    links_json = json.loads((out / "links.geojson").read_text())["features"]
    lines = [f for f in links_json if f["geometry"]["type"] == "LineString"]
    points = [f for f in links_json if f["geometry"]["type"] == "Point"]
    assert pyogrio.read_info(gpkg, layer="links")["features"] == len(lines)
    if points:
        assert pyogrio.read_info(gpkg, layer="satellite_terminals")["features"] == len(points)
    meta, _, _, fields = pyogrio.raw.read(gpkg, layer="backhaul_clusters")
    assert sum(fields[list(meta["fields"]).index("sites")]) == len(sites_json)
    assert pyogrio.read_info(gpkg, layer="fibre_pops")["features"] == len(p.region.fibre)


def test_qgis_default_styles_name_every_type_and_kind(written):
    p, out = written
    with sqlite3.connect(out / "plan.gpkg") as db:
        rows = dict(
            db.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault = 1")
        )
    assert {"sites", "links", "fibre_pops", "backhaul_clusters"} <= set(rows)
    for qml in rows.values():
        ET.fromstring(qml.split(">", 1)[1])  # well-formed after the DOCTYPE
    sites = ET.fromstring(rows["sites"].split(">", 1)[1])
    renderer = sites.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "site_type"
    assert {c.get("value") for c in renderer.iter("category")} == set(p.scenario.site_types)
    links = ET.fromstring(rows["links"].split(">", 1)[1]).find("renderer-v2")
    assert links.get("attr") == "type"
    assert {"fibre", "microwave", "relay"} <= {c.get("value") for c in links.iter("category")}
