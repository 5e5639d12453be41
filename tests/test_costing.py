"""Cost presets (every figure cited) and net present cost."""

from __future__ import annotations

import pytest

from rural_plan.costing import COST_PRESETS, annuity_factor, load_preset, net_present_cost
from rural_plan.errors import CostingError


def test_npv_matches_hand_computation():
    # 10,000 now + 1,000 at the end of each of 3 years at 10 %:
    # 1000/1.1 + 1000/1.21 + 1000/1.331 = 909.0909 + 826.4463 + 751.3148 = 2486.852
    assert net_present_cost(10_000, 1_000, horizon_years=3, discount_rate=0.10) == pytest.approx(
        12_486.852, abs=1e-3
    )
    assert annuity_factor(5, 0.0) == 5.0


@pytest.mark.parametrize("name", COST_PRESETS)
def test_every_figure_cites_a_source(name):
    preset = load_preset(name)
    assert preset.sources
    for key, source in preset.sources.items():
        assert len(source) > 20, f"{key}: source too thin: {source!r}"


def test_default_preset_headline_figures():
    p = load_preset("default")
    assert p.site("light_pole").capex_total_usd == 10_000  # the quoted light-site figure
    assert p.site("macro_tower").capex_total_usd == 100_000  # the quoted macro figure
    assert p.site("macro_tower").opex_total_usd_per_year == 9_000
    assert p.microwave_capex_usd(15_000) == 20_000
    assert p.microwave_capex_usd(30_000) == 30_000
    assert p.satellite_capex_usd > 0 and p.satellite_opex_usd_per_mbps_per_year > 0


def test_unknown_site_type_lists_valid_ones():
    with pytest.raises(CostingError, match="valid: light_pole, macro_tower"):
        load_preset("default").site("cathedral")


def test_unknown_preset_lists_valid_ones():
    with pytest.raises(CostingError, match="valid: default"):
        load_preset("cheapest")


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
