"""The choices side by side: each alternative is the scenario with one site type or one
backhaul type, planned from the same coverage as the plan, and adds up like a plan."""

from __future__ import annotations

import csv

import pytest

from rural_plan.api import Plan, plan
from rural_plan.report.writer import write_results
from tests.support import small_scenario


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("alternatives")
    types = {
        "light_pole": {"mast_height_m": 15, "eirp_dbm": 56, "power_w": 150},
        "macro_tower": {"mast_height_m": 35, "eirp_dbm": 62, "power_w": 2500},
    }
    p = plan(small_scenario(tmp, outputs__alternatives=True, site_types=types))
    return p, write_results(p, tmp / "out")


def test_the_first_row_is_the_plan_and_each_row_adds_up(small):
    p, out = small
    rows = list(csv.DictReader((out / "alternatives.csv").open()))
    first = rows[0]
    s = p.summary
    assert first["alternative"] == "this plan"
    assert int(first["sites"]) == s.sites_selected
    assert float(first["tco_usd"]) == pytest.approx(s.tco_usd, abs=0.01)
    names = [r["alternative"] for r in rows]
    types = list(p.scenario.site_types)
    assert names[1 : 1 + len(types)] == [f"{t} only" for t in types]
    kinds = list(p.scenario.backhaul.allowed)
    assert names[1 + len(types) :] == [f"backhaul: {k} only" for k in kinds]
    for r in rows:
        served, tco = float(r["people_newly_served"]), float(r["tco_usd"])
        assert served <= float(r["people_newly_covered"]) + 0.5
        if tco > 0:
            assert float(r["people_per_1000_usd"]) == pytest.approx(
                served / (tco / 1000), rel=1e-3, abs=0.01
            )
        assert tco <= p.scenario.budget_usd * (1 + 1e-9)  # the same budget holds
        used = {part.split(":")[0] for part in r["backhaul_links"].split()}
        allowed = set(r["backhaul_allowed"].split(" + "))
        assert used <= allowed
        if r["alternative"].startswith("backhaul: "):
            kind = r["alternative"].removeprefix("backhaul: ").removesuffix(" only")
            assert allowed == {kind} or (allowed == {kind, "satellite"} and r["note"])


def test_a_single_type_plan_uses_that_type_only(small):
    p, _ = small
    rows = Plan.of(p).alternatives()
    for name in p.scenario.site_types:
        row = rows[rows.alternative == f"{name} only"].iloc[0]
        assert row.site_types == name
    # the plan's own mix is one of the choices it was made among: no single type beats
    # it by more than the placement's own gap (local search, not exact)
    best_single = rows.iloc[1 : 1 + len(p.scenario.site_types)].people_newly_served.max()
    assert rows.iloc[0].people_newly_served >= 0.95 * best_single


def test_the_report_sets_them_side_by_side(small):
    _, out = small
    page = (out / "report.html").read_text()
    assert '<section id="alternatives">' in page
    rows = list(csv.DictReader((out / "alternatives.csv").open()))
    for r in rows:
        assert r["alternative"] in page
    plan_row, rest = rows[0], rows[1:]
    better = [
        r["alternative"]
        for r in rest
        if float(r["people_newly_served"]) > float(plan_row["people_newly_served"])
        and float(r["tco_usd"]) <= float(plan_row["tco_usd"])
    ]
    # a narrower choice that beats the plan is named, never hidden
    assert ("for no more money" in page) == bool(better)
    for name in better:
        assert name in page.split('<section id="alternatives">')[1].split("</section>")[0]
