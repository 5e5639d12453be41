"""``rural-plan validate SCENARIO``: check a scenario, every problem on its own line."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "validate"
HELP = "check a scenario, report every problem"
DESCRIPTION = (
    "Validate a scenario YAML: unknown keys, types, ranges, missing files. Prints every "
    "problem, one per line."
)
PARENTS = ("common",)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")


def run(args: argparse.Namespace) -> int:
    from rural_plan.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    print(f"{args.scenario}: valid scenario {scenario.name!r}")
    return 0
