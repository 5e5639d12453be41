"""Wall time and peak memory per stage of a plan (``provenance.json`` ``timings_s`` and
``peak_rss_mb``)."""

from __future__ import annotations

import time
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def peak_rss_mb(*, reset: bool = False) -> float | None:
    """The process's peak resident memory so far [MB] (Linux ``VmHWM``; elsewhere
    ``ru_maxrss``), and with ``reset`` start a new peak from now where the system allows it
    (Linux: ``/proc/self/clear_refs``), so the next reading is the next stage's own peak.
    None when unknown."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                value = float(line.split()[1]) / 1024.0  # kB
                break
        else:
            raise OSError
    except OSError:
        try:
            import resource
        except ImportError:  # not on Unix
            return None
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux
    if reset:
        try:
            _CLEAR_REFS.write_text("5")
        except OSError:
            pass
    return round(value, 1)


class StageClock:
    """Wall time [s] and peak resident memory [MB] per stage, in call order."""

    def __init__(
        self, timings: dict[str, float] | None = None, peaks: dict[str, float] | None = None
    ) -> None:
        self.timings: dict[str, float] = dict(timings or {})
        self.peaks: dict[str, float] = dict(peaks or {})
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._t, 3)
        peak = peak_rss_mb(reset=True)
        if peak is not None:
            self.peaks[stage] = peak
        self._t = time.perf_counter()
