"""Per-stage wall time and peak memory (provenance.json ``timings_s``, ``peak_rss_mb``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rural_plan.pipeline.clock import StageClock, peak_rss_mb

RESETTABLE = Path("/proc/self/clear_refs").exists()


def test_peak_memory_is_the_process_peak():
    """Against the kernel's own count (``resource.getrusage``: the peak since start)."""
    resource = pytest.importorskip("resource")
    now = peak_rss_mb()
    assert now is not None and now > 10.0
    since_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    assert now <= since_start + 1.0


@pytest.mark.skipif(not RESETTABLE, reason="no /proc/self/clear_refs: peaks are not per stage")
def test_each_stage_has_its_own_peak():
    """A stage that touches 300 MB peaks at least ~300 MB above the quiet stage after it,
    whose peak no longer includes it (the peak is reset at each lap)."""
    clock = StageClock()
    clock.lap("quiet before")
    big = np.ones(300 * 2**20 // 8)  # touched: resident
    assert big.sum() > 0
    del big
    clock.lap("big")
    clock.lap("quiet after")
    assert clock.peaks["big"] >= clock.peaks["quiet after"] + 250.0
    assert set(clock.timings) == {"quiet before", "big", "quiet after"}


@pytest.mark.slow
@pytest.mark.skipif(not RESETTABLE, reason="no /proc/self/clear_refs: peaks are not per stage")
def test_memory_estimate_is_within_1_3x_of_the_demos_measured_peak(tmp_path):
    """The estimate made before a run (``limits.estimate_memory``) against the peak the
    demo's own process measures, stage by stage, in a process of its own."""
    import json
    import subprocess
    import sys

    from rural_plan.pipeline.limits import estimate_memory
    from rural_plan.scenario import load_demo_scenario

    out = tmp_path / "demo"
    subprocess.run([sys.executable, "-m", "rural_plan.cli", "demo", "-q", "-o", str(out)], check=True)
    prov = json.loads((out / "provenance.json").read_text())
    if prov["timings_s"].get("jit_compile", 0.0) > 1.0:
        pytest.skip("the kernels compiled in this run: their compiler's memory is not the plan's")
    measured = max(prov["peak_rss_mb"].values()) * 2**20
    estimate = estimate_memory(load_demo_scenario()).total_bytes
    assert 1 / 1.3 <= estimate / measured <= 1.3, (estimate, measured, prov["peak_rss_mb"])
