"""Backhaul: connect chosen sites to the core over fibre, microwave (Fresnel clearance
over the DEM), relay and satellite links, within every link's capacity.

The stage's modules load on first use: the scenario schema imports
:data:`BACKHAUL_TYPE_NAMES` from here without pulling in the stage (networkx, the numba
kernels, costing) or risking an import cycle.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rural_plan.backhaul.kinds import BACKHAUL_TYPE_NAMES, check_kinds

if TYPE_CHECKING:
    from rural_plan.backhaul.design import (
        CORE,
        BackhaulPlan,
        Failure,
        Link,
        design_backhaul,
        satellite_costs,
    )
    from rural_plan.backhaul.pricing import BACKHAUL_TYPES, link_costs, price_link
    from rural_plan.backhaul.roads import RoadNetwork

_LAZY = {
    "CORE": "design",
    "BackhaulPlan": "design",
    "Failure": "design",
    "Link": "design",
    "design_backhaul": "design",
    "satellite_costs": "design",
    "BACKHAUL_TYPES": "pricing",
    "link_costs": "pricing",
    "price_link": "pricing",
    "RoadNetwork": "roads",
}

__all__ = [
    "BACKHAUL_TYPES",
    "BACKHAUL_TYPE_NAMES",
    "CORE",
    "BackhaulPlan",
    "Failure",
    "Link",
    "RoadNetwork",
    "check_kinds",
    "design_backhaul",
    "link_costs",
    "price_link",
    "satellite_costs",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rural_plan.backhaul' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"rural_plan.backhaul.{module}"), name)
    globals()[name] = value
    return value
