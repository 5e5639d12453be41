"""``rural-plan validate SCENARIO``: check a scenario, every problem on its own line."""

from __future__ import annotations

import argparse

from rural_plan.cli.options import user_path

NAME = "validate"
HELP = "check a scenario, report every problem"
DESCRIPTION = (
    "Validate a scenario YAML: unknown keys, types, ranges, missing files, and every check "
    "`run` makes before reading raster pixels (cost preset and overrides, site types' cost "
    "items, raster headers and where the grid goes, vector layers, the memory estimate). "
    "Prints every problem, one per line."
)
PARENTS = ("common",)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=user_path, help="scenario YAML file")


def run(args: argparse.Namespace) -> int:
    from rural_plan.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    # the checks run needs (costs, layers, memory) load the planning packages: only for
    # a scenario that reads
    from rural_plan.workflows.check import check_scenario

    check_scenario(scenario)
    print(f"{args.scenario}: valid scenario {scenario.name!r}")
    return 0
