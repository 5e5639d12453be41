"""Progress: a bar on a terminal, rate-limited log lines elsewhere, nothing when disabled
or inside ``quiet()`` (the JIT warm-up's toy runs)."""

from __future__ import annotations

import io
import logging

import pytest

from rural_plan import progress


@pytest.fixture
def shown(monkeypatch):
    monkeypatch.setattr(progress, "_enabled", True)
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    return monkeypatch


def _run(total=4, desc="propagation (fspl-los)", unit="option"):
    with progress.progress(total, desc, unit=unit) as bar:
        for _ in range(total):
            bar.update(1)


def test_off_a_terminal_log_lines_with_done_total_and_eta(shown, caplog):
    shown.setattr(progress, "on_terminal", lambda: False)
    with caplog.at_level(logging.INFO, logger="rural_plan"):
        _run()
    lines = [r.getMessage() for r in caplog.records]
    # one line per step before the last (the stage's own summary line ends it)
    assert len(lines) == 3
    assert lines[0].startswith("propagation (fspl-los): 1/4 option (25 %), about ")
    assert lines[0].endswith(" s to go")


def test_log_lines_are_rate_limited(shown, caplog):
    shown.setattr(progress, "on_terminal", lambda: False)
    shown.setattr(progress, "LOG_EVERY_S", 3600.0)
    with caplog.at_level(logging.INFO, logger="rural_plan"):
        _run(total=1000)
    assert caplog.records == []


def test_on_a_terminal_a_bar_on_stderr(shown, caplog):
    err = io.StringIO()
    shown.setattr(progress, "on_terminal", lambda: True)
    shown.setattr("sys.stderr", err)
    with caplog.at_level(logging.INFO, logger="rural_plan"):
        _run()
    assert "propagation (fspl-los)" in err.getvalue() and "/4 [" in err.getvalue()
    assert caplog.records == []


@pytest.mark.parametrize("terminal", [True, False])
def test_nothing_when_disabled_or_quiet(shown, caplog, capsys, terminal):
    shown.setattr(progress, "on_terminal", lambda: terminal)
    with caplog.at_level(logging.DEBUG, logger="rural_plan"):
        with progress.quiet():
            _run()
            logging.getLogger("rural_plan.placement.sweep").info("budget curve: toy")
            logging.getLogger("rural_plan.placement.sweep").error("a real error")
        assert logging.getLogger("rural_plan").level == logging.DEBUG  # restored
        shown.setattr(progress, "_enabled", False)
        _run()
    assert [r.getMessage() for r in caplog.records] == ["a real error"]
    assert capsys.readouterr().err == ""


def test_timed_steps_off_a_terminal_one_line_per_step(shown, caplog):
    shown.setattr(progress, "on_terminal", lambda: False)
    with caplog.at_level(logging.INFO, logger="rural_plan"):
        with progress.timed_steps(30.0, "compiling") as steps:
            steps.step("propagation (itm)", 25.0)
            steps.done()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "compiling: propagation (itm) (about 25 s) ..."
    assert lines[1].startswith("compiling: propagation (itm) done in ")


def test_timed_steps_on_a_terminal_a_bar(shown):
    err = io.StringIO()
    shown.setattr(progress, "on_terminal", lambda: True)
    shown.setattr("sys.stderr", err)
    with progress.timed_steps(2.0, "compiling") as steps:
        steps.step("backhaul", 2.0)
        steps.done()
    assert "compiling" in err.getvalue() and "to go" in err.getvalue()
