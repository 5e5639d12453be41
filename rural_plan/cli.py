"""The ``rural-plan`` command: thin commands over the library.

Every error rural_plan raises on purpose is printed as one line per problem and
exits with status 2; ``-v`` adds the traceback. Nothing is left half-written.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
import traceback
from importlib import resources
from pathlib import Path

from rural_plan import progress
from rural_plan._version import __version__
from rural_plan.errors import ExecutorError, OutputError, RuralPlanError, ScenarioError
from rural_plan.scenario.names import EXECUTOR_NAMES, PLACEMENT_METHOD_NAMES

log = logging.getLogger("rural_plan")

DEMO_OUTPUT = Path("rural-plan-demo")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of GB > 0, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number of GB > 0, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rural-plan",
        description="Plan low-cost rural cell sites over terrain and population: where to "
        "build, how to backhaul, what it costs, how many people each dollar connects.",
    )
    p.add_argument("--version", action="version", version=f"rural-plan {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="detailed logging, and the traceback of any error",
    )
    common.add_argument("-q", "--quiet", action="store_true", help="only errors")
    planning = argparse.ArgumentParser(add_help=False)
    planning.add_argument(
        "--no-cache",
        action="store_true",
        help="recompute propagation instead of reusing the on-disk cache "
        "($RURAL_PLAN_CACHE_DIR, default ~/.cache/rural_plan)",
    )
    planning.add_argument(
        "--max-memory-gb",
        type=_positive_float,
        default=None,
        metavar="GB",
        help="refuse a scenario whose estimated peak memory exceeds this (default: "
        "limits.max_memory_gb of the scenario, else the memory available)",
    )
    executing = argparse.ArgumentParser(add_help=False)
    executing.add_argument(
        "--executor",
        choices=list(EXECUTOR_NAMES),
        default=None,
        help="where propagation runs: local (this process, numba threads) or dask (a "
        "dask.distributed cluster); results are the same. Default: the scenario's "
        "executor.name, else local",
    )
    where = executing.add_mutually_exclusive_group()
    where.add_argument(
        "--dask-address",
        metavar="HOST:PORT",
        default=None,
        help="scheduler of a running Dask cluster (tcp://HOST:PORT or HOST:PORT; "
        "implies --executor dask)",
    )
    where.add_argument(
        "--dask-workers",
        metavar="N",
        default=None,
        help="start a Dask LocalCluster of N worker processes on this machine "
        "(implies --executor dask; default 2)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        parents=[common, planning, executing],
        help="plan a scenario YAML",
        description="Plan a scenario and write its results folder.",
    )
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="results folder (default: out/<scenario name>)",
    )
    run.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing results folder once the new run has finished",
    )

    val = sub.add_parser(
        "validate",
        parents=[common],
        help="check a scenario, report every problem",
        description="Validate a scenario YAML: unknown keys, types, ranges, "
        "missing files. Prints every problem, one per line.",
    )
    val.add_argument("scenario", type=Path, help="scenario YAML file")

    path = sub.add_parser(
        "path",
        parents=[common],
        help="predict the loss over one terrain profile",
        description='Point-to-point prediction over PROFILE.json ({"elevations_m": [...], '
        '"step_m": S} or {"elevations_m": [...], "distances_m": [...]}, transmitter '
        "first). Prints JSON: model, loss_db (basic transmission loss for itm and the "
        "empirical models; diffraction loss for bullington, delta-bullington, deygout, "
        "knife-edge) and the model's intermediate values.",
    )
    path.add_argument("profile", type=Path, help="profile JSON file")
    path.add_argument(
        "--model", required=True, choices=list(_path_models()), help="point-to-point model"
    )
    path.add_argument("--f-mhz", type=float, required=True, help="frequency [MHz]")
    path.add_argument(
        "--h-tx-m", type=float, required=True, help="transmitter antenna height above ground [m]"
    )
    path.add_argument(
        "--h-rx-m", type=float, required=True, help="receiver antenna height above ground [m]"
    )
    path.add_argument(
        "--pol",
        choices=["horizontal", "vertical"],
        default="vertical",
        help="polarisation (default vertical)",
    )
    path.add_argument(
        "--k-factor",
        type=float,
        default=4.0 / 3.0,
        help="effective earth radius factor for the diffraction models "
        "(default 4/3; ITM derives its own from N_s)",
    )
    path.add_argument(
        "--climate",
        type=int,
        default=5,
        help="ITM radio climate 1-7 (5 continental temperate; default 5)",
    )
    path.add_argument(
        "--n0",
        type=float,
        default=301.0,
        help="ITM sea-level surface refractivity N_0 [N-units], scaled to the "
        "path as the NTIA code does (default 301)",
    )
    path.add_argument(
        "--ns-direct",
        action="store_true",
        help="use --n0 as the surface refractivity N_s itself (QKPFL style)",
    )
    path.add_argument(
        "--epsilon", type=float, default=15.0, help="ITM ground relative permittivity (default 15)"
    )
    path.add_argument(
        "--sigma", type=float, default=0.005, help="ITM ground conductivity [S/m] (default 0.005)"
    )
    path.add_argument(
        "--mdvar",
        type=int,
        default=0,
        help="ITM variability mode (0 single message .. 3 broadcast; +10, +20)",
    )
    path.add_argument(
        "--time", type=float, default=50.0, help="ITM time percentage [%%] (default 50)"
    )
    path.add_argument(
        "--location", type=float, default=50.0, help="ITM location percentage [%%] (default 50)"
    )
    path.add_argument(
        "--situation", type=float, default=50.0, help="ITM situation percentage [%%] (default 50)"
    )
    path.add_argument(
        "--reliability",
        type=float,
        default=None,
        help="ITM reliability percentage [%%] (with --confidence: the CR variant)",
    )
    path.add_argument(
        "--confidence",
        type=float,
        default=None,
        help="ITM confidence percentage [%%] (with --reliability)",
    )
    path.add_argument(
        "--environment",
        default="open",
        choices=["urban", "urban-large-city", "suburban", "open"],
        help="Hata / COST-231 environment (default open)",
    )
    path.add_argument(
        "--allow-extrapolation",
        action="store_true",
        help="use a model outside its published validity range",
    )

    place = sub.add_parser(
        "place",
        parents=[common],
        help="solve a placement instance, or export one",
        description="Solve a budgeted maximum-coverage instance (NPZ with arrays indptr, "
        "indices, weight, cost_usd, location) and print JSON: method, chosen, covered, "
        "cost_usd, seconds (and bound, gap for milp). With --export SCENARIO -o FILE, write "
        "the instance a scenario builds instead.",
    )
    place.add_argument("instance", nargs="?", type=Path, help="instance NPZ file")
    place.add_argument(
        "--method",
        default="greedy",
        choices=list(PLACEMENT_METHOD_NAMES),
        help="placement method (default greedy)",
    )
    place.add_argument("--budget-usd", type=float, help="budget [USD]")
    place.add_argument(
        "--time-limit-s", type=float, default=None, help="wall-time limit [s] (milp, local-search)"
    )
    place.add_argument(
        "--export",
        type=Path,
        metavar="SCENARIO",
        help="write the instance SCENARIO builds (needs -o)",
    )
    place.add_argument("-o", "--output", type=Path, help="instance file to write (--export)")

    demo = sub.add_parser(
        "demo",
        parents=[common, planning, executing],
        help="plan the built-in synthetic region (no files needed)",
        description="Generate a seeded synthetic region (40 km x 40 km, "
        "90 m cells) and plan it end to end.",
    )
    demo.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEMO_OUTPUT,
        help=f"results folder (default: {DEMO_OUTPUT}/; a previous demo result there is replaced)",
    )
    sweep = sub.add_parser(
        "sweep",
        parents=[common, planning, executing],
        help="plan a grid of variants of a scenario, and compare them",
        description="Plan every combination of --set values (one results folder each) and "
        "write a comparison table. Propagation is computed once and reused from the cache.",
    )
    sweep.add_argument("scenario", type=Path, help="base scenario YAML file")
    sweep.add_argument(
        "--set",
        dest="sets",
        action="append",
        required=True,
        metavar="KEY=V1,V2",
        help="a dotted scenario key and its values, e.g. budget_usd=1e6,2e6 or "
        "cost.preset=default,light (repeat for a grid of every combination)",
    )
    sweep.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="folder of the variants' results (default: out/<scenario name>-sweep)",
    )
    sweep.add_argument(
        "--overwrite", action="store_true", help="replace existing variant results folders"
    )

    diag = sub.add_parser(
        "diagnose",
        parents=[common, planning],
        help="who the existing network serves, and where the unserved people are",
        description="Before planning: the existing towers' coverage over the terrain, and "
        "clusters of people it does not serve, with their distance to the nearest existing "
        "tower and fibre node (diagnosis.json, clusters.csv / .geojson, diagnosis.png).",
    )
    diag.add_argument("scenario", type=Path, help="scenario YAML file")
    diag.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="diagnosis folder (default: out/<scenario name>-diagnosis)",
    )
    diag.add_argument(
        "--overwrite", action="store_true", help="replace an existing diagnosis folder"
    )
    diag.add_argument(
        "--cluster-radius-m",
        type=float,
        default=2_000.0,
        help="unserved people within this distance [m] of a settlement centre join its "
        "cluster (default 2000)",
    )
    diag.add_argument(
        "--min-cluster-people",
        type=float,
        default=50.0,
        help="smallest cluster reported [people] (default 50)",
    )

    bench = sub.add_parser(
        "bench",
        parents=[common],
        help="run the benchmark suite (from a clone of the repository)",
        description="Run the benchmarks of a rural_plan clone (the same as `python -m "
        "benchmarks` in it): pipeline stages, line of sight vs GDAL, ITM vs itmlogic, "
        "point-to-area models per site and for many sites, placement vs HiGHS, scaling. "
        "Writes benchmarks/RESULTS.md there. Real-data "
        "sections need ../shared/data beside the clone and are skipped without it.",
    )
    bench.add_argument(
        "--repo",
        type=Path,
        default=None,
        metavar="DIR",
        help="the clone holding benchmarks/ (default: the current folder, else the "
        "clone rural_plan is installed from)",
    )
    bench.add_argument(
        "--only",
        choices=("pipeline", "itm", "propagation", "placement", "placement-long", "scale"),
        default=None,
        help="run one section and replace only its part of RESULTS.md (propagation: "
        "point-to-area per site and many sites, with --sites / --skip-many-sites; "
        "placement-long: Ngazidja against HiGHS for --milp-long-s, not in the full run)",
    )
    bench.add_argument(
        "--sites",
        type=int,
        default=None,
        metavar="N",
        help="sites [count] in the many-sites propagation benchmark (default 1000)",
    )
    bench.add_argument(
        "--skip-many-sites", action="store_true", help="skip the many-sites benchmark"
    )
    bench.add_argument(
        "--milp-long-s",
        type=float,
        default=None,
        metavar="S",
        help="HiGHS time limit [s] of --only placement-long (default 3600)",
    )

    compare = sub.add_parser(
        "compare",
        parents=[common],
        help="compare results folders side by side",
        description="Headline numbers of several results folders as a table (text), "
        "comparison.csv and comparison.png.",
    )
    compare.add_argument("results", type=Path, nargs="+", help="results folders")
    compare.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("comparison"),
        help="folder for comparison.txt / .csv / .png (default: comparison/)",
    )
    return p


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("rural_plan")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _headline(summary: dict, out_dir: Path, seconds: float) -> str:
    total = summary["people_total"]
    newly = summary["people_newly_covered"]
    share = 100.0 * newly / total if total else 0.0
    cpp = summary["cost_per_person_usd"]
    lines = [
        f"scenario              {summary['scenario']}",
        f"people in area        {total:,.0f} (input {summary['people_input_total']:,.0f}; "
        f"already covered {summary['people_covered_before']:,.0f})",
        f"people newly covered  {newly:,.0f} ({share:.1f} %)",
        f"sites selected        {summary['sites_selected']} "
        f"({', '.join(f'{k} {v}' for k, v in summary['sites_by_type'].items())})",
        f"CAPEX                 {summary['capex_usd']:,.0f} USD",
        f"OPEX                  {summary['opex_usd_per_year']:,.0f} USD per year",
        f"TCO                   {summary['tco_usd']:,.0f} USD over "
        f"{summary['horizon_years']} years "
        f"at {100 * summary['discount_rate']:.1f} %",
        f"people per 1,000 USD  {summary['people_per_1000_usd']:.2f}",
        f"placement             {summary['placement_method']} ({summary['placement_status']}"
        + (
            f", within {100 * summary['placement_gap']:.2f} % of optimal)"
            if "placement_gap" in summary
            else ")"
        ),
        f"cost per person       {cpp:,.2f} USD" if cpp is not None else "cost per person       n/a",
        f"budget curve          {out_dir / 'budget_curve.csv'}",
        f"results               {out_dir}  ({seconds:.1f} s)",
    ]
    return "\n".join(lines)


def _run_plan(
    scenario, out_dir: Path, overwrite: bool, use_cache: bool = True, max_memory_gb=None
) -> int:
    from rural_plan.pipeline import plan
    from rural_plan.pipeline.limits import check_memory
    from rural_plan.propagation.cache import cache_dir
    from rural_plan.report import check_output_dir, write_results

    check_output_dir(out_dir, overwrite=overwrite)
    check_memory(scenario, max_memory_gb=max_memory_gb)
    t0 = time.perf_counter()
    result = plan(scenario, use_cache=use_cache)
    out = write_results(result, out_dir, overwrite=overwrite)
    print(_headline(result.summary, out, time.perf_counter() - t0))
    print(f"propagation cache     {cache_dir() if use_cache else 'off (--no-cache)'}")
    return 0


def _with_executor(scenario, args: argparse.Namespace):
    """``scenario`` with the executor options of the command line applied over its own."""
    from pydantic import ValidationError

    from rural_plan.scenario.schema import ExecutorSettings, dask_address

    changes: dict = {}
    if args.dask_address is not None:
        try:
            changes["dask_address"] = dask_address(args.dask_address)
        except ValueError as err:
            raise ExecutorError(f"--dask-address: {err}") from None
    if args.dask_workers is not None:
        try:
            workers = int(args.dask_workers)
        except ValueError:
            workers = 0
        if not 1 <= workers <= 1_024:
            raise ExecutorError(
                f"--dask-workers: expected a whole number of worker processes 1..1024, "
                f"got {args.dask_workers!r}"
            )
        changes.update(dask_workers=workers, dask_address=None)
    if changes:
        if args.executor == "local":
            flag = "--dask-address" if args.dask_address is not None else "--dask-workers"
            raise ExecutorError(f"{flag} applies to --executor dask, not --executor local")
        changes["name"] = "dask"
    if args.executor is not None:
        changes["name"] = args.executor
    if not changes:
        return scenario
    try:
        settings = ExecutorSettings(**{**scenario.executor.model_dump(), **changes})
    except ValidationError as err:  # not expected: each value was checked above
        raise ExecutorError(f"executor options: {err.errors()[0]['msg']}") from None
    return scenario.model_copy(update={"executor": settings})


def cmd_run(args: argparse.Namespace) -> int:
    from rural_plan.scenario import load_scenario

    scenario = _with_executor(load_scenario(args.scenario), args)
    out_dir = args.output or Path("out") / _safe_name(scenario.name)
    return _run_plan(scenario, out_dir, args.overwrite, not args.no_cache, args.max_memory_gb)


def _safe_name(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("._")
    return cleaned or "plan"


def cmd_validate(args: argparse.Namespace) -> int:
    from rural_plan.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    print(f"{args.scenario}: valid scenario {scenario.name!r}")
    return 0


def _path_models():
    from rural_plan.propagation.point_to_point import PATH_MODELS

    return PATH_MODELS


def cmd_path(args: argparse.Namespace) -> int:
    import json

    from rural_plan.io.profiles import read_profile
    from rural_plan.propagation.point_to_point import PathSettings, path_loss

    settings = PathSettings(
        f_mhz=args.f_mhz,
        h_tx_m=args.h_tx_m,
        h_rx_m=args.h_rx_m,
        pol=args.pol,
        k_factor=args.k_factor,
        climate=args.climate,
        n0=args.n0,
        ns_direct=args.ns_direct,
        epsilon=args.epsilon,
        sigma=args.sigma,
        mdvar=args.mdvar,
        time_pct=args.time,
        location_pct=args.location,
        situation_pct=args.situation,
        reliability_pct=args.reliability,
        confidence_pct=args.confidence,
        environment=args.environment,
        allow_extrapolation=args.allow_extrapolation,
    )
    result = path_loss(read_profile(args.profile), args.model, settings)
    print(json.dumps(result, indent=2, allow_nan=False))
    return 0


def cmd_place(args: argparse.Namespace) -> int:
    import json
    import os
    import tempfile

    from rural_plan.placement import PLACEMENT_METHODS, CoverageInstance

    if args.export is not None:
        if args.output is None or args.instance is not None:
            raise OutputError("place --export SCENARIO needs -o INSTANCE.npz (and no INSTANCE)")
        from rural_plan.pipeline import prepare
        from rural_plan.scenario import load_scenario

        out = Path(args.output)
        if out.exists() and out.is_dir():
            raise OutputError(f"{out}: is a folder; give a file name ending in .npz")
        from rural_plan.pipeline.limits import check_memory

        scenario = load_scenario(args.export)
        check_memory(scenario)
        prep = prepare(scenario)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".npz", dir=out.parent or ".")
        os.close(fd)
        try:
            prep.instance.save(Path(tmp))
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        inst = prep.instance
        print(
            json.dumps(
                {
                    "instance": str(out),
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
    instance = CoverageInstance.load(args.instance)
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


def demo_scenario():
    """The built-in demo scenario (a seeded synthetic region)."""
    from rural_plan.scenario.loader import scenario_from_mapping
    from rural_plan.scenario.loader import yaml as _yaml

    text = (resources.files("rural_plan.scenario") / "demo.yaml").read_text(encoding="utf-8")
    return scenario_from_mapping(_yaml.safe_load(text), source="built-in demo scenario")


def cmd_demo(args: argparse.Namespace) -> int:
    scenario = _with_executor(demo_scenario(), args)
    return _run_plan(scenario, args.output, True, not args.no_cache, args.max_memory_gb)


def cmd_sweep(args: argparse.Namespace) -> int:
    from rural_plan.pipeline.limits import check_memory
    from rural_plan.workflows.compare import as_text as compare_text
    from rural_plan.workflows.compare import read_result, write_comparison
    from rural_plan.workflows.sweep import build_variants, run_sweep

    variants = [
        dataclasses.replace(v, scenario=_with_executor(v.scenario, args))
        for v in build_variants(args.scenario, args.sets)
    ]
    for v in variants:
        check_memory(v.scenario, max_memory_gb=args.max_memory_gb)
    name = _safe_name(variants[0].scenario.name)
    out_dir = args.output or Path("out") / f"{name}-sweep"
    done = run_sweep(variants, out_dir, overwrite=args.overwrite, use_cache=not args.no_cache)
    rows = [read_result(folder, v.label) for v, folder, _ in done]
    write_comparison(rows, out_dir)
    print(compare_text(rows))
    print()
    for v, _, t in done:
        print(
            f"{v.label}: {t['total']:.1f} s (propagation {t.get('propagation', 0.0):.1f} s, "
            f"placement {t.get('placement', 0.0):.1f} s)"
        )
    print(f"comparison            {out_dir / 'comparison.csv'}")
    return 0


def cmd_diagnose(args: argparse.Namespace) -> int:
    from rural_plan.report import check_output_dir
    from rural_plan.scenario import load_scenario
    from rural_plan.workflows.diagnose import diagnose, write_diagnosis

    if not (args.cluster_radius_m > 0 and args.min_cluster_people >= 0):
        raise OutputError("--cluster-radius-m must be > 0 and --min-cluster-people >= 0")
    from rural_plan.pipeline.limits import check_memory

    scenario = load_scenario(args.scenario)
    out_dir = args.output or Path("out") / f"{_safe_name(scenario.name)}-diagnosis"
    check_output_dir(out_dir, overwrite=args.overwrite)
    check_memory(scenario, max_memory_gb=args.max_memory_gb)
    d = diagnose(
        scenario,
        cluster_radius_m=args.cluster_radius_m,
        min_cluster_people=args.min_cluster_people,
        use_cache=not args.no_cache,
    )
    out = write_diagnosis(d, out_dir, overwrite=args.overwrite)
    s = d.summary
    print(f"scenario              {s['scenario']}")
    print(
        f"people served today   {s['people_covered_before']:,.0f} of {s['people_total']:,.0f} "
        f"({100 * s['share_covered_before']:.1f} %) by {s['existing_towers']} existing towers"
    )
    print(
        f"people not served     {s['people_unserved']:,.0f}: {s['people_in_clusters']:,.0f} in "
        f"{s['clusters']} clusters, {s['people_dispersed']:,.0f} dispersed"
    )
    print()
    print(
        f"{'cluster':>7}  {'people':>9}  {'lon':>10}  {'lat':>10}  {'tower km':>8}  {'fibre km':>8}"
    )
    for i, c in enumerate(d.clusters[:10], start=1):
        tower = "n/a" if c.nearest_tower_km is None else f"{c.nearest_tower_km:.1f}"
        fibre = "n/a" if c.nearest_fibre_km is None else f"{c.nearest_fibre_km:.1f}"
        print(f"{i:>7}  {c.people:>9,.0f}  {c.lon:>10.4f}  {c.lat:>10.4f}  {tower:>8}  {fibre:>8}")
    print(f"results               {out}")
    return 0


def _benchmarks_repo(given: Path | None) -> Path:
    """The clone whose benchmarks/ ``bench`` runs."""
    if given is not None:
        places = [given]
    else:
        import rural_plan

        places = [Path.cwd(), Path(rural_plan.__file__).resolve().parents[1]]
    for place in places:
        if (place / "benchmarks" / "__main__.py").is_file():
            return place.resolve()
    where = " or ".join(str(p) for p in places)
    raise RuralPlanError(
        f"no benchmarks/ folder in {where}: the benchmarks ship with the source, not the "
        "wheel; run `rural-plan bench` in a clone of rural_plan or pass --repo DIR"
    )


def cmd_bench(args: argparse.Namespace) -> int:
    import subprocess

    repo = _benchmarks_repo(args.repo)
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
    return subprocess.run(argv, cwd=repo, check=False).returncode


def cmd_compare(args: argparse.Namespace) -> int:
    from rural_plan.workflows.compare import as_text, read_result, write_comparison

    labels = [p.name for p in args.results]
    if len(set(labels)) != len(labels):  # same folder names under different parents
        labels = [str(p) for p in args.results]
    rows = [read_result(p, label) for p, label in zip(args.results, labels, strict=True)]
    files = write_comparison(rows, args.output)
    print(as_text(rows))
    print(f"written               {', '.join(str(f) for f in files)}")
    return 0


COMMANDS = {
    "run": cmd_run,
    "validate": cmd_validate,
    "path": cmd_path,
    "place": cmd_place,
    "demo": cmd_demo,
    "sweep": cmd_sweep,
    "compare": cmd_compare,
    "diagnose": cmd_diagnose,
    "bench": cmd_bench,
}


_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _one_line(text: str) -> str:
    """A problem as one line: line breaks inside it (a value, a path) shown escaped."""
    return "".join(repr(c)[1:-1] if c in _LINE_BREAKS else c for c in text)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    progress.enable(not args.quiet)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as err:
        for line in err.problems:
            print(f"rural-plan: error: {_one_line(line)}", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return 2
    except RuralPlanError as err:
        print(f"rural-plan: error: {_one_line(str(err))}", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return 2
    except KeyboardInterrupt:
        print("rural-plan: interrupted; no results were written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
