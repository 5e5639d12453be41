"""The headline counts every person and dollar once, as what it is: today's network from
the files planners have (OpenCelliD, OSM masts), the reported share served as a check,
people (not priority weights) in every people column, per-site costs and fibre trenches
that add up, one site-ID convention across the outputs."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import rasterio.transform
import rasterio.warp
import shapely.geometry
import shapely.ops

from rural_plan import plan
from rural_plan.io.towers import group_cells, read_towers
from rural_plan.report import write_results
from tests.support import lonlat, small_scenario

OPENCELLID_HEADER = (
    "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal"
)


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    """The small synthetic plan (no existing network), its grid and results folder."""
    tmp = tmp_path_factory.mktemp("honest")
    p = plan(small_scenario(tmp))
    out = write_results(p, tmp / "out")
    return p, out


def _opencellid(path, rows):
    with open(path, "w", newline="") as f:
        f.write(OPENCELLID_HEADER + "\n")
        for r in rows:
            f.write(",".join(str(v) for v in r) + "\n")


def _cells_near(p, offsets_m, radios, *, mcc=654, net=1, area=7):
    """OpenCelliD rows: for each (dx, dy) of ``offsets_m`` from the first chosen site, a
    site of cells of ``radios`` (each cell within 60 m of the site's point)."""
    grid = p.region.grid
    loc = p.options.location[p.selection.chosen[0]]
    x0, y0 = grid.xy_of(np.array([p.candidates.rows[loc]]), np.array([p.candidates.cols[loc]]))
    rows, cell = [], 1000
    for s, (dx, dy) in enumerate(offsets_m):
        for k, radio in enumerate(radios[s]):
            lon, lat = lonlat(grid.crs, float(x0[0]) + dx + 20 * k, float(y0[0]) + dy - 20 * k)
            cid = (50 + s) * 256 + k if radio == "LTE" else cell
            cell += 1
            rows.append([radio, mcc, net, area, cid, 0, lon, lat, 1000, 10, 1, 0, 0, 0])
    return rows


def test_opencellid_cells_become_sites_and_only_the_planned_technology_counts(tmp_path, small_plan):
    p0, _ = small_plan
    radios = [["GSM", "UMTS", "LTE", "LTE"], ["GSM", "GSM", "UMTS"], ["LTE", "NR"]]
    rows = _cells_near(p0, [(0, 0), (2_500, 0), (0, 2_500)], radios)
    rows.append(rows[0])  # a duplicate cell
    rows.append(["WIMAX", 654, 1, 7, 99, 0, rows[0][6], rows[0][7], 1, 1, 1, 0, 0, 0])
    far = ["GSM", 654, 1, 7, 77, 0, 10.0, 10.0, 1, 1, 1, 0, 0, 0]  # outside the area
    _opencellid(tmp_path / "cells.csv", [*rows, far])

    every = plan(small_scenario(tmp_path, inputs__existing_towers="cells.csv"))
    s = every.summary
    assert s["existing_sites"] == 3
    assert s["existing_sites_serving"] == 3
    assert s["people_covered_before"] > 0
    skipped = s["existing_sites_skipped"]
    assert skipped["outside the area"] == 1
    assert any("duplicate" in k for k in skipped) and any("WIMAX" in k for k in skipped)

    only_4g = plan(
        small_scenario(
            tmp_path,
            inputs__existing_towers="cells.csv",
            existing_network__serving_technologies=["4G"],
        )
    )
    t = only_4g.summary
    assert t["existing_sites"] == 3 and t["existing_sites_serving"] == 2  # LTE at 1 and 3
    assert 0 < t["people_covered_before"] < s["people_covered_before"]
    assert t["people_newly_covered"] >= s["people_newly_covered"] - 1e-6


def test_cells_of_one_enodeb_and_nearby_cells_of_one_operator_are_one_site(tmp_path):
    rows = [
        ["LTE", 1, 2, 3, 12 * 256 + 1, 0, 43.300, -11.600, 1, 5, 1, 0, 0, 0],
        ["LTE", 1, 2, 3, 12 * 256 + 2, 0, 43.310, -11.600, 1, 5, 1, 0, 0, 0],  # 1.1 km: one
        # eNodeB, whose cells average at 43.305
        ["GSM", 1, 2, 3, 501, 0, 43.3055, -11.6001, 1, 5, 1, 0, 0, 0],  # ~60 m from it
        ["GSM", 1, 3, 3, 502, 0, 43.3055, -11.6001, 1, 5, 1, 0, 0, 0],  # another operator
        ["UMTS", 1, 2, 3, 600, 0, 43.400, -11.600, 1, 5, 1, 0, 0, 0],  # 11 km away
    ]
    _opencellid(tmp_path / "c.csv", rows)
    read = read_towers(tmp_path / "c.csv", merge_m=250.0)
    assert read.format == "opencellid" and read.rows == 5
    sites = sorted(read.sites, key=lambda s: (s.operator, s.lon))
    assert len(sites) == 3
    assert sites[0].technologies == frozenset({"2G", "4G"}) and sites[0].cells == 3
    assert sites[1].technologies == frozenset({"3G"})
    assert sites[2].operator == "1-3" and sites[2].technologies == frozenset({"2G"})
    assert group_cells([], 250.0) == ()


def test_osm_masts_are_read_and_other_features_skipped(tmp_path):
    feats = [
        {"man_made": "mast", "tower:type": "communication", "name": "A"},
        {"man_made": "tower", "communication:mobile_phone": "yes"},
        {"amenity": "school", "poi_kind": "education"},
        {"man_made": "water_tower"},
    ]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [43.3 + i, -11.6]},
                "properties": f,
            }
            for i, f in enumerate(feats)
        ],
    }
    (tmp_path / "osm.geojson").write_text(json.dumps(doc))
    read = read_towers(tmp_path / "osm.geojson", merge_m=250.0)
    assert read.format == "osm" and len(read.sites) == 2
    assert sum(read.skipped.values()) == 2


def test_a_baseline_far_from_the_reported_share_warns_and_can_be_filled(tmp_path):
    warned = plan(
        small_scenario(
            tmp_path,
            baseline__reported_coverage_pct=90,
            baseline__source="a ministry, 2020",
        )
    )
    s = warned.summary
    assert s["modelled_coverage_before_pct"] == 0.0 and s["reported_coverage_pct"] == 90
    assert "explains 0 % coverage" in s["baseline_warning"]
    assert "upper bound" in s["baseline_warning"] and "a ministry, 2020" in s["baseline_warning"]
    filled = plan(
        small_scenario(
            tmp_path,
            baseline__reported_coverage_pct=90,
            baseline__source="a ministry, 2020",
            baseline__fill_to_reported=True,
        )
    )
    f = filled.summary
    share = f["people_covered_before"] / f["people_total"]
    assert 0.90 <= share <= 0.90 + 0.02  # the most populous cells first: just past 90 %
    assert f["people_assumed_served_before"] == pytest.approx(f["people_covered_before"], abs=0.1)
    assert f["people_newly_covered"] <= f["people_total"] - f["people_covered_before"] + 0.5
    assert "assumed served" in f["baseline_warning"]


def test_a_reported_share_needs_its_source(tmp_path):
    from rural_plan.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"baseline\.source"):
        small_scenario(tmp_path, baseline__reported_coverage_pct=90)


def _sums_hold(out):
    """The issue's checks on a results folder: every person and dollar counted once."""
    summary = json.loads((out / "summary.json").read_text())
    sites = json.loads((out / "sites.geojson").read_text())["features"]
    props = [f["properties"] for f in sites]
    assert sum(p["people_newly_covered"] for p in props) == pytest.approx(
        summary["people_newly_covered"], abs=0.5 + 0.05 * len(props)
    )
    assert sum(p["tco_usd"] for p in props) == pytest.approx(
        summary["tco_usd"], abs=0.01 * len(props) + 0.01
    )
    assert sum(p["budget_cost_usd"] for p in props) == pytest.approx(
        summary["budget_used_usd"], abs=0.01 * len(props) + 0.01
    )
    with open(out / "budget_curve.csv", newline="") as f:
        curve = list(csv.DictReader(f))
    total = summary["people_total"]
    for row in curve:
        assert float(row["people_newly_covered"]) <= total + 0.5
    for key, value in summary.items():
        if key.startswith("people_") and isinstance(value, int | float):
            assert value <= total + 0.5, key
    ids = {p["site_id"] for p in props}
    links = json.loads((out / "links.geojson").read_text())["features"]
    for link in links:
        for end in (link["properties"]["from"], link["properties"]["to"]):
            if end.startswith("site:"):
                assert int(end.split(":")[1]) in ids, end
    fibre = [k for k in links if k["properties"]["type"] == "fibre"]
    for k in fibre:  # a straight route (no roads layer) shares nothing: it pays its length
        if k["properties"]["route"] == "straight":
            assert k["properties"]["trench_length_m"] == k["properties"]["length_m"]
    fibre = [k for k in fibre if k["properties"]["route"] == "road"]
    if fibre:
        crs = summary["crs"]
        lines = []
        for k in fibre:
            c = np.asarray(k["geometry"]["coordinates"])
            x, y = rasterio.warp.transform("EPSG:4326", crs, c[:, 0].tolist(), c[:, 1].tolist())
            lines.append(shapely.geometry.LineString(list(zip(x, y, strict=True))))
        union = shapely.ops.unary_union(lines).length
        trench = sum(k["properties"]["trench_length_m"] for k in fibre)
        assert trench == pytest.approx(union, rel=0.02)
        assert all(
            k["properties"]["trench_length_m"] <= k["properties"]["length_m"] + 0.1 for k in fibre
        )
    return summary


def test_people_and_dollars_add_up_on_the_small_plan(small_plan):
    _, out = small_plan
    _sums_hold(out)


def test_priority_weights_are_never_counted_as_people(tmp_path):
    p = plan(
        small_scenario(
            tmp_path,
            inputs__pois="pois.geojson",
            placement__poi_weight_people={"school": 50_000},
        )
        if _write_pois(tmp_path)
        else None
    )
    out = write_results(p, tmp_path / "out")
    summary = _sums_hold(out)
    props = [f["properties"] for f in json.loads((out / "sites.geojson").read_text())["features"]]
    assert sum(x["priority_score"] for x in props) > summary["people_total"]  # the weight
    with open(out / "budget_curve.csv", newline="") as f:
        curve = list(csv.DictReader(f))
    assert max(float(r["priority_score"]) for r in curve) > summary["people_total"]


def _write_pois(tmp_path) -> bool:
    p = plan(small_scenario(tmp_path))
    grid = p.region.grid
    feats = []
    for k, i in enumerate(p.selection.chosen[:3]):
        loc = p.options.location[i]
        x, y = grid.xy_of(np.array([p.candidates.rows[loc]]), np.array([p.candidates.cols[loc]]))
        lon, lat = lonlat(grid.crs, float(x[0]), float(y[0]))
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"amenity": "school", "name": f"school {k}"},
            }
        )
    doc = {"type": "FeatureCollection", "features": feats}
    (tmp_path / "pois.geojson").write_text(json.dumps(doc))
    return True


@pytest.mark.slow
def test_the_comoros_plan_counts_once_and_checks_its_baseline(tmp_path):
    from pathlib import Path

    from rural_plan.scenario import load_scenario

    repo = Path(__file__).resolve().parents[2]
    data = repo.parent / "shared" / "data" / "comoros"
    if not data.exists():
        pytest.skip(f"real data not available: {data}")
    p = plan(load_scenario(repo / "scenarios" / "comoros_ngazidja.yaml"))
    out = write_results(p, tmp_path / "ngazidja")
    s = _sums_hold(out)
    share = 100.0 * s["people_covered_before"] / s["people_total"]
    assert abs(share - s["reported_coverage_pct"]) <= 5 or s["baseline_warning"]
    assert s["baseline_warning"] and "92" in s["baseline_warning"]
    assert s["existing_sites"] >= 1


def _square(grid, frac: float):
    """A lon/lat polygon over the west ``frac`` of the grid."""
    west, north = grid.transform.c, grid.transform.f
    east = west + frac * grid.shape[1] * grid.cell_size_m
    south = north - grid.shape[0] * grid.cell_size_m
    xs, ys = [west, east, east, west, west], [south, south, north, north, south]
    lon, lat = rasterio.warp.transform(grid.crs, "EPSG:4326", xs, ys)
    return [list(p) for p in zip(lon, lat, strict=True)]


def test_an_operators_coverage_map_counts_as_served_today(tmp_path, small_plan):
    p0, _ = small_plan
    grid = p0.region.grid
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [_square(grid, 0.5)]},
                "properties": {"technology": "4G"},
            }
        ],
    }
    (tmp_path / "cov.geojson").write_text(json.dumps(doc))
    p = plan(small_scenario(tmp_path, inputs__existing_coverage="cov.geojson"))
    s = p.summary
    assert 0 < s["people_covered_before"] < s["people_total"]
    assert s["people_covered_before"] == s["people_covered_before_modelled"]
    # a 2G-only plan: the 4G polygon does not count
    two_g = plan(
        small_scenario(
            tmp_path,
            inputs__existing_coverage="cov.geojson",
            existing_network__serving_technologies=["2G"],
        )
    )
    assert two_g.summary["people_covered_before"] == 0.0
    # the same map as a raster in another CRS (WGS84), and one without a CRS
    lon_w, lat_s = rasterio.warp.transform(
        grid.crs, "EPSG:4326", [grid.transform.c], [grid.transform.f - 12_000]
    )
    lon_e, lat_n = rasterio.warp.transform(
        grid.crs, "EPSG:4326", [grid.transform.c + 6_000], [grid.transform.f]
    )
    n = 200
    transform = rasterio.transform.from_bounds(lon_w[0], lat_s[0], lon_e[0], lat_n[0], n, n)
    profile = dict(driver="GTiff", width=n, height=n, count=1, dtype="uint8", transform=transform)
    with rasterio.open(tmp_path / "cov.tif", "w", crs="EPSG:4326", **profile) as ds:
        ds.write(np.ones((n, n), dtype="uint8"), 1)
    raster = plan(small_scenario(tmp_path, inputs__existing_coverage="cov.tif"))
    assert raster.summary["people_covered_before"] == pytest.approx(
        s["people_covered_before"], rel=0.05
    )
    with rasterio.open(tmp_path / "nocrs.tif", "w", **profile) as ds:
        ds.write(np.ones((n, n), dtype="uint8"), 1)
    from rural_plan.errors import RasterError

    with pytest.raises(RasterError, match="no CRS"):
        plan(small_scenario(tmp_path, inputs__existing_coverage="nocrs.tif"))
