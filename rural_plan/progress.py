"""Progress bars on the long stages (propagation, sweeps), for people at a terminal,
and the clock long kernels watch their deadline on.

Off unless the CLI turns them on (:func:`enable`), and then only when stderr is a
terminal: logs, CI and notebooks get no carriage-return noise. ``-q`` keeps them off.

A stop (Ctrl-C, SIGTERM) must not be raised inside a numba kernel's call back into
Python (object mode): numba then returns "a result with an exception set" (a
SystemError) or, at times, a corrupt result that crashes the interpreter. The CLI's
signal handlers :func:`request_stop` instead while a kernel runs; :func:`clock` then
reads +inf, so a kernel that watches its deadline returns at once, and the stop is
raised in Python code.
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import contextmanager

_enabled = False
_stop: type[BaseException] | None = None


def request_stop(kind: type[BaseException] | None) -> None:
    """Ask running kernels to return as soon as they look at :func:`clock`, and
    :func:`check_stop` to raise ``kind`` (None: withdrawn, once the stop is handled)."""
    global _stop
    _stop = kind


def check_stop() -> None:
    """Raise the requested stop, if any: called in Python code right after a kernel that
    watches :func:`clock` returns."""
    if _stop is not None:
        raise _stop()


def clock() -> float:
    """``time.perf_counter()``, or +inf once a stop was requested (a deadline is past)."""
    return math.inf if _stop is not None else time.perf_counter()


def enable(on: bool = True) -> None:
    """Show progress bars from now on (when stderr is a terminal)."""
    global _enabled
    _enabled = on


class _Silent:
    def update(self, n: int = 1) -> None:
        pass


@contextmanager
def progress(total: int, desc: str, unit: str = "it"):
    """A bar of ``total`` steps; ``update(n)`` advances it. Silent when disabled."""
    if not (_enabled and sys.stderr.isatty()):
        yield _Silent()
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr) as bar:
        yield bar
