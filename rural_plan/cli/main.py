"""``rural-plan``: the parser built from the command modules, logging, and errors as one
line and exit status 2."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import traceback

from rural_plan import progress
from rural_plan._version import __version__
from rural_plan.cli import (
    bench,
    compare,
    coverage,
    demo,
    diagnose,
    path,
    place,
    run,
    sweep,
    validate,
)
from rural_plan.cli.options import common_options, executor_options, planning_options
from rural_plan.errors import Interrupted, RuralPlanError, ScenarioError, Terminated

log = logging.getLogger("rural_plan")

COMMANDS = (run, validate, path, coverage, place, demo, sweep, diagnose, bench, compare)
"""Command modules in the order ``--help`` lists them: each has ``NAME``, ``HELP``,
``DESCRIPTION``, ``PARENTS`` (shared option groups), ``add_arguments`` and ``run``."""


class _UsageError(SystemExit):
    """A wrong flag or argument, already printed (``main`` returns 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with a wrong flag or argument answered as every other problem is: one
    ``rural-plan: error: ...`` line and exit status 2 (``--help`` shows the usage)."""

    def error(self, message: str):
        command = self.prog.removeprefix("rural-plan").strip()
        where = f"{command}: " if command else ""
        hint = " ".join(["rural-plan", *([command] if command else []), "--help"])
        print(f"rural-plan: error: {where}{_one_line(message)} (see {hint})", file=sys.stderr)
        raise _UsageError(2)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command; given ``argv``, only the command it names gets its
    options (the others are listed, with their help line), so that parsing imports
    nothing the command does not need."""
    wanted = _command_named(argv)
    p = _Parser(
        prog="rural-plan",
        description="Plan low-cost rural cell sites over terrain and population: where to "
        "build, how to backhaul, what it costs, how many people each dollar connects.",
    )
    p.add_argument("--version", action="version", version=f"rural-plan {__version__}")
    groups = {
        "common": common_options(),
        "planning": planning_options(),
        "executing": executor_options(),
    }
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        full = argv is None or command.NAME == wanted
        parser = sub.add_parser(
            command.NAME,
            parents=[groups[g] for g in command.PARENTS] if full else [],
            help=command.HELP,
            description=command.DESCRIPTION,
        )
        if full:
            command.add_arguments(parser)
        parser.set_defaults(run=command.run)
    return p


def _command_named(argv: list[str] | None) -> str | None:
    """The command ``argv`` names: its first word that is not an option (None: none)."""
    return next((a for a in argv or () if not a.startswith("-")), None)


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = progress.LogHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("rural_plan")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # GDAL's own messages ("_tiffWriteProc: No space left on device.") reach Python's
    # logging through rasterio; the error that follows says what matters in one line.
    gdal = logging.getLogger("rasterio")
    gdal.handlers[:] = [handler if verbose else logging.NullHandler()]
    gdal.propagate = False


EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
"""128 + the signal's number, as a shell reports a process the signal stopped."""
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, as a shell reports a command whose reader went away."""


def _stopped_by(err: BaseException) -> type[BaseException] | None:
    """KeyboardInterrupt or Terminated when ``err`` is one, or wraps one: a signal that
    arrives while a numba kernel runs surfaces as the dispatcher's SystemError ("returned
    a result with an exception set") with the signal's exception as its context."""
    seen = 0
    while err is not None and seen < 20:
        if isinstance(err, KeyboardInterrupt | Terminated):
            return type(err)
        err = err.__cause__ or err.__context__
        seen += 1
    return None


RETRY_S = 0.05
"""A stop not raised at once (the signal landed in a numba kernel's call back into
Python, or something swallowed it) is raised again this often until it unwinds."""

_pending: list[type[BaseException]] = []
"""The stop waiting to be raised (KeyboardInterrupt or Terminated), if any."""


def _unwinding() -> bool:
    """Whether a Ctrl-C or a SIGTERM is already unwinding the stack (we are in a clean-up
    block it runs): raising again would cut the clean-up short."""
    return _stopped_by(sys.exc_info()[1]) is not None


def _in_kernel(frame) -> bool:
    """Whether the signal landed in Python code that a numba kernel called (object mode)
    or in numba itself: an exception raised there corrupts the kernel's result."""
    marker = f"{os.sep}numba{os.sep}"
    depth = 0
    while frame is not None and depth < 50:
        if marker in frame.f_code.co_filename:
            return True
        frame, depth = frame.f_back, depth + 1
    return False


def _raise_pending(signum, frame) -> None:
    if not _pending or _unwinding():
        return
    signal.setitimer(signal.ITIMER_REAL, RETRY_S, RETRY_S)  # until it unwinds
    if not _in_kernel(frame):
        raise _pending[-1]()


def _stop_handler(kind: type[BaseException]):
    def handler(signum, frame) -> None:
        progress.request_stop(kind)  # kernels watching their deadline return at once
        _pending[:] = [kind]
        _raise_pending(signum, frame)

    return handler


@contextlib.contextmanager
def _signals_unwind():
    """Ctrl-C (KeyboardInterrupt) and SIGTERM (:class:`Terminated`) are raised in the main
    thread's Python code while a command runs, never inside a numba kernel (see
    :mod:`rural_plan.progress`), and again every ``RETRY_S`` until they unwind; never
    inside the clean-up they start."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {
        signal.SIGINT: _stop_handler(Interrupted),  # not a bare KeyboardInterrupt: see it
        signal.SIGTERM: _stop_handler(Terminated),
        signal.SIGALRM: _raise_pending,
    }
    previous = {sig: signal.signal(sig, h) for sig, h in handlers.items()}
    try:
        with progress.signals_to_kernels():  # a kernel's clock sees them while it runs
            yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, h in previous.items():
            signal.signal(sig, h)
        _pending.clear()
        progress.request_stop(None)


_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _one_line(text: str) -> str:
    """A problem as one line: line breaks inside it (a value, a path) shown escaped."""
    return "".join(repr(c)[1:-1] if c in _LINE_BREAKS else c for c in text)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    try:
        args = build_parser(argv).parse_args(argv)
    except _UsageError:
        return 2
    _configure_logging(args.verbose, args.quiet)
    progress.enable(not args.quiet)
    try:
        with _signals_unwind():
            return args.run(args)
    except ScenarioError as err:
        for line in err.problems:
            print(f"rural-plan: error: {_one_line(line)}", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return 2
    except RuralPlanError as err:
        print(f"rural-plan: error: {_one_line(str(err))}", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return 2
    except BrokenPipeError:
        # Whoever read our output has gone (``| head``): like other command-line tools,
        # stop quietly; stdout goes to /dev/null so the exit's flush cannot fail again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (KeyboardInterrupt, Terminated, SystemError) as err:
        stopped = _stopped_by(err)
        if stopped is None:  # a SystemError of its own: a bug, shown as one
            raise
        if args.verbose:
            traceback.print_exc()
        if stopped is Terminated:
            print("rural-plan: terminated; no results were written", file=sys.stderr)
            return EXIT_TERMINATED
        print("rural-plan: interrupted; no results were written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
