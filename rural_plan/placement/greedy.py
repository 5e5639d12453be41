"""Budgeted site selection: which options to build, in which order."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from rural_plan.errors import PlacementError
from rural_plan.placement._kernels import lazy_greedy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """The chosen options in rollout order, with each one's marginal people."""

    chosen: np.ndarray
    marginal_people: np.ndarray
    cost_usd: float
    people: float
    seconds: float


def select_greedy(
    *,
    indptr: np.ndarray,
    indices: np.ndarray,
    weight: np.ndarray,
    cost_usd: np.ndarray,
    location: np.ndarray,
    budget_usd: float,
) -> Selection:
    """Lazy greedy by newly covered people per dollar under ``budget_usd``.

    Raises :class:`PlacementError` when no option fits the budget.
    """
    cost_usd = np.asarray(cost_usd, dtype=np.float64)
    if not (cost_usd > 0).all():
        raise PlacementError("every option must cost more than 0 USD (nothing is free)")
    if not np.isfinite(budget_usd) or budget_usd <= 0:
        raise PlacementError(f"budget_usd must be a finite number > 0, got {budget_usd!r}")
    if budget_usd < cost_usd.min():
        raise PlacementError(
            f"budget_usd={budget_usd:,.0f} is below the cheapest site option "
            f"({cost_usd.min():,.0f} USD); raise budget_usd to at least that"
        )
    t0 = time.perf_counter()
    chosen, gains = lazy_greedy(
        np.ascontiguousarray(indptr, dtype=np.int64),
        np.ascontiguousarray(indices, dtype=np.int64),
        np.ascontiguousarray(weight, dtype=np.float64),
        cost_usd,
        np.ascontiguousarray(location, dtype=np.int64),
        float(budget_usd),
    )
    seconds = time.perf_counter() - t0
    sel = Selection(
        chosen=chosen,
        marginal_people=gains,
        cost_usd=float(cost_usd[chosen].sum()),
        people=float(gains.sum()),
        seconds=seconds,
    )
    log.info(
        "placement: %d of %d options, %.0f people for %.0f USD (greedy, %.3f s)",
        chosen.size,
        cost_usd.size,
        sel.people,
        sel.cost_usd,
        seconds,
    )
    return sel
