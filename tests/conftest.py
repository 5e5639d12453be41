"""Shared fixtures. Real data is read from ../shared/data beside the repository."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run and machine (CI included), so a red
# run points at a change, not at the luck of the draw. HYPOTHESIS_PROFILE=explore draws
# fresh examples each run: use it when changing a kernel, and pin what it finds.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# Tests share one fresh propagation cache, never the user's (~/.cache/rural_plan).
os.environ.setdefault("RURAL_PLAN_CACHE_DIR", tempfile.mkdtemp(prefix="rural-plan-test-cache-"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
COMOROS = SHARED_DATA / "comoros"


def require_data(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} (the shared data folder beside the repo)")
    return path


@pytest.fixture(autouse=True)
def _cli_logging_restored():
    """A test that runs the CLI leaves the ``rural_plan`` logger as it found it: the
    CLI's handler writes to that test's captured stderr, closed once the test ends."""
    import logging

    from rural_plan import progress

    root = logging.getLogger("rural_plan")
    saved = (root.handlers[:], root.level, root.propagate, progress._enabled)
    yield
    root.handlers[:], root.level, root.propagate, progress._enabled = saved
