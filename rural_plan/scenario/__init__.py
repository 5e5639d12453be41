"""Scenario schema and YAML loading.

The names below are imported on first use, so :mod:`rural_plan.scenario.names` (the
registries' names the command line offers) loads without pydantic."""

from typing import TYPE_CHECKING

from rural_plan._lazy import lazy_names

if TYPE_CHECKING:
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

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "Scenario": "rural_plan.scenario.schema",
        "SiteType": "rural_plan.scenario.schema",
        "derive_scenario": "rural_plan.scenario.loader",
        "load_demo_scenario": "rural_plan.scenario.loader",
        "load_scenario": "rural_plan.scenario.loader",
        "scenario_from_mapping": "rural_plan.scenario.loader",
    },
)
