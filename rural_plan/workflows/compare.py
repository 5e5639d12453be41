"""Side by side: the headline numbers of several results folders."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

from rural_plan.errors import InputFileError
from rural_plan.io.results import write_file_atomic, write_folder
from rural_plan.scenario.files import UnusableFile, path_problem, read_text

COLUMNS = (
    ("people_newly_covered", "people newly covered", "{:,.0f}"),
    ("share_newly_covered", "share of people", "{:.1%}"),
    ("sites_selected", "sites", "{:d}"),
    ("tco_usd", "TCO USD", "{:,.0f}"),
    ("capex_usd", "CAPEX USD", "{:,.0f}"),
    ("people_per_1000_usd", "people per 1,000 USD", "{:.2f}"),
    ("cost_per_person_usd", "cost per person USD", "{:,.2f}"),
)
"""(summary.json key, column title, text format) of every compared number."""


@dataclass(frozen=True)
class Row:
    label: str
    folder: Path
    values: dict[str, float | int | None]


def read_result(folder: Path, label: str | None = None) -> Row:
    """The compared numbers of one results folder (its ``summary.json``)."""
    path = Path(folder) / "summary.json"
    problem = path_problem(folder)
    if problem not in (None, "is a folder, not a file"):
        what = problem.replace("file not found", "not found").removeprefix("is ")
        raise InputFileError(f"{folder}: not a results folder ({what})")
    if problem is None:
        raise InputFileError(f"{folder}: not a results folder (a file, not a folder)")
    try:
        summary = json.loads(read_text(path))
    except UnusableFile as err:
        if err.problem.startswith("file not found"):
            raise InputFileError(f"{folder}: not a results folder (no summary.json)") from None
        raise InputFileError(f"{path}: not a readable summary ({err.problem})") from None
    except (json.JSONDecodeError, RecursionError) as err:
        raise InputFileError(f"{path}: not a readable summary ({err})") from err
    if not isinstance(summary, dict):
        raise InputFileError(f"{path}: not a summary (expected a JSON object)")
    return Row(
        label or Path(folder).name,
        Path(folder),
        {key: _number(summary.get(key)) for key, _, _ in COLUMNS},
    )


MAX_VALUE = 1e15
"""Largest number compared: more than every person's and every budget's count (a summary
holding more was edited or written by something else)."""


def _number(value):
    """A compared value: a finite number within ``MAX_VALUE``, else None ("n/a"): a
    summary someone edited (or another program wrote) may hold text, lists, true / false
    or 1e308 there."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) and abs(value) <= MAX_VALUE else None


def _cell(value, fmt: str) -> str:
    if value is None:
        return "n/a"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def as_text(rows: list[Row]) -> str:
    """A fixed-width table, one result per row."""
    head = ["result", *(title for _, title, _ in COLUMNS)]
    body = [[r.label, *(_cell(r.values[k], f) for k, _, f in COLUMNS)] for r in rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{widths[0]}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*line) for line in [head, *body])


def as_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["result", "folder", *(k for k, _, _ in COLUMNS)])
    for r in rows:
        w.writerow(
            [
                r.label,
                str(r.folder),
                *("" if r.values[k] is None else r.values[k] for k, _, _ in COLUMNS),
            ]
        )
    return out.getvalue()


def chart_png(rows: list[Row], path: Path) -> None:
    """Bar charts of people newly covered and people per 1,000 USD per result."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [r.label for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(max(6.0, 1.2 * len(rows) + 3), 3.6))
    for ax, (key, title) in zip(
        axes,
        (
            ("people_newly_covered", "people newly covered"),
            ("people_per_1000_usd", "people per 1,000 USD"),
        ),
        strict=True,
    ):
        ax.bar(labels, [float(r.values[key] or 0.0) for r in rows], color="#2b8cbe")
        ax.set_title(title)
        ax.tick_params(axis="x", labelrotation=30)
        for t in ax.get_xticklabels():
            t.set_horizontalalignment("right")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


COMPARISON_FILES = ("comparison.txt", "comparison.csv", "comparison.png")


def write_comparison_files(rows: list[Row], folder: Path) -> list[Path]:
    """comparison.txt, comparison.csv and comparison.png in ``folder`` (created), each
    written atomically (a sweep's folder also holds its variants' results)."""
    folder.mkdir(parents=True, exist_ok=True)
    txt, csv_path, png = (folder / name for name in COMPARISON_FILES)
    write_file_atomic(txt, lambda f: f.write((as_text(rows) + "\n").encode("utf-8")))
    write_file_atomic(csv_path, lambda f: f.write(as_csv(rows).encode("utf-8")))
    write_file_atomic(png, lambda f: chart_png(rows, f))
    return [txt, csv_path, png]


def write_comparison(rows: list[Row], out_dir: Path, *, overwrite: bool = False) -> list[Path]:
    """A comparison folder ``out_dir`` (comparison.txt / .csv / .png), written as a results
    folder is (:func:`rural_plan.io.results.write_folder`): atomically, refused when it
    exists without ``overwrite``, and never replacing a folder rural_plan did not write or
    one of the compared folders."""
    folders = [r.folder for r in rows]
    write_folder(
        out_dir,
        lambda folder: write_comparison_files(rows, folder),
        overwrite=overwrite,
        protect=[f / "summary.json" for f in folders],
    )
    return [Path(out_dir) / name for name in COMPARISON_FILES]


def read_results(folders: list[Path]) -> list[Row]:
    """The compared numbers of several results folders, labelled by folder name (by path
    when two folders share a name)."""
    labels = [Path(p).name for p in folders]
    if len(set(labels)) != len(labels):  # same folder names under different parents
        labels = [str(p) for p in folders]
    return [read_result(p, label) for p, label in zip(folders, labels, strict=True)]
