"""The other question planners ask: what is the least it costs to reach a coverage target?

:func:`select_to_target` answers it with any placement method. ``milp`` solves the
minimum-cost covering problem exactly (:func:`~rural_plan.placement.milp.select_min_cost`,
with a lower bound on cost). ``greedy`` and ``local-search`` answer it by bisection
on the budget: the cheapest budget in ``[cheapest option, budget cap]`` at which the
method's choice reaches the target, to a relative budget tolerance. Coverage of a
heuristic is not exactly monotone in the budget, so bisection finds *a* budget that
reaches the target, not always the least; the MILP gives the certificate.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace

from rural_plan.errors import PlacementError
from rural_plan.placement.greedy import Selection, check_budget
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.methods import PLACEMENT_METHODS
from rural_plan.placement.milp import select_min_cost

log = logging.getLogger(__name__)

BUDGET_RTOL = 0.002
"""Bisection stops when the budget bracket is narrower than this fraction (0.2 %)."""

_MAX_STEPS = 40


def select_to_target(
    instance: CoverageInstance,
    *,
    target_people: float,
    method: str,
    budget_cap_usd: float,
    time_limit_s: float | None = None,
) -> Selection:
    """The cheapest choice found that newly covers at least ``target_people``.

    Parameters
    ----------
    target_people : people to cover, > 0.
    method : a name of ``PLACEMENT_METHODS`` (``greedy``, ``local-search``, ``milp``).
    budget_cap_usd : the most the plan may cost, USD; the target must be reachable
        within it or :class:`PlacementError` says how many people the cap reaches.
    time_limit_s : wall-clock limit for the whole search (None: none).

    Returns
    -------
    Selection whose ``method`` is ``"<method>_min_cost"``; ``people`` ≥ target and
    ``cost_usd`` ≤ ``budget_cap_usd``. For ``milp`` ``bound`` is a lower bound on the
    cost in USD and ``gap`` = (cost − bound) / cost.
    """
    if method not in PLACEMENT_METHODS:
        raise PlacementError(
            f"method must be one of {', '.join(PLACEMENT_METHODS)}, got {method!r}"
        )
    if not (math.isfinite(target_people) and target_people > 0):
        raise PlacementError(f"target_people must be a finite number > 0, got {target_people!r}")
    check_budget(instance, budget_cap_usd)
    t0 = time.perf_counter()
    deadline = math.inf if time_limit_s is None else t0 + time_limit_s

    def left() -> float | None:
        return None if time_limit_s is None else max(1e-3, deadline - time.perf_counter())

    if method == "milp":
        best = select_min_cost(instance, target_people=target_people, time_limit_s=left())
        if best.cost_usd > budget_cap_usd * (1 + 1e-12):
            raise PlacementError(
                f"coverage target of {target_people:,.0f} people costs {best.cost_usd:,.0f} "
                f"USD, above budget_usd={budget_cap_usd:,.0f}; raise budget_usd or lower "
                "placement.coverage_target_share"
            )
        return replace(best, method="milp_min_cost", seconds=time.perf_counter() - t0)

    solve = PLACEMENT_METHODS[method]
    at_cap = solve(instance, budget_usd=budget_cap_usd, time_limit_s=left())
    if at_cap.people < target_people:
        reachable = instance.weight[instance.covered(range(instance.n_options))].sum()
        raise PlacementError(
            f"coverage target of {target_people:,.0f} people is not reached within "
            f"budget_usd={budget_cap_usd:,.0f} ({method} covers {at_cap.people:,.0f}; all "
            f"candidates together reach {reachable:,.0f}); raise budget_usd or lower "
            "placement.coverage_target_share"
        )
    best = at_cap
    lo, hi = float(instance.cost_usd.min()), float(at_cap.cost_usd)
    for _ in range(_MAX_STEPS):
        if hi - lo <= BUDGET_RTOL * hi or time.perf_counter() >= deadline:
            break
        mid = 0.5 * (lo + hi)
        sel = solve(instance, budget_usd=mid, time_limit_s=left())
        if sel.people >= target_people:
            hi = min(mid, sel.cost_usd)
            if sel.cost_usd < best.cost_usd:
                best = sel
        else:
            lo = mid
    status = "time_limit" if time.perf_counter() >= deadline else best.status
    log.info(
        "placement to target: %.0f people for %.0f USD (%s, budget bracket %.0f–%.0f USD)",
        best.people,
        best.cost_usd,
        method,
        lo,
        hi,
    )
    return replace(
        best,
        method=f"{method}_min_cost",
        seconds=time.perf_counter() - t0,
        status=status,
    )
