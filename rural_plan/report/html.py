"""``report.html``: the plan on one self-contained page a planner can open and print.

Everything is inline: the charts are base64 PNG drawn with matplotlib (Agg), the style
sheet is in the page, and there is no script, web font or remote resource, so the page
makes no network request and reads the same offline. Every headline number sits in an
element with ``data-key`` (its ``summary.json`` key, dotted for nested keys such as
``sites_by_type.light_pole``) and ``data-value`` (the raw value as JSON), so tools and
tests can read the page back. Every string that comes from the user (scenario name and
description, site type names, settlement and POI names, file names) is escaped.

>>> from rural_plan.report.html import write_report_html
>>> write_report_html(p, "out/report.html")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rural_plan.costing.plan_cost import cost_split
from rural_plan.costing.settings import CostSettings
from rural_plan.pipeline.alternatives import Alternative
from rural_plan.pipeline.plan import Plan
from rural_plan.report.maps import (
    LARGE_AREA_KM,
    LINK_COLOURS,
    MAX_CLUSTER_MAPS,
    MAX_NUMBERED_SITES,
    MAX_SETTLEMENT_LABELS,
    cluster_views,
    plan_map,
)
from rural_plan.report.tables import budget_curve_frame, sites_frame

MAX_TABLE_ROWS = 2_000
"""Rows shown of a long table (sites, POIs); the CSV files hold them all."""

FIGURE_DPI = 96


def write_report_html(
    plan: Plan,
    path: str | Path,
    *,
    covered_area: np.ndarray | None = None,
    alternatives: Sequence[Alternative] = (),
) -> Path:
    """Write :func:`report_html` of ``plan`` to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    page = report_html(plan, covered_area=covered_area, alternatives=alternatives)
    path.write_text(page, encoding="utf-8")
    return path


def report_html(
    plan: Plan,
    *,
    covered_area: np.ndarray | None = None,
    alternatives: Sequence[Alternative] = (),
) -> str:
    """The report page of ``plan`` as one self-contained HTML string.

    ``covered_area`` (bool per grid cell) is tinted on the map when given (the results
    writer passes the best-server coverage it computes for ``coverage.tif``);
    ``alternatives`` (the plan first) are set side by side.
    """
    s = plan.summary
    parts = [
        _head(f"Coverage plan: {s['scenario']}"),
        _header(plan),
        _headline(s),
        _map_section(plan, covered_area),
        _curve_section(plan),
        _alternatives_section(alternatives),
        _cost_section(plan),
        _money_section(plan),
        _sites_section(plan),
        _backhaul_section(plan),
        _poi_section(plan),
        _sensitivity_section(s),
        _assumptions_section(plan),
        _provenance_section(plan),
        "</main>\n</body>\n</html>\n",
    ]
    return "".join(p for p in parts if p)


# -- formatting ------------------------------------------------------------------------


def esc(value: Any) -> str:
    """Any value as HTML text (quotes escaped too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def fmt_number(x: Any, decimals: int = 0) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, bool) or not isinstance(x, int | float | np.number):
        return str(x)
    if not math.isfinite(float(x)):
        return str(float(x))
    return f"{float(x):,.{decimals}f}"


def fmt_usd(x: Any) -> str:
    return "n/a" if x is None else f"USD {fmt_number(x)}"


def fmt_share(x: Any, decimals: int = 2) -> str:
    return "n/a" if x is None else f"{100.0 * float(x):.{decimals}f} %"


def _value(key: str, value: Any, text: str, tag: str = "span") -> str:
    """An element holding one summary value: ``data-key``, raw ``data-value``, text."""
    raw = json.dumps(value, sort_keys=True)
    return f'<{tag} class="v" data-key="{esc(key)}" data-value="{esc(raw)}">{esc(text)}</{tag}>'


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Sequence[bool] | None = None,
    cls: str = "",
) -> str:
    """A table of escaped cells; columns flagged ``numeric`` are right-aligned."""
    numeric = list(numeric or [False] * len(headers))
    head = "".join(
        f"<th{' class=num' if n else ''}>{esc(h)}</th>"
        for h, n in zip(headers, numeric, strict=True)
    )
    body = []
    for row in rows:
        cells = "".join(
            f"<td{' class=num' if n else ''}>{esc(c)}</td>"
            for c, n in zip(row, numeric, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    cls_attr = f' class="{esc(cls)}"' if cls else ""
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    return f"<table{cls_attr}>{thead}<tbody>\n" + "\n".join(body) + "\n</tbody></table>\n"


def _png(fig) -> str:
    """The figure as an inline ``<img>`` (base64 PNG); the figure is closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="">'


def _figure(fig, caption: str) -> str:
    return f"<figure>{_png(fig)}<figcaption>{esc(caption)}</figcaption></figure>\n"


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# -- page parts -----------------------------------------------------------------------

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --rule: #d0d7de; --accent: #1b6e5a; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem;
  border-bottom: 2px solid var(--rule); }
h3 { font-size: 1.02rem; margin: 1.3rem 0 .4rem; }
p { margin: .4rem 0; }
.muted, figcaption, .note { color: var(--muted); font-size: .88rem; }
.warning { border-left: 4px solid #d95f02; background: #fff4e5; padding: .5rem .8rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(235px, 1fr));
  gap: .7rem; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: .6rem .8rem;
  break-inside: avoid; }
.card .label { color: var(--muted); font-size: .82rem; text-transform: uppercase;
  letter-spacing: .03em; }
.card .big { font-size: 1.45rem; font-weight: 600; color: var(--accent); }
.card .sub { font-size: .88rem; }
figure { margin: .6rem 0; break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: .86rem; margin: .4rem 0 .8rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .45rem; text-align: left;
  vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sources td:last-child { font-size: .8rem; color: #333; }
table.sites { font-size: .8rem; }
table.sites td.num { white-space: nowrap; }
code { font-size: .85em; overflow-wrap: anywhere; }
.scroll { max-height: 32rem; overflow: auto; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  .scroll { max-height: none; overflow: visible; }
  tr { break-inside: avoid; }
}
"""


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
    )


def _header(plan: Plan) -> str:
    s, sc = plan.summary, plan.scenario
    desc = f"<p>{esc(sc.description.strip())}</p>\n" if sc.description.strip() else ""
    return (
        f"<header>\n<h1>Coverage plan: {_value('scenario', s['scenario'], s['scenario'])}</h1>\n"
        f"{desc}<p class=muted>Scenario file {esc(s.get('scenario_file') or 'n/a')} · "
        f"rural_plan {esc(s['rural_plan_version'])} · seed {esc(s['seed'])} · "
        f"grid {esc(s['crs'])}, {fmt_number(s['cell_size_m'])} m cells</p>\n</header>\n"
    )


def _card(label: str, big: str, *subs: str) -> str:
    sub = "".join(f'<div class="sub">{x}</div>' for x in subs if x)
    return (
        f'<div class="card"><div class="label">{esc(label)}</div>'
        f'<div class="big">{big}</div>{sub}</div>\n'
    )


def _headline(s: dict[str, Any]) -> str:
    def v(key: str, fmt=fmt_number) -> str:  # one summary value, formatted, with its key
        return _value(key, s[key], fmt(s[key]))

    def share(x: Any) -> str:
        return fmt_share(x, 3)

    by_type = ", ".join(
        f"{_value(f'sites_by_type.{name}', n, fmt_number(n))} {esc(name)}"
        for name, n in s["sites_by_type"].items()
    )
    links = ", ".join(
        f"{_value(f'backhaul_links_by_type.{kind}', n, fmt_number(n))} {esc(kind)}"
        for kind, n in s["backhaul_links_by_type"].items()
    )
    gap = f"gap to the bound {v('placement_gap', share)}" if "placement_gap" in s else ""
    used = s["budget_used_usd"] / s["budget_usd"] if s["budget_usd"] else None
    cards = [
        _card(
            "People newly covered",
            v("people_newly_covered"),
            f"{v('share_newly_covered', fmt_share)} of {v('people_total')} people",
            f"{v('people_newly_served')} of them served within site capacity",
            f"{v('people_covered_before')} covered before (existing network)",
        ),
        _card("Sites selected", v("sites_selected"), by_type),
        _card(
            "People per 1,000 USD",
            v("people_per_1000_usd", lambda x: fmt_number(x, 2)),
            "people newly served, per 1,000 USD of TCO; cost per person "
            f"{v('cost_per_person_usd', fmt_usd_cents)}",
        ),
        _card(
            "Total cost of ownership",
            v("tco_usd", fmt_usd),
            f"net present cost over {v('horizon_years')} years "
            f"at {v('discount_rate', fmt_share)} a year",
        ),
        _card("CAPEX", v("capex_usd", fmt_usd), "sites and backhaul, year 0"),
        _card("OPEX per year", v("opex_usd_per_year", fmt_usd), "sites and backhaul"),
        _card(
            "Budget",
            v("budget_usd", fmt_usd),
            f"used {v('budget_used_usd', fmt_usd)}"
            + (f" ({esc(fmt_share(used, 1))})" if used is not None else ""),
            f"counted as {v('budget_basis', str)}",
            f"left {v('budget_unused_usd', fmt_usd)}: {v('budget_unused_reason', str)}"
            if s.get("budget_unused_reason")
            else "",
        ),
        _card(
            "Placement",
            v("placement_method", str),
            f"maximising people {v('placement_objective', str)}"
            if s.get("placement_objective")
            else "",
            f"status {v('placement_status', str)}",
            gap,
            f"with backhaul: {v('backhaul_placement_rounds')} rounds, "
            f"{v('backhaul_placement_stop', str)}",
            _stable_note(s),
        ),
        _card("Backhaul links", links or "none", f"{v('cost_preset', str)} cost preset"),
    ]
    return (
        '<section id="headline">\n<h2>Headline</h2>\n<div class="cards">\n'
        + "".join(cards)
        + "</div>\n"
        + '<p class="note">A cell counts as covered with '
        + f"{_value('coverage_criterion', s['coverage_criterion'], s['coverage_criterion'])}"
        + ".</p>\n"
        + _baseline_note(s)
        + "</section>\n"
    )


def _stable_note(s: dict[str, Any]) -> str:
    """``backhaul_placement_stable`` in words: what a plan that did not converge means."""
    stable = s.get("backhaul_placement_stable")
    if stable is None:
        return ""
    if stable:
        text = "converged: the last round kept the sites of the round before"
    else:
        text = (
            "not converged: each round's designed backhaul re-priced the sites and moved "
            "the next round's choice; the best plan within budget found was kept"
        )
    return f"backhaul_placement_stable: {esc(json.dumps(stable))}, {esc(text)}"


def _baseline_note(s) -> str:
    """Today's network against the published figure, and the warning when they differ."""
    if s.get("reported_coverage_pct") is None and not s.get("existing_sites"):
        return ""
    sites = _value("existing_sites", s["existing_sites"], fmt_number(s["existing_sites"]))
    pct = s["modelled_coverage_before_pct"]
    modelled = _value("modelled_coverage_before_pct", pct, fmt_number(pct, 1))
    parts = [
        f"Today's network: {sites} existing sites ({fmt_number(s['existing_sites_serving'])} "
        f"counted as serving) reach {modelled} % of the people."
    ]
    reported = s.get("reported_coverage_pct")
    if reported is not None:
        value = _value("reported_coverage_pct", reported, fmt_number(reported, 1))
        parts.append(
            f" The reported share served is {value} % ({esc(s['reported_coverage_source'])})."
        )
    if s.get("people_assumed_served_before"):
        parts.append(
            f" {fmt_number(s['people_assumed_served_before'])} people are assumed served today "
            "(baseline.fill_to_reported: the most populous cells not reached first)."
        )
    text = "".join(parts)
    warning = s.get("baseline_warning")
    if warning:
        return (
            f'<p class="warning">{text} <strong>Warning:</strong> '
            f"{_value('baseline_warning', warning, warning)}</p>\n"
        )
    return f'<p class="note">{text}</p>\n'


def fmt_usd_cents(x: Any) -> str:
    return "n/a" if x is None else f"USD {fmt_number(x, 2)}"


def _map_section(plan: Plan, covered_area: np.ndarray | None) -> str:
    s = plan.summary
    fig = plan_map(
        plan,
        title=f"{s['sites_selected']} sites, {s['people_newly_covered']:,.0f} people newly covered",
        covered_area=covered_area,
        show_population=True,
    )
    caption = (
        "Hillshaded terrain (sea blue, no data cross-hatched) with a latitude / longitude "
        f"graticule on the grid's {s['crs']}. People per cell on a log scale: newly covered by the "
        "plan (yellow to red, colour bar), served today (purple: reached by today's sites; "
        "light purple: assumed served by baseline.fill_to_reported, when it adds people) and "
        "still not covered (grey). Chosen "
        f"sites by type, numbered in rollout order (first {MAX_NUMBERED_SITES}); "
        "microwave / relay / fibre backhaul links as lines, satellite backhaul as rings; "
        "fibre points of presence (blue squares) and today's sites (hexagons), named; "
        f"roads when the scenario has them; the most populous named villages (up to "
        f"{MAX_SETTLEMENT_LABELS}, where their names fit)."
    )
    if covered_area is not None:
        caption += (
            " Outlined and hatched in green: the area where the best planned server's "
            "signal clears its link budget."
        )
    parts = [_figure(fig, caption)]
    views = cluster_views(plan)
    if views:
        parts.append(
            f"<h3>One map per backhaul cluster</h3>\n<p class=note>The area is over "
            f"{LARGE_AREA_KM:g} km across: each cluster of sites that share a fibre point "
            "of presence or donor tower is also drawn on its own (the clusters serving most "
            f"people first, at most {MAX_CLUSTER_MAPS}); satellite-backhauled sites are on "
            "the overview and on any cluster map they fall in.</p>\n"
        )
        for v in views:
            fig = plan_map(plan, covered_area=covered_area, show_population=True, view=v)
            parts.append(_figure(fig, v.title))
    return '<section id="map">\n<h2>Map</h2>\n' + "".join(parts) + "</section>\n"


def _curve_axis_usd(plan: Plan, spent_usd: float) -> float:
    """Right end of the curve's investment axis [USD]: past the budget, the plan and the
    point where the curve all but stops rising (99.5 % of its people), not out to the
    price of every option (tens of times the budget), which squeezes the useful part."""
    c, s = plan.curve, plan.summary
    d = plan.curve_backhaul
    costs = [c.cost_usd]
    if d is not None:
        costs.append(np.where(d.designed, d.cost_usd, np.nan))
    xs = np.concatenate(costs)
    people = plan.curve_people if plan.curve_people is not None else c.people
    ys = np.concatenate([people] * len(costs))
    ok = np.isfinite(xs)
    full = max(float(xs[ok].max(initial=0.0)), spent_usd, float(s["budget_usd"]), 1.0)
    peak = float(ys[ok].max(initial=0.0))
    if peak <= 0:
        return 1.04 * full
    flat = float(xs[ok & (ys >= 0.995 * peak)].min())
    right = min(full, max(1.25 * float(s["budget_usd"]), 1.25 * spent_usd, 1.1 * flat))
    return 1.04 * right  # the budget line and the last point inside the frame


def _curve_section(plan: Plan) -> str:
    """People against investment: the budget points at their real cost (designed
    backhaul) when re-costed, with placement's estimate dashed; the star is the plan."""
    plt = _pyplot()
    c, sel, s = plan.curve, plan.selection, plan.summary
    d = plan.curve_backhaul
    designed = d.designed if d is not None else np.zeros(c.cost_usd.size, dtype=bool)
    weighted = bool(plan.scenario.placement.poi_weight_people)
    spent = float(s["budget_used_usd"])
    people = plan.curve_people if plan.curve_people is not None else c.people
    plan_people = float(s["people_newly_covered"])
    fig, ax = plt.subplots(figsize=(8.0, 3.8))
    order = np.argsort(c.cost_usd, kind="stable")
    estimate_x = np.concatenate(([0.0], c.cost_usd[order])) / 1e3
    estimate_y = np.concatenate(([0.0], people[order]))
    if designed.any():
        real_x, real_y = d.cost_usd[designed], people[designed]
        env_x, env_y = frontier(np.r_[real_x, spent], np.r_[real_y, plan_people])
        ax.step(
            env_x / 1e3,
            env_y,
            where="post",
            color=CURVE_COLOUR,
            lw=1.6,
            label="most people found at each real cost",
        )
        best = env_y[np.searchsorted(env_x, real_x, side="right") - 1]
        beaten = real_y < best - 1e-6 * max(float(best.max(initial=0.0)), 1.0)
        ax.plot(
            real_x[~beaten] / 1e3,
            real_y[~beaten],
            "o",
            ms=3.5,
            color=CURVE_COLOUR,
            label="budget points with their designed backhaul",
        )
        if beaten.any():
            ax.plot(
                real_x[beaten] / 1e3,
                real_y[beaten],
                "o",
                ms=4,
                mfc="white",
                color=CURVE_COLOUR,
                label="beaten: a cheaper point covers more people",
            )
        ax.step(
            estimate_x,
            estimate_y,
            where="post",
            color=CURVE_COLOUR,
            alpha=0.45,
            ls="--",
            lw=1.1,
            label="budget points at placement's backhaul estimate",
        )
    else:
        ax.step(
            estimate_x,
            estimate_y,
            where="post",
            color=CURVE_COLOUR,
            lw=1.6,
            label="best plan at each budget",
        )
        ax.plot(c.cost_usd / 1e3, people, "o", ms=3, color=CURVE_COLOUR)
    ax.axvline(s["budget_usd"] / 1e3, color="#999", ls="--", lw=1, label="budget")
    ax.plot(
        [spent / 1e3],
        [plan_people],
        "*",
        ms=14,
        color="#d95f02",
        markeredgecolor="k",
        label=f"chosen plan ({s['sites_selected']} sites)",
    )
    basis = "TCO" if s["budget_basis"] == "tco" else "CAPEX"
    ax.set_xlabel(f"investment, {basis} (thousand USD)")
    ax.set_ylabel("people newly covered")
    ax.set_xlim(0, _curve_axis_usd(plan, spent) / 1e3)
    top = max(float(people.max(initial=0.0)), plan_people)
    ax.set_ylim(0, top * 1.06 if top > 0 else 1.0)  # room for the star at the top
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    frame = budget_curve_frame(plan)
    rows = [
        (
            fmt_usd(r.budget_usd),
            fmt_usd(r.cost_usd),
            fmt_number(r.people_newly_covered),
            int(r.sites),
            fmt_number(r.people_per_1000_usd, 2) if r.cost_usd > 0 else "n/a",
            *(
                (
                    fmt_usd(r.backhaul_usd),
                    fmt_usd(r.cost_designed_usd),
                    fmt_number(r.people_per_1000_usd_designed, 2)
                    if r.cost_designed_usd > 0
                    else "n/a",
                )
                if math.isfinite(r.cost_designed_usd)
                else ("", "", "")
            ),
        )
        for r in frame.itertuples(index=False)
    ]
    n_points, n_designed = len(c.budget_usd), int(designed.sum())
    note = f"<p class=note>Computed with {esc(c.method)} at {n_points} budgets. " + (
        "Placement also weighs unserved schools and clinics (placement.poi_weight_people): "
        "the curve counts only people; the weighted objective is budget_curve.csv's "
        "priority_score. "
        if weighted
        else ""
    )
    if n_designed:
        note += (
            "Placement chooses each budget's sites with their backhaul estimated (one "
            "satellite terminal per site at backhaul.satellite_mbps_per_site); "
            f"{n_designed} of the {n_points} choices were then re-costed with the "
            "backhaul designed for them as for this plan (same fibre points of presence, "
            "donor towers, roads, prices and capacity rules). The solid curve is at that "
            f"real cost ({basis}): the most people found for each cost among those choices "
            "and this plan; the dashed curve is the same choices at the estimate. The star "
            f"is this plan at its real cost, {esc(fmt_usd(spent))} (placement's estimate "
            f"for its sites: {esc(fmt_usd(sel.cost_usd))}); it re-places its sites "
            "knowing their designed backhaul, so it can sit above the re-costed choices. "
            "The same rows are in budget_curve.csv (cost_designed_usd, backhaul_usd).</p>\n"
        )
        caption = (
            "Budget curve: people newly covered against the real cost with designed "
            "backhaul (solid) and at placement's estimate (dashed); the star is this plan."
        )
    else:
        note += (
            "The curve prices each site's backhaul as placement estimates it (one "
            "satellite terminal per site at backhaul.satellite_mbps_per_site; "
            "placement.budget_curve_backhaul_points is 0); the star is this plan at its "
            f"real cost with its designed backhaul, {esc(fmt_usd(spent))} (placement's "
            f"estimate for its sites: {esc(fmt_usd(sel.cost_usd))}). The same rows are in "
            "budget_curve.csv.</p>\n"
        )
        caption = "Budget curve: the most people each budget buys; the star is this plan."
    table = _table(
        [
            "budget",
            "cost (estimate)",
            "people",
            "sites",
            "people per 1,000 USD",
            "designed backhaul",
            "cost with designed backhaul",
            "people per 1,000 USD (designed)",
        ],
        rows,
        numeric=[True] * 8,
    )
    return (
        '<section id="budget-curve">\n<h2>People newly covered against investment</h2>\n'
        + _figure(fig, caption)
        + note
        + f"<details><summary>Budget curve table</summary>{table}</details>\n</section>\n"
    )


CURVE_COLOUR = "#1b6e5a"


def frontier(cost_usd: np.ndarray, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The most people found for each cost: a step line (``where="post"``) from (0, 0)
    through the points no cheaper point beats, every point on or below it."""
    cost = np.asarray(cost_usd, dtype=np.float64)
    people = np.asarray(people, dtype=np.float64)
    order = np.lexsort((-people, cost))
    best = np.maximum.accumulate(people[order])
    keep = np.r_[True, best[1:] > best[:-1]]
    return np.r_[0.0, cost[order][keep]], np.r_[0.0, best[keep]]


def _cost_section(plan: Plan) -> str:
    plt = _pyplot()
    split = plan.cost_split
    s = plan.summary
    fig, ax = plt.subplots(figsize=(8.0, 2.6))
    names = list(split)
    capex = np.array([split[n]["capex_usd"] for n in names]) / 1e3
    opex = np.array([split[n]["opex_npv_usd"] for n in names]) / 1e3
    ax.barh(names, capex, color="#7570b3", label="CAPEX")
    ax.barh(
        names,
        opex,
        left=capex,
        color="#e7298a",
        alpha=0.8,
        label=f"OPEX, NPV over {s['horizon_years']} years",
    )
    for k, total in enumerate(capex + opex):
        ax.text(total, k, f"  {total:,.0f}", va="center", fontsize=8)
    ax.set_xlabel("thousand USD")
    ax.set_xlim(0, max(float((capex + opex).max(initial=0.0)), 1e-3) * 1.18)
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=2, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    rows = [
        (
            n,
            fmt_usd(p["capex_usd"]),
            fmt_usd(p["opex_usd_per_year"]),
            fmt_usd(p["opex_npv_usd"]),
            fmt_usd(p["tco_usd"]),
        )
        for n, p in split.items()
    ]
    rows.append(
        (
            "total",
            fmt_usd(sum(p["capex_usd"] for p in split.values())),
            fmt_usd(sum(p["opex_usd_per_year"] for p in split.values())),
            fmt_usd(sum(p["opex_npv_usd"] for p in split.values())),
            fmt_usd(sum(p["tco_usd"] for p in split.values())),
        )
    )
    table = _table(
        ["", "CAPEX", "OPEX per year", "OPEX, NPV", "TCO"],
        rows,
        numeric=[False, True, True, True, True],
    )
    return (
        '<section id="costs">\n<h2>Cost breakdown</h2>\n'
        + _figure(fig, "Sites and backhaul: CAPEX and the net present cost of their OPEX.")
        + table
        + _site_type_costs(plan)
        + "</section>\n"
    )


def _site_type_costs(plan: Plan) -> str:
    if not plan.site_costs:
        return ""
    out = ["<h3>One site of each type</h3>\n"]
    for name, b in plan.site_costs.items():
        rows = [(f"CAPEX: {k}", fmt_usd(v)) for k, v in b.capex_usd.items()]
        rows += [(f"OPEX per year: {k}", fmt_usd(v)) for k, v in b.opex_usd_per_year.items()]
        rows.append(("CAPEX total", fmt_usd(sum(b.capex_usd.values()))))
        rows.append(("OPEX per year total", fmt_usd(sum(b.opex_usd_per_year.values()))))
        out.append(
            f"<p><b>{esc(name)}</b>: {esc(b.power_source)} power, "
            f"{fmt_number(b.power_w)} W load</p>\n"
            + _table(["item", "USD"], rows, numeric=[False, True])
        )
    out.append("<p class=note>Every item with its source is in costs.csv.</p>\n")
    return "".join(out)


def _nearest_settlements(plan: Plan) -> list[str]:
    """For each chosen site: the nearest named settlement and its distance."""
    from scipy.spatial import cKDTree

    st = plan.region.settlements
    n = plan.selection.chosen.size
    if not len(st) or not n:
        return [""] * n
    opt, grid = plan.options, plan.region.grid
    loc = opt.location[plan.selection.chosen]
    x, y = grid.xy_of(plan.candidates.rows[loc], plan.candidates.cols[loc])
    d, k = cKDTree(np.column_stack([st.x, st.y])).query(np.column_stack([x, y]))
    return [f"{st.names[j]} ({dist / 1e3:.1f} km)" for dist, j in zip(d, k, strict=True)]


def _more(n: int, csv: str) -> str:
    return f"<p class=note>First {MAX_TABLE_ROWS:,} of {n:,} rows; all are in {csv}.</p>\n"


def _sites_section(plan: Plan) -> str:
    frame = sites_frame(plan)
    if frame.empty:
        return '<section id="sites">\n<h2>Sites</h2>\n<p>No site was selected.</p>\n</section>\n'
    near = _nearest_settlements(plan)
    with_near = any(near)
    rows = []
    for (_, r), place in zip(frame.iterrows(), near, strict=True):
        if len(rows) >= MAX_TABLE_ROWS:
            break
        rows.append(
            [
                int(r["rollout_order"]),
                r["site_type"],
                r["candidate_kind"],
                *([place] if with_near else []),
                fmt_number(r["people_newly_covered"]),
                fmt_number(r["budget_cost_usd"]),
                fmt_number(r["capex_usd"]),
                fmt_number(r["opex_usd_per_year"]),
                fmt_number(r["people_per_1000_usd"], 1),
                r["backhaul"],
                f"{r['lat']:.5f}",
                f"{r['lon']:.5f}",
            ]
        )
    more = _more(len(frame), "sites.csv") if len(frame) > MAX_TABLE_ROWS else ""
    headers = [
        "#",
        "type",
        "candidate",
        *(["near (settlement)"] if with_near else []),
        "people newly covered",
        "budget cost (USD)",
        "CAPEX (USD)",
        "OPEX/yr (USD)",
        "people per 1,000 USD",
        "backhaul",
        "lat",
        "lon",
    ]
    numeric = [True, False, False, *([False] if with_near else []), *[True] * 5, False, True, True]
    return (
        '<section id="sites">\n<h2>Sites in rollout order</h2>\n'
        "<p class=note>People newly covered: each site's marginal people in rollout order. "
        "The budget cost is what the site counts against the budget, its estimated backhaul "
        "included.</p>\n"
        f'<div class="scroll">{_table(headers, rows, numeric=numeric, cls="sites")}</div>\n'
        f"{more}</section>\n"
    )


def _backhaul_section(plan: Plan) -> str:
    links = plan.backhaul.links
    kinds = sorted({k.kind for k in links})
    by_kind = {kind: [k for k in links if k.kind == kind] for kind in kinds}
    split = cost_split(
        CostSettings.from_scenario(plan.scenario),
        **{
            kind: (sum(k.capex_usd for k in ks), sum(k.opex_usd_per_year for k in ks))
            for kind, ks in by_kind.items()
        },
    )
    rows = []
    for kind, ks in by_kind.items():
        length = sum(k.length_m for k in ks) / 1e3
        part = split[kind]
        rows.append(
            (
                kind,
                len(ks),
                fmt_number(length, 1) if length else "",
                fmt_usd(part["capex_usd"]),
                fmt_usd(part["opex_usd_per_year"]),
                fmt_usd(part["tco_usd"]),
            )
        )
    s = plan.summary
    body = (
        _table(
            ["kind", "links", "length (km)", "CAPEX", "OPEX per year", "TCO"],
            rows,
            numeric=[False] + [True] * 5,
        )
        if rows
        else "<p>No backhaul link.</p>\n"
    )
    colours = ", ".join(f"{esc(k)} {esc(v)}" for k, v in LINK_COLOURS.items() if k in kinds)
    return (
        '<section id="backhaul">\n<h2>Backhaul</h2>\n'
        + body
        + f"<p class=note>Backhaul TCO {esc(fmt_usd(s['backhaul_tco_usd']))}; all by satellite it "
        f"would be {esc(fmt_usd(s['backhaul_all_satellite_tco_usd']))}. "
        + (f"Map colours: {colours}. " if colours else "")
        + "Each link is in links.geojson.</p>\n</section>\n"
    )


def _money_section(plan: Plan) -> str:
    money = plan.money
    if money is None:
        return ""
    s = plan.summary
    flow = money.cash_flow
    revenue = plan.scenario.cost.arpu_usd_per_month is not None
    headers = ["year", "sites built", "people served", "CAPEX", "OPEX"]
    headers += ["revenue", "net cash", "cumulative"] if revenue else []
    headers += ["subsidy gap"]
    rows = []
    for r in flow.rows:
        row = [r["year"], r["sites_built"], fmt_number(r["people_served"])]
        row += [fmt_usd(r["capex_usd"]), fmt_usd(r["opex_usd"])]
        if revenue:
            row += [
                fmt_usd(r["revenue_usd"]),
                fmt_usd(r["net_cash_usd"]),
                fmt_usd(r["cumulative_net_cash_usd"]),
            ]
        row.append(fmt_usd(r["subsidy_gap_usd"]))
        rows.append(row)
    per_year = s["rollout_budget_per_year_usd"]
    built = (
        f"built over {s['rollout_years']} year(s) within "
        f"{esc(fmt_usd(per_year))} of CAPEX a year (budget.per_year_usd), most people served "
        "per dollar first"
        if per_year is not None
        else "all built in year 1 (set budget.per_year_usd for a phased rollout)"
    )
    over = s["rollout_over_budget_years"]
    notes = [f"Sites {built}; phased net present cost {esc(fmt_usd(s['phased_npv_cost_usd']))}."]
    if over:
        notes.append(
            f"In year(s) {', '.join(map(str, over))} one site alone costs more than the "
            "yearly budget."
        )
    price = s["break_even_price_usd_per_month"]
    if price is not None:
        text = (
            f"A subscriber would have to pay {esc(fmt_usd_cents(price))} a month for the "
            "revenue to pay the plan's cost"
        )
        share = s.get("break_even_price_share_of_monthly_gni")
        if share is not None:
            text += (
                f": {esc(fmt_share(share))} of monthly GNI per capita (the Broadband "
                "Commission's affordability target is 2 %)"
            )
        notes.append(text + ".")
    if revenue:
        payback = s["payback_year"]
        notes.append(
            f"Payback: {'year ' + str(payback) if payback else 'not within the horizon'}; "
            f"subsidy gap (present value) {esc(fmt_usd(s['subsidy_gap_npv_usd']))}."
        )
    else:
        notes.append("No revenue side: set cost.arpu_usd_per_month (and gni_per_capita_usd).")
    return (
        '<section id="money">\n<h2>Money over time</h2>\n'
        + _figure(
            _cashflow_chart(flow.rows, revenue=revenue),
            "Cash per year: CAPEX and OPEX paid out (down), "
            + ("revenue in (up), " if revenue else "no revenue (no ARPU in the scenario), ")
            + "and the cumulative net cash (line); the subsidy gap is what revenue leaves "
            "unpaid.",
        )
        + _table(headers, rows, numeric=[True] * len(headers))
        + "<p class=note>"
        + " ".join(notes)
        + " The same rows are in cashflow.csv.</p>\n</section>\n"
    )


def _cashflow_chart(rows: Sequence[dict[str, Any]], *, revenue: bool):
    """Yearly bars of cash out (CAPEX, OPEX) and in (revenue), the cumulative net cash."""
    plt = _pyplot()
    years = np.array([r["year"] for r in rows], dtype=np.float64)
    capex = np.array([r["capex_usd"] or 0.0 for r in rows]) / 1e3
    opex = np.array([r["opex_usd"] or 0.0 for r in rows]) / 1e3
    fig, ax = plt.subplots(figsize=(8.0, 3.4))
    ax.bar(years, -capex, color="#7570b3", label="CAPEX")
    ax.bar(years, -opex, bottom=-capex, color="#e7298a", alpha=0.8, label="OPEX")
    if revenue:
        income = np.array([r["revenue_usd"] or 0.0 for r in rows]) / 1e3
        ax.bar(years, income, color="#1b9e77", label="revenue")
    cumulative = np.array([r["cumulative_net_cash_usd"] or 0.0 for r in rows]) / 1e3
    ax.plot(years, cumulative, "o-", color="k", ms=3.5, lw=1.4, label="cumulative net cash")
    ax.axhline(0.0, color="#555", lw=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel("thousand USD")
    ax.set_xticks(years)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=4, frameon=False)
    return fig


def _alternatives_section(alternatives: Sequence[Alternative]) -> str:
    if not alternatives:
        return ""
    rows = [
        (
            a.name,
            " + ".join(a.site_types),
            " + ".join(a.backhaul_allowed),
            a.sites_selected,
            fmt_number(a.people_newly_served),
            fmt_usd(a.tco_usd),
            fmt_number(a.people_per_1000_usd, 2),
            fmt_usd(a.cost_per_person_usd) if a.cost_per_person_usd is not None else "",
            a.note,
        )
        for a in alternatives
    ]
    return (
        '<section id="alternatives">\n<h2>The choices side by side</h2>\n'
        + _table(
            [
                "plan",
                "site types",
                "backhaul",
                "sites",
                "people served",
                "TCO",
                "people per 1,000 USD",
                "cost per person",
                "",
            ],
            rows,
            numeric=[False, False, False, True, True, True, True, True, False],
        )
        + "<p class=note>Each row is placed, backhauled and costed as the plan is, from the "
        "same coverage and under the same budget, with one site type or one backhaul type "
        "only. The same rows are in alternatives.csv.</p>\n"
        + _better_than_the_plan(alternatives)
        + "</section>\n"
    )


def _better_than_the_plan(alternatives: Sequence[Alternative]) -> str:
    """A warning naming the single choices that serve more people than the plan for
    no more money: placement and backhaul are found in rounds, a heuristic."""
    plan, rest = alternatives[0], alternatives[1:]
    better = [
        a.name
        for a in rest
        if a.people_newly_served > plan.people_newly_served * (1 + 1e-6)
        and a.tco_usd <= plan.tco_usd * (1 + 1e-6)
    ]
    if not better:
        return ""
    return (
        f"<p class=warning>{esc(', '.join(better))} "
        + ("serves" if len(better) == 1 else "serve")
        + " more people than this plan for no more money: placement and backhaul are "
        "chosen in rounds (a heuristic), and a narrower choice can land on a better plan. "
        "Consider re-running with that choice.</p>\n"
    )


def _poi_section(plan: Plan) -> str:
    s = plan.summary
    if not plan.pois:
        return ""
    summary_rows = [
        (t, v["total"], v["served_before"], v["newly_covered"])
        for t, v in s.get("pois", {}).items()
    ]
    rows = [
        (
            r.get("name") or "",
            r.get("poi_type") or "",
            "yes" if r.get("covered_before") else "",
            "yes" if r.get("covered_by_plan") else "",
            r.get("serving_site_id") if r.get("serving_site_id") not in (None, "") else "",
            fmt_number(r.get("nearest_site_km"), 1) if r.get("nearest_site_km") is not None else "",
        )
        for r in plan.pois[:MAX_TABLE_ROWS]
    ]
    more = ""
    if len(plan.pois) > MAX_TABLE_ROWS:
        more = _more(len(plan.pois), "pois.csv")
    return (
        '<section id="pois">\n<h2>Schools, clinics and other points of interest</h2>\n'
        + _table(
            ["type", "total", "served before", "newly covered"],
            summary_rows,
            numeric=[False, True, True, True],
        )
        + "<details><summary>Every point of interest</summary>"
        + '<div class="scroll">'
        + _table(
            [
                "name",
                "type",
                "covered before",
                "covered by the plan",
                "serving site",
                "nearest site (km)",
            ],
            rows,
            numeric=[False, False, False, False, True, True],
        )
        + f"</div>{more}</details>\n</section>\n"
    )


def _sensitivity_section(s: dict[str, Any]) -> str:
    top = s.get("sensitivity_top_parameters")
    if not top:
        return ""
    rows = [
        (
            r["parameter"],
            fmt_number(r["people_per_1000_usd_at_low"], 2),
            fmt_number(r["people_per_1000_usd_at_high"], 2),
        )
        for r in top
    ]
    return (
        '<section id="sensitivity">\n<h2>Sensitivity</h2>\n'
        "<p class=note>The cost figures that move people per 1,000 USD most, each set to the low "
        "and high end of its range (the full tornado is in sensitivity.csv).</p>\n"
        + _table(
            ["figure", "people per 1,000 USD at low", "at high"], rows, numeric=[False, True, True]
        )
        + "</section>\n"
    )


def _assumptions_section(plan: Plan) -> str:
    sc = plan.scenario
    r = sc.radio
    general = [
        ("propagation model", r.model),
        ("frequency", f"{fmt_number(r.frequency_mhz)} MHz"),
        ("coverage radius per site", f"{fmt_number(r.radius_m / 1e3, 1)} km"),
        ("receiver height", f"{fmt_number(r.rx_height_m, 1)} m"),
        ("budget", f"{fmt_usd(sc.budget_usd)} ({sc.budget_basis})"),
        ("horizon", f"{sc.cost.horizon_years} years"),
        ("discount rate", fmt_share(sc.cost.discount_rate)),
        ("cost preset", sc.cost.preset),
        (
            "satellite capacity per site",
            f"{fmt_number(sc.backhaul.satellite_mbps_per_site)} Mbit/s",
        ),
        ("longest microwave hop", f"{fmt_number(sc.backhaul.microwave_max_hop_m / 1e3, 1)} km"),
    ]
    types = [
        (
            name,
            fmt_number(t.mast_height_m, 1),
            fmt_number(t.eirp_dbm, 1),
            fmt_number(t.power_w),
            plan.summary.get("power_source_by_type", {}).get(name, t.power_source or ""),
            t.cost_item or name,
        )
        for name, t in sc.site_types.items()
    ]
    sources = plan.preset.sources
    rows = [
        (key, fmt_figure(value), sources.get(key, "(no source given)"))
        for key, value in plan.preset.figures.items()
    ]
    rows += [
        (k, "", v)
        for k, v in sources.items()
        if k not in plan.preset.figures and not _indexed(k, plan.preset.figures)
    ]
    used_prefixes = used_figure_prefixes(plan)
    used = [row for row in rows if row[0].startswith(used_prefixes)]
    other = [row for row in rows if not row[0].startswith(used_prefixes)]
    headers, numeric = ["figure", "value", "source"], [False, True, False]
    return (
        '<section id="assumptions">\n<h2>Assumptions and their sources</h2>\n'
        + _table(["assumption", "value"], general)
        + "<h3>Site types</h3>\n"
        + _table(
            ["type", "mast (m)", "EIRP (dBm)", "load (W)", "power", "cost item"],
            types,
            numeric=[False, True, True, True, False, False],
        )
        + f"<h3>Cost preset {esc(plan.preset.name)}: the figures this plan uses, with their "
        "sources</h3>\n"
        + (
            f"<p class=note>Scenario overrides: "
            f"{esc(json.dumps(sc.cost.overrides, sort_keys=True))}</p>\n"
            if sc.cost.overrides
            else ""
        )
        + _table(headers, used, numeric=numeric, cls="sources")
        + (
            f"<details><summary>The preset's other {len(other)} figures</summary>"
            + _table(headers, other, numeric=numeric, cls="sources")
            + "</details>\n"
            if other
            else ""
        )
        + "</section>\n"
    )


def used_figure_prefixes(plan: Plan) -> tuple[str, ...]:
    """Key-path prefixes of the preset figures that price this plan: its site types' cost
    items, their power sources, backhaul, and the preset's default range."""
    sc = plan.scenario
    items = {t.cost_item or name for name, t in sc.site_types.items()}
    power = set(plan.summary.get("power_source_by_type", {}).values())
    return (
        *sorted(f"site_types.{i}." for i in items),
        *sorted(f"power.{p}." for p in power),
        "backhaul.",
        "default_range",
    )


def _indexed(key: str, figures: dict[str, float]) -> bool:
    """A source of a sub-key (``…[0].x``) of a figure already listed."""
    return any(key.startswith(f + ".") for f in figures)


def fmt_figure(value: float) -> str:
    v = float(value)
    if v == int(v) and abs(v) >= 1:
        return f"{v:,.0f}"
    return f"{v:.6g}"


def _provenance_section(plan: Plan) -> str:
    s = plan.summary
    rows: list[tuple[str, Any]] = [
        ("scenario", s["scenario"]),
        ("scenario file", s.get("scenario_file") or "n/a"),
        ("rural_plan version", s["rural_plan_version"]),
        ("seed", s["seed"]),
        ("grid CRS", s["crs"]),
        ("cell size", f"{fmt_number(s['cell_size_m'])} m"),
        ("grid shape (rows × columns)", " × ".join(fmt_number(n) for n in s["grid_shape"])),
        ("people in the input", fmt_number(s["people_input_total"])),
        ("people on the grid", fmt_number(s["people_gridded_total"])),
        ("population conservation error", f"{float(s['population_conservation_error']):.3g}"),
        ("people moved from sea to land", fmt_number(s["people_moved_from_sea"])),
        ("DEM void cells filled", fmt_number(s["dem_void_cells_filled"])),
        (
            "candidate locations / site options",
            f"{fmt_number(s['candidate_locations'])} / {fmt_number(s['site_options'])}",
        ),
        ("demand cells", f"{fmt_number(s['demand_cells'])} of {fmt_number(s['demand_cell_m'])} m"),
    ]
    hashes = [(name, digest) for name, digest in s["inputs_sha256"].items()]
    return (
        '<section id="provenance">\n<h2>Provenance</h2>\n'
        + _table(["", ""], rows)
        + "<h3>Inputs (SHA-256)</h3>\n"
        + _table(["input", "sha256"], hashes)
        + "<p class=note>The full scenario, timings and every cost source are in "
        "provenance.json.</p>\n" + "</section>\n"
    )
