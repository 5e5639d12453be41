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

_COMPILE_PROBE = "from rural_plan.jit import warm_up; print(warm_up())"


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
        "--only",
        choices=("pipeline", "itm", "placement", "scale"),
        help="run one section and replace only its part of RESULTS.md",
    )
    args = parser.parse_args(argv)
    if args.only:
        return _only(args.only)

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
        sections += propagation.per_site_models(g90)
        if not args.skip_many_sites:
            sections += propagation.many_sites(g90, args.sites)
        sections += propagation.site_coverage_png(
            g90, Path(__file__).parent / "ngazidja_site_coverage.png"
        )
    else:
        sections.append(f"Real-data benchmarks skipped: {DATA / 'comoros'} not found.")
    from benchmarks import placement, scale

    sections += placement.run()
    sections += scale.run()
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


_PREFIX = {
    "pipeline": "## Pipeline stages",
    "itm": "## ITM point-to-point",
    "placement": "## Placement:",
    "scale": "## Scaling:",
}


def _itm_section() -> list[str]:
    from benchmarks import propagation

    if not (DATA / "comoros" / "com_dem_srtm1_1arcsec.tif").exists():
        return [f"ITM benchmark skipped: {DATA / 'comoros'} not found."]
    if not propagation.itmlogic_p2p.available():
        return ["ITM benchmark skipped: itmlogic is not installed (pip install itmlogic)."]
    return propagation.itm_vs_itmlogic(propagation.comoros_90m())


def _only(name: str) -> int:
    """Run one section and splice it into RESULTS.md in place of its old text.

    The section's old lines (from its ``## `` heading to the next section's) and its old
    run stamp are replaced where they stood; a section not yet in the file is appended.
    """
    from benchmarks import pipeline, placement, scale

    lines = {
        "pipeline": pipeline.run,
        "itm": _itm_section,
        "placement": placement.run,
        "scale": scale.run,
    }[name]()
    path = Path(__file__).parent / "RESULTS.md"
    old = path.read_text().splitlines() if path.exists() else ["# Benchmark results", ""]
    kept, skipping, at = [], False, None
    for line in old:
        if line.startswith(f"<!-- {name}:"):
            continue
        if line.startswith("## "):
            skipping = line.startswith(_PREFIX[name])
            if skipping and at is None:
                at = len(kept)
        if not skipping:
            kept.append(line)
    stamp = (
        f"<!-- {name}: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"(python -m benchmarks --only {name}; load average {os.getloadavg()[0]:.1f} at the "
        f"end) on {machine()} -->"
    )
    new = [stamp, *lines]
    if at is None:
        kept += new
    else:
        kept[at:at] = new
    path.write_text("\n".join(kept).rstrip() + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
