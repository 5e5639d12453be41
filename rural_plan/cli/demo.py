"""``rural-plan demo``: plan the built-in seeded synthetic region."""

from __future__ import annotations

import argparse
from pathlib import Path

from rural_plan.cli.options import user_path

NAME = "demo"
HELP = "plan the built-in synthetic region (no files needed)"
DESCRIPTION = (
    "Generate a seeded synthetic region (40 km x 40 km, 90 m cells) and plan it end to end."
)
PARENTS = ("common", "planning", "executing")

DEMO_OUTPUT = Path("rural-plan-demo")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-o",
        "--output",
        type=user_path,
        default=DEMO_OUTPUT,
        help=f"results folder (default: {DEMO_OUTPUT}/; a previous demo result there is replaced)",
    )


def run(args: argparse.Namespace) -> int:
    from rural_plan.cli.headline import print_run
    from rural_plan.cli.options import with_executor
    from rural_plan.scenario import load_demo_scenario
    from rural_plan.workflows.run import run_scenario

    result = run_scenario(
        with_executor(load_demo_scenario(), args),
        args.output,
        overwrite=True,
        use_cache=not args.no_cache,
        max_memory_gb=args.max_memory_gb,
    )
    return print_run(result, not args.no_cache)
