"""Every entry point of ``rural-plan`` fuzzed (tests/cli/fuzz_entry_points.py: the
generators and the invariant), driven by Hypothesis.

On every run: exit status 0 or 2; on 2 each stderr line one ``rural-plan: error:``
problem; never a traceback; nothing written outside the output folder and the cache; no
user file changed or removed; no temporary folder or claim left; no hang (a run still
going after 60 s is interrupted and fails the test).

The default suite tries a few hundred inputs through ``validate``, ``path``, ``place``,
``compare``, the command line and the Python API's ``derive_scenario`` /
``load_scenario(path, overrides)`` (about 20 s); the slow tier plans them too (``run`` on
mutated scenarios, vector layers and rasters, ``sweep --set``) and scans a full disk
over every file a run writes. ``python tests/cli/fuzz_entry_points.py --n 300`` runs the
same generators in bulk and prints the counts per entry point.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.fuzz_entry_points import ERROR_PREFIX, TINY, _write_scenario, run_case
from tests.conftest import REPO

FAST = {
    "scenario (validate)": 25,
    "vector layers (validate)": 40,
    "rasters (validate)": 40,
    "cost preset YAML (validate)": 25,
    "path profile JSON": 40,
    "place NPZ": 20,
    "compare folders": 10,
    "CLI paths and flags": 20,
    "python API (derive / load)": 40,
}
"""Inputs per entry point in the default suite (each test about 2 s)."""
SLOW = {
    "scenario (run)": 30,
    "vector layers (run)": 30,
    "rasters (run)": 30,
    "sweep --set": 20,
    **{entry: 6 * n for entry, n in FAST.items()},
}
"""Inputs per entry point in the slow tier: the planning ones, and more of the others."""


RNGS = st.one_of(
    st.randoms(use_true_random=False),  # Hypothesis's draws: the simplest choices first
    st.integers(0, 2**32 - 1).map(random.Random),  # uniform draws over every branch
)
"""What drives a generator of tests/cli/fuzz_entry_points.py."""


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    import rural_plan.workflows.check  # noqa: F401 (the checks' imports, once, not timed per test)

    return tmp_path_factory.mktemp("fuzz")


def _property(entry: str, n: int, root: Path):
    @settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(rng=RNGS)
    def keeps_the_invariant(rng):
        outcome = run_case(entry, rng, root)
        assert not outcome.problem, f"{outcome.argv}\n{outcome.problem}"

    return keeps_the_invariant


@pytest.mark.parametrize("entry", list(FAST))
def test_entry_point_keeps_the_invariant(root, entry):
    _property(entry, FAST[entry], root)()


@pytest.mark.slow
@pytest.mark.parametrize("entry", list(SLOW))
def test_entry_point_keeps_the_invariant_at_length(root, entry):
    _property(entry, SLOW[entry], root)()


def _fsize_limit(n: int):
    def limit() -> None:  # in the child: files beyond n bytes fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return limit


@pytest.mark.slow
def test_a_full_disk_at_every_file(tmp_path):
    """A real `rural-plan run` whose files cannot grow past N bytes (a full disk), for N
    from nothing to more than the largest output: the run succeeds, or is refused in one
    line naming the folder the user gave (never the temporary one); no traceback, no
    GDAL or libtiff chatter, nothing left behind."""
    scenario = _write_scenario(tmp_path, TINY)
    out = tmp_path / "out"
    seen = set()
    # None first: the propagation cache is warm for every limited run, so that a limited
    # run's one problem is its results folder (a cold cache adds its own warning line)
    limits = (None, 200, 2_000, 6_000, 12_000, 18_000, 22_000, 26_000, 40_000, 300_000, 3_000_000)
    for limit in limits:
        proc = subprocess.run(
            [sys.executable, "-m", "rural_plan.cli", "run", "-q", str(scenario), "-o", str(out)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            preexec_fn=None if limit is None else _fsize_limit(limit),
            timeout=300,
        )
        lines = proc.stderr.strip().splitlines()
        if proc.returncode == 0:
            seen.add("written")
            shutil.rmtree(out)
            continue
        assert proc.returncode == 2, (limit, proc.stderr)
        assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), (limit, proc.stderr)
        assert ".partial-" not in proc.stderr and str(out) in proc.stderr, (limit, proc.stderr)
        seen.add(lines[0].replace(str(out), "OUT")[:90])
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"], limit
    assert "written" in seen and len(seen) >= 3, seen  # the scan hit several files
