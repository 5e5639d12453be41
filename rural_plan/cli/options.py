"""Options several commands share, and the conversions of their strings."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from rural_plan.errors import ExecutorError
from rural_plan.scenario.names import EXECUTOR_NAMES

if TYPE_CHECKING:
    from rural_plan.scenario.schema import Scenario


def user_path(text: str) -> Path:
    """A path on the command line, as a Path: refused when it is not valid UTF-8 (bytes the
    file system allows, such as Latin-1 names): rural_plan writes paths into UTF-8 files
    (provenance.json, report.html) and hands them to GDAL as text."""
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"{text!r}: a path cannot hold a NUL character")
    if not utf8_path(text):
        shown = os.fsencode(text).decode("utf-8", "backslashreplace")
        raise argparse.ArgumentTypeError(
            f"{shown}: the path is not valid UTF-8 text (its bytes are shown escaped); "
            "rural_plan writes paths into UTF-8 files and passes them to GDAL: rename it"
        )
    return Path(text)


def utf8_path(text: str) -> bool:
    """Whether ``text`` (a path as Python decoded it) is valid UTF-8: bytes that are not
    come out as lone surrogates, which cannot be written as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def positive_float(text: str) -> float:
    """A finite number > 0 (``--max-memory-gb``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of GB > 0, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a number of GB > 0, got {text!r}")
    return value


def number_in(
    lo: float | None,
    hi: float | None,
    *,
    open_low: bool = False,
    open_high: bool = False,
    whole: bool = False,
):
    """An argparse type: a finite number in [lo, hi] (``open_*``: bound excluded;
    ``whole``: an integer). Anything else is refused naming the valid range."""
    left, right = "(" if open_low else "[", ")" if open_high else "]"
    shown = (
        f"{left}{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}{right}"
    )
    what = "a whole number" if whole else "a number"

    def parse(text: str) -> float:
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            value = None
        ok = value is not None and math.isfinite(value)
        if ok and lo is not None:
            ok = value > lo if open_low else value >= lo
        if ok and hi is not None:
            ok = value < hi if open_high else value <= hi
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {what} in {shown}, got {text!r}")
        return value

    parse.__name__ = "whole number" if whole else "number"
    return parse


def schema_number(model, name: str, *, whole: bool = False):
    """An argparse type: a finite number within the schema's range of ``model.name`` (the
    flag and the scenario key accept the same values)."""
    from rural_plan.scenario.schema import field_range

    lo, hi = field_range(model, name)
    meta = model.model_fields[name].metadata
    return number_in(
        lo,
        hi,
        open_low=any(getattr(m, "gt", None) is not None for m in meta),
        open_high=any(getattr(m, "lt", None) is not None for m in meta),
        whole=whole,
    )


def common_options() -> argparse.ArgumentParser:
    """-v / -q: every command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="detailed logging, and the traceback of any error",
    )
    common.add_argument("-q", "--quiet", action="store_true", help="only errors")
    return common


def planning_options() -> argparse.ArgumentParser:
    """--no-cache / --max-memory-gb: commands that compute propagation."""
    planning = argparse.ArgumentParser(add_help=False)
    planning.add_argument(
        "--no-cache",
        action="store_true",
        help="recompute propagation instead of reusing the on-disk cache "
        "($RURAL_PLAN_CACHE_DIR, default ~/.cache/rural_plan)",
    )
    planning.add_argument(
        "--max-memory-gb",
        type=positive_float,
        default=None,
        metavar="GB",
        help="refuse a scenario whose estimated peak memory exceeds this (default: "
        "limits.max_memory_gb of the scenario, else the memory available)",
    )
    return planning


def executor_options() -> argparse.ArgumentParser:
    """--executor / --dask-address / --dask-workers: where propagation runs."""
    executing = argparse.ArgumentParser(add_help=False)
    executing.add_argument(
        "--executor",
        choices=list(EXECUTOR_NAMES),
        default=None,
        help="where propagation runs: local (this process, numba threads) or dask (a "
        "dask.distributed cluster); results are the same. Default: the scenario's "
        "executor.name, else local",
    )
    where = executing.add_mutually_exclusive_group()
    where.add_argument(
        "--dask-address",
        metavar="HOST:PORT",
        default=None,
        help="scheduler of a running Dask cluster (tcp://HOST:PORT or HOST:PORT; "
        "implies --executor dask)",
    )
    where.add_argument(
        "--dask-workers",
        metavar="N",
        default=None,
        help="start a Dask LocalCluster of N worker processes on this machine "
        "(implies --executor dask; default 2)",
    )
    return executing


_FLAGS = {"dask_address": "--dask-address", "dask_workers": "--dask-workers"}


def with_executor(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    """``scenario`` with the executor options of the command line applied over its own
    (validated by the schema's ``executor`` section; its problems name the flag)."""
    from pydantic import ValidationError

    from rural_plan.scenario.schema import ExecutorSettings

    changes: dict = {}
    if args.dask_address is not None:
        changes["dask_address"] = args.dask_address
    if args.dask_workers is not None:
        try:
            changes["dask_workers"] = int(args.dask_workers)
        except ValueError:
            changes["dask_workers"] = args.dask_workers  # the schema names the problem
        changes["dask_address"] = None
    if changes:
        if args.executor == "local":
            flag = "--dask-address" if args.dask_address is not None else "--dask-workers"
            raise ExecutorError(f"{flag} applies to --executor dask, not --executor local")
        changes["name"] = "dask"
    if args.executor is not None:
        changes["name"] = args.executor
    if not changes:
        return scenario
    try:
        settings = ExecutorSettings(**{**scenario.executor.model_dump(), **changes})
    except ValidationError as err:
        problem = err.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else ""
        flag = _FLAGS.get(field, "--executor")
        raise ExecutorError(f"{flag}: {_message(problem, getattr(args, field, None))}") from None
    return scenario.model_copy(update={"executor": settings})


def _message(problem: dict, given) -> str:
    from rural_plan.scenario.schema import ExecutorSettings, field_range

    msg = str(problem["msg"]).removeprefix("Value error, ")
    if problem["loc"] and problem["loc"][0] == "dask_workers":
        lo, hi = field_range(ExecutorSettings, "dask_workers")
        return f"expected a whole number of worker processes {lo}..{hi}, got {given!r}"
    return msg
