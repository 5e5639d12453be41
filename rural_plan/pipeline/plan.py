"""What the pipeline produces: :class:`Prepared` (everything up to the placement instance)
and :class:`Plan` (every stage's result and the headline numbers). Data only: the
notebook methods of the public :class:`rural_plan.Plan` live in :mod:`rural_plan.api`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from rural_plan.backhaul.design import BackhaulPlan
from rural_plan.costing.economics import Economics
from rural_plan.costing.presets import CostPreset
from rural_plan.costing.site import SiteCostBreakdown
from rural_plan.coverage.existing import ServedToday
from rural_plan.coverage.matrix import CoverageMatrix
from rural_plan.grid.region import Region
from rural_plan.pipeline.fit import CurveBackhaul
from rural_plan.pipeline.sites import SiteTable
from rural_plan.pipeline.summary import Summary
from rural_plan.placement.candidates import Candidates
from rural_plan.placement.greedy import Selection
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.options import SiteOptions
from rural_plan.placement.sweep import BudgetCurve
from rural_plan.propagation.clutter_map import clutter_loss_grid
from rural_plan.propagation.point_to_area import best_server
from rural_plan.propagation.settings import RadioSettings, site_patterns
from rural_plan.scenario.schema import Scenario


@dataclass(frozen=True)
class Prepared:
    """Everything up to the placement instance (the expensive, cost-independent part)."""

    scenario: Scenario
    region: Region
    candidates: Candidates
    options: SiteOptions
    coverage: CoverageMatrix
    instance: CoverageInstance
    preset: CostPreset
    timings_s: dict[str, float]
    executor: dict[str, Any] = field(default_factory=dict, compare=False)
    """Where propagation ran (name, cluster, tasks; ``provenance.json``)."""
    today: ServedToday | None = field(default=None, compare=False)
    """Who today's network serves, checked against the published figure."""
    peak_rss_mb: dict[str, float] = field(default_factory=dict, compare=False)
    """Peak resident memory of each stage so far [MB] (``provenance.json``)."""


@dataclass(frozen=True)
class Plan:
    """A finished plan: every stage's result, and the headline numbers."""

    scenario: Scenario
    region: Region
    candidates: Candidates
    options: SiteOptions
    coverage: CoverageMatrix
    selection: Selection
    curve: BudgetCurve
    backhaul: BackhaulPlan
    preset: CostPreset
    summary: Summary
    """The headline numbers (``summary.json``)."""
    timings_s: dict[str, float] = field(default_factory=dict)
    prepared: Prepared | None = field(default=None, repr=False, compare=False)
    """The coverage this plan was made from (reused to re-plan without propagation)."""
    pois: list[dict[str, Any]] | None = None
    """Per point of interest: covered before / by the plan, by which site (``pois.csv``)."""
    site_costs: dict[str, SiteCostBreakdown] | None = None
    """Itemised cost of one site of each type (``costs.csv``)."""
    economics: Economics | None = None
    """Revenue, subsidy, affordability, sensitivity (``sensitivity*.csv``)."""
    executor: dict[str, Any] = field(default_factory=dict, compare=False)
    """Where propagation ran (name, cluster, tasks; ``provenance.json``)."""
    curve_backhaul: CurveBackhaul | None = field(default=None, compare=False)
    """The budget curve's points re-costed with their designed backhaul."""
    cost_split: dict[str, dict[str, float]] = field(default_factory=dict, compare=False)
    """CAPEX, OPEX per year, OPEX net present cost and TCO [USD] of the sites and of the
    backhaul (``costing.cost_split``)."""
    site_table: SiteTable | None = field(default=None, compare=False)
    """The chosen sites' people and whole costs, backhaul share included (``sites.csv``)."""
    curve_people: np.ndarray | None = field(default=None, compare=False)
    """People newly covered at each budget-curve point, no priority weight in them."""
    money: Any = field(default=None, compare=False)
    """The yearly rollout and cash flow (:class:`~rural_plan.pipeline.accounts.MoneyOverTime`;
    ``cashflow.csv``)."""
    peak_rss_mb: dict[str, float] = field(default_factory=dict, compare=False)
    """Peak resident memory of each stage [MB] (``provenance.json``)."""

    @cached_property
    def best_server_field(self) -> tuple[np.ndarray, np.ndarray]:
        """Best-server received power [dBm] on the plan's grid (NaN: no site in range) and
        the index of the serving site in rollout order (-1); computed once, on first use
        (``coverage.tif``, the report's covered area)."""
        grid, opt, chosen = self.region.grid, self.options, self.selection.chosen
        loc = opt.location[chosen]
        radio = RadioSettings.from_scenario(self.scenario)
        clutter = clutter_loss_grid(self.scenario, grid, self.region.land_cover)
        return best_server(
            grid,
            self.candidates.rows[loc],
            self.candidates.cols[loc],
            opt.mast_height_m[chosen],
            opt.eirp_dbm[chosen],
            radio,
            pattern_index=opt.type_index[chosen],
            patterns=site_patterns(self.scenario, radio, grid.cell_size_m),
            extra_db=clutter,
        )

    @cached_property
    def covered_area(self) -> np.ndarray:
        """Land cells (bool per grid cell) where the best server's signal clears that
        site's link budget (received power ≥ EIRP − maximum path loss of the serving
        site), whether people live there or not."""
        rx, server = self.best_server_field
        opt, chosen = self.options, self.selection.chosen
        threshold = (opt.eirp_dbm[chosen] - opt.max_loss_db[chosen]).astype(np.float64)
        out = np.zeros(rx.shape, dtype=bool)
        served = (server >= 0) & self.region.grid.land
        out[served] = rx[served] >= threshold[server[served]] - 1e-9
        return out
