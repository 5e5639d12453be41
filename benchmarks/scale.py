"""How time and memory grow with cells and with candidates: synthetic regions at three
sizes, each planned end to end in a fresh process (peak memory = that process's max RSS).

Run from the repository root: ``python -m benchmarks.scale`` (prints a markdown table;
``python -m benchmarks`` includes it in RESULTS.md). The radio model is the fast
terrain model (free space + dominant knife edge) at 30 m, 10 km radius, propagation
cache off, so every run computes everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, table

SIZES = (
    # (label, region edge m, villages, people, candidate grid spacing m)
    ("1e6 cells", 30_000, 40, 60_000, 1_500),
    ("1e7 cells", 95_000, 300, 600_000, 1_500),
    ("4e7 cells", 190_000, 1_200, 2_400_000, 3_000),
    ("1e8 cells", 300_000, 3_000, 6_000_000, 4_000),
)
CANDIDATE_SPACINGS_M = (3_000, 1_500, 1_000)
"""Candidate grid spacings [m] of the candidates-only sweep on the 1e7-cell region."""

_PROBE = """
import json, sys, time, resource
from rural_plan.pipeline import plan
from rural_plan.scenario.loader import load_scenario
t0 = time.perf_counter()
p = plan(load_scenario(sys.argv[1]), use_cache=False)
total = time.perf_counter() - t0
print(json.dumps({"total_s": total, "timings": p.timings_s,
                  "cells": p.region.grid.shape[0] * p.region.grid.shape[1],
                  "options": int(p.options.location.size),
                  "nnz": int(p.coverage.indices.size),
                  "people_per_1000_usd": p.summary["people_per_1000_usd"],
                  "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _scenario(path: Path, size_m: float, villages: int, people: float, spacing: float) -> None:
    doc = {
        "name": f"scale-{int(size_m)}",
        "seed": 7,
        "inputs": {"synthetic": {"size_m": size_m, "villages": villages, "people": people}},
        "grid": {"cell_size_m": 30, "demand_cell_m": 90},
        "radio": {"model": "fspl-knife-edge", "radius_m": 10_000},
        "candidates": {"grid_spacing_m": spacing, "max_candidates": 100_000},
        "placement": {"method": "greedy"},
        "budget_usd": 5_000_000,
        "cost": {"sensitivity": False},
    }
    path.write_text(json.dumps(doc))


def _probe(tmp: str, label: str, size_m, villages, people, spacing) -> dict:
    """Plan one synthetic region in a fresh process; its timings and max RSS."""
    path = Path(tmp) / f"{label.replace(' ', '_')}.yaml"
    _scenario(path, size_m, villages, people, spacing)
    print(f"scale: {label} ...", file=sys.stderr, flush=True)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def growth_exponent(x, y) -> float:
    """Slope of log y against log x (least squares): 1 is linear growth."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def run() -> list[str]:
    rows, raw = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, size_m, villages, people, spacing in SIZES:
            r = _probe(tmp, label, size_m, villages, people, spacing)
            raw.append(r)
            t = r["timings"]
            rows.append(
                {
                    "instance": label,
                    "cells": f"{r['cells']:,}",
                    "options": r["options"],
                    "nonzeros": f"{r['nnz']:,}",
                    "total_s": round(r["total_s"], 1),
                    "grid_s": t.get("grid"),
                    "candidates_s": t.get("candidates"),
                    "propagation_s": t.get("propagation"),
                    "coverage_s": t.get("coverage"),
                    "placement_s": t.get("placement"),
                    "budget_curve_s": t.get("budget_curve"),
                    "backhaul_s": t.get("backhaul"),
                    "ms_per_option": round(1000 * t.get("propagation", 0) / r["options"], 1),
                    "peak_rss_mib": round(r["max_rss_mib"]),
                }
            )
        sweep = []
        for spacing in CANDIDATE_SPACINGS_M:
            label = f"1e7 cells, candidates every {spacing} m"
            r = _probe(tmp, label, *SIZES[1][1:4], spacing)
            t = r["timings"]
            sweep.append(
                {
                    "candidate_spacing_m": spacing,
                    "options": r["options"],
                    "nonzeros": f"{r['nnz']:,}",
                    "total_s": round(r["total_s"], 1),
                    "propagation_s": t.get("propagation"),
                    "placement_s": t.get("placement"),
                    "ms_per_option": round(1000 * t.get("propagation", 0) / r["options"], 1),
                    "peak_rss_mib": round(r["max_rss_mib"]),
                }
            )
    cells = [r["cells"] for r in raw]
    per_cell_stages = {
        k: growth_exponent(cells, [max(r["timings"].get(k, 0.0), 1e-3) for r in raw])
        for k in ("grid", "candidates")
    }
    prop_vs_options = growth_exponent(
        [r["options"] for r in sweep], [max(r["propagation_s"], 1e-3) for r in sweep]
    )
    lines = [
        "## Scaling: time and memory against cells and candidates",
        "",
        "Synthetic regions at 30 m (fspl-knife-edge, 10 km radius, 90 m demand cells, greedy "
        "placement with backhaul rounds, no cache), each in a fresh process; peak memory is "
        "that process's max RSS; a 1e8-cell region is 300 km x 300 km.",
        "",
        *table(rows),
        "",
        "Growth exponents (slope of log time against log size; 1 = linear): against cells, "
        + ", ".join(f"{k} {v:.2f}" for k, v in per_cell_stages.items())
        + f", total {growth_exponent(cells, [r['total_s'] for r in raw]):.2f} (cells and "
        "candidates grow together here, so the total mixes both); peak memory "
        f"{growth_exponent(cells, [r['max_rss_mib'] for r in raw]):.2f}.",
        "",
        "Candidates alone, at a fixed 1e7-cell region (the candidate grid spacing varied):",
        "",
        *table(sweep),
        "",
        f"Propagation time against options: exponent {prop_vs_options:.2f}.",
        "",
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
