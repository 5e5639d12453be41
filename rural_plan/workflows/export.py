"""Export the placement instance a scenario builds, so any scenario becomes a benchmark
(the guts of ``rural-plan place --export``)."""

from __future__ import annotations

from pathlib import Path

from rural_plan.errors import OutputError
from rural_plan.pipeline.recipe import prepare
from rural_plan.placement.instance import CoverageInstance
from rural_plan.scenario.loader import load_scenario
from rural_plan.workflows.check import check_scenario


def export_instance(scenario_path: Path, out: Path) -> CoverageInstance:
    """Prepare the scenario (grid, candidates, propagation) and write its placement
    instance to ``out`` (NPZ, atomically); returns the instance."""
    out = Path(out)
    if out.is_dir():
        raise OutputError(f"{out}: is a folder; give a file name ending in .npz")
    scenario = load_scenario(scenario_path)
    check_scenario(scenario)
    instance = prepare(scenario).instance
    instance.save(out)
    return instance
