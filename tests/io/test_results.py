"""Atomic outputs and determinism, tested on real runs.

* A run killed with SIGKILL at any moment (while starting, planning, or writing its
  results) leaves the previous results intact, and no folder other than the real one
  that holds a ``summary.json``; the next run cleans up what the killed ones left.
* ``--overwrite`` replaces old results only once the new ones are complete.
* Same scenario and seed: byte-identical summary.json, sites.geojson and coverage.tif,
  across runs and across numba thread counts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rural_plan.errors import OutputError
from rural_plan.io import results as writer
from rural_plan.io.results import clean_stale_temporaries, write_folder

SCENARIO = (
    "name: small\nseed: 3\nbudget_usd: {budget}\n"
    "inputs: {{synthetic: {{size_m: 10000, villages: 8, people: 5000}}}}\n"
)
RESULT_FILES = (
    "summary.json",
    "sites.geojson",
    "links.geojson",
    "budget_curve.csv",
    "plan.gpkg",
    "coverage.tif",
)


def _scenario(folder: Path, budget: float, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(SCENARIO.format(budget=budget))
    return path


def _start(scenario: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    argv = [sys.executable, "-m", "rural_plan.cli", "run", "-q", str(scenario), "-o", str(out)]
    return subprocess.Popen(
        [*argv, *extra],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in RESULT_FILES)


def _result_like(parent: Path) -> list[Path]:
    """Every folder under ``parent`` (two levels) that holds a summary.json."""
    return sorted(
        p.parent for p in [*parent.glob("*/summary.json"), *parent.glob("*/*/summary.json")]
    )


def _partials(parent: Path, out: Path) -> list[Path]:
    return sorted(parent.glob(f".{out.name}.partial-*")) + sorted(parent.glob(f".{out.name}.old-*"))


def _kill_at(proc: subprocess.Popen, parent: Path, out: Path, when) -> str:
    """SIGKILL ``proc`` at ``when``: seconds after start, or ('writing', s): s seconds after
    its temporary folder appears. Returns where the kill landed."""
    t0 = time.perf_counter()
    if isinstance(when, tuple):
        while proc.poll() is None and not any(
            e.name.startswith(f".{out.name}.partial-") for e in os.scandir(parent)
        ):
            time.sleep(0.0005)
        time.sleep(when[1])
    else:
        while proc.poll() is None and time.perf_counter() - t0 < when:
            time.sleep(0.005)
    if proc.poll() is not None:
        return "finished"
    writing = any(e.name.startswith(f".{out.name}.partial-") for e in os.scandir(parent))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return "writing" if writing else "running"


@pytest.mark.slow
def test_sigkill_at_any_moment_keeps_the_previous_results(tmp_path):
    parent = tmp_path / "results"
    parent.mkdir()
    out = parent / "plan"
    budgets = [300_000, 600_000]
    first = _start(_scenario(tmp_path, budgets[0]), out)
    assert first.wait(timeout=300) == 0, first.stderr.read().decode()
    previous = _snapshot(out)

    kill_points = [0.5, 1.5, ("writing", 0.0), ("writing", 0.01), ("writing", 0.03)]
    kill_points += [("writing", 0.06), ("writing", 0.1), ("writing", 0.15), ("writing", 0.2)]
    landed = []
    for i, when in enumerate(kill_points):
        budget = budgets[(i + 1) % 2]
        proc = _start(_scenario(tmp_path, budget), out, "--overwrite")
        landed.append(_kill_at(proc, parent, out, when))
        now = _snapshot(out)
        if now != previous:  # killed after the swap: the new results, complete
            assert _complete(out), f"kill at {when}: {sorted(now)}"
            assert json.loads(now["summary.json"])["budget_usd"] == budget
            previous = now
        assert _result_like(parent) == [out], f"kill at {when}: {_result_like(parent)}"
        for tmp in _partials(parent, out):  # what a killed run leaves never looks complete
            assert not (tmp / "summary.json").exists()
    assert "writing" in landed, f"no kill landed while results were written: {landed}"

    # The next run cleans up after the killed ones and replaces the results.
    proc = _start(_scenario(tmp_path, 450_000), out, "--overwrite")
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    assert json.loads((out / "summary.json").read_text())["budget_usd"] == 450_000
    assert sorted(p.name for p in parent.iterdir()) == ["plan"]


def test_existing_results_need_overwrite_and_survive_a_failed_run(tmp_path):
    out = tmp_path / "plan"
    write_folder(out, lambda f: (f / "summary.json").write_text("{}"))
    before = _snapshot(out)
    with pytest.raises(OutputError, match="--overwrite"):
        write_folder(out, lambda f: (f / "summary.json").write_text('{"new": 1}'))

    def half_then_fail(folder: Path) -> None:
        (folder / "sites.geojson").write_text("{}")
        raise RuntimeError("planning failed half way")

    with pytest.raises(RuntimeError):
        write_folder(out, half_then_fail, overwrite=True)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_a_write_error_is_one_clear_error(tmp_path):
    def disk_full(folder: Path) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match=r"plan: cannot write the results .*No space left"):
        write_folder(tmp_path / "plan", disk_full)
    assert list(tmp_path.iterdir()) == []


def test_errors_of_the_plan_pass_through_unchanged(tmp_path):
    from rural_plan.errors import RasterError

    def bad_raster(folder: Path) -> None:
        raise RasterError("dem.tif: no valid terrain")

    with pytest.raises(RasterError, match=r"^dem\.tif: no valid terrain$"):
        write_folder(tmp_path / "plan", bad_raster)
    assert list(tmp_path.iterdir()) == []


def test_missing_parent_folders_are_made_when_writing(tmp_path):
    out = tmp_path / "a" / "b" / "plan"
    writer.check_output_dir(out, overwrite=False)
    assert not (tmp_path / "a").exists()  # nothing made before the results exist
    write_folder(out, lambda f: (f / "summary.json").write_text("{}"))
    assert (out / "summary.json").is_file()


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "rename-aside"])
def test_overwrite_swaps_in_the_complete_result(tmp_path, monkeypatch, exchange):
    if not exchange:  # a system without renameat2(RENAME_EXCHANGE)
        monkeypatch.setattr(writer, "_exchange", lambda a, b: False)
    out = tmp_path / "plan"
    write_folder(out, lambda f: (f / "summary.json").write_text("old"))
    seen = []

    def fill(folder: Path) -> None:
        seen.append((out / "summary.json").read_text())  # old results in place meanwhile
        (folder / "summary.json").write_text("new")

    write_folder(out, fill, overwrite=True)
    assert seen == ["old"] and (out / "summary.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporaries_of_dead_runs_are_cleaned_and_live_ones_kept(tmp_path):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "summary.json").write_text("current")
    host = writer._HOST
    dead, live = _dead_pid(), os.getppid()
    stale = tmp_path / f".plan.partial-{dead}-{host}-abc123"
    stale_old = tmp_path / f".plan.old-{dead}-{host}-abc123"
    kept = [
        tmp_path / f".plan.partial-{live}-{host}-def456",  # a live writer
        tmp_path / f".plan.partial-{dead}-otherhost-abc123",  # another machine's
        tmp_path / f".other.partial-{dead}-{host}-abc123",  # another target's
        tmp_path / ".plan.partial-xyz",  # not our pattern
    ]
    for p in [stale, stale_old, *kept]:
        p.mkdir()
        (p / "coverage.tif").write_bytes(b"x")
    removed = clean_stale_temporaries(out)
    assert sorted(removed) == sorted([stale, stale_old])
    assert all(p.exists() for p in kept) and (out / "summary.json").read_text() == "current"


def test_previous_results_swapped_aside_are_put_back(tmp_path):
    """A run killed between the two renames of the rename-aside swap leaves no results
    folder, only ``.NAME.old-*``: the next run puts it back before anything else."""
    out = tmp_path / "plan"
    aside = tmp_path / f".plan.old-{_dead_pid()}-{writer._HOST}-abc123"
    aside.mkdir()
    (aside / "summary.json").write_text("previous")
    with pytest.raises(OutputError, match="--overwrite"):
        writer.check_output_dir(out, overwrite=False)
    assert (out / "summary.json").read_text() == "previous" and not aside.exists()


@pytest.mark.slow
def test_same_seed_same_bytes_across_runs_and_thread_counts(tmp_path):
    scenario = _scenario(tmp_path, 300_000)
    outputs = {}
    for threads in ("1", "2", "2"):
        out = tmp_path / f"threads-{threads}-{len(outputs)}"
        proc = _start(scenario, out, "--no-cache", env={"NUMBA_NUM_THREADS": threads})
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
        outputs[out.name] = {name: (out / name).read_bytes() for name in RESULT_FILES}
    first, *others = outputs.values()
    assert json.loads(first["summary.json"])["sites_selected"] > 0
    for other in others:
        for name in RESULT_FILES:
            assert other[name] == first[name], name
