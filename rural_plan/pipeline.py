"""The plan recipe: each stage called in order, nothing else.

grid → candidates → propagation → coverage → placement → backhaul → costing
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rural_plan._version import __version__
from rural_plan.backhaul import BackhaulPlan, design_backhaul, satellite_costs
from rural_plan.backhaul.graph import ClearanceMemo
from rural_plan.backhaul.pricing import price_link
from rural_plan.costing import (
    CostPreset,
    SiteCostBreakdown,
    SiteSpec,
    load_preset,
    net_present_cost,
    site_breakdowns,
)
from rural_plan.coverage import CoverageMatrix, DemandCells, build_matrix, demand_cells
from rural_plan.coverage.poi_coverage import poi_rows, poi_summary
from rural_plan.economics import Economics, plan_economics
from rural_plan.errors import BackhaulError, PlacementError
from rural_plan.executors import Executor, LocalExecutor, open_executor
from rural_plan.inputs import Region, load_region
from rural_plan.jit import warm_up
from rural_plan.placement import (
    PLACEMENT_METHODS,
    BudgetCurve,
    Candidates,
    CoverageInstance,
    Selection,
    budget_curve,
    find_candidates,
)
from rural_plan.placement.capacity import served_people
from rural_plan.placement.greedy import rollout
from rural_plan.placement.target import select_to_target
from rural_plan.propagation import RadioSettings, max_path_loss_db
from rural_plan.propagation import cache as propagation_cache
from rural_plan.propagation.antenna import pattern_window
from rural_plan.propagation.point_to_area import SparseCoverage
from rural_plan.scenario.schema import ExecutorSettings, Scenario

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteOptions:
    """Every (candidate location × site type) the optimiser may choose from."""

    location: np.ndarray
    type_name: tuple[str, ...]
    type_index: np.ndarray
    mast_height_m: np.ndarray
    eirp_dbm: np.ndarray
    max_loss_db: np.ndarray
    capex_usd: np.ndarray
    opex_usd_per_year: np.ndarray
    backhaul_estimate_tco_usd: np.ndarray
    cost_usd: np.ndarray
    """What each option counts against the budget (site + estimated backhaul)."""
    capacity_people: np.ndarray
    """Most people each option can serve (inf: no cap)."""


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
    summary: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)
    prepared: Prepared | None = field(default=None, repr=False, compare=False)
    """The coverage this plan was made from (reused by :meth:`replace`, :meth:`recost`)."""
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

    def replace(self, **changes: Any) -> Plan:
        """The plan of this scenario with ``changes`` applied (keyword per top-level key;
        mappings merge, e.g. ``replace(budget_usd=2e6, cost={"horizon_years": 15})``,
        except ``site_types``, which replaces the types).

        Changes to budget, placement, cost or backhaul, and site-type changes that keep
        each type's radio (dropping a type, repricing one) re-run placement and costing
        on the coverage already computed (seconds); any other change runs the whole plan.

        >>> p2 = p.replace(budget_usd=2_000_000)  # doctest: +SKIP
        """
        from rural_plan.scenario.loader import merge_mappings, scenario_from_mapping

        base = self.scenario.model_dump(mode="json", exclude={"source_path"})
        data = merge_mappings(base, {k: v for k, v in changes.items() if k != "site_types"})
        if "site_types" in changes:  # the types given are the types (none merged in)
            data["site_types"] = changes["site_types"]
        new = scenario_from_mapping(data, source=f"{self.scenario.name} (replaced)")
        new = new.model_copy(update={"source_path": self.scenario.source_path})
        if self.prepared is None or not set(changes) <= COST_ONLY_KEYS | {"site_types"}:
            return plan(new)
        if _radio_type_map(self.scenario, new) is None:
            return plan(new)
        return finish(reprice(self.prepared, new))

    def recost(self, preset: str | CostPreset) -> Plan:
        """The plan re-optimised under another cost preset (a name, a path to a preset
        YAML, or a :class:`~rural_plan.costing.CostPreset` an analyst has changed).

        >>> p.recost("default").summary["tco_usd"]  # doctest: +SKIP
        """
        if isinstance(preset, CostPreset):
            return finish(reprice(self._prepared(), self.scenario, preset))
        return self.replace(cost={"preset": str(preset)})

    def _prepared(self) -> Prepared:
        if self.prepared is None:
            raise ValueError("this plan keeps no coverage to re-cost; run plan() again")
        return self.prepared

    @property
    def sites(self):
        """The chosen sites as a pandas DataFrame (one row per site, rollout order)."""
        from rural_plan.report.tables import sites_frame

        return sites_frame(self)

    @property
    def links(self):
        """The backhaul links as a pandas DataFrame."""
        from rural_plan.report.tables import links_frame

        return links_frame(self)

    def map(self, ax=None):
        """The plan on its terrain as a matplotlib figure: people newly covered, sites
        by type in rollout order, backhaul links by type, fibre points of presence.

        >>> fig = p.map()  # doctest: +SKIP
        >>> fig.savefig("plan.png")  # doctest: +SKIP
        """
        from rural_plan.report.maps import plan_map

        return plan_map(self, ax)

    @property
    def budget_curve(self):
        """People newly covered against investment as a pandas DataFrame: the rows of
        ``budget_curve.csv``, each point at placement's cost estimate (``cost_usd``) and,
        for the points re-costed with their designed backhaul, at its real cost
        (``backhaul_usd``, ``cost_designed_usd``, ``people_per_1000_usd_designed``; NaN
        for the others)."""
        from rural_plan.report.tables import budget_curve_frame

        return budget_curve_frame(self)


def site_patterns(scenario: Scenario, radio: RadioSettings, cell_size_m: float) -> np.ndarray:
    """Pattern attenuation windows, one per site type (in ``scenario.site_types`` order)."""
    radius = max(1, int(np.ceil(radio.radius_m / cell_size_m)))
    return np.stack(
        [
            pattern_window(
                radius,
                sectors=st.sectors,
                beamwidth_deg=st.beamwidth_deg,
                front_to_back_db=st.front_to_back_db,
                azimuth_deg=st.azimuth_deg,
            )
            for st in scenario.site_types.values()
        ]
    )


def model_params(scenario: Scenario) -> tuple[float, ...]:
    """The parameter vector the chosen model's kernel reads (see ``_radial.ray_losses``)."""
    r = scenario.radio
    vertical = r.polarization == "vertical"
    if r.model == "itm":
        i = r.itm
        return (
            i.n0,
            float(vertical),
            i.epsilon,
            i.sigma_s_per_m,
            float(i.climate),
            float(i.mdvar),
            i.time_pct,
            i.location_pct,
            i.situation_pct,
        )
    if r.model in ("okumura-hata", "cost231-hata"):
        env = ("urban", "urban-large-city", "suburban", "open").index(r.hata.environment)
        return (float(env),)
    if r.model == "3gpp-rma":
        return (r.rma.building_height_m, r.rma.street_width_m)
    if r.model == "delta-bullington":
        return (2.0 if vertical else 1.0,)  # P.1812 convention: 1 horizontal, 2 vertical
    return ()


def radio_settings(scenario: Scenario) -> RadioSettings:
    r = scenario.radio
    return RadioSettings(
        r.model, r.frequency_mhz, r.rx_height_m, r.k_factor, r.radius_m, model_params(scenario)
    )


def site_specs(scenario: Scenario) -> list[SiteSpec]:
    """What the cost model needs of each site type (load, cost item, power source)."""
    return [
        SiteSpec(name, st.power_w, st.cost_item, st.power_source)
        for name, st in scenario.site_types.items()
    ]


def site_costs(scenario: Scenario, preset: CostPreset) -> dict[str, SiteCostBreakdown]:
    """Itemised CAPEX / OPEX of each site type, its power system sized at the scenario's
    sun hours and battery autonomy."""
    c = scenario.cost
    return site_breakdowns(
        preset,
        site_specs(scenario),
        peak_sun_hours=c.peak_sun_hours,
        battery_autonomy_days=c.battery_autonomy_days,
    )


def scenario_preset(scenario: Scenario) -> CostPreset:
    """The scenario's cost preset with its ``cost.overrides`` applied."""
    return load_preset(scenario.cost.preset, overrides=scenario.cost.overrides)


def build_options(scenario: Scenario, candidates: Candidates, preset: CostPreset) -> SiteOptions:
    """Site options: every candidate location with every site type of the scenario."""
    names = tuple(scenario.site_types)
    n_loc, n_types = len(candidates), len(names)
    location = np.repeat(np.arange(n_loc), n_types)
    type_index = np.tile(np.arange(n_types), n_loc)
    per_type = []
    costs = site_costs(scenario, preset)
    for name in names:
        st = scenario.site_types[name]
        cost = costs[name]
        per_type.append(
            (
                st.mast_height_m,
                st.eirp_dbm,
                loss_budget_db(
                    scenario,
                    eirp_dbm=st.eirp_dbm,
                    gain_dbi=st.antenna_gain_dbi,
                    cable_loss_db=st.cable_loss_db,
                ),
                cost.capex_total_usd,
                cost.opex_total_usd_per_year,
            )
        )
    table = np.array(per_type, dtype=np.float64)[type_index]
    c = scenario.cost
    sat_capex, sat_opex = satellite_costs(preset, scenario.backhaul.satellite_mbps_per_site)
    sat_tco = net_present_cost(
        sat_capex, sat_opex, horizon_years=c.horizon_years, discount_rate=c.discount_rate
    )
    site_tco = net_present_cost(
        table[:, 3], table[:, 4], horizon_years=c.horizon_years, discount_rate=c.discount_rate
    )
    if scenario.budget_basis == "tco":
        cost_usd = site_tco + sat_tco
    else:
        cost_usd = table[:, 3] + sat_capex
    return SiteOptions(
        location=location,
        type_name=names,
        type_index=type_index,
        mast_height_m=table[:, 0],
        eirp_dbm=table[:, 1],
        max_loss_db=table[:, 2],
        capex_usd=table[:, 3],
        opex_usd_per_year=table[:, 4],
        backhaul_estimate_tco_usd=np.full(location.size, sat_tco),
        cost_usd=cost_usd,
        capacity_people=np.array(
            [
                np.inf if t.capacity_people is None else t.capacity_people
                for t in scenario.site_types.values()
            ]
        )[type_index],
    )


def coverage_instance(
    coverage: CoverageMatrix, options: SiteOptions, bonus: np.ndarray | None = None
) -> CoverageInstance:
    """The placement instance: coverage rows, newly coverable people (plus any POI
    bonus weight), option costs."""
    return CoverageInstance.from_arrays(
        indptr=coverage.indptr,
        indices=coverage.indices,
        weight=coverage.weight if bonus is None else coverage.weight + bonus,
        cost_usd=options.cost_usd,
        location=options.location,
        capacity=options.capacity_people if np.isfinite(options.capacity_people).any() else None,
        source="plan",
    )


class _Clock:
    """Wall time per stage, in call order."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._t, 3)
        self._t = now


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


def loss_budget_db(
    scenario: Scenario, *, eirp_dbm: float, gain_dbi: float, cable_loss_db: float
) -> float:
    """The largest path loss [dB] at which a site covers a cell (both directions)."""
    r = scenario.radio
    return max_path_loss_db(
        eirp_dbm=eirp_dbm,
        rx_antenna_gain_dbi=r.rx_antenna_gain_dbi,
        rx_threshold_dbm=r.rx_threshold_dbm,
        ue_tx_power_dbm=r.ue_tx_power_dbm,
        bs_antenna_gain_dbi=gain_dbi,
        bs_cable_loss_db=cable_loss_db,
        bs_sensitivity_dbm=r.bs_sensitivity_dbm,
        check_uplink=r.check_uplink,
        fade_margin_db=r.fade_margin_db,
        clutter_loss_db=r.clutter_loss_db,
    )


def covered_demand_cached(
    use_cache: bool,
    grid,
    rows: np.ndarray,
    cols: np.ndarray,
    h_tx_m: np.ndarray,
    max_loss_db: np.ndarray,
    demand_id: np.ndarray,
    radio: RadioSettings,
    *,
    pattern_index: np.ndarray | None = None,
    patterns: np.ndarray | None = None,
    executor: Executor | None = None,
) -> SparseCoverage:
    """:func:`~rural_plan.propagation.covered_demand`, through the on-disk propagation
    cache when ``use_cache``; what the cache does not hold is computed by ``executor``
    (default: this process)."""

    def compute() -> SparseCoverage:
        return (executor or LocalExecutor(ExecutorSettings())).covered_demand(
            grid,
            rows,
            cols,
            h_tx_m,
            max_loss_db,
            demand_id,
            radio,
            pattern_index=pattern_index,
            patterns=patterns,
        )

    if not use_cache:
        return compute()
    key = propagation_cache.key_of(
        grid.elevation_m,
        grid.land,
        repr(tuple(grid.transform)),
        grid.cell_size_m,
        demand_id,
        np.asarray(rows, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        np.asarray(h_tx_m, dtype=np.float64),
        np.asarray(max_loss_db, dtype=np.float64),
        np.asarray(pattern_index if pattern_index is not None else [], dtype=np.int64),
        np.asarray(patterns if patterns is not None else [], dtype=np.float32),
        repr(radio),
    )
    hit = propagation_cache.load(key)
    if hit is not None:
        if executor is not None:
            executor.info["cache_hits"] = executor.info.get("cache_hits", 0) + 1
        return SparseCoverage(indptr=hit[0], indices=hit[1], seconds=0.0)
    result = compute()
    propagation_cache.store(key, result.indptr, result.indices)
    return result


def demand_of(scenario: Scenario, region: Region) -> DemandCells:
    """The scenario's demand cells: blocks of ``grid.demand_cell_m`` (whole grid cells),
    plus the cells of the points of interest (so their coverage is exact)."""
    grid = region.grid
    block = max(1, round(scenario.grid.demand_cell_m / grid.cell_size_m))
    pois = region.pois
    return demand_cells(
        grid.population,
        grid.land,
        block,
        point_rows=None if pois is None else pois.rows,
        point_cols=None if pois is None else pois.cols,
    )


def poi_bonus(scenario: Scenario, region: Region, coverage: CoverageMatrix) -> np.ndarray | None:
    """Extra objective weight per demand cell from ``placement.poi_weight_people``: each
    POI of a weighted type that the existing network does not serve adds its weight to
    its demand cell. None when nothing is weighted."""
    weights = scenario.placement.poi_weight_people
    pois = region.pois
    if not weights or pois is None or not len(pois):
        return None
    bonus = np.zeros(coverage.weight.size)
    for k, t in enumerate(pois.types):
        d = coverage.demand.point_id[k]
        if t in weights and not coverage.served_before[d]:
            bonus[d] += weights[t]
    return bonus if bonus.any() else None


def served_by_existing(
    scenario: Scenario,
    region: Region,
    demand: DemandCells,
    radio: RadioSettings,
    *,
    use_cache: bool = True,
    executor: Executor | None = None,
) -> np.ndarray | None:
    """Demand cells the existing towers serve (same propagation and link budget as new
    sites, the towers' own heights and EIRPs); None when there are no towers."""
    towers = region.towers
    if not len(towers):
        return None
    net = scenario.existing_network
    budgets = np.array(
        [
            loss_budget_db(
                scenario,
                eirp_dbm=e,
                gain_dbi=net.antenna_gain_dbi,
                cable_loss_db=net.cable_loss_db,
            )
            for e in towers.eirp_dbm
        ]
    )
    existing = covered_demand_cached(
        use_cache,
        region.grid,
        towers.rows,
        towers.cols,
        towers.height_m,
        budgets,
        demand.sample_id,
        radio,
        executor=executor,
    )
    served = np.zeros(demand.size, dtype=bool)
    served[existing.indices] = True
    return served


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
    clock = _Clock()
    jit_s = warm_up()
    clock = _Clock()
    clock.timings["jit_compile"] = round(jit_s, 3)
    preset = scenario_preset(scenario)
    region = load_region(scenario)
    grid = region.grid
    clock.lap("grid")

    cand = scenario.candidates
    candidates = find_candidates(
        grid,
        village_radius_m=cand.village_radius_m,
        village_min_people=cand.village_min_people,
        grid_spacing_m=cand.grid_spacing_m,
        grid_min_people=cand.grid_min_people,
        min_spacing_m=cand.min_spacing_m,
        max_candidates=cand.max_candidates,
        settlement_rows=region.settlements.rows,
        settlement_cols=region.settlements.cols,
        excluded=region.excluded,
        hilltop_radius_m=cand.hilltop_radius_m,
        hilltop_min_gain_m=cand.hilltop_min_gain_m,
        mast_rows=region.towers.rows if cand.colocate_existing else None,
        mast_cols=region.towers.cols if cand.colocate_existing else None,
        proposed_rows=region.proposed.rows,
        proposed_cols=region.proposed.cols,
    )
    options = build_options(scenario, candidates, preset)
    clock.lap("candidates")

    radio = radio_settings(scenario)
    demand = demand_of(scenario, region)
    demand_id = demand.sample_id
    sparse = covered_demand_cached(
        use_cache,
        grid,
        candidates.rows[options.location],
        candidates.cols[options.location],
        options.mast_height_m,
        options.max_loss_db,
        demand_id,
        radio,
        pattern_index=options.type_index,
        patterns=site_patterns(scenario, radio, grid.cell_size_m),
        executor=executor,
    )
    served_before = served_by_existing(
        scenario, region, demand, radio, use_cache=use_cache, executor=executor
    )
    clock.lap("propagation")

    coverage = build_matrix(
        demand=demand,
        indptr=sparse.indptr,
        indices=sparse.indices,
        served_before=served_before,
    )
    instance = coverage_instance(coverage, options, poi_bonus(scenario, region, coverage))
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
    )


def plan(scenario: Scenario, *, use_cache: bool = True) -> Plan:
    """Run the whole pipeline on a validated scenario.

    Examples
    --------
    >>> import rural_plan
    >>> s = rural_plan.load_scenario("scenarios/demo.yaml")  # doctest: +SKIP
    >>> p = rural_plan.plan(s)  # doctest: +SKIP
    >>> p.summary["people_newly_covered"] > 0  # doctest: +SKIP
    True
    """
    return finish(prepare(scenario, use_cache=use_cache))


COST_ONLY_KEYS = frozenset(
    {
        "name",
        "description",
        "budget_usd",
        "budget_basis",
        "placement",
        "cost",
        "backhaul",
        "outputs",
        "executor",
    }
)
"""Scenario keys that change no propagation: a plan can be redone from its coverage."""


def reprice(prep: Prepared, scenario: Scenario, preset: CostPreset | None = None) -> Prepared:
    """``prep`` under another scenario that differs only in :data:`COST_ONLY_KEYS`
    (and/or another cost preset): options re-costed, coverage kept."""
    changed = {
        k
        for k in Scenario.model_fields
        if k != "source_path" and getattr(scenario, k) != getattr(prep.scenario, k)
    }
    type_map = _radio_type_map(prep.scenario, scenario)
    if not changed <= COST_ONLY_KEYS | {"site_types"} or type_map is None:
        raise ValueError(
            f"{', '.join(sorted(changed - COST_ONLY_KEYS))} change propagation: run plan() "
            "on the new scenario instead"
        )
    if preset is None:
        preset = scenario_preset(scenario)
    options = build_options(scenario, prep.candidates, preset)
    coverage = prep.coverage
    if type_map != list(range(len(prep.scenario.site_types))):
        # rows of the old options with the same radio, in the new options' order
        old = (
            options.location * len(prep.scenario.site_types)
            + np.asarray(type_map)[options.type_index]
        )
        lengths = coverage.indptr[old + 1] - coverage.indptr[old]
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        parts = [coverage.indices[coverage.indptr[i] : coverage.indptr[i + 1]] for i in old]
        indices = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        coverage = dataclasses.replace(coverage, indptr=indptr, indices=indices)
    return Prepared(
        scenario,
        prep.region,
        prep.candidates,
        options,
        coverage,
        coverage_instance(coverage, options, poi_bonus(scenario, prep.region, coverage)),
        preset,
        dict(prep.timings_s),
        executor=dict(prep.executor),
    )


RADIO_FIELDS = (
    "mast_height_m",
    "eirp_dbm",
    "antenna_gain_dbi",
    "cable_loss_db",
    "sectors",
    "beamwidth_deg",
    "front_to_back_db",
    "azimuth_deg",
)
"""The site-type fields propagation depends on (the rest only price the site)."""


def _radio_type_map(old: Scenario, new: Scenario) -> list[int] | None:
    """For each site type of ``new``, a type of ``old`` with the same radio fields (its
    coverage can be reused); None when some new type has no such twin."""
    olds = [tuple(getattr(t, f) for f in RADIO_FIELDS) for t in old.site_types.values()]
    out = []
    for t in new.site_types.values():
        key = tuple(getattr(t, f) for f in RADIO_FIELDS)
        if key not in olds:
            return None
        out.append(olds.index(key))
    return out


def finish(prep: Prepared) -> Plan:
    """Placement, backhaul and costing on prepared coverage (no propagation)."""
    scenario = prep.scenario
    clock = _Clock()
    clock.timings = dict(prep.timings_s)
    region, options, preset = prep.region, prep.options, prep.preset
    grid = region.grid
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
    curve = _budget_curve_memo(
        prep.instance, scenario.placement.budget_curve_points, curve_method(scenario, prep)
    )
    clock.lap("budget_curve")

    fit = place_with_backhaul(prep, selection)
    selection, backhaul, chosen = fit.selection, fit.backhaul, fit.selection.chosen
    loc = options.location[chosen]
    xs, ys = grid.xy_of(prep.candidates.rows[loc], prep.candidates.cols[loc])
    clock.lap("backhaul")

    designed = curve_backhaul(prep, curve, fit)
    clock.lap("budget_curve_backhaul")

    pois = None
    if region.pois is not None:
        pois = poi_rows(
            region.pois,
            grid,
            prep.coverage,
            chosen,
            [options.type_name[options.type_index[i]] for i in chosen],
            (xs, ys),
        )
    summary = summarise(scenario, region, options, prep.coverage, selection, backhaul)
    summary["budget_curve_method"] = curve.method
    summary.update(designed.summary())
    summary.update(fit.summary())
    if pois is not None:
        summary["pois"] = poi_summary(pois)
    costs = site_costs(scenario, preset)
    summary["power_source_by_type"] = {name: b.power_source for name, b in costs.items()}
    econ = plan_economics(
        scenario,
        preset,
        site_counts=summary["sites_by_type"],
        people=summary["people_newly_covered"],
        capex_usd=summary["capex_usd"],
        opex_usd_per_year=summary["opex_usd_per_year"],
        tco_usd=summary["tco_usd"],
        backhaul_pricer=backhaul_pricer(backhaul),
    )
    summary.update(econ.summary)
    clock.lap("costing")
    log.info(
        "plan: %d sites, %.0f people newly covered, TCO %.0f USD, %.2f people per 1,000 USD",
        summary["sites_selected"],
        summary["people_newly_covered"],
        summary["tco_usd"],
        summary["people_per_1000_usd"],
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
        costs,
        econ,
        executor=dict(prep.executor),
        curve_backhaul=designed,
    )


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

    def summary(self) -> dict[str, Any]:
        return {
            "budget_used_usd": _r(self.spent_usd),
            "placement_budget_estimate_usd": _r(self.selection.cost_usd),
            "placement_budget_usd": _r(self.placement_budget_usd),
            "backhaul_placement_rounds": self.rounds,
            "backhaul_placement_stable": self.stable,
        }


def site_basis_cost_usd(scenario: Scenario, capex_usd, opex_usd_per_year):
    """Cost on the scenario's budget basis [USD]: CAPEX, or net present cost."""
    if scenario.budget_basis == "capex":
        return capex_usd
    c = scenario.cost
    return net_present_cost(
        capex_usd, opex_usd_per_year, horizon_years=c.horizon_years, discount_rate=c.discount_rate
    )


def site_backhaul_usd(scenario: Scenario, backhaul: BackhaulPlan, n_sites: int) -> np.ndarray:
    """Each site's share of the designed backhaul on the budget basis [USD].

    Every link's cost is shared by the sites downstream of it in proportion to their
    busy-hour demand (a fibre extension into a hub is paid by the hub and the sites that
    relay through it): the shares add up to the whole backhaul.
    """
    into = {link.b: link for link in backhaul.links}
    demand = np.asarray(backhaul.site_demand_mbps, dtype=np.float64)
    weight = (demand if demand.size == n_sites else np.zeros(n_sites)) + 1e-9
    users: dict[int, list[int]] = {}
    for k in range(n_sites):
        node, seen = f"site:{k}", set()
        while node in into and node not in seen:
            seen.add(node)
            users.setdefault(id(into[node]), []).append(k)
            node = into[node].a
    out = np.zeros(n_sites)
    for link in backhaul.links:
        sites = users.get(id(link))
        if not sites:
            continue
        cost = float(site_basis_cost_usd(scenario, link.capex_usd, link.opex_usd_per_year))
        w = weight[sites]
        np.add.at(out, sites, cost * w / w.sum())
    return out


def place_with_backhaul(prep: Prepared, first: Selection) -> BackhaulFit:
    """Placement and backhaul design, iterated until the plan's real spend (sites +
    designed backhaul) fits the budget.

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
    site_part = site_basis_cost_usd(scenario, options.capex_usd, options.opex_usd_per_year)
    estimate = options.cost_usd - site_part
    budget = scenario.budget_usd
    placement_budget = budget
    selection, instance = first, prep.instance
    best: BackhaulFit | None = None
    previous: frozenset[int] | None = None
    fit: BackhaulFit | None = None
    for rounds in range(1, BACKHAUL_ROUNDS + 1):
        fit = _design_round(prep, selection, rounds, previous, placement_budget)
        fits = fit.spent_usd <= budget * (1 + 1e-9)
        if fits and (best is None or selection.people > best.selection.people + 1e-9):
            best = fit
        if fits and (fit.stable or fit.spent_usd >= 0.98 * budget):
            break
        if best is not None and rounds >= BACKHAUL_SEARCH_ROUNDS:
            break
        previous = frozenset(int(i) for i in selection.chosen)
        estimate = estimate.copy()
        for link in fit.backhaul.links:
            role, _, k = link.b.partition(":")
            if link.kind == "satellite" and role == "site":
                at = options.location == options.location[selection.chosen[int(k)]]
                own = site_basis_cost_usd(scenario, link.capex_usd, link.opex_usd_per_year)
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
            break
        selection = select_sites(
            scenario.model_copy(update={"budget_usd": placement_budget}), instance, prep.coverage
        )
    if best is not None:
        return dataclasses.replace(best, rounds=rounds)
    log.info("backhaul: no round within budget; pricing every option's own satellite")
    instance = dataclasses.replace(
        instance, cost_usd=site_part + np.maximum(estimate, _satellite_bound(prep))
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
    fit = _design_round(prep, selection, rounds + 1, None, budget)
    if fit.spent_usd > budget * (1 + 1e-9):
        log.warning(
            "budget: the plan spends %.0f USD with its designed backhaul, over the "
            "%.0f USD budget (backhaul.allowed excludes satellite?)",
            fit.spent_usd,
            budget,
        )
    return fit


def _design_round(
    prep: Prepared,
    selection: Selection,
    rounds: int,
    previous: frozenset[int] | None,
    placement_budget: float,
) -> BackhaulFit:
    options, grid = prep.options, prep.region.grid
    chosen = selection.chosen
    loc = options.location[chosen]
    xs, ys = grid.xy_of(prep.candidates.rows[loc], prep.candidates.cols[loc])
    backhaul = plan_backhaul(
        prep.scenario, prep.region, prep.preset, prep.coverage, options, chosen, xs, ys
    )
    spent = plan_spend_usd(prep.scenario, options, chosen, backhaul)
    stable = frozenset(int(i) for i in chosen) == previous
    return BackhaulFit(selection, backhaul, spent, rounds, stable, placement_budget)


def _satellite_bound(prep: Prepared) -> np.ndarray:
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
    p = prep.preset
    return site_basis_cost_usd(
        scenario, p.satellite_capex_usd, p.satellite_opex_usd_per_mbps_per_year * mbps
    )


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

    def summary(self) -> dict[str, Any]:
        n = int(self.designed.sum())
        return {
            "budget_curve_backhaul": "designed" if n else "estimate",
            "budget_curve_designed_points": n,
        }


def curve_points_to_design(n_points: int, wanted: int) -> np.ndarray:
    """Indices of ``wanted`` of ``n_points`` curve points, evenly spread: the last (the
    most sites) always, the first too from two on; all of them when ``wanted`` ≥
    ``n_points``."""
    if wanted <= 0 or n_points <= 0:
        return np.zeros(0, dtype=np.int64)
    if wanted >= n_points:
        return np.arange(n_points, dtype=np.int64)
    return np.unique(np.round(np.linspace(n_points - 1, 0, wanted)).astype(np.int64))


def curve_backhaul(prep: Prepared, curve: BudgetCurve, fit: BackhaulFit) -> CurveBackhaul:
    """Each of ``placement.budget_curve_backhaul_points`` points of the budget curve
    (evenly spread) re-costed with its sites' designed backhaul: the plan's own design
    (:func:`plan_backhaul`: same PoPs, donors, roads, prices and capacity rules) of the
    point's sites in rollout order (as placement orders the plan's first choice; the
    design shares people between sites, and searches, in site order).

    A point with the plan's sites gets the plan's own design (the same sites cost what
    the plan costs); a site set met before is designed once. A point whose sites the
    allowed backhaul types cannot connect is left NaN (and logged).
    """
    t0 = time.perf_counter()
    scenario, options, grid = prep.scenario, prep.options, prep.region.grid
    n = curve.budget_usd.size
    out = {k: np.full(n, np.nan) for k in ("bh", "cost", "bh_tco", "sat")}
    if len(curve.chosen) != n:  # a curve that kept no choices: nothing to re-cost
        idx = np.zeros(0, dtype=np.int64)
    else:
        idx = curve_points_to_design(n, scenario.placement.budget_curve_backhaul_points)
    plan_set = tuple(sorted(int(i) for i in fit.selection.chosen))
    memo = ClearanceMemo()  # the points share most of their sites: each hop traced once
    seen: dict[tuple[int, ...], tuple[float, float, float, float] | None] = {}
    for p in idx:
        key = tuple(sorted(int(i) for i in curve.chosen[p]))
        if key not in seen:
            if key == plan_set:
                seen[key] = _designed_costs(scenario, options, fit.selection.chosen, fit.backhaul)
            elif not key:
                seen[key] = (0.0, 0.0, 0.0, 0.0)
            else:
                chosen, _ = rollout(prep.instance, np.asarray(key, dtype=np.int64))
                loc = options.location[chosen]
                xs, ys = grid.xy_of(prep.candidates.rows[loc], prep.candidates.cols[loc])
                try:
                    backhaul = plan_backhaul(
                        scenario,
                        prep.region,
                        prep.preset,
                        prep.coverage,
                        options,
                        chosen,
                        xs,
                        ys,
                        resilience=False,
                        clearance_memo=memo,
                    )
                except BackhaulError as err:
                    log.warning("budget curve: point %d left at its estimate: %s", p, err)
                    seen[key] = None
                else:
                    seen[key] = _designed_costs(scenario, options, chosen, backhaul)
        if seen[key] is not None:
            out["bh"][p], out["cost"][p], out["bh_tco"][p], out["sat"][p] = seen[key]
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
    scenario: Scenario, options: SiteOptions, chosen: np.ndarray, backhaul: BackhaulPlan
) -> tuple[float, float, float, float]:
    """(backhaul, sites + backhaul) on the budget basis, backhaul and all-satellite net
    present cost [USD]."""
    bh = float(site_basis_cost_usd(scenario, backhaul.capex_usd, backhaul.opex_usd_per_year))
    return (
        bh,
        plan_spend_usd(scenario, options, chosen, backhaul),
        backhaul.tco_usd,
        backhaul.all_satellite_tco_usd,
    )


def plan_spend_usd(
    scenario: Scenario, options: SiteOptions, chosen: np.ndarray, backhaul: BackhaulPlan
) -> float:
    """What a plan spends on the scenario's budget basis [USD]: sites plus their designed
    backhaul, as net present cost ('tco') or CAPEX ('capex')."""
    if scenario.budget_basis == "capex":
        return float(options.capex_usd[chosen].sum()) + backhaul.capex_usd
    c = scenario.cost
    site_tco = net_present_cost(
        float(options.capex_usd[chosen].sum()),
        float(options.opex_usd_per_year[chosen].sum()),
        horizon_years=c.horizon_years,
        discount_rate=c.discount_rate,
    )
    return float(site_tco) + backhaul.tco_usd


def plan_backhaul(
    scenario: Scenario,
    region: Region,
    preset: CostPreset,
    coverage: CoverageMatrix,
    options: SiteOptions,
    chosen: np.ndarray,
    site_x: np.ndarray,
    site_y: np.ndarray,
    *,
    resilience: bool = True,
    clearance_memo: ClearanceMemo | None = None,
) -> BackhaulPlan:
    """The backhaul of the chosen sites: each site's demand from the people it newly
    covers (counted once, for the first site in rollout order that covers them, capped
    by its capacity), existing towers as donors, fibre along the roads layer if given.
    ``resilience=False`` skips the second-path and single-failure analysis (costs only);
    ``clearance_memo`` keeps hop clearances between designs (see ``design_backhaul``)."""
    bh = scenario.backhaul
    people = np.minimum(coverage.people_per_option(chosen), options.capacity_people[chosen])
    towers = region.towers
    return design_backhaul(
        region.grid,
        site_x=site_x,
        site_y=site_y,
        site_mast_m=options.mast_height_m[chosen],
        fibre_x=region.fibre.x,
        fibre_y=region.fibre.y,
        fibre_mast_m=bh.fibre_mast_height_m,
        preset=preset,
        max_hop_m=bh.microwave_max_hop_m,
        microwave_f_mhz=bh.microwave_frequency_mhz,
        fresnel_fraction=bh.fresnel_clearance,
        k_factor=scenario.radio.k_factor,
        satellite_mbps=bh.satellite_mbps_per_site,
        horizon_years=scenario.cost.horizon_years,
        discount_rate=scenario.cost.discount_rate,
        site_people=people,
        adoption=scenario.cost.adoption_share,
        busy_hour_mbps_per_user=bh.busy_hour_mbps_per_user,
        donor_x=towers.x,
        donor_y=towers.y,
        donor_mast_m=towers.height_m,
        donor_capacity_mbps=bh.donor_capacity_mbps,
        road_lines=region.roads,
        allowed=bh.allowed,
        max_mast_raise_m=bh.max_mast_raise_m,
        mast_raise_step_m=bh.mast_raise_step_m,
        relay_max_hop_m=bh.relay_max_hop_m,
        relay_max_depth=bh.relay_max_depth,
        microwave_capacity_mbps=bh.microwave_capacity_mbps,
        relay_capacity_mbps=bh.relay_capacity_mbps,
        fibre_capacity_mbps=bh.fibre_capacity_mbps,
        resilience=resilience,
        clearance_memo=clearance_memo,
    )


LOCAL_SEARCH_CURVE_MAX_OPTIONS = 1_500
"""Above this many options the budget curve is the greedy's (one pass) rather than a
local search per budget, which takes minutes on national instances."""


def curve_method(scenario: Scenario, prep: Prepared) -> str:
    """How the budget curve is computed: as the plan's method, within reason."""
    if scenario.placement.method == "greedy":
        return "greedy"
    if prep.instance.n_options > LOCAL_SEARCH_CURVE_MAX_OPTIONS:
        return "greedy"
    return "local-search"


_CURVES: dict[str, BudgetCurve] = {}


def _budget_curve_memo(instance: CoverageInstance, n_points: int, method: str) -> BudgetCurve:
    """The budget curve, remembered per instance in this process: it does not depend
    on the budget, so variants that change only the budget share it."""
    key = propagation_cache.key_of(
        instance.indptr,
        instance.indices,
        instance.weight,
        instance.cost_usd,
        instance.location,
        instance.capacity if instance.capacity is not None else "uncapped",
        n_points,
        method,
    )
    if key not in _CURVES:
        if len(_CURVES) >= 8:
            _CURVES.pop(next(iter(_CURVES)))
        _CURVES[key] = budget_curve(instance, n_points=n_points, method=method)
    return _CURVES[key]


def select_sites(
    scenario: Scenario, instance: CoverageInstance, coverage: CoverageMatrix
) -> Selection:
    """The scenario's placement: most people under the budget, or (with
    ``placement.coverage_target_share``) the least cost to reach the target."""
    p = scenario.placement
    if p.coverage_target_share is None:
        return PLACEMENT_METHODS[p.method](
            instance, budget_usd=scenario.budget_usd, time_limit_s=p.time_limit_s
        )
    not_served = float(coverage.demand.people.sum()) - coverage.people_covered_before
    return select_to_target(
        instance,
        target_people=p.coverage_target_share * not_served,
        method=p.method,
        budget_cap_usd=scenario.budget_usd,
        time_limit_s=p.time_limit_s,
    )


def summarise(
    scenario: Scenario,
    region: Region,
    options: SiteOptions,
    coverage: CoverageMatrix,
    selection: Selection,
    backhaul: BackhaulPlan,
) -> dict[str, Any]:
    """The headline numbers (the keys of ``summary.json``)."""
    c = scenario.cost
    chosen = selection.chosen
    site_capex = float(options.capex_usd[chosen].sum())
    site_opex = float(options.opex_usd_per_year[chosen].sum())
    capex = site_capex + backhaul.capex_usd
    opex = site_opex + backhaul.opex_usd_per_year
    tco = float(
        net_present_cost(capex, opex, horizon_years=c.horizon_years, discount_rate=c.discount_rate)
    )
    footprint = float(coverage.weight[coverage.covered_by(chosen)].sum())
    capped = bool(np.isfinite(options.capacity_people).any())
    if capped:  # people the chosen sites serve within capacity (no POI bonus weight)
        newly = served_people(
            CoverageInstance.from_arrays(
                indptr=coverage.indptr,
                indices=coverage.indices,
                weight=coverage.weight,
                cost_usd=options.cost_usd,
                location=options.location,
                capacity=options.capacity_people,
            ),
            chosen,
        )
    else:
        newly = footprint
    rep = region.grid.report
    people_total = float(region.grid.population.sum())
    return {
        "scenario": scenario.name,
        "scenario_file": scenario.source_path.name if scenario.source_path else None,
        "rural_plan_version": __version__,
        "seed": scenario.seed,
        "inputs_sha256": dict(sorted(region.inputs_sha256.items())),
        "crs": region.grid.crs,
        "cell_size_m": region.grid.cell_size_m,
        "grid_shape": list(region.grid.shape),
        "people_input_total": _r(rep.people_input_total),
        "people_gridded_total": _r(rep.people_gridded_total),
        "population_conservation_error": round(rep.population_conservation_error, 9),
        "people_moved_from_sea": _r(rep.people_moved_from_sea),
        "people_dropped": _r(rep.people_dropped),
        "dem_void_cells_filled": rep.dem_void_cells_filled,
        "dem_cells_outside_data": rep.dem_cells_outside_data,
        "people_total": _r(people_total),
        "people_covered_before": _r(coverage.people_covered_before),
        "people_newly_covered": _r(newly),
        "people_in_new_footprint": _r(footprint),
        "site_capacity_capped": capped,
        "share_newly_covered": round(newly / people_total, 6) if people_total else 0.0,
        "demand_cell_m": coverage.demand.block * region.grid.cell_size_m,
        "demand_cells": coverage.demand.size,
        "candidate_locations": int(options.location.max() + 1) if options.location.size else 0,
        "site_options": int(options.location.size),
        "sites_selected": int(chosen.size),
        "sites_by_type": {
            name: int((options.type_index[chosen] == i).sum())
            for i, name in enumerate(options.type_name)
        },
        **backhaul.summary(),
        "propagation_model": scenario.radio.model,
        "placement_method": selection.method,
        "placement_status": selection.status,
        **_certificate(selection),
        "coverage_target_share": scenario.placement.coverage_target_share,
        "cost_preset": scenario.cost.preset,
        "budget_usd": scenario.budget_usd,
        "budget_basis": scenario.budget_basis,
        "budget_used_usd": _r(selection.cost_usd),
        "horizon_years": c.horizon_years,
        "discount_rate": c.discount_rate,
        "capex_usd": _r(capex),
        "opex_usd_per_year": _r(opex),
        "tco_usd": _r(tco),
        "backhaul_tco_usd": _r(backhaul.tco_usd),
        "backhaul_all_satellite_tco_usd": _r(backhaul.all_satellite_tco_usd),
        "people_per_1000_usd": round(newly / (tco / 1000.0), 4) if tco > 0 else 0.0,
        "cost_per_person_usd": round(tco / newly, 2) if newly > 0 else None,
    }


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


def _certificate(selection: Selection) -> dict[str, Any]:
    """The method's proof of quality, when it gives one (MILP)."""
    if selection.bound is None:
        return {}
    key = (
        "placement_lower_bound_cost_usd"
        if selection.method.endswith("min_cost")
        else "placement_upper_bound_people"
    )
    return {key: _r(selection.bound), "placement_gap": round(float(selection.gap or 0.0), 6)}


def _r(x: float) -> float:
    return round(float(x), 2)
