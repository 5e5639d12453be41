"""Wall time and peak memory per stage of a plan (``provenance.json`` ``timings_s`` and
``peak_rss_mb``)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

_STATUS = Path("/proc/self/status")


def peak_rss_mb() -> float | None:
    """The process's peak resident memory so far [MiB] (Linux ``VmHWM``; elsewhere on Unix
    ``ru_maxrss``); None when unknown. Read only: the peak is never reset, so tools that
    read it after the run (``/usr/bin/time``, the benchmarks) still see the whole run's."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(float(line.split()[1]) / 1024.0, 1)  # kB
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # not on Unix
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS, else kB
    return round(peak / (2**20 if sys.platform == "darwin" else 1024.0), 1)


class StageClock:
    """Wall time [s] of each stage, and the process's peak resident memory [MiB] up to the
    end of each (non-decreasing: the stage where it jumps is where the peak was)."""

    def __init__(
        self, timings: dict[str, float] | None = None, peaks: dict[str, float] | None = None
    ) -> None:
        self.timings: dict[str, float] = dict(timings or {})
        self.peaks: dict[str, float] = dict(peaks or {})
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._t, 3)
        peak = peak_rss_mb()
        if peak is not None:
            self.peaks[stage] = peak
        self._t = time.perf_counter()
