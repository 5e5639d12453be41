"""A plan's results as tables (pandas DataFrames) for notebooks and CSV files.

The rows are the properties of the GeoJSON features the report writes, so the
notebook, ``sites.csv`` and ``sites.geojson`` always agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rural_plan.pipeline.plan import Plan
from rural_plan.report.features import link_features, site_features


def sites_frame(plan: Plan) -> pd.DataFrame:
    """One row per chosen site in rollout order, with ``lon`` / ``lat`` (WGS84 degrees)."""
    rows = []
    for f in site_features(plan):
        lon, lat = f["geometry"]["coordinates"]
        rows.append({**f["properties"], "lon": lon, "lat": lat})
    return pd.DataFrame(rows).set_index("site_id") if rows else pd.DataFrame()


def links_frame(plan: Plan) -> pd.DataFrame:
    """One row per backhaul link (the properties of ``links.geojson``)."""
    return pd.DataFrame([f["properties"] for f in link_features(plan)])


BUDGET_CURVE_COLUMNS = (
    "budget_usd",
    "cost_usd",
    "people_newly_covered",
    "sites",
    "people_per_1000_usd",
    "backhaul_usd",
    "cost_designed_usd",
    "people_per_1000_usd_designed",
    "priority_score",
)
"""The columns of :func:`budget_curve_frame` (``budget_curve.csv`` adds ``budget_basis``
after ``people_per_1000_usd``)."""


def budget_curve_frame(plan: Plan) -> pd.DataFrame:
    """People newly covered against investment (the rows of ``budget_curve.csv``).

    ``cost_usd`` is each point's cost with placement's backhaul estimate (a satellite
    terminal per site); for the points re-costed with their designed backhaul,
    ``backhaul_usd`` is that backhaul and ``cost_designed_usd`` the sites plus it, both
    on the budget basis, and ``people_per_1000_usd_designed`` the people per 1,000 USD of
    that real cost (NaN for the points not re-costed). People are people: the priority
    weight of points of interest that placement maximises with them is the separate
    ``priority_score`` (equal to the people when no POI is weighted)."""
    c = plan.curve
    people = plan.curve_people if plan.curve_people is not None else c.people
    cost = c.cost_usd
    n = cost.size
    d = plan.curve_backhaul
    backhaul = d.backhaul_usd if d is not None else np.full(n, np.nan)
    designed = d.cost_usd if d is not None else np.full(n, np.nan)
    return pd.DataFrame(
        {
            "budget_usd": c.budget_usd,
            "cost_usd": cost,
            "people_newly_covered": people,
            "sites": c.sites,
            "people_per_1000_usd": _per_1000(people, cost),
            "backhaul_usd": backhaul,
            "cost_designed_usd": designed,
            "people_per_1000_usd_designed": np.where(
                np.isfinite(designed), _per_1000(people, designed), np.nan
            ),
            "priority_score": c.people,
        },
        columns=list(BUDGET_CURVE_COLUMNS),
    )


def _per_1000(people: np.ndarray, cost_usd: np.ndarray) -> np.ndarray:
    """People per 1,000 USD (0 where nothing is spent)."""
    people = np.asarray(people, dtype=np.float64)
    cost = np.asarray(cost_usd, dtype=np.float64)
    ok = cost > 0
    return np.where(ok, people / (np.where(ok, cost, 1.0) / 1000.0), 0.0)
