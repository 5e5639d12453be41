"""The report's map: graticule labels that are pyproj's longitudes and latitudes, north
by the grid's convergence, every site and point of presence on the map and nothing
drawn over them, village names for named settlements only, no data drawn as no data,
one map per backhaul cluster on a large area."""

from __future__ import annotations

import dataclasses
import math

import matplotlib
import numpy as np
import pytest
from pyproj import Transformer

from rural_plan import plan
from rural_plan.grid.region import UNNAMED_SETTLEMENT, Points
from rural_plan.report import maps
from rural_plan.report.maps import (
    NO_DATA_RGB,
    SEA_RGB,
    cluster_views,
    draw_base,
    graticule,
    is_unnamed,
    map_name,
    north_angle_deg,
    plan_map,
)
from tests.support import land_grid, small_scenario

matplotlib.use("Agg")

UTM_38S = "EPSG:32738"
NGAZIDJA_M = (305_000.0, 343_000.0, 8_677_000.0, 8_744_000.0)
"""Ngazidja's grid extent (x0, x1, y0, y1) in UTM 38S [m]."""


@pytest.mark.parametrize(
    ("crs", "extent"),
    [
        (UTM_38S, NGAZIDJA_M),
        ("EPSG:32619", (220_000.0, 270_000.0, 2_055_000.0, 2_069_000.0)),  # Neiba, 19N
        ("EPSG:32633", (480_000.0, 560_000.0, 5_300_000.0, 5_420_000.0)),  # 47-48°N
    ],
)
def test_graticule_labels_are_pyproj_longitudes_and_latitudes(crs, extent):
    g = graticule(crs, extent)
    to_geo = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x0, x1, y0, y1 = extent
    corners_lon, corners_lat = to_geo.transform([x0, x1, x1, x0], [y0, y0, y1, y1])
    assert 2 <= len(g.x_ticks) <= 8 and 2 <= len(g.y_ticks) <= 8
    for x, label, lon in g.x_ticks:  # where the meridian meets the bottom edge
        got_lon, _ = to_geo.transform(x, y0)
        assert got_lon == pytest.approx(lon, abs=1e-7)
        assert min(corners_lon) - 1e-9 <= lon <= max(corners_lon) + 1e-9
        assert x0 <= x <= x1
        assert lon / g.lon_step_deg == pytest.approx(round(lon / g.lon_step_deg), abs=1e-6)
        assert label == f"{abs(lon):.{_decimals(g.lon_step_deg)}f}°{'E' if lon > 0 else 'W'}"
    for y, label, lat in g.y_ticks:  # where the parallel meets the left edge
        _, got_lat = to_geo.transform(x0, y)
        assert got_lat == pytest.approx(lat, abs=1e-7)
        assert min(corners_lat) - 1e-9 <= lat <= max(corners_lat) + 1e-9
        assert label == f"{abs(lat):.{_decimals(g.lat_step_deg)}f}°{'N' if lat > 0 else 'S'}"
    # the lines: every vertex of a meridian is at its longitude
    lon_line, x, y = g.meridians[0]
    lons, _ = to_geo.transform(x, y)
    assert np.allclose(lons, lon_line, atol=1e-7)


def _decimals(step: float) -> int:
    return 0 if step >= 1 else len(f"{step:.6f}".rstrip("0").split(".")[1])


def test_north_is_the_grid_convergence():
    """γ = atan(tan(λ − λ0) sin φ) (transverse Mercator, spherical approximation)."""
    to_map = Transformer.from_crs("EPSG:4326", UTM_38S, always_xy=True)
    for lon, lat in [(45.0, -11.7), (43.25, -11.7), (47.5, -30.0)]:
        x, y = to_map.transform(lon, lat)
        gamma = math.degrees(
            math.atan(math.tan(math.radians(lon - 45.0)) * math.sin(math.radians(lat)))
        )
        # true north lies clockwise of grid north by -γ (east of the central meridian in
        # the south: north leans east)
        assert north_angle_deg(UTM_38S, x, y) == pytest.approx(-gamma, abs=0.02)


def test_names_on_maps():
    assert map_name("Moroni موروني") == "Moroni"
    assert map_name("دوموني Domoni") == "Domoni"
    assert map_name("Salimani Ya Mahamé سليمان يا محمد") == "Salimani Ya Mahamé"
    assert map_name("Mitsamiouli") == "Mitsamiouli"
    assert map_name("موروني") == "موروني"  # one script: as it is
    assert map_name("$x$ village") == r"\$x\$ village"  # no mathtext
    assert is_unnamed(UNNAMED_SETTLEMENT.format(12))
    assert not is_unnamed("Settlement Road") and not is_unnamed("settlement 12b")


def test_no_data_is_not_sea():
    """Cells outside the terrain data: grey, not sea blue; sea stays blue."""
    import matplotlib.pyplot as plt

    elev = np.full((20, 30), 300.0)
    elev[:, :5] = 0.0  # sea on the west
    grid = land_grid(elev, 90.0)
    land = elev > 0
    land[:, 25:] = False
    no_data = np.zeros_like(land)
    no_data[:, 25:] = True  # a band with no DEM: heights filled from its neighbours
    grid = dataclasses.replace(grid, land=land, no_data=no_data)
    fig, ax = plt.subplots()
    draw_base(ax, grid)
    rgb = ax.images[0].get_array()
    assert np.allclose(rgb[10, 27], NO_DATA_RGB)
    assert np.allclose(rgb[10, 2], SEA_RGB)
    assert not np.allclose(rgb[10, 12], NO_DATA_RGB) and not np.allclose(rgb[10, 12], SEA_RGB)
    plt.close(fig)


# ---------------------------------------------------------------------- a real plan's map

NAMED = ("Moroni موروني", "Mitsamiouli", "Foumbouni", "Iconi", "Mbéni", "Ouellah")


@pytest.fixture(scope="module")
def mapped(tmp_path_factory):
    """A small plan with settlements (named, bilingual and unnamed) at its most populous
    cells, a road and a named existing site added to its region, and its map."""
    import matplotlib.pyplot as plt

    p = plan(small_scenario(tmp_path_factory.mktemp("map"), outputs__alternatives=False))
    grid = p.region.grid
    flat = np.argsort(grid.population, axis=None, kind="stable")[::-1]
    rows, cols = np.unravel_index(flat, grid.shape)
    picked: list[tuple[int, int]] = []
    for r, c in zip(rows, cols, strict=True):  # spread: 1.5 km apart at least
        if all(math.hypot(r - a, c - b) * grid.cell_size_m > 1_500 for a, b in picked):
            picked.append((int(r), int(c)))
        if len(picked) == 12:
            break
    r, c = np.array(picked).T
    x, y = grid.xy_of(r, c)
    names = tuple(NAMED[k] if k < len(NAMED) else UNNAMED_SETTLEMENT.format(k) for k in range(12))
    z = np.zeros(12)
    settlements = Points(names, x, y, r, c, z, z)
    tx, ty = grid.xy_of(np.array([5]), np.array([5]))
    towers = Points(
        ("Tour de contrôle",), tx, ty, np.array([5]), np.array([5]), z[:1] + 30, z[:1] + 60
    )
    road = np.column_stack([np.linspace(x.min(), x.max(), 5), np.linspace(y.min(), y.max(), 5)])
    region = dataclasses.replace(p.region, settlements=settlements, towers=towers, roads=(road,))
    q = dataclasses.replace(p, region=region)
    fig = plan_map(q, covered_area=p.covered_area, show_population=True)
    fig.canvas.draw()
    yield q, fig
    plt.close(fig)


def _site_points(p) -> np.ndarray:
    xk, yk = maps._site_xy_km(p)
    fx, fy = np.asarray(p.region.fibre.x) / 1e3, np.asarray(p.region.fibre.y) / 1e3
    return np.column_stack([np.r_[xk, fx], np.r_[yk, fy]])


def test_every_site_and_pop_is_on_the_map_and_nothing_covers_it(mapped):
    p, fig = mapped
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    pts = ax.transData.transform(_site_points(p))
    assert len(pts) == len(p.selection.chosen) + len(p.region.fibre) > 1
    inside = (
        (pts[:, 0] >= box.x0 - 1e-6)
        & (pts[:, 0] <= box.x1 + 1e-6)
        & (pts[:, 1] >= box.y0 - 1e-6)
        & (pts[:, 1] <= box.y1 + 1e-6)
    )
    assert inside.all(), pts[~inside]
    # the legend, colour bar, inset, scale bar and north arrow lie outside the map
    others = [ax.get_legend(), *(a for a in fig.axes if a is not ax)]
    others += list(ax.artists) + list(fig.artists) + list(fig.texts)
    assert len(others) >= 6
    for artist in others:
        bb = artist.get_window_extent(renderer)
        assert not bb.overlaps(box), (artist, bb, box)
    # the graticule's labels are the axes' tick labels
    g = ax.graticule
    assert [t.get_text() for t in ax.get_xticklabels()] == [s for _, s, _ in g.x_ticks]
    assert [t.get_text() for t in ax.get_yticklabels()] == [s for _, s, _ in g.y_ticks]
    assert np.allclose(ax.get_xticks(), [x / 1e3 for x, _, _ in g.x_ticks])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for entry in ("road", "fibre point of presence", "existing site (today)"):
        assert entry in legend
    grid = p.region.grid
    assert ("sea" in legend) == bool((~grid.land & ~grid.no_data).any())  # all land here


def test_village_names_are_drawn_for_named_settlements(mapped):
    p, fig = mapped
    ax = fig.axes[0]
    drawn = [t.get_text() for t in ax.settlement_labels]
    named = {map_name(n) for n in p.region.settlements.names if not is_unnamed(n)}
    assert drawn and set(drawn) <= named
    assert "Moroni" in drawn  # the most populous, bilingual: its Latin-script words
    assert not any(is_unnamed(t.get_text()) for t in ax.texts)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.settlement_labels]
    for i, a in enumerate(boxes):  # no two names on top of each other
        assert not any(a.overlaps(b) for b in boxes[i + 1 :])
    texts = {t.get_text() for t in ax.texts}
    assert "Tour de contrôle" in texts  # today's site, named
    assert {map_name(n) for n in p.region.fibre.names} <= texts  # fibre PoPs, named


def test_one_map_per_backhaul_cluster_on_a_large_area(mapped, monkeypatch):
    p, _ = mapped
    assert cluster_views(p) == []  # 12 km across: the overview is enough
    monkeypatch.setattr(maps, "LARGE_AREA_KM", 1.0)
    roots = maps.backhaul_roots(p)
    clusters = {r for r in roots if r != "satellite"}
    views = cluster_views(p)
    if len(clusters) < 2:
        assert views == []
        return
    assert len(views) == min(len(clusters), maps.MAX_CLUSTER_MAPS)
    xk, yk = maps._site_xy_km(p)
    for v in views:
        x0, x1, y0, y1 = v.extent_km
        assert v.sites and all(x0 <= xk[i] <= x1 and y0 <= yk[i] <= y1 for i in v.sites)
        assert len({roots[i] for i in v.sites}) == 1


def test_people_served_today_are_split_into_reached_and_assumed(tmp_path):
    """With baseline.fill_to_reported, the map tells the people today's network is
    modelled to reach from those only assumed served."""
    import matplotlib.pyplot as plt

    p = plan(
        small_scenario(
            tmp_path,
            baseline={"reported_coverage_pct": 40, "source": "a test", "fill_to_reported": True},
            outputs__alternatives=False,
        )
    )
    today = p.prepared.today
    assert today.people_assumed > 0 and today.reached is not None
    assert not (today.reached & ~today.served).any()  # the fill only adds cells
    demand = p.coverage.demand
    assert demand.people[today.served & ~today.reached].sum() == pytest.approx(today.people_assumed)
    fig = plan_map(p, show_population=True)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "served today: assumed (baseline)" in legend
    assert "served today: reached by today's sites" in legend
    plt.close(fig)
