"""``rural-plan diagnose SCENARIO``: before planning, who today's towers serve and where
the unserved people are."""

from __future__ import annotations

import argparse

from rural_plan.cli.options import user_path

NAME = "diagnose"
HELP = "who the existing network serves, and where the unserved people are"
DESCRIPTION = (
    "Before planning: the existing towers' coverage over the terrain, and clusters of "
    "people it does not serve, with their distance to the nearest existing tower and fibre "
    "node (diagnosis.json, clusters.csv / .geojson, diagnosis.png)."
)
PARENTS = ("common", "planning")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from rural_plan.workflows.defaults import CLUSTER_RADIUS_M, MIN_CLUSTER_PEOPLE

    p.add_argument("scenario", type=user_path, help="scenario YAML file")
    p.add_argument(
        "-o",
        "--output",
        type=user_path,
        default=None,
        help="diagnosis folder (default: out/<scenario name>-diagnosis)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing diagnosis folder")
    p.add_argument(
        "--cluster-radius-m",
        type=float,
        default=CLUSTER_RADIUS_M,
        help="unserved people within this distance [m] of a settlement centre join its "
        "cluster (default %(default)g)",
    )
    p.add_argument(
        "--min-cluster-people",
        type=float,
        default=MIN_CLUSTER_PEOPLE,
        help="smallest cluster reported [people] (default %(default)g)",
    )


def run(args: argparse.Namespace) -> int:
    from rural_plan.io.results import claim_output_dir
    from rural_plan.scenario import load_scenario
    from rural_plan.workflows.check import check_scenario
    from rural_plan.workflows.diagnose import diagnose, write_diagnosis
    from rural_plan.workflows.run import default_output_dir

    scenario = load_scenario(args.scenario)
    out_dir = args.output or default_output_dir(scenario, "-diagnosis")
    check_scenario(scenario, max_memory_gb=args.max_memory_gb)
    with claim_output_dir(out_dir, overwrite=args.overwrite, protect=scenario.files()):
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
    if s.get("reported_coverage_pct") is not None:
        print(
            f"reported served       {s['reported_coverage_pct']:g} % "
            f"({s['reported_coverage_source']})"
        )
    if s.get("baseline_warning"):
        print(f"warning               {s['baseline_warning']}")
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
