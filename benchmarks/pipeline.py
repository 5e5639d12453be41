"""Whole scenarios end to end, as a planner runs them: time per stage and peak memory.

Each run is ``rural-plan run SCENARIO --no-cache`` in a fresh process (numba kernels
loaded from the machine's cache; their load time is the ``jit_compile`` stage), so
every stage is computed and the process's max RSS is the run's peak memory. The
whole-Comoros scenario also runs on a Dask ``LocalCluster`` of 2 worker processes and
its outputs are compared byte for byte with the local run.

Run from the repository root: ``python -m benchmarks --only pipeline``.
"""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import COMOROS, REPO, table

_PROBE = """
import json, resource, sys, time
from rural_plan.cli import main
t0 = time.perf_counter()
rc = main(["run", *sys.argv[1:], "--no-cache", "-q"])
wall = time.perf_counter() - t0
print(json.dumps({"rc": rc, "wall_s": wall,
                  "self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

# Outputs a planner reads; provenance.json differs by design (timings, executor).
COMPARED = (
    "summary.json",
    "sites.geojson",
    "links.geojson",
    "sites.csv",
    "costs.csv",
    "budget_curve.csv",
)
STAGES = (
    "jit_compile",
    "grid",
    "candidates",
    "propagation",
    "coverage",
    "placement",
    "backhaul",
    "budget_curve",
    "costing",
)


def run_scenario(scenario: Path, out: Path, *extra: str) -> dict:
    """One ``rural-plan run`` in a fresh process: wall time, stage times, peak memory."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(scenario), "-o", str(out), *extra],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    if probe["rc"] != 0:
        raise RuntimeError(f"rural-plan run {scenario} exited {probe['rc']}: {done.stderr}")
    summary = json.loads((out / "summary.json").read_text())
    timings = json.loads((out / "provenance.json").read_text())["timings_s"]
    return {"probe": probe, "summary": summary, "timings": timings}


def _row(label: str, r: dict) -> dict:
    s, t, probe = r["summary"], r["timings"], r["probe"]
    shape = s.get("grid_shape")
    cells = shape[0] * shape[1] if shape else None
    return {
        "scenario": label,
        "cells": f"{cells:,}" if cells else "",
        "options": f"{s['site_options']:,}",
        "wall_s": round(probe["wall_s"], 1),
        **{f"{k}_s": t.get(k, "") for k in STAGES},
        "peak_rss_mib": round(probe["self_mib"]),
        "worker_peak_rss_mib": round(probe["children_mib"]) if "dask" in label else "",
        "sites": s["sites_selected"],
        "people_newly_covered": f"{s['people_newly_covered']:,.0f}",
        "people_per_1000_usd": s["people_per_1000_usd"],
    }


def run() -> list[str]:
    scenarios = [("demo", REPO / "scenarios" / "demo.yaml")]
    have_data = (COMOROS / "com_dem_srtm1_1arcsec.tif").exists()
    if have_data:
        scenarios += [
            ("Ngazidja", REPO / "scenarios" / "comoros_ngazidja.yaml"),
            ("whole Comoros", REPO / "scenarios" / "comoros_national.yaml"),
        ]
    rows, same = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in scenarios:
            print(f"pipeline: {label} ...", file=sys.stderr, flush=True)
            rows.append(_row(label, run_scenario(path, Path(tmp) / label)))
        if have_data:
            label = "whole Comoros, dask 2 workers"
            print(f"pipeline: {label} ...", file=sys.stderr, flush=True)
            local, dask = Path(tmp) / "whole Comoros", Path(tmp) / "dask"
            rows.append(_row(label, run_scenario(path, dask, "--dask-workers", "2")))
            same = {
                name: filecmp.cmp(local / name, dask / name, shallow=False) for name in COMPARED
            }
    lines = [
        "## Pipeline stages: scenarios end to end (seconds)",
        "",
        "`rural-plan run SCENARIO --no-cache` in a fresh process each (kernels loaded from the "
        "numba cache: `jit_compile_s`); wall time includes reading inputs and writing every "
        "output. Peak memory is the process's max RSS; on Dask, the largest worker's too. "
        "The whole-Comoros scenario (`scenarios/comoros_national.yaml`: all three islands, SRTM "
        "1\" at 30 m, fspl-knife-edge, 10 km radius) is the issue's national-scale target "
        "(under 10 minutes, under 4 GB).",
        "",
        *table(rows),
        "",
    ]
    if same is not None:
        verdict = "identical" if all(same.values()) else "DIFFERENT"
        lines += [
            f"Whole Comoros on a Dask LocalCluster (2 worker processes) vs local: {verdict} "
            + ", ".join(f"{k} {'=' if v else '≠'}" for k, v in same.items())
            + " (byte comparison).",
            "",
        ]
    else:
        lines += [f"Real-data scenarios skipped: {COMOROS} not found.", ""]
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
