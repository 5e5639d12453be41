"""Time the pipeline stages and the numba compile, write benchmarks/RESULTS.md.

Run from the repository root: ``python -m benchmarks``. Compile time is measured
in fresh processes (with an empty numba cache, then with the cache warm), apart
from run time. Peers (GDAL viewshed, itmlogic, HiGHS) join with the propagation
and placement issues.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import DATA, REPO, machine

_COMPILE_PROBE = "from rural_plan.pipeline.jit import warm_up; print(warm_up())"


def compile_seconds() -> tuple[float, float]:
    """(first compile with an empty cache, load from the warm cache) in fresh processes."""
    cache = Path(tempfile.mkdtemp(prefix="numba-cache-"))
    env = os.environ | {"NUMBA_CACHE_DIR": str(cache)}
    try:
        times = []
        for _ in range(2):
            out = subprocess.run(
                [sys.executable, "-c", _COMPILE_PROBE],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=REPO,
            )
            times.append(float(out.stdout.strip().splitlines()[-1]))
        return times[0], times[1]
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Run the benchmarks, write benchmarks/RESULTS.md"
    )
    parser.add_argument(
        "--sites",
        type=int,
        default=1000,
        help="sites in the many-sites propagation benchmark (default 1000)",
    )
    parser.add_argument("--skip-many-sites", action="store_true")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="--only startup: also time this checkout of another commit, in the same run",
    )
    parser.add_argument(
        "--milp-long-s",
        type=float,
        default=3600.0,
        help="HiGHS time limit [s] of --only placement-long (default 3600)",
    )
    parser.add_argument(
        "--only",
        choices=tuple(_PREFIX),
        help="run one section and replace only its part of RESULTS.md (propagation: the "
        "point-to-area and many-sites sections, with --sites / --skip-many-sites)",
    )
    args = parser.parse_args(argv)
    if args.only:
        return _only(
            args.only,
            sites=args.sites,
            skip_many_sites=args.skip_many_sites,
            milp_long_s=args.milp_long_s,
            baseline=args.baseline,
        )

    from benchmarks import propagation

    first, cached = compile_seconds()
    sections: list[str] = [
        "## Numba compile time (fresh processes, apart from run time)",
        "",
        "| first call, empty cache | first call, cache warm |",
        "|---|---|",
        f"| {first:.2f} s | {cached:.2f} s |",
        "",
    ]
    from benchmarks import pipeline

    sections += pipeline.run()
    have_data = (DATA / "comoros" / "com_dem_srtm1_1arcsec.tif").exists()
    if have_data:
        los_lines, _ = propagation.line_of_sight_vs_gdal()
        sections += [*los_lines, ""]
        g90 = propagation.comoros_90m()
        if propagation.itmlogic_p2p.available():
            sections += propagation.itm_vs_itmlogic(g90)
        sections += _propagation_lines(propagation, g90, args.sites, args.skip_many_sites)
        from benchmarks import coverage

        sections += coverage.run()
    else:
        sections.append(f"Real-data benchmarks skipped: {DATA / 'comoros'} not found.")
    from benchmarks import placement, scale

    sections += placement.run()
    sections += placement.real_raster()
    # the hour-long HiGHS run is not re-run with the suite: its last result is kept
    sections += _old_sections(_PREFIX["placement-long"])
    sections += _old_sections(("## Notes:",))  # measured by hand, kept with their stamp
    sections += scale.run()
    from benchmarks import startup

    sections += startup.run()
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Machine: {machine()}.",
            f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `python -m benchmarks`.",
            "",
            *sections,
        ]
    )
    (Path(__file__).parent / "RESULTS.md").write_text(text + "\n")
    print(text)
    return 0


# The headings each ``--only`` name replaces (every section whose heading starts so).
_PREFIX: dict[str, tuple[str, ...]] = {
    "pipeline": ("## Pipeline stages",),
    "itm": ("## ITM point-to-point",),
    "propagation": ("## Point-to-area, one site", "## Many sites"),
    "coverage": ("## One site's coverage map",),
    "placement": ("## Placement:",),
    "placement-real": ("## Real-raster placement:",),
    "placement-long": ("## Ngazidja placement:",),
    "scale": ("## Scaling:",),
    "startup": ("## Start-up",),
}


def _propagation_lines(propagation, g90, n_sites: int, skip_many_sites: bool) -> list[str]:
    """Point-to-area per site (with the one-site coverage map), then many sites."""
    lines = propagation.per_site_models(g90)
    lines += propagation.site_coverage_png(
        g90, Path(__file__).parent / "ngazidja_site_coverage.png"
    )
    if not skip_many_sites:
        lines += propagation.many_sites(g90, n_sites)
    return lines


def _propagation_section(n_sites: int, skip_many_sites: bool) -> list[str]:
    from benchmarks import propagation

    if not (DATA / "comoros" / "com_dem_srtm1_1arcsec.tif").exists():
        return [f"Propagation benchmarks skipped: {DATA / 'comoros'} not found."]
    return _propagation_lines(propagation, propagation.comoros_90m(), n_sites, skip_many_sites)


def _itm_section() -> list[str]:
    from benchmarks import propagation

    if not (DATA / "comoros" / "com_dem_srtm1_1arcsec.tif").exists():
        return [f"ITM benchmark skipped: {DATA / 'comoros'} not found."]
    if not propagation.itmlogic_p2p.available():
        return ["ITM benchmark skipped: itmlogic is not installed (pip install itmlogic)."]
    return propagation.itm_vs_itmlogic(propagation.comoros_90m())


def _old_sections(prefixes: tuple[str, ...]) -> list[str]:
    """The sections under ``prefixes`` in the current RESULTS.md, with their run stamp."""
    path = Path(__file__).parent / "RESULTS.md"
    if not path.exists():
        return []
    out, keeping, stamp = [], False, None
    for line in path.read_text().splitlines():
        if line.startswith("<!-- ") and line.split(" ", 2)[1].endswith(":"):
            stamp, keeping = line, False
            continue
        if line.startswith("## "):
            keeping = line.startswith(prefixes)
            if keeping and stamp is not None:
                out.append(stamp)
            stamp = None
        if keeping:
            out.append(line)
    return out


def _only(
    name: str,
    *,
    sites: int = 1000,
    skip_many_sites: bool = False,
    milp_long_s: float = 3600.0,
    baseline: Path | None = None,
) -> int:
    """Run one section and splice it into RESULTS.md in place of its old text.

    The section's old lines (from each ``## `` heading that starts with one of the
    name's prefixes to the next heading or the next run stamp) and its old run stamp
    are replaced where the first of them stood; a section not yet in the file is
    appended. ``propagation`` with ``skip_many_sites`` keeps the old many-sites section.
    """
    from benchmarks import coverage, pipeline, placement, scale, startup

    lines = {
        "pipeline": pipeline.run,
        "itm": _itm_section,
        "propagation": lambda: _propagation_section(sites, skip_many_sites),
        "coverage": coverage.run,
        "placement": placement.run,
        "placement-real": placement.real_raster,
        "placement-long": lambda: placement.ngazidja_long(milp_long_s),
        "scale": scale.run,
        "startup": lambda: startup.run(baseline),
    }[name]()
    prefixes = _PREFIX[name]
    if name == "propagation" and skip_many_sites:
        prefixes = tuple(p for p in prefixes if p != "## Many sites")
    path = Path(__file__).parent / "RESULTS.md"
    old = path.read_text().splitlines() if path.exists() else ["# Benchmark results", ""]
    how = f"python -m benchmarks --only {name}"
    if name == "propagation":
        how += " --skip-many-sites" if skip_many_sites else f" --sites {sites}"
    if name == "placement-long":
        how += f" --milp-long-s {milp_long_s:g}"
    if name == "startup" and baseline is not None:
        how += f" --baseline {baseline}"
    path.write_text(splice(old, name, prefixes, lines, how))
    print("\n".join(lines))
    return 0


def splice(old: list[str], name: str, prefixes: tuple[str, ...], lines: list[str], how: str) -> str:
    """RESULTS.md's text with the sections under ``prefixes`` replaced by ``lines``.

    Another section's run stamp (``<!-- other: ... -->``) ends a replaced section: it
    belongs to the heading after it. ``how`` is the command, for the new run stamp.
    """
    kept, skipping, at = [], False, None
    for line in old:
        if line.startswith(f"<!-- {name}:"):
            continue
        if line.startswith("<!-- ") and line.split(" ", 2)[1].endswith(":"):
            skipping = False
        if line.startswith("## "):
            skipping = line.startswith(prefixes)
            if skipping and at is None:
                at = len(kept)
        if not skipping:
            kept.append(line)
    stamp = (
        f"<!-- {name}: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"({how}; load average {os.getloadavg()[0]:.1f} at the "
        f"end) on {machine()} -->"
    )
    new = [stamp, *lines]
    if at is None:
        kept += new
    else:
        kept[at:at] = new
    return "\n".join(kept).rstrip() + "\n"


if __name__ == "__main__":
    sys.exit(main())
