"""A plan's results as tables (pandas DataFrames) for notebooks and CSV files.

The rows are the properties of the GeoJSON features the report writes, so the
notebook, ``sites.csv`` and ``sites.geojson`` always agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from rural_plan.pipeline import Plan


def sites_frame(plan: Plan) -> pd.DataFrame:
    """One row per chosen site in rollout order, with ``lon`` / ``lat`` (WGS84 degrees)."""
    from rural_plan.report.writer import _site_features

    rows = []
    for f in _site_features(plan):
        lon, lat = f["geometry"]["coordinates"]
        rows.append({**f["properties"], "lon": lon, "lat": lat})
    return pd.DataFrame(rows).set_index("site_id") if rows else pd.DataFrame()


def links_frame(plan: Plan) -> pd.DataFrame:
    """One row per backhaul link (the properties of ``links.geojson``)."""
    from rural_plan.report.writer import _link_features

    return pd.DataFrame([f["properties"] for f in _link_features(plan)])


def budget_curve_frame(plan: Plan) -> pd.DataFrame:
    """People newly covered against investment (the rows of ``budget_curve.csv``)."""
    c = plan.curve
    cost = c.cost_usd
    per_k = [p / (x / 1000.0) if x > 0 else 0.0 for p, x in zip(c.people, cost, strict=True)]
    return pd.DataFrame(
        {
            "budget_usd": c.budget_usd,
            "cost_usd": cost,
            "people_newly_covered": c.people,
            "sites": c.sites,
            "people_per_1000_usd": per_k,
        }
    )
