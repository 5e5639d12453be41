"""Maps of a plan drawn with matplotlib on the plan's own metric grid.

The map stays in the grid's projected CRS (kilometres on the axes' data coordinates) and
is read in geographic terms: a latitude / longitude graticule whose lines and tick labels
are computed with pyproj (labels where each meridian and parallel meets the map's bottom
and left edges), a scale bar (matplotlib's ``AnchoredSizeBar``), a north arrow turned by
the grid's meridian convergence, village names, roads, fibre points of presence and
today's sites with their names, and an inset locating the area on a longitude /
latitude frame. Nothing is downloaded: every layer comes from the plan's own inputs.

Everything that explains the map (legend, colour bar, scale bar, north arrow, inset)
sits outside the map's axes, so it never hides a site.

>>> fig = plan_map(p)  # doctest: +SKIP
>>> fig.savefig("plan.png", bbox_inches="tight")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

from rural_plan.grid.region import UNNAMED_SETTLEMENT

COVERED_COLOUR = "#1b9e77"
"""Outline of the area the plan covers."""
NEW_CMAP = "YlOrRd"
"""People newly covered by the plan."""
TODAY_CMAP = "Purples"
"""People served today (by the existing network or assumed so by the baseline)."""
NO_DATA_RGB = (0.97, 0.97, 0.97)
NO_DATA_HATCH = "#8c8c8c"
ASSUMED_COLOUR = "#cbc9e2"
"""People assumed served today (baseline.fill_to_reported): one flat light purple."""
"""Cells outside the terrain data or the area of interest: neither land nor sea."""
SEA_RGB = (0.75, 0.85, 0.95)
ROAD_COLOUR = "#a0522d"
FIBRE_COLOUR = "#2166ac"
TOWER_COLOUR = "#252525"
HALO = 2.2
"""Width [pt] of the white halo behind labels."""

MAX_SETTLEMENT_LABELS = 30
"""Village names drawn on one map at most: the most populous first (people within
:data:`SETTLEMENT_RADIUS_M` of the point), each only where it overlaps no name, site or
point of presence already drawn (the first six times as many are tried)."""
SETTLEMENT_RADIUS_M = 1_500.0
MAX_NUMBERED_SITES = 60
"""Sites numbered on a map (rollout order); the sites table lists all."""
LARGE_AREA_KM = 80.0
"""An area whose longer side exceeds this gets, besides the overview, one map per
backhaul cluster (:func:`cluster_views`)."""
MAX_CLUSTER_MAPS = 12


# -- raster layers --------------------------------------------------------------------


def hillshade(
    elevation_m: np.ndarray,
    cell_size_m: float,
    azimuth_deg: float = 315.0,
    altitude_deg: float = 45.0,
) -> np.ndarray:
    """Lambertian hillshade in [0, 1] (light from ``azimuth_deg`` clockwise from north)."""
    dz_dy, dz_dx = np.gradient(elevation_m, cell_size_m)
    slope = np.arctan(np.hypot(dz_dx, dz_dy))
    # rows grow southwards: a north-facing slope has dz/drow > 0
    aspect = np.arctan2(-dz_dx, dz_dy)
    az, alt = np.radians(azimuth_deg), np.radians(altitude_deg)
    shade = np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect)
    return np.clip(shade, 0.0, 1.0)


def decimation(shape: tuple[int, int], max_pixels: int = 1_500_000) -> int:
    """Stride that keeps a raster of ``shape`` under ``max_pixels`` for drawing."""
    return max(1, int(np.ceil(np.sqrt(shape[0] * shape[1] / max_pixels))))


def block_sum(a: np.ndarray, step: int) -> np.ndarray:
    """Sum over step × step blocks (people stay counted when a map is coarsened)."""
    if step == 1:
        return a
    r, c = (-(-n // step) * step for n in a.shape)
    padded = np.zeros((r, c), dtype=np.float64)
    padded[: a.shape[0], : a.shape[1]] = a
    return padded.reshape(r // step, step, c // step, step).sum(axis=(1, 3))


def _people_layer(ax, people, step, shape, extent, cmap, alpha):
    import matplotlib.colors as mcolors

    p = np.ma.masked_less_equal(block_sum(people, step)[: shape[0], : shape[1]], 0.0)
    if not p.count():
        return None
    return ax.imshow(
        p,
        extent=extent,
        cmap=cmap,
        norm=mcolors.LogNorm(vmin=max(p.min(), 0.1), vmax=max(p.max(), 1.0)),
        alpha=alpha,
        interpolation="nearest",
    )


def draw_base(
    ax,
    grid,
    *,
    people: np.ndarray | None = None,
    people_label: str = "people",
    covered_area: np.ndarray | None = None,
    other_people: np.ndarray | None = None,
    people_today: np.ndarray | None = None,
    people_assumed: np.ndarray | None = None,
):
    """Hillshaded terrain, sea in blue, cells outside the data in grey, and (optionally)
    people per cell on a log scale.

    ``covered_area`` (bool per grid cell) is outlined (and lightly hatched) in
    :data:`COVERED_COLOUR`; ``other_people`` (people per cell, e.g. those the plan leaves
    out) is drawn in grey, ``people_today`` (those today's sites reach) in purple and
    ``people_assumed`` (those assumed served today) in light purple, all under
    ``people``. Axes are in km of the grid's projected CRS. Returns the image of
    ``people`` (for a colour bar) or None.
    """
    step = decimation(grid.shape)
    extent = _extent_km(grid)
    shade = hillshade(grid.elevation_m[::step, ::step], grid.cell_size_m * step)
    land = grid.land[::step, ::step]
    rgb = np.where(land[..., None], (0.55 + 0.45 * shade)[..., None] * [0.93, 0.91, 0.86], SEA_RGB)
    no_data = None
    if grid.no_data is not None:
        no_data = grid.no_data & ~grid.land
        rgb = np.where(no_data[::step, ::step, None], NO_DATA_RGB, rgb)
    ax.imshow(rgb, extent=extent, interpolation="nearest")
    if no_data is not None and no_data.any():
        _outline(ax, no_data, step, extent, colour=NO_DATA_HATCH, hatch="xx", edge=False)
    if other_people is not None:
        _people_layer(ax, other_people, step, land.shape, extent, "Greys", 0.7)
    if people_assumed is not None:
        a = block_sum(people_assumed, step)[: land.shape[0], : land.shape[1]] > 0
        if a.any():
            import matplotlib.colors as mcolors

            ax.imshow(
                np.ma.masked_equal(a.astype(np.float64), 0.0),
                extent=extent,
                cmap=mcolors.ListedColormap([ASSUMED_COLOUR]),
                vmin=0.0,
                vmax=1.0,
                alpha=0.9,
                interpolation="nearest",
            )
    if people_today is not None:
        _people_layer(ax, people_today, step, land.shape, extent, TODAY_CMAP, 0.75)
    image = None
    if people is not None:
        image = _people_layer(ax, people, step, land.shape, extent, NEW_CMAP, 0.9)
    if covered_area is not None and covered_area.any():
        _outline(ax, covered_area, step, extent)
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_aspect("equal")
    return image


def _outline(
    ax,
    mask: np.ndarray,
    step: int,
    extent: list[float],
    *,
    colour: str = COVERED_COLOUR,
    hatch: str = "/",
    edge: bool = True,
) -> None:
    """``mask`` (bool per grid cell) hatched, its edge drawn as a line when ``edge``."""
    m = mask[::step, ::step].astype(np.float64)
    m = np.pad(m, 1)  # closed outlines at the grid's edge
    w = (extent[1] - extent[0]) / (m.shape[1] - 2)
    h = (extent[3] - extent[2]) / (m.shape[0] - 2)
    xs = extent[0] + (np.arange(m.shape[1]) - 0.5) * w
    ys = extent[3] - (np.arange(m.shape[0]) - 0.5) * h
    import matplotlib

    with matplotlib.rc_context({"hatch.linewidth": 0.35, "hatch.color": colour}):
        ax.contourf(xs, ys, m, levels=[0.5, 1.5], colors="none", hatches=[hatch], zorder=1.5)
    if edge:
        ax.contour(xs, ys, m, levels=[0.5], colors=colour, linewidths=1.1, zorder=1.6)


def to_km(grid, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
    """Projected metres → the km axes :func:`draw_base` uses."""
    return np.asarray(x_m) / 1000.0, np.asarray(y_m) / 1000.0


def _extent_km(grid) -> list[float]:
    t = grid.transform
    rows, cols = grid.shape
    x0, y0 = t.c, t.f
    x1, y1 = x0 + cols * t.a, y0 + rows * t.e
    return [x0 / 1000.0, x1 / 1000.0, y1 / 1000.0, y0 / 1000.0]


# -- graticule, north, scale -----------------------------------------------------------


@dataclass(frozen=True)
class Graticule:
    """Meridians and parallels over a projected extent, and where they meet its edges.

    ``meridians`` / ``parallels``: (degrees, x [m], y [m]) lines in the projected CRS.
    ``x_ticks``: (x [m] where the meridian crosses the bottom edge, label, longitude);
    ``y_ticks``: (y [m] where the parallel crosses the left edge, label, latitude).
    """

    meridians: tuple[tuple[float, np.ndarray, np.ndarray], ...]
    parallels: tuple[tuple[float, np.ndarray, np.ndarray], ...]
    x_ticks: tuple[tuple[float, str, float], ...]
    y_ticks: tuple[tuple[float, str, float], ...]
    lon_step_deg: float
    lat_step_deg: float


GRATICULE_STEPS_DEG = (10.0, 5.0, 2.0, 1.0, 0.5, 0.25, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005)


def nice_step_deg(span_deg: float, lines: int = 4) -> float:
    """The step of :data:`GRATICULE_STEPS_DEG` whose number of lines over ``span_deg`` is
    nearest ``lines`` (the larger step on a tie), at least two lines when any step gives
    them."""
    steps = [s for s in GRATICULE_STEPS_DEG if span_deg / s >= 2] or [GRATICULE_STEPS_DEG[-1]]
    return min(steps, key=lambda s: (abs(span_deg / s - lines), -s))


def format_degrees(value: float, step_deg: float, *, axis: str) -> str:
    """``43.25°E`` / ``11.7°S``: as many decimals as ``step_deg`` needs."""
    decimals = len(f"{step_deg:.6f}".rstrip("0").split(".")[1]) if step_deg < 1 else 0
    hemi = ("E" if value >= 0 else "W") if axis == "lon" else ("N" if value >= 0 else "S")
    v = abs(value)
    if round(v, decimals) == 0:
        hemi = ""
    return f"{v:.{decimals}f}°{hemi}"


def _transformer(crs_from, crs_to):
    from pyproj import Transformer

    return Transformer.from_crs(crs_from, crs_to, always_xy=True)


def graticule(
    crs: str,
    extent_m: tuple[float, float, float, float],
    *,
    lon_lines: int = 4,
    lat_lines: int = 4,
) -> Graticule:
    """Meridians and parallels covering ``extent_m`` (x0, x1, y0, y1 in ``crs``): about
    ``lon_lines`` meridians and ``lat_lines`` parallels at round steps in degrees,
    computed with pyproj, and where they cross the bottom and left edges."""
    x0, x1, y0, y1 = extent_m
    to_geo = _transformer(crs, "EPSG:4326")
    to_map = _transformer("EPSG:4326", crs)
    t = np.linspace(0.0, 1.0, 41)
    bx = np.r_[x0 + (x1 - x0) * t, np.full(t.size, x1), x1 - (x1 - x0) * t, np.full(t.size, x0)]
    by = np.r_[np.full(t.size, y0), y0 + (y1 - y0) * t, np.full(t.size, y1), y1 - (y1 - y0) * t]
    lon, lat = to_geo.transform(bx, by)
    lon_min, lon_max = float(np.min(lon)), float(np.max(lon))
    lat_min, lat_max = float(np.min(lat)), float(np.max(lat))
    lon_step = nice_step_deg(lon_max - lon_min, lon_lines)
    lat_step = nice_step_deg(lat_max - lat_min, lat_lines)
    meridians, parallels, x_ticks, y_ticks = [], [], [], []
    lats = np.linspace(lat_min - lat_step, lat_max + lat_step, 200)
    for k in range(math.ceil(lon_min / lon_step), math.floor(lon_max / lon_step) + 1):
        lo = round(k * lon_step, 10)
        mx, my = (np.asarray(v) for v in to_map.transform(np.full(lats.size, lo), lats))
        meridians.append((lo, mx, my))
        x_at = _crossing(my, mx, y0)  # a meridian's y grows with latitude
        if x_at is not None and x0 <= x_at <= x1:
            x_ticks.append((x_at, format_degrees(lo, lon_step, axis="lon"), lo))
    lons = np.linspace(lon_min - lon_step, lon_max + lon_step, 200)
    for k in range(math.ceil(lat_min / lat_step), math.floor(lat_max / lat_step) + 1):
        la = round(k * lat_step, 10)
        px, py = (np.asarray(v) for v in to_map.transform(lons, np.full(lons.size, la)))
        parallels.append((la, px, py))
        y_at = _crossing(px, py, x0)  # a parallel's x grows with longitude
        if y_at is not None and y0 <= y_at <= y1:
            y_ticks.append((y_at, format_degrees(la, lat_step, axis="lat"), la))
    return Graticule(
        tuple(meridians), tuple(parallels), tuple(x_ticks), tuple(y_ticks), lon_step, lat_step
    )


def _crossing(along: np.ndarray, other: np.ndarray, at: float) -> float | None:
    """``other`` where the polyline reaches ``along == at`` (``along`` increasing)."""
    if not (along[0] <= at <= along[-1]):
        return None
    return float(np.interp(at, along, other))


def draw_graticule(ax, crs: str, extent_km: list[float], *, fontsize: float = 8) -> Graticule:
    """Graticule lines on ``ax`` (km axes, limits and aspect already set) and its degrees
    as the axes' tick labels: about one line per 1.1 inches of map."""
    x0, x1, y0, y1 = extent_km
    box = ax.get_position()
    w_in, h_in = box.width * ax.figure.get_figwidth(), box.height * ax.figure.get_figheight()
    g = graticule(
        crs,
        (x0 * 1e3, x1 * 1e3, y0 * 1e3, y1 * 1e3),
        lon_lines=int(np.clip(w_in / 1.1, 2, 8)),
        lat_lines=int(np.clip(h_in / 1.1, 2, 8)),
    )
    style = {"color": "#404040", "lw": 0.5, "alpha": 0.55, "ls": (0, (4, 3)), "zorder": 2.5}
    for _, x, y in (*g.meridians, *g.parallels):
        ax.plot(x / 1e3, y / 1e3, **style)
    ax.set_xticks([x / 1e3 for x, _, _ in g.x_ticks], [s for _, s, _ in g.x_ticks])
    ax.set_yticks(
        [y / 1e3 for y, _, _ in g.y_ticks], [s for _, s, _ in g.y_ticks], rotation=90, va="center"
    )
    ax.tick_params(labelsize=fontsize, direction="out", length=3)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return g


def north_angle_deg(crs: str, x_m: float, y_m: float) -> float:
    """Angle of true north from the map's up direction at (x, y) [deg, clockwise
    positive]: the grid's meridian convergence, with pyproj."""
    to_geo = _transformer(crs, "EPSG:4326")
    to_map = _transformer("EPSG:4326", crs)
    lon, lat = to_geo.transform(x_m, y_m)
    nx, ny = to_map.transform(lon, min(lat + 0.01, 89.99))
    return math.degrees(math.atan2(nx - x_m, ny - y_m))


def nice_length(target: float) -> float:
    """The 1-2-5 number at or below ``target`` (> 0)."""
    exp = math.floor(math.log10(target))
    for m in (5.0, 2.0, 1.0):
        if m * 10**exp <= target:
            return m * 10**exp
    return 10**exp


def _scale_label(km: float) -> str:
    return f"{km * 1000:.0f} m" if km < 1 else f"{km:g} km"


# -- the plan map ---------------------------------------------------------------------

SITE_MARKERS = ("o", "^", "s", "D", "v", "P")
SITE_COLOURS = ("#ffffff", "#ff7f00", "#33a02c", "#e7298a", "#a6761d", "#1f78b4")
"""Fill of each site type (in the scenario's order), black-edged."""
LINK_COLOURS = {
    "microwave": "#d7301f",
    "relay": "#7a0177",
    "fibre": "#0570b0",
    "satellite": "#636363",
}


def plain_text(text: str) -> str:
    """``text`` as matplotlib draws it literally (no ``$...$`` mathtext)."""
    return str(text).replace("$", r"\$")


_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def map_name(name: str) -> str:
    """A place name as a map label: of a name written in two scripts (OpenStreetMap's
    ``Moroni موروني``), the words in Latin script, since matplotlib does not shape
    right-to-left scripts; any other name as it is."""
    words = str(name).split()
    latin = [w for w in words if _LATIN.search(w)]
    other = [w for w in words if not _LATIN.search(w) and any(c.isalpha() for c in w)]
    if latin and other:
        words = [w for w in words if _LATIN.search(w) or not any(c.isalpha() for c in w)]
    return plain_text(unicodedata.normalize("NFC", " ".join(words)))


def is_unnamed(name: str) -> bool:
    """A settlement named by the loader's default (:data:`UNNAMED_SETTLEMENT`)."""
    return re.fullmatch(re.escape(UNNAMED_SETTLEMENT).replace(r"\{\}", r"\d+"), name) is not None


@dataclass(frozen=True)
class MapView:
    """A part of the plan to draw: its extent [km] (x0, x1, y0, y1) and a title."""

    extent_km: tuple[float, float, float, float]
    title: str
    sites: tuple[int, ...] = ()
    """Sites (rollout order, from 0) the view is about; all when empty."""


def backhaul_roots(plan) -> list[str]:
    """For each chosen site (rollout order): the node below the core its traffic reaches
    the core through — a fibre point of presence (``fibre:N``), a donor tower
    (``donor:N``) or a site with its own satellite terminal feeding others (``site:N``)
    — or ``'satellite'`` for a site on its own terminal that feeds no other."""
    n = len(plan.selection.chosen)
    names = [f"site:{i + 1}" for i in range(n)]
    parent = dict(zip(names, plan.backhaul.site_parent, strict=False))
    into = {link.b: link.a for link in plan.backhaul.links}

    def root(node: str) -> str:
        seen = set()
        while node in into and into[node] != "core" and node not in seen:
            seen.add(node)
            node = into[node]
        return node

    roots = [name if parent.get(name) == "core" else root(name) for name in names]
    feeds = Counter(roots)
    return [
        "satellite" if parent.get(name) == "core" and feeds[name] == 1 else r
        for name, r in zip(names, roots, strict=True)
    ]


def node_label(plan, node: str) -> str:
    """A backhaul node in words: 'fibre PoP Moroni', 'existing site …', 'site 23'."""
    kind, _, index = node.partition(":")
    k = int(index) - 1 if index.isdigit() else -1
    region = plan.region
    if kind == "fibre" and 0 <= k < len(region.fibre):
        return f"fibre PoP {map_name(region.fibre.names[k])}"
    if kind == "donor" and 0 <= k < len(region.towers):
        name = region.towers.names[k]
        return f"existing site {index}" if _ID_NAME.fullmatch(name) else map_name(name)
    if kind == "site":
        return f"site {index} (satellite)"
    return map_name(node)


def cluster_views(plan) -> list[MapView]:
    """One view per backhaul cluster (sites sharing a root: a fibre point of presence, a
    donor tower or a satellite hub site) when the area is large: its longer side over
    :data:`LARGE_AREA_KM` and at least two clusters. Sites alone on their own satellite
    terminal get no page (they are on the overview and on any cluster page they fall
    in). The clusters serving most people first, at most :data:`MAX_CLUSTER_MAPS`; each
    view is its sites and root, 2 km or a tenth of its span around them, squared up."""
    grid = plan.region.grid
    x0, x1, y0, y1 = _extent_km(grid)
    if max(x1 - x0, y1 - y0) <= LARGE_AREA_KM:
        return []
    roots = backhaul_roots(plan)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(roots):
        if r != "satellite":
            groups.setdefault(r, []).append(i)
    if len(groups) < 2:
        return []
    sx, sy = _site_xy_km(plan)
    table = plan.site_table
    people = {
        r: float(np.sum(table.people_newly_served[m])) if table is not None else float(len(m))
        for r, m in groups.items()
    }
    views = []
    for r in sorted(groups, key=lambda k: (-people[k], k))[:MAX_CLUSTER_MAPS]:
        m = groups[r]
        xs, ys = list(sx[m]), list(sy[m])
        if r in plan.backhaul.node_xy:
            xs.append(plan.backhaul.node_xy[r][0] / 1e3)
            ys.append(plan.backhaul.node_xy[r][1] / 1e3)
        span = max(max(xs) - min(xs), max(ys) - min(ys))
        half = span / 2 + max(2.0, 0.1 * span)
        cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        ext = (max(cx - half, x0), min(cx + half, x1), max(cy - half, y0), min(cy + half, y1))
        views.append(
            MapView(
                ext,
                f"Sites fed from {node_label(plan, r)}: {len(m)} sites, "
                f"{people[r]:,.0f} people newly served",
                tuple(m),
            )
        )
    return views


def _site_xy_km(plan) -> tuple[np.ndarray, np.ndarray]:
    grid, opt = plan.region.grid, plan.options
    loc = opt.location[plan.selection.chosen]
    x, y = grid.xy_of(plan.candidates.rows[loc], plan.candidates.cols[loc])
    return to_km(grid, x, y)


def plan_map(
    plan,
    ax=None,
    *,
    title: str | None = None,
    covered_area: np.ndarray | None = None,
    show_population: bool = False,
    view: MapView | None = None,
    inset: bool = True,
):
    """The plan on its terrain, for people who do not know the area. Returns the figure.

    Drawn: hillshaded terrain (sea blue, no data grey); people newly covered per cell
    (colour, log scale), served today (blue) and, with ``show_population``, left out
    (grey); the area ``covered_area`` (bool per grid cell, e.g. ``plan.covered_area``)
    outlined; roads (``inputs.roads``); backhaul links by type; sites by type, numbered
    in rollout order; fibre points of presence and today's sites, labelled; village
    names (``inputs.settlements``, the most populous that fit; unnamed ones are not
    labelled); a latitude / longitude graticule, a scale bar, a north arrow and an inset
    locating the area. ``view`` (:func:`cluster_views`) zooms to part of the area. The
    legend, colour bar, scale bar, north arrow and inset are outside the map's axes.
    """
    import matplotlib

    side = _side(plan, view)
    if ax is None:
        if matplotlib.get_backend().lower() != "agg":
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        size, rect = _figure_layout(plan, view, side)
        fig = plt.figure(figsize=size)
        ax = fig.add_axes(rect)
    fig = ax.figure
    grid, sel, region = plan.region.grid, plan.selection, plan.region
    cov = plan.coverage
    newly = cov.covered_by(sel.chosen) & (cov.weight > 0)
    people = cov.people_grid(newly, grid.population)
    today = reached = assumed = None
    if cov.served_before is not None and cov.served_before.any():
        today = cov.people_grid(cov.served_before, grid.population)
        known = plan.prepared.today if plan.prepared is not None else None
        if known is not None and known.reached is not None:
            if known.reached.size == cov.served_before.size and known.people_assumed > 0:
                reached = cov.people_grid(known.reached & cov.served_before, grid.population)
                assumed = today - reached
    left = None
    if show_population:
        left = grid.population - people - (today if today is not None else 0.0)
    image = draw_base(
        ax,
        grid,
        people=people,
        covered_area=covered_area,
        other_people=left,
        people_today=today if assumed is None else reached,
        people_assumed=assumed,
    )
    full = _extent_km(grid)
    extent = list(view.extent_km) if view is not None else [full[0], full[1], full[2], full[3]]
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.apply_aspect()
    handles: list = []

    _draw_roads(ax, region.roads, handles)
    _draw_links(ax, plan, handles)
    xk, yk = _site_xy_km(plan)
    avoid = _draw_sites(ax, plan, *_on_map(xk, yk, extent), handles)
    _draw_points(ax, region, extent, handles)
    graticule_ = draw_graticule(ax, grid.crs, extent)
    _label_points(ax, region, extent)
    _label_settlements(ax, plan, extent, avoid)
    s = plan.summary
    ax.set_title(
        plain_text(
            (view.title if view is not None else None)
            or title
            or f"{s['scenario']}: {s['sites_selected']} sites, {s['people_newly_covered']:,.0f} "
            f"people newly covered, {s['people_per_1000_usd']:.1f} per 1,000 USD"
        ),
        fontsize=10,
    )
    legend_top = _furniture(ax, plan, image, extent, side=side, inset=inset)
    with_today = "none" if today is None else ("split" if assumed is not None else "all")
    _legend(ax, handles, plan, covered_area, with_today, show_population, legend_top)
    ax.graticule = graticule_  # for tests and callers: what the labels were made from
    return fig


WIDE = 0.6
"""A map less tall than this times its width gets its colour bar, scale, north arrow
and inset below it rather than to its right."""
MARGIN_IN = {"left": 0.55, "top": 0.35, "ticks": 0.45, "column": 2.3, "row": 1.75}
"""Room [in] around the map: tick labels left and below, the title, the column to the
right of a tall map or the row below a wide one."""


def _aspect(plan, view: MapView | None) -> float:
    if view is not None:
        x0, x1, y0, y1 = view.extent_km
        return (y1 - y0) / max(x1 - x0, 1e-9)
    g = plan.region.grid
    return g.shape[0] / max(g.shape[1], 1)


def _side(plan, view: MapView | None) -> str:
    return "below" if _aspect(plan, view) < WIDE else "right"


def _figure_layout(plan, view, side) -> tuple[tuple[float, float], tuple[float, ...]]:
    """Figure size [in] and the map's axes rectangle (figure fraction): the map at most
    7 in wide (9 in when wide) and 9.5 in tall, with room for what goes around it."""
    aspect = _aspect(plan, view)
    m = MARGIN_IN
    legend_in = 1.0
    if side == "right":
        width = min(7.0, 9.5 / max(aspect, 1e-3))
        fig_w = m["left"] + width + 0.25 + m["column"]
    else:
        width = 9.0
        fig_w = m["left"] + width + 0.25
    height = width * aspect
    below = m["ticks"] + legend_in + (m["row"] if side == "below" else 0.0)
    fig_h = m["top"] + height + below
    rect = (m["left"] / fig_w, below / fig_h, width / fig_w, height / fig_h)
    return (fig_w, fig_h), rect


def map_figsize(plan, view: MapView | None = None) -> tuple[float, float]:
    """Figure size [in] :func:`plan_map` draws on when given no axes."""
    return _figure_layout(plan, view, _side(plan, view))[0]


def _draw_roads(ax, roads, handles) -> None:
    if not roads:
        return
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    ax.add_collection(
        LineCollection(
            [np.asarray(r, dtype=np.float64) / 1e3 for r in roads],
            colors=ROAD_COLOUR,
            linewidths=0.6,
            alpha=0.75,
            zorder=2.2,
        ),
        autolim=False,
    )
    handles.append(Line2D([], [], color=ROAD_COLOUR, lw=0.8, label="road"))


def _draw_links(ax, plan, handles) -> None:
    drawn = set()
    for link in plan.backhaul.links:
        if link.kind == "satellite" or len(link.geometry_xy) < 2:
            continue  # a satellite link is the site's own terminal: drawn as the site
        xy = np.asarray(link.geometry_xy, dtype=np.float64) / 1e3
        (line,) = ax.plot(
            xy[:, 0], xy[:, 1], color=LINK_COLOURS.get(link.kind, "k"), lw=1.3, zorder=3
        )
        if link.kind not in drawn:
            line.set_label(f"{link.kind} link")
            handles.append(line)
        drawn.add(link.kind)


def _on_map(x, y, extent) -> tuple[np.ndarray, np.ndarray]:
    """Points [km] with those off ``extent`` set to NaN (not drawn): markers are drawn
    unclipped, so that one on the map's edge shows whole."""
    x, y = np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)
    pad = 1e-6 * max(extent[1] - extent[0], extent[3] - extent[2])
    off = (
        (x < extent[0] - pad)
        | (x > extent[1] + pad)
        | (y < extent[2] - pad)
        | (y > extent[3] + pad)
    )
    x[off] = np.nan
    y[off] = np.nan
    return x, y


def _draw_sites(ax, plan, xk, yk, handles) -> list[tuple[float, float]]:
    """Sites by type, rings for satellite backhaul, numbers (NaN positions: off the map,
    not drawn); returns the points labels must avoid (km)."""
    opt, sel = plan.options, plan.selection
    types = opt.type_index[sel.chosen]
    for t, name in enumerate(opt.type_name):
        m = types == t
        if m.any():
            handles.append(
                ax.scatter(
                    xk[m],
                    yk[m],
                    marker=SITE_MARKERS[t % len(SITE_MARKERS)],
                    c=SITE_COLOURS[t % len(SITE_COLOURS)],
                    s=40,
                    edgecolors="k",
                    linewidths=0.6,
                    label=f"planned site: {plain_text(name)}",
                    zorder=5,
                    clip_on=False,
                )
            )
    satellite = [k for k, kind in enumerate(plan.backhaul.site_kind) if kind == "satellite"]
    if satellite:
        handles.append(
            ax.scatter(
                xk[satellite],
                yk[satellite],
                marker="o",
                s=120,
                facecolors="none",
                edgecolors=LINK_COLOURS["satellite"],
                linewidths=1.0,
                label="satellite backhaul",
                zorder=4,
                clip_on=False,
            )
        )
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=HALO, foreground="white")]
    for k in range(min(len(xk), MAX_NUMBERED_SITES)):
        if np.isnan(xk[k]):
            continue
        ax.annotate(
            str(k + 1),
            (xk[k], yk[k]),
            fontsize=6.5,
            xytext=(3.5, 3.5),
            textcoords="offset points",
            path_effects=halo,
            zorder=6,
            annotation_clip=True,
        )
    on = ~np.isnan(xk)
    return list(zip(xk[on].tolist(), yk[on].tolist(), strict=True))


def _draw_points(ax, region, extent, handles) -> None:
    fx, fy = _on_map(*to_km(region.grid, region.fibre.x, region.fibre.y), extent)
    if len(fx):
        handles.append(
            ax.scatter(
                fx,
                fy,
                marker="s",
                s=60,
                c=FIBRE_COLOUR,
                edgecolors="k",
                label="fibre point of presence",
                zorder=5,
                clip_on=False,
            )
        )
    tx, ty = _on_map(*to_km(region.grid, region.towers.x, region.towers.y), extent)
    if len(tx):
        handles.append(
            ax.scatter(
                tx,
                ty,
                marker="h",
                s=48,
                c="white",
                edgecolors=TOWER_COLOUR,
                linewidths=1.2,
                label="existing site (today)",
                zorder=5,
                clip_on=False,
            )
        )


MAX_TOWER_LABELS = 20
"""Today's sites are named on the map when there are at most this many."""
_ID_NAME = re.compile(r"(node|way|relation)/\d+|tower \d+|")
"""Names that are only identifiers (OpenStreetMap ids, the loader's default): not drawn."""


def _label_points(ax, region, extent) -> None:
    """Names of the fibre points of presence (always) and of today's sites (when few)."""
    import matplotlib.patheffects as pe

    halo = [pe.withStroke(linewidth=HALO, foreground="white")]
    fx, fy = to_km(region.grid, region.fibre.x, region.fibre.y)
    for x, y, name in zip(fx, fy, region.fibre.names, strict=True):
        if _inside(x, y, extent):
            ax.annotate(
                map_name(name),
                (x, y),
                xytext=(-5, 5),
                textcoords="offset points",
                ha="right",
                fontsize=7.5,
                fontweight="bold",
                color=FIBRE_COLOUR,
                path_effects=halo,
                zorder=7,
            )
    tx, ty = to_km(region.grid, region.towers.x, region.towers.y)
    if len(tx) <= MAX_TOWER_LABELS:
        for x, y, name in zip(tx, ty, region.towers.names, strict=True):
            if _inside(x, y, extent) and not _ID_NAME.fullmatch(name):
                ax.annotate(
                    map_name(name),
                    (x, y),
                    xytext=(5, -9),
                    textcoords="offset points",
                    fontsize=6.5,
                    color=TOWER_COLOUR,
                    path_effects=halo,
                    zorder=7,
                )


def _inside(x: float, y: float, extent) -> bool:
    return extent[0] <= x <= extent[1] and extent[2] <= y <= extent[3]


def settlement_ranking(plan, extent_km) -> list[int]:
    """Named settlements inside ``extent_km``, the most people within
    :data:`SETTLEMENT_RADIUS_M` first (ties: file order)."""
    st, grid = plan.region.settlements, plan.region.grid
    if not len(st):
        return []
    x, y = to_km(grid, st.x, st.y)
    keep = [
        i for i in range(len(st)) if not is_unnamed(st.names[i]) and _inside(x[i], y[i], extent_km)
    ]
    if not keep:
        return []
    r = max(1, int(round(SETTLEMENT_RADIUS_M / grid.cell_size_m)))
    integral = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1))
    integral[1:, 1:] = grid.population.cumsum(0).cumsum(1)
    rows = np.clip(np.asarray(st.rows)[keep], 0, grid.shape[0] - 1)
    cols = np.clip(np.asarray(st.cols)[keep], 0, grid.shape[1] - 1)
    r0, r1 = np.clip(rows - r, 0, None), np.clip(rows + r + 1, None, grid.shape[0])
    c0, c1 = np.clip(cols - r, 0, None), np.clip(cols + r + 1, None, grid.shape[1])
    people = integral[r1, c1] - integral[r0, c1] - integral[r1, c0] + integral[r0, c0]
    order = np.lexsort((np.asarray(keep), -people))
    return [keep[k] for k in order]


def _label_settlements(ax, plan, extent, avoid) -> list:
    """Names of the most populous named settlements, each where it overlaps no label,
    site, point of presence or the map's edge; returns the texts drawn."""
    import matplotlib.patheffects as pe

    st, grid = plan.region.settlements, plan.region.grid
    ranked = settlement_ranking(plan, extent)
    if not ranked:
        return []
    renderer = ax.figure.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    taken = [t.get_window_extent(renderer) for t in ax.texts]
    pts = np.array(
        avoid
        + list(zip(*to_km(grid, plan.region.fibre.x, plan.region.fibre.y), strict=True))
        + list(zip(*to_km(grid, plan.region.towers.x, plan.region.towers.y), strict=True)),
        dtype=np.float64,
    ).reshape(-1, 2)
    disp = ax.transData.transform(pts) if len(pts) else np.empty((0, 2))
    x, y = to_km(grid, st.x, st.y)
    halo = [pe.withStroke(linewidth=HALO, foreground="white")]
    drawn = []
    for i in ranked[: 6 * MAX_SETTLEMENT_LABELS]:  # bounded time on a large area
        if len(drawn) >= MAX_SETTLEMENT_LABELS:
            break
        text = ax.annotate(
            map_name(st.names[i]),
            (x[i], y[i]),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            fontstyle="italic",
            color="#202020",
            path_effects=halo,
            zorder=6,
            annotation_clip=False,  # inside the map: checked below
        )
        bb = text.get_window_extent(renderer).expanded(1.08, 1.15)
        marker_px = 7.0
        hits_point = bool(
            len(disp)
            and (
                (disp[:, 0] > bb.x0 - marker_px)
                & (disp[:, 0] < bb.x1 + marker_px)
                & (disp[:, 1] > bb.y0 - marker_px)
                & (disp[:, 1] < bb.y1 + marker_px)
            ).any()
        )
        inside = box.x0 <= bb.x0 and bb.x1 <= box.x1 and box.y0 <= bb.y0 and bb.y1 <= box.y1
        if hits_point or not inside or any(bb.overlaps(t) for t in taken):
            text.remove()
            continue
        taken.append(bb)
        drawn.append(text)
        ax.plot([x[i]], [y[i]], "o", ms=2.2, color="#202020", zorder=6)
    ax.settlement_labels = drawn
    return drawn


def _legend(ax, handles, plan, covered_area, with_today, show_population, top) -> None:
    """The legend below the map and everything else around it; ``top`` [figure
    fraction] is where it may start."""
    import matplotlib
    from matplotlib.patches import Patch

    extra = []
    if with_today == "split":
        extra.append(
            Patch(
                facecolor=matplotlib.colormaps[TODAY_CMAP](0.75),
                label="served today: reached by today's sites",
            )
        )
        extra.append(
            Patch(
                facecolor=ASSUMED_COLOUR,
                label="served today: assumed (baseline)",
            )
        )
    elif with_today == "all":
        extra.append(
            Patch(facecolor=matplotlib.colormaps[TODAY_CMAP](0.6), label="people served today")
        )
    if show_population:
        extra.append(Patch(facecolor="#9a9a9a", label="people still not covered"))
    if covered_area is not None and covered_area.any():
        extra.append(
            Patch(
                facecolor="none",
                edgecolor=COVERED_COLOUR,
                hatch="///",
                lw=1.1,
                label="area the plan covers",
            )
        )
    grid = plan.region.grid
    if grid.no_data is not None and (grid.no_data & ~grid.land).any():
        extra.append(
            Patch(
                facecolor=NO_DATA_RGB,
                edgecolor=NO_DATA_HATCH,
                hatch="xxx",
                lw=0.5,
                label="no data",
            )
        )
    sea = ~grid.land if grid.no_data is None else ~grid.land & ~grid.no_data
    if sea.any():
        extra.append(Patch(facecolor=SEA_RGB, edgecolor="#999", lw=0.5, label="sea"))
    box = ax.get_position()
    ax.legend(
        handles=handles + extra,
        loc="upper center",
        bbox_to_anchor=((box.x0 + box.x1) / 2, top),
        bbox_transform=ax.figure.transFigure,
        ncol=3,
        fontsize=7.5,
        frameon=False,
        handlelength=1.8,
        columnspacing=1.2,
        borderaxespad=0.0,
    )


def _furniture(ax, plan, image, extent, *, side: str, inset: bool) -> float:
    """Colour bar, scale bar, north arrow and the locator inset to the right of the map
    (``side='right'``) or in a row below it; returns the top of the legend [figure
    fraction], below the map's tick labels or below that row."""
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    fig = ax.figure
    grid = plan.region.grid
    fw, fh = fig.get_size_inches()
    box = ax.get_position()
    x0, y0, x1, y1 = box.x0 * fw, box.y0 * fh, box.x1 * fw, box.y1 * fh

    def frac(x_in: float, y_in: float) -> tuple[float, float]:
        return x_in / fw, y_in / fh

    def rect(x_in: float, y_in: float, w_in: float, h_in: float):
        return (x_in / fw, y_in / fh, w_in / fw, h_in / fh)

    below = y0 - MARGIN_IN["ticks"]
    if side == "right":
        cx = x1 + 0.3
        inset_rect = rect(cx, y1 - 2.15, 1.9, 1.9)
        north_at = (cx + 0.35, y1 - 3.0)
        scale_at = (cx, y1 - 3.4)
        bar_h = min(2.6, max(y1 - 3.8 - y0, 0.8))
        bar_rect = rect(cx, y0, 0.16, bar_h)
        orientation = "vertical"
        legend_top = below
    else:
        top = below
        inset_rect = rect(x0, top - 1.5, 1.5, 1.5)
        north_at = (x0 + 2.1, top - 1.0)
        scale_at = (x0 + 2.8, top - 0.95)
        bar_rect = rect(x0 + 5.6, top - 0.75, min(3.0, x1 - x0 - 5.8), 0.15)
        orientation = "horizontal"
        legend_top = top - MARGIN_IN["row"]
    if image is not None:
        cax = fig.add_axes(bar_rect)
        bar = fig.colorbar(image, cax=cax, orientation=orientation)
        bar.set_label("people newly covered per cell", fontsize=8)
        bar.ax.tick_params(labelsize=7)
    width_km = extent[1] - extent[0]
    column_km = 1.6 * width_km / max(x1 - x0, 1e-6)  # 1.6 in of map
    length = nice_length(column_km)
    scale = AnchoredSizeBar(
        ax.transData,
        length,
        _scale_label(length),
        loc="lower left",
        bbox_to_anchor=frac(*scale_at),
        bbox_transform=fig.transFigure,
        frameon=False,
        size_vertical=0,
        sep=3,
        fontproperties={"size": 8},
        borderpad=0.0,
    )
    scale.size_bar.get_children()[0].set_linewidth(2.5)
    ax.add_artist(scale)
    cx_m, cy_m = (extent[0] + extent[1]) / 2 * 1e3, (extent[2] + extent[3]) / 2 * 1e3
    angle = math.radians(north_angle_deg(grid.crs, cx_m, cy_m))
    tip = (north_at[0] + 0.45 * math.sin(angle), north_at[1] + 0.45 * math.cos(angle))
    fig.add_artist(_north_arrow(fig, frac(*north_at), frac(*tip)))
    fig.text(
        *frac(tip[0], tip[1] + 0.05), "N", ha="center", va="bottom", fontsize=10, fontweight="bold"
    )
    if inset:
        _locator(fig.add_axes(inset_rect), grid, extent)
    return legend_top / fh


def _north_arrow(fig, base, tip):
    """An arrow from ``base`` to ``tip`` [figure fraction] pointing to true north."""
    from matplotlib.patches import FancyArrowPatch

    return FancyArrowPatch(
        base, tip, transform=fig.transFigure, arrowstyle="-|>", mutation_scale=16, lw=1.6, color="k"
    )


def _locator(iax, grid, extent) -> None:
    """Where the area lies: its land (from the plan's own terrain) in longitude /
    latitude, a red frame around the mapped extent, in a frame five times its size."""
    to_geo = _transformer(grid.crs, "EPSG:4326")
    step = max(1, decimation(grid.shape, 40_000))
    rows = np.arange(0, grid.shape[0], step)
    cols = np.arange(0, grid.shape[1], step)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    land = grid.land[rr, cc]
    x, y = grid.xy_of(rr[land], cc[land])
    lon, lat = to_geo.transform(x, y)
    x0, x1, y0, y1 = (v * 1e3 for v in extent)
    t = np.linspace(0, 1, 21)
    fx = np.r_[x0 + (x1 - x0) * t, np.full(t.size, x1), x1 - (x1 - x0) * t, np.full(t.size, x0)]
    fy = np.r_[np.full(t.size, y0), y0 + (y1 - y0) * t, np.full(t.size, y1), y1 - (y1 - y0) * t]
    flon, flat = to_geo.transform(fx, fy)
    gx0, gx1, gy0, gy1 = (v * 1e3 for v in _extent_km(grid))
    glon, glat = to_geo.transform([gx0, gx1, gx1, gx0], [gy0, gy0, gy1, gy1])
    clon, clat = (min(glon) + max(glon)) / 2, (min(glat) + max(glat)) / 2
    half = 2.5 * max(max(glon) - min(glon), max(glat) - min(glat), 0.2)
    iax.set_facecolor(SEA_RGB)
    iax.scatter(lon, lat, s=1.5, c="#8c8c7a", marker="s", linewidths=0, rasterized=True)
    iax.plot(flon, flat, color="#d7301f", lw=1.2)
    iax.set_xlim(clon - half, clon + half)
    iax.set_ylim(clat - half, clat + half)
    iax.set_aspect(1 / math.cos(math.radians(clat)))
    step_deg = nice_step_deg(2 * half, 2)
    ticks_x = np.arange(
        math.ceil((clon - half) / step_deg), math.floor((clon + half) / step_deg) + 1
    )
    ticks_y = np.arange(
        math.ceil((clat - half) / step_deg), math.floor((clat + half) / step_deg) + 1
    )
    iax.set_xticks(
        ticks_x * step_deg, [format_degrees(v * step_deg, step_deg, axis="lon") for v in ticks_x]
    )
    iax.set_yticks(
        ticks_y * step_deg, [format_degrees(v * step_deg, step_deg, axis="lat") for v in ticks_y]
    )
    iax.tick_params(labelsize=6, length=2, pad=1)
    iax.grid(lw=0.4, color="white")
    iax.set_title("where the area lies", fontsize=7, pad=2)
