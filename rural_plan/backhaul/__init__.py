"""Backhaul: connect chosen sites to the core over fibre, microwave (Fresnel clearance
over the DEM), relay and satellite links, within every link's capacity."""

from __future__ import annotations

from rural_plan.backhaul.design import CORE, BackhaulPlan, design_backhaul
from rural_plan.backhaul.kinds import check_kinds
from rural_plan.backhaul.links import Link
from rural_plan.backhaul.pricing import BACKHAUL_TYPES, link_costs, price_link
from rural_plan.backhaul.resilience import Failure
from rural_plan.backhaul.roads import RoadNetwork
from rural_plan.backhaul.settings import BackhaulSettings
from rural_plan.backhaul.sites import design_for_sites

__all__ = [
    "BACKHAUL_TYPES",
    "CORE",
    "BackhaulPlan",
    "BackhaulSettings",
    "Failure",
    "Link",
    "RoadNetwork",
    "check_kinds",
    "design_backhaul",
    "design_for_sites",
    "link_costs",
    "price_link",
]
