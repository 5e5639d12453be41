"""``rural-plan sweep SCENARIO --set KEY=V1,V2``: plan every combination, and compare."""

from __future__ import annotations

import argparse

from rural_plan.cli.options import user_path

NAME = "sweep"
HELP = "plan a grid of variants of a scenario, and compare them"
DESCRIPTION = (
    "Plan every combination of --set values (one results folder each) and write a "
    "comparison table. Propagation is computed once and reused from the cache."
)
PARENTS = ("common", "planning", "executing")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=user_path, help="base scenario YAML file")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        required=True,
        metavar="KEY=V1,V2",
        help="a dotted scenario key and its values, e.g. budget_usd=1e6,2e6 or "
        "cost.preset=default,lean-macro (repeat for a grid of every combination)",
    )
    p.add_argument(
        "-o",
        "--output",
        type=user_path,
        default=None,
        help="folder of the variants' results (default: out/<scenario name>-sweep)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace existing variant results folders"
    )


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from rural_plan.cli.options import with_executor
    from rural_plan.errors import ScenarioError
    from rural_plan.workflows.compare import as_text, read_result, write_comparison_files
    from rural_plan.workflows.run import default_output_dir
    from rural_plan.workflows.sweep import build_variants, run_sweep

    variants = [
        dataclasses.replace(v, scenario=with_executor(v.scenario, args))
        for v in build_variants(args.scenario, args.sets)
    ]
    from rural_plan.workflows.check import check_scenario

    problems = []
    for v in variants:
        try:
            source = f"{args.scenario} [{v.label}]"
            check_scenario(v.scenario, max_memory_gb=args.max_memory_gb, source=source)
        except ScenarioError as err:
            problems += [p for p in err.problems if p not in problems]
    if problems:
        raise ScenarioError(problems[0], problems)
    out_dir = args.output or default_output_dir(variants[0].scenario, "-sweep")
    done = run_sweep(variants, out_dir, overwrite=args.overwrite, use_cache=not args.no_cache)
    rows = [read_result(folder, v.label) for v, folder, _ in done]
    write_comparison_files(rows, out_dir)
    print(as_text(rows))
    print()
    for v, _, t in done:
        print(
            f"{v.label}: {t['total']:.1f} s (propagation {t.get('propagation', 0.0):.1f} s, "
            f"placement {t.get('placement', 0.0):.1f} s)"
        )
    print(f"comparison            {out_dir / 'comparison.csv'}")
    return 0
