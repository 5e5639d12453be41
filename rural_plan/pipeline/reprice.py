"""Re-plan on coverage already computed: a scenario that differs only in what changes no
propagation (budget, placement, cost, backhaul) reuses a :class:`Prepared`."""

from __future__ import annotations

import dataclasses

import numpy as np

from rural_plan.costing.presets import CostPreset
from rural_plan.costing.settings import scenario_preset
from rural_plan.pipeline.plan import Prepared
from rural_plan.placement.options import (
    build_options,
    coverage_instance,
    models_capacity,
    poi_bonus,
)
from rural_plan.propagation.settings import radio_type_map
from rural_plan.scenario.schema import Scenario

COST_ONLY_KEYS = frozenset(
    {
        "name",
        "description",
        "budget_usd",
        "budget_basis",
        "budget",
        "placement",
        "cost",
        "backhaul",
        "outputs",
        "executor",
    }
)
"""Scenario keys that change no propagation: a plan can be redone from its coverage."""


def reusable(old: Scenario, new: Scenario) -> bool:
    """Whether ``new``'s plan can reuse the coverage of ``old`` (only
    :data:`COST_ONLY_KEYS` differ, and every site type of ``new`` has the radio of one of
    ``old``)."""
    return not (changed_keys(old, new) - COST_ONLY_KEYS - {"site_types"}) and (
        radio_type_map(old, new) is not None
    )


def changed_keys(old: Scenario, new: Scenario) -> set[str]:
    """Top-level scenario keys whose values differ."""
    return {
        k
        for k in Scenario.model_fields
        if k != "source_path" and getattr(new, k) != getattr(old, k)
    }


def reprice(prep: Prepared, scenario: Scenario, preset: CostPreset | None = None) -> Prepared:
    """``prep`` under another scenario that differs only in :data:`COST_ONLY_KEYS`
    (and/or another cost preset): options re-costed, coverage kept."""
    changed = changed_keys(prep.scenario, scenario)
    type_map = radio_type_map(prep.scenario, scenario)
    if not changed <= COST_ONLY_KEYS | {"site_types"} or type_map is None:
        raise ValueError(
            f"{', '.join(sorted(changed - COST_ONLY_KEYS))} change propagation: run plan() "
            "on the new scenario instead"
        )
    if preset is None:
        preset = scenario_preset(scenario)
    options = build_options(scenario, prep.candidates, preset)
    coverage = prep.coverage
    if type_map != list(range(len(prep.scenario.site_types))):
        # rows of the old options with the same radio, in the new options' order
        old = (
            options.location * len(prep.scenario.site_types)
            + np.asarray(type_map)[options.type_index]
        )
        lengths = coverage.indptr[old + 1] - coverage.indptr[old]
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        parts = [coverage.indices[coverage.indptr[i] : coverage.indptr[i + 1]] for i in old]
        indices = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        coverage = dataclasses.replace(coverage, indptr=indptr, indices=indices)
    return Prepared(
        scenario,
        prep.region,
        prep.candidates,
        options,
        coverage,
        coverage_instance(
            coverage,
            options,
            poi_bonus(scenario, prep.region, coverage),
            capped=models_capacity(scenario),
        ),
        preset,
        dict(prep.timings_s),
        executor=dict(prep.executor),
        today=prep.today,
        peak_rss_mb=dict(prep.peak_rss_mb),
    )
