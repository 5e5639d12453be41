"""``rural-plan``: the parser built from the command modules, logging, and errors as one
line and exit status 2."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback

from rural_plan import progress
from rural_plan._version import __version__
from rural_plan.cli import (
    bench,
    compare,
    demo,
    diagnose,
    path,
    place,
    run,
    sweep,
    validate,
)
from rural_plan.cli.options import common_options, executor_options, planning_options
from rural_plan.errors import RuralPlanError, ScenarioError

log = logging.getLogger("rural_plan")

COMMANDS = (run, validate, path, place, demo, sweep, diagnose, bench, compare)
"""Command modules in the order ``--help`` lists them: each has ``NAME``, ``HELP``,
``DESCRIPTION``, ``PARENTS`` (shared option groups), ``add_arguments`` and ``run``."""


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command; given ``argv``, only the command it names gets its
    options (the others are listed, with their help line), so that parsing imports
    nothing the command does not need."""
    wanted = _command_named(argv)
    p = argparse.ArgumentParser(
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


_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _one_line(text: str) -> str:
    """A problem as one line: line breaks inside it (a value, a path) shown escaped."""
    return "".join(repr(c)[1:-1] if c in _LINE_BREAKS else c for c in text)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    args = build_parser(argv).parse_args(argv)
    _configure_logging(args.verbose, args.quiet)
    progress.enable(not args.quiet)
    try:
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
    except KeyboardInterrupt:
        print("rural-plan: interrupted; no results were written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
