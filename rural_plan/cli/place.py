"""``rural-plan place``: solve a budgeted maximum-coverage instance, or export the one a
scenario builds."""

from __future__ import annotations

import argparse

from rural_plan.cli.options import positive_float, schema_number, user_path
from rural_plan.scenario.names import PLACEMENT_METHOD_NAMES

NAME = "place"
HELP = "solve a placement instance, or export one"
DESCRIPTION = (
    "Solve a budgeted maximum-coverage instance (NPZ with arrays indptr, indices, weight, "
    "cost_usd, location) and print JSON: method, chosen, covered, cost_usd, seconds (and "
    "bound, gap for milp). With --export SCENARIO -o FILE, write the instance a scenario "
    "builds instead."
)
PARENTS = ("common",)


def add_arguments(p: argparse.ArgumentParser) -> None:
    # here, not at the top: building the parser for another command (or --help) does
    # not load the schema (pydantic)
    from rural_plan.scenario.schema import Placement, Scenario

    p.add_argument("instance", nargs="?", type=user_path, help="instance NPZ file")
    p.add_argument(
        "--method",
        default="greedy",
        choices=list(PLACEMENT_METHOD_NAMES),
        help="placement method (default greedy)",
    )
    p.add_argument("--budget-usd", type=schema_number(Scenario, "budget_usd"), help="budget [USD]")
    p.add_argument(
        "--time-limit-s",
        type=schema_number(Placement, "time_limit_s"),
        default=None,
        help="wall-time limit [s] (milp, local-search)",
    )
    p.add_argument(
        "--export",
        type=user_path,
        metavar="SCENARIO",
        help="write the instance SCENARIO builds (needs -o)",
    )
    p.add_argument("-o", "--output", type=user_path, help="instance file to write (--export)")
    p.add_argument(
        "--max-memory-gb",
        type=positive_float,
        default=None,
        metavar="GB",
        help="refuse an instance whose arrays declare more than this (default: the memory "
        "available)",
    )


def run(args: argparse.Namespace) -> int:
    import json

    from rural_plan.errors import OutputError

    if args.export is not None:
        if args.output is None or args.instance is not None:
            raise OutputError("place --export SCENARIO needs -o INSTANCE.npz (and no INSTANCE)")
        from rural_plan.workflows.export import export_instance

        inst = export_instance(args.export, args.output)
        print(
            json.dumps(
                {
                    "instance": str(args.output),
                    "options": inst.n_options,
                    "demand_cells": inst.n_cells,
                    "entries": int(inst.indices.size),
                    "people": float(inst.weight.sum()),
                },
                indent=2,
            )
        )
        return 0
    if args.instance is None or args.budget_usd is None:
        raise OutputError(
            "place needs INSTANCE.npz and --budget-usd (or --export SCENARIO -o FILE)"
        )
    from rural_plan.pipeline.limits import GB, available_memory_bytes
    from rural_plan.placement.instance import CoverageInstance
    from rural_plan.placement.methods import PLACEMENT_METHODS

    room = args.max_memory_gb * GB if args.max_memory_gb else available_memory_bytes()
    what = f"--max-memory-gb {args.max_memory_gb:g}" if args.max_memory_gb else "memory available"
    # the solvers hold a few copies of the arrays (canonical rows, the transpose, ...)
    instance = CoverageInstance.load(
        args.instance,
        max_bytes=None if room is None else room / 4,
        limit_note=f" (a quarter of the {what}: the solvers copy the arrays)",
    )
    sel = PLACEMENT_METHODS[args.method](
        instance, budget_usd=args.budget_usd, time_limit_s=args.time_limit_s
    )
    result = {
        "method": args.method,
        "chosen": [int(i) for i in sel.chosen],
        "covered": sel.people,
        "cost_usd": sel.cost_usd,
        "seconds": round(sel.seconds, 6),
        "marginal_people": [float(g) for g in sel.marginal_people],
        "status": sel.status,
        "budget_usd": args.budget_usd,
    }
    if sel.bound is not None:
        result.update(bound=sel.bound, gap=sel.gap)
    print(json.dumps(result, indent=2))
    return 0
