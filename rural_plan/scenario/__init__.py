"""Scenario schema and YAML loading."""

from rural_plan.scenario.loader import (
    derive_scenario,
    load_demo_scenario,
    load_scenario,
    scenario_from_mapping,
)
from rural_plan.scenario.schema import Scenario, SiteType

__all__ = [
    "Scenario",
    "SiteType",
    "derive_scenario",
    "load_demo_scenario",
    "load_scenario",
    "scenario_from_mapping",
]
