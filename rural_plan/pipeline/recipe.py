"""The plan recipe: each stage called in order, nothing else.

load → grid → candidates → propagation → coverage → placement (+ backhaul fit) →
costing → the plan (its outputs are written by :mod:`rural_plan.report`).
"""

from __future__ import annotations

import dataclasses
import logging

from rural_plan.costing.economics import plan_economics
from rural_plan.costing.plan_cost import cost_split
from rural_plan.costing.settings import CostSettings, scenario_preset
from rural_plan.coverage.demand import scenario_demand
from rural_plan.coverage.existing import served_today
from rural_plan.coverage.matrix import build_matrix
from rural_plan.coverage.poi_coverage import poi_rows, poi_summary
from rural_plan.grid.region import load_region
from rural_plan.pipeline.clock import StageClock
from rural_plan.pipeline.executors import Executor, open_executor
from rural_plan.pipeline.fit import (
    backhaul_pricer,
    curve_backhaul,
    curve_people,
    place_with_backhaul,
    unused_budget,
)
from rural_plan.pipeline.jit import warm_up
from rural_plan.pipeline.plan import Plan, Prepared
from rural_plan.pipeline.sites import people_served, site_table
from rural_plan.pipeline.summary import summarise
from rural_plan.placement.candidates import scenario_candidates
from rural_plan.placement.options import (
    build_options,
    coverage_instance,
    models_capacity,
    poi_bonus,
)
from rural_plan.placement.select import scenario_budget_curve, select_sites
from rural_plan.propagation.runner import cached_covered_demand
from rural_plan.propagation.settings import RadioSettings, site_patterns
from rural_plan.scenario.schema import Scenario

log = logging.getLogger(__name__)


def plan(scenario: Scenario, *, use_cache: bool = True) -> Plan:
    """Run the whole pipeline on a validated scenario.

    >>> p = plan(rural_plan.load_scenario("scenarios/demo.yaml"))  # doctest: +SKIP
    >>> p.summary["people_newly_covered"] > 0  # doctest: +SKIP
    True
    """
    return finish(prepare(scenario, use_cache=use_cache))


def prepare(scenario: Scenario, *, use_cache: bool = True) -> Prepared:
    """Grid, candidates, propagation and the coverage instance of a scenario.

    ``use_cache``: reuse propagation from the on-disk cache (see
    :mod:`rural_plan.propagation.cache`) and store new results there. Propagation the
    cache does not hold runs on ``scenario.executor`` (opened first, so a scheduler that
    cannot be reached fails the run before any work).
    """
    with open_executor(scenario.executor) as executor:
        return _prepare(scenario, executor, use_cache)


def _prepare(scenario: Scenario, executor: Executor, use_cache: bool) -> Prepared:
    clock = StageClock({"jit_compile": round(warm_up(), 3)})
    preset = scenario_preset(scenario)
    region = load_region(scenario)
    clock.lap("grid")

    candidates = scenario_candidates(scenario, region)
    options = build_options(scenario, candidates, preset)
    clock.lap("candidates")

    radio = RadioSettings.from_scenario(scenario)
    demand = scenario_demand(scenario, region)
    sparse = cached_covered_demand(
        use_cache,
        region.grid,
        candidates.rows[options.location],
        candidates.cols[options.location],
        options.mast_height_m,
        options.max_loss_db,
        demand.sample_id,
        radio,
        pattern_index=options.type_index,
        patterns=site_patterns(scenario, radio, region.grid.cell_size_m),
        executor=executor,
    )
    today = served_today(scenario, region, demand, radio, use_cache=use_cache, executor=executor)
    clock.lap("propagation")

    coverage = build_matrix(
        demand=demand, indptr=sparse.indptr, indices=sparse.indices, served_before=today.served
    )
    instance = coverage_instance(
        coverage,
        options,
        poi_bonus(scenario, region, coverage),
        capped=models_capacity(scenario),
    )
    clock.lap("coverage")
    return Prepared(
        scenario,
        region,
        candidates,
        options,
        coverage,
        instance,
        preset,
        clock.timings,
        executor=dict(executor.info),
        today=today,
    )


def finish(prep: Prepared) -> Plan:
    """Placement, backhaul and costing on prepared coverage (no propagation)."""
    scenario, region, options, preset = prep.scenario, prep.region, prep.options, prep.preset
    clock = StageClock(prep.timings_s)
    selection = select_sites(scenario, prep.instance, prep.coverage)
    clock.lap("placement")
    log.info(
        "placement: %d of %d options, objective %.0f (people, plus any POI weight) for "
        "%.0f USD (%s, %s, %.2f s)",
        selection.chosen.size,
        prep.instance.n_options,
        selection.people,
        selection.cost_usd,
        selection.method,
        selection.status,
        selection.seconds,
    )
    curve = scenario_budget_curve(scenario, prep.instance)
    clock.lap("budget_curve")

    fit = place_with_backhaul(prep, selection)
    selection, backhaul, chosen = fit.selection, fit.backhaul, fit.selection.chosen
    clock.lap("backhaul")

    designed = curve_backhaul(prep, curve, fit)
    clock.lap("budget_curve_backhaul")

    pois = None
    if region.pois is not None:
        loc = options.location[chosen]
        pois = poi_rows(
            region.pois,
            region.grid,
            prep.coverage,
            chosen,
            [options.type_name[options.type_index[i]] for i in chosen],
            region.grid.xy_of(prep.candidates.rows[loc], prep.candidates.cols[loc]),
        )
    costs = CostSettings.from_scenario(scenario)
    site_costs = costs.site_costs(preset)
    unused_usd, unused_why = unused_budget(prep, fit)
    served = people_served(prep.coverage, options, chosen)
    summary = summarise(
        scenario,
        region,
        options,
        prep.coverage,
        selection,
        backhaul,
        served=served,
        today=prep.today,
        spent_usd=fit.spent_usd,
        budget_curve_method=curve.method,
        **designed.summary(),
        **fit.summary(),
        budget_unused_usd=round(unused_usd, 2),
        budget_unused_reason=unused_why,
        pois=None if pois is None else poi_summary(pois),
        power_source_by_type={name: b.power_source for name, b in site_costs.items()},
    )
    econ = plan_economics(
        scenario,
        preset,
        site_counts=summary.sites_by_type,
        people=summary.people_newly_served,
        capex_usd=summary.capex_usd,
        opex_usd_per_year=summary.opex_usd_per_year,
        tco_usd=summary.tco_usd,
        backhaul_pricer=backhaul_pricer(backhaul),
    )
    summary = dataclasses.replace(summary, economics=econ.summary)
    split = cost_split(
        costs,
        sites=(options.capex_usd[chosen].sum(), options.opex_usd_per_year[chosen].sum()),
        backhaul=(backhaul.capex_usd, backhaul.opex_usd_per_year),
    )
    sites = site_table(costs, options, prep.coverage, selection, backhaul, served)
    clock.lap("costing")
    log.info(
        "plan: %d sites, %.0f people newly covered, TCO %.0f USD, %.2f people per 1,000 USD",
        summary.sites_selected,
        summary.people_newly_covered,
        summary.tco_usd,
        summary.people_per_1000_usd,
    )
    return Plan(
        scenario,
        region,
        prep.candidates,
        options,
        prep.coverage,
        selection,
        curve,
        backhaul,
        preset,
        summary,
        clock.timings,
        prep,
        pois,
        site_costs,
        econ,
        executor=dict(prep.executor),
        curve_backhaul=designed,
        cost_split=split,
        site_table=sites,
        curve_people=curve_people(curve, prep.coverage),
    )
