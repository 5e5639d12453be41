"""Backhaul: connect chosen sites to the core (microwave with Fresnel clearance, satellite)."""

from rural_plan.backhaul.design import CORE, BackhaulPlan, Link, design_backhaul, satellite_costs

__all__ = ["CORE", "BackhaulPlan", "Link", "design_backhaul", "satellite_costs"]
