"""Terrain-aware path loss from candidate sites (numba kernels, parallel over sites)."""

from rural_plan.propagation.link_budget import max_path_loss_db
from rural_plan.propagation.models import PROPAGATION_MODELS, get_model
from rural_plan.propagation.point_to_area import (
    SparseCoverage,
    best_server,
    covered_demand,
    site_loss_window,
)
from rural_plan.propagation.settings import RadioSettings

__all__ = [
    "PROPAGATION_MODELS",
    "RadioSettings",
    "SparseCoverage",
    "best_server",
    "covered_demand",
    "get_model",
    "max_path_loss_db",
    "site_loss_window",
]
