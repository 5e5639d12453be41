"""Backhaul design on a networkx graph.

Nodes: a ``core`` super-source, fibre points of presence (on the core at no cost),
and the chosen sites. Edges: a satellite terminal from the core to every site
(always available), and a microwave hop between any two nodes within the longest
allowed hop whose terrain profile clears the required fraction of the first
Fresnel zone. Every edge is weighted by its net present cost; the shortest-path
tree from the core connects every site at the least cost the tree allows.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from rural_plan.backhaul._kernels import fresnel_clearances
from rural_plan.costing import CostPreset, net_present_cost
from rural_plan.grid.grid import Grid

log = logging.getLogger(__name__)

CORE = "core"


@dataclass(frozen=True)
class Link:
    """One backhaul link; ``a`` is the end nearer the core. Node names: 'fibre:N', 'site:N'."""

    a: str
    b: str
    kind: str
    length_m: float
    capex_usd: float
    opex_usd_per_year: float
    clearance_f1: float
    """Smallest terrain clearance in first-Fresnel-zone radii (microwave; NaN otherwise)."""


@dataclass(frozen=True)
class BackhaulPlan:
    links: tuple[Link, ...]
    site_kind: tuple[str, ...]
    """For each chosen site (selection order): the kind of its own uplink."""
    all_satellite_tco_usd: float
    tco_usd: float

    @property
    def capex_usd(self) -> float:
        return float(sum(link.capex_usd for link in self.links))

    @property
    def opex_usd_per_year(self) -> float:
        return float(sum(link.opex_usd_per_year for link in self.links))


def satellite_costs(preset: CostPreset, mbps: float) -> tuple[float, float]:
    """(CAPEX, OPEX per year) [USD] of one satellite terminal carrying ``mbps``."""
    return preset.satellite_capex_usd, preset.satellite_opex_usd_per_mbps_per_year * mbps


def design_backhaul(
    grid: Grid,
    *,
    site_x: np.ndarray,
    site_y: np.ndarray,
    site_mast_m: np.ndarray,
    fibre_x: np.ndarray,
    fibre_y: np.ndarray,
    fibre_mast_m: float,
    preset: CostPreset,
    max_hop_m: float,
    microwave_f_mhz: float,
    fresnel_fraction: float,
    k_factor: float,
    satellite_mbps: float,
    horizon_years: int,
    discount_rate: float,
) -> BackhaulPlan:
    """Connect every site to the core at the least net present cost the tree finds."""
    n_sites, n_fibre = len(site_x), len(fibre_x)
    names = [f"fibre:{i}" for i in range(n_fibre)] + [f"site:{i}" for i in range(n_sites)]
    xs = np.concatenate([fibre_x, site_x]).astype(np.float64)
    ys = np.concatenate([fibre_y, site_y]).astype(np.float64)
    mast = np.concatenate([np.full(n_fibre, fibre_mast_m), site_mast_m]).astype(np.float64)

    g = nx.Graph()
    g.add_node(CORE)
    for i in range(n_fibre):
        g.add_edge(
            CORE,
            names[i],
            kind="fibre",
            length_m=0.0,
            capex=0.0,
            opex=0.0,
            clearance=math.nan,
            weight=0.0,
        )
    sat_capex, sat_opex = satellite_costs(preset, satellite_mbps)
    sat_tco = net_present_cost(
        sat_capex, sat_opex, horizon_years=horizon_years, discount_rate=discount_rate
    )
    for i in range(n_sites):
        g.add_edge(
            CORE,
            names[n_fibre + i],
            kind="satellite",
            length_m=0.0,
            capex=sat_capex,
            opex=sat_opex,
            clearance=math.nan,
            weight=sat_tco,
        )

    ia, ib = np.triu_indices(len(xs), k=1)
    keep = (ib >= n_fibre) & (np.hypot(xs[ia] - xs[ib], ys[ia] - ys[ib]) <= max_hop_m)
    ia, ib = ia[keep], ib[keep]
    clear = np.empty(ia.size)
    if ia.size:
        fresnel_clearances(
            np.ascontiguousarray(grid.elevation_m, dtype=np.float64),
            grid.transform.c,
            grid.transform.f,
            grid.cell_size_m,
            xs[ia],
            ys[ia],
            mast[ia],
            xs[ib],
            ys[ib],
            mast[ib],
            microwave_f_mhz,
            k_factor,
            clear,
        )
    n_mw = 0
    for a, b, c in zip(ia, ib, clear, strict=True):
        if c < fresnel_fraction:
            continue
        length = float(math.hypot(xs[a] - xs[b], ys[a] - ys[b]))
        capex = preset.microwave_capex_usd(length)
        opex = capex * preset.microwave_opex_fraction_per_year
        tco = net_present_cost(
            capex, opex, horizon_years=horizon_years, discount_rate=discount_rate
        )
        g.add_edge(
            names[a],
            names[b],
            kind="microwave",
            length_m=length,
            capex=capex,
            opex=opex,
            clearance=float(c),
            weight=tco,
        )
        n_mw += 1

    _, paths = nx.single_source_dijkstra(g, CORE, weight="weight")
    links: dict[tuple[str, str], Link] = {}
    site_kind = []
    for i in range(n_sites):
        path = paths[names[n_fibre + i]]
        for u, v in itertools.pairwise(path):
            if u == CORE and v.startswith("fibre:"):
                continue
            e = g.edges[u, v]
            links.setdefault(
                (u, v), Link(u, v, e["kind"], e["length_m"], e["capex"], e["opex"], e["clearance"])
            )
        last = g.edges[path[-2], path[-1]]
        site_kind.append(last["kind"])
    ordered = tuple(sorted(links.values(), key=lambda k: (k.b, k.a)))
    tco = float(
        sum(
            net_present_cost(
                k.capex_usd,
                k.opex_usd_per_year,
                horizon_years=horizon_years,
                discount_rate=discount_rate,
            )
            for k in ordered
        )
    )
    plan = BackhaulPlan(
        links=ordered,
        site_kind=tuple(site_kind),
        all_satellite_tco_usd=float(sat_tco * n_sites),
        tco_usd=tco,
    )
    log.info(
        "backhaul: %d sites, %d feasible microwave hops, %d links (%d microwave, %d satellite); "
        "net present cost %.0f USD vs all-satellite %.0f USD",
        n_sites,
        n_mw,
        len(ordered),
        sum(k.kind == "microwave" for k in ordered),
        sum(k.kind == "satellite" for k in ordered),
        tco,
        plan.all_satellite_tco_usd,
    )
    return plan
