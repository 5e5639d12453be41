"""The plan recipe end to end on a small synthetic region: placement modes, the budget
curve, site capacity, points of interest, economics and the designed backhaul (the demand
grid and the existing network: tests/coverage/)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from rural_plan import plan
from rural_plan.pipeline import prepare
from rural_plan.placement import KIND_NAMES, CoverageInstance, select_min_cost
from rural_plan.report import write_results
from tests.support import lonlat, small_scenario


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("small")
    p = plan(small_scenario(tmp))
    out = write_results(p, tmp / "results")
    return p, out


def test_plan_uses_the_scenario_method_and_reports_it(small_plan):
    p, out = small_plan
    summary = json.loads((out / "summary.json").read_text())
    assert summary["placement_method"] == "local-search" == p.selection.method
    assert summary["placement_status"] in ("local_optimum", "time_limit", "move_limit")
    # the plan's certified gap: an upper bound on the optimum of what placement solved
    assert 0.0 <= summary["placement_gap_bound_pct"] <= 100.0
    assert summary["placement_upper_bound_people"] >= p.selection.people - 0.01
    assert summary["placement_gap_bound_pct"] == pytest.approx(100 * p.selection.gap, abs=1e-4)
    # placement kept its own budget (scaled by the backhaul rounds); the plan, the real one
    assert p.selection.cost_usd <= summary["placement_budget_usd"] * (1 + 1e-9)
    assert summary["tco_usd"] <= p.scenario.budget_usd * (1 + 1e-9)
    # local search starts from the greedy: never fewer people (the first placement)
    from rural_plan.placement import select_greedy
    from rural_plan.placement.select import select_sites

    first = select_sites(p.scenario, p.prepared.instance, p.coverage)
    assert first.method == "local-search"
    assert first.cost_usd <= p.scenario.budget_usd * (1 + 1e-12)
    greedy = select_greedy(p_instance(p), budget_usd=p.scenario.budget_usd)
    assert first.people >= greedy.people - 1e-6


def p_instance(p) -> CoverageInstance:
    return CoverageInstance.from_arrays(
        indptr=p.coverage.indptr,
        indices=p.coverage.indices,
        weight=p.coverage.weight,
        cost_usd=p.options.cost_usd,
        location=p.options.location,
    )


def test_budget_curve_csv_is_monotone_and_affordable(small_plan):
    p, out = small_plan
    with open(out / "budget_curve.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == p.scenario.placement.budget_curve_points
    budget = np.array([float(r["budget_usd"]) for r in rows])
    cost = np.array([float(r["cost_usd"]) for r in rows])
    people = np.array([float(r["people_newly_covered"]) for r in rows])
    assert (np.diff(budget) >= 0).all()
    assert (np.diff(people) >= -1e-6).all()
    assert (cost <= budget * (1 + 1e-9)).all()
    assert {r["budget_basis"] for r in rows} == {p.scenario.budget_basis}
    # each point is a real choice: no point covers more than every option together
    everything = float(
        p.coverage.weight[p.coverage.covered_by(np.arange(p.options.location.size))].sum()
    )
    assert people.max() <= everything + 0.005  # CSV keeps 2 decimals


@pytest.mark.slow
def test_minimum_cost_to_reach_a_target(tmp_path):
    s = small_scenario(tmp_path, placement__coverage_target_share=0.6, placement__method="greedy")
    p = plan(s)
    inst = p_instance(p)
    target = 0.6 * (p.coverage.demand.people.sum() - p.coverage.people_covered_before)
    assert p.selection.people >= target - 1e-6
    assert p.selection.cost_usd <= s.budget_usd
    assert p.summary["placement_method"] == "greedy_min_cost"
    exact = select_min_cost(inst, target_people=target, time_limit_s=60)
    assert exact.cost_usd <= p.selection.cost_usd * (1 + 1e-9)
    # the exact answer is certified: its bound is a lower bound on any covering choice
    assert exact.bound <= p.selection.cost_usd * (1 + 1e-9)


def test_unreachable_target_is_one_clear_error(tmp_path):
    from rural_plan.errors import PlacementError

    s = small_scenario(tmp_path, placement__coverage_target_share=1.0, budget_usd=100_000)
    with pytest.raises(PlacementError, match=r"coverage target .* budget_usd"):
        plan(s)


def test_proposed_sites_from_csv_are_candidates(tmp_path):
    bare = prepare(small_scenario(tmp_path))
    grid = bare.region.grid
    r, c = grid.shape[0] // 3, grid.shape[1] // 4
    x, y = grid.xy_of(np.array([r]), np.array([c]))
    lon, lat = lonlat(grid.crs, float(x[0]), float(y[0]))
    (tmp_path / "mine.csv").write_text(f"name,Longitude,Latitude\nschool roof,{lon},{lat}\n")
    p = prepare(small_scenario(tmp_path, inputs__candidate_sites="mine.csv"))
    kinds = [KIND_NAMES[k] for k in p.candidates.kind]
    assert kinds[0] == "proposed"
    assert (p.candidates.rows[0], p.candidates.cols[0]) == (r, c)
    assert "mine.csv" in p.region.inputs_sha256


@pytest.mark.slow
def test_capacity_capped_sites_never_claim_more_than_they_carry(tmp_path):
    s = small_scenario(
        tmp_path,
        placement__method="greedy",
        site_types={
            "light_pole": {
                "mast_height_m": 15,
                "eirp_dbm": 56,
                "power_w": 150,
                "capacity_people": 1_500,
            }
        },
    )
    p = plan(s)
    per_site = [float(g) for g in p.selection.marginal_people]
    assert max(per_site) <= 1_500 + 1e-6
    assert p.summary["site_capacity_capped"] is True
    assert p.summary["people_newly_covered"] <= 1_500 * p.summary["sites_selected"] + 1e-6
    assert p.summary["people_newly_covered"] <= p.summary["people_in_new_footprint"] + 1e-6
    # the same plan without the cap claims the whole footprint
    uncapped = plan(small_scenario(tmp_path, placement__method="greedy"))
    assert uncapped.summary["people_newly_covered"] == uncapped.summary["people_in_new_footprint"]


def test_a_method_that_chooses_by_coverage_still_reports_people_served(tmp_path):
    """Local search chooses by people covered; the plan counts only the people its sites
    serve within their capacities, and sizes their backhaul from those."""
    capped = {
        "light_pole": {"mast_height_m": 15, "eirp_dbm": 56, "power_w": 150, "capacity_people": 800}
    }
    p = plan(small_scenario(tmp_path, site_types=capped))
    s = p.summary
    assert s["placement_method"] == "local-search" and s["site_capacity_capped"]
    assert p.prepared.instance.capacity is None  # the search itself is not capped
    assert s["people_newly_served"] <= s["people_newly_covered"] + 1e-6
    assert s["people_newly_served"] <= 800 * s["sites_selected"] + 1e-6
    assert s["people_per_1000_usd"] == pytest.approx(
        s["people_newly_served"] / (s["tco_usd"] / 1000), rel=1e-3
    )
    per_user = p.scenario.cost.adoption_share * p.scenario.backhaul.busy_hour_mbps_per_user
    assert max(p.backhaul.site_demand_mbps) <= 800 * per_user + 1e-9


def test_local_search_by_people_served_chooses_within_capacity(tmp_path):
    """``placement.objective: served``: local search maximises the people its sites serve
    within their capacities (the capped instance), never fewer than the capacity-aware
    greedy on the same instance, and the summary says which objective it used."""
    from rural_plan.placement import select_greedy
    from rural_plan.placement.capacity import served_people
    from rural_plan.placement.select import select_sites

    capped = {
        "light_pole": {"mast_height_m": 15, "eirp_dbm": 56, "power_w": 150, "capacity_people": 800}
    }
    p = plan(small_scenario(tmp_path, site_types=capped, placement__objective="served"))
    s = p.summary
    assert s["placement_method"] == "local-search" and s["placement_objective"] == "served"
    instance = p.prepared.instance
    assert instance.capped  # the search itself maximises people served
    sel = p.selection
    assert sel.people == pytest.approx(served_people(instance, sel.chosen), rel=1e-9)
    first = select_sites(p.scenario, instance, p.coverage)
    assert first.people == pytest.approx(served_people(instance, first.chosen), rel=1e-9)
    greedy = select_greedy(instance, budget_usd=p.scenario.budget_usd)
    assert first.people >= greedy.people - 1e-6
    assert s["people_newly_served"] <= 800 * s["sites_selected"] + 1e-6
    assert s["placement_gap_bound_pct"] is not None and s["placement_gap_bound_pct"] >= 0.0
    # the default stays people covered for local search
    assert plan(small_scenario(tmp_path, site_types=capped)).summary["placement_objective"] == (
        "covered"
    )


def test_the_milp_refuses_the_served_objective(tmp_path):
    with pytest.raises(Exception, match="objective 'served' needs method"):
        small_scenario(tmp_path, placement__method="milp", placement__objective="served")


def test_replace_reuses_coverage_and_equals_a_fresh_plan(tmp_path, small_plan):
    p, _ = small_plan
    quick = p.replace(budget_usd=250_000, cost={"horizon_years": 7})
    fresh = plan(small_scenario(tmp_path, budget_usd=250_000, cost__horizon_years=7))
    assert quick.coverage is p.coverage  # no propagation redone
    strip = ("scenario_file", "inputs_sha256")
    assert {k: v for k, v in quick.summary.items() if k not in strip} == {
        k: v for k, v in fresh.summary.items() if k not in strip
    }
    # a radio change cannot reuse the coverage: it runs the whole plan
    other = p.replace(radio={"frequency_mhz": 700})
    assert other.coverage is not p.coverage
    assert other.scenario.radio.frequency_mhz == 700


def test_recost_with_an_edited_preset(small_plan):
    import dataclasses

    p, _ = small_plan
    preset = p.preset
    dearer = dataclasses.replace(
        preset,
        site_types={
            name: dataclasses.replace(cost, capex_usd={k: 2 * v for k, v in cost.capex_usd.items()})
            for name, cost in preset.site_types.items()
        },
    )
    q = p.recost(dearer)
    assert q.coverage is p.coverage
    # the same sites would cost more; the re-optimised plan spends the same budget
    assert q.summary["capex_usd"] / max(1, q.summary["sites_selected"]) > p.summary[
        "capex_usd"
    ] / max(1, p.summary["sites_selected"])
    assert q.summary["people_newly_covered"] <= p.summary["people_newly_covered"] + 1e-6


def test_tables_match_the_written_files(small_plan):
    p, out = small_plan
    sites = p.sites
    features = json.loads((out / "sites.geojson").read_text())["features"]
    assert len(sites) == len(features) == p.summary["sites_selected"]
    assert sites["people_newly_covered"].tolist() == [
        f["properties"]["people_newly_covered"] for f in features
    ]
    with open(out / "budget_curve.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    curve = p.budget_curve
    assert curve["people_newly_covered"].round(2).tolist() == [
        float(r["people_newly_covered"]) for r in rows
    ]
    assert len(p.links) == len(json.loads((out / "links.geojson").read_text())["features"])
    with open(out / "sites.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [float(r["people_newly_covered"]) for r in table] == [
        f["properties"]["people_newly_covered"] for f in features
    ]


def _giga_pois_csv(path, grid, cells):
    lines = ["poi_id,lat,lon,poi_type,is_connected,connectivity_type,has_electricity"]
    for k, (r, c, kind) in enumerate(cells):
        x, y = grid.xy_of(np.array([r]), np.array([c]))
        lon, lat = lonlat(grid.crs, float(x[0]), float(y[0]))
        lines.append(f"P{k},{lat},{lon},{kind},false,,true")
    path.write_text("\n".join(lines) + "\n")


def test_schools_weighted_in_the_objective_are_covered_first(tmp_path):
    base = prepare(small_scenario(tmp_path))
    grid = base.region.grid
    inst = base.instance
    # the single best site, and a school far from it where nobody lives
    best = int(np.argmax([inst.coverage_of([i]) / inst.cost_usd[i] for i in range(inst.n_options)]))
    covered_by_best = np.zeros(inst.n_cells, dtype=bool)
    covered_by_best[inst.row(best)] = True
    far = [
        (int(r), int(c))
        for r, c in zip(*np.nonzero(grid.land), strict=True)
        if grid.population[r, c] == 0
    ]
    assert far, "the synthetic region should have empty land"
    _giga_pois_csv(tmp_path / "pois.csv", grid, [(*far[len(far) // 2], "school")])
    one_site = float(inst.cost_usd.min()) * 1.5
    # backhaul at the placement estimate (no busy-hour demand: a minimum satellite
    # terminal), so the budget buys exactly one site whatever it covers; no site capacity,
    # so the school's weight is not capped with the people
    uncapped = {
        "light_pole": {"mast_height_m": 15, "eirp_dbm": 56, "power_w": 150, "capacity_people": 1e9}
    }
    plain = plan(
        small_scenario(
            tmp_path,
            inputs__pois="pois.csv",
            budget_usd=one_site,
            placement__method="greedy",
            backhaul__busy_hour_mbps_per_user=0,
            site_types=uncapped,
        )
    )
    weighted = plan(
        small_scenario(
            tmp_path,
            inputs__pois="pois.csv",
            budget_usd=one_site,
            placement__method="greedy",
            placement__poi_weight_people={"school": 1e6},
            backhaul__busy_hour_mbps_per_user=0,
            site_types=uncapped,
        )
    )
    rows_plain, rows_w = plain.pois, weighted.pois
    assert len(rows_w) == 1 and rows_w[0]["poi_type"] == "school"
    if rows_plain[0]["covered_by_plan"]:
        pytest.skip("the best site happens to cover the school already")
    assert rows_w[0]["covered_by_plan"] and rows_w[0]["technology"] == "light_pole"
    assert rows_w[0]["serving_site_id"] == 1
    assert weighted.summary["pois"]["school"] == {
        "total": 1,
        "served_before": 0,
        "newly_covered": 1,
    }
    # the bonus steers the choice but is never reported as people
    cov = weighted.coverage
    real = float(cov.weight[cov.covered_by(weighted.selection.chosen)].sum())
    assert weighted.summary["people_newly_covered"] == pytest.approx(real, abs=0.01)
    assert weighted.summary["people_newly_covered"] <= plain.summary["people_newly_covered"] + 1e-6


def test_economics_and_cost_files(tmp_path):
    s = small_scenario(
        tmp_path,
        cost__arpu_usd_per_month=2.5,
        cost__gni_per_capita_usd=1_500,
        cost__adoption_share=0.4,
        cost__monte_carlo_samples=40,
    )
    p = plan(s)
    out = write_results(p, tmp_path / "econ")
    summ = p.summary
    people, tco = summ["people_newly_covered"], summ["tco_usd"]
    # revenue by hand: people × adoption × ARPU × 12, discounted like the OPEX
    per_year = people * 0.4 * 2.5 * 12
    assert summ["revenue_usd_per_year"] == pytest.approx(per_year, rel=1e-6)
    r, n = s.cost.discount_rate, s.cost.horizon_years
    npv = per_year * (1 - (1 + r) ** -n) / r
    assert summ["revenue_npv_usd"] == pytest.approx(npv, rel=1e-6)
    assert summ["viability_gap_usd"] == pytest.approx(max(0.0, tco - npv), abs=0.02)
    # 2 % of monthly GNI per capita: 1,500 / 12 × 0.02 = 2.5 USD: exactly affordable
    assert summ["affordability_threshold_usd_per_month"] == pytest.approx(2.5)
    assert summ["affordable"] is True
    assert (
        summ["people_per_1000_usd_p5"]
        <= summ["people_per_1000_usd_p50"]
        <= summ["people_per_1000_usd_p95"]
    )
    # costs.csv totals are what the options were priced with
    with open(out / "costs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    total = [r for r in rows if r["category"] == "total" and r["item"] == "capex_usd"]
    assert total, rows[:3]
    assert float(total[0]["value"]) == pytest.approx(float(p.options.capex_usd[0]), rel=1e-9)
    with open(out / "sensitivity.csv", newline="") as f:
        tornado = list(csv.DictReader(f))
    swings = [float(t["swing"]) for t in tornado]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    # every tornado bar brackets the base people per 1,000 USD
    base = summ["people_per_1000_usd"]
    for t in tornado:
        lo, hi = float(t["people_per_1000_usd_at_low"]), float(t["people_per_1000_usd_at_high"])
        assert min(lo, hi) <= base + 1e-4 and max(lo, hi) >= base - 1e-4  # summary: 4 decimals


def test_dropping_a_site_type_reuses_its_coverage(tmp_path):
    two = {
        "light_pole": {"mast_height_m": 15, "eirp_dbm": 56, "power_w": 150},
        "tall_pole": {
            "mast_height_m": 30,
            "eirp_dbm": 58,
            "power_w": 200,
            "cost_item": "light_pole",
        },
    }
    p = plan(small_scenario(tmp_path, site_types=two))
    only_tall = {"tall_pole": two["tall_pole"]}
    quick = p.replace(site_types=only_tall)
    fresh = plan(small_scenario(tmp_path, site_types=only_tall), use_cache=False)
    np.testing.assert_array_equal(quick.coverage.indptr, fresh.coverage.indptr)
    np.testing.assert_array_equal(quick.coverage.indices, fresh.coverage.indices)
    strip = ("scenario_file", "inputs_sha256")
    assert {k: v for k, v in quick.summary.items() if k not in strip} == {
        k: v for k, v in fresh.summary.items() if k not in strip
    }


def _feature_collection(path, geometries, properties=None):
    feats = [
        {"type": "Feature", "geometry": g, "properties": (properties or [{}] * len(geometries))[i]}
        for i, g in enumerate(geometries)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))


def test_designed_backhaul_keeps_the_plan_within_budget(small_plan):
    p, out = small_plan
    s = json.loads((out / "summary.json").read_text())
    # what the plan really spends (sites + designed backhaul) is what the budget allows
    assert s["budget_used_usd"] == pytest.approx(s["tco_usd"], abs=0.01)
    assert s["tco_usd"] <= s["budget_usd"] * (1 + 1e-6)
    # each site's demand: the people it newly covers (counted once) within its capacity,
    # x adoption x Mbps
    people = p.coverage.people_per_option(p.selection.chosen)
    assert people.sum() == pytest.approx(s["people_in_new_footprint"], abs=0.01)
    people = np.minimum(people, p.options.capacity_people[p.selection.chosen])
    per_user = p.scenario.cost.adoption_share * p.scenario.backhaul.busy_hour_mbps_per_user
    np.testing.assert_allclose(p.backhaul.site_demand_mbps, people * per_user, rtol=1e-12)
    assert s["backhaul_demand_mbps"] == pytest.approx(people.sum() * per_user, abs=1e-3)
    assert s["backhaul_max_link_utilisation"] <= 1.0 + 1e-9
    # links.geojson: a link per site, capacities and loads, geometry from its nodes
    links = json.loads((out / "links.geojson").read_text())["features"]
    assert sum(f["properties"]["to"].startswith("site:") for f in links) == len(p.selection.chosen)
    for f in links:
        props = f["properties"]
        assert props["load_mbps"] <= props["capacity_mbps"] * (1 + 1e-9)
        kind = f["geometry"]["type"]
        assert kind == ("Point" if props["type"] == "satellite" else "LineString")


def test_fibre_follows_the_roads_layer(tmp_path):
    base = plan(small_scenario(tmp_path, backhaul__allowed=["fibre", "satellite"]))
    straight = [k for k in base.backhaul.links if k.kind == "fibre"]
    assert straight, "a fibre extension should beat a satellite terminal near the PoP"
    detour = base.preset.figures["backhaul.fibre.detour_factor"]
    for k in straight:
        (xa, ya), (xb, yb) = k.geometry_xy[0], k.geometry_xy[-1]
        assert k.route == "straight"
        assert k.length_m == pytest.approx(detour * np.hypot(xb - xa, yb - ya), rel=1e-9)
    # a road: an L from the PoP, east then north, through the region
    grid = base.region.grid
    x0, y0 = float(base.region.fibre.x[0]), float(base.region.fibre.y[0])
    corner = (x0 + 3_000.0, y0)
    end = (x0 + 3_000.0, y0 + 4_000.0)
    pts = [lonlat(grid.crs, x, y) for x, y in [(x0, y0), corner, end]]
    _feature_collection(
        tmp_path / "roads.geojson", [{"type": "LineString", "coordinates": [list(q) for q in pts]}]
    )
    p = plan(
        small_scenario(
            tmp_path, backhaul__allowed=["fibre", "satellite"], inputs__roads="roads.geojson"
        )
    )
    assert "roads.geojson" in p.summary["inputs_sha256"]
    assert len(p.region.roads) == 1
    np.testing.assert_allclose(p.region.roads[0][0], (x0, y0), atol=0.01)
    on_road = [k for k in p.backhaul.links if k.kind == "fibre" and k.route == "road"]
    assert on_road
    for k in on_road:
        xy = np.asarray(k.geometry_xy)
        along = float(np.hypot(*np.diff(xy, axis=0).T).sum())
        assert k.length_m == pytest.approx(along, rel=1e-6)
        assert k.length_m >= np.hypot(*(xy[-1] - xy[0])) - 1e-6


def test_an_existing_tower_feeds_sites_as_a_donor(tmp_path, small_plan):
    p0, _ = small_plan
    grid = p0.region.grid
    # a quiet tower (a 2G site where only 4G counts: it serves no one) one cell from the
    # first chosen site
    loc = p0.options.location[p0.selection.chosen[0]]
    r, c = p0.candidates.rows[loc], p0.candidates.cols[loc] + 1
    x, y = grid.xy_of(np.array([r]), np.array([c]))
    lon, lat = lonlat(grid.crs, float(x[0]), float(y[0]))
    _feature_collection(
        tmp_path / "towers.geojson",
        [{"type": "Point", "coordinates": [lon, lat]}],
        [{"name": "incumbent", "height_m": 40, "technology": "2G"}],
    )
    s = small_scenario(
        tmp_path,
        inputs__existing_towers="towers.geojson",
        existing_network__serving_technologies=["4G"],
        backhaul__allowed=["relay", "satellite"],
        backhaul__donor_capacity_mbps=1_000,
    )
    p = plan(s)
    assert p.coverage.people_covered_before == 0
    fed = [k for k in p.backhaul.links if k.a == "donor:1"]
    assert fed and all(k.kind == "relay" for k in fed)
    assert p.backhaul.donor_load_mbps["donor:1"] <= 1_000 + 1e-9
    np.testing.assert_allclose(fed[0].geometry_xy[0], (x[0], y[0]), atol=0.01)
    # a donor's own backhaul is the tower's: its relays cost only their terminals
    relay_capex = p.preset.figures["backhaul.relay.capex_usd_per_link"]
    plain = [k for k in fed if not k.relay_site and k.mast_raise_m == 0]
    assert all(k.capex_usd == pytest.approx(relay_capex) for k in plain)


@pytest.mark.parametrize("budget", [60_000, 150_000, 250_000, 1_000_000])
def test_every_budget_is_kept_with_the_designed_backhaul(small_plan, budget):
    p0, _ = small_plan
    p = p0.replace(budget_usd=budget)
    assert p.summary["tco_usd"] <= budget * (1 + 1e-9)
    assert p.summary["budget_used_usd"] == pytest.approx(p.summary["tco_usd"], abs=0.01)
    assert 1 <= p.summary["backhaul_placement_rounds"] <= 9
    # every chosen site is connected by exactly one uplink
    ups = [k.b for k in p.backhaul.links if k.b.startswith("site:")]
    assert sorted(ups) == sorted(f"site:{k + 1}" for k in range(p.selection.chosen.size))


# ------------------------------------------------- budget curve at its designed backhaul

CURVE_COLUMNS = [
    "budget_usd",
    "cost_usd",
    "people_newly_covered",
    "sites",
    "people_per_1000_usd",
    "budget_basis",
    "backhaul_usd",
    "cost_designed_usd",
    "people_per_1000_usd_designed",
    "priority_score",
]


def _curve_csv(out):
    with open(out / "budget_curve.csv", newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def test_budget_curve_points_are_recosted_with_their_designed_backhaul(small_plan):
    from rural_plan.costing import annuity_factor, net_present_cost
    from rural_plan.placement.greedy import rollout

    p, out = small_plan
    header, rows = _curve_csv(out)
    assert header == CURVE_COLUMNS  # the old columns first, unchanged; new ones added
    summary = json.loads((out / "summary.json").read_text())
    assert summary["budget_curve_backhaul"] == "designed"
    assert summary["budget_curve_designed_points"] == len(rows) == 25  # default: all
    s, o, cov, pre = p.scenario, p.options, p.coverage, p.preset
    c, bh = s.cost, s.backhaul
    af = annuity_factor(c.horizon_years, c.discount_rate)
    for k, r in enumerate(rows):
        chosen = p.curve.chosen[k]
        assert chosen.size == int(r["sites"])
        assert float(o.cost_usd[chosen].sum()) == pytest.approx(float(r["cost_usd"]), abs=0.01)
        sites_usd = float(
            net_present_cost(
                o.capex_usd[chosen].sum(),
                o.opex_usd_per_year[chosen].sum(),
                horizon_years=c.horizon_years,
                discount_rate=c.discount_rate,
            )
        )
        backhaul, real = float(r["backhaul_usd"]), float(r["cost_designed_usd"])
        # sites + designed backhaul, on the budget basis (TCO here)
        assert backhaul > 0
        assert real == pytest.approx(sites_usd + backhaul, abs=0.02)
        assert real >= sites_usd
        people = float(r["people_newly_covered"])
        assert float(r["people_per_1000_usd_designed"]) == pytest.approx(
            people / (real / 1000), abs=1e-4
        )
        # never dearer than a satellite terminal at each site sized to its demand (the
        # people it newly covers in rollout order, counted once)
        order, _ = rollout(p.prepared.instance, np.sort(chosen))
        served = np.minimum(cov.people_per_option(order), p.options.capacity_people[order])
        demand = served * c.adoption_share * bh.busy_hour_mbps_per_user
        mbps = np.maximum(demand, bh.satellite_mbps_per_site)
        all_sat = float(
            (pre.satellite_capex_usd + pre.satellite_opex_usd_per_mbps_per_year * mbps * af).sum()
        )
        assert p.curve_backhaul.all_satellite_tco_usd[k] == pytest.approx(all_sat, rel=1e-9)
        assert backhaul <= all_sat * (1 + 1e-9)
    # the table is the file
    frame = p.budget_curve
    assert list(frame.columns) == [n for n in CURVE_COLUMNS if n != "budget_basis"]
    for name in ("backhaul_usd", "cost_designed_usd"):
        assert frame[name].round(2).tolist() == [float(r[name]) for r in rows]


def test_a_plan_with_a_curve_points_sites_costs_what_that_point_costs(small_plan):
    p, _ = small_plan
    real = p.curve_backhaul.cost_usd
    # The last re-costed point the plan's budget affords: the plan, which re-places its
    # sites knowing their designed backhaul, covers about as many people (the fit's
    # rounds are a heuristic: within 0.5 % of that point).
    fits = np.flatnonzero(real <= p.scenario.budget_usd)
    assert fits.size
    assert p.selection.people >= p.curve.people[fits[-1]] * (1 - 0.005)
    # Given a point's real cost as its budget, the plan often picks that point's sites:
    # then it costs what the point costs (designed independently, in rollout order).
    matched = 0
    for k in range(real.size - 1, real.size - 6, -1):
        q = p.replace(budget_usd=float(real[k]))
        if set(q.selection.chosen.tolist()) != set(p.curve.chosen[k].tolist()):
            continue
        matched += 1
        assert q.summary["budget_used_usd"] == pytest.approx(real[k], abs=0.01)
        # and in the plan's own curve that point is the star
        assert q.curve_backhaul.cost_usd[k] == pytest.approx(q.summary["budget_used_usd"], abs=0.01)
    assert matched >= 2


def test_budget_curve_backhaul_points_are_spread_and_the_rest_left_empty(small_plan, tmp_path):
    from rural_plan.pipeline.fit import curve_points_to_design

    assert curve_points_to_design(25, 0).tolist() == []
    assert curve_points_to_design(25, 1).tolist() == [24]
    assert curve_points_to_design(25, 2).tolist() == [0, 24]
    assert curve_points_to_design(25, 5).tolist() == [0, 6, 12, 18, 24]
    assert curve_points_to_design(3, 10).tolist() == [0, 1, 2]
    p0, _ = small_plan
    p = p0.replace(placement={"budget_curve_backhaul_points": 5})
    out = write_results(p, tmp_path / "five")
    header, rows = _curve_csv(out)
    assert header == CURVE_COLUMNS
    for k, r in enumerate(rows):
        designed = [r[n] for n in CURVE_COLUMNS[6:9]]
        if k in (0, 6, 12, 18, 24):
            assert all(v != "" for v in designed)
            # the same sites, the same real cost as in the plan re-costing every point
            want = p0.curve_backhaul.cost_usd[k]
            assert float(r["cost_designed_usd"]) == pytest.approx(want, abs=0.01)
        else:
            assert designed == ["", "", ""]  # empty, not zero
    assert np.isnan(p.budget_curve["cost_designed_usd"]).sum() == 20
    assert p.summary["budget_curve_designed_points"] == 5
    none = p0.replace(placement={"budget_curve_backhaul_points": 0})
    assert none.summary["budget_curve_backhaul"] == "estimate"
    assert none.summary["budget_curve_designed_points"] == 0
    assert none.budget_curve["cost_designed_usd"].isna().all()
    # on a CAPEX budget basis the real cost is CAPEX too: sites' plus the backhaul's
    capex = p0.replace(budget_basis="capex", placement={"budget_curve_backhaul_points": 3})
    d = capex.curve_backhaul
    assert capex.summary["budget_curve_designed_points"] == 3
    for k in np.flatnonzero(d.designed):
        chosen = capex.curve.chosen[k]
        sites_capex = float(capex.options.capex_usd[chosen].sum())
        assert d.cost_usd[k] - d.backhaul_usd[k] == pytest.approx(sites_capex, abs=1e-6)
        assert 0 < d.backhaul_usd[k] < d.backhaul_tco_usd[k]  # CAPEX only, no OPEX
    # the estimate columns do not depend on the re-costing
    for name in ("budget_usd", "cost_usd", "people_newly_covered", "sites"):
        assert none.budget_curve[name].tolist() == p0.budget_curve[name].tolist()
