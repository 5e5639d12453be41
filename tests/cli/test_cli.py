"""The command line, end to end: the demo, real data, and bad input."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio

from rural_plan.cli import main
from tests.conftest import REPO, require_data

SUMMARY_KEYS = {
    "scenario",
    "rural_plan_version",
    "seed",
    "inputs_sha256",
    "crs",
    "cell_size_m",
    "people_total",
    "people_covered_before",
    "people_newly_covered",
    "sites_selected",
    "capex_usd",
    "opex_usd_per_year",
    "tco_usd",
    "people_per_1000_usd",
    "cost_per_person_usd",
}


DEMO_STDERR: list[str] = []
"""What the demo fixture's ``-q`` run wrote on stderr."""


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "results"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["demo", "-q", "-o", str(out)]) == 0
    DEMO_STDERR.append(err.getvalue())
    return out


@pytest.mark.slow
def test_quiet_prints_only_errors(demo_out):
    """``-q``: no compile notice, no progress, no stage lines (there was no error)."""
    assert DEMO_STDERR == [""]


# demo_out runs the demo once for the module (~9 s): every test using it is slow
@pytest.mark.slow
def test_demo_writes_a_complete_plan(demo_out, capsys):
    summary = json.loads((demo_out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["people_newly_covered"] > 0 and summary["tco_usd"] > 0
    assert summary["tco_usd"] <= summary["budget_usd"] * 1.0001 or summary["budget_basis"] != "tco"
    # the headline counts the people served within the sites' capacities
    assert 0 < summary["people_newly_served"] <= summary["people_newly_covered"]
    assert summary["people_per_1000_usd"] == pytest.approx(
        summary["people_newly_served"] / summary["tco_usd"] * 1000, rel=1e-3
    )
    assert summary["population_conservation_error"] < 1e-3
    sites = json.loads((demo_out / "sites.geojson").read_text())["features"]
    assert len(sites) == summary["sites_selected"]
    assert sum(f["properties"]["people_newly_covered"] for f in sites) == pytest.approx(
        summary["people_newly_covered"], rel=1e-3
    )
    links = json.loads((demo_out / "links.geojson").read_text())["features"]
    assert {f["properties"]["to"] for f in links} >= {f"site:{i + 1}" for i in range(len(sites))}
    with rasterio.open(demo_out / "coverage.tif") as ds:
        assert ds.count == 3 and ds.crs.to_string() == summary["crs"]
        # a Cloud-Optimised GeoTIFF: GDAL's COG layout, tiles, internal overviews
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.block_shapes[0] == (256, 256) and ds.overviews(1)
        assert ds.descriptions == (
            "best_server_rx_dbm",
            "serving_site_id",
            "people_newly_covered",
        )
        rx, site_id, people = ds.read(1), ds.read(2), ds.read(3)
    assert np.nanmax(rx) > -60 and np.nanmax(site_id) == len(sites)
    assert float(people.sum()) == pytest.approx(summary["people_newly_covered"], rel=1e-3)
    assert not list(demo_out.parent.glob(".*partial*"))
    _planners_files_read_back(demo_out, summary)


def _planners_files_read_back(out: Path, summary: dict) -> None:
    """plan.gpkg, alternatives.csv and cashflow.csv, opened by readers rural_plan does not
    write with (GDAL through pyogrio, the csv module), agree with summary.json."""
    import csv

    import pyogrio

    layers = dict(pyogrio.list_layers(out / "plan.gpkg"))
    assert {"sites", "links", "fibre_pops"} <= set(layers)
    assert (
        pyogrio.read_info(out / "plan.gpkg", layer="sites")["features"]
        == (summary["sites_selected"])
    )
    rows = list(csv.DictReader((out / "alternatives.csv").open()))
    plan_row = next(r for r in rows if r["alternative"] == "this plan")
    assert int(plan_row["sites"]) == summary["sites_selected"]
    assert float(plan_row["tco_usd"]) == pytest.approx(summary["tco_usd"], rel=1e-6)
    assert len(rows) >= 3  # the plan, each site type alone, each backhaul type alone
    years = list(csv.DictReader((out / "cashflow.csv").open()))
    assert len(years) == summary["horizon_years"]
    assert sum(int(y["sites_built"]) for y in years) == summary["sites_selected"]


@pytest.mark.slow
def test_demo_is_deterministic(demo_out, tmp_path):
    out = tmp_path / "again"
    assert main(["demo", "-q", "-o", str(out)]) == 0
    for name in ("summary.json", "sites.geojson", "links.geojson", "coverage.tif"):
        assert (out / name).read_bytes() == (demo_out / name).read_bytes(), name


# The demo's budget curve before placement's kicks and certified bound (gpkg 5824131,
# `rural-plan run scenarios/demo.yaml`, budget_curve.csv): (budget_usd, people_newly_covered)
DEMO_CURVE_5824131 = (
    (48071.01, 27972.98), (62971.42, 27972.98), (82490.45, 27972.98), (108059.74, 41000.38),
    (141554.65, 41000.38), (185431.86, 50702.32), (242909.54, 62424.43), (318203.39, 66002.66),
    (416835.81, 70106.36), (546040.98, 73557.38), (715295.44, 75267.09), (937013.14, 76921.48),
    (1227455.91, 77617.81), (1607926.24, 78072.28), (2106329.66, 78366.73),
    (2759221.49, 78592.71), (3614487.98, 78798.41), (4734858.51, 78978.36),
    (6202506.48, 79113.83), (8125076.29, 79212.44), (10643578.53, 79282.47),
    (13942732.32, 79343.18), (18264513.58, 79378.49), (23925902.66, 79395.74),
    (31342133.23, 79398.43),
)  # fmt: skip


@pytest.mark.slow
def test_demo_budget_curve_within_0_2_pct_of_before(demo_out):
    """Issue 20 item 4: every point of the demo's budget curve within 0.2 % of the curve
    before (the same budgets), and the plan's certified gap in summary.json."""
    import csv

    with (demo_out / "budget_curve.csv").open() as f:
        rows = list(csv.DictReader(f))
    budget = np.array([float(r["budget_usd"]) for r in rows])
    people = np.array([float(r["people_newly_covered"]) for r in rows])
    before = np.array(DEMO_CURVE_5824131)
    np.testing.assert_allclose(budget, before[:, 0], rtol=1e-7)
    assert (np.abs(people - before[:, 1]) <= 0.002 * before[:, 1]).all()
    summary = json.loads((demo_out / "summary.json").read_text())
    assert 0.0 <= summary["placement_gap_bound_pct"] < 5.0
    assert summary["placement_upper_bound_people"] > 0


def _bad(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return p


BASE = "name: t\nbudget_usd: 100000\ninputs: {synthetic: {size_m: 5000}}\n"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (BASE + "budgett_usd: 5\n", "budgett_usd: unknown key; did you mean 'budget_usd'?"),
        (BASE + "seed: many\n", "seed: Input should be a valid integer"),
        (
            BASE + "radio: {frequency_mhz: 90000}\n",
            "radio.frequency_mhz: Input should be less than or equal to 6000",
        ),
        (BASE.replace("100000", "-1"), "budget_usd: Input should be greater than 0"),
    ],
)
def test_bad_scenario_one_line_exit_2_no_output(tmp_path, capsys, text, needle):
    out = tmp_path / "out"
    path = _bad(tmp_path, text)
    said = []
    for argv in (["validate", str(path)], ["run", str(path), "-o", str(out)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert needle in lines[0] and str(path) in lines[0]
        assert "Traceback" not in err
        said.append(lines)
    assert said[0] == said[1], "validate and run disagree"
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]


def test_budget_too_small_is_a_clear_error(tmp_path, capsys):
    path = _bad(tmp_path, BASE.replace("100000", "100"))
    assert main(["run", str(path), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "below the cheapest site option" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    assert main(["validate", str(path)]) == 2  # found without the grid: validate says it
    assert capsys.readouterr().err == err


def test_existing_results_are_kept_without_overwrite(tmp_path, capsys):
    path = _bad(tmp_path, BASE)
    out = tmp_path / "o"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["run", str(path), "-o", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["run", str(path), "-o", str(out), "--overwrite"]) == 2  # not a rural_plan folder
    assert (out / "keep.txt").read_text() == "mine"
    (tmp_path / "file").write_text("x")
    assert main(["run", str(path), "-o", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_overwrite_replaces_a_previous_result(tmp_path):
    path = _bad(tmp_path, BASE)
    out = tmp_path / "o"
    assert main(["run", "-q", str(path), "-o", str(out)]) == 0
    first = (out / "summary.json").read_text()
    path.write_text(BASE.replace("100000", "200000"))
    assert main(["run", "-q", str(path), "-o", str(out), "--overwrite"]) == 0
    assert (out / "summary.json").read_text() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "o"]


def test_raster_without_crs_is_refused(tmp_path, capsys):
    dem = tmp_path / "dem.tif"
    profile = dict(driver="GTiff", width=10, height=10, count=1, dtype="float32")
    with rasterio.open(dem, "w", **profile) as ds:
        ds.write(np.ones((1, 10, 10), dtype="float32"))
    not_raster = tmp_path / "pop.tif"
    not_raster.write_text("this is not a raster")
    path = _bad(
        tmp_path,
        f"name: t\nbudget_usd: 1e6\ninputs: {{dem: {dem.name}, population: {not_raster.name}}}\n",
    )
    assert main(["run", str(path), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "dem.tif: raster has no CRS" in err and "Traceback" not in err


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("run", "validate", "demo"))


@pytest.mark.slow
def test_comoros_ngazidja_end_to_end(tmp_path, capsys):
    require_data("comoros", "com_dem_srtm1_1arcsec.tif")
    scenario = REPO / "scenarios" / "comoros_ngazidja.yaml"
    out = tmp_path / "ngazidja"
    t0 = time.perf_counter()
    assert main(["run", "-q", str(scenario), "-o", str(out)]) == 0
    seconds = time.perf_counter() - t0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["crs"] == "EPSG:32738"
    assert summary["people_input_total"] == pytest.approx(449_425, rel=2e-3)
    assert summary["population_conservation_error"] < 1e-3
    assert summary["people_newly_covered"] > 0 and summary["people_per_1000_usd"] > 0
    assert set(summary["inputs_sha256"]) >= {
        "../../shared/data/comoros/com_dem_srtm1_1arcsec.tif",
        "../../shared/data/comoros/com_ppp_2020_UNadj.tif",
    }
    print(f"Ngazidja: {seconds:.1f} s, {summary['people_per_1000_usd']} people per 1000 USD")
    _hops_hold_on_the_dem(out / "links.geojson", REPO.parent / "shared" / "data" / "comoros")
    _planners_files_read_back(out, summary)
    shutil.rmtree(out)


def _hops_hold_on_the_dem(links_path, data):
    """Every microwave and relay hop of links.geojson, re-traced independently on the 1"
    SRTM at the heights it reports: microwave clears the scenario's 0.6 F1, a relay has
    line of sight; microwave stands the rain at the target availability."""
    import rasterio

    from tests.references import hop_clearance_on_posts

    with rasterio.open(data / "com_dem_srtm1_1arcsec.tif") as ds:
        posts = ds.read(1, masked=True).astype(float).filled(0.0), ds.transform
    radio = [
        f
        for f in json.loads(links_path.read_text())["features"]
        if f["properties"]["type"] in ("microwave", "relay")
    ]
    assert radio, "the plan has no microwave or relay hop to check"
    for f in radio:
        p = f["properties"]
        (a, b) = f["geometry"]["coordinates"][0], f["geometry"]["coordinates"][-1]
        got = hop_clearance_on_posts(
            posts, a, b, p["height_a_m"], p["height_b_m"], p["frequency_mhz"]
        )
        need = 0.6 if p["type"] == "microwave" else 0.0
        assert got >= need - 0.03, (p["from"], p["to"], p["type"], got)
        assert abs(got - p["fresnel_clearance_f1"]) <= 0.03 + 0.001 * abs(got)
        if p["type"] == "microwave":
            assert p["availability_pct"] >= 99.99 - 1e-9
            assert p["rain_fade_db"] <= p["fade_margin_db"]
        else:
            assert p["frequency_mhz"] == 900.0 and p["rx_dbm"] is None
