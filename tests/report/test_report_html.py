"""report.html: one self-contained page, user strings escaped, headline numbers that read
back as summary.json; opened in a real headless Chromium (no console error, no network
request, the numbers read from the rendered page, a screenshot)."""

from __future__ import annotations

import html
import json
import os
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from rural_plan import plan
from rural_plan.report import write_results
from rural_plan.report.html import (
    fmt_usd,
    frontier,
    report_html,
    used_figure_prefixes,
)
from tests.support import small_scenario

EVIL_NAME = "<script>alert(1)</script>"
EVIL_TYPE = 'pole <b>&</b> "$x$"'
"""A site type name with markup, an ampersand, quotes and matplotlib mathtext."""
EVIL_DESCRIPTION = "<img src=https://example.com/x.png onerror=alert(2)> & more"

HEADLINE_KEYS = (
    "people_newly_covered",
    "share_newly_covered",
    "people_total",
    "sites_selected",
    "capex_usd",
    "opex_usd_per_year",
    "tco_usd",
    "people_per_1000_usd",
    "cost_per_person_usd",
    "horizon_years",
    "discount_rate",
    "placement_method",
    "placement_status",
    "budget_usd",
    "budget_used_usd",
)
MAX_REPORT_BYTES = 2_000_000
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
URL_ATTRIBUTES = {"src", "href", "srcset", "action", "formaction", "data", "poster", "background"}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A small plan with hostile user strings, its results folder and its report.html."""
    tmp = tmp_path_factory.mktemp("report")
    scenario = small_scenario(
        tmp,
        name=EVIL_NAME,
        description=EVIL_DESCRIPTION,
        site_types={
            EVIL_TYPE: {
                "mast_height_m": 15,
                "eirp_dbm": 56,
                "power_w": 150,
                "cost_item": "light_pole",
            }
        },
    )
    p = plan(scenario)
    out = write_results(p, tmp / "results")
    return p, out, (out / "report.html").read_text(encoding="utf-8")


class _Collector(HTMLParser):
    """Every start tag with its attributes, the text of <style> elements, and the
    ``data-key`` elements with their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self.values: dict[str, tuple[str, str]] = {}
        self._open: list[tuple[str, str, str, list[str]]] = []  # tag, key, raw, text
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self._in_style = tag == "style"
        if "data-key" in a:
            self._open.append((tag, a["data-key"], a.get("data-value") or "", []))

    def handle_endtag(self, tag):
        self._in_style = False
        if self._open and self._open[-1][0] == tag:
            _, key, raw, text = self._open.pop()
            assert key not in self.values, f"data-key {key!r} appears twice"
            self.values[key] = (raw, "".join(text))

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)
        for item in self._open:
            item[3].append(data)


def _parse(page: str) -> _Collector:
    c = _Collector()
    c.feed(page)
    c.close()
    return c


def summary_value(summary: dict, key: str):
    """``summary[key]``; a dotted key reaches into a nested mapping (``sites_by_type.x``)."""
    if key in summary:
        return summary[key]
    head, rest = key.split(".", 1)
    return summary_value(summary[head], rest)


def shown_number(text: str) -> tuple[float, float]:
    """The number a formatted value shows (``USD 1,234``, ``12.50 %``, ``3.1``) and half
    a unit of its last shown digit (the rounding the formatting allows)."""
    t = text.replace("USD", "").replace(",", "").strip()
    percent = t.endswith("%")
    t = t.rstrip("%").strip()
    decimals = len(t.split(".")[1]) if "." in t else 0
    x, tol = float(t), 0.5 * 10.0**-decimals
    return (x / 100.0, tol / 100.0) if percent else (x, tol)


def check_headline(values: dict[str, tuple[str, str]], summary: dict) -> None:
    """Every value shown with a data-key equals summary.json: the raw value exactly, the
    text within its rounding; the headline keys are all there."""
    required = set(HEADLINE_KEYS)
    required |= {f"sites_by_type.{k}" for k in summary["sites_by_type"]}
    required |= {f"backhaul_links_by_type.{k}" for k in summary["backhaul_links_by_type"]}
    missing = required - set(values)
    assert not missing, f"headline values missing from the page: {sorted(missing)}"
    for key, (raw, text) in values.items():
        expected = summary_value(summary, key)
        assert json.loads(raw) == expected, key
        text = " ".join(text.split())
        if expected is None:
            assert text == "n/a", key
        elif isinstance(expected, str):
            assert text == expected, key
        else:
            shown, tol = shown_number(text)
            assert abs(shown - expected) <= tol * (1 + 1e-9), (key, text, expected)


def test_report_is_self_contained_and_escaped(report):
    _, out, page = report
    summary = json.loads((out / "summary.json").read_text())
    assert len(page.encode()) < MAX_REPORT_BYTES
    parsed = _parse(page)
    tags = [t for t, _ in parsed.tags]
    assert "script" not in tags  # the page needs no script, so it has none
    assert tags.count("img") >= 3  # map, budget curve, cost breakdown
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            if name in URL_ATTRIBUTES:
                assert value is not None and value.startswith(("data:", "#")), (tag, name, value)
            assert not name.startswith("on"), (tag, name)  # no event handler
    for css in [*parsed.styles, *(a.get("style") or "" for _, a in parsed.tags)]:
        assert "@import" not in css
        assert "url(" not in css.replace("url(data:", "")
    # user strings are escaped: the hostile name is text, not markup
    assert EVIL_NAME not in page
    assert html.escape(EVIL_NAME) in page
    assert EVIL_TYPE not in page and html.escape(EVIL_TYPE) in page
    assert "<img src=https" not in page and html.escape(EVIL_DESCRIPTION) in page
    assert "<b>&</b>" not in page
    # the headline numbers read back as summary.json
    check_headline(parsed.values, summary)
    assert parsed.values["scenario"][1] == EVIL_NAME


def test_report_lists_the_plan_figures_with_their_sources(report):
    p, _, page = report
    prefixes = used_figure_prefixes(p)
    used = [k for k in p.preset.figures if k.startswith(prefixes)]
    assert any(k.startswith("site_types.light_pole.") for k in used)
    assert any(k.startswith("backhaul.satellite.") for k in used)
    for key in used:
        assert html.escape(key) in page, key
        assert html.escape(p.preset.sources[key]) in page, key
    # the per-site table holds every chosen site in rollout order
    sites = p.sites
    body = page.split('<section id="sites">', 1)[1].split("</section>", 1)[0]
    assert body.count("<tr>") == len(sites) + 1
    # cost breakdown: sites + backhaul add up to the headline TCO
    split = p.cost_split
    assert sum(v["capex_usd"] for v in split.values()) == pytest.approx(p.summary["capex_usd"])
    assert sum(v["tco_usd"] for v in split.values()) == pytest.approx(p.summary["tco_usd"])


def _curve_section(page: str) -> str:
    start = page.index('<section id="budget-curve">')
    return page[start : page.index("</section>", start)]


def _curve_rows(section: str) -> list[list[str]]:
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [html.unescape(c.split(">", 1)[1]) for c in row.split("</td>")[:-1]]
        for row in body.split("<tr>")[1:]
    ]


def test_budget_curve_is_drawn_at_its_real_cost(report):
    p, _, page = report
    section = _curve_section(page)
    n = p.curve.budget_usd.size
    assert f"{n} of the {n} choices were then re-costed" in section
    assert html.escape(fmt_usd(p.summary["budget_used_usd"])) in section
    assert "cost with designed backhaul" in section
    rows = _curve_rows(section)
    assert len(rows) == n
    for row, real in zip(rows, p.curve_backhaul.cost_usd, strict=True):
        assert len(row) == 8 and row[6] == fmt_usd(real)
    # some points re-costed: the others' cells are empty
    q = p.replace(placement={"budget_curve_backhaul_points": 3})
    rows = _curve_rows(_curve_section(report_html(q)))
    assert [k for k, row in enumerate(rows) if row[5:] != ["", "", ""]] == [0, 12, 24]
    # none: the curve at placement's estimate, as the page says
    none = _curve_section(report_html(p.replace(placement={"budget_curve_backhaul_points": 0})))
    assert "placement.budget_curve_backhaul_points is 0" in none
    assert all(row[5:] == ["", "", ""] for row in _curve_rows(none))


def test_frontier_is_the_most_people_found_at_each_cost():
    rng = np.random.default_rng(2)
    cost, people = rng.uniform(1, 100, 40), rng.uniform(0, 1_000, 40)
    x, y = frontier(cost, people)
    assert x[0] == 0 and y[0] == 0
    assert (np.diff(x) > 0).all() and (np.diff(y) > 0).all()
    for c, q in zip(cost, people, strict=True):  # every point on or below the step line
        assert q <= y[np.searchsorted(x, c, side="right") - 1]
    assert set(zip(x[1:], y[1:], strict=True)) <= set(zip(cost, people, strict=True))


def test_report_is_deterministic(report):
    """Rendered again from the plan: the same bytes (no clock, no random names)."""
    p, _, page = report
    assert report_html(p, covered_area=p.covered_area) == page


def _chrome():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER} (Debian chromium, chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


def test_report_in_headless_chromium(report, tmp_path):
    _, out, _ = report
    summary = json.loads((out / "summary.json").read_text())
    started = time.perf_counter()
    driver = _chrome()
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    try:
        url = (out / "report.html").as_uri()
        driver.get(url)
        requests = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
        urls = [
            m["params"]["request"]["url"]
            for m in requests
            if m["method"] == "Network.requestWillBeSent"
        ]
        assert url in urls  # the log works: it saw the page itself
        remote = [u for u in urls if not u.startswith(("file://", "data:"))]
        assert not remote, remote
        assert driver.execute_script("return document.readyState") == "complete"
        assert driver.title == f"Coverage plan: {EVIL_NAME}"
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018 - no injected script ran
        assert driver.execute_script("return document.scripts.length") == 0
        # every inline image decoded
        sizes = driver.execute_script(
            "return Array.from(document.images, i => [i.complete, i.naturalWidth])"
        )
        assert len(sizes) >= 3 and all(done and w > 0 for done, w in sizes), sizes

        values = {
            e.get_attribute("data-key"): (e.get_attribute("data-value"), e.text)
            for e in driver.find_elements(By.CSS_SELECTOR, "[data-key]")
        }
        check_headline(values, summary)

        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(int(height) + 150, 16_000))
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("RURAL_PLAN_SCREENSHOT_DIR"):
            folder = Path(os.environ["RURAL_PLAN_SCREENSHOT_DIR"])
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, folder / "report_small.png")

        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe
    finally:
        driver.quit()
    print(f"headless Chromium check: {time.perf_counter() - started:.1f} s")


def test_covered_area_holds_every_cell_the_plan_covers(report):
    p, _, _ = report
    area = p.covered_area
    grid, cov = p.region.grid, p.coverage
    assert cov.demand.block == 1 and len(p.options.type_name) == 1  # where the rule is exact
    newly = cov.people_grid(cov.covered_by(p.selection.chosen), grid.population) > 0
    assert newly.any()
    assert not (newly & ~area).any()
    assert not (area & ~grid.land).any()
    assert area.sum() >= newly.sum()


def test_money_over_time_has_its_chart_and_stability_is_explained(report):
    p, _, page = report
    card = page.split('data-key="backhaul_placement_stop"', 1)[1].split("</div></div>", 1)[0]
    stable = p.summary["backhaul_placement_stable"]
    assert f"backhaul_placement_stable: {json.dumps(stable)}, " in card
    assert ("not converged" in card) != stable
    if p.money is None:
        assert '<section id="money">' not in page
        return
    money = page.split('<section id="money">', 1)[1].split("</section>", 1)[0]
    assert money.count("<img ") == 1 and "cumulative net cash" in money
