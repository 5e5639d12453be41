"""Write a plan's results folder: summary.json, provenance.json, sites / links GeoJSON,
CSV tables, coverage.tif and report.html, atomically (:mod:`rural_plan.io.results`)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

import numpy as np

from rural_plan.costing.site import cost_rows
from rural_plan.coverage.poi_coverage import POI_COLUMNS
from rural_plan.io.rasters import write_geotiff
from rural_plan.io.results import MARKER, write_folder
from rural_plan.io.vectors import feature_collection, write_json
from rural_plan.pipeline.alternatives import Alternative, alternatives
from rural_plan.pipeline.clock import StageClock
from rural_plan.pipeline.limits import estimate_memory
from rural_plan.pipeline.plan import Plan
from rural_plan.report.features import link_features, site_features
from rural_plan.report.gpkg import write_gpkg
from rural_plan.report.html import write_report_html
from rural_plan.report.tables import BUDGET_CURVE_COLUMNS, budget_curve_frame, sites_frame

log = logging.getLogger(__name__)


def write_results(plan: Plan, out_dir: Path, *, overwrite: bool = False) -> Path:
    """Write summary.json, provenance.json, sites.geojson, links.geojson, budget_curve.csv,
    sites.csv, costs.csv, cashflow.csv, alternatives.csv, plan.gpkg, coverage.tif and
    report.html."""
    return write_folder(
        out_dir,
        lambda folder: _write_all(plan, folder),
        overwrite=overwrite,
        protect=plan.scenario.files(),
    )


def _write_all(plan: Plan, folder: Path) -> None:
    alts: tuple[Alternative, ...] = ()
    clock = StageClock(plan.timings_s, plan.peak_rss_mb)
    if plan.scenario.outputs.alternatives:
        alts = alternatives(plan)
        clock.lap("alternatives")
        if alts:
            _write_csv(folder / "alternatives.csv", [a.row() for a in alts])
    write_json(folder / "sites.geojson", feature_collection(site_features(plan)))
    write_json(folder / "links.geojson", feature_collection(link_features(plan)))
    _write_budget_curve(plan, folder / "budget_curve.csv")
    _write_sites_csv(plan, folder / "sites.csv")
    if plan.pois is not None:
        _write_pois(plan, folder / "pois.csv")
    _write_costs(plan, folder)
    if plan.money is not None:
        _write_csv(folder / "cashflow.csv", list(plan.money.cash_flow.rows))
    write_gpkg(plan, folder / "plan.gpkg", pois=plan.pois)
    if plan.scenario.outputs.coverage_tif:
        _write_coverage(plan, folder / "coverage.tif")
    write_report_html(
        plan, folder / "report.html", covered_area=plan.covered_area, alternatives=alts
    )
    clock.lap("outputs")
    write_json(folder / "provenance.json", _provenance(plan, clock.timings, clock.peaks))
    write_json(folder / MARKER, plan.summary.as_dict())  # last: a folder holding it is complete


def _write_csv(path: Path, rows: list[dict[str, Any]], columns=None) -> None:
    columns = list(columns or (rows[0].keys() if rows else []))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for row in rows:
            w.writerow({k: "" if v is None else v for k, v in row.items()})


def _write_costs(plan: Plan, folder: Path) -> None:
    """costs.csv (every cost item of each site type, with its source), sensitivity.csv
    (tornado) and sensitivity_montecarlo.csv (percentiles) when computed."""
    c = plan.scenario.cost
    if plan.site_costs is not None:
        rows = cost_rows(
            plan.site_costs,
            plan.preset,
            horizon_years=c.horizon_years,
            discount_rate=c.discount_rate,
        )
        _write_csv(folder / "costs.csv", rows)
    econ = plan.economics
    if econ is not None and econ.tornado:
        _write_csv(folder / "sensitivity.csv", [r.as_dict() for r in econ.tornado])
    if econ is not None and econ.monte_carlo is not None:
        _write_csv(folder / "sensitivity_montecarlo.csv", econ.monte_carlo.as_rows())


def _write_sites_csv(plan: Plan, path: Path) -> None:
    """The chosen sites as a table (the properties of sites.geojson, with lon / lat)."""
    frame = sites_frame(plan)
    frame.to_csv(path, lineterminator="\n", float_format="%.7g")


def _write_pois(plan: Plan, path: Path) -> None:
    """Per point of interest (school, clinic): covered before, by the plan, by what."""
    _write_csv(path, plan.pois, POI_COLUMNS)


def _write_budget_curve(plan: Plan, path: Path) -> None:
    """People newly covered against investment, one row per budget (the sweep's curve);
    the points re-costed with their designed backhaul also at that real cost (cells left
    empty for the others)."""
    frame = budget_curve_frame(plan)
    basis = plan.scenario.budget_basis
    lines = [",".join((*BUDGET_CURVE_COLUMNS[:5], "budget_basis", *BUDGET_CURVE_COLUMNS[5:]))]
    for r in frame.itertuples(index=False):
        if np.isfinite(r.cost_designed_usd):
            designed = f"{r.backhaul_usd:.2f},{r.cost_designed_usd:.2f},"
            designed += f"{r.people_per_1000_usd_designed:.4f}"
        else:
            designed = ",,"  # not re-costed: empty cells
        lines.append(
            f"{r.budget_usd:.2f},{r.cost_usd:.2f},{r.people_newly_covered:.2f},{int(r.sites)},"
            f"{r.people_per_1000_usd:.4f},{basis},{designed},{r.priority_score:.2f}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _provenance(
    plan: Plan, timings_s: dict[str, float], peak_rss_mb: dict[str, float]
) -> dict[str, Any]:
    s = plan.scenario
    return {
        "scenario": s.model_dump(mode="json"),
        "scenario_file": str(s.source_path) if s.source_path else None,
        "inputs_sha256": plan.summary.inputs_sha256,
        "seed": s.seed,
        "rural_plan_version": plan.summary.rural_plan_version,
        "timings_s": timings_s,
        "peak_rss_mb": peak_rss_mb,
        "estimated_memory": estimate_memory(s).describe(),
        "executor": plan.executor,
        "cost_sources": plan.preset.sources,
    }


def _write_coverage(plan: Plan, path: Path) -> None:
    grid, sel = plan.region.grid, plan.selection
    rx, server = plan.best_server_field
    site_id = np.where(server >= 0, server + 1, np.nan).astype(np.float32)
    cov = plan.coverage
    newly = cov.covered_by(sel.chosen) & (cov.weight > 0)
    covered = cov.people_grid(newly, grid.population).astype(np.float32)
    write_geotiff(
        path,
        [rx, site_id, covered],
        transform=grid.transform,
        crs=grid.crs,
        nodata=np.nan,
        descriptions=["best_server_rx_dbm", "serving_site_id", "people_newly_covered"],
    )
