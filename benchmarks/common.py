"""Shared helpers for benchmarks: data paths, machine description, timing."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
COMOROS = DATA / "comoros"


def machine() -> str:
    """One line: CPU, cores, memory, Python and library versions."""
    import numba

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}; {os.cpu_count()} cores; {mem_gib:.0f} GiB; Python "
        f"{platform.python_version()}; numpy {np.__version__}; numba {numba.__version__}"
    )


def best_of(fn: Callable[[], object], repeat: int = 7) -> float:
    """Smallest wall time [s] of ``repeat`` calls (the least disturbed run)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def table(rows: list[dict], cols: list[str] | None = None) -> list[str]:
    """Markdown table lines."""
    cols = cols or list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return out
