"""Cost model: cited presets, site power sizing, NPV, revenue, affordability, sensitivity."""

from __future__ import annotations

import math
import typing

import numpy as np
import pytest
import yaml

from rural_plan.costing import (
    COST_PRESETS,
    POWER_FIGURES,
    POWER_SOURCES,
    SiteSpec,
    affordability,
    annuity_factor,
    battery_kwh,
    cost_rows,
    diesel_litres_per_year,
    generator_kw,
    load_preset,
    monte_carlo,
    net_present_cost,
    patch_preset,
    payback_years,
    plan_cost,
    plan_evaluator,
    power_cost,
    preset_ranges,
    revenue_npv,
    scale_figure,
    site_cost,
    solar_pv_w,
    tornado,
    viability_gap_usd,
)
from rural_plan.costing.presets import _read_preset
from rural_plan.errors import CostingError
from rural_plan.scenario.schema import SiteType

REFERENCE = {"peak_sun_hours": 5.0, "battery_autonomy_days": 2.0}


@pytest.fixture(scope="module")
def default():
    return load_preset("default")


# ------------------------------------------------------------------------ NPV


def test_npv_matches_hand_computation():
    # 10,000 now + 1,000 at the end of each of 3 years at 10 %:
    # 1000/1.1 + 1000/1.21 + 1000/1.331 = 909.0909 + 826.4463 + 751.3148 = 2486.852
    assert net_present_cost(10_000, 1_000, horizon_years=3, discount_rate=0.10) == pytest.approx(
        12_486.852, abs=1e-3
    )
    assert annuity_factor(5, 0.0) == 5.0


# ---------------------------------------------------------------- power sizing


def test_solar_sizing_matches_hand_computation():
    # 120 W all day: 2,880 Wh/day. 5.5 peak sun hours, 20 % losses:
    # PV = 2880 / (5.5 * 0.8) = 654.545 Wp. 3 days at 50 % DoD: 2.88 * 3 / 0.5 = 17.28 kWh.
    assert solar_pv_w(load_w=120, peak_sun_hours=5.5, system_losses=0.2) == pytest.approx(
        654.5454545, rel=1e-9
    )
    assert battery_kwh(load_w=120, autonomy_days=3, depth_of_discharge=0.5) == pytest.approx(17.28)
    figures = {
        "pv_capex_usd_per_w": 1.0,
        "battery_capex_usd_per_kwh": 200.0,
        "battery_depth_of_discharge": 0.5,
        "system_losses": 0.2,
        "battery_life_years": 8.0,
    }
    pc = power_cost(
        {"solar": figures}, "solar", load_w=120, peak_sun_hours=5.5, battery_autonomy_days=3
    )
    assert pc.capex_usd["power_pv_array"] == pytest.approx(654.5454545)
    assert pc.capex_usd["power_battery"] == pytest.approx(17.28 * 200)  # 3,456
    assert pc.opex_usd_per_year["power_battery_replacement"] == pytest.approx(3456 / 8)  # 432
    assert pc.sizing["energy_kwh_per_year"] == pytest.approx(120 * 8760 / 1000)


def test_diesel_sizing_matches_hand_computation():
    # 2.5 kW load, rated 2.4x but at least 6 kW -> 6 kW. HOMER fuel curve:
    # (0.033 * 6 + 0.273 * 2.5) L/h = 0.8805 L/h -> 7,713.18 L/yr.
    assert generator_kw(load_w=2500, sizing_factor=2.4, min_kw=6) == 6.0
    assert generator_kw(load_w=5000, sizing_factor=2.4, min_kw=6) == pytest.approx(12.0)
    litres = diesel_litres_per_year(
        load_w=2500, rated_kw=6, l_per_kwh=0.273, no_load_l_per_h_per_kw=0.033
    )
    assert litres == pytest.approx(7713.18, abs=1e-6)


def test_default_preset_keeps_the_cited_totals(default):
    light = site_cost(default, "light_pole", power_w=150, **REFERENCE)
    macro = site_cost(default, "macro_tower", power_w=2500, **REFERENCE)
    assert light.power_source == "solar" and macro.power_source == "diesel"
    assert light.capex_total_usd == pytest.approx(10_000, abs=1.0)  # the quoted light site
    assert macro.capex_total_usd == pytest.approx(100_000, abs=1e-6)  # the quoted macro
    non_power = macro.opex_total_usd_per_year - macro.power_opex_usd_per_year
    assert non_power == pytest.approx(9_000)  # the quoted macro OPEX, power on top
    # Solar at the reference: 837.2 Wp x 1.30 + 9 kWh x 139.
    assert light.sizing["pv_w"] == pytest.approx(3600 / 4.3)
    assert light.power_capex_usd == pytest.approx(3600 / 4.3 * 1.30 + 9 * 139)
    # Diesel at the reference: ~USD 9,500 of fuel a year ("about $10,000 of diesel").
    assert macro.opex_usd_per_year["power_fuel"] == pytest.approx(7713.18 * 1.23)


def test_light_and_macro_power_differ_by_an_order_of_magnitude(default):
    def power_npv(b):
        return b.power_capex_usd + b.power_opex_usd_per_year * annuity_factor(10, 0.08)

    light = site_cost(default, "light_pole", power_w=150, **REFERENCE)
    macro = site_cost(default, "macro_tower", power_w=2500, **REFERENCE)
    assert 10 < power_npv(macro) / power_npv(light) < 100
    assert 20 < macro.power_opex_usd_per_year / light.power_opex_usd_per_year
    # The same source scales with the load: solar at 2,500 W is 2500/150 x the 150 W system.
    big = site_cost(default, "macro_tower", power_w=2500, power_source="solar", **REFERENCE)
    assert big.power_capex_usd / light.power_capex_usd == pytest.approx(2500 / 150)
    # Diesel for a 150 W site burns mostly idle fuel: far dearer to run than its solar.
    dl = site_cost(default, "light_pole", power_w=150, power_source="diesel", **REFERENCE)
    assert dl.power_opex_usd_per_year > 10 * light.power_opex_usd_per_year


def test_grid_power_hand_computation(default):
    # 1 km x 20 USD/m = 20,000; transformer max(5, 2.5/0.85) = 5 kW x 1000 = 5,000.
    # Energy 2.5 kW x 8760 / 0.85 = 25,764.7 kWh x 0.17 = 4,380.0 USD/yr.
    g = site_cost(default, "macro_tower", power_w=2500, power_source="grid", **REFERENCE)
    assert g.capex_usd["power_grid_line"] == pytest.approx(20_000)
    assert g.capex_usd["power_transformer"] == pytest.approx(5_000)
    assert g.opex_usd_per_year["power_electricity"] == pytest.approx(2.5 * 8760 / 0.85 * 0.17)


# ------------------------------------------------------- revenue and subsidy


def test_revenue_payback_gap_and_affordability_by_hand():
    # 1,000 people x 50 % x 2 USD x 12 = 12,000 a year; x a(3, 10 %) = 2.486852 -> 29,842.22.
    assert revenue_npv(
        people=1000, adoption_share=0.5, arpu_usd_per_month=2.0, horizon_years=3, discount_rate=0.1
    ) == pytest.approx(29_842.22, abs=0.01)
    # Simple payback: 10,000 / (3,000 - 1,000) = 5 years.
    assert payback_years(
        capex_usd=10_000, opex_usd_per_year=1_000, revenue_usd_per_year=3_000
    ) == pytest.approx(5.0)
    # Discounted at 10 %: 2,000 a(T) = 10,000 -> T = -ln(1 - 0.5) / ln(1.1) = 7.2725 years,
    # between 7 (a = 4.8684 -> 9,737) and 8 (a = 5.3349 -> 10,670).
    t = payback_years(
        capex_usd=10_000, opex_usd_per_year=1_000, revenue_usd_per_year=3_000, discount_rate=0.1
    )
    assert t == pytest.approx(math.log(2) / math.log(1.1))
    assert 2000 * annuity_factor(7, 0.1) < 10_000 < 2000 * annuity_factor(8, 0.1)
    # Interest outruns the net revenue (0.1 x 30,000 > 2,000), or no net revenue: never.
    assert (
        payback_years(
            capex_usd=30_000, opex_usd_per_year=1_000, revenue_usd_per_year=3_000, discount_rate=0.1
        )
        == math.inf
    )
    assert payback_years(capex_usd=1, opex_usd_per_year=5, revenue_usd_per_year=5) == math.inf
    assert viability_gap_usd(npv_cost_usd=12_486.85, npv_revenue_usd=10_000) == pytest.approx(
        2_486.85
    )
    assert viability_gap_usd(npv_cost_usd=10, npv_revenue_usd=30) == 0.0
    # GNI 1,200 a year -> 100 a month -> threshold 2 % = 2.00 USD a month.
    dear = affordability(price_usd_per_month=3.0, gni_per_capita_usd=1_200)
    assert (dear.threshold_usd_per_month, dear.share_of_monthly_gni, dear.affordable) == (
        pytest.approx(2.0),
        pytest.approx(0.03),
        False,
    )
    assert affordability(price_usd_per_month=1.5, gni_per_capita_usd=1_200).affordable
    assert affordability(price_usd_per_month=2.0, gni_per_capita_usd=1_200).affordable


# ----------------------------------------------------------------- sensitivity

A = "power.diesel.fuel_price_usd_per_l"
B = "power.solar.pv_capex_usd_per_w"
C = "site_types.light_pole.capex_usd.mast"


def _toy(preset):
    """tco = 100 a + 1000 b + c (hand-checkable swings)."""
    a = preset.power["diesel"]["fuel_price_usd_per_l"]
    b = preset.power["solar"]["pv_capex_usd_per_w"]
    c = preset.site("light_pole").capex_usd["mast"]
    tco = 100 * a + 1000 * b + c
    return {"tco_usd": tco, "people_per_1000_usd": 1e6 / tco}


def test_tornado_gives_the_analytic_swings_and_order(default):
    ranges = {A: (1.0, 3.0), B: (1.0, 1.1), C: (1000.0, 1500.0)}
    rows = tornado(_toy, default, ranges, sort_by="tco_usd")
    # Swings in tco: a 100 x 2 = 200; b 1000 x 0.1 = 100; c 500.
    assert [r.parameter for r in rows] == [C, A, B]
    assert [r.swing for r in rows] == pytest.approx([500, 200, 100])
    base = _toy(default)["tco_usd"]
    row_a = rows[1]
    assert row_a.base_value == 1.23 and (row_a.low_value, row_a.high_value) == (1.0, 3.0)
    assert row_a.at_low["tco_usd"] == pytest.approx(base + 100 * (1.0 - 1.23))
    assert row_a.at_high["tco_usd"] == pytest.approx(base + 100 * (3.0 - 1.23))
    # people per 1,000 USD falls as cost rises: high value -> lower metric.
    assert row_a.at_high["people_per_1000_usd"] < row_a.at_low["people_per_1000_usd"]
    flat = row_a.as_dict()
    assert flat["tco_usd_at_high"] == row_a.at_high["tco_usd"] and flat["swing"] == 200


def test_monte_carlo_is_seeded_and_its_median_lies_inside(default):
    ranges = {A: (1.0, 3.0), B: (1.0, 1.1), C: (1000.0, 1500.0)}
    r1 = monte_carlo(_toy, default, ranges, n=300, seed=7)
    r2 = monte_carlo(_toy, default, ranges, n=300, seed=7)
    r3 = monte_carlo(_toy, default, ranges, n=300, seed=8)
    np.testing.assert_array_equal(r1.samples["tco_usd"], r2.samples["tco_usd"])
    assert r1.percentiles == r2.percentiles
    assert not np.array_equal(r1.samples["tco_usd"], r3.samples["tco_usd"])
    lo = 100 * 1.0 + 1000 * 1.0 + 1000.0
    hi = 100 * 3.0 + 1000 * 1.1 + 1500.0
    p = r1.percentiles["tco_usd"]
    assert lo < p["p5"] < p["p50"] < p["p95"] < hi
    assert {row["metric"] for row in r1.as_rows()} == {"tco_usd", "people_per_1000_usd"}


def test_tornado_over_a_plan_ranks_the_figures_that_matter(default):
    f = plan_evaluator(
        sites=[SiteSpec("light", 150.0, cost_item="light_pole"), SiteSpec("macro", 2500.0,
               cost_item="macro_tower")],
        counts={"light": 20, "macro": 3},
        people=50_000,
        horizon_years=10,
        discount_rate=0.08,
        **REFERENCE,
    )  # fmt: skip
    rows = tornado(f, default, preset_ranges(default))
    money = [k for k in default.figures if not k.endswith(".capacity_users")]  # not priced
    assert len(rows) == len(money)
    top = [r.parameter for r in rows[:8]]
    assert "power.diesel.fuel_price_usd_per_l" in top
    # Grid figures do not touch a solar + diesel plan: zero swing, last.
    assert all(r.swing == 0 for r in rows if r.parameter.startswith("power.grid."))
    assert rows[-1].swing == 0


def test_plan_evaluator_adds_up(default):
    sites = [SiteSpec("light_pole", 150.0), SiteSpec("macro_tower", 2500.0)]
    pc = plan_cost(
        default,
        sites=sites,
        counts={"light_pole": 4, "macro_tower": 1},
        horizon_years=10,
        discount_rate=0.08,
        backhaul=(1_000.0, 100.0),
        **REFERENCE,
    )
    light = site_cost(default, "light_pole", power_w=150, **REFERENCE)
    macro = site_cost(default, "macro_tower", power_w=2500, **REFERENCE)
    assert pc.capex_usd == pytest.approx(4 * light.capex_total_usd + macro.capex_total_usd + 1000)
    opex = 4 * light.opex_total_usd_per_year + macro.opex_total_usd_per_year + 100
    assert pc.tco_usd == pytest.approx(pc.capex_usd + opex * annuity_factor(10, 0.08))
    rows = cost_rows(pc.by_type, default, horizon_years=10, discount_rate=0.08)
    totals = {(r["site_type"], r["item"]): r["value"] for r in rows if r["category"] == "total"}
    assert totals[("light_pole", "capex_usd")] == pytest.approx(light.capex_total_usd)
    assert all(r["source"] for r in rows)


# ------------------------------------------------------------ patching, presets


def test_patch_and_scale_keep_the_original(default):
    mast = default.site("light_pole").capex_usd["mast"]
    doubled = scale_figure(default, C, 2.0)
    assert doubled.site("light_pole").capex_usd["mast"] == 2 * mast
    assert default.site("light_pole").capex_usd["mast"] == mast
    assert "scaled x2" in doubled.sources[C]
    q = patch_preset(default, {A: 2.0, "backhaul.microwave.capex_usd_per_link[0]": 25_000})
    assert q.power["diesel"]["fuel_price_usd_per_l"] == 2.0
    assert q.microwave_capex_usd(15_000) == 25_000
    assert default.microwave_capex_usd(15_000) == 20_000
    with pytest.raises(CostingError, match=r"no figure 'power.solar.magic'; valid: .*fuel_price"):
        patch_preset(default, {"power.solar.magic": 1.0})
    with pytest.raises(CostingError, match=">= 0"):
        patch_preset(default, {A: -1.0})


def test_scenario_overrides_are_marked_as_user_values():
    p = load_preset("default", overrides={A: 1.6})
    assert p.power["diesel"]["fuel_price_usd_per_l"] == 1.6
    assert p.sources[A].startswith("scenario override (user value): 1.6")


def test_a_scenario_preset_file_can_extend_a_packaged_one(tmp_path):
    path = tmp_path / "my_country.yaml"
    path.write_text(
        "extends: default\n"
        "site_types:\n"
        "  light_pole:\n"
        "    opex_usd_per_year:\n"
        "      site_rental: {value: 250, source: 'my ministry lease schedule, 2026 (user value)'}\n"
    )
    mine, base = load_preset(str(path)), load_preset("default")
    assert mine.name == "my_country"
    assert mine.site("light_pole").opex_usd_per_year["site_rental"] == 250
    assert mine.site("light_pole").capex_usd == base.site("light_pole").capex_usd
    assert "range" not in str(mine.sources["site_types.light_pole.opex_usd_per_year.site_rental"])
    path.write_text("extends: nowhere\n")
    with pytest.raises(CostingError, match="extends: unknown preset 'nowhere'; valid: comoros"):
        load_preset(str(path))


def test_registry_and_extends():
    assert {"default", "comoros", "lean-macro"} <= set(COST_PRESETS)
    assert all(path.is_file() for path in COST_PRESETS.values())
    base, comoros = load_preset("default"), load_preset("comoros")
    assert comoros.name == "comoros"
    changed = {k for k in base.figures if base.figures[k] != comoros.figures[k]}
    assert changed == {A}
    lean = site_cost(load_preset("lean-macro"), "macro_tower", power_w=2500, **REFERENCE)
    assert lean.capex_total_usd == pytest.approx(34_500 + 6 * 938)


@pytest.mark.parametrize("name", COST_PRESETS)
def test_every_figure_cites_a_source(name):
    preset = load_preset(name)
    assert preset.sources and preset.figures
    for key, source in preset.sources.items():
        assert len(source) > 20, f"{key}: source too thin: {source!r}"
    for key in preset.figures:
        assert key in preset.sources and key in preset.ranges
    # Every numeric leaf of the YAML is a figure's value or range, and each has a source.
    data, _ = _read_preset(name)

    def walk(node, path, in_figure):
        if isinstance(node, dict):
            figure = "value" in node
            if figure:
                assert str(node.get("source", "")).strip(), f"{path}: no source"
            for k, v in node.items():
                walk(v, f"{path}.{k}", in_figure or figure)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]", in_figure)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            assert in_figure or path.endswith("max_length_m"), f"{path}: uncited number"

    walk(data, name, False)


def test_power_sources_match_the_schema_and_the_preset(default):
    literal = typing.get_args(SiteType.model_fields["power_source"].annotation)
    names = {a for arg in literal for a in (typing.get_args(arg) or (arg,)) if a is not None}
    assert names - {type(None)} == set(POWER_SOURCES)
    for source, needed in POWER_FIGURES.items():
        assert set(needed) == set(default.power.get(source, {})), source


def test_unknown_names_list_the_valid_ones(default, tmp_path):
    with pytest.raises(CostingError, match="valid: comoros, default, lean-macro"):
        load_preset("cheapest")
    with pytest.raises(CostingError, match="valid: light_pole, macro_tower"):
        default.site("cathedral")
    with pytest.raises(CostingError, match="valid: solar, diesel, grid, included"):
        site_cost(default, "light_pole", power_w=150, power_source="wind", **REFERENCE)
    path = tmp_path / "p.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "site_types": {
                    "a": {
                        "power_source": "wind",
                        "capex_usd": {"t": {"value": 5, "source": "s"}},
                        "opex_usd_per_year": {"x": {"value": 1, "source": "s"}},
                    }
                },
                "backhaul": {"microwave": {}, "satellite": {}, "fibre": {}},
            }
        )
    )
    with pytest.raises(CostingError, match="unknown power source 'wind'; valid: solar"):
        load_preset(str(path))


def test_missing_power_figures_are_not_free(default):
    bare = {"solar": {"pv_capex_usd_per_w": 1.0}}
    with pytest.raises(CostingError, match=r"power\.solar lacks battery_capex_usd_per_kwh"):
        power_cost(bare, "solar", load_w=100, peak_sun_hours=5, battery_autonomy_days=1)
    nothing = site_cost(default, "light_pole", power_w=150, power_source="included", **REFERENCE)
    assert nothing.power_capex_usd == 0 and nothing.power_source == "included"


def test_figure_without_source_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "site_types: {a: {capex_usd: {total: {value: 5}},\n"
        "  opex_usd_per_year: {x: {value: 1, source: s}}}}\n"
        "backhaul: {microwave: {}, satellite: {}, fibre: {}}\n"
    )
    with pytest.raises(
        CostingError, match=r"site_types.a.capex_usd.total: needs 'value' and 'source'"
    ):
        load_preset(str(path))


def test_missing_backhaul_type_is_not_free(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "site_types: {a: {capex_usd: {t: {value: 5, source: s}},\n"
        "  opex_usd_per_year: {x: {value: 1, source: s}}}}\n"
        "backhaul: {microwave: {}, fibre: {}}\n"
    )
    with pytest.raises(CostingError, match="satellite: missing; nothing costs 0"):
        load_preset(str(path))
