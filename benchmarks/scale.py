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

from benchmarks.common import REPO, table

SIZES = (
    # (label, region edge m, villages, people, candidate grid spacing m)
    ("1e6 cells", 30_000, 40, 60_000, 1_500),
    ("1e7 cells", 95_000, 300, 600_000, 1_500),
    ("4e7 cells", 190_000, 1_200, 2_400_000, 3_000),
    ("1e8 cells", 300_000, 3_000, 6_000_000, 4_000),
)

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


def run() -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, size_m, villages, people, spacing in SIZES:
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
            r = json.loads(out.stdout.strip().splitlines()[-1])
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
                    "ms_per_option": round(1000 * t.get("propagation", 0) / r["options"], 1),
                    "peak_rss_mib": round(r["max_rss_mib"]),
                }
            )
    lines = [
        "## Scaling: time and memory against cells and candidates",
        "",
        "Synthetic regions at 30 m (fspl-knife-edge, 10 km radius, 90 m demand cells, greedy "
        "placement, no cache), each in a fresh process; peak memory is that process's max RSS.",
        "",
        *table(rows),
        "",
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
