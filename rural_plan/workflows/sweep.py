"""A grid of scenario variants: every combination of ``--set KEY=V1,V2,...``.

Each variant is the base scenario with the given keys replaced (dotted paths, e.g.
``cost.preset`` or ``radio.frequency_mhz``). Every variant is validated before any
runs, so a typo fails at once. Variants run one after another in this process;
what the radio sees rarely changes between them (budgets, cost presets, placement
methods), so propagation is computed for the first and served from the on-disk
cache for the others.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rural_plan.errors import ScenarioError
from rural_plan.io.results import check_output_dir, claim_output_dir
from rural_plan.pipeline.recipe import plan
from rural_plan.progress import progress
from rural_plan.report.writer import write_results
from rural_plan.scenario.loader import (
    load_yaml_text,
    merge_mappings,
    read_scenario_mapping,
    scenario_from_mapping,
)
from rural_plan.scenario.schema import Scenario

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Variant:
    label: str
    changes: dict[str, Any]
    scenario: Scenario


MAX_VARIANTS = 1_000
"""Most variants one sweep plans (every combination of the ``--set`` values): each is a
whole plan, so more is a typo (a stray comma, a range written out) or a week of work."""


def parse_set(text: str) -> tuple[str, list[Any]]:
    """``KEY=V1,V2`` → (key, [values]); values are read as YAML scalars (1e6 → float)."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise ScenarioError(
            f"--set {text!r}: expected KEY=VALUE[,VALUE...], e.g. budget_usd=1e6,2e6"
        )
    if values.count(",") >= MAX_VARIANTS:
        raise ScenarioError(
            f"--set {key}: {values.count(',') + 1:,} values, more than the {MAX_VARIANTS:,} "
            "variants a sweep plans"
        )
    parsed = []
    for raw in values.split(","):
        try:
            parsed.append(load_yaml_text(raw.strip()))
        except (yaml.YAMLError, RecursionError) as err:
            problem = " ".join(str(err).split()) or "nested too deeply"
            raise ScenarioError(f"--set {key}: cannot read value {raw!r} ({problem})") from err
    if len(set(map(repr, parsed))) != len(parsed):
        raise ScenarioError(f"--set {key}: a value is repeated ({values})")
    return key, parsed


def _nested(key: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def _label(changes: dict[str, Any]) -> str:
    text = "_".join(f"{k}={v}" for k, v in changes.items()) or "base"
    cleaned = "".join(ch if ch.isalnum() or ch in "-_.=+" else "_" for ch in text).strip("._")
    return cleaned[:120] or "variant"


def build_variants(scenario_path: Path, sets: list[str]) -> list[Variant]:
    """Every combination of the ``--set`` values, validated; all problems at once."""
    base = read_scenario_mapping(Path(scenario_path))
    axes = [parse_set(s) for s in sets]
    keys = [k for k, _ in axes]
    if len(set(keys)) != len(keys):
        raise ScenarioError(f"--set: a key is given twice ({', '.join(keys)})")
    count = math.prod(len(values) for _, values in axes)
    if count > MAX_VARIANTS:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in axes)
        raise ScenarioError(
            f"--set: {count:,} variants ({sizes}), more than the {MAX_VARIANTS:,} a sweep "
            "plans; sweep fewer values, or split the sweep"
        )
    variants, problems = [], []
    # labels (folder names) spell values as given: `2e5`, not 200000.0
    texts = [[v.strip() for v in s.partition("=")[2].split(",")] for s in sets]
    for combo, spelt in zip(
        itertools.product(*(values for _, values in axes)), itertools.product(*texts), strict=True
    ):
        changes = dict(zip(keys, combo, strict=True))
        data = base
        for k, v in changes.items():
            data = merge_mappings(data, _nested(k, v))
        label = _label(dict(zip(keys, spelt, strict=True)))
        try:
            scenario = scenario_from_mapping(data, source=f"{scenario_path} [{label}]")
        except ScenarioError as err:
            problems.extend(err.problems or [str(err)])
            continue
        scenario = scenario.model_copy(update={"source_path": Path(scenario_path).resolve()})
        variants.append(Variant(label, changes, scenario))
    if problems:
        raise ScenarioError(
            problems[0] if len(problems) == 1 else f"{len(problems)} problems", problems
        )
    return variants


def run_sweep(
    variants: list[Variant], out_dir: Path, *, overwrite: bool, use_cache: bool = True
) -> list[tuple[Variant, Path, dict[str, float]]]:
    """Plan every variant into ``out_dir/<label>/``; returns (variant, folder, timings)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    folders = [out_dir / v.label for v in variants]
    for variant, folder in zip(variants, folders, strict=True):  # refuse before any work
        check_output_dir(folder, overwrite=overwrite, protect=variant.scenario.files())
    done = []
    with progress(len(variants), "sweep", unit="variant") as bar:
        for i, (variant, folder) in enumerate(zip(variants, folders, strict=True), start=1):
            t0 = time.perf_counter()
            log.info("sweep: variant %d of %d: %s", i, len(variants), variant.label)
            files = variant.scenario.files()
            with claim_output_dir(folder, overwrite=overwrite, protect=files):
                result = plan(variant.scenario, use_cache=use_cache)
                write_results(result, folder, overwrite=overwrite)
            timings = dict(result.timings_s, total=round(time.perf_counter() - t0, 3))
            done.append((variant, folder, timings))
            bar.update()
    return done
