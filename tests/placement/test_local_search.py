"""Local search and the budget curve: brute force on tiny instances with site types
sharing locations, local optimality by enumerating every move, the greedy's known
failures fixed, determinism, and the curve's monotonicity and budgets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rural_plan.errors import PlacementError
from rural_plan.placement.greedy import Selection, rollout, select_greedy
from rural_plan.placement.instance import CoverageInstance
from rural_plan.placement.local_search import improve, prepare, select_local_search
from rural_plan.placement.sweep import BudgetCurve, budget_curve, everything_budget
from tests.references import brute_force_per_location as brute_force
from tests.references import built, is_nested, ref_moves
from tests.references import covered_people as coverage
from tests.support import make_instance

KMN_RATIO = (1.0 - 1.0 / math.e) / 2.0
TOL = 1e-9

# --------------------------------------------------------------------------- checks


def check_feasible(inst: CoverageInstance, sel: Selection, budget: float) -> None:
    chosen = sel.chosen.tolist()
    assert len(set(chosen)) == len(chosen)
    assert len(set(inst.location[chosen].tolist())) == len(chosen), "two options at a location"
    assert inst.cost_usd[chosen].sum() <= budget * (1 + TOL)
    assert sel.cost_usd == pytest.approx(inst.cost_usd[chosen].sum())
    assert sel.people == inst.coverage_of(chosen)
    order, gains = rollout(inst, chosen)
    assert order.tolist() == chosen
    np.testing.assert_array_equal(sel.marginal_people, gains)


# --------------------------------------------------------------------------- instances


@st.composite
def typed_instances(draw, max_options=12, max_cells=14):
    """1–3 options (site types) per location, at most ``max_options`` in all."""
    per_loc = draw(st.lists(st.integers(1, 3), min_size=1, max_size=max_options))
    while sum(per_loc) > max_options:
        per_loc.pop()
    location = [loc for loc, k in enumerate(per_loc) for _ in range(k)]
    n = len(location)
    n_cells = draw(st.integers(1, max_cells))
    cell = st.integers(0, n_cells - 1)
    rows = draw(st.lists(st.lists(cell, unique=True, max_size=n_cells), min_size=n, max_size=n))
    value = st.one_of(
        st.integers(0, 9).map(float), st.floats(0.0, 100.0, allow_nan=False, allow_subnormal=False)
    )
    weight = draw(st.lists(value, min_size=n_cells, max_size=n_cells))
    price = st.one_of(st.integers(1, 10).map(float), st.floats(0.25, 20.0))
    cost = draw(st.lists(price, min_size=n, max_size=n))
    budget = draw(
        st.one_of(
            st.floats(min(cost), sum(cost) * 1.1),
            st.sampled_from(sorted({min(cost), sum(cost), cost[0] + cost[-1]})),
        )
    )
    return rows, weight, cost, location, budget


def random_typed_instance(rng, max_options=12, max_cells=16):
    """Site types as nested discs on a line of cells: a cheap small type, dearer bigger
    ones at the same place (the case the greedy gets wrong), plus unstructured rows."""
    rows, cost, location = [], [], []
    n_cells = int(rng.integers(4, max_cells + 1))
    loc = 0
    while True:
        k = int(rng.integers(1, 4))
        if len(rows) + k > max_options:
            break
        centre = int(rng.integers(n_cells))
        base = float(rng.integers(1, 6))
        for t in range(k):
            if rng.random() < 0.8:
                half = t + int(rng.integers(0, 2))
                rows.append(list(range(max(0, centre - half), min(n_cells, centre + half + 1))))
            else:
                rows.append(rng.permutation(n_cells)[: int(rng.integers(0, n_cells))].tolist())
            cost.append(base * (1 + t * float(rng.integers(1, 5))))
            location.append(loc)
        loc += 1
        if rng.random() < 0.1:
            break
    weight = rng.integers(0, 10, n_cells).astype(float).tolist()
    budget = float(rng.uniform(min(cost), sum(cost)))
    return rows, weight, cost, location, budget


def disc_instance(seed, n_loc=40, side=30, light=(2.0, 10.0), macro=(5.0, 100.0)):
    """Options on a square of demand cells: per location a light site (small disc) and a
    macro (bigger disc, ~10x the cost), with clustered people."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side]
    pop = rng.gamma(0.5, 2.0, (side, side))
    for _ in range(4):
        cy, cx = rng.uniform(0, side, 2)
        pop += 40.0 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0)
    rows, cost, location = [], [], []
    for loc in range(n_loc):
        cy, cx = rng.uniform(0, side, 2)
        d2 = (yy - cy) ** 2 + (xx - cx) ** 2
        for radius, price in (light, macro):
            rows.append(np.flatnonzero((d2 <= radius**2).ravel()).tolist())
            cost.append(price * rng.uniform(0.8, 1.2))
            location.append(loc)
    return rows, pop.ravel().tolist(), cost, location


def run(rows, weight, cost, location, budget, **kw):
    inst = make_instance(rows, weight, cost, location)
    return inst, select_local_search(inst, budget_usd=budget, **kw)


def check_against_brute_force(rows, weight, cost, location, budget) -> bool:
    """Feasible, >= greedy, >= KMN x optimum; returns whether it is optimal."""
    inst, sel = run(rows, weight, cost, location, budget)
    check_feasible(inst, sel, budget)
    greedy = select_greedy(inst, budget_usd=budget)
    assert sel.people >= greedy.people - TOL
    opt, _ = brute_force(rows, weight, cost, location, budget)
    assert sel.people <= opt + TOL
    assert sel.people >= KMN_RATIO * opt - TOL
    return sel.people >= opt - TOL


# --------------------------------------------------------------------------- brute force


@settings(max_examples=80, deadline=None)
@given(inst=typed_instances())
def test_local_search_feasible_and_bounded_vs_brute_force(inst):
    check_against_brute_force(*inst)


def test_local_search_vs_brute_force_seeded():
    rng = np.random.default_rng(20240612)
    n, optimal, beat_greedy, below_greedy_opt = 300, 0, 0, 0
    for _ in range(n):
        inst = random_typed_instance(rng)
        optimal += check_against_brute_force(*inst)
        i = make_instance(*inst[:4])
        g = select_greedy(i, budget_usd=inst[4]).people
        opt, _ = brute_force(*inst)
        below_greedy_opt += g < opt - TOL
        beat_greedy += select_local_search(i, budget_usd=inst[4]).people > g + TOL
    print(
        f"local search optimal on {optimal}/{n}; greedy not optimal on {below_greedy_opt}, "
        f"local search improved it on {beat_greedy}"
    )
    # Measured: 292/300 optimal. The greedy (with site-type upgrades) is not optimal on
    # 19, local search improves 11 of them. (Before the greedy upgraded site types it was
    # not optimal on 63 and local search improved 55.)
    assert optimal >= 0.95 * n
    assert beat_greedy >= 0.5 * below_greedy_opt


def test_fixes_greedy_kmn_failure_with_shared_locations():
    # test_placement.test_kmn_bound_with_shared_locations: four locations, each a cheap
    # option (1 USD, 2 people) or a big one (10 USD, the same 2 + 15 more); budget 40.
    # The optimum is the four big (68). The greedy reaches it by upgrading (before it
    # upgraded site types it ended with one big option, 17 people); local search keeps it.
    rows, cost, location = [], [], []
    for q in range(4):
        rows += [[2 * q], [2 * q, 2 * q + 1]]
        cost += [1.0, 10.0]
        location += [q, q]
    weight = [2.0, 15.0] * 4
    opt, opt_set = brute_force(rows, weight, cost, location, 40.0)
    assert opt == 68.0
    inst, sel = run(rows, weight, cost, location, 40.0)
    assert select_greedy(inst, budget_usd=40.0).people == 68.0
    assert sel.people == opt
    assert sorted(sel.chosen.tolist()) == sorted(opt_set) == [1, 3, 5, 7]
    check_feasible(inst, sel, 40.0)


def test_fixes_greedy_budget_for_everything_with_site_types():
    # test_placement.test_budget_for_everything_with_site_types_per_location: two
    # locations, each a light pole (1 USD, {a, b}) or a tower (3 USD, {a, b, c}).
    rows = [[0, 1], [0, 1, 2], [3, 4], [3, 4, 5]]
    cost = [1.0, 3.0, 1.0, 3.0]
    location = [0, 0, 1, 1]
    weight = [1.0] * 6
    inst, sel = run(rows, weight, cost, location, sum(cost))
    assert select_greedy(inst, budget_usd=sum(cost)).people == 6.0  # by upgrading
    assert sel.people == 6.0 == brute_force(rows, weight, cost, location, sum(cost))[0]
    assert sorted(sel.chosen.tolist()) == [1, 3]


def test_change_type_move_is_required():
    # Location 0: light {0, 1} for 1 USD or macro {0, 1, 2, 3} for 3 USD; location 1: a
    # light {4, 5} for 1 USD. Budget 4. From both lights (2 people/USD; the greedy's
    # choice before it upgraded site types) 2 USD are left that buy nothing new.
    # No ADD fits, no SWAP to a free location exists (there is none), dropping the
    # location-1 light frees money but its location stays its own: only the type
    # change light -> macro at location 0 (+2 people, +2 USD) reaches the optimum.
    # (The greedy itself now makes that upgrade; local search starts from both lights.)
    rows = [[0, 1], [0, 1, 2, 3], [4, 5]]
    cost = [1.0, 3.0, 1.0]
    location = [0, 0, 1]
    weight = [1.0] * 6
    inst = make_instance(rows, weight, cost, location)
    greedy = select_greedy(inst, budget_usd=4.0)
    assert sorted(greedy.chosen.tolist()) == [1, 2] and greedy.people == 6.0
    res = improve(inst, np.array([0, 2]), budget_usd=4.0)
    assert res.moves == {
        "add": 0,
        "change": 1,
        "swap": 0,
        "drop": 0,
        "make_room": 0,
        "drop_refill": 0,
        "force_add": 0,
    }
    assert res.chosen.tolist() == [1, 2]
    assert res.status == "local_optimum"
    sel = select_local_search(inst, budget_usd=4.0)
    assert sel.people == 6.0 == brute_force(rows, weight, cost, location, 4.0)[0]
    assert sel.chosen.tolist() == [2, 1]  # rollout: the light (2 people/USD) first


def test_swap_move_to_a_free_location():
    # Budget 2.5. The greedy takes options 0 and 2 (3 people for 1 USD each) and has
    # 0.5 USD left; option 1 (4 people for 1.5 USD, a lower ratio) no longer fits, and
    # alone it covers fewer than the greedy's 6. Swapping 0 (the lower id of the two
    # equal candidates) for 1 adds a person: the optimum.
    rows = [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9]]
    cost = [1.0, 1.5, 1.0]
    location = [0, 1, 2]
    weight = [1.0] * 10
    inst = make_instance(rows, weight, cost, location)
    greedy = select_greedy(inst, budget_usd=2.5)
    assert sorted(greedy.chosen.tolist()) == [0, 2] and greedy.people == 6.0
    res = improve(inst, np.sort(greedy.chosen), budget_usd=2.5)
    assert res.moves == {
        "add": 0,
        "change": 0,
        "swap": 1,
        "drop": 0,
        "make_room": 0,
        "drop_refill": 0,
        "force_add": 0,
    }
    assert res.chosen.tolist() == [1, 2]
    assert inst.coverage_of(res.chosen) == 7.0 == brute_force(rows, weight, cost, location, 2.5)[0]


def test_make_room_for_a_dearer_option():
    # Three lights (1 USD, 2 people each; best ratio) and a macro (3 USD, 5 people).
    # Budget 4: the greedy buys the lights (6 people) and has 1 USD left. No swap fits
    # the macro (1 USD refunded + 1 left < 3) and alone it covers fewer than 6; adding it
    # and dropping two lights (the lowest ids of equal candidates) gives 7, the optimum.
    rows = [[0], [1], [2], [3, 4, 5, 6, 7]]
    weight = [2.0, 2.0, 2.0] + [1.0] * 5
    cost = [1.0, 1.0, 1.0, 3.0]
    location = [0, 1, 2, 3]
    inst = make_instance(rows, weight, cost, location)
    greedy = select_greedy(inst, budget_usd=4.0)
    assert sorted(greedy.chosen.tolist()) == [0, 1, 2] and greedy.people == 6.0
    res = improve(inst, np.sort(greedy.chosen), budget_usd=4.0)
    assert res.moves == {
        "add": 0,
        "change": 0,
        "swap": 0,
        "drop": 0,
        "make_room": 1,
        "drop_refill": 0,
        "force_add": 0,
    }
    assert res.chosen.tolist() == [2, 3]
    assert inst.coverage_of(res.chosen) == 7.0 == brute_force(rows, weight, cost, location, 4.0)[0]


def test_make_room_drops_what_covers_nobody_alone_first():
    # Options 1 and 2 cover only cells option 0 covers too; option 3 (2 USD, 2 new
    # people) fits neither one's refund: making room for 3 drops them, losing nobody.
    rows = [[0, 1, 2], [1], [2], [3, 4]]
    inst = make_instance(rows, [1.0] * 5, [1.0, 1.0, 1.0, 2.0], [0, 1, 2, 3])
    res = improve(inst, np.array([0, 1, 2]), budget_usd=3.0)
    assert res.moves == {
        "add": 0,
        "change": 0,
        "swap": 0,
        "drop": 0,
        "make_room": 1,
        "drop_refill": 0,
        "force_add": 0,
    }
    assert res.chosen.tolist() == [0, 3]
    assert inst.coverage_of(res.chosen) == 5.0


def test_drop_what_covers_nobody_alone():
    # Nothing left to buy; option 1 only covers what option 0 covers: it goes, same
    # people for less money.
    inst = make_instance([[0, 1], [1]], [1.0, 1.0], [1.0, 1.0], [0, 1])
    res = improve(inst, np.array([0, 1]), budget_usd=2.0)
    assert res.moves == {
        "add": 0,
        "change": 0,
        "swap": 0,
        "drop": 1,
        "make_room": 0,
        "drop_refill": 0,
        "force_add": 0,
    }
    assert res.chosen.tolist() == [0]


# --------------------------------------------------------------------------- local optimum


def assert_local_optimum(rows, weight, cost, location, budget, chosen):
    """No ADD, CHANGE TYPE or SWAP adds people; every chosen option covers someone alone.

    (MAKE ROOM is greedy in what it drops, so it has no simple brute-force check.)"""
    chosen = set(chosen)
    base = coverage(rows, weight, chosen)
    spent = sum(cost[i] for i in chosen)
    used = {location[i] for i in chosen}
    tol = 1e-9 * sum(weight)  # the kernel ignores changes below 1e-11 of all people
    limit = budget * (1 + 1e-12)
    for i in range(len(rows)):
        if i in chosen:
            continue
        if location[i] not in used and spent + cost[i] <= limit:
            assert coverage(rows, weight, chosen | {i}) <= base + tol, f"ADD {i}"
        for j in chosen:
            if location[i] in used and location[i] != location[j]:
                continue
            if spent - cost[j] + cost[i] > limit:
                continue
            got = coverage(rows, weight, (chosen - {j}) | {i})
            assert got <= base + tol, f"{j} -> {i} gains {got - base}"
    for j in chosen:
        # (a drop losing a rounding error is undone when it loses against the start)
        assert coverage(rows, weight, chosen - {j}) < base, f"{j} covers nobody alone"


@pytest.mark.parametrize("seed", range(12))
def test_result_is_a_local_optimum(seed):
    rows, weight, cost, location = disc_instance(seed, n_loc=25, side=20)
    rng = np.random.default_rng(seed)
    budget = float(rng.uniform(0.05, 0.6) * sum(cost))
    inst, sel = run(rows, weight, cost, location, budget)
    assert sel.status == "local_optimum"
    check_feasible(inst, sel, budget)
    assert_local_optimum(rows, weight, cost, location, budget, sel.chosen.tolist())


# Found by Hypothesis: dropping option 14 loses 7e-12 people (rounding); the search
# drops it, and the result must not fall back to the start that still holds it.
_ROUNDING_DROP = (
    [[0, 1, 2, 3, 4], *([[]] * 13), [3]],
    [0.0, 0.0, 0.0, 1.0, 7.2190749088542296e-12],
    [2.0] + [1.0] * 14,
    [0, 1, 2, 3, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7],
    3.0,
)


@settings(max_examples=60, deadline=None)
@given(inst=typed_instances(max_options=16, max_cells=20))
@example(inst=_ROUNDING_DROP)
def test_result_is_a_local_optimum_hypothesis(inst):
    rows, weight, cost, location, budget = inst
    _, sel = run(rows, weight, cost, location, budget)
    assert_local_optimum(rows, weight, cost, location, budget, sel.chosen.tolist())


@pytest.mark.parametrize("seed", range(6))
def test_no_move_loses_people_or_breaks_the_budget(seed):
    # Move by move (max_moves=1 from the previous result): people never go down beyond
    # rounding, the budget and the one-per-location rule hold, and the search ends.
    rows, weight, cost, location = disc_instance(seed, n_loc=30, side=24)
    inst = make_instance(rows, weight, cost, location)
    tol = 1e-9 * sum(weight)
    for budget in (0.05 * sum(cost), 0.3 * sum(cost), everything_budget(inst)):
        chosen = np.sort(select_greedy(inst, budget_usd=budget).chosen)
        people = inst.coverage_of(chosen)
        cost_before = inst.cost_usd[chosen].sum()
        for _ in range(2000):
            res = improve(inst, chosen, budget_usd=budget, max_moves=1)
            got = inst.coverage_of(res.chosen)
            assert got >= people - tol, res.moves
            assert inst.cost_usd[res.chosen].sum() <= budget * (1 + 1e-12)
            assert np.unique(inst.location[res.chosen]).size == res.chosen.size
            if res.status == "local_optimum":
                break
            cost_now = inst.cost_usd[res.chosen].sum()
            # a move gains people, or keeps them and saves money
            assert got > people + tol * 1e-3 or cost_now < cost_before, res.moves
            chosen, people, cost_before = res.chosen, got, cost_now
        else:
            raise AssertionError("no local optimum after 2000 moves")


# --------------------------------------------------------------------------- the API


def test_beats_greedy_on_disc_instances():
    better = 0
    for seed in range(8):
        rows, weight, cost, location = disc_instance(seed)
        inst = make_instance(rows, weight, cost, location)
        budget = 0.2 * sum(cost)
        greedy = select_greedy(inst, budget_usd=budget)
        sel = select_local_search(inst, budget_usd=budget)
        check_feasible(inst, sel, budget)
        assert sel.method == "local-search"
        assert sel.people >= greedy.people
        better += sel.people > greedy.people + TOL
    assert better >= 4


def test_deterministic():
    rows, weight, cost, location = disc_instance(3, n_loc=60)
    budget = 0.15 * sum(cost)
    runs = []
    for _ in range(2):
        inst = make_instance(rows, list(weight), list(cost), list(location))
        sel = select_local_search(inst, budget_usd=budget)
        runs.append((sel.chosen.tolist(), sel.marginal_people.tolist(), sel.people))
    assert runs[0] == runs[1]
    # Ties: identical options at identical cost; the lower id is kept.
    rows = [[0, 1], [0, 1], [2], [2]]
    inst = make_instance(rows, [1.0] * 3, [1.0] * 4, [0, 1, 2, 3])
    for _ in range(3):
        assert select_local_search(inst, budget_usd=2.0).chosen.tolist() == [0, 2]


def test_start_is_improved_and_never_worsened():
    rows, weight, cost, location = disc_instance(5)
    inst = make_instance(rows, weight, cost, location)
    budget = 0.1 * sum(cost)
    # From nothing the search is a greedy fill followed by exchanges.
    empty = select_local_search(inst, budget_usd=budget, start=np.zeros(0, dtype=np.int64))
    check_feasible(inst, empty, budget)
    assert empty.people > 0
    # max_moves=0 returns the start, in rollout order.
    greedy = select_greedy(inst, budget_usd=budget)
    same = select_local_search(inst, budget_usd=budget, start=greedy, max_moves=0)
    assert same.status == "move_limit"
    assert sorted(same.chosen.tolist()) == sorted(greedy.chosen.tolist())
    assert same.people == pytest.approx(greedy.people)
    # A tiny time limit stops early, still feasible and no worse than the start.
    quick = select_local_search(inst, budget_usd=budget, start=greedy, time_limit_s=1e-9)
    assert quick.status == "time_limit"
    check_feasible(inst, quick, budget)
    assert quick.people >= greedy.people - TOL


@pytest.mark.parametrize(
    ("start", "match"),
    [
        ([0, 0], "repeat"),
        ([0, 1], "share a location"),
        ([99], "lie in"),
        ([1, 3, 5], "budget_usd"),
    ],
)
def test_infeasible_start_raises(start, match):
    rows = [[0], [0, 1], [2], [2, 3], [4], [4, 5]]
    inst = make_instance(rows, [1.0] * 6, [1.0, 3.0] * 3, [0, 0, 1, 1, 2, 2])
    with pytest.raises(PlacementError, match=match):
        select_local_search(inst, budget_usd=8.0, start=np.array(start))


@pytest.mark.parametrize("kw", [{"budget_usd": 0.5}, {"budget_usd": float("nan")}])
def test_bad_budget_raises(kw):
    inst = make_instance([[0]], [1.0], [1.0], [0])
    with pytest.raises(PlacementError):
        select_local_search(inst, **kw)


@pytest.mark.parametrize("limit", [0.0, -1.0, float("inf")])
def test_bad_time_limit_raises(limit):
    inst = make_instance([[0]], [1.0], [1.0], [0])
    with pytest.raises(PlacementError, match="time_limit_s"):
        select_local_search(inst, budget_usd=1.0, time_limit_s=limit)


def test_repeated_cells_in_a_row_count_once():
    # Option 0 lists cell 0 three times: worth 1 person, not 3.
    inst = CoverageInstance.from_arrays(
        indptr=np.array([0, 3, 5]),
        indices=np.array([0, 0, 0, 1, 2]),
        weight=np.ones(3),
        cost_usd=np.array([1.0, 1.0]),
        location=np.array([0, 1]),
    )
    sel = select_local_search(inst, budget_usd=1.0, start=np.array([0]))
    assert sel.chosen.tolist() == [1] and sel.people == 2.0


# --------------------------------------------------------------------------- budget curve


def check_curve(inst: CoverageInstance, curve: BudgetCurve) -> None:
    assert isinstance(curve, BudgetCurve)
    n = curve.budget_usd.size
    for a in (curve.people, curve.cost_usd, curve.sites):
        assert a.shape == (n,)
    assert (np.diff(curve.budget_usd) >= 0).all()
    assert (np.diff(curve.people) >= 0).all(), curve.people
    assert (curve.cost_usd <= curve.budget_usd * (1 + TOL)).all()
    assert (curve.people <= inst.weight.sum() * (1 + TOL)).all()
    assert ((curve.sites == 0) == (curve.cost_usd == 0)).all()
    # each point keeps its choice: the options whose people, cost and count it reports
    assert len(curve.chosen) == n
    for k, chosen in enumerate(curve.chosen):
        assert chosen.size == curve.sites[k] == np.unique(chosen).size
        assert np.unique(inst.location[chosen]).size == chosen.size
        assert inst.cost_usd[chosen].sum() == pytest.approx(curve.cost_usd[k], rel=1e-12)
        if not inst.capped:  # (capped: the people the sites serve within capacity)
            assert inst.coverage_of(chosen) == pytest.approx(curve.people[k], rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(inst=typed_instances(), method=st.sampled_from(["greedy", "local-search"]))
def test_curve_monotone_and_within_budget(inst, method):
    rows, weight, cost, location, _ = inst
    i = make_instance(rows, weight, cost, location)
    curve = budget_curve(i, n_points=7, method=method)
    check_curve(i, curve)
    assert curve.budget_usd[0] == pytest.approx(min(cost))
    assert curve.method == method
    for b, p in zip(curve.budget_usd, curve.people, strict=True):
        opt, _ = brute_force(rows, weight, cost, location, b)
        assert p <= opt + TOL
        if method == "local-search":
            assert p >= select_greedy(i, budget_usd=b).people - TOL
            assert p >= KMN_RATIO * opt - TOL


@pytest.mark.parametrize("seed", range(40))
def test_greedy_curve_is_the_move_sequence(seed):
    rng = np.random.default_rng(seed)
    rows, weight, cost, location, _ = random_typed_instance(rng)
    inst = make_instance(rows, weight, cost, location)
    budgets = np.sort(rng.uniform(0.5 * min(cost), 1.2 * sum(cost), 9))
    curve = budget_curve(inst, budgets_usd=budgets, method="greedy")
    check_curve(inst, curve)
    # The plain (non-lazy) greedy's moves: exactly the kernel's where the site types are
    # nested (the lazy evaluation is exact there; random_typed_instance mostly is).
    moves = ref_moves(rows, weight, cost, location, everything_budget(inst))
    exact = is_nested(rows, cost, location)
    for b, p, c, s in zip(budgets, curve.people, curve.cost_usd, curve.sites, strict=True):
        if exact:
            k = 0
            while k < len(moves) and sum(x for _, x in moves[: k + 1]) <= b:
                k += 1
            standing = built(moves[:k], location)
            want = coverage(rows, weight, standing)
            alone = [coverage(rows, weight, [i]) for i in range(len(rows)) if cost[i] <= b]
            assert p == pytest.approx(max(want, *alone, 0.0))
            if want >= max(alone, default=0.0):
                assert s == len(standing)
                assert c == pytest.approx(sum(cost[i] for i in standing))
        # a lower bound on the greedy at that budget
        if b >= min(cost):
            assert p <= select_greedy(inst, budget_usd=b).people + TOL


def test_curve_on_disc_instance_and_its_defaults():
    rows, weight, cost, location = disc_instance(11, n_loc=50)
    inst = make_instance(rows, weight, cost, location)
    ls = budget_curve(inst, n_points=12)
    gr = budget_curve(inst, n_points=12, method="greedy")
    check_curve(inst, ls)
    check_curve(inst, gr)
    assert ls.method == "local-search" and ls.budget_usd.size == 12
    ratios = ls.budget_usd[1:] / ls.budget_usd[:-1]
    np.testing.assert_allclose(ratios, ratios[0])  # geometric
    assert ls.budget_usd[0] == pytest.approx(min(cost))
    top = select_greedy(inst, budget_usd=everything_budget(inst)).cost_usd
    assert ls.budget_usd[-1] >= top * (1 - 1e-12)
    # Local search is at least the greedy everywhere and better somewhere.
    at = budget_curve(inst, budgets_usd=ls.budget_usd, method="greedy")
    assert (ls.people >= at.people - TOL).all()
    assert (ls.people > at.people + TOL).any()
    # The top of the local-search curve covers every person any option can reach.
    reachable = inst.weight[inst.covered(np.arange(inst.n_options))].sum()
    assert ls.people[-1] == pytest.approx(reachable)


def test_curve_upgrades_site_types():
    rows = [[0, 1], [0, 1, 2], [3, 4], [3, 4, 5]]
    inst = make_instance(rows, [1.0] * 6, [1.0, 3.0, 1.0, 3.0], [0, 0, 1, 1])
    ls = budget_curve(inst, budgets_usd=[1.0, 2.0, 4.0, 6.0, 8.0])
    gr = budget_curve(inst, budgets_usd=[1.0, 2.0, 4.0, 6.0, 8.0], method="greedy")
    assert ls.people.tolist() == [2.0, 4.0, 5.0, 6.0, 6.0]
    # The greedy upgrades too now (before, it stayed at the two poles: 4 people).
    assert gr.people.tolist() == [2.0, 4.0, 5.0, 6.0, 6.0]
    assert gr.sites.tolist() == [1, 2, 2, 2, 2]
    assert ls.cost_usd.tolist() == [1.0, 2.0, 4.0, 6.0, 6.0]
    assert ls.sites.tolist() == [1, 2, 2, 2, 2]


def test_curve_budgets_below_cheapest_and_unsorted():
    inst = make_instance([[0], [1, 2]], [1.0, 1.0, 1.0], [2.0, 3.0], [0, 1])
    for method in ("greedy", "local-search"):
        curve = budget_curve(inst, budgets_usd=[10.0, 1.0, 3.0], method=method)
        assert curve.budget_usd.tolist() == [1.0, 3.0, 10.0]
        assert curve.people.tolist() == [0.0, 2.0, 3.0]
        assert curve.sites.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"method": "milp"}, "method"),
        ({"budgets_usd": []}, "empty"),
        ({"budgets_usd": [1.0, -2.0]}, "> 0"),
        ({"budgets_usd": [float("nan")]}, "> 0"),
        ({"n_points": 0}, "n_points"),
    ],
)
def test_curve_bad_arguments_raise(kw, match):
    inst = make_instance([[0]], [1.0], [1.0], [0])
    with pytest.raises(PlacementError, match=match):
        budget_curve(inst, **kw)


# --------------------------------------------------------------------------- merged cells


def expand_cells(rows, weight, copies):
    """Every cell k becomes ``copies[k]`` cells with k's weight and rows: merging has
    work to do, and the optimum is that of the weights times the copies."""
    first = np.concatenate(([0], np.cumsum(copies)))
    new_rows = [[int(first[k]) + c for k in r for c in range(copies[k])] for r in rows]
    new_weight = [w for k, w in enumerate(weight) for _ in range(copies[k])]
    return new_rows, new_weight


# Found by Hypothesis in CI: option 1 covers 4e-150 people (of 1); the search drops it as
# people-neutral, which its contract allows (never below the start by more than its
# rounding tolerance, 1e-11 of all people).
_NEGLIGIBLE_DROP = ([[], [1]], [0.0, 4.074331980417829e-150, 1.0], [1.0, 1.0], [0, 1], 1.0)


@settings(max_examples=120, deadline=None)
@given(inst=typed_instances(max_options=14, max_cells=12), data=st.data())
def test_merged_search_matches_the_unmerged_search(inst, data):
    """From the same start, the search on merged cells (what select_local_search runs)
    and on the cells as they are reach the same people; with integer weights every sum
    is exact, so they make the very same moves and choice. Where float sums make a tie
    go the other way, the merged result is still a local optimum of the original."""
    n = len(inst[1])
    copies = data.draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    assert_merged_matches_unmerged(inst, copies)


def test_merged_search_may_drop_a_negligible_option():
    assert_merged_matches_unmerged(_NEGLIGIBLE_DROP, [1, 1, 1])


def assert_merged_matches_unmerged(inst, copies):
    rows, weight, cost, location, budget = inst
    rows, weight = expand_cells(rows, weight, copies)
    i = make_instance(rows, weight, cost, location)
    start = select_greedy(i, budget_usd=budget)
    merged = select_local_search(i, budget_usd=budget, start=start)
    check_feasible(i, merged, budget)
    people_tol = 1e-11 * float(np.sum(weight))
    assert merged.people >= i.coverage_of(start.chosen) - people_tol
    plain = improve(
        i,
        np.sort(start.chosen),
        budget_usd=budget,
        prepared=prepare(i, merge=False),
    )
    plain_people = i.coverage_of(plain.chosen)
    if all(float(w).is_integer() for w in weight):
        assert np.sort(merged.chosen).tolist() == plain.chosen.tolist()
        assert merged.people == plain_people
    elif abs(merged.people - plain_people) > 1e-9 * max(plain_people, 1.0):
        assert_local_optimum(rows, weight, cost, location, budget, merged.chosen.tolist())
    # from the greedy on the merged cells (start=None): the same greedy choice
    if all(float(w).is_integer() for w in weight):
        again = select_local_search(i, budget_usd=budget)
        assert again.chosen.tolist() == merged.chosen.tolist()


@pytest.mark.parametrize("seed", range(6))
def test_merged_search_on_disc_instances(seed):
    """Disc coverage (most cells share a pattern), integer people: the merged search
    makes the same choice as the unmerged one at several budgets."""
    rows, weight, cost, location = disc_instance(seed, n_loc=30, side=24)
    weight = np.round(np.asarray(weight) * 10.0).tolist()
    inst = make_instance(rows, weight, cost, location)
    plain_prep = prepare(inst, merge=False)
    merged_prep = prepare(inst)
    assert merged_prep.ridx.size < plain_prep.ridx.size / 1.5
    for share in (0.05, 0.2, 0.5):
        budget = share * sum(cost)
        start = np.sort(select_greedy(inst, budget_usd=budget).chosen)
        a = improve(inst, start, budget_usd=budget, prepared=plain_prep)
        b = improve(inst, start, budget_usd=budget, prepared=merged_prep)
        c = improve(inst, start, budget_usd=budget)  # prepares (merges) by itself
        assert a.chosen.tolist() == b.chosen.tolist() == c.chosen.tolist()
        assert a.moves == b.moves
        sel = select_local_search(inst, budget_usd=budget, start=start)
        assert np.sort(sel.chosen).tolist() == a.chosen.tolist()
        check_feasible(inst, sel, budget)


def test_curve_on_merged_cells_is_the_unmerged_curve(monkeypatch):
    """Integer people: the local-search budget curve over merged cells is the curve
    without merging."""
    import rural_plan.placement.sweep as sweep_mod

    rows, weight, cost, location = disc_instance(4, n_loc=30, side=24)
    weight = np.round(np.asarray(weight) * 10.0).tolist()
    inst = make_instance(rows, weight, cost, location)
    merged = budget_curve(inst, n_points=9)
    monkeypatch.setattr(sweep_mod, "merged_instance", lambda instance: instance)
    plain = budget_curve(inst, n_points=9)
    for a, b in ((merged.budget_usd, plain.budget_usd), (merged.people, plain.people)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(merged.sites, plain.sites)


def python_rollout(inst: CoverageInstance, chosen):
    """Plain reference: each step the option with most new people per dollar, ties to
    the earlier in ``chosen``."""
    chosen = [int(i) for i in chosen]
    covered: set[int] = set()
    order, gains = [], []
    while chosen:
        best, best_key, best_gain = -1, -math.inf, 0.0
        for i in chosen:
            g = sum(float(inst.weight[k]) for k in set(inst.row(i).tolist()) - covered)
            if g / inst.cost_usd[i] > best_key:
                best, best_key, best_gain = i, g / inst.cost_usd[i], g
        chosen.remove(best)
        covered.update(inst.row(best).tolist())
        order.append(best)
        gains.append(best_gain)
    return order, gains


@settings(max_examples=100, deadline=None)
@given(inst=typed_instances(max_options=14, max_cells=14), data=st.data())
def test_rollout_kernel_matches_reference(inst, data):
    rows, weight, cost, location, _ = inst
    i = make_instance(rows, [float(int(w)) for w in weight], cost, location)
    chosen = data.draw(st.lists(st.integers(0, i.n_options - 1), unique=True))
    order, gains = rollout(i, chosen)
    want_order, want_gains = python_rollout(i, chosen)
    assert order.tolist() == want_order
    assert gains.tolist() == want_gains
