"""Progress of the long stages (compiling, propagation, the budget curve, backhaul design),
and the clock long kernels watch their deadline on.

Off unless the CLI turns it on (:func:`enable`; ``-q`` keeps it off). Then, on a
terminal, a tqdm bar on stderr (done / total, rate, ETA) that disappears when the stage
ends (the stage's own summary line stays); anywhere else (a log file, CI, a pipe) plain
log lines instead, at most one every :data:`LOG_EVERY_S` seconds, so a long stage shows
it is alive without carriage-return noise. Nothing at all while :func:`quiet` holds (the
JIT warm-up's toy runs).

A stop (Ctrl-C, SIGTERM) must not be raised inside a numba kernel's call back into
Python (object mode): numba then returns "a result with an exception set" (a
SystemError) or, at times, a corrupt result that crashes the interpreter. The CLI's
signal handlers :func:`request_stop` instead while a kernel runs; :func:`clock` then
reads +inf, so a kernel that watches its deadline returns at once, and the stop is
raised in Python code. Compiled kernels read the same through a small int32 array
(:func:`stop_state_address`): the stop, and the read end of a pipe CPython writes a
signal's number to the moment it arrives (:func:`signals_to_kernels`), since Python's
own handler runs only once the kernel has returned.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager

log = logging.getLogger(__name__)

LOG_EVERY_S = 10.0
"""Off a terminal: seconds between two progress lines of one stage."""

_enabled = False
_stop: type[BaseException] | None = None
_stop_state = (ctypes.c_int32 * 4)(0, -1, signal.SIGINT, signal.SIGTERM)
"""What compiled kernels read: 1 while a stop is requested; the read end of the signal
wake-up pipe (-1: none); the signal numbers that are stops."""


def request_stop(kind: type[BaseException] | None) -> None:
    """Ask running kernels to return as soon as they look at :func:`clock`, and
    :func:`check_stop` to raise ``kind`` (None: withdrawn, once the stop is handled)."""
    global _stop
    _stop = kind
    _stop_state[0] = 0 if kind is None else 1


def stop_state_address() -> int:
    """Address of the int32 array compiled kernels read (see :data:`_stop_state`)."""
    return ctypes.addressof(_stop_state)


@contextmanager
def signals_to_kernels():
    """Within this block (the main thread), a SIGINT or SIGTERM that arrives while a
    compiled kernel runs is seen by the kernel's clock at once (it reads +inf): CPython
    writes each caught signal's number to a pipe (``signal.set_wakeup_fd``) the kernel
    reads. Python's handler still runs, once the kernel has returned."""
    try:
        read_fd, write_fd = os.pipe()
    except OSError:  # no descriptor left: kernels see the stop when Python's handler runs
        yield
        return
    try:
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except (OSError, ValueError):  # not the main thread, or a platform without it
        os.close(read_fd)
        os.close(write_fd)
        yield
        return
    _stop_state[1] = read_fd
    try:
        yield
    finally:
        _stop_state[1] = -1
        signal.set_wakeup_fd(previous, warn_on_full_buffer=False)
        os.close(read_fd)
        os.close(write_fd)


def check_stop() -> None:
    """Raise the requested stop, if any: called in Python code right after a kernel that
    watches :func:`clock` returns."""
    if _stop is not None:
        raise _stop()


def clock() -> float:
    """``time.perf_counter()``, or +inf once a stop was requested (a deadline is past)."""
    return math.inf if _stop is not None else time.perf_counter()


_quiet = 0
_bars = 0  # bars drawn now (log records go above them)


def enable(on: bool = True) -> None:
    """Show progress from now on (a bar on a terminal, log lines elsewhere)."""
    global _enabled
    _enabled = on


def enabled() -> bool:
    """Whether progress is shown now (enabled, and not inside :func:`quiet`)."""
    return _enabled and not _quiet


def on_terminal() -> bool:
    """Whether stderr is a terminal (bars), rather than a file or a pipe (log lines)."""
    return sys.stderr.isatty()


@contextmanager
def quiet():
    """No progress and no rural_plan log record below ERROR inside this block (for
    internal warm-ups, whose toy runs are nobody's business)."""
    global _quiet
    root = logging.getLogger("rural_plan")
    level = root.level
    _quiet += 1
    root.setLevel(max(logging.ERROR, level))
    try:
        yield
    finally:
        root.setLevel(level)
        _quiet -= 1


class _Silent:
    def update(self, n: int | float = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass


class _Lines:
    """Progress as log lines: ``desc: done/total unit (pct %), ETA s``, rate-limited."""

    def __init__(self, total: float, desc: str, unit: str, every_s: float) -> None:
        self.total, self.desc, self.unit, self.every_s = total, desc, unit, every_s
        self.done = 0.0
        self.t0 = self.last = time.perf_counter()
        self.postfix = ""

    def set_postfix_str(self, s: str) -> None:
        self.postfix = s

    def update(self, n: int | float = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last < self.every_s or self.done >= self.total:
            return
        self.last = now
        eta = (now - self.t0) * (self.total - self.done) / self.done if self.done else 0.0
        log.info(
            "%s: %s/%s %s (%.0f %%), about %.0f s to go%s",
            self.desc,
            _num(self.done),
            _num(self.total),
            self.unit,
            100.0 * self.done / self.total if self.total else 100.0,
            eta,
            f" ({self.postfix})" if self.postfix else "",
        )


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


@contextmanager
def progress(total: int | float, desc: str, unit: str = "it"):
    """``total`` steps of a stage; ``update(n)`` advances it. Silent when disabled."""
    if not enabled() or total <= 0:
        yield _Silent()
        return
    if not on_terminal():
        yield _Lines(total, desc, unit, LOG_EVERY_S)
        return
    from tqdm import tqdm

    with (
        _drawn(),
        tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr, **_size()) as bar,
    ):
        yield bar


@contextmanager
def _drawn():
    global _bars
    _bars += 1
    try:
        yield
    finally:
        _bars -= 1


class LogHandler(logging.StreamHandler):
    """Log records on a stream (stderr), written above a progress bar being drawn rather
    than through it (``tqdm.write``). The CLI's handler."""

    def emit(self, record: logging.LogRecord) -> None:
        if not _bars:
            super().emit(record)
            return
        from tqdm import tqdm

        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:
            self.handleError(record)


def _size() -> dict:
    """The bar's size: the terminal's, or 100 x 40 on a terminal that reports none (a
    pseudo-terminal without a size, where tqdm would hide the bar)."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        size = os.terminal_size((0, 0))
    return {} if size.columns and size.lines else {"ncols": 100, "nrows": 40}


class _Ticker:
    """A bar over estimated seconds, advanced by a clock while a step runs (a compile
    cannot report its own progress) and set to the step's estimate when it ends."""

    def __init__(self, bar, total_s: float) -> None:
        self.bar, self.total_s = bar, total_s
        self.base = 0.0
        self.step_s = 0.0
        self.t_step = time.perf_counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _set(self, value: float) -> None:
        with self.lock:
            value = min(value, self.total_s)
            if value > self.bar.n:
                self.bar.update(value - self.bar.n)
            else:  # a step past its estimate: the clock still runs on screen
                self.bar.refresh()

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            # within a step: its share of the bar by the clock, stopping short of its end
            elapsed = time.perf_counter() - self.t_step
            self._set(self.base + min(elapsed, 0.95 * self.step_s))

    def step(self, name: str, estimate_s: float) -> None:
        """Step ``name``, expected to take about ``estimate_s``, starts now."""
        self.bar.set_postfix_str(name)
        self.t_step = time.perf_counter()
        self.step_s = estimate_s

    def done(self) -> None:
        """The current step has ended."""
        self.base += self.step_s
        self._set(self.base)


@contextmanager
def timed_steps(total_s: float, desc: str):
    """Progress over steps of estimated duration (seconds), for work that reports none
    itself: ``step(name, estimate_s)`` when one starts, ``done()`` when it ends. A bar
    over the estimated seconds on a terminal; elsewhere one log line per step."""
    if not enabled() or total_s <= 0:
        yield _SilentSteps()
        return
    if not on_terminal():
        yield _StepLines(desc)
        return
    from tqdm import tqdm

    fmt = "{desc}: {percentage:3.0f}%|{bar}| {elapsed} elapsed, about {remaining} to go{postfix}"
    with (
        _drawn(),
        tqdm(
            total=round(total_s, 1),
            desc=desc,
            leave=False,
            file=sys.stderr,
            bar_format=fmt,
            **_size(),
        ) as bar,
    ):
        ticker = _Ticker(bar, total_s)
        ticker.thread.start()
        try:
            yield ticker
        finally:
            ticker.stop.set()
            ticker.thread.join()


class _SilentSteps:
    def step(self, name: str, estimate_s: float) -> None:
        pass

    def done(self) -> None:
        pass


class _StepLines:
    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.name = ""
        self.t = time.perf_counter()

    def step(self, name: str, estimate_s: float) -> None:
        self.name, self.t = name, time.perf_counter()
        about = f" (about {estimate_s:.0f} s)" if estimate_s >= 1 else ""
        log.info("%s: %s%s ...", self.desc, name, about)

    def done(self) -> None:
        log.info("%s: %s done in %.1f s", self.desc, self.name, time.perf_counter() - self.t)
