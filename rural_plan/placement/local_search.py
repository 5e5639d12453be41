"""Budgeted site selection by local search from a feasible start (default: the greedy).

The lazy greedy (:func:`~rural_plan.placement.greedy.select_greedy`) makes the move
(build an option, or upgrade a location's site type) with most new people per extra
dollar and never looks back: it never drops a site, never trades a dear site for
cheaper ones, and a dense cheap site taken early can leave too little for two big ones.
The local search here starts from a feasible choice and applies improving moves until
none is left:

* ADD an affordable option at a free location (greedy fill: most new people per dollar);
* CHANGE TYPE: replace the option at a location by another option there;
* SWAP: drop one chosen option and add an unchosen one at a free location;
* MAKE ROOM: add an option that does not fit (replacing its location's option) and
  drop the options that lose fewest people per dollar until the budget holds — several
  light sites for one macro;
* DROP an option that covers nobody alone (frees money for an ADD);
* at a local optimum of those, KICKS: DROP-REFILL (drop a site, refill the money by the
  greedy rule) and FORCE-ADD (make room for a site even at a loss, then refill), kept
  when they add people, and failing that the most promising few followed by a whole
  descent each (``kicks=False`` leaves them out, as the budget curve does).

Each step fills the budget greedily, then takes the CHANGE TYPE or SWAP that adds the
most people (the neighbourhood is searched completely; see
:mod:`rural_plan.placement._local_search` for how without visiting every pair), else
the best MAKE ROOM, else the people-neutral move that saves most money; when there is
none, the choice is a local optimum. Moves never lose people, so the result covers at
least as many people as the start; ties go to the lower option id, so the same
instance always gives the same choice.

The search runs on the instance with its demand cells covered by the same options
merged (:func:`~rural_plan.placement.merge.merged_instance`: exact, option ids
unchanged; 6–15x fewer non-zeros on the synthetic benchmark instances, ~17 % fewer on
the demo and Ngazidja); people, cost and the rollout
order are then recomputed on the original instance, so the reported numbers are exact.
The merged sums round differently from per-cell sums, so where two moves tie exactly
the choice may differ from a search on the unmerged cells (``prepare(merge=False)``);
it is a local optimum of the original either way.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from rural_plan.errors import PlacementError
from rural_plan.placement import _local_search as _ls
from rural_plan.placement.bound import certified
from rural_plan.placement.greedy import (
    Selection,
    check_budget,
    rollout,
    select_greedy,
)
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.merge import merged_instance
from rural_plan.progress import check_stop

log = logging.getLogger(__name__)

FORCE_KICKS = 64
"""FORCE-ADD kicks tried at a local optimum: the options adding most people."""
DEEP_KICKS = 4
"""Kicks tried with a whole descent each at a local optimum no kick improves by itself."""

DEFAULT_MAX_MOVES = 1_000_000
"""Move cap when none is given (a safeguard; real searches stop far earlier)."""

_STATUS = {
    _ls.LOCAL_OPTIMUM: "local_optimum",
    _ls.TIME_LIMIT: "time_limit",
    _ls.MOVE_LIMIT: "move_limit",
}
_REL_TOL = 1e-9
"""Relative slack when checking a start against the budget."""


class Prepared(NamedTuple):
    """The instance as the local-search kernels want it (see ``_local_search.prepare``),
    over merged demand cells with their ``weight`` (see :func:`prepare`)."""

    rptr: np.ndarray
    ridx: np.ndarray
    cptr: np.ndarray
    cidx: np.ndarray
    lptr: np.ndarray
    lopt: np.ndarray
    weight: np.ndarray


def prepare(instance: CoverageInstance, *, merge: bool = True) -> Prepared:
    """Rows without repeated cells, the cell → option transpose, options per location.

    With ``merge`` (the default) the demand cells covered by the same options are merged
    first (:func:`~rural_plan.placement.merge.merged_instance`: exact, option ids
    unchanged), so the search works on fewer non-zeros; ``merge=False`` prepares
    the instance as it is (an instance that is already merged, or for comparison).
    """
    src = merged_instance(instance) if merge else instance
    return Prepared(
        *_ls.prepare(src.indptr, src.indices, src.location, src.n_cells), weight=src.weight
    )


@dataclass(frozen=True)
class Improvement:
    """What :func:`improve` did: the improved choice (ascending ids) and the moves made."""

    chosen: np.ndarray
    status: str
    moves: dict[str, int]

    @property
    def n_moves(self) -> int:
        return sum(self.moves.values())


def start_choice(instance: CoverageInstance, start, budget_usd: float) -> np.ndarray:
    """Option ids of ``start`` (a :class:`Selection` or ids), checked to be feasible."""
    chosen = start.chosen if isinstance(start, Selection) else start
    chosen = np.asarray(chosen, dtype=np.int64).ravel()
    n = instance.n_options
    problem = None
    if chosen.size and (chosen.min() < 0 or chosen.max() >= n):
        problem = f"option ids must lie in [0, {n})"
    elif np.unique(chosen).size < chosen.size:
        problem = "option ids repeat"
    elif np.unique(instance.location[chosen]).size < chosen.size:
        problem = "two options share a location"
    elif instance.cost_usd[chosen].sum() > budget_usd * (1 + _REL_TOL):
        problem = f"costs {instance.cost_usd[chosen].sum():,.0f} USD > budget_usd"
    if problem is not None:
        raise PlacementError(f"start is not a feasible choice: {problem}")
    return np.sort(chosen)


def improve(
    instance: CoverageInstance,
    chosen: np.ndarray,
    *,
    budget_usd: float,
    deadline: float = math.inf,
    max_moves: int = DEFAULT_MAX_MOVES,
    prepared: Prepared | None = None,
    kicks: bool = True,
) -> Improvement:
    """Local search from the feasible ``chosen`` (checked by :func:`start_choice`).

    ``deadline`` is a :func:`time.perf_counter` value; ``prepared`` (:func:`prepare` of
    this instance) saves merging cells and rebuilding the transpose when the same
    instance is searched at several budgets; ``kicks``: at each local optimum try the
    DROP-REFILL / FORCE-ADD kicks (:mod:`rural_plan.placement._local_search`, steps
    5-6). The search runs on the prepared (merged) cells; option ids are the instance's.
    """
    p = prepare(instance) if prepared is None else prepared
    flags = np.zeros(instance.n_options, dtype=np.bool_)
    flags[chosen] = True
    status, moves = _ls.local_search(
        p.rptr,
        p.ridx,
        p.cptr,
        p.cidx,
        p.lptr,
        p.lopt,
        p.weight,
        instance.cost_usd,
        instance.location,
        float(budget_usd),
        flags,
        int(max_moves),
        float(deadline),
        int(FORCE_KICKS) if kicks else -1,
        int(DEEP_KICKS) if kicks else 0,
    )
    check_stop()  # a Ctrl-C or SIGTERM made the search return early: raise it here
    return Improvement(
        chosen=np.flatnonzero(flags).astype(np.int64),
        status=_STATUS[int(status)],
        moves={
            "add": int(moves[_ls.ADD]),
            "change": int(moves[_ls.CHANGE]),
            "swap": int(moves[_ls.SWAP]),
            "drop": int(moves[_ls.DROP]),
            "make_room": int(moves[_ls.MAKE_ROOM]),
            "drop_refill": int(moves[_ls.DROP_REFILL]),
            "force_add": int(moves[_ls.FORCE_ADD]),
        },
    )


def select_local_search(
    instance: CoverageInstance,
    *,
    budget_usd: float,
    time_limit_s: float | None = None,
    start: Selection | np.ndarray | None = None,
    max_moves: int | None = None,
    kicks: bool = True,
    certify: bool = False,
) -> Selection:
    """Greedy (or ``start``) improved by ADD / CHANGE TYPE / SWAP / MAKE ROOM / DROP moves.

    Parameters
    ----------
    budget_usd : the budget in USD; must afford the cheapest option.
    time_limit_s : wall-clock limit for the whole call, the greedy start included; the
        search stops at the first move after it (the choice so far is returned, feasible
        and never worse than the start). None: run to a local optimum.
    start : a feasible choice to improve (a :class:`Selection` or option ids); None
        starts from :func:`~rural_plan.placement.greedy.select_greedy` (run on the
        merged cells: the same choice up to exact ties).
    max_moves : stop after this many moves (None: ``DEFAULT_MAX_MOVES``).
    kicks : try the DROP-REFILL / FORCE-ADD kicks at each local optimum (False: stop at
        the first local optimum of the single moves, faster and up to ~1 % further
        from the optimum on the benchmark instances).
    certify : attach a certified upper bound on the optimum and the gap to it
        (:func:`~rural_plan.placement.bound.certified`; a fraction of a second more).

    Returns
    -------
    Selection with ``method="local-search"``, ``chosen`` in rollout order (most marginal
    people per dollar first), ``people`` recomputed from the instance (never fewer than
    the start's), ``cost_usd`` ≤ ``budget_usd``, at most one option per location,
    with ``certify`` ``bound`` a certified upper bound on the optimum
    (:func:`~rural_plan.placement.bound.upper_bound`) and ``gap`` = (bound − people) /
    bound (how far below the optimum the choice can at most be), and ``status``
    ``"local_optimum"``, ``"time_limit"`` or ``"move_limit"``.

    Raises
    ------
    PlacementError : bad budget or time limit, or a start that is not feasible.
    """
    check_budget(instance, budget_usd)
    if time_limit_s is not None and not (np.isfinite(time_limit_s) and time_limit_s > 0):
        raise PlacementError(f"time_limit_s must be a finite number > 0, got {time_limit_s!r}")
    if max_moves is not None and max_moves < 0:
        raise PlacementError(f"max_moves must be >= 0, got {max_moves!r}")
    t0 = time.perf_counter()
    deadline = math.inf if time_limit_s is None else t0 + time_limit_s
    if instance.capped:
        return _select_served(instance, budget_usd, start, deadline, max_moves, kicks, certify, t0)
    merged = merged_instance(instance)
    if start is None:
        start = select_greedy(merged, budget_usd=budget_usd)
    begin = start_choice(instance, start, budget_usd)
    prepared = prepare(merged, merge=False)
    res = improve(
        instance,
        begin,
        budget_usd=budget_usd,
        deadline=deadline,
        max_moves=DEFAULT_MAX_MOVES if max_moves is None else max_moves,
        prepared=prepared,
        kicks=kicks,
    )
    chosen = res.chosen
    start_people = instance.coverage_of(begin)
    # The search's moves never lose people beyond its rounding tolerance; a result that
    # loses more than that (none should) falls back to the start.
    people_tol = _ls._PEOPLE_RTOL * float(instance.weight.sum())
    if instance.coverage_of(chosen) < start_people - people_tol:
        chosen = begin
    order, gains = rollout(instance, chosen)
    people = instance.coverage_of(order)
    cost = float(instance.cost_usd[order].sum())
    sel = Selection(
        chosen=order,
        marginal_people=gains,
        cost_usd=cost,
        people=people,
        seconds=time.perf_counter() - t0,
        method="local-search",
        status=res.status,
    )
    if certify:
        sel = certified(sel, instance, budget_usd=budget_usd, prepared=prepared)
    log.debug(
        "placement: %d of %d options, %.0f people for %.0f USD (local-search from %.0f "
        "people, %s; moves: %s; %s; %.3f s)",
        order.size,
        instance.n_options,
        people,
        cost,
        start_people,
        res.status,
        ", ".join(f"{v} {k}" for k, v in res.moves.items()),
        "no bound" if sel.gap is None else f"at most {100 * sel.gap:.3f} % below the optimum",
        sel.seconds,
    )
    return sel


def _select_served(
    instance: CoverageInstance,
    budget_usd: float,
    start,
    deadline: float,
    max_moves: int | None,
    kicks: bool,
    certify: bool,
    t0: float,
) -> Selection:
    """:func:`select_local_search` on a capped instance: the people *served* within
    capacity, by :func:`~rural_plan.placement.served_search.select_served_search`."""
    from rural_plan.placement.served_search import select_served_search

    if start is None:
        start = select_greedy(instance, budget_usd=budget_usd)
    begin = start_choice(instance, start, budget_usd)
    sel, moves = select_served_search(
        instance,
        budget_usd=budget_usd,
        start=begin,
        deadline=deadline,
        max_moves=DEFAULT_MAX_MOVES if max_moves is None else max_moves,
        kicks=kicks,
        t0=t0,
    )
    if certify:
        sel = certified(sel, instance, budget_usd=budget_usd)
    log.debug(
        "placement: %d of %d options, %.0f people served for %.0f USD (capacity-aware "
        "local-search, %s; moves: %s; %s; %.3f s)",
        sel.chosen.size,
        instance.n_options,
        sel.people,
        sel.cost_usd,
        sel.status,
        ", ".join(f"{v} {k}" for k, v in moves.items()),
        "no bound" if sel.gap is None else f"at most {100 * sel.gap:.3f} % below the optimum",
        sel.seconds,
    )
    return sel
