"""The plan recipe: each stage called in order, nothing else.

load → grid → candidates → propagation → coverage → placement (+ backhaul fit) →
costing → the plan (its outputs are written by :mod:`rural_plan.report`).
"""

from __future__ import annotations

import logging

from rural_plan.costing.settings import scenario_preset
from rural_plan.coverage.demand import scenario_demand
from rural_plan.coverage.existing import served_today
from rural_plan.coverage.matrix import build_matrix
from rural_plan.grid.region import load_region
from rural_plan.pipeline.accounts import accounts
from rural_plan.pipeline.clock import StageClock
from rural_plan.pipeline.executors import Executor, open_executor
from rural_plan.pipeline.fit import (
    curve_backhaul,
    curve_people,
    place_with_backhaul,
)
from rural_plan.pipeline.jit import warm_up
from rural_plan.pipeline.plan import Plan, Prepared
from rural_plan.placement.candidates import scenario_candidates
from rural_plan.placement.options import (
    build_options,
    coverage_instance,
    models_capacity,
    poi_bonus,
)
from rural_plan.placement.select import scenario_budget_curve, select_sites
from rural_plan.propagation.clutter_map import clutter_loss_grid
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
    clock = StageClock({"jit_compile": round(warm_up(scenario), 3)})
    preset = scenario_preset(scenario)
    region = load_region(scenario)
    clock.lap("grid")

    candidates = scenario_candidates(scenario, region)
    options = build_options(scenario, candidates, preset)
    clock.lap("candidates")

    radio = RadioSettings.from_scenario(scenario)
    demand = scenario_demand(scenario, region)
    clutter = clutter_loss_grid(scenario, region.grid, region.land_cover)
    extra_db = None if clutter is None else clutter[demand.rows, demand.cols]
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
        extra_db=extra_db,
        executor=executor,
    )
    today = served_today(
        scenario, region, demand, radio, extra_db=extra_db, use_cache=use_cache, executor=executor
    )
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
        peak_rss_mb=clock.peaks,
    )


def finish(prep: Prepared) -> Plan:
    """Placement, backhaul and costing on prepared coverage (no propagation)."""
    scenario, region, options, preset = prep.scenario, prep.region, prep.options, prep.preset
    clock = StageClock(prep.timings_s, prep.peak_rss_mb)
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
    selection = fit.selection
    clock.lap("backhaul")

    designed = curve_backhaul(prep, curve, fit)
    clock.lap("budget_curve_backhaul")

    books = accounts(prep, fit, curve, designed)
    clock.lap("costing")
    s = books.summary
    log.info(
        "plan: %d sites, %.0f people newly covered, %.0f served, TCO %.0f USD, %.2f people "
        "served per 1,000 USD",
        s.sites_selected,
        s.people_newly_covered,
        s.people_newly_served,
        s.tco_usd,
        s.people_per_1000_usd,
    )
    return Plan(
        scenario,
        region,
        prep.candidates,
        options,
        prep.coverage,
        selection,
        curve,
        fit.backhaul,
        preset,
        s,
        clock.timings,
        prep,
        books.pois,
        books.site_costs,
        books.economics,
        executor=dict(prep.executor),
        peak_rss_mb=clock.peaks,
        curve_backhaul=designed,
        cost_split=books.cost_split,
        site_table=books.sites,
        curve_people=curve_people(curve, prep.coverage),
        money=books.money,
    )
