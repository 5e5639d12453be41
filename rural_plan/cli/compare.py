"""``rural-plan compare OUT1 OUT2 ...``: headline numbers of results folders side by side."""

from __future__ import annotations

import argparse
from pathlib import Path

from rural_plan.cli.options import user_path

NAME = "compare"
HELP = "compare results folders side by side"
DESCRIPTION = (
    "Headline numbers of several results folders as a table (text), comparison.csv and "
    "comparison.png."
)
PARENTS = ("common",)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", type=user_path, nargs="+", help="results folders")
    p.add_argument(
        "-o",
        "--output",
        type=user_path,
        default=Path("comparison"),
        help="folder for comparison.txt / .csv / .png (default: comparison/)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing comparison folder (one rural_plan wrote) once the new one "
        "is complete",
    )


def run(args: argparse.Namespace) -> int:
    from rural_plan.workflows.compare import as_text, read_results, write_comparison

    rows = read_results(args.results)
    files = write_comparison(rows, args.output, overwrite=args.overwrite)
    print(as_text(rows))
    print(f"written               {', '.join(str(f) for f in files)}")
    return 0
