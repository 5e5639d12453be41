"""The choices a plan stands among, computed in the same run from the same coverage:
one site type only (light sites against macro towers) and one backhaul type only
(fibre, microwave, relay or satellite) against the plan's mix, each placed, backhauled
and costed as the plan is (as :func:`rural_plan.pipeline.recipe.finish` does, on the
prepared coverage re-priced), under the same budget.

A backhaul type that cannot reach every site on its own (microwave beyond line of
sight, no fibre point of presence) is completed with satellite terminals, and the row
says so. The alternatives have no budget curve of their own: only their plans are
reported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rural_plan.errors import BackhaulError
from rural_plan.pipeline.accounts import accounts
from rural_plan.pipeline.fit import place_with_backhaul
from rural_plan.pipeline.reprice import reprice
from rural_plan.pipeline.summary import Summary
from rural_plan.placement.select import select_sites
from rural_plan.scenario.schema import Scenario

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alternative:
    """One choice, planned: what it builds, whom it serves, what it costs."""

    name: str
    """'this plan', '<type> only' or 'backhaul: <kind> only'."""
    site_types: tuple[str, ...]
    backhaul_allowed: tuple[str, ...]
    sites_selected: int
    people_newly_covered: float
    people_newly_served: float
    capex_usd: float
    opex_usd_per_year: float
    tco_usd: float
    people_per_1000_usd: float
    """People newly served per 1,000 USD of TCO (the plan's headline)."""
    cost_per_person_usd: float | None
    backhaul_links_by_type: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @classmethod
    def of(cls, name: str, scenario: Scenario, s: Summary, note: str = "") -> Alternative:
        return cls(
            name=name,
            site_types=tuple(scenario.site_types),
            backhaul_allowed=tuple(scenario.backhaul.allowed),
            sites_selected=s.sites_selected,
            people_newly_covered=s.people_newly_covered,
            people_newly_served=s.people_newly_served,
            capex_usd=s.capex_usd,
            opex_usd_per_year=s.opex_usd_per_year,
            tco_usd=s.tco_usd,
            people_per_1000_usd=s.people_per_1000_usd,
            cost_per_person_usd=s.cost_per_person_usd,
            backhaul_links_by_type=dict(s["backhaul_links_by_type"]),
            note=note,
        )

    def row(self) -> dict[str, Any]:
        """The row of ``alternatives.csv``."""
        return {
            "alternative": self.name,
            "site_types": " + ".join(self.site_types),
            "backhaul_allowed": " + ".join(self.backhaul_allowed),
            "sites": self.sites_selected,
            "people_newly_covered": round(self.people_newly_covered),
            "people_newly_served": round(self.people_newly_served),
            "capex_usd": round(self.capex_usd, 2),
            "opex_usd_per_year": round(self.opex_usd_per_year, 2),
            "tco_usd": round(self.tco_usd, 2),
            "people_per_1000_usd": self.people_per_1000_usd,
            "cost_per_person_usd": self.cost_per_person_usd,
            "backhaul_links": " ".join(
                f"{k}:{n}" for k, n in self.backhaul_links_by_type.items() if n
            ),
            "note": self.note,
        }


def alternatives(plan) -> tuple[Alternative, ...]:
    """The plan (first) and each single-choice alternative of its scenario (see the
    module docstring); empty when the plan keeps no prepared coverage."""
    prep = plan.prepared
    if prep is None:
        return ()
    scenario = plan.scenario
    out = [Alternative.of("this plan", scenario, plan.summary)]
    types = scenario.site_types
    if len(types) > 1:
        for name, t in types.items():
            changed = scenario.model_copy(update={"site_types": {name: t}})
            out.append(_planned(prep, f"{name} only", changed))
    allowed = tuple(scenario.backhaul.allowed)
    if len(allowed) > 1:
        for kind in allowed:
            out.append(_backhaul_only(prep, scenario, kind))
    return tuple(out)


def _backhaul_only(prep, scenario: Scenario, kind: str) -> Alternative:
    name = f"backhaul: {kind} only"
    try:
        return _planned(prep, name, _with_backhaul(scenario, (kind,)))
    except BackhaulError:
        if kind == "satellite":
            raise
    note = f"{kind} cannot reach every site on its own: satellite where it cannot"
    return _planned(prep, name, _with_backhaul(scenario, (kind, "satellite")), note)


def _with_backhaul(scenario: Scenario, allowed: tuple[str, ...]) -> Scenario:
    return scenario.model_copy(
        update={"backhaul": scenario.backhaul.model_copy(update={"allowed": allowed})}
    )


def _planned(prep, name: str, scenario: Scenario, note: str = "") -> Alternative:
    """Placement, backhaul and the accounts of ``scenario`` on ``prep``'s coverage, as
    :func:`rural_plan.pipeline.recipe.finish` makes them, without a budget curve."""
    with _quiet():
        again = reprice(prep, scenario)
        selection = select_sites(scenario, again.instance, again.coverage)
        fit = place_with_backhaul(again, selection)
        books = accounts(again, fit, None, None)
    alt = Alternative.of(name, scenario, books.summary, note)
    log.info(
        "alternative %s: %d sites, %.0f people served, TCO %.0f USD, %.2f per 1,000 USD%s",
        name,
        alt.sites_selected,
        alt.people_newly_served,
        alt.tco_usd,
        alt.people_per_1000_usd,
        f" ({note})" if note else "",
    )
    return alt


@contextmanager
def _quiet() -> Iterator[None]:
    """The alternatives' own stage lines are not the plan's: keep them out of the log."""
    root = logging.getLogger("rural_plan")
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(level)
