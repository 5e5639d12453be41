"""Wall time per stage of a plan (``provenance.json`` ``timings_s``)."""

from __future__ import annotations

import time


class StageClock:
    """Wall time per stage, in call order."""

    def __init__(self, timings: dict[str, float] | None = None) -> None:
        self.timings: dict[str, float] = dict(timings or {})
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self._t, 3)
        self._t = now
