"""Placement and backhaul fitted to each other: placement prices each site with an
estimated backhaul, the backhaul is then designed for the sites it chose, and the two are
iterated until the plan's real spend fits the budget (:func:`place_with_backhaul`); the
budget curve's points are re-costed the same way (:func:`curve_backhaul`)."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from rural_plan.backhaul.design import BackhaulPlan
from rural_plan.backhaul.graph import ClearanceMemo, node_index
from rural_plan.backhaul.pricing import price_link
from rural_plan.backhaul.settings import BackhaulSettings
from rural_plan.backhaul.sites import design_for_sites
from rural_plan.costing.presets import CostPreset
from rural_plan.costing.settings import CostSettings
from rural_plan.errors import BackhaulError, PlacementError
from rural_plan.placement.bound import certified
from rural_plan.placement.greedy import Selection, rollout
from rural_plan.placement.options import SiteOptions
from rural_plan.placement.select import select_sites
from rural_plan.placement.sweep import BudgetCurve
from rural_plan.progress import progress

log = logging.getLogger(__name__)

BACKHAUL_ROUNDS = 8
"""Most rounds of placement → backhaul design → re-cost (:func:`place_with_backhaul`)."""
BACKHAUL_SEARCH_ROUNDS = 4
"""Rounds after which the best plan within budget found so far is taken."""


@dataclass(frozen=True)
class BackhaulFit:
    """The placement whose designed backhaul fits the budget, and how it was reached."""

    selection: Selection
    backhaul: BackhaulPlan
    spent_usd: float
    """Sites plus designed backhaul on the budget basis [USD]."""
    rounds: int
    """Placement → backhaul → re-cost rounds run (1: the first placement stood)."""
    stable: bool
    """The last round chose the sites of the round before (the iteration converged)."""
    placement_budget_usd: float
    """The budget placement was given in the kept round [USD]."""
    stop: str = ""
    """Why the rounds stopped, in words (``STOP_REASONS``)."""

    def summary(self) -> dict[str, Any]:
        """The fit's fields of the plan's :class:`~rural_plan.pipeline.summary.Summary`."""
        return {
            "placement_budget_estimate_usd": round(float(self.selection.cost_usd), 2),
            "placement_budget_usd": round(float(self.placement_budget_usd), 2),
            "backhaul_placement_rounds": self.rounds,
            "backhaul_placement_stable": self.stable,
            "backhaul_placement_stop": self.stop,
        }


STOP_REASONS = {
    "stable": "converged: the last round chose the sites of the round before, within budget",
    "budget": "the plan spends at least 98 % of the budget with its designed backhaul",
    "search": "after {search} rounds the best plan within budget found so far was kept",
    "rounds": "the most rounds ({rounds}) were run; the best plan within budget was kept",
    "floor": "placement's budget fell below the cheapest site; the best plan within budget "
    "was kept",
    "satellite": "no round fitted the budget; the last placement priced every site with a "
    "satellite terminal sized to all the people it could cover",
}
"""Why placement and backhaul design stopped iterating (``backhaul_placement_stop``)."""


def _stop(key: str) -> str:
    return STOP_REASONS[key].format(search=BACKHAUL_SEARCH_ROUNDS, rounds=BACKHAUL_ROUNDS)


def unused_budget(prep, fit: BackhaulFit) -> tuple[float, str]:
    """The budget the plan leaves unspent [USD] and why, in words ('' when it spends
    within 0.5 % of it)."""
    budget = prep.scenario.budget_usd
    left = budget - fit.spent_usd
    if left <= 0.005 * budget:
        return max(left, 0.0), ""
    cov, options = prep.coverage, prep.options
    covered = cov.covered_by(fit.selection.chosen)
    taken = np.zeros(int(options.location.max()) + 1 if options.location.size else 0, bool)
    taken[options.location[fit.selection.chosen]] = True
    gains = (cov.weight > 0) & ~covered  # demand cells someone else could still cover
    adds = np.array(
        [
            not taken[options.location[i]]
            and bool(gains[cov.indices[cov.indptr[i] : cov.indptr[i + 1]]].any())
            for i in range(options.location.size)
        ],
        dtype=bool,
    )
    if not adds.any():
        return left, "no other candidate site would cover anyone not already covered"
    cheapest = float(options.cost_usd[adds].min())
    if cheapest > left:
        return left, (
            f"the cheapest candidate site that would cover more people costs {cheapest:,.0f} "
            f"USD with its estimated backhaul, more than the {left:,.0f} USD left"
        )
    return left, (
        f"a site that would cover more people costs {cheapest:,.0f} USD with its estimated "
        f"backhaul, within the {left:,.0f} USD left, but placement was given "
        f"{fit.placement_budget_usd:,.0f} USD so that the sites with their designed backhaul "
        f"fit the budget ({fit.stop})"
    )


def plan_spend_usd(
    costs: CostSettings, options: SiteOptions, chosen: np.ndarray, backhaul: BackhaulPlan
) -> float:
    """What a plan spends on the budget basis [USD]: sites plus their designed backhaul,
    as net present cost ('tco') or CAPEX ('capex')."""
    if costs.budget_basis == "capex":
        return float(options.capex_usd[chosen].sum()) + backhaul.capex_usd
    site_tco = costs.npv_usd(
        float(options.capex_usd[chosen].sum()), float(options.opex_usd_per_year[chosen].sum())
    )
    return float(site_tco) + backhaul.tco_usd


def place_with_backhaul(prep, first: Selection) -> BackhaulFit:
    """Placement and backhaul design of prepared coverage (a
    :class:`~rural_plan.pipeline.plan.Prepared`), iterated until the plan's real spend
    (sites + designed backhaul) fits the budget.

    Placement prices every option with an estimated backhaul: a satellite terminal at
    the scenario's ``satellite_mbps_per_site``. After each design, two corrections:

    * a chosen site the tree leaves on satellite is re-priced at that terminal, sized to
      its demand (known without its neighbours, so the estimate only rises and cannot
      chase a neighbour placement may drop);
    * placement's budget is scaled by budget / spend (at most ×1.5, at least ×0.5),
      so the backhaul's difference from the estimates moves the number of sites; when
      two rounds in a row chose the same sites over budget it is also set below what
      those sites cost placement, so the next round cannot choose them again.

    It stops when the plan fits and either chose the same sites twice or spends at least
    98 % of the budget, or after :data:`BACKHAUL_SEARCH_ROUNDS` rounds with a plan within
    budget; of the rounds within budget the one covering the most people is kept.

    When no round fits, a last placement prices every option with a satellite terminal
    sized to all the people it could cover: the designed backhaul never costs more than
    that (the tree falls back to satellite), so that plan is within budget whenever
    satellite is allowed.
    """
    scenario, options = prep.scenario, prep.options
    costs = CostSettings.from_scenario(scenario)
    site_part = options.basis_cost_usd(costs)
    estimate = options.cost_usd - site_part
    budget = scenario.budget_usd
    placement_budget = budget
    selection, instance = first, prep.instance
    best: BackhaulFit | None = None
    best_instance = instance
    previous: frozenset[int] | None = None
    fit: BackhaulFit | None = None
    stop = "rounds"
    with progress(BACKHAUL_ROUNDS, "backhaul design", unit="round") as bar:
        for rounds in range(1, BACKHAUL_ROUNDS + 1):
            fit = _design_round(prep, selection, rounds, previous, placement_budget)
            bar.update(1)
            fits = fit.spent_usd <= budget * (1 + 1e-9)
            if fits and (best is None or selection.people > best.selection.people + 1e-9):
                best, best_instance = fit, instance
            if fits and (fit.stable or fit.spent_usd >= 0.98 * budget):
                stop = "stable" if fit.stable else "budget"
                break
            if best is not None and rounds >= BACKHAUL_SEARCH_ROUNDS:
                stop = "search"
                break
            previous = frozenset(int(i) for i in selection.chosen)
            estimate = estimate.copy()
            for link in fit.backhaul.links:
                role, k = node_index(link.b) if ":" in link.b else (link.b, -1)
                if link.kind == "satellite" and role == "site":
                    at = options.location == options.location[selection.chosen[k]]
                    own = costs.basis_usd(link.capex_usd, link.opex_usd_per_year)
                    estimate[at] = np.maximum(estimate[at], own)
            scale = min(1.5, max(0.5, budget / max(fit.spent_usd, 1e-9)))
            placement_budget *= scale
            if not fits and fit.stable:  # stuck on sites over budget: make them unaffordable
                placement_budget = min(placement_budget, selection.cost_usd * (1 - 1e-6))
            log.info(
                "backhaul round %d: %d sites spend %.0f USD with their designed backhaul "
                "(budget %.0f USD); placing again under %.0f USD",
                rounds,
                selection.chosen.size,
                fit.spent_usd,
                budget,
                placement_budget,
            )
            instance = dataclasses.replace(instance, cost_usd=site_part + estimate)
            if placement_budget < float(instance.cost_usd.min()):
                stop = "floor"
                break
            selection = select_sites(scenario, instance, prep.coverage, budget_usd=placement_budget)
    if best is not None:
        return _certified(dataclasses.replace(best, rounds=rounds, stop=_stop(stop)), best_instance)
    log.info("backhaul: no round within budget; pricing every option's own satellite")
    instance = dataclasses.replace(
        instance, cost_usd=site_part + np.maximum(estimate, _satellite_bound(prep, costs))
    )
    try:
        selection = select_sites(scenario, instance, prep.coverage)
    except PlacementError:
        cheapest = float(instance.cost_usd.min())
        raise PlacementError(
            f"budget_usd={budget:,.0f} connects no site with its backhaul: the cheapest "
            f"site with a satellite terminal sized to its demand costs {cheapest:,.0f} "
            "USD and the terrestrial links found cost more than the budget; raise "
            "budget_usd, or lower backhaul.busy_hour_mbps_per_user or "
            "cost.adoption_share"
        ) from None
    fit = dataclasses.replace(
        _design_round(prep, selection, rounds + 1, None, budget), stop=_stop("satellite")
    )
    if fit.spent_usd > budget * (1 + 1e-9):
        log.warning(
            "budget: the plan spends %.0f USD with its designed backhaul, over the "
            "%.0f USD budget (backhaul.allowed excludes satellite?)",
            fit.spent_usd,
            budget,
        )
    return _certified(fit, instance)


def _certified(fit: BackhaulFit, instance) -> BackhaulFit:
    """The fit with its selection's certified gap to the optimum of the instance and
    budget placement solved in the kept round (once per plan, not per round)."""
    sel = certified(fit.selection, instance, budget_usd=fit.placement_budget_usd)
    return dataclasses.replace(fit, selection=sel)


def _design_round(
    prep,
    selection: Selection,
    rounds: int,
    previous: frozenset[int] | None,
    placement_budget: float,
) -> BackhaulFit:
    chosen = selection.chosen
    backhaul = design_for_sites(
        BackhaulSettings.from_scenario(prep.scenario),
        prep.region,
        prep.preset,
        prep.coverage,
        prep.candidates,
        prep.options,
        chosen,
    )
    spent = plan_spend_usd(
        CostSettings.from_scenario(prep.scenario), prep.options, chosen, backhaul
    )
    stable = frozenset(int(i) for i in chosen) == previous
    return BackhaulFit(selection, backhaul, spent, rounds, stable, placement_budget)


def _satellite_bound(prep, costs: CostSettings) -> np.ndarray:
    """Per option, on the budget basis [USD]: a satellite terminal sized to every person
    the option covers (capped by its capacity): more than its designed backhaul can cost."""
    scenario, options, cov = prep.scenario, prep.options, prep.coverage
    row_people = np.add.reduceat(
        np.r_[cov.weight[cov.indices], 0.0], np.minimum(cov.indptr[:-1], cov.indices.size)
    )
    row_people[np.diff(cov.indptr) == 0] = 0.0
    people = np.minimum(row_people, options.capacity_people)
    bh = scenario.backhaul
    mbps = np.maximum(
        people * scenario.cost.adoption_share * bh.busy_hour_mbps_per_user,
        bh.satellite_mbps_per_site,
    )
    return costs.basis_usd(*prep.preset.satellite_terminal_usd(mbps))


@dataclass(frozen=True)
class CurveBackhaul:
    """The budget curve's points re-costed with their designed backhaul: one value per
    point of the curve, NaN for the points not re-costed."""

    backhaul_usd: np.ndarray
    """The designed backhaul of the point's sites, on the budget basis [USD]."""
    cost_usd: np.ndarray
    """The point's sites plus their designed backhaul, on the budget basis [USD]."""
    backhaul_tco_usd: np.ndarray
    """The designed backhaul's net present cost [USD]."""
    all_satellite_tco_usd: np.ndarray
    """Net present cost of a satellite terminal at each of the point's sites, sized to
    its demand [USD] (the designed backhaul never costs more)."""
    seconds: float = 0.0

    @property
    def designed(self) -> np.ndarray:
        """Which points were re-costed."""
        return np.isfinite(self.cost_usd)

    @staticmethod
    def none() -> dict[str, Any]:
        """The summary fields of a plan without a budget curve."""
        return {"budget_curve_backhaul": "none", "budget_curve_designed_points": 0}

    def summary(self) -> dict[str, Any]:
        """Its fields of the plan's :class:`~rural_plan.pipeline.summary.Summary`."""
        n = int(self.designed.sum())
        return {
            "budget_curve_backhaul": "designed" if n else "estimate",
            "budget_curve_designed_points": n,
        }


def curve_people(curve: BudgetCurve, coverage) -> np.ndarray:
    """People newly covered at each point of the budget curve (real people: no POI
    priority weight, which the curve's own objective values include)."""
    if len(curve.chosen) != curve.budget_usd.size:
        return np.asarray(curve.people, dtype=np.float64)
    return np.array(
        [float(coverage.weight[coverage.covered_by(chosen)].sum()) for chosen in curve.chosen]
    )


def curve_points_to_design(n_points: int, wanted: int) -> np.ndarray:
    """Indices of ``wanted`` of ``n_points`` curve points, evenly spread: the last (the
    most sites) always, the first too from two on; all of them when ``wanted`` ≥
    ``n_points``."""
    if wanted <= 0 or n_points <= 0:
        return np.zeros(0, dtype=np.int64)
    if wanted >= n_points:
        return np.arange(n_points, dtype=np.int64)
    return np.unique(np.round(np.linspace(n_points - 1, 0, wanted)).astype(np.int64))


def curve_backhaul(prep, curve: BudgetCurve, fit: BackhaulFit) -> CurveBackhaul:
    """Each of ``placement.budget_curve_backhaul_points`` points of the budget curve
    (evenly spread) re-costed with its sites' designed backhaul: the plan's own design
    (same PoPs, donors, roads, prices and capacity rules) of the point's sites in rollout
    order (as placement orders the plan's first choice; the design shares people between
    sites, and searches, in site order).

    A point with the plan's sites gets the plan's own design (the same sites cost what
    the plan costs); a site set met before is designed once. A point whose sites the
    allowed backhaul types cannot connect is left NaN (and logged).
    """
    t0 = time.perf_counter()
    scenario, options = prep.scenario, prep.options
    costs = CostSettings.from_scenario(scenario)
    settings = BackhaulSettings.from_scenario(scenario)
    n = curve.budget_usd.size
    out = {k: np.full(n, np.nan) for k in ("bh", "cost", "bh_tco", "sat")}
    if len(curve.chosen) != n:  # a curve that kept no choices: nothing to re-cost
        idx = np.zeros(0, dtype=np.int64)
    else:
        idx = curve_points_to_design(n, scenario.placement.budget_curve_backhaul_points)
    plan_set = tuple(sorted(int(i) for i in fit.selection.chosen))
    memo = ClearanceMemo()  # the points share most of their sites: each hop traced once
    seen: dict[tuple[int, ...], tuple[float, float, float, float] | None] = {}
    with progress(idx.size, "budget curve backhaul", unit="point") as bar:
        for p in idx:
            key = tuple(sorted(int(i) for i in curve.chosen[p]))
            if key not in seen:
                if key == plan_set:
                    seen[key] = _designed_costs(costs, options, fit.selection.chosen, fit.backhaul)
                elif not key:
                    seen[key] = (0.0, 0.0, 0.0, 0.0)
                else:
                    chosen, _ = rollout(prep.instance, np.asarray(key, dtype=np.int64))
                    try:
                        backhaul = design_for_sites(
                            settings,
                            prep.region,
                            prep.preset,
                            prep.coverage,
                            prep.candidates,
                            options,
                            chosen,
                            resilience=False,
                            clearance_memo=memo,
                        )
                    except BackhaulError as err:
                        log.warning("budget curve: point %d left at its estimate: %s", p, err)
                        seen[key] = None
                    else:
                        seen[key] = _designed_costs(costs, options, chosen, backhaul)
            if seen[key] is not None:
                out["bh"][p], out["cost"][p], out["bh_tco"][p], out["sat"][p] = seen[key]
            bar.update(1)
    seconds = time.perf_counter() - t0
    log.info(
        "budget curve: %d of %d points re-costed with their designed backhaul "
        "(%d distinct site sets, %.2f s)",
        int(np.isfinite(out["cost"]).sum()),
        n,
        len(seen),
        seconds,
    )
    return CurveBackhaul(out["bh"], out["cost"], out["bh_tco"], out["sat"], round(seconds, 3))


def _designed_costs(
    costs: CostSettings, options: SiteOptions, chosen: np.ndarray, backhaul: BackhaulPlan
) -> tuple[float, float, float, float]:
    """(backhaul, sites + backhaul) on the budget basis, backhaul and all-satellite net
    present cost [USD]."""
    bh = float(costs.basis_usd(backhaul.capex_usd, backhaul.opex_usd_per_year))
    return (
        bh,
        plan_spend_usd(costs, options, chosen, backhaul),
        backhaul.tco_usd,
        backhaul.all_satellite_tco_usd,
    )


def backhaul_pricer(backhaul: BackhaulPlan):
    """(CAPEX, OPEX per year) of the plan's backhaul links under any preset: the same
    links priced again (same capacities and mast raises), so the sensitivity moves with
    the backhaul figures too."""

    def price(preset: CostPreset) -> tuple[float, float]:
        capex = opex = 0.0
        for link in backhaul.links:
            c, o = price_link(link, preset)
            capex += c
            opex += o
        return capex, opex

    return price
