"""rural-plan diagnose: existing coverage and the clusters of people it leaves out."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import rasterio.warp

from rural_plan.cli import main
from rural_plan.pipeline import prepare
from rural_plan.scenario.loader import load_scenario
from rural_plan.workflows.diagnose import diagnose

SMALL = {
    "name": "diag",
    "seed": 4,
    "inputs": {"synthetic": {"size_m": 12_000, "villages": 10, "people": 12_000}},
    "radio": {"radius_m": 4_000},
    "budget_usd": 300_000,
}


@pytest.fixture
def with_tower(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(json.dumps(SMALL))
    grid = prepare(load_scenario(base)).region.grid
    r, c = np.unravel_index(np.argmax(grid.population), grid.shape)
    x, y = grid.xy_of(np.array([r]), np.array([c]))
    lon, lat = rasterio.warp.transform(grid.crs, "EPSG:4326", [float(x[0])], [float(y[0])])
    (tmp_path / "towers.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [lon[0], lat[0]]},
                        "properties": {"height_m": 30, "eirp_dbm": 60},
                    }
                ],
            }
        )
    )
    path = tmp_path / "with_tower.yaml"
    path.write_text(
        json.dumps({**SMALL, "inputs": {**SMALL["inputs"], "existing_towers": "towers.geojson"}})
    )
    return path


def test_diagnosis_accounts_for_everyone(with_tower):
    s = load_scenario(with_tower)
    d = diagnose(s)
    prep = prepare(s)
    summ = d.summary
    # the existing network serves the same people the plan will not count again
    assert summ["people_covered_before"] == pytest.approx(prep.coverage.people_covered_before)
    assert summ["people_covered_before"] > 0
    total = float(prep.region.grid.population.sum())
    assert summ["people_total"] == pytest.approx(total)
    assert summ["people_covered_before"] + summ["people_unserved"] == pytest.approx(total)
    assert summ["people_in_clusters"] + summ["people_dispersed"] == pytest.approx(
        summ["people_unserved"], abs=0.02
    )
    # served and unserved people partition the grid's people cell by cell
    np.testing.assert_allclose(
        d.served_people + d.unserved_people,
        np.where(prep.region.grid.land, prep.region.grid.population, 0.0),
    )
    # clusters are largest first, above the floor, and their distances are right
    people = [c.people for c in d.clusters]
    assert people == sorted(people, reverse=True) and min(people) >= 50
    tx, ty = d.region.towers.x[0], d.region.towers.y[0]
    for c in d.clusters:
        assert c.nearest_tower_km == pytest.approx(
            np.hypot(c.x_m - tx, c.y_m - ty) / 1000, abs=1e-3
        )
        assert c.nearest_fibre_km is not None  # the synthetic region has a fibre PoP


def test_diagnose_command_writes_its_folder(tmp_path, with_tower, capsys):
    out = tmp_path / "diag"
    assert main(["diagnose", str(with_tower), "-o", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert "people served today" in text
    summary = json.loads((out / "diagnosis.json").read_text())
    with open(out / "clusters.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == summary["clusters"]
    assert sum(float(r["people"]) for r in rows) == pytest.approx(
        summary["people_in_clusters"], abs=0.05 * max(1, len(rows))
    )
    assert len(json.loads((out / "clusters.geojson").read_text())["features"]) == len(rows)
    assert (out / "diagnosis.png").stat().st_size > 10_000
    # an existing diagnosis is not replaced without --overwrite
    assert main(["diagnose", str(with_tower), "-o", str(out), "-q"]) == 2
    assert main(["diagnose", str(with_tower), "-o", str(out), "-q", "--overwrite"]) == 0
