"""Time the pipeline stages and the numba compile, write benchmarks/RESULTS.md.

Run from the repository root: ``python -m benchmarks``. Compile time is measured
in fresh processes (with an empty numba cache, then with the cache warm), apart
from run time. Peers (GDAL viewshed, itmlogic, HiGHS) join with the propagation
and placement issues.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"

_COMPILE_PROBE = "from rural_plan.jit import warm_up; print(warm_up())"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba

    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}; {os.cpu_count()} cores; {mem_gib:.0f} GiB; Python {platform.python_version()}; "
        f"numpy {np.__version__}; numba {numba.__version__}; numba threads "
        f"{numba.get_num_threads()}"
    )


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


def time_scenario(path: Path) -> dict:
    import rural_plan

    scenario = rural_plan.load_scenario(path)
    rural_plan.plan(scenario)  # warm: compile / load kernels
    t0 = time.perf_counter()
    result = rural_plan.plan(scenario)
    total = time.perf_counter() - t0
    s = result.summary
    return {
        "scenario": scenario.name,
        "grid": "x".join(map(str, s["grid_shape"])),
        "options": s["site_options"],
        "total_s": round(total, 2),
        **{f"{k}_s": v for k, v in result.timings_s.items()},
        "propagation_ms_per_option": round(
            1000 * result.timings_s["propagation"] / max(1, s["site_options"]), 2
        ),
        "people_per_1000_usd": s["people_per_1000_usd"],
    }


def main() -> int:
    first, cached = compile_seconds()
    rows = [time_scenario(REPO / "scenarios" / "demo.yaml")]
    ngazidja = REPO / "scenarios" / "comoros_ngazidja.yaml"
    if (DATA / "comoros" / "com_dem_srtm1_1arcsec.tif").exists():
        rows.append(time_scenario(ngazidja))
    else:
        print(f"skipping Ngazidja: {DATA / 'comoros'} not found", file=sys.stderr)
    cols = list(rows[0])
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}.",
        f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `python -m benchmarks`.",
        "",
        "## Numba compile time (fresh processes, apart from run time)",
        "",
        "| first call, empty cache | first call, cache warm |",
        "|---|---|",
        f"| {first:.2f} s | {cached:.2f} s |",
        "",
        "## Pipeline stages (warm kernels; seconds)",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
        *("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows),
        "",
        "No peer is timed here yet: GDAL viewshed, itmlogic and HiGHS comparisons come with",
        "the propagation and placement benchmarks.",
        "",
    ]
    text = "\n".join(lines)
    (Path(__file__).parent / "RESULTS.md").write_text(text)
    print(text)
    print(json.dumps(rows, indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
