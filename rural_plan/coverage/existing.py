"""Today's network: the demand cells it serves, and the check of that against the share
of people a published figure says are served.

People are served today when an existing site that counts
(``existing_network.serving_technologies``) reaches them with the same propagation and
link budget as new sites, or when an operator's coverage map covers them. With
``baseline.fill_to_reported`` (off unless asked), an explicit assumption fills the rest:
the most populous demand cells not modelled as served are taken as served until the share
reaches the reported one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rural_plan.coverage.matrix import DemandCells
from rural_plan.grid.region import Region
from rural_plan.propagation.runner import Executor, cached_covered_demand
from rural_plan.propagation.settings import RadioSettings, loss_budget_db
from rural_plan.scenario.schema import Scenario


@dataclass(frozen=True)
class ServedToday:
    """Who is served before the plan, and how that compares with the published figure."""

    served: np.ndarray | None
    """Per demand cell: served today (None: no existing network given, nobody)."""
    people_total: float
    people_modelled: float
    """People the existing sites and coverage map reach."""
    people_assumed: float
    """People added by ``baseline.fill_to_reported`` (0 when not asked)."""
    existing_sites: int
    """Existing sites inside the area (after grouping cells into sites)."""
    existing_sites_serving: int
    """Of those, the sites that count as serving (their technologies)."""
    reported_pct: float | None
    source: str
    warning: str | None
    """In words, when the modelled share is far from the reported one."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Rows or sites of the towers' file not used, by reason (counted, logged)."""
    reached: np.ndarray | None = field(default=None, compare=False)
    """Per demand cell: reached by the existing sites or coverage map (``served`` before
    ``baseline.fill_to_reported`` adds the cells assumed served)."""

    @property
    def modelled_pct(self) -> float:
        return 100.0 * self.people_modelled / self.people_total if self.people_total else 0.0

    def summary(self) -> dict[str, object]:
        """The ``summary.json`` keys of today's network (besides
        ``people_covered_before``)."""
        return {
            "existing_sites": self.existing_sites,
            "existing_sites_serving": self.existing_sites_serving,
            "existing_sites_skipped": dict(sorted(self.skipped.items())),
            "people_covered_before_modelled": round(self.people_modelled, 2),
            "people_assumed_served_before": round(self.people_assumed, 2),
            "modelled_coverage_before_pct": round(self.modelled_pct, 3),
            "reported_coverage_pct": self.reported_pct,
            "reported_coverage_source": self.source or None,
            "baseline_warning": self.warning,
        }


def served_today(
    scenario: Scenario,
    region: Region,
    demand: DemandCells,
    radio: RadioSettings,
    *,
    extra_db: np.ndarray | None = None,
    use_cache: bool = True,
    executor: Executor | None = None,
) -> ServedToday:
    """The demand cells today's network serves, checked against ``baseline``."""
    towers, layer = region.towers, region.existing
    served = np.zeros(demand.size, dtype=bool)
    given = bool(len(towers)) or layer.coverage is not None
    serving = layer.serving if layer.serving.size == len(towers) else np.ones(len(towers), bool)
    if serving.any():
        net = scenario.existing_network
        budgets = np.array(
            [
                loss_budget_db(
                    scenario,
                    eirp_dbm=e,
                    gain_dbi=net.antenna_gain_dbi,
                    cable_loss_db=net.cable_loss_db,
                )
                for e in towers.eirp_dbm[serving]
            ]
        )
        existing = cached_covered_demand(
            use_cache,
            region.grid,
            towers.rows[serving],
            towers.cols[serving],
            towers.height_m[serving],
            budgets,
            demand.sample_id,
            radio,
            extra_db=extra_db,
            executor=executor,
        )
        served[existing.indices] = True
    if layer.coverage is not None:
        covered = layer.coverage[demand.rows, demand.cols]
        served |= covered
    people = demand.people
    total = float(people.sum())
    modelled = float(people[served].sum())
    reached = served.copy()
    base = scenario.baseline
    assumed = 0.0
    if base.fill_to_reported and base.reported_coverage_pct is not None:
        served, assumed = _fill_to_share(served, people, base.reported_coverage_pct / 100.0)
        given = True
    result = ServedToday(
        served=served if given else None,
        people_total=total,
        people_modelled=modelled,
        people_assumed=assumed,
        existing_sites=len(towers),
        existing_sites_serving=int(serving.sum()),
        reported_pct=base.reported_coverage_pct,
        source=base.source,
        warning=None,
        skipped=dict(layer.skipped),
        reached=reached,
    )
    return _with_warning(result, scenario)


def _fill_to_share(
    served: np.ndarray, people: np.ndarray, share: float
) -> tuple[np.ndarray, float]:
    """``served`` with the most populous unserved demand cells added (ties: lower id
    first) until the people served reach ``share`` of all; and the people added."""
    total = float(people.sum())
    need = share * total - float(people[served].sum())
    out = served.copy()
    if need <= 0:
        return out, 0.0
    free = np.flatnonzero(~served & (people > 0))
    order = free[np.lexsort((free, -people[free]))]
    reached = np.searchsorted(np.cumsum(people[order]), need * (1 - 1e-12)) + 1
    take = order[:reached]
    out[take] = True
    return out, float(people[take].sum())


def _with_warning(today: ServedToday, scenario: Scenario) -> ServedToday:
    base = scenario.baseline
    if today.reported_pct is None:
        return today
    gap = abs(today.modelled_pct - today.reported_pct)
    if gap <= base.warn_above_points:
        return today
    said = (
        f"the existing network layer explains {today.modelled_pct:.0f} % coverage; the "
        f"reported figure is {today.reported_pct:g} % ({today.source})"
    )
    if today.people_assumed > 0:
        warning = (
            f"{said}: {today.people_assumed:,.0f} people were assumed served "
            "(baseline.fill_to_reported: the most populous unserved cells first), so people "
            "newly covered counts the rest"
        )
    elif today.modelled_pct < today.reported_pct:
        warning = f"{said}: people newly covered is an upper bound"
    else:
        warning = f"{said}: the existing network may be overstated (check heights and EIRPs)"
    return ServedToday(**{**today.__dict__, "warning": warning})
