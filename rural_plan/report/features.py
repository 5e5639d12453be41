"""A plan's sites and links as GeoJSON features (EPSG:4326): the rows of
``sites.geojson`` / ``sites.csv`` and ``links.geojson``, and of the notebook tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import rasterio.warp

from rural_plan.pipeline.plan import Plan
from rural_plan.placement.candidates import KIND_NAMES


def lonlat(crs: str, x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    if len(x) == 0:
        return [], []
    lon, lat = rasterio.warp.transform(crs, "EPSG:4326", list(map(float, x)), list(map(float, y)))
    return [round(v, 7) for v in lon], [round(v, 7) for v in lat]


def site_features(plan: Plan) -> list[dict[str, Any]]:
    grid, opt, sel = plan.region.grid, plan.options, plan.selection
    loc = opt.location[sel.chosen]
    rows, cols = plan.candidates.rows[loc], plan.candidates.cols[loc]
    x, y = grid.xy_of(rows, cols)
    lon, lat = lonlat(grid.crs, x, y)
    table = plan.site_table
    feats = []
    for order, i in enumerate(sel.chosen):
        people = float(table.people_newly_covered[order])
        served = float(table.people_newly_served[order])
        tco = float(table.tco_usd[order])
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon[order], lat[order]]},
                "properties": {
                    "site_id": order + 1,
                    "rollout_order": order + 1,
                    "site_type": opt.type_name[opt.type_index[i]],
                    "candidate_kind": KIND_NAMES[int(plan.candidates.kind[loc[order]])],
                    "ground_elevation_m": round(
                        float(grid.elevation_m[rows[order], cols[order]]), 1
                    ),
                    "mast_height_m": float(opt.mast_height_m[i]),
                    "eirp_dbm": float(opt.eirp_dbm[i]),
                    "max_path_loss_db": round(float(opt.max_loss_db[i]), 2),
                    "people_newly_covered": round(people, 1),
                    "people_newly_served": round(served, 1),
                    "priority_score": round(float(table.priority_score[order]), 1),
                    "capex_usd": round(float(opt.capex_usd[i]), 2),
                    "opex_usd_per_year": round(float(opt.opex_usd_per_year[i]), 2),
                    "backhaul_capex_usd": round(float(table.backhaul_capex_usd[order]), 2),
                    "backhaul_opex_usd_per_year": round(
                        float(table.backhaul_opex_usd_per_year[order]), 2
                    ),
                    "tco_usd": round(tco, 2),
                    "budget_cost_usd": round(float(table.budget_cost_usd[order]), 2),
                    "people_per_1000_usd": round(served / (tco / 1000.0), 3) if tco > 0 else 0.0,
                    "backhaul": plan.backhaul.site_kind[order],
                    "rollout_year": None
                    if plan.money is None
                    else int(plan.money.rollout.year[order]),
                },
            }
        )
    return feats


def _rounded(value: float, digits: int) -> float | None:
    """``value`` rounded, or None (JSON null) where it does not apply (NaN)."""
    return None if np.isnan(value) else round(float(value), digits)


def link_features(plan: Plan) -> list[dict[str, Any]]:
    feats = []
    crs = plan.region.grid.crs
    for link in plan.backhaul.links:
        props = {
            "type": link.kind,
            "from": link.a,
            "to": link.b,
            "length_m": round(link.length_m, 1),
            "capex_usd": round(link.capex_usd, 2),
            "opex_usd_per_year": round(link.opex_usd_per_year, 2),
            "capacity_mbps": None if np.isnan(link.capacity_mbps) else round(link.capacity_mbps, 3),
            "load_mbps": round(link.load_mbps, 3),
            "fresnel_clearance_f1": None
            if np.isnan(link.clearance_f1)
            else round(link.clearance_f1, 3),
            "mast_raise_m": round(link.mast_raise_m, 1),
            "relay_site": link.relay_site,
            "route": link.route or None,
            "trench_length_m": _rounded(link.trench_length_m, 1),
            "height_a_m": _rounded(link.height_a_m, 1),
            "height_b_m": _rounded(link.height_b_m, 1),
            "raise_a_m": round(link.raise_a_m, 1),
            "raise_b_m": round(link.raise_b_m, 1),
            "frequency_mhz": _rounded(link.frequency_mhz, 1),
            "rx_dbm": _rounded(link.rx_dbm, 2),
            "fade_margin_db": _rounded(link.fade_margin_db, 2),
            "rain_fade_db": _rounded(link.rain_fade_db, 2),
            "availability_pct": _rounded(link.availability_pct, 4),
        }
        xy = np.asarray(link.geometry_xy, dtype=np.float64).reshape(-1, 2)
        lon, lat = lonlat(crs, xy[:, 0], xy[:, 1])
        if link.kind == "satellite":
            geom = {"type": "Point", "coordinates": [lon[0], lat[0]]}
        else:
            geom = {
                "type": "LineString",
                "coordinates": [list(p) for p in zip(lon, lat, strict=True)],
            }
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return feats
