"""The coverage stage on a small synthetic region: the demand grid keeps the people and
picks each block's most populous cell, a coarser grid shrinks the matrix, and people an
existing tower serves are never counted again."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rural_plan import plan
from rural_plan.coverage import demand_cells
from rural_plan.pipeline import prepare
from rural_plan.placement import CoverageInstance
from tests.support import lonlat, small_scenario


def test_demand_grid_conserves_people_and_picks_the_most_populous_cell():
    rng = np.random.default_rng(0)
    pop = rng.gamma(0.3, 20.0, (37, 41)) * (rng.random((37, 41)) < 0.6)
    land = rng.random((37, 41)) < 0.9
    for block in (1, 2, 3, 5):
        d = demand_cells(pop, land, block)
        want = pop[land & (pop > 0)].sum()
        assert d.people.sum() == pytest.approx(want, rel=1e-12)
        # every populated land cell belongs to exactly the block holding it
        r, c = np.nonzero(land & (pop > 0))
        ids = d.cell_demand_id[r, c]
        assert (ids >= 0).all()
        for k in range(d.size):
            members = ids == k
            rr, cc = r[members], c[members]
            assert len(set(zip(rr // block, cc // block, strict=True))) == 1
            assert pop[rr, cc].sum() == pytest.approx(d.people[k])
            assert pop[d.rows[k], d.cols[k]] == pop[rr, cc].max()
            assert d.sample_id[d.rows[k], d.cols[k]] == k
        assert (d.sample_id >= 0).sum() == d.size


def test_coarser_demand_grid_keeps_the_people_and_shrinks_the_matrix(tmp_path):
    fine = prepare(small_scenario(tmp_path, grid__demand_cell_m=90))
    coarse = prepare(small_scenario(tmp_path, grid__demand_cell_m=270))
    assert coarse.coverage.demand.block == 3 and fine.coverage.demand.block == 1
    total = float(fine.region.grid.population.sum())
    assert fine.coverage.demand.people.sum() == pytest.approx(total, rel=1e-9)
    assert coarse.coverage.demand.people.sum() == pytest.approx(total, rel=1e-9)
    assert coarse.instance.n_cells < fine.instance.n_cells / 3
    assert coarse.instance.indices.size < fine.instance.indices.size


def test_people_served_by_existing_towers_are_never_counted_again(tmp_path):
    bare = prepare(small_scenario(tmp_path))
    grid = bare.region.grid
    # a tall tower on the most populous cell: it serves a good share of the region
    r, c = np.unravel_index(np.argmax(grid.population), grid.shape)
    x, y = grid.xy_of(np.array([r]), np.array([c]))
    lon, lat = lonlat(grid.crs, float(x[0]), float(y[0]))
    towers = tmp_path / "towers.geojson"
    towers.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                        "properties": {"name": "incumbent", "height_m": 40, "eirp_dbm": 60},
                    }
                ],
            }
        )
    )
    s = small_scenario(tmp_path, inputs__existing_towers="towers.geojson")
    p = plan(s)
    cov = p.coverage
    served = cov.weight == 0
    assert cov.people_covered_before > 0
    assert cov.people_covered_before == pytest.approx(cov.demand.people[served].sum())
    # newly covered counts only cells the tower does not serve ...
    chosen_mask = cov.covered_by(p.selection.chosen)
    assert p.summary["people_newly_covered"] == pytest.approx(
        cov.demand.people[chosen_mask & ~served].sum(), abs=0.01
    )
    assert p.selection.people == pytest.approx(p.summary["people_newly_covered"], abs=0.01)
    # ... and never exceeds the people the tower leaves unserved
    total = float(grid.population.sum())
    assert p.summary["people_newly_covered"] <= total - cov.people_covered_before + 1e-6
    # the same options without the tower would claim the tower's people too
    assert bare.coverage.people_covered_before == 0
    unserved = CoverageInstance.from_arrays(
        indptr=cov.indptr,
        indices=cov.indices,
        weight=cov.demand.people,
        cost_usd=p.options.cost_usd,
        location=p.options.location,
    )
    assert unserved.coverage_of(p.selection.chosen) >= p.selection.people
