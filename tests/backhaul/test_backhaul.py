"""Backhaul: Fresnel clearance over hand-built terrain, mast raises, capacity, resilience,
fibre along roads, and the least-cost tree."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rural_plan.backhaul import (
    BACKHAUL_TYPES,
    BackhaulSettings,
    RoadNetwork,
    design_backhaul,
    price_link,
)
from rural_plan.backhaul._kernels import hop_clearance, hop_clearances, hop_clearances_serial
from rural_plan.backhaul.graph import ClearanceMemo
from rural_plan.backhaul.roads import road_network
from rural_plan.costing import load_preset, net_present_cost
from rural_plan.errors import BackhaulError, ScenarioError
from rural_plan.grid.align import finish_grid
from rural_plan.scenario.names import BACKHAUL_TYPE_NAMES

CELL = 50.0
K = 4.0 / 3.0
A_EFF = K * 6_371_000.0
F_MHZ = 15_000.0
LAM = 299_792_458.0 / (F_MHZ * 1e6)
PRESET = load_preset("default")
TERRESTRIAL = ("fibre", "microwave", "relay")


def _f1(d1, d2):
    """First Fresnel zone radius [m] (ITU-R P.530 §2.2): sqrt(λ d1 d2 / (d1 + d2))."""
    return math.sqrt(LAM * d1 * d2 / (d1 + d2))


def _bulge(d1, d2):
    """Earth bulge [m] at k = 4/3: d1 d2 / (2 k a)."""
    return d1 * d2 / (2 * A_EFF)


def _terrain(n=20, m=400, height=100.0):
    return np.full((n, m), height)


def _clearance(elev, xa, xb, h):
    """Clearance [F1] of a level hop along the middle row, posts CELL apart."""
    row = 10.0  # the middle row
    ca, cb = xa / CELL - 0.5, xb / CELL - 0.5
    return hop_clearance(elev, ca, row, cb, row, xb - xa, h, h, A_EFF) / math.sqrt(LAM)


def test_flat_ground_matches_fresnel_formula():
    elev = _terrain()
    d = 15_000.0
    got = _clearance(elev, 1_000.0, 1_000.0 + d, 20.0)
    # The worst point of flat ground is mid-path: (h − bulge) / F1.
    assert got == pytest.approx((20.0 - _bulge(d / 2, d / 2)) / _f1(d / 2, d / 2), rel=2e-3)


def test_ridge_refuses_hop_and_taller_masts_clear_it():
    elev = _terrain()
    xa, xb = 2_000.0, 12_000.0
    col = int((xa + 4_000.0) // CELL)
    elev[:, col - 1 : col + 2] = 100.0 + 25.0  # a 25 m ridge, 150 m wide, 4 km from A
    d1, d2 = 4_000.0, 6_000.0
    for h, expect_clear in [(20.0, False), (40.0, True)]:
        expected = (h - 25.0 - _bulge(d1, d2)) / _f1(d1, d2)  # level ray; the ridge pokes up
        got = _clearance(elev, xa, xb, h)
        assert got == pytest.approx(expected, abs=0.05)
        assert (got >= 0.6) == expect_clear


def test_serial_and_parallel_clearance_kernels_agree_exactly():
    rng = np.random.default_rng(4)
    elev = _terrain() + rng.uniform(0, 60, _terrain().shape)
    n = 300
    ca, cb = rng.uniform(0, 380, n), rng.uniform(0, 380, n)
    ra, rb = rng.uniform(1, 18, n), rng.uniform(1, 18, n)
    d = np.hypot(ca - cb, ra - rb) * CELL
    ha, hb = rng.uniform(5, 40, n), rng.uniform(5, 40, n)
    args = (elev, ca, ra, cb, rb, d, ha, hb, A_EFF)
    par, ser = np.empty(n), np.empty(n)
    hop_clearances(*args, par)
    hop_clearances_serial(*args, ser)
    assert par.tolist() == ser.tolist()
    one = [hop_clearance(elev, *(a[7] for a in args[1:8]), A_EFF)]
    assert one == [ser[7]]


# ---------------------------------------------------------------------- design helpers


def _grid(elev):
    n = elev.shape[0]
    return finish_grid(
        elevation_m=elev,
        population=np.zeros_like(elev),
        people_input_total=0.0,
        in_area=np.ones(elev.shape, bool),
        transform=Affine(CELL, 0, 0, 0, -CELL, n * CELL),
        crs="EPSG:32737",
        cell_size_m=CELL,
        dem_voids="fill",
        max_void_fill_m=0.0,
        sea_level_m=0.0,
        population_max_move_m=0.0,
        reprojected_from="",
        dem_name="t",
    )


_FLAT = _grid(_terrain(40, 400))
Y = 1_000.0  # every point of the flat tests lies on this row


SETTINGS = {f.name for f in dataclasses.fields(BackhaulSettings)}


def _designed(grid, **kw):
    """``design_backhaul`` with the settings among ``kw`` (field names of
    BackhaulSettings, the rest of the schema's defaults) and the other keywords."""
    settings = BackhaulSettings.from_schema(**{k: v for k, v in kw.items() if k in SETTINGS})
    rest = {k: v for k, v in kw.items() if k not in SETTINGS}
    return design_backhaul(grid, settings=settings, **rest)


def _design(grid, site_x, fibre_x, **kw):
    args = dict(
        site_y=np.full(len(site_x), Y),
        site_mast_m=np.full(len(site_x), 20.0),
        fibre_y=np.full(len(fibre_x), Y),
        fibre_mast_height_m=30.0,
        preset=PRESET,
        microwave_max_hop_m=40_000.0,
        microwave_frequency_mhz=F_MHZ,
        fresnel_clearance=0.6,
        k_factor=K,
        satellite_mbps_per_site=100.0,
        adoption_share=1.0,  # every person a user: demand = people × Mbps per user
        horizon_years=10,
        discount_rate=0.08,
    )
    args.update(kw)
    return _designed(
        grid, site_x=np.asarray(site_x, float), fibre_x=np.asarray(fibre_x, float), **args
    )


def _npv(capex, opex):
    return net_present_cost(capex, opex, horizon_years=10, discount_rate=0.08)


def _uplinks(plan):
    return {link.b: link for link in plan.links}


def _path_to_core(plan, node):
    up = _uplinks(plan)
    path = [node]
    while node in up:
        node = up[node].a
        path.append(node)
        assert len(path) < 1_000, "cycle"
    return path


# ---------------------------------------------------------------------- least-cost tree


def test_every_site_connected_and_terrestrial_used_when_cheaper():
    plan = _design(_FLAT, [6_000.0, 11_000.0, 16_000.0], [1_000.0])
    assert len(plan.site_kind) == 3
    # 100 Mbps of satellite costs ~31 k USD a year: terrestrial links are far cheaper.
    assert set(plan.site_kind) <= set(TERRESTRIAL)
    assert plan.tco_usd < plan.all_satellite_tco_usd
    for i in range(3):
        assert _path_to_core(plan, f"site:{i + 1}")[-1] in ("core", "fibre:1")


def test_microwave_only_chain_matches_old_behaviour():
    plan = _design(
        _FLAT, [6_000.0, 11_000.0, 16_000.0], [1_000.0], allowed=["microwave", "satellite"]
    )
    assert plan.site_kind == ("microwave", "microwave", "microwave")
    # Each hop is priced from the preset's length class: 5, 10 and 15 km are all < 20 km.
    mw = PRESET.microwave_capex_by_length[0][1]
    assert plan.capex_usd == pytest.approx(3 * mw)
    assert plan.tco_usd == pytest.approx(3 * _npv(mw, mw * PRESET.microwave_opex_fraction_per_year))


def test_no_fibre_in_reach_falls_back_to_satellite():
    plan = _design(_FLAT, [6_000.0], [], satellite_mbps_per_site=100.0)
    assert plan.site_kind == ("satellite",)
    assert plan.tco_usd == pytest.approx(plan.all_satellite_tco_usd)
    sat = plan.links[0]
    assert sat.capacity_mbps == 100.0 and sat.capex_usd == PRESET.satellite_capex_usd


def test_satellite_sized_to_demand():
    people = np.array([10_000.0])
    plan = _design(
        _FLAT, [6_000.0], [], satellite_mbps_per_site=10.0, site_people=people, adoption_share=0.5
    )
    demand = 10_000 * 0.5 * 0.04
    (link,) = plan.links
    assert link.load_mbps == pytest.approx(demand)
    assert link.capacity_mbps == pytest.approx(demand)  # above the 10 Mbps minimum
    assert link.opex_usd_per_year == pytest.approx(
        demand * PRESET.satellite_opex_usd_per_mbps_per_year
    )


def test_unknown_type_raises_with_valid_names():
    with pytest.raises(BackhaulError, match=r"laser.*fibre, microwave, relay, satellite"):
        _design(_FLAT, [6_000.0], [1_000.0], allowed=["microwave", "laser"])
    assert tuple(BACKHAUL_TYPES) == BACKHAUL_TYPE_NAMES


def test_scenario_refuses_unknown_type(tmp_path):
    from rural_plan.scenario.loader import load_scenario

    path = tmp_path / "s.yaml"
    path.write_text(
        "name: t\ninputs: {synthetic: {}}\nbudget_usd: 1000000\n"
        "backhaul: {allowed: [microwave, pigeon]}\n"
    )
    with pytest.raises(ScenarioError, match=r"pigeon.*fibre, microwave, relay, satellite"):
        load_scenario(path)


def test_without_satellite_a_stranded_site_is_an_error():
    with pytest.raises(BackhaulError, match=r"site:1.*satellite"):
        _design(_FLAT, [6_000.0], [], allowed=["microwave"])


def test_price_link_reprices_the_plan():
    plan = _design(
        _FLAT,
        [3_000.0, 8_000.0, 14_000.0],
        [1_000.0],
        site_people=np.array([3_000.0, 8_000.0, 500.0]),
        relay_x=np.array([11_000.0]),
        relay_y=np.array([Y]),
    )
    capex = sum(price_link(k, PRESET)[0] for k in plan.links)
    opex = sum(price_link(k, PRESET)[1] for k in plan.links)
    assert capex == pytest.approx(plan.capex_usd)
    assert opex == pytest.approx(plan.opex_usd_per_year)
    assert sum(_npv(*price_link(k, PRESET)) for k in plan.links) == pytest.approx(plan.tco_usd)


# ---------------------------------------------------------------------- mast raises


def _ridge_grid(ridge_m):
    """Flat 100 m ground with a ridge ``ridge_m`` high across the middle of a 10 km hop
    from x = 2 km to x = 12 km (100 m wide at its full height)."""
    elev = _terrain(40, 400)
    col = int(7_000.0 // CELL)
    elev[:, col - 1 : col + 2] = 100.0 + ridge_m
    return _grid(elev)


def _ridge_design(grid, max_raise, **kw):
    args = dict(
        fibre_mast_height_m=20.0,
        allowed=["microwave", "satellite"],
        max_mast_raise_m=max_raise,
        mast_raise_step_m=5.0,
    )
    args.update(kw)
    return _design(grid, [12_000.0], [2_000.0], **args)


def test_hop_with_clearance_is_accepted_without_raise():
    plan = _ridge_design(_ridge_grid(10.0), 20.0)
    (link,) = plan.links
    # Midpoint: (20 − 10 − bulge) / F1 = 1.21 ≥ 0.6.
    expect = (20.0 - 10.0 - _bulge(5_000, 5_000)) / _f1(5_000, 5_000)
    assert link.kind == "microwave" and link.mast_raise_m == 0.0
    assert link.clearance_f1 == pytest.approx(expect, abs=0.05)


def test_ridge_hop_refused_without_raise():
    plan = _ridge_design(_ridge_grid(30.0), 0.0)
    # (20 − 30 − bulge) / F1 < 0: blocked; the site falls back to satellite.
    assert plan.site_kind == ("satellite",)
    assert not plan.mast_raise_m


def test_raising_masts_buys_clearance_at_its_cost():
    grid = _ridge_grid(30.0)
    d = 5_000.0
    f1, bulge = _f1(d, d), _bulge(d, d)
    # At mid-path the ray rises by (ra + rb) / 2: it clears 0.6 F1 once
    # (ra + rb) / 2 ≥ 30 + bulge + 0.6 F1 − 20 = 15.71 m, so ra + rb = 35 m in 5 m steps
    # (30 m gives (20 + 15 − 30 − bulge) / F1 = 0.50 < 0.6).
    need = 30.0 + bulge + 0.6 * f1 - 20.0
    total = 5.0 * math.ceil(2 * need / 5.0)
    assert total == 35.0
    plan = _ridge_design(grid, 20.0)
    (link,) = plan.links
    assert link.kind == "microwave"
    assert link.mast_raise_m == pytest.approx(total)
    assert sum(plan.mast_raise_m.values()) == pytest.approx(total)
    assert max(plan.mast_raise_m.values()) <= 20.0
    per_m = PRESET.figures["backhaul.microwave.mast_raise_capex_usd_per_m"]
    assert link.capex_usd == pytest.approx(PRESET.microwave_capex_by_length[0][1] + total * per_m)
    assert link.clearance_f1 == pytest.approx((20.0 + total / 2 - 30.0 - bulge) / f1, abs=0.05)
    # Not allowed far enough (15 m each end: 30 m in all) → refused again.
    assert _ridge_design(grid, 15.0).site_kind == ("satellite",)


def test_donor_masts_are_not_raised():
    grid = _ridge_grid(30.0)
    plan = _design(
        grid,
        [12_000.0],
        [],
        donor_x=np.array([2_000.0]),
        donor_y=np.array([Y]),
        donor_mast_m=20.0,
        donor_capacity_mbps=1_000.0,
        allowed=["microwave", "satellite"],
        max_mast_raise_m=40.0,
    )
    (link,) = plan.links
    assert link.a == "donor:1"
    assert "donor:1" not in plan.mast_raise_m
    # Only the site end rises: (ra + rb) / 2 ≥ 15.71 with ra = 0 → rb = 35 m.
    assert plan.mast_raise_m == {"site:1": 35.0}


# ---------------------------------------------------------------------- capacity


layouts = st.fixed_dictionaries(
    {
        "sites": st.lists(
            st.tuples(st.floats(500, 19_500), st.floats(200, 1_800), st.floats(0, 20_000)),
            min_size=1,
            max_size=10,
        ),
        "fibre": st.lists(st.floats(500, 19_500), max_size=1),
        "donors": st.lists(st.floats(500, 19_500), max_size=2),
        "relays": st.lists(st.floats(500, 19_500), max_size=2),
        "mw": st.floats(20, 400),
        "relay": st.floats(5, 100),
        "fibre_cap": st.floats(50, 2_000),
        "donor": st.floats(0, 200),
        "depth": st.integers(1, 3),
    }
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts)
def test_capacity_never_exceeded_and_never_dearer_than_all_satellite(lay):
    sx = np.array([s[0] for s in lay["sites"]])
    sy = np.array([s[1] for s in lay["sites"]])
    people = np.array([s[2] for s in lay["sites"]])
    n_donor, n_relay = len(lay["donors"]), len(lay["relays"])
    plan = _designed(
        _FLAT,
        site_x=sx,
        site_y=sy,
        site_mast_m=np.full(sx.size, 15.0),
        fibre_x=np.array(lay["fibre"]),
        fibre_y=np.full(len(lay["fibre"]), 1_000.0),
        fibre_mast_height_m=30.0,
        preset=PRESET,
        microwave_max_hop_m=15_000.0,
        microwave_frequency_mhz=F_MHZ,
        fresnel_clearance=0.6,
        k_factor=K,
        satellite_mbps_per_site=10.0,
        horizon_years=10,
        discount_rate=0.08,
        site_people=people,
        adoption_share=0.43,
        donor_x=np.array(lay["donors"]),
        donor_y=np.full(n_donor, 500.0),
        donor_mast_m=30.0,
        donor_capacity_mbps=lay["donor"],
        relay_x=np.array(lay["relays"]),
        relay_y=np.full(n_relay, 1_500.0),
        relay_max_depth=lay["depth"],
        microwave_capacity_mbps=lay["mw"],
        relay_capacity_mbps=lay["relay"],
        fibre_capacity_mbps=lay["fibre_cap"],
    )
    demand = people * 0.43 * 0.04
    assert plan.site_demand_mbps == pytest.approx(tuple(demand))
    # Loads: each link carries exactly the demand of the sites below it, within capacity.
    below: dict[str, float] = {}
    roots = {"core"} | {f"fibre:{j + 1}" for j in range(len(lay["fibre"]))}
    roots |= {f"donor:{j + 1}" for j in range(n_donor)}
    for i in range(sx.size):
        path = _path_to_core(plan, f"site:{i + 1}")
        assert path[-1] in roots, path  # never stranded
        for node in path[:-1] if path[-1] == "core" else path:
            below[node] = below.get(node, 0.0) + demand[i]
    for link in plan.links:
        assert link.load_mbps == pytest.approx(below[link.b], abs=1e-6)
        assert link.load_mbps <= link.capacity_mbps * (1 + 1e-9) + 1e-9, link
    for donor, load in plan.donor_load_mbps.items():
        assert load == pytest.approx(below[donor], abs=1e-6)
        assert load <= lay["donor"] + 1e-9
    assert plan.max_link_utilisation <= 1 + 1e-9
    # Relay cascades stay within the depth limit.
    up = _uplinks(plan)
    for i in range(sx.size):
        node, run, worst = f"site:{i + 1}", 0, 0
        while node in up:
            run = run + 1 if up[node].kind == "relay" else 0
            worst = max(worst, run)
            node = up[node].a
        assert worst <= lay["depth"]
    assert plan.tco_usd <= plan.all_satellite_tco_usd * (1 + 1e-9) + 1e-6
    used = {k.b for k in plan.links} | {k.a for k in plan.links}
    assert set(plan.relays_used) <= used


def test_overloaded_link_is_repaired():
    # One PoP; three big villages in a row 4 km apart; a microwave hop carries 100 Mbps and
    # a relay 20, so the chain cannot take them all: some go direct or to satellite.
    people = np.array([4_000.0, 4_000.0, 4_000.0])  # 4,000 × 0.43 × 0.04 = 68.8 Mbps each
    plan = _design(
        _FLAT,
        [5_000.0, 9_000.0, 13_000.0],
        [1_000.0],
        site_people=people,
        adoption_share=0.43,
        microwave_capacity_mbps=100.0,
        relay_capacity_mbps=20.0,
        microwave_max_hop_m=4_500.0,
        satellite_mbps_per_site=10.0,
        allowed=["microwave", "relay", "satellite"],
    )
    assert plan.capacity_moves >= 1
    for link in plan.links:
        assert link.load_mbps <= link.capacity_mbps + 1e-9
    assert plan.site_kind[0] == "microwave"
    assert "satellite" in plan.site_kind  # the hop out of the PoP fits only one village


# ---------------------------------------------------------------------- relays


def test_relay_only_node_bridges_to_a_donor_at_its_cost():
    # A donor at 0.5 km, a site at 19.5 km: 19 km is beyond one relay hop (12.2 km), a
    # relay node at 10 km bridges it.
    plan = _design(
        _FLAT,
        [19_500.0],
        [],
        donor_x=np.array([500.0]),
        donor_y=np.array([Y]),
        donor_mast_m=30.0,
        relay_x=np.array([10_000.0]),
        relay_y=np.array([Y]),
        allowed=["relay", "satellite"],
        site_people=np.array([1_000.0]),  # 40 Mbps: within a relay's 50
    )
    assert plan.relays_used == ("relay:1",)
    up = _uplinks(plan)
    assert [up["site:1"].a, up["relay:1"].a] == ["relay:1", "donor:1"]
    link = up["relay:1"]
    assert link.relay_site and link.kind == "relay"
    f = PRESET.figures
    assert link.capex_usd == pytest.approx(
        f["backhaul.relay.capex_usd_per_link"] + f["backhaul.relay.site_capex_usd"]
    )
    assert plan.donor_load_mbps == {"donor:1": pytest.approx(1_000 * 0.04)}


def test_unused_relay_node_costs_nothing():
    plan = _design(
        _FLAT,
        [5_000.0],
        [1_000.0],
        relay_x=np.array([15_000.0]),
        relay_y=np.array([Y]),
    )
    assert plan.relays_used == ()
    assert not any(k.relay_site for k in plan.links)


def test_relay_depth_limit():
    xs = [4_000.0, 8_000.0, 12_000.0, 16_000.0]
    plan = _design(
        _FLAT,
        xs,
        [],
        donor_x=np.array([0.0 + 100.0]),
        donor_y=np.array([Y]),
        donor_mast_m=30.0,
        donor_capacity_mbps=1_000.0,
        relay_max_hop_m=4_500.0,
        relay_max_depth=2,
        allowed=["relay", "satellite"],
    )
    # Donor → site 0 → site 1 by relay; site 2 would be a third relay in a row, so sites 2
    # and 3 share one satellite terminal (one relays to the other).
    assert plan.site_kind[:2] == ("relay", "relay")
    assert plan.site_parent[:2] == ("donor:1", "site:1")
    assert plan.site_parent[2] != "site:2"
    assert sorted(plan.site_kind[2:]) == ["relay", "satellite"]


# ---------------------------------------------------------------------- resilience


def _two_pops(max_hop_m):
    return _design(
        _FLAT,
        [3_000.0, 5_000.0, 17_000.0],
        [1_000.0, 19_000.0],
        site_people=np.array([1_000.0, 2_000.0, 4_000.0]),
        allowed=["microwave", "satellite"],
        microwave_max_hop_m=max_hop_m,
    )


def test_fibre_node_failure_reports_people_lost():
    plan = _two_pops(5_000.0)
    assert plan.site_parent == ("fibre:1", "fibre:1", "fibre:2")
    by_element = {f.element: f for f in plan.failures}
    pop0 = by_element["fibre:1"]
    assert pop0.sites_lost == (0, 1) and pop0.people_lost == pytest.approx(3_000.0)
    # With 5 km hops nothing else reaches sites 0 and 1: no alternative but satellite.
    assert pop0.people_without_alternative == pytest.approx(3_000.0)
    assert by_element["fibre:2"].people_lost == pytest.approx(4_000.0)
    assert by_element["fibre:1->site:2"].people_lost == pytest.approx(2_000.0)
    assert by_element["fibre:1->site:2"].people_without_alternative == 0.0  # via site 1
    assert plan.worst_single_failure.people_lost == pytest.approx(4_000.0)
    # Paths core–fibre:1–site:1 and core–fibre:1–site:2–site:1 share the PoP.
    assert plan.sites_with_two_paths == ()


def test_two_pops_in_reach_give_two_paths_and_alternatives():
    plan = _two_pops(40_000.0)
    assert plan.sites_with_two_paths == (0, 1, 2)
    pop0 = next(f for f in plan.failures if f.element == "fibre:1")
    assert pop0.people_lost == pytest.approx(3_000.0)
    assert pop0.people_without_alternative == 0.0
    assert plan.summary()["backhaul_worst_single_failure"]["people_lost"] == 4_000.0


def test_design_without_resilience_has_the_same_links_and_costs():
    full = _two_pops(40_000.0)
    quick = _design(
        _FLAT,
        [3_000.0, 5_000.0, 17_000.0],
        [1_000.0, 19_000.0],
        site_people=np.array([1_000.0, 2_000.0, 4_000.0]),
        allowed=["microwave", "satellite"],
        microwave_max_hop_m=40_000.0,
        resilience=False,
    )
    assert quick.links == full.links and quick.site_kind == full.site_kind
    assert quick.tco_usd == full.tco_usd
    assert quick.all_satellite_tco_usd == full.all_satellite_tco_usd
    assert full.sites_with_two_paths and full.failures  # what is left out
    assert quick.sites_with_two_paths == () and quick.failures == ()
    assert quick.worst_single_failure is None


def test_designs_sharing_a_clearance_memo_equal_designs_without():
    # Sites on both sides of a ridge (mast raises bought), designed as nested sets, as
    # the budget curve's points are: the memo changes no link, and the second design of
    # the same sites traces no hop again.
    grid = _ridge_grid(30.0)
    xs = [12_000.0, 9_000.0, 4_000.0, 15_000.0, 18_000.0]
    people = np.array([3_000.0, 1_000.0, 2_000.0, 500.0, 800.0])
    memo = ClearanceMemo()
    for n in (2, 5, 3, 5):
        kw = dict(fibre_mast_height_m=20.0, allowed=["microwave", "relay", "satellite"])
        kw.update(site_people=people[:n], max_mast_raise_m=20.0)
        plain = _design(grid, xs[:n], [2_000.0], **kw)
        before = len(memo.values)
        shared = _design(grid, xs[:n], [2_000.0], clearance_memo=memo, **kw)
        assert shared.links == plain.links and shared.tco_usd == plain.tco_usd
        if n == 5 and before > 0 and len(memo.values) == before:
            break  # the second design of all five sites traced nothing new
    else:
        pytest.fail("the memo did not serve the repeated design")
    assert any(link.mast_raise_m > 0 for link in plain.links)
    with pytest.raises(ValueError, match="one terrain"):
        _design(_FLAT, xs[:2], [2_000.0], clearance_memo=memo)


# ---------------------------------------------------------------------- fibre along roads

ROAD_L = np.array([[0.0, 0.0], [1_000.0, 0.0], [1_000.0, 1_000.0]])


def test_fibre_route_along_roads_hand_computed():
    net = RoadNetwork([ROAD_L[:2], ROAD_L[1:]])  # two lines sharing the corner
    far, same = net.routes_from(200.0, -100.0, [1_100.0, 600.0], [700.0, 50.0])
    # Leg 100 to (200, 0), 800 along to the corner, 700 up to (1000, 700), leg 100.
    assert far.length_m == pytest.approx(100 + 800 + 700 + 100)
    assert far.xy[0] == (200.0, -100.0) and far.xy[-1] == (1_100.0, 700.0)
    assert (1_000.0, 0.0) in far.xy
    # Both join the first segment: 100 + 400 along it + 50.
    assert same.length_m == pytest.approx(550.0)


def test_disconnected_roads_give_no_route():
    net = RoadNetwork([ROAD_L[:2], np.array([[5_000.0, 0.0], [6_000.0, 0.0]])])
    (route,) = net.routes_from(0.0, -10.0, [5_500.0], [10.0])
    assert route is None


def test_road_routes_on_a_lattice_are_shortest_and_kept_per_start():
    # A 6 x 6 street lattice (many equal-length routes): each route is a polyline whose
    # length is the route length, the shortest; asking again (the start's tree kept)
    # gives the same routes; equal roads give the same network, other roads another.
    step = 500.0
    lines = [np.array([[0.0, k * step], [5 * step, k * step]]) for k in range(6)]
    lines += [np.array([[k * step, 0.0], [k * step, 5 * step]]) for k in range(6)]
    lines = [np.array([a + (b - a) * t for t in np.linspace(0, 1, 6)]) for a, b in lines]
    net = road_network(lines)
    assert road_network([line.copy() for line in lines]) is net
    assert road_network(lines[:-1]) is not net
    rng = np.random.default_rng(5)
    tx, ty = rng.uniform(-100, 2_600, 40), rng.uniform(-100, 2_600, 40)
    routes = net.routes_from(130.0, -40.0, tx, ty)

    def ends(q):  # the lattice vertices at the ends of the segment q lies on
        on_row = abs(q[1] / step - round(q[1] / step)) < 1e-9
        k = 0 if on_row else 1
        lo = np.floor(q[k] / step) * step
        return [np.where(np.arange(2) == k, v, q) for v in (lo, min(lo + step, 5 * step))]

    for r in routes:
        xy = np.array(r.xy)
        assert np.hypot(*np.diff(xy, axis=0).T).sum() == pytest.approx(r.length_m)
        q1, q2 = xy[1], xy[-2]  # where the start and the target join the roads
        # on a full lattice the road distance between vertices is the Manhattan distance
        best = min(
            np.hypot(*(q1 - a)) + np.abs(a - b).sum() + np.hypot(*(b - q2))
            for a in ends(q1)
            for b in ends(q2)
        )
        if np.allclose(ends(q1), ends(q2)):  # the same segment: along it
            best = min(best, np.hypot(*(q1 - q2)))
        legs = np.hypot(*(xy[1] - xy[0])) + np.hypot(*(xy[-1] - xy[-2]))
        assert r.length_m == pytest.approx(best + legs)
    again = RoadNetwork(lines).routes_from(130.0, -40.0, tx, ty)
    assert (
        [(r.length_m, r.xy) for r in net.routes_from(130.0, -40.0, tx, ty)]
        == [(r.length_m, r.xy) for r in routes]
        == [(r.length_m, r.xy) for r in again]
    )


def test_design_lays_fibre_along_roads_else_straight_with_detour():
    # Roads 200 m south of the row of points: PoP (1000) and site (4000) each 200 m off.
    road = [np.array([[0.0, Y - 200.0], [2_500.0, Y - 200.0], [6_000.0, Y - 200.0]])]
    kw = dict(allowed=["fibre", "satellite"], site_people=np.array([20_000.0]))
    plan = _design(_FLAT, [4_000.0], [1_000.0], road_lines=road, **kw)
    (link,) = plan.links
    assert link.kind == "fibre" and link.route == "road"
    assert link.length_m == pytest.approx(200 + 3_000 + 200)
    assert link.capex_usd == pytest.approx(3.4 * PRESET.fibre_capex_usd_per_km)
    assert len(link.geometry_xy) >= 4
    straight = _design(_FLAT, [4_000.0], [1_000.0], **kw)
    (link,) = straight.links
    assert link.route == "straight"
    assert link.length_m == pytest.approx(3_000 * PRESET.figures["backhaul.fibre.detour_factor"])


def test_fibre_routes_sharing_a_road_pay_its_trench_once():
    """Three sites along one road from one PoP: each route runs the road from the PoP, so
    together they trench the road to the farthest site once (plus each site's own leg),
    not the sum of the routes; the links' costs and the plan's follow the trench."""
    road = [np.array([[0.0, Y - 200.0], [2_500.0, Y - 200.0], [16_000.0, Y - 200.0]])]
    sites = [5_000.0, 9_000.0, 13_000.0]
    plan = _design(
        _FLAT,
        sites,
        [1_000.0],
        road_lines=road,
        allowed=["fibre", "satellite"],
        site_people=np.full(3, 20_000.0),
    )
    fibre = sorted((k for k in plan.links if k.kind == "fibre"), key=lambda k: k.length_m)
    assert len(fibre) == 3 and all(k.route == "road" for k in fibre)
    legs = 200.0 * 4  # the PoP's leg to the road, and each site's
    union = (13_000.0 - 1_000.0) + legs
    # (a leg leaving the road shares its first metre with the road's trench)
    assert sum(k.trench_length_m for k in fibre) == pytest.approx(union, abs=5.0)
    assert sum(k.length_m for k in fibre) > 1.9 * union  # the routes overlap
    # the nearest site pays the shared road; the others only their own stretch beyond it
    assert fibre[0].trench_length_m == pytest.approx(fibre[0].length_m)
    assert fibre[1].trench_length_m == pytest.approx(4_000.0 + 200.0, abs=2.0)
    per_km = PRESET.fibre_capex_usd_per_km
    for k in fibre:
        assert k.capex_usd == pytest.approx(per_km * k.trench_length_m / 1000.0)
        assert price_link(k, PRESET)[0] == pytest.approx(k.capex_usd)
