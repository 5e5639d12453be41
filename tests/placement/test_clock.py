"""The clock kernels watch their deadline on: perf_counter's, +inf once a stop is
requested, and a SIGINT / SIGTERM seen while the kernel still runs (Python's handler
runs only after it returns)."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import numba as nb
import pytest

from rural_plan import progress
from rural_plan.placement._clock import NATIVE, now
from tests.conftest import REPO


def test_now_is_perf_counter():
    for _ in range(3):
        before = time.perf_counter()
        t = now()
        after = time.perf_counter()
        assert before <= t <= after


def test_now_is_inf_while_a_stop_is_requested():
    try:
        progress.request_stop(KeyboardInterrupt)
        assert now() == math.inf
    finally:
        progress.request_stop(None)
    assert now() < math.inf


@nb.njit
def _spin(deadline):
    while True:
        t = now()
        if t > deadline:
            return t


@pytest.mark.skipif(not NATIVE, reason="the objmode clock sees stops through Python")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_a_kernel_runs_stops_its_clock(sig):
    """The signal comes from another process while a kernel (holding the GIL) spins to a
    deadline 60 s away: its clock reads +inf at once, then Python's handler runs."""
    seen = []
    previous = signal.signal(sig, lambda signum, frame: seen.append(signum))
    try:
        _spin(0.0)  # compiled before the clock starts
        with progress.signals_to_kernels():
            t0 = time.perf_counter()
            killer = subprocess.Popen(["sh", "-c", f"sleep 0.3; kill -{sig.value} {os.getpid()}"])
            t = _spin(t0 + 60.0)
            elapsed = time.perf_counter() - t0
            killer.wait()
        assert t == math.inf and elapsed < 30.0
        assert seen == [sig]
    finally:
        signal.signal(sig, previous)
        progress.request_stop(None)
    assert now() < math.inf


@pytest.mark.skipif(not NATIVE, reason="the objmode clock is compiled in every process")
def test_the_clock_is_loaded_from_the_cache(tmp_path):
    """A second process compiles nothing: the clock is cached native code (its stop
    state and libc's functions reached through symbols registered at import)."""
    probe = (
        "import json, numba.core.event as ev\n"
        "compiled = []\n"
        "class L(ev.Listener):\n"
        "    def on_start(self, e): compiled.append(e.data['dispatcher'].py_func.__name__)\n"
        "    def on_end(self, e): pass\n"
        "ev.register('numba:compile', L())\n"
        "from rural_plan.placement._clock import now\n"
        "now()\n"
        "print(json.dumps(compiled))\n"
    )
    env = os.environ | {"NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        ).stdout.split("\n")[-2]
        for _ in range(2)
    ]
    assert runs == ['["now"]', "[]"]
