"""Map layers drawn with matplotlib on the plan grid (hillshade, people, points)."""

from __future__ import annotations

import numpy as np

COVERED_COLOUR = "#1b9e77"
"""Tint of the covered area on maps."""


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


def draw_base(
    ax,
    grid,
    *,
    people: np.ndarray | None = None,
    people_label: str = "people",
    covered_area: np.ndarray | None = None,
    other_people: np.ndarray | None = None,
):
    """Hillshaded terrain, sea in blue, and (optionally) people per cell on a log scale.

    ``covered_area`` (bool per grid cell) is tinted over the terrain; ``other_people``
    (people per cell, e.g. those the plan leaves out) is drawn in grey under ``people``.
    Axes are in km of the grid's projected CRS. Returns the image of people (for a
    colour bar) or None.
    """
    import matplotlib.colors as mcolors

    step = decimation(grid.shape)
    extent = _extent_km(grid)
    shade = hillshade(grid.elevation_m[::step, ::step], grid.cell_size_m * step)
    land = grid.land[::step, ::step]
    rgb = np.where(
        land[..., None], (0.55 + 0.45 * shade)[..., None] * [0.93, 0.91, 0.86], [0.75, 0.85, 0.95]
    )
    ax.imshow(rgb, extent=extent, interpolation="nearest")
    if covered_area is not None:
        tint = np.ma.masked_equal(covered_area[::step, ::step].astype(np.float64), 0.0)
        if tint.count():
            ax.imshow(
                tint,
                extent=extent,
                cmap=mcolors.ListedColormap([COVERED_COLOUR]),
                vmin=0.0,
                vmax=1.0,
                alpha=0.3,
                interpolation="nearest",
            )
    if other_people is not None:
        o = np.ma.masked_less_equal(
            block_sum(other_people, step)[: land.shape[0], : land.shape[1]], 0.0
        )
        if o.count():
            ax.imshow(
                o,
                extent=extent,
                cmap="Greys",
                norm=mcolors.LogNorm(vmin=max(o.min(), 0.1), vmax=max(o.max(), 1.0)),
                alpha=0.7,
                interpolation="nearest",
            )
    image = None
    if people is not None:
        p = block_sum(people, step)[: land.shape[0], : land.shape[1]]
        shown = np.ma.masked_less_equal(p, 0.0)
        if shown.count():
            image = ax.imshow(
                shown,
                extent=extent,
                cmap="magma_r",
                norm=mcolors.LogNorm(vmin=max(shown.min(), 0.1), vmax=max(shown.max(), 1.0)),
                alpha=0.85,
                interpolation="nearest",
            )
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_aspect("equal")
    return image


def to_km(grid, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
    """Projected metres → the km axes :func:`draw_base` uses."""
    return np.asarray(x_m) / 1000.0, np.asarray(y_m) / 1000.0


def _extent_km(grid) -> list[float]:
    t = grid.transform
    rows, cols = grid.shape
    x0, y0 = t.c, t.f
    x1, y1 = x0 + cols * t.a, y0 + rows * t.e
    return [x0 / 1000.0, x1 / 1000.0, y1 / 1000.0, y0 / 1000.0]


SITE_MARKERS = ("o", "^", "s", "D", "v", "P")
LINK_COLOURS = {
    "microwave": "#d7301f",
    "relay": "#7a0177",
    "fibre": "#0570b0",
    "satellite": "#636363",
}


def plain_text(text: str) -> str:
    """``text`` as matplotlib draws it literally (no ``$...$`` mathtext)."""
    return str(text).replace("$", r"\$")


def plan_map(
    plan,
    ax=None,
    *,
    title: str | None = None,
    covered_area: np.ndarray | None = None,
    show_population: bool = False,
):
    """The plan on its terrain: people newly covered, sites by type (numbered in rollout
    order), backhaul links by type, fibre points of presence. Returns the figure.

    ``covered_area`` (bool per grid cell, e.g. ``plan.covered_area``) is tinted;
    ``show_population`` also draws, in grey, the people the plan does not newly cover.
    """
    import matplotlib

    if ax is None:
        matplotlib.use("Agg") if matplotlib.get_backend().lower() == "agg" else None
        import matplotlib.pyplot as plt

        g = plan.region.grid
        fig, ax = plt.subplots(figsize=(8, 8 * g.shape[0] / max(g.shape[1], 1) + 0.6))
    fig = ax.figure
    grid, opt, sel = plan.region.grid, plan.options, plan.selection
    cov = plan.coverage
    newly = cov.covered_by(sel.chosen) & (cov.weight > 0)
    people = cov.people_grid(newly, grid.population)
    image = draw_base(
        ax,
        grid,
        people=people,
        covered_area=covered_area,
        other_people=grid.population - people if show_population else None,
    )
    if image is not None:
        fig.colorbar(image, ax=ax, shrink=0.6, label="people newly covered (per cell)")
    loc = opt.location[sel.chosen]
    x, y = grid.xy_of(plan.candidates.rows[loc], plan.candidates.cols[loc])
    xk, yk = to_km(grid, x, y)
    fx, fy = to_km(grid, plan.region.fibre.x, plan.region.fibre.y)
    drawn = set()
    for link in plan.backhaul.links:
        if link.kind == "satellite" or len(link.geometry_xy) < 2:
            continue  # a satellite link is the site's own terminal: drawn as the site
        xy = np.asarray(link.geometry_xy, dtype=np.float64)
        lx, ly = to_km(grid, xy[:, 0], xy[:, 1])
        label = None if link.kind in drawn else f"{link.kind} link"
        drawn.add(link.kind)
        ax.plot(lx, ly, color=LINK_COLOURS.get(link.kind, "k"), lw=1.2, label=label)
    types = opt.type_index[sel.chosen]
    for t, name in enumerate(opt.type_name):
        m = types == t
        if m.any():
            ax.scatter(
                xk[m],
                yk[m],
                marker=SITE_MARKERS[t % len(SITE_MARKERS)],
                s=36,
                edgecolors="k",
                linewidths=0.6,
                label=plain_text(name),
                zorder=3,
            )
    satellite = [k for k, kind in enumerate(plan.backhaul.site_kind) if kind == "satellite"]
    if satellite:
        ax.scatter(
            xk[satellite],
            yk[satellite],
            marker="o",
            s=110,
            facecolors="none",
            edgecolors=LINK_COLOURS["satellite"],
            linewidths=1.0,
            label="satellite backhaul",
            zorder=2,
        )
    for k in range(min(len(xk), 30)):
        ax.annotate(
            str(k + 1), (xk[k], yk[k]), fontsize=6, xytext=(3, 3), textcoords="offset points"
        )
    if len(fx):
        ax.scatter(
            fx, fy, marker="s", s=50, c="#2166ac", edgecolors="k", label="fibre PoP", zorder=3
        )
    handles, labels = ax.get_legend_handles_labels()
    if covered_area is not None and covered_area.any():
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor=COVERED_COLOUR, alpha=0.3, label="covered area"))
        labels.append("covered area")
    s = plan.summary
    ax.set_title(
        plain_text(
            title
            or f"{s['scenario']}: {s['sites_selected']} sites, {s['people_newly_covered']:,.0f} "
            f"people newly covered, {s['people_per_1000_usd']:.1f} per 1,000 USD"
        ),
        fontsize=10,
    )
    if handles:
        ax.legend(handles, labels, loc="lower right", fontsize=7)
    return fig
