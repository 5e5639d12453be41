"""Exact placement (MILP): against brute force on tiny instances, merging of identical
cells against a plain reference, never worse than the lazy greedy, time-limit and
fallback paths, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import OptimizeResult

import rural_plan.placement.milp as milp_mod
from rural_plan.errors import PlacementError
from rural_plan.placement.greedy import select_greedy
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.milp import (
    MergedCells,
    merge_identical_cells,
    select_milp,
    select_min_cost,
)
from tests.references import brute_max, brute_min_cost, feasible_sets, set_reference
from tests.support import make_instance

REL = 1e-9

# --------------------------------------------------------------------------- instances


def random_tiny(seed: int, max_options: int = 12) -> CoverageInstance:
    """≤ max_options options at locations of 1–3 options each, 5–30 cells, integer
    weights (some 0) and costs that are multiples of 0.5 (so budgets hit exactly)."""
    rng = np.random.default_rng(seed)
    location: list[int] = []
    loc = 0
    while True:
        k = int(rng.integers(1, 4))
        if len(location) + k > max_options:
            break
        location += [loc] * k
        loc += 1
    n = len(location)
    m = int(rng.integers(5, 31))
    density = rng.uniform(0.05, 0.4)
    rows = [np.flatnonzero(rng.random(m) < density) for _ in range(n)]
    weight = rng.integers(0, 21, size=m).astype(float)
    cost = rng.integers(2, 21, size=n) / 2.0
    # Shuffle option order so locations are not contiguous blocks.
    perm = rng.permutation(n)
    return make_instance(
        [rows[i] for i in perm], weight, cost[perm], np.asarray(location)[perm] * 7 + 3
    )


def random_budget(inst: CoverageInstance, seed: int) -> float:
    rng = np.random.default_rng(seed + 10_000)
    lo, hi = inst.cost_usd.min(), inst.cost_usd.sum()
    if rng.random() < 0.3:  # exactly the cost of some options: tests the ≤ at equality
        pick = rng.choice(inst.n_options, size=int(rng.integers(1, inst.n_options + 1)))
        return float(max(lo, inst.cost_usd[np.unique(pick)].sum()))
    return float(rng.uniform(lo, hi))


def assert_feasible(inst: CoverageInstance, chosen, budget: float | None = None) -> None:
    chosen = np.asarray(chosen)
    assert np.unique(chosen).size == chosen.size, "an option chosen twice"
    assert np.unique(inst.location[chosen]).size == chosen.size, "two options at a location"
    if budget is not None:
        assert inst.cost_usd[chosen].sum() <= budget * (1 + 1e-12)


def assert_consistent(inst: CoverageInstance, sel) -> None:
    """people, cost and marginal people all recomputed from the instance."""
    assert sel.people == pytest.approx(inst.coverage_of(sel.chosen), rel=1e-12, abs=1e-12)
    assert sel.cost_usd == pytest.approx(inst.cost_usd[sel.chosen].sum(), rel=1e-12)
    assert sel.marginal_people.sum() == pytest.approx(sel.people, rel=1e-12, abs=1e-12)
    assert sel.marginal_people.shape == sel.chosen.shape


def check_max(inst: CoverageInstance, budget: float) -> None:
    sel = select_milp(inst, budget_usd=budget)
    best = brute_max(inst, budget)
    assert sel.people == pytest.approx(best, rel=REL, abs=1e-12)
    assert_feasible(inst, sel.chosen, budget)
    assert_consistent(inst, sel)
    assert sel.method == "milp"
    assert sel.status == "optimal"
    assert sel.bound >= sel.people
    assert sel.bound <= best * (1 + 1e-6) + 1e-6  # mip_rel_gap 1e-6
    assert 0.0 <= sel.gap <= 1e-6
    greedy = select_greedy(inst, budget_usd=budget)
    assert sel.people >= greedy.people * (1 - REL)


def check_min_cost(inst: CoverageInstance, fraction: float) -> None:
    most = max(p for _, _, p in feasible_sets(inst))
    if most == 0:
        return
    target = max(fraction * most, 0.5)
    sel = select_min_cost(inst, target_people=target)
    assert sel.cost_usd == pytest.approx(brute_min_cost(inst, target), rel=REL)
    assert sel.people >= target
    assert_feasible(inst, sel.chosen)
    assert_consistent(inst, sel)
    assert sel.method == "milp_min_cost"
    assert sel.status == "optimal"
    assert sel.bound <= sel.cost_usd
    assert 0.0 <= sel.gap <= 1e-6


# --------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(40))
def test_select_milp_equals_brute_force(seed):
    inst = random_tiny(seed)
    check_max(inst, random_budget(inst, seed))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12))
def test_select_milp_equals_brute_force_hypothesis(seed, n):
    inst = random_tiny(seed, max_options=max(n, 3))
    check_max(inst, random_budget(inst, seed))


@pytest.mark.parametrize("seed", range(30))
def test_select_min_cost_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    check_min_cost(random_tiny(seed), float(rng.uniform(0.05, 1.0)))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), fraction=st.floats(0.01, 1.0))
def test_select_min_cost_equals_brute_force_hypothesis(seed, fraction):
    check_min_cost(random_tiny(seed), fraction)


def test_milp_beats_greedy_where_greedy_is_stuck():
    """The dense cheap option taken first leaves too little for the two big ones (the
    greedy's known weakness under a budget); the MILP takes the two big ones."""
    # option 0: 3 people for 1 USD; options 1 and 2: 10 people for 5 USD each; budget 10.
    rows = [[0], [1, 2], [3, 4]]
    inst = make_instance(rows, np.array([3.0, 5, 5, 5, 5]), np.array([1.0, 5, 5]), [0, 1, 2])
    sel = select_milp(inst, budget_usd=10.0)
    assert sel.people == brute_max(inst, 10.0) == 20.0
    assert sorted(sel.chosen) == [1, 2]
    assert select_greedy(inst, budget_usd=10.0).people == 13.0  # options 0 and 1


def test_milp_and_greedy_upgrade_a_site_type():
    """A cheap type taken first used to block its location's better type; the greedy
    now upgrades it, and both reach the optimum."""
    # location 0: option 0 cheap small, option 1 dear big; location 1: option 2 small.
    rows = [[0], [0, 1, 2, 3], [4]]
    inst = make_instance(rows, np.array([10.0, 3, 3, 3, 1]), np.array([1.0, 3, 1]), [0, 0, 1])
    sel = select_milp(inst, budget_usd=4.0)
    assert sel.people == brute_max(inst, 4.0) == 20.0
    assert sorted(sel.chosen) == [1, 2]
    greedy = select_greedy(inst, budget_usd=4.0)
    assert greedy.people == 20.0 and sorted(greedy.chosen) == [1, 2]


# --------------------------------------------------------------------------- merging


def ref_merge(inst: CoverageInstance):
    """Plain reference: cell -> frozenset of covering options."""
    return set_reference([inst.row(i) for i in range(inst.n_options)], inst.n_cells)


def check_merge(inst: CoverageInstance) -> MergedCells:
    merged = merge_identical_cells(inst)
    ref = ref_merge(inst)
    mapping = merged.cell_to_merged
    assert mapping.shape == (inst.n_cells,)
    # uncovered cells dropped, covered ones mapped
    for k in range(inst.n_cells):
        assert (mapping[k] >= 0) == (k in ref)
    # same merged cell <=> same covering set
    by_set: dict[frozenset, set[int]] = {}
    for k, s in ref.items():
        by_set.setdefault(s, set()).add(int(mapping[k]))
    assert all(len(ids) == 1 for ids in by_set.values())
    assert len(by_set) == merged.weight.size == merged.rows.shape[1]
    # merged ids numbered by their lowest cell
    firsts = [min(k for k in ref if mapping[k] == g) for g in range(merged.weight.size)]
    assert firsts == sorted(firsts)
    # weight conserved per merged cell and in total
    expect = np.zeros(merged.weight.size)
    for k in ref:
        expect[mapping[k]] += inst.weight[k]
    np.testing.assert_allclose(merged.weight, expect, rtol=1e-12)
    assert merged.weight.sum() == pytest.approx(inst.weight[list(ref)].sum(), rel=1e-12)
    # rows: option i covers merged g <=> i covers the cells of g
    assert merged.rows.shape[0] == inst.n_options
    for i in range(inst.n_options):
        got = merged.rows.indices[merged.rows.indptr[i] : merged.rows.indptr[i + 1]]
        assert list(got) == sorted({int(mapping[k]) for k in inst.row(i)})
    assert (merged.rows.data == 1).all()
    return merged


def test_merge_reduces_repeated_patterns():
    """1,000 cells drawn from 5 coverage patterns (one of them "nobody") merge to 4."""
    rng = np.random.default_rng(1)
    patterns = [{0}, {0, 1}, {1, 2}, {0, 1, 2}, set()]
    cell_pattern = rng.integers(0, len(patterns), size=1000)
    rows = [[k for k in range(1000) if i in patterns[cell_pattern[k]]] for i in range(3)]
    rows[1] = rows[1] + rows[1][:7]  # an option listing cells twice changes nothing
    weight = rng.uniform(0, 5, size=1000)
    inst = make_instance(rows, weight, np.ones(3), [0, 1, 2])
    merged = check_merge(inst)
    assert merged.weight.size == 4
    assert (merged.cell_to_merged == -1).sum() == (cell_pattern == 4).sum()
    assert merged.weight.sum() == pytest.approx(weight[cell_pattern != 4].sum(), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), dup=st.booleans())
def test_merge_matches_reference(seed, dup):
    inst = random_tiny(seed)
    if dup:  # repeat some entries of some rows
        rng = np.random.default_rng(seed)
        rows = [list(inst.row(i)) for i in range(inst.n_options)]
        rows = [r + list(rng.choice(r, size=2)) if r and rng.random() < 0.5 else r for r in rows]
        inst = make_instance(rows, inst.weight, inst.cost_usd, inst.location)
    check_merge(inst)


def test_merge_no_coverage():
    inst = make_instance([[], []], np.ones(4), np.ones(2), [0, 1])
    merged = merge_identical_cells(inst)
    assert merged.weight.size == 0 and merged.rows.shape == (2, 0)
    assert (merged.cell_to_merged == -1).all()


def unmerged(instance: CoverageInstance) -> MergedCells:
    """Every covered cell its own merged cell (the formulation without merging)."""
    cells = np.flatnonzero(instance.covered(np.arange(instance.n_options)))
    mapping = np.full(instance.n_cells, -1, dtype=np.int64)
    mapping[cells] = np.arange(cells.size)
    rows = sp.csr_array(
        (np.ones(instance.indices.size), mapping[instance.indices], instance.indptr),
        shape=(instance.n_options, cells.size),
    )
    rows.sum_duplicates()
    rows.data[:] = 1.0
    return MergedCells(rows, instance.weight[cells], mapping)


def disc_instance(seed: int, n_loc: int = 40, side: int = 40) -> CoverageInstance:
    """Two site types per location covering discs on a grid: many repeated patterns."""
    rng = np.random.default_rng(seed)
    yy, xx = np.divmod(np.arange(side * side), side)
    rows, cost, location = [], [], []
    for loc in range(n_loc):
        x0, y0 = rng.uniform(0, side, 2)
        for radius, price in ((4.0, 1.0), (7.0, 2.5)):
            r = radius * rng.uniform(0.8, 1.2)
            rows.append(np.flatnonzero((xx - x0) ** 2 + (yy - y0) ** 2 <= r * r))
            cost.append(price * rng.uniform(0.9, 1.1))
            location.append(loc)
    weight = rng.integers(0, 30, size=side * side).astype(float)
    return make_instance(rows, weight, np.array(cost), location)


@pytest.mark.parametrize("seed", [pytest.param(0, marks=pytest.mark.slow), 1, 2])
def test_merging_is_exact(seed, monkeypatch):
    """Same optimum with and without merging; merging cuts the rows on disc coverage."""
    inst = disc_instance(seed)
    merged = check_merge(inst)
    covered = int((merged.cell_to_merged >= 0).sum())
    assert merged.weight.size < covered / 2
    budget = 8.0
    a = select_milp(inst, budget_usd=budget, mip_rel_gap=0.0)
    monkeypatch.setattr(milp_mod, "merge_identical_cells", unmerged)
    b = select_milp(inst, budget_usd=budget, mip_rel_gap=0.0)
    assert a.status == b.status == "optimal"
    assert a.people == pytest.approx(b.people, rel=REL)
    c = select_min_cost(inst, target_people=0.6 * a.people, mip_rel_gap=0.0)
    monkeypatch.undo()
    d = select_min_cost(inst, target_people=0.6 * a.people, mip_rel_gap=0.0)
    assert c.cost_usd == pytest.approx(d.cost_usd, rel=REL)


# --------------------------------------------------------------------------- time limit


def test_time_limit_keeps_invariants():
    """Stopped early (or not), the answer is feasible, at least the warm start (greedy),
    and the bound is a valid upper bound on it; the status says how it stopped."""
    inst = disc_instance(7, n_loc=150, side=80)
    budget = 25.0
    greedy = select_greedy(inst, budget_usd=budget)
    sel = select_milp(inst, budget_usd=budget, time_limit_s=0.05, warm_start=greedy)
    assert sel.status == "optimal" or sel.status.startswith("time_limit"), sel.status
    assert_feasible(inst, sel.chosen, budget)
    assert_consistent(inst, sel)
    assert sel.people >= greedy.people
    coverable = inst.weight[inst.covered(np.arange(inst.n_options))].sum()
    assert sel.people <= sel.bound <= coverable * (1 + 1e-9)
    assert sel.gap == pytest.approx((sel.bound - sel.people) / sel.bound)
    assert 0.0 <= sel.gap < 1.0


def fake_no_incumbent(*args, **kwargs):
    return OptimizeResult(
        x=None,
        fun=None,
        status=1,
        success=False,
        message="Time limit reached. (HiGHS Status 13: fake)",
        mip_dual_bound=-1e12,
        mip_gap=None,
        mip_node_count=0,
    )


def test_no_incumbent_returns_warm_start(monkeypatch):
    inst = random_tiny(3)
    budget = random_budget(inst, 3)
    greedy = select_greedy(inst, budget_usd=budget)
    monkeypatch.setattr(milp_mod, "scipy_milp", fake_no_incumbent)
    sel = select_milp(inst, budget_usd=budget, time_limit_s=1.0, warm_start=greedy)
    assert sel.status == "time_limit_no_incumbent"
    assert sorted(sel.chosen) == sorted(greedy.chosen)
    assert sel.people == pytest.approx(greedy.people)
    coverable = inst.weight[inst.covered(np.arange(inst.n_options))].sum()
    assert sel.bound == pytest.approx(coverable)  # the solver's bound was looser
    # an array of option ids works as a warm start too
    sel = select_milp(inst, budget_usd=budget, time_limit_s=1.0, warm_start=greedy.chosen)
    assert sel.status == "time_limit_no_incumbent"


def test_no_incumbent_without_warm_start_raises(monkeypatch):
    inst = random_tiny(3)
    monkeypatch.setattr(milp_mod, "scipy_milp", fake_no_incumbent)
    with pytest.raises(PlacementError, match="no solution within time_limit_s"):
        select_milp(inst, budget_usd=inst.cost_usd.sum(), time_limit_s=1.0)


def adversarial_solver(fake_x):
    """HiGHS, except that it answers ``fake_x`` (an infeasible rounded choice) for as
    long as the cut rows added after the first call do not exclude it."""
    real = milp_mod.scipy_milp
    calls: list[int] = []

    def solve(c, **kwargs):
        res = real(c, **kwargs)
        con = kwargs["constraints"]
        calls.append(con.A.shape[0])
        x = np.zeros(c.size)
        x[: fake_x.size] = fake_x
        cut = slice(calls[0], None)  # rows beyond the first model's are cuts
        act = con.A[cut] @ x
        if ((act >= con.lb[cut] - 1e-9) & (act <= con.ub[cut] + 1e-9)).all():
            res.x = x
        return res

    return solve, calls


def test_rounded_choice_over_budget_is_cut_off(monkeypatch):
    """A solver answer that rounds to an infeasible set is cut off and re-solved."""
    inst = random_tiny(5)
    budget = random_budget(inst, 5)
    assert inst.cost_usd.sum() > budget
    solve, calls = adversarial_solver(np.ones(inst.n_options))  # "build everything"
    monkeypatch.setattr(milp_mod, "scipy_milp", solve)
    sel = select_milp(inst, budget_usd=budget)
    assert calls == [calls[0], calls[0] + 1]  # one cut row, one re-solve
    assert sel.people == pytest.approx(brute_max(inst, budget), rel=REL)
    assert_feasible(inst, sel.chosen, budget)


def test_rounded_choice_short_of_target_is_cut_off(monkeypatch):
    inst = random_tiny(6)
    target = 0.7 * max(p for _, _, p in feasible_sets(inst))
    solve, calls = adversarial_solver(np.zeros(inst.n_options))  # "build nothing"
    monkeypatch.setattr(milp_mod, "scipy_milp", solve)
    sel = select_min_cost(inst, target_people=target)
    assert calls == [calls[0], calls[0] + 1]
    assert sel.cost_usd == pytest.approx(brute_min_cost(inst, target), rel=REL)


def test_rounded_choice_breaking_location_rule_is_cut_off(monkeypatch):
    inst = random_tiny(6)
    target = 0.7 * max(p for _, _, p in feasible_sets(inst))
    solve, calls = adversarial_solver(np.ones(inst.n_options))  # covers all, 2 per loc
    monkeypatch.setattr(milp_mod, "scipy_milp", solve)
    sel = select_min_cost(inst, target_people=target)
    assert calls == [calls[0], calls[0] + 1]
    assert sel.cost_usd == pytest.approx(brute_min_cost(inst, target), rel=REL)
    assert_feasible(inst, sel.chosen)


# --------------------------------------------------------------------------- errors


def test_target_beyond_all_coverage_raises():
    inst = make_instance([[0, 1], [2]], np.array([5.0, 5.0, 7.0, 100.0]), [1.0, 1.0], [0, 1])
    with pytest.raises(PlacementError, match=r"target_people=18 .*\(17 people\)"):
        select_min_cost(inst, target_people=18.0)
    assert select_min_cost(inst, target_people=17.0).cost_usd == 2.0


def test_target_blocked_by_location_rule_raises():
    """Together the options cover 17, but they share a location: at most 10."""
    inst = make_instance([[0, 1], [2]], np.array([5.0, 5.0, 7.0]), [1.0, 1.0], [4, 4])
    with pytest.raises(PlacementError, match=r"one option per location.* 10 people"):
        select_min_cost(inst, target_people=12.0)


@pytest.mark.parametrize("target", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_target_raises(target):
    with pytest.raises(PlacementError, match="target_people"):
        select_min_cost(random_tiny(0), target_people=target)


def test_budget_below_cheapest_raises():
    inst = random_tiny(0)
    with pytest.raises(PlacementError, match="below the cheapest"):
        select_milp(inst, budget_usd=0.5 * inst.cost_usd.min())
    with pytest.raises(PlacementError, match="budget_usd"):
        select_milp(inst, budget_usd=float("nan"))


def test_bad_time_limit_and_gap_raise():
    inst = random_tiny(0)
    with pytest.raises(PlacementError, match="time_limit_s"):
        select_milp(inst, budget_usd=inst.cost_usd.sum(), time_limit_s=0.0)
    with pytest.raises(PlacementError, match="mip_rel_gap"):
        select_milp(inst, budget_usd=inst.cost_usd.sum(), mip_rel_gap=-1.0)


def test_infeasible_warm_start_raises():
    inst = make_instance([[0], [1], [2]], np.ones(3), [1.0, 1.0, 1.0], [0, 0, 1])
    with pytest.raises(PlacementError, match="share a location"):
        select_milp(inst, budget_usd=3.0, warm_start=np.array([0, 1]))
    with pytest.raises(PlacementError, match="budget_usd"):
        select_milp(inst, budget_usd=1.0, warm_start=np.array([0, 2]))
    with pytest.raises(PlacementError, match="option ids"):
        select_milp(inst, budget_usd=3.0, warm_start=np.array([5]))


def test_keyword_only():
    inst = random_tiny(0)
    with pytest.raises(TypeError):
        select_milp(inst, 10.0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        select_min_cost(inst, 10.0)  # type: ignore[misc]
