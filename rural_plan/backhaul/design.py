"""Backhaul design: connect every chosen site to the core at the least net present cost
that respects every link's capacity, and say how resilient the result is.

A straight recipe of named steps (each in its own module):
``graph.build_edges`` (what could be built) → ``tree.shortest_path_tree`` →
``TreeState.repair`` (capacity) → ``TreeState.improve`` (local search) → compare with
all-satellite → ``resilience`` (second paths, single failures) → :class:`BackhaulPlan`.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from rural_plan.backhaul.graph import (
    CORE,
    DONOR,
    EXISTING,
    FIBRE,
    RELAY,
    SITE,
    ClearanceMemo,
    Edge,
    HopTracer,
    build_edges,
    make_nodes,
    node_name,
)
from rural_plan.backhaul.kinds import check_kinds
from rural_plan.backhaul.links import Link
from rural_plan.backhaul.pricing import (
    MAST_RAISE_USD_PER_M,
    figure,
    link_costs,
    relay_site_costs,
)
from rural_plan.backhaul.resilience import (
    Failure,
    single_failures,
    sites_with_two_paths,
    terrestrial_graph,
    worst,
)
from rural_plan.backhaul.roads import road_network
from rural_plan.backhaul.settings import BackhaulSettings
from rural_plan.backhaul.tree import CostModel, TreeState, shortest_path_tree
from rural_plan.costing import CostPreset, net_present_cost
from rural_plan.errors import BackhaulError
from rural_plan.grid.grid import Grid
from rural_plan.grid.native_dem import NativeDem
from rural_plan.scenario.names import BACKHAUL_TYPE_NAMES

log = logging.getLogger(__name__)

__all__ = ["CORE", "BackhaulPlan", "design_backhaul"]


@dataclass(frozen=True)
class BackhaulPlan:
    links: tuple[Link, ...]
    site_kind: tuple[str, ...]
    """For each chosen site (selection order): the kind of its own uplink."""
    all_satellite_tco_usd: float
    """Net present cost of a satellite terminal at every site, sized to its demand."""
    tco_usd: float
    site_demand_mbps: tuple[float, ...] = ()
    """Busy-hour demand of each site (people × adoption × Mbps per user)."""
    site_parent: tuple[str, ...] = ()
    """For each site: the node its uplink comes from ('core' for satellite)."""
    node_xy: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Position [m, grid CRS] of every node but the core."""
    donor_load_mbps: dict[str, float] = field(default_factory=dict)
    """Load carried by each donor tower used (at most donor_capacity_mbps)."""
    relays_used: tuple[str, ...] = ()
    mast_raise_m: dict[str, float] = field(default_factory=dict)
    """Mast raise bought at each node that needed one [m]."""
    sites_with_two_paths: tuple[int, ...] = ()
    """Sites with two node-disjoint terrestrial paths to the core (satellite not counted)."""
    failures: tuple[Failure, ...] = ()
    """Each fibre PoP, donor and tree link, and the people its failure cuts off."""
    worst_single_failure: Failure | None = None
    capacity_moves: int = 0
    hop_terrain: str = ""
    """What microwave and relay hops were traced on: the DEM's file and post spacing."""
    """Sub-tree moves the capacity repair needed."""

    @property
    def capex_usd(self) -> float:
        return float(sum(link.capex_usd for link in self.links))

    @property
    def opex_usd_per_year(self) -> float:
        return float(sum(link.opex_usd_per_year for link in self.links))

    @property
    def links_by_kind(self) -> dict[str, int]:
        counts = Counter(link.kind for link in self.links)
        return {kind: counts.get(kind, 0) for kind in BACKHAUL_TYPE_NAMES}

    def site_shares(self) -> tuple[np.ndarray, np.ndarray]:
        """Each site's share of the backhaul's (CAPEX [USD], OPEX [USD/yr]), in site order:
        a link's cost is shared by the sites downstream of it (whose traffic it carries)
        in proportion to their busy-hour demand, equally when none has demand. The shares
        add up to the whole backhaul (a link no site uses, if any, is shared by all)."""
        n = len(self.site_kind)
        capex, opex = np.zeros(n), np.zeros(n)
        if n == 0:
            return capex, opex
        demand = np.asarray(self.site_demand_mbps, dtype=np.float64)
        demand = demand if demand.size == n else np.zeros(n)
        into = {link.b: link for link in self.links}
        users: dict[int, list[int]] = {}
        for k in range(n):
            node, seen = node_name(SITE, k), set()
            while node in into and node not in seen:
                seen.add(node)
                users.setdefault(id(into[node]), []).append(k)
                node = into[node].a
        for link in self.links:
            sites = np.asarray(users.get(id(link), range(n)), dtype=np.int64)
            w = demand[sites]
            w = w / w.sum() if w.sum() > 0 else np.full(sites.size, 1.0 / sites.size)
            np.add.at(capex, sites, link.capex_usd * w)
            np.add.at(opex, sites, link.opex_usd_per_year * w)
        return capex, opex

    @property
    def max_link_utilisation(self) -> float:
        """Largest load / capacity over the terrestrial links (≤ 1 by construction; a
        satellite terminal is bought to its load)."""
        return max(
            (
                k.load_mbps / k.capacity_mbps
                for k in self.links
                if k.kind != "satellite" and k.capacity_mbps > 0
            ),
            default=0.0,
        )

    def summary(self) -> dict[str, object]:
        """The backhaul keys of ``summary.json``."""
        w = self.worst_single_failure
        return {
            "backhaul_links_by_type": self.links_by_kind,
            "backhaul_demand_mbps": round(float(sum(self.site_demand_mbps)), 3),
            "backhaul_max_link_utilisation": round(self.max_link_utilisation, 4),
            "backhaul_relay_nodes_used": len(self.relays_used),
            "backhaul_mast_raise_m": round(float(sum(self.mast_raise_m.values())), 1),
            "backhaul_capacity_moves": self.capacity_moves,
            "backhaul_hop_terrain": self.hop_terrain,
            "backhaul_microwave_min_availability_pct": min(
                (round(k.availability_pct, 4) for k in self.links if k.kind == "microwave"),
                default=None,
            ),
            "backhaul_sites_with_two_paths": len(self.sites_with_two_paths),
            "backhaul_worst_single_failure": None
            if w is None
            else {
                "element": w.element,
                "kind": w.kind,
                "sites_lost": len(w.sites_lost),
                "people_lost": round(w.people_lost, 1),
                "people_without_alternative": round(w.people_without_alternative, 1),
            },
        }


def _array(values, n: int | None, name: str, default: float | None = None) -> np.ndarray:
    if values is None:
        values = [] if default is None else np.full(n or 0, default)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0 and n is not None:
        arr = np.full(n, float(arr))
    arr = arr.reshape(-1)
    if n is not None and arr.size != n:
        raise BackhaulError(f"{name}: {arr.size} values for {n} points")
    if not np.isfinite(arr).all():
        raise BackhaulError(f"{name}: every value must be finite")
    return arr


def design_backhaul(
    terrain: NativeDem | Grid,
    *,
    settings: BackhaulSettings,
    preset: CostPreset,
    site_x: np.ndarray,
    site_y: np.ndarray,
    site_mast_m: np.ndarray,
    fibre_x: np.ndarray,
    fibre_y: np.ndarray,
    site_people: np.ndarray | None = None,
    donor_x: np.ndarray | None = None,
    donor_y: np.ndarray | None = None,
    donor_mast_m: np.ndarray | float | None = None,
    relay_x: np.ndarray | None = None,
    relay_y: np.ndarray | None = None,
    relay_mast_m: np.ndarray | float = 15.0,
    road_lines: Sequence[np.ndarray] = (),
    resilience: bool = True,
    clearance_memo: ClearanceMemo | None = None,
) -> BackhaulPlan:
    """Connect every site to the core at the least net present cost the search finds,
    with no link over its capacity.

    Parameters
    ----------
    terrain
        Terrain the microwave and relay hops are traced over: the input DEM at its own
        resolution (:class:`NativeDem`), or a grid's own terrain. Hop ends are in its
        metric grid CRS.
    settings
        Link types allowed, hop lengths, clearance, capacities, mast raises, demand per
        user and the horizon of the net present cost (:class:`BackhaulSettings`).
    preset
        The cost preset every link is priced from.
    site_x, site_y, site_mast_m
        Chosen sites [m] and their mast heights [m].
    fibre_x, fibre_y
        Fibre points of presence [m] (on the core at no cost; their mast is
        ``settings.fibre_mast_height_m``).
    site_people
        People served by each site (no double counting); None: no demand (every
        satellite terminal is bought at ``settings.satellite_mbps_per_site``). A site's
        busy-hour demand [Mbps] is people × adoption × Mbps per user.
    donor_x, donor_y, donor_mast_m
        Existing towers that can feed sites (relay or microwave) through their own
        backhaul, at no cost but at most ``settings.donor_capacity_mbps`` each.
    relay_x, relay_y, relay_mast_m
        Relay-only candidate nodes [m]; one that is used costs a relay site (preset).
    road_lines
        Road centre lines, each an ``(n, 2)`` array [m] in the grid CRS: fibre follows
        them; without roads a fibre route is the straight line × the preset's detour.
    resilience
        Analyse second paths and single failures (False: leave them empty; the links
        and costs are the same, in about half the time on a hundred sites).
    clearance_memo
        Hop clearances kept between designs on this grid and radio (several designs
        sharing sites trace each hop once); None: traced for this design only.

    Returns
    -------
    BackhaulPlan
        The links (kind, length, capacity, load, costs), each site's uplink, and the
        resilience report (second paths, single failures).
    """
    s = settings
    allowed = check_kinds(s.allowed)
    site_x = _array(site_x, None, "site_x")
    n_sites = site_x.size
    site_y = _array(site_y, n_sites, "site_y")
    site_mast_m = _array(site_mast_m, n_sites, "site_mast_m")
    fibre_x = _array(fibre_x, None, "fibre_x")
    fibre_y = _array(fibre_y, fibre_x.size, "fibre_y")
    donor_x = _array(donor_x, None, "donor_x")
    donor_y = _array(donor_y, donor_x.size, "donor_y")
    donor_mast = _array(donor_mast_m, donor_x.size, "donor_mast_m", default=30.0)
    relay_x = _array(relay_x, None, "relay_x")
    relay_y = _array(relay_y, relay_x.size, "relay_y")
    relay_mast = _array(relay_mast_m, relay_x.size, "relay_mast_m")
    people = _array(site_people, n_sites, "site_people", default=0.0)
    if (people < 0).any() or s.adoption_share < 0 or s.busy_hour_mbps_per_user < 0:
        raise BackhaulError("site_people, adoption_share and busy_hour_mbps_per_user must be >= 0")
    if s.relay_max_depth < 0 or s.mast_raise_step_m <= 0 or s.max_mast_raise_m < 0:
        raise BackhaulError(
            "relay_max_depth and max_mast_raise_m must be >= 0, mast_raise_step_m > 0"
        )
    demand = people * s.adoption_share * s.busy_hour_mbps_per_user

    nodes = make_nodes(
        {
            FIBRE: (fibre_x, fibre_y, np.full(fibre_x.size, float(s.fibre_mast_height_m))),
            DONOR: (donor_x, donor_y, donor_mast),
            SITE: (site_x, site_y, site_mast_m),
            RELAY: (relay_x, relay_y, relay_mast),
        },
        demand,
        people,
    )
    roads = road_network(road_lines) if len(road_lines) else None
    if not isinstance(terrain, NativeDem):
        terrain = NativeDem.from_grid(terrain)
    edges = build_edges(
        terrain, nodes, preset=preset, allowed=allowed, radio=s, roads=roads, memo=clearance_memo
    )
    raises = any(e.raise_u_m > 0 or e.raise_v_m > 0 for e in edges)
    relay_ends = any(nodes.role[e.v] == RELAY or nodes.role[e.u] == RELAY for e in edges)
    cost = CostModel.from_preset(
        preset,
        horizon_years=s.horizon_years,
        discount_rate=s.discount_rate,
        sat_min_mbps=s.satellite_mbps_per_site,
        raise_usd_per_m=figure(preset, MAST_RAISE_USD_PER_M) if raises else 0.0,
        relay_site_capex_opex=relay_site_costs(preset) if relay_ends else (0.0, 0.0),
    )

    state = TreeState(nodes, edges, cost, s.relay_max_depth)
    state.set_tree(shortest_path_tree(state))
    _check_connected(state, allowed)
    state.prune()
    moves = state.repair()
    state.improve()
    all_sat = float(sum(cost.sat_npv(d) for d in demand))
    if "satellite" in allowed and state.total_npv() > all_sat + 1e-6:
        log.info("backhaul: the tree costs more than all-satellite; using all-satellite")
        state.set_tree(_all_satellite(state))
    if state.overloaded():  # every step keeps capacity; a failure here is a bug
        raise BackhaulError("backhaul: internal error, a link is over capacity after repair")

    links = _links(state, preset, HopTracer(terrain, nodes, s.k_factor, clearance_memo))
    graph = terrestrial_graph(state) if resilience else None
    failures = single_failures(state, graph) if graph is not None else ()
    sites = [v for v in range(state.n) if nodes.role[v] == SITE]
    parent_names = [nodes.names[state.parent(v)] for v in sites]
    donors = [v for v in range(state.n) if nodes.role[v] == DONOR and state.children[v]]
    plan = BackhaulPlan(
        links=links,
        site_kind=tuple(edges[state.parent_edge[v]].kind for v in sites),
        all_satellite_tco_usd=all_sat,
        tco_usd=float(
            sum(
                net_present_cost(
                    k.capex_usd,
                    k.opex_usd_per_year,
                    horizon_years=s.horizon_years,
                    discount_rate=s.discount_rate,
                )
                for k in links
            )
        ),
        site_demand_mbps=tuple(float(d) for d in demand),
        site_parent=tuple(parent_names),
        node_xy={nodes.names[v]: (float(nodes.x[v]), float(nodes.y[v])) for v in range(1, state.n)},
        donor_load_mbps={nodes.names[v]: float(state.load[v]) for v in donors},
        relays_used=tuple(nodes.names[v] for v in state.order[1:] if nodes.role[v] == RELAY),
        mast_raise_m={
            nodes.names[v]: float(state.raise_m[v]) for v in state.order[1:] if state.raise_m[v] > 0
        },
        sites_with_two_paths=sites_with_two_paths(state, graph) if graph is not None else (),
        failures=failures,
        worst_single_failure=worst(failures),
        capacity_moves=moves,
        hop_terrain=f"{terrain.source}, posts {terrain.post_spacing_m:.1f} m apart",
    )
    if resilience:
        _log(plan, n_sites, edges)
    else:  # a costing-only design (e.g. of a budget-curve point): one quiet line
        log.debug(
            "backhaul: %d sites, links %s, net present cost %.0f USD vs all-satellite %.0f USD",
            n_sites,
            plan.links_by_kind,
            plan.tco_usd,
            plan.all_satellite_tco_usd,
        )
    return plan


def _check_connected(state: TreeState, allowed: tuple[str, ...]) -> None:
    stranded = [
        state.nodes.names[v]
        for v in range(state.n)
        if state.nodes.role[v] == SITE and state.parent_edge[v] < 0
    ]
    if stranded:
        more = f" (and {len(stranded) - 5} more)" if len(stranded) > 5 else ""
        raise BackhaulError(
            f"backhaul: no feasible link reaches {', '.join(stranded[:5])}{more} with "
            f"backhaul.allowed = [{', '.join(allowed)}]; allow 'satellite' (always "
            f"feasible) or others of: {', '.join(BACKHAUL_TYPE_NAMES)}"
        )


def _all_satellite(state: TreeState) -> list[int]:
    pe = [-1] * state.n
    for i, e in enumerate(state.edges):
        if e.kind == "satellite":
            pe[e.v] = i
    return pe


def _links(state: TreeState, preset: CostPreset, tracer: HopTracer) -> tuple[Link, ...]:
    nodes, edges, pe = state.nodes, state.edges, state.parent_edge
    height = nodes.mast_m + np.asarray(state.raise_m)
    # Each node's mast raise (the most any of its links needs) is charged to the link
    # that needs it most, so a raise is paid once however many hops use it.
    charged: dict[int, float] = {}
    for x in range(1, state.n):
        if state.raise_m[x] <= 0:
            continue
        incident = ([pe[x]] if pe[x] >= 0 else []) + [pe[c] for c in state.children[x]]
        best = max(incident, key=lambda i: (edges[i].raise_at(x), -i))
        charged[best] = charged.get(best, 0.0) + state.raise_m[x]
    trench = _fibre_trenches(
        [(edges[pe[v]], nodes.names[v]) for v in state.order[1:] if edges[pe[v]].kind == "fibre"]
    )
    out = []
    for v in state.order[1:]:
        i = pe[v]
        e = edges[i]
        if e.kind == EXISTING:
            continue
        p = e.other(v)
        load = state.load[v]
        cap = state.cost.sat_mbps(load) if e.kind == "satellite" else e.capacity_mbps
        relay_site = bool(nodes.role[v] == RELAY)
        capex, opex = link_costs(
            preset,
            kind=e.kind,
            length_m=trench.get(id(e), e.length_m),
            mbps=cap,
            mast_raise_m=charged.get(i, 0.0),
            relay_site=relay_site,
        )
        xy_v = (float(nodes.x[v]), float(nodes.y[v]))
        if e.kind == "satellite":
            geometry = (xy_v,)
        elif e.xy:
            geometry = e.xy if e.u == p else tuple(reversed(e.xy))
        else:
            geometry = ((float(nodes.x[p]), float(nodes.y[p])), xy_v)
        radio_hop = e.kind in ("microwave", "relay")
        clearance = e.clearance_f1
        if radio_hop:  # at the heights built: a raise bought for another hop helps this one
            clearance = float(
                tracer.f1(np.array([p]), np.array([v]), height[p], height[v], e.frequency_mhz)[0]
            )
        out.append(
            Link(
                a=nodes.names[p],
                b=nodes.names[v],
                kind=e.kind,
                length_m=e.length_m,
                capex_usd=capex,
                opex_usd_per_year=opex,
                clearance_f1=clearance,
                capacity_mbps=float(cap),
                load_mbps=float(load),
                mast_raise_m=charged.get(i, 0.0),
                relay_site=relay_site,
                route=e.route,
                geometry_xy=geometry,
                trench_length_m=trench.get(id(e), math.nan),
                height_a_m=float(height[p]) if radio_hop else math.nan,
                height_b_m=float(height[v]) if radio_hop else math.nan,
                raise_a_m=float(state.raise_m[p]) if radio_hop else 0.0,
                raise_b_m=float(state.raise_m[v]) if radio_hop else 0.0,
                frequency_mhz=e.frequency_mhz,
                rx_dbm=e.rx_dbm,
                fade_margin_db=e.fade_margin_db,
                rain_fade_db=e.rain_fade_db,
                availability_pct=e.availability_pct,
            )
        )
    return tuple(sorted(out, key=lambda k: (k.b, k.a)))


TRENCH_SHARED_M = 1.0
"""Two fibre routes closer than this [m] run in one trench (a road's centre line)."""


def _fibre_trenches(fibre: list[tuple[Edge, str]]) -> dict[int, float]:
    """The new trench [m] each fibre link of a tree pays for, by ``id`` of its edge.

    Routes from one point of presence along the roads follow its shortest-path tree, so
    they share their first stretches. Taking the links shortest route first, each pays
    for the part of its route farther than :data:`TRENCH_SHARED_M` from every route
    taken before it: a shared stretch is paid once, by the site nearest the PoP, and the
    trenches add up to the length of the union of the routes. A straight route (no roads
    layer) shares nothing and pays its whole length."""
    dug = None
    out: dict[int, float] = {}
    for e, _name in sorted(fibre, key=lambda en: (en[0].length_m, en[1])):
        if e.route != "road" or len(e.xy) < 2:
            out[id(e)] = float(e.length_m)
            continue
        line = shapely.LineString(e.xy)
        if dug is None:
            new = line.length
            dug = line.buffer(TRENCH_SHARED_M, cap_style="flat")
        else:
            new = line.difference(dug).length
            dug = dug.union(line.buffer(TRENCH_SHARED_M, cap_style="flat"))
        # the polyline is the route: scale so an unshared route pays exactly its length
        out[id(e)] = float(e.length_m) * (new / line.length if line.length > 0 else 1.0)
    return out


def _log(plan: BackhaulPlan, n_sites: int, edges) -> None:
    feasible = Counter(e.kind for e in edges)
    w = plan.worst_single_failure
    log.info(
        "backhaul: %d sites, feasible %s; links %s; net present cost %.0f USD vs "
        "all-satellite %.0f USD; %d capacity moves; %d sites with two paths; worst "
        "single failure %s (%.0f people)",
        n_sites,
        {k: feasible.get(k, 0) for k in BACKHAUL_TYPE_NAMES},
        plan.links_by_kind,
        plan.tco_usd,
        plan.all_satellite_tco_usd,
        plan.capacity_moves,
        len(plan.sites_with_two_paths),
        "none" if w is None else w.element,
        0.0 if w is None else w.people_lost,
    )
