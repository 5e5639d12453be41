"""Money over time: the yearly rollout (order, budget, backhaul before its children) and
the cash flow (by hand, against the plan's own net present cost, the break-even price
paying exactly the cost); and the plan's cashflow.csv and rollout years."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rural_plan.costing.cashflow import cash_flow, rollout
from rural_plan.costing.npv import net_present_cost


def test_without_a_yearly_budget_everything_is_built_in_year_one():
    r = rollout(
        np.array([5.0, 7.0]), np.array([1.0, 2.0]), np.array([9.0, 9.0]), np.array([-1, -1]), None
    )
    assert r.year.tolist() == [1, 1] and r.years == 1


def test_most_people_per_dollar_first_and_a_parent_before_its_child():
    capex = np.array([60.0, 50.0, 40.0, 30.0])
    people = np.array([100.0, 400.0, 300.0, 90.0])
    tco = np.array([100.0, 100.0, 100.0, 100.0])
    parent = np.array([-1, 0, -1, -1])  # site 1 (the best) hangs off site 0
    r = rollout(capex, people, tco, parent, per_year_usd=100.0)
    # year 1: site 1 waits for site 0; site 2 (300/100) then site 0 (100/100): 40 + 60;
    # year 2: site 1 (50) and site 3 (30)
    assert r.year.tolist() == [1, 2, 1, 2]
    assert r.over_budget_years == ()


def test_a_site_above_the_yearly_budget_is_built_alone_and_said():
    r = rollout(
        np.array([250.0, 10.0]),
        np.array([500.0, 1.0]),
        np.array([300.0, 20.0]),
        np.array([-1, -1]),
        per_year_usd=100.0,
    )
    assert r.year.tolist() == [2, 1] or r.year.tolist() == [1, 2]
    assert len(r.over_budget_years) == 1
    assert r.year[0] == r.over_budget_years[0]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 12),
    seed=st.integers(0, 10_000),
    budget=st.floats(20.0, 500.0),
)
def test_rollout_properties(n, seed, budget):
    rng = np.random.default_rng(seed)
    capex = rng.uniform(10.0, 200.0, n)
    people = rng.uniform(0.0, 1_000.0, n)
    tco = capex * rng.uniform(1.5, 3.0, n)
    parent = np.array([int(rng.integers(-1, i)) if i else -1 for i in range(n)])
    r = rollout(capex, people, tco, parent, budget)
    assert (r.year >= 1).all()
    for i in range(n):
        if parent[i] >= 0:
            assert r.year[parent[i]] <= r.year[i]
    for y in range(1, r.years + 1):
        spent = capex[r.year == y].sum()
        if y in r.over_budget_years:
            assert (r.year == y).sum() == 1 and spent > budget
        else:
            assert spent <= budget * (1 + 1e-9)


def test_cash_flow_by_hand():
    # one site: 1,000 USD now, 100 USD a year, 10 people, half subscribe at 2 USD a month
    f = cash_flow(
        np.array([1]),
        np.array([1_000.0]),
        np.array([100.0]),
        np.array([10.0]),
        horizon_years=3,
        discount_rate=0.0,
        adoption_share=0.5,
        arpu_usd_per_month=2.0,
    )
    assert [r["revenue_usd"] for r in f.rows] == [120.0, 120.0, 120.0]
    assert [r["net_cash_usd"] for r in f.rows] == [-980.0, 20.0, 20.0]
    assert [r["cumulative_net_cash_usd"] for r in f.rows] == [-980.0, -960.0, -940.0]
    assert [r["subsidy_gap_usd"] for r in f.rows] == [980.0, 0.0, 0.0]
    assert f.payback_year is None
    assert f.phased_npv_cost_usd == pytest.approx(1_300.0)
    # 1,300 USD over 5 subscribers × 36 months
    assert f.break_even_price_usd_per_month == pytest.approx(1_300.0 / (5 * 36))


def test_all_in_year_one_costs_the_plans_net_present_cost_and_break_even_pays_it():
    rng = np.random.default_rng(1)
    capex, opex = rng.uniform(1e4, 5e4, 6), rng.uniform(1e3, 5e3, 6)
    people = rng.uniform(100, 2_000, 6)
    kw = dict(horizon_years=10, discount_rate=0.08, adoption_share=0.43)
    f = cash_flow(np.ones(6, dtype=int), capex, opex, people, arpu_usd_per_month=None, **kw)
    tco = net_present_cost(capex.sum(), opex.sum(), horizon_years=10, discount_rate=0.08)
    assert f.phased_npv_cost_usd == pytest.approx(tco, rel=1e-12)
    assert f.payback_year is None and f.subsidy_gap_npv_usd is None
    # at the break-even price the discounted net cash over the horizon is zero
    price = f.break_even_price_usd_per_month
    at_price = cash_flow(np.ones(6, dtype=int), capex, opex, people, arpu_usd_per_month=price, **kw)
    assert sum(r["discounted_net_cash_usd"] for r in at_price.rows) == pytest.approx(0.0, abs=1e-3)
    assert at_price.discounted_payback_year == 10


def test_a_phased_plan_writes_its_years(tmp_path):
    from rural_plan.api import plan
    from rural_plan.report.writer import write_results
    from tests.support import small_scenario

    p = plan(
        small_scenario(
            tmp_path,
            budget__per_year_usd=60_000,
            cost__arpu_usd_per_month=3.0,
            cost__gni_per_capita_usd=1_500.0,
        )
    )
    out = write_results(p, tmp_path / "out")
    s = json.loads((out / "summary.json").read_text())
    rows = list(csv.DictReader((out / "cashflow.csv").open()))
    assert len(rows) == p.scenario.cost.horizon_years
    assert sum(float(r["capex_usd"]) for r in rows) == pytest.approx(s["capex_usd"], rel=1e-6)
    sites = json.loads((out / "sites.geojson").read_text())["features"]
    years = [f["properties"]["rollout_year"] for f in sites]
    assert max(years) == s["rollout_years"] > 1
    for y in range(1, s["rollout_years"] + 1):
        built = [f for f in sites if f["properties"]["rollout_year"] == y]
        spent = sum(
            f["properties"]["capex_usd"] + f["properties"]["backhaul_capex_usd"] for f in built
        )
        assert spent <= 60_000 * (1 + 1e-6) or y in s["rollout_over_budget_years"]
    assert s["phased_npv_cost_usd"] < s["tco_usd"]  # building later costs less today
    share = s["break_even_price_share_of_monthly_gni"]
    assert share == pytest.approx(s["break_even_price_usd_per_month"] / (1_500.0 / 12), rel=1e-4)
    assert '<section id="money">' in (out / "report.html").read_text()
