"""Ctrl-C and SIGTERM: one line ("interrupted" / "terminated"), exit 130 / 143, nothing
left behind (no results folder, no ``.NAME.partial-*``, no ``.NAME.lock``), never a
traceback, a SystemError from a numba dispatcher or a crash.

SIGTERM (a timeout, ``docker stop``) used to end the process at once, silently, leaving
its temporary folder until the next run; a Ctrl-C while local search ran (its kernel calls
back into Python for the time) surfaced as numba's "returned a result with an exception
set" SystemError, or crashed the interpreter.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rural_plan.cli import main
from rural_plan.io import results
from tests.conftest import REPO

SYNTH = "name: t\nbudget_usd: 300000\ninputs: {synthetic: {size_m: 5000}}\n"
STOPPED = {
    signal.SIGINT: (130, "rural-plan: interrupted; no results were written"),
    signal.SIGTERM: (143, "rural-plan: terminated; no results were written"),
}


def _left_behind(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name != "s.yaml")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_writing_removes_the_temporary_folder(tmp_path, capsys, monkeypatch, sig):
    """The signal arrives while the results are being written (the temporary folder is
    full): it is removed, the claim released, one line said."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SYNTH)
    seen = []
    manifest = results.write_manifest

    def signal_then_write(folder):
        seen.append(sorted(p.name for p in folder.iterdir()))
        os.kill(os.getpid(), sig)  # a real signal, handled by main's handler
        return manifest(folder)

    monkeypatch.setattr(results, "write_manifest", signal_then_write)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    code, line = STOPPED[sig]
    assert main(["run", "-q", str(scenario), "-o", str(tmp_path / "out")]) == code
    assert seen and "summary.json" in seen[0], "the signal came while writing"
    assert capsys.readouterr().err.splitlines() == [line]
    assert _left_behind(tmp_path) == []  # no out/, no .out.partial-*, no .out.lock
    assert {s: signal.getsignal(s) for s in before} == before  # main put them back


def test_a_stop_wrapped_in_a_systemerror_is_still_a_stop(tmp_path, capsys, monkeypatch):
    """numba's dispatcher reports an exception raised in a kernel's call back as a
    SystemError whose context is the KeyboardInterrupt: still "interrupted"."""
    from rural_plan.cli import validate

    def interrupted_in_a_kernel(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise SystemError("CPUDispatcher returned a result with an exception set") from err

    monkeypatch.setattr(validate, "run", interrupted_in_a_kernel)
    assert main(["validate", str(tmp_path / "s.yaml")]) == 130
    assert capsys.readouterr().err.splitlines() == [STOPPED[signal.SIGINT][1]]


# --- real processes ---------------------------------------------------------------------


def _big_instance(path: Path) -> Path:
    """An instance local search takes several seconds on (its kernel reads the clock
    through Python, where a signal can land)."""
    from rural_plan.placement.instance import CoverageInstance

    rng = np.random.default_rng(0)
    n_opt, n_cells = 20_000, 200_000
    sizes = rng.integers(50, 400, n_opt)
    indices = rng.integers(0, n_cells, int(sizes.sum()))
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    CoverageInstance.from_arrays(
        indptr=indptr,
        indices=indices,
        weight=rng.gamma(1.0, 3.0, n_cells),
        cost_usd=rng.uniform(10, 50, n_opt),
        location=np.arange(n_opt) // 2,
    ).save(path)
    return path


def _cli(*argv: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rural_plan.cli", *argv],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _handling_stops(proc: subprocess.Popen, timeout_s: float = 60.0) -> None:
    """Wait until ``proc`` catches SIGINT and SIGTERM (Linux: its SigCgt mask). Before,
    Python is still importing rural_plan and its CLI (``-m rural_plan.cli`` imports the
    package before ``__main__`` installs its handlers): a stop there is still Python's own
    traceback, left to the lazy imports of issue 20 (docs/errors.md, Signals)."""
    wanted = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            return  # not Linux, or gone: the fixed delays alone
        caught = next(int(x.split()[1], 16) for x in status.splitlines() if x.startswith("SigCgt"))
        if caught & wanted == wanted:
            return
        time.sleep(0.005)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_local_search(tmp_path, sig):
    """At every moment of a `place --method local-search` once the command handles stops
    (loading, greedy, the search and its calls back into Python): the stop, one line,
    never a SystemError or a crash."""
    instance = _big_instance(tmp_path / "big.npz")
    code, line = STOPPED[sig]
    for delay in (0.0, 0.5, 1.0, 1.3, 1.6, 2.5):
        proc = _cli("place", str(instance), "--method", "local-search", "--budget-usd", "20000")
        _handling_stops(proc)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        assert "Traceback" not in err and "SystemError" not in err, (delay, err)
        if proc.returncode != 0:  # 0: it finished first
            assert (proc.returncode, err.strip()) == (code, line), (delay, err)


@pytest.mark.slow
def test_sigterm_while_a_run_writes_leaves_nothing(tmp_path):
    """A real `rural-plan run` stopped by SIGTERM the moment its temporary folder appears,
    and a few milliseconds into writing: 143, "terminated", and no .NAME.partial-* left
    for the next run to clean up."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SYNTH)
    for after_s in (0.0, 0.005, 0.02, 0.05):
        out = tmp_path / "out"
        proc = _cli("run", "-q", str(scenario), "-o", str(out))
        while proc.poll() is None and not any(
            p.name.startswith(".out.partial-") for p in tmp_path.iterdir()
        ):
            time.sleep(0.0005)
        time.sleep(after_s)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        if proc.returncode == 0:  # finished first: complete results
            assert (out / "summary.json").is_file()
            results.remove_written(out, out)
            continue
        assert (proc.returncode, err.strip()) == STOPPED[signal.SIGTERM], (after_s, err)
        assert _left_behind(tmp_path) == [], after_s
