"""Plan a scenario into a results folder: the guts of ``rural-plan run`` and ``demo``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rural_plan.io.results import claim_output_dir
from rural_plan.pipeline.plan import Plan
from rural_plan.pipeline.recipe import plan
from rural_plan.report.writer import write_results
from rural_plan.scenario.schema import Scenario
from rural_plan.workflows.check import check_scenario


def safe_name(name: str) -> str:
    """``name`` as a folder name: letters, digits, ``-_.``; anything else ``_``."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("._")
    return cleaned or "plan"


def default_output_dir(scenario: Scenario, suffix: str = "") -> Path:
    """``out/<scenario name><suffix>``: where a command writes when ``-o`` is not given."""
    return Path("out") / f"{safe_name(scenario.name)}{suffix}"


@dataclass(frozen=True)
class RunResult:
    plan: Plan
    out_dir: Path
    seconds: float
    """Wall time of the plan and its writing [s]."""


def run_scenario(
    scenario: Scenario,
    out_dir: Path,
    *,
    overwrite: bool = False,
    use_cache: bool = True,
    max_memory_gb: float | None = None,
) -> RunResult:
    """Refuse a scenario that cannot work (:func:`check_scenario`: what ``validate``
    checks, its memory estimate included) or an output folder that cannot be written,
    before any work, and claim the folder (a second run writing it is refused until this
    one is done); then plan ``scenario`` and write its results folder atomically."""
    check_scenario(scenario, max_memory_gb=max_memory_gb)
    with claim_output_dir(out_dir, overwrite=overwrite, protect=scenario.files()):
        t0 = time.perf_counter()
        result = plan(scenario, use_cache=use_cache)
        out = write_results(result, out_dir, overwrite=overwrite)
    return RunResult(result, out, time.perf_counter() - t0)
