"""Scenario schema and YAML loading."""

from rural_plan.scenario.loader import load_demo_scenario, load_scenario, scenario_from_mapping
from rural_plan.scenario.schema import Scenario, SiteType

__all__ = ["Scenario", "SiteType", "load_demo_scenario", "load_scenario", "scenario_from_mapping"]
