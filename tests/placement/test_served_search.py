"""The capacity-aware local search (people served within site capacity): its incremental
maximum flow against HiGHS's LP, its moves against recomputation from scratch, its
choices against brute force, and its certified bound against the brute-force optimum."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rural_plan.placement import _served_search as _ss
from rural_plan.placement import select_greedy, select_local_search
from rural_plan.placement.bound import certified, served_upper_bound
from rural_plan.placement.capacity import served_people
from rural_plan.placement.instance import CoverageInstance

CAPS = (3.0, 10.0, 25.0, np.inf)


@st.composite
def capped_instances(draw, max_options=7, max_cells=16):
    """Small capped instances: rows of cells, people per cell (whole or fractional),
    costs, shared locations and caps (some infinite)."""
    n = draw(st.integers(2, max_options))
    n_cells = draw(st.integers(2, max_cells))
    rows = [
        sorted(draw(st.sets(st.integers(0, n_cells - 1), min_size=1, max_size=n_cells)))
        for _ in range(n)
    ]
    scale = draw(st.sampled_from([1.0, 0.37]))
    weight = [scale * draw(st.integers(1, 20)) for _ in range(n_cells)]
    return CoverageInstance.from_arrays(
        indptr=np.r_[0, np.cumsum([len(r) for r in rows])],
        indices=np.concatenate(rows),
        weight=weight,
        cost_usd=[float(draw(st.integers(1, 5))) for _ in range(n)],
        location=[draw(st.integers(0, max(1, n - 2))) for _ in range(n)],
        capacity=[draw(st.sampled_from(CAPS)) for _ in range(n)],
    )


def _flow(instance, chosen):
    """The kernel's maximum flow of ``chosen`` (people served)."""
    return _ss.served_value(
        instance.indptr,
        instance.indices,
        instance.weight,
        instance.capacity,
        np.asarray(chosen, dtype=np.int64),
    )


def _optimum(instance, budget):
    """Most people any feasible choice serves (brute force over all subsets, by the LP)."""
    best = 0.0
    n = instance.n_options
    for r in range(1, n + 1):
        for comb in itertools.combinations(range(n), r):
            c = np.array(comb)
            if instance.cost_usd[c].sum() > budget or len(set(instance.location[c])) < r:
                continue
            best = max(best, served_people(instance, c))
    return best


@settings(max_examples=60, deadline=None)
@given(capped_instances(), st.data())
def test_incremental_flow_equals_the_lp(instance, data):
    """The class-graph maximum flow serves exactly what HiGHS's LP on the cells does."""
    n = instance.n_options
    chosen = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1)))
    lp = served_people(instance, chosen)
    assert _flow(instance, chosen) == pytest.approx(lp, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(capped_instances(), st.data())
def test_trial_moves_equal_recomputing_from_scratch(instance, data):
    """ADD, DROP and SWAP evaluated on the current flow (and undone) give F after the
    move minus F before, as two maximum flows from scratch do; the state is unchanged."""
    n = instance.n_options
    chosen = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1))))
    outside = [i for i in range(n) if i not in set(chosen)]
    w, cap = instance.weight, instance.capacity
    _, eps, big = _ss._scale(w)
    inst = _ss._instance(instance.indptr, instance.indices, w, cap, eps, big)
    scratch = np.zeros(w.size, dtype=np.int64)
    state = _ss._state(inst, chosen.copy(), chosen.size, scratch, _ss._empty_graph(0.0))
    graph, _, n_edges, _, value, acc, mark, _ = state
    before = _flow(instance, chosen)
    assert value == pytest.approx(served_people(instance, chosen), rel=1e-9, abs=1e-9)
    flow_before = graph[4][:n_edges].copy()
    moves = [(i, -1) for i in outside] + [(-1, s) for s in range(chosen.size)]
    moves += [(i, s) for i in outside for s in range(chosen.size)]
    for i, s in moves:
        got = _ss._try(inst, state, i, s)
        after = [c for k, c in enumerate(chosen) if k != s] + ([i] if i >= 0 else [])
        want = (_flow(instance, after) if after else 0.0) - before
        assert got == pytest.approx(want, abs=1e-7), (i, s)
        np.testing.assert_array_equal(graph[4][:n_edges], flow_before)
        assert not acc.any() and not mark.any()


@settings(max_examples=40, deadline=None)
@given(capped_instances(max_options=6, max_cells=12), st.integers(2, 12))
def test_search_is_feasible_never_below_the_greedy_and_at_most_the_optimum(instance, budget):
    if instance.cost_usd.min() > budget:
        return
    greedy = select_greedy(instance, budget_usd=float(budget))
    sel = select_local_search(instance, budget_usd=float(budget))
    chosen = sel.chosen
    assert sel.method == "local-search"
    assert instance.cost_usd[chosen].sum() <= budget * (1 + 1e-12)
    assert np.unique(instance.location[chosen]).size == chosen.size
    assert sel.people == pytest.approx(served_people(instance, chosen), rel=1e-9)
    assert sel.people >= greedy.people - 1e-7
    assert sel.people <= _optimum(instance, budget) + 1e-7
    # the rollout: a permutation of the choice whose marginal people add up to it
    assert sorted(chosen) == sorted(set(chosen))
    assert sel.marginal_people.sum() == pytest.approx(sel.people, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(capped_instances(max_options=6, max_cells=12), st.integers(2, 12))
def test_certified_bound_of_a_capped_plan_is_at_least_the_optimum(instance, budget):
    if instance.cost_usd.min() > budget:
        return
    sel = certified(select_greedy(instance, budget_usd=float(budget)), instance, budget_usd=budget)
    assert sel.bound is not None and 0.0 <= sel.gap <= 1.0
    assert sel.bound >= _optimum(instance, budget) - 1e-7
    direct = served_upper_bound(instance, budget_usd=budget, chosen=sel.chosen)
    assert sel.bound == pytest.approx(max(direct, sel.people))


def test_search_serves_more_than_the_greedy_where_a_swap_can():
    """Hand-computed, budget 1.8 USD: the greedy takes B (a village of 40, cap 20, 0.2
    USD: 100 people per dollar), then A (a town of 100, cap 60, 1 USD: 60 per dollar);
    D (another village of 50, cap 45, 0.8 USD: 56 per dollar) no longer fits: 80
    people. Swapping B for D serves 60 + 45 = 105, the optimum by brute force."""
    instance = CoverageInstance.from_arrays(
        indptr=[0, 1, 2, 3],
        indices=[0, 1, 2],
        weight=[100.0, 40.0, 50.0],
        cost_usd=[1.0, 0.2, 0.8],
        location=[0, 1, 2],
        capacity=[60.0, 20.0, 45.0],
    )
    greedy = select_greedy(instance, budget_usd=1.8)
    assert sorted(greedy.chosen.tolist()) == [0, 1] and greedy.people == pytest.approx(80.0)
    sel = select_local_search(instance, budget_usd=1.8)
    assert sorted(sel.chosen.tolist()) == [0, 2]
    assert sel.people == pytest.approx(105.0) == pytest.approx(_optimum(instance, 1.8))


def _seeded_instance(seed):
    rng = np.random.default_rng(seed)
    n, cells = int(rng.integers(3, 9)), int(rng.integers(5, 30))
    rows = [np.sort(rng.choice(cells, rng.integers(1, cells), replace=False)) for _ in range(n)]
    instance = CoverageInstance.from_arrays(
        indptr=np.r_[0, np.cumsum([len(r) for r in rows])],
        indices=np.concatenate(rows),
        weight=rng.integers(1, 20, cells).astype(float) * rng.choice([1.0, 0.37]),
        cost_usd=rng.integers(1, 6, n).astype(float),
        location=rng.integers(0, max(2, n - 2), n),
        capacity=rng.choice(CAPS, n),
    )
    return instance, float(rng.integers(3, 12))


@pytest.mark.slow
def test_search_reaches_the_brute_force_optimum_on_seeded_instances():
    """100 seeded random capped instances: the search (with its DROP-REFILL and FORCE-ADD
    kicks) serves the optimum on at least 99 of them, and the greedy does not on several
    (so the instances can tell the two apart)."""
    reached = greedy_short = total = 0
    for seed in range(100):
        instance, budget = _seeded_instance(seed)
        if instance.cost_usd.min() > budget or not instance.capped:
            continue
        total += 1
        best = _optimum(instance, budget)
        reached += select_local_search(instance, budget_usd=budget).people >= best - 1e-6
        greedy_short += select_greedy(instance, budget_usd=budget).people < best - 1e-6
    assert total >= 90
    assert reached >= total - 1
    assert greedy_short >= 5
