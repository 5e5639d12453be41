"""Every check of a scenario that reads no raster pixels: what ``rural-plan validate``
runs after the schema, and what ``run``, ``sweep``, ``diagnose`` and ``place --export``
run before any work, so that validate passes exactly what run accepts and both say it
in the same words, naming the scenario key.

* the cost side: ``cost.preset`` (a packaged name or a readable, complete preset file),
  ``cost.overrides`` (figures the preset has), each site type's cost item and power
  system (``site_types.NAME.cost_item`` / ``.power_source``), a budget that affords the
  cheapest site option;
* the input files: each raster's header (DEM, population, land cover, a coverage map:
  a raster GDAL reads, with a CRS tied to the earth, a north-up geotransform), where the
  grid goes (the rasters overlap, the area of interest lies inside them and covers a few
  grid cells), each vector layer (readable, the right geometries, coordinates in
  degrees, towers' heights and EIRPs in range);
* the memory the plan is estimated to need.

Problems are collected and raised together as one :class:`ScenarioError`, one line each.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from rural_plan.costing.plan_cost import site_breakdowns
from rural_plan.costing.presets import load_preset, patch_preset
from rural_plan.costing.settings import CostSettings
from rural_plan.errors import (
    CostingError,
    GridError,
    InputFileError,
    ResourceError,
    ScenarioError,
    VectorError,
)
from rural_plan.grid.align import plan_frame
from rural_plan.grid.region import tower_values
from rural_plan.io.rasters import raster_info
from rural_plan.io.towers import read_towers
from rural_plan.io.vectors import read_lines, read_points, read_polygon_features, read_polygons
from rural_plan.pipeline.limits import check_memory
from rural_plan.placement.options import cheapest_option_usd
from rural_plan.scenario.schema import Scenario


def check_scenario(
    scenario: Scenario, *, max_memory_gb: float | None = None, source: str | None = None
) -> None:
    """Raise :class:`ScenarioError` listing every problem of ``scenario`` that can be found
    without reading raster pixels (see the module); return quietly when there is none.
    ``source`` names the scenario in messages (default: its file)."""
    src = source or str(scenario.source_path or "<scenario>")
    problems = _cost_problems(scenario, src) + _input_problems(scenario, src)
    if not problems:  # the estimate needs readable rasters
        try:
            check_memory(scenario, max_memory_gb=max_memory_gb)
        except ResourceError as err:
            text = str(err).removeprefix(f"{scenario.source_path}: ")
            problems.append(f"{src}: {text}")
    if problems:
        raise ScenarioError(
            problems[0] if len(problems) == 1 else f"{len(problems)} problems", problems
        )


def _cost_problems(scenario: Scenario, src: str) -> list[str]:
    cost = scenario.cost
    try:
        preset = load_preset(cost.preset)
    except CostingError as err:
        return [f"{src}: cost.preset: {err}"]
    problems = []
    for key in cost.overrides:
        if key not in preset.figures:
            close = difflib.get_close_matches(key, list(preset.figures), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"{src}: cost.overrides.{key}: cost preset {preset.name!r} has no figure "
                f"{key!r}{hint} (a figure is a key path such as "
                "'power.diesel.fuel_price_usd_per_l'; costs.csv and provenance.json list them)"
            )
    if problems:
        return problems
    try:
        preset = patch_preset(preset, cost.overrides, note="scenario override (user value)")
    except CostingError as err:
        return [f"{src}: cost.overrides: {err}"]
    settings = CostSettings.from_scenario(scenario)
    for spec, (name, site) in zip(settings.sites, scenario.site_types.items(), strict=True):
        try:
            site_breakdowns(
                preset,
                [spec],
                peak_sun_hours=settings.peak_sun_hours,
                battery_autonomy_days=settings.battery_autonomy_days,
            )
        except CostingError as err:
            text = str(err)
            item = "has no site type" in text
            key = (
                ".cost_item"
                if item and site.cost_item is not None
                else ".power_source"
                if not item and site.power_source is not None
                else ""
            )
            hint = (
                " (a site type is priced by the preset's item of its own name unless it "
                "sets cost_item)"
                if item and site.cost_item is None
                else ""
            )
            where = f"site_types.{name}{key}"
            problems.append(f"{src}: {where}: {err}{hint}")
    if problems:
        return problems
    cheapest = cheapest_option_usd(scenario, preset)
    if scenario.budget_usd < cheapest:  # placement's own words (placement.greedy.check_budget)
        problems.append(
            f"{src}: budget_usd={scenario.budget_usd:,.0f} is below the cheapest site option "
            f"({cheapest:,.0f} USD); raise budget_usd to at least that"
        )
    return problems


def _input_problems(scenario: Scenario, src: str) -> list[str]:
    inputs = scenario.inputs
    problems: list[str] = []
    if inputs.synthetic is None:
        infos = {}
        for key, path in [("dem", p) for p in inputs.dem_paths] + [
            ("population", inputs.population)
        ]:
            try:
                infos.setdefault(key, []).append(raster_info(path))
            except InputFileError as err:
                problems.append(f"{src}: inputs.{key}: {err}")
        if not problems:
            try:
                plan_frame(
                    bbox_lonlat=scenario.area.bbox_lonlat,
                    polygon_lonlat=scenario.area.polygon_lonlat,
                    dem=infos["dem"],
                    population=infos["population"][0],
                    cell_size_m=scenario.grid.cell_size_m,
                    crs=scenario.grid.crs,
                )
            except (GridError, InputFileError) as err:
                problems.append(f"{src}: {err}")
    for key in ("land_cover", "existing_coverage"):
        path = getattr(inputs, key)
        if path is None:
            continue
        try:
            if key == "existing_coverage" and path.suffix.lower() in (".geojson", ".json"):
                read_polygon_features(path)
            else:
                raster_info(path)
        except InputFileError as err:
            problems.append(f"{src}: inputs.{key}: {err}")
    readers = {
        "fibre_nodes": read_points,
        "settlements": read_points,
        "candidate_sites": read_points,
        "pois": _read_pois,
        "exclusions": read_polygons,
        "roads": read_lines,
    }
    for key, read in readers.items():
        path = getattr(inputs, key)
        if path is not None:
            try:
                read(path)
            except InputFileError as err:
                problems.append(f"{src}: inputs.{key}: {err}")
    if inputs.existing_towers is not None:
        try:
            _check_towers(scenario, inputs.existing_towers)
        except InputFileError as err:
            problems.append(f"{src}: inputs.existing_towers: {err}")
    return problems


def _check_towers(scenario: Scenario, path: Path) -> None:
    net = scenario.existing_network
    tower_values(read_towers(path, merge_m=net.site_merge_m), net, path)


def _read_pois(path: Path) -> None:
    if not read_points(path):  # as io.pois.read_pois, which needs the grid
        raise VectorError(f"{path}: holds no points of interest")
