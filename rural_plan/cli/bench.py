"""``rural-plan bench``: run the benchmark suite of a clone (``python -m benchmarks``)."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from rural_plan.cli.options import user_path
from rural_plan.errors import RuralPlanError

log = logging.getLogger(__name__)

NAME = "bench"
HELP = "run the benchmark suite (from a clone of the repository)"
DESCRIPTION = (
    "Run the benchmarks of a rural_plan clone (the same as `python -m benchmarks` in it): "
    "pipeline stages, line of sight vs GDAL, ITM vs itmlogic, point-to-area models per "
    "site and for many sites, one site's coverage map vs SPLAT!, placement vs HiGHS, "
    "scaling. Writes benchmarks/RESULTS.md there. Real-data sections need ../shared/data "
    "beside the clone and are skipped "
    "without it."
)
PARENTS = ("common",)

SECTIONS = (
    "pipeline",
    "itm",
    "propagation",
    "coverage",
    "placement",
    "placement-real",
    "placement-long",
    "scale",
)
"""What ``--only`` can re-run (``benchmarks/__main__.py``)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--repo",
        type=user_path,
        default=None,
        metavar="DIR",
        help="the clone holding benchmarks/ (default: the current folder, else the "
        "clone rural_plan is installed from)",
    )
    p.add_argument(
        "--only",
        choices=SECTIONS,
        default=None,
        help="run one section and replace only its part of RESULTS.md (propagation: "
        "point-to-area per site and many sites, with --sites / --skip-many-sites; "
        "placement-long: Ngazidja against HiGHS for --milp-long-s, not in the full run)",
    )
    p.add_argument(
        "--sites",
        type=int,
        default=None,
        metavar="N",
        help="sites [count] in the many-sites propagation benchmark (default 1000)",
    )
    p.add_argument("--skip-many-sites", action="store_true", help="skip the many-sites benchmark")
    p.add_argument(
        "--milp-long-s",
        type=float,
        default=None,
        metavar="S",
        help="HiGHS time limit [s] of --only placement-long (default 3600)",
    )


def is_checkout(folder: Path) -> bool:
    """Whether ``folder`` is a rural_plan source checkout: its pyproject.toml names the
    rural-plan project, and it holds the rural_plan package and benchmarks/. Any other
    folder's ``benchmarks/__main__.py`` is someone else's code."""
    try:
        project = (folder / "pyproject.toml").read_text(encoding="utf-8", errors="replace")
        return (
            re.search(r'(?m)^name\s*=\s*"rural-plan"\s*$', project) is not None
            and (folder / "rural_plan" / "__init__.py").is_file()
            and (folder / "benchmarks" / "__main__.py").is_file()
            and (folder / "benchmarks" / "__init__.py").is_file()
        )
    except OSError:
        return False


def benchmarks_repo(given: Path | None) -> Path:
    """The clone whose benchmarks/ ``bench`` runs: ``--repo`` (the user's word), else the
    current folder or the clone rural_plan is installed from, only when it is a
    rural_plan checkout (:func:`is_checkout`)."""
    if given is not None:
        package = given / "benchmarks"
        if (package / "__main__.py").is_file() and (package / "__init__.py").is_file():
            return given.resolve()
        raise RuralPlanError(
            f"--repo {given}: no benchmarks/ folder in {given} (a package: "
            "benchmarks/__init__.py and __main__.py); give the folder of a rural_plan clone"
        )
    places = [Path.cwd(), Path(__file__).resolve().parents[2]]
    for place in places:
        if is_checkout(place):
            return place.resolve()
    where = " or ".join(str(p) for p in places)
    raise RuralPlanError(
        f"no benchmarks/ folder in {where} that belongs to a rural_plan checkout (its "
        "pyproject.toml naming rural-plan, with rural_plan/ and benchmarks/): the "
        "benchmarks ship with the source, not the wheel; run `rural-plan bench` in a clone "
        "of rural_plan or pass --repo DIR"
    )


def run(args: argparse.Namespace) -> int:
    import subprocess

    repo = benchmarks_repo(args.repo)
    argv = [sys.executable, "-m", "benchmarks"]
    if args.only:
        argv += ["--only", args.only]
    if args.sites is not None:
        argv += ["--sites", str(args.sites)]
    if args.skip_many_sites:
        argv.append("--skip-many-sites")
    if args.milp_long_s is not None:
        argv += ["--milp-long-s", repr(args.milp_long_s)]
    log.info("running %s in %s", " ".join(argv[1:]), repo)
    # the clone first on the path: `-m benchmarks` is its package, no other one
    path = os.pathsep.join(p for p in (str(repo), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run(argv, cwd=repo, check=False, env=env).returncode
