"""Budgeted site selection: which options to build, in which order."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from rural_plan.errors import PlacementError
from rural_plan.placement._kernels import capped_lazy_greedy, lazy_greedy
from rural_plan.placement._kernels import rollout as rollout_kernel
from rural_plan.placement.capacity import served_flow
from rural_plan.placement.instance import CoverageInstance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """Chosen options in rollout order, each one's marginal people, and how good it is.

    ``bound`` is an upper bound on the optimum (MILP: HiGHS's best bound; None when the
    method gives none) and ``gap`` = (bound − people) / bound.
    """

    chosen: np.ndarray
    marginal_people: np.ndarray
    cost_usd: float
    people: float
    seconds: float
    method: str = "greedy"
    bound: float | None = None
    gap: float | None = None
    status: str = "ok"


def check_uncapped(instance: CoverageInstance, method: str) -> None:
    """Methods that do not model site capacity refuse a capped instance."""
    if instance.capped:
        raise PlacementError(
            f"placement method {method!r} does not model site capacity; use method 'greedy' "
            "or 'local-search' (or remove capacity_people from the site types)"
        )


def check_budget(instance: CoverageInstance, budget_usd: float) -> None:
    """A finite budget that affords at least the cheapest option, or a clear error."""
    if not np.isfinite(budget_usd) or budget_usd <= 0:
        raise PlacementError(f"budget_usd must be a finite number > 0, got {budget_usd!r}")
    if instance.n_options == 0:
        raise PlacementError("no site options to choose from")
    cheapest = float(instance.cost_usd.min())
    if budget_usd < cheapest:
        raise PlacementError(
            f"budget_usd={budget_usd:,.0f} is below the cheapest site option "
            f"({cheapest:,.0f} USD); raise budget_usd to at least that"
        )


def rollout(instance: CoverageInstance, chosen) -> tuple[np.ndarray, np.ndarray]:
    """Order ``chosen`` by marginal people per dollar (greedy on the chosen set only; ties
    to the earlier in ``chosen``) and return (ordered options, marginal people of each)."""
    return rollout_kernel(
        instance.indptr,
        instance.indices,
        instance.weight,
        instance.cost_usd,
        np.asarray(chosen, dtype=np.int64).ravel(),
    )


def select_greedy(
    instance: CoverageInstance, *, budget_usd: float, time_limit_s: float | None = None
) -> Selection:
    """Lazy greedy by newly covered people per dollar under ``budget_usd``, upgrading a
    location's site type when that is the best move
    (:func:`~rural_plan.placement._kernels.lazy_greedy`).

    On a capped instance (``instance.capacity``) each site serves at most its capacity
    (:func:`~rural_plan.placement._kernels.capped_lazy_greedy`) and ``people`` is what the
    chosen sites serve together (:func:`~rural_plan.placement.capacity.served_flow`).
    ``time_limit_s`` is accepted for a common method signature (greedy always finishes).
    Raises :class:`PlacementError` when no option fits the budget.
    """
    check_budget(instance, budget_usd)
    t0 = time.perf_counter()
    if instance.capped:
        chosen, gains = capped_lazy_greedy(
            instance.indptr,
            instance.indices,
            instance.weight,
            instance.cost_usd,
            instance.location,
            instance.capacity,
            float(budget_usd),
        )
    else:
        chosen, gains = lazy_greedy(
            instance.indptr,
            instance.indices,
            instance.weight,
            instance.cost_usd,
            instance.location,
            float(budget_usd),
        )
    seconds = time.perf_counter() - t0
    sel = Selection(
        chosen=chosen,
        marginal_people=gains,
        cost_usd=float(instance.cost_usd[chosen].sum()),
        people=served_flow(instance, chosen) if instance.capped else float(gains.sum()),
        seconds=seconds,
        method="greedy",
    )
    log.debug(
        "placement: %d of %d options, %.0f people for %.0f USD (greedy, %.3f s)",
        chosen.size,
        instance.n_options,
        sel.people,
        sel.cost_usd,
        seconds,
    )
    return sel
