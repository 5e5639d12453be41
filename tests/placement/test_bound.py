"""The plan's certified gap: the upper bound is never below the exact optimum (HiGHS
MILP on small random instances, brute force on tiny ones) nor below the plan, its
multiple-choice knapsack LP against scipy's linprog; local search with its kicks against
the MILP's optimum on disc instances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from rural_plan.placement import _bound as kb
from rural_plan.placement.bound import upper_bound
from rural_plan.placement.local_search import improve, prepare, select_local_search
from rural_plan.placement.milp import select_milp
from rural_plan.placement.sweep import everything_budget
from tests.placement.test_local_search import disc_instance
from tests.placement.test_milp import random_budget, random_tiny
from tests.support import make_instance

REL = 1e-9


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_bound_is_at_least_the_milp_optimum_and_the_plan(seed):
    inst = random_tiny(seed, max_options=14)
    budget = random_budget(inst, seed)
    opt = select_milp(inst, budget_usd=budget, mip_rel_gap=0.0)
    assert opt.status == "optimal"
    ls = select_local_search(inst, budget_usd=budget, certify=True)
    assert ls.bound is not None and ls.gap is not None
    assert ls.bound >= opt.people * (1 - REL) - 1e-9
    assert ls.bound >= ls.people
    assert ls.people <= opt.people * (1 + REL) + 1e-9
    assert 0.0 <= ls.gap <= 1.0
    # the bound of any feasible choice (here the MILP's) holds too
    assert upper_bound(inst, budget_usd=budget, chosen=opt.chosen) >= opt.people * (1 - REL)


def _mckp_reference(profit, cost, location, budget) -> float:
    """The multiple-choice knapsack LP by scipy's linprog (HiGHS)."""
    n = cost.size
    locs = np.unique(location)
    a_loc = (location[None, :] == locs[:, None]).astype(float)
    ok = cost <= budget
    res = linprog(
        -profit,
        A_ub=np.vstack([cost[None, :], a_loc]),
        b_ub=np.concatenate([[budget], np.ones(locs.size)]),
        bounds=[(0, 1 if ok[i] else 0) for i in range(n)],
        method="highs",
    )
    assert res.status == 0
    return -res.fun


@settings(max_examples=80, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 4), st.floats(0, 50), st.floats(0.5, 20)), min_size=1, max_size=12
    ),
    budget=st.floats(0.5, 60),
)
def test_mckp_lp_matches_linprog(data, budget):
    location = np.array([d[0] for d in data], dtype=np.int64)
    profit = np.array([d[1] for d in data])
    cost = np.array([d[2] for d in data])
    order = np.argsort(location, kind="stable")
    counts = np.bincount(location, minlength=5)
    lptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    n = cost.size
    x = np.empty(n)
    got = kb.mckp_lp(
        profit,
        cost,
        lptr,
        order.astype(np.int64),
        budget,
        x,
        np.empty(n, dtype=np.int64),
        np.empty(n),
        np.empty(n),
        np.empty(n),
    )
    want = _mckp_reference(profit, cost, location, budget)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-7)
    # x is a feasible LP point with that value
    assert (x >= -1e-12).all()
    assert float(cost @ x) <= budget * (1 + 1e-9)
    assert float(profit @ x) == pytest.approx(got, rel=1e-9, abs=1e-7)
    for loc in range(5):
        assert x[location == loc].sum() <= 1 + 1e-9


def test_bound_is_tight_when_everything_fits():
    rows, weight, cost, location = disc_instance(3, n_loc=12)
    inst = make_instance(rows, weight, cost, location)
    sel = select_local_search(inst, budget_usd=everything_budget(inst), certify=True)
    assert sel.gap == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_local_search_near_the_milp_optimum_on_disc_instances(seed):
    """Light and macro site per location, clustered people; a tenth of the everything
    budget. Measured: without the kicks 0 / 0 / 2.94 / 0 / 1.51 / 0.12 / 0 / 0.44 %
    below the optimum, with them 0 on all but seed 5 (0.12 %); certified gaps
    0.28-2.45 %."""
    rows, weight, cost, location = disc_instance(seed)
    inst = make_instance(rows, weight, cost, location)
    budget = 0.1 * everything_budget(inst)
    opt = select_milp(inst, budget_usd=budget, mip_rel_gap=0.0)
    assert opt.status == "optimal"
    ls = select_local_search(inst, budget_usd=budget, certify=True)
    plain = improve(
        inst,
        select_local_search(inst, budget_usd=budget, max_moves=0).chosen,
        budget_usd=budget,
        prepared=prepare(inst),
        kicks=False,
    )
    assert ls.people >= inst.coverage_of(plain.chosen) - 1e-9
    assert ls.people >= opt.people * (1 - 2e-3)
    assert opt.people <= ls.bound * (1 + REL)
