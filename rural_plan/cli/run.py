"""``rural-plan run SCENARIO``: plan a scenario YAML into its results folder."""

from __future__ import annotations

import argparse

from rural_plan.cli.options import user_path

NAME = "run"
HELP = "plan a scenario YAML"
DESCRIPTION = "Plan a scenario and write its results folder."
PARENTS = ("common", "planning", "executing")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=user_path, help="scenario YAML file")
    p.add_argument(
        "-o",
        "--output",
        type=user_path,
        default=None,
        help="results folder (default: out/<scenario name>)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing results folder once the new run has finished",
    )


def run(args: argparse.Namespace) -> int:
    from rural_plan.cli.headline import print_run
    from rural_plan.cli.options import with_executor
    from rural_plan.scenario import load_scenario
    from rural_plan.workflows.run import default_output_dir, run_scenario

    scenario = with_executor(load_scenario(args.scenario), args)
    result = run_scenario(
        scenario,
        args.output or default_output_dir(scenario),
        overwrite=args.overwrite,
        use_cache=not args.no_cache,
        max_memory_gb=args.max_memory_gb,
    )
    return print_run(result, not args.no_cache)
