"""The Python API for notebooks: :func:`plan` and the :class:`Plan` it returns, which adds
to the pipeline's result the ways an analyst looks at it (tables, map) and changes it
(:meth:`Plan.replace`, :meth:`Plan.recost`) without recomputing propagation."""

from __future__ import annotations

import dataclasses
from typing import Any

from rural_plan import pipeline
from rural_plan.costing.presets import CostPreset
from rural_plan.pipeline.alternatives import alternatives
from rural_plan.pipeline.reprice import COST_ONLY_KEYS, reprice, reusable
from rural_plan.report.maps import plan_map
from rural_plan.report.tables import budget_curve_frame, links_frame, sites_frame
from rural_plan.scenario.loader import derive_scenario
from rural_plan.scenario.schema import Scenario


@dataclasses.dataclass(frozen=True)
class Plan(pipeline.Plan):
    """A finished plan (:class:`rural_plan.pipeline.Plan`) with tables, a map and
    re-planning for notebooks."""

    @classmethod
    def of(cls, result: pipeline.Plan) -> Plan:
        """The pipeline's result as a :class:`Plan`."""
        if isinstance(result, cls):
            return result
        return cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})

    def replace(self, **changes: Any) -> Plan:
        """The plan of this scenario with ``changes`` applied (keyword per top-level key;
        mappings merge, e.g. ``replace(budget_usd=2e6, cost={"horizon_years": 15})``,
        except ``site_types``, which replaces the types), validated as YAML is
        (:func:`rural_plan.derive_scenario`, which also takes dotted keys).

        Changes to budget, placement, cost or backhaul, and site-type changes that keep
        each type's radio (dropping a type, repricing one) re-run placement and costing
        on the coverage already computed (seconds); any other change runs the whole plan.

        >>> p2 = p.replace(budget_usd=2_000_000)  # doctest: +SKIP
        """
        new = derive_scenario(self.scenario, changes)
        if (
            self.prepared is None
            or not {k.split(".")[0] for k in changes} <= COST_ONLY_KEYS | {"site_types"}
            or not reusable(self.scenario, new)
        ):
            return plan(new)
        return Plan.of(pipeline.finish(reprice(self.prepared, new)))

    def recost(self, preset: str | CostPreset) -> Plan:
        """The plan re-optimised under another cost preset (a name, a path to a preset
        YAML, or a :class:`~rural_plan.costing.CostPreset` an analyst has changed).

        >>> p.recost("default").summary["tco_usd"]  # doctest: +SKIP
        """
        if isinstance(preset, CostPreset):
            if self.prepared is None:
                raise ValueError("this plan keeps no coverage to re-cost; run plan() again")
            return Plan.of(pipeline.finish(reprice(self.prepared, self.scenario, preset)))
        return self.replace(cost={"preset": str(preset)})

    @property
    def sites(self):
        """The chosen sites as a pandas DataFrame (one row per site, rollout order)."""
        return sites_frame(self)

    @property
    def links(self):
        """The backhaul links as a pandas DataFrame."""
        return links_frame(self)

    def map(self, ax=None):
        """The plan on its terrain as a matplotlib figure, as the report draws it: people
        newly covered and served today, sites by type in rollout order, backhaul links by
        type, roads, named fibre points of presence, today's sites and villages, a
        latitude / longitude graticule, scale bar, north arrow and locator inset
        (:func:`rural_plan.report.maps.plan_map`). Given ``ax``, the legend and the rest
        go outside it: save with ``bbox_inches="tight"``.

        >>> fig = p.map()  # doctest: +SKIP
        >>> fig.savefig("plan.png")  # doctest: +SKIP
        """
        return plan_map(self, ax)

    @property
    def budget_curve(self):
        """People newly covered against investment as a pandas DataFrame: the rows of
        ``budget_curve.csv``, each point at placement's cost estimate (``cost_usd``) and,
        for the points re-costed with their designed backhaul, at its real cost
        (``backhaul_usd``, ``cost_designed_usd``, ``people_per_1000_usd_designed``; NaN
        for the others)."""
        return budget_curve_frame(self)

    def alternatives(self):
        """The choices side by side as a pandas DataFrame (the rows of
        ``alternatives.csv``): this plan, then each site type alone and each backhaul
        type alone, placed, backhauled and costed as this plan is from its coverage.

        >>> p.alternatives()[["alternative", "people_per_1000_usd"]]  # doctest: +SKIP
        """
        import pandas as pd

        return pd.DataFrame([a.row() for a in alternatives(self)])


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
    return Plan.of(pipeline.plan(scenario, use_cache=use_cache))
