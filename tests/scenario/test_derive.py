"""Deriving a changed scenario in Python, validated as YAML is: dotted keys and merged
mappings, overrides on load_scenario, the same one-line errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rural_plan import derive_scenario, load_scenario
from rural_plan.errors import ScenarioError
from tests.conftest import REPO

DEMO = REPO / "scenarios" / "demo.yaml"


def test_dotted_keys_and_merged_mappings():
    s = load_scenario(DEMO)
    d = derive_scenario(s, {"radio.frequency_mhz": 1800, "cost": {"horizon_years": 15}})
    assert d.radio.frequency_mhz == 1800 and d.cost.horizon_years == 15
    assert d.cost.discount_rate == s.cost.discount_rate  # merged, not replaced
    assert d.radio.model == s.radio.model and d.source_path == s.source_path
    assert s.radio.frequency_mhz != 1800  # the original is untouched (frozen)
    with pytest.raises(ValidationError, match="frozen"):
        s.budget_usd = 1  # type: ignore[misc]


def test_site_types_given_are_the_types():
    s = load_scenario(DEMO)
    d = derive_scenario(s, {"site_types": {"light_pole": s.site_types["light_pole"].model_dump()}})
    assert list(d.site_types) == ["light_pole"]


def test_a_wrong_key_or_value_is_refused_in_the_yaml_words():
    s = load_scenario(DEMO)
    with pytest.raises(
        ScenarioError, match=r"radio.frequncy_mhz: unknown key; did you mean 'frequency_mhz'"
    ):
        derive_scenario(s, {"radio.frequncy_mhz": 1800})
    with pytest.raises(ScenarioError, match="budget_usd: Input should be greater than 0"):
        derive_scenario(s, {"budget_usd": -5})


def test_overrides_on_load_scenario():
    s = load_scenario(DEMO, {"budget_usd": 2e6, "placement.method": "greedy"})
    assert s.budget_usd == 2e6 and s.placement.method == "greedy"
    with pytest.raises(ScenarioError, match=r"placement\.method"):
        load_scenario(DEMO, {"placement.method": "magic"})
