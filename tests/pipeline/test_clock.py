"""Per-stage wall time and peak memory (provenance.json ``timings_s``, ``peak_rss_mb``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rural_plan.pipeline.clock import peak_rss_mb

LINUX_PEAK = Path("/proc/self/status").exists()


def test_peak_memory_is_the_process_peak():
    """Against the kernel's own count (``resource.getrusage``: the peak since start)."""
    resource = pytest.importorskip("resource")
    now = peak_rss_mb()
    assert now is not None and now > 10.0
    since_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    assert now <= since_start + 1.0


_STAGES = """
import json
import numpy as np
from rural_plan.pipeline.clock import StageClock
clock = StageClock()
clock.lap("quiet before")
big = np.ones(300 * 2**20 // 8)  # touched: resident
assert big.sum() > 0
del big
clock.lap("big")
clock.lap("quiet after")
print(json.dumps([clock.peaks, list(clock.timings)]))
"""


def test_the_stage_that_allocates_is_where_the_peak_jumps():
    """In a fresh process (a test process's peak is already high): a stage that touches
    300 MB raises the peak by at least ~250 MB over the stage before it; the peak never
    falls (it is the process's, never reset)."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _STAGES], check=True, capture_output=True, text=True
    ).stdout
    p, stages = json.loads(out)
    assert p["big"] >= p["quiet before"] + 250.0
    assert p["quiet before"] <= p["big"] <= p["quiet after"]
    assert stages == ["quiet before", "big", "quiet after"]


@pytest.mark.slow
@pytest.mark.skipif(not LINUX_PEAK, reason="no /proc/self/status (VmHWM): Linux only")
def test_memory_estimate_is_within_1_3x_of_the_demos_measured_peak(tmp_path):
    """The estimate made before a run (``limits.estimate_memory``) against the peak the
    demo's own process measures (its last stage's ``peak_rss_mb``), in a process of its
    own."""
    import json
    import subprocess
    import sys

    from rural_plan.pipeline.limits import estimate_memory
    from rural_plan.scenario import load_demo_scenario

    out = tmp_path / "demo"
    demo = [sys.executable, "-m", "rural_plan.cli", "demo", "-q", "-o", str(out)]
    subprocess.run(demo, check=True)
    prov = json.loads((out / "provenance.json").read_text())
    if prov["timings_s"].get("jit_compile", 0.0) > 1.0:
        pytest.skip("the kernels compiled in this run: their compiler's memory is not the plan's")
    peaks = prov["peak_rss_mb"]
    assert peaks["outputs"] == max(peaks.values())  # the last stage: the run's peak so far
    measured = peaks["outputs"] * 2**20
    estimate = estimate_memory(load_demo_scenario()).total_bytes
    assert 1 / 1.3 <= estimate / measured <= 1.3, (estimate, measured, prov["peak_rss_mb"])
