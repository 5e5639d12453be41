"""Kernels compile once per machine: a second process loads them from numba's cache."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = (
    "import time; t = time.perf_counter(); from rural_plan.pipeline.jit import warm_up;"
    "from rural_plan.propagation.warm import sweep_is_cold;"
    "cold = sweep_is_cold(); s = warm_up(); print(cold, round(s, 3))"
)


@pytest.mark.slow
def test_second_process_does_not_compile_again(tmp_path):
    env = os.environ | {"NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(2)
    ]
    (cold1, first), (cold2, second) = runs
    assert cold1 == "True" and cold2 == "False"
    # loading every kernel from the cache is far quicker than compiling them
    assert float(second) < 0.3 * float(first)
