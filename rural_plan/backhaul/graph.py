"""The feasible backhaul graph: nodes (core, fibre PoPs, donor towers, sites, relay-only
nodes) and every link that could be built between them, with its type, length,
capacity and price.

- ``existing``: core → fibre PoP (no cost, no capacity limit) and core → donor tower (the
  tower's own backhaul: no cost, ``donor_capacity_mbps``). Not reported as plan links.
- ``satellite``: core → site, always available; priced per terminal and per Mbps carried.
- ``microwave``: between any two nodes within the longest hop (at least one a site or a
  relay node) whose terrain clears ``fresnel_fraction`` of the first Fresnel zone; a hop
  that fails may be bought clear by raising the mast(s) (not a donor's) in steps.
- ``relay``: a site or relay node to a donor, site or relay node within the relay range,
  with line of sight over the k-factor earth (clearance ≥ 0 first-Fresnel radii).
- ``fibre``: fibre PoP → site, along the roads when given, else straight × detour factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rural_plan.backhaul._kernels import fresnel_clearances, fresnel_clearances_serial
from rural_plan.backhaul.pricing import BACKHAUL_TYPES, FIBRE_DETOUR, figure
from rural_plan.backhaul.roads import RoadNetwork
from rural_plan.backhaul.settings import BackhaulSettings
from rural_plan.costing import CostPreset
from rural_plan.grid.grid import Grid

CORE = "core"
FIBRE, DONOR, SITE, RELAY = 0, 1, 2, 3
ROLE_NAMES = ("fibre", "donor", "site", "relay")
EXISTING = "existing"


def node_name(role: int, index: int) -> str:
    """The name of the ``index``-th node of a role (0-based in the caller's arrays):
    'fibre:N', 'donor:N', 'site:N', 'relay:N', numbered from 1 as every output numbers
    sites (``sites.csv`` ``site_id``)."""
    return f"{ROLE_NAMES[role]}:{index + 1}"


def node_index(name: str) -> tuple[str, int]:
    """(role name, 0-based index) of a node name made by :func:`node_name`."""
    role, _, number = name.partition(":")
    return role, int(number) - 1


@dataclass(frozen=True)
class Nodes:
    """Graph nodes; index 0 is the core (role -1). Coordinates [m] in the grid CRS."""

    names: tuple[str, ...]
    role: np.ndarray
    x: np.ndarray
    y: np.ndarray
    mast_m: np.ndarray
    demand_mbps: np.ndarray
    people: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


def make_nodes(
    groups: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
    demand_mbps: np.ndarray,
    people: np.ndarray,
) -> Nodes:
    """Nodes from (x, y, mast_m) per role; the sites' demand and people in site order."""
    names, role, xs, ys, mast = [CORE], [-1], [math.nan], [math.nan], [0.0]
    dem, ppl = [0.0], [0.0]
    for r in (FIBRE, DONOR, SITE, RELAY):
        x, y, m = groups[r]
        for i in range(len(x)):
            names.append(node_name(r, i))
            role.append(r)
            xs.append(float(x[i]))
            ys.append(float(y[i]))
            mast.append(float(m[i]))
            dem.append(float(demand_mbps[i]) if r == SITE else 0.0)
            ppl.append(float(people[i]) if r == SITE else 0.0)
    return Nodes(
        tuple(names),
        np.asarray(role),
        np.asarray(xs),
        np.asarray(ys),
        np.asarray(mast),
        np.asarray(dem),
        np.asarray(ppl),
    )


@dataclass(frozen=True, slots=True)
class Edge:
    """A link that could be built; ``u`` is the core side where the type has one."""

    u: int
    v: int
    kind: str
    length_m: float
    capacity_mbps: float
    capex_usd: float
    """Without mast raises and relay-node sites; satellite: the terminal only."""
    opex_usd_per_year: float
    """Satellite: 0 here (the per-Mbps price depends on the load)."""
    clearance_f1: float = math.nan
    raise_u_m: float = 0.0
    raise_v_m: float = 0.0
    route: str = ""
    """Fibre: 'road' (along the roads layer) or 'straight' (straight line × detour)."""
    xy: tuple[tuple[float, float], ...] = ()
    """Polyline [m] of a fibre route along the roads (empty: the straight segment)."""

    def other(self, n: int) -> int:
        return self.v if n == self.u else self.u

    def raise_at(self, n: int) -> float:
        return self.raise_u_m if n == self.u else self.raise_v_m if n == self.v else 0.0


class ClearanceMemo:
    """Hop clearances already traced, by hop (ends and antenna heights [m]), for several
    designs on one grid and radio (e.g. the budget curve's points, which share most of
    their sites): a hop asked again is read back, not traced again (the kernel traces
    each hop on its own, so the values are the same)."""

    def __init__(self) -> None:
        self.values: dict[tuple[float, ...], float] = {}
        self._grid: Grid | None = None
        self._radio: tuple[float, float] | None = None

    def bind(self, grid: Grid, radio: BackhaulSettings) -> None:
        """Refuse to mix grids or radio settings in one memo."""
        key = (radio.microwave_frequency_mhz, radio.k_factor)
        if self._grid is None:
            self._grid, self._radio = grid, key
        elif grid is not self._grid or key != self._radio:
            raise ValueError("a ClearanceMemo serves one grid and one radio setting")


def clearances(
    grid: Grid,
    nodes: Nodes,
    ia,
    ib,
    ha,
    hb,
    radio: BackhaulSettings,
    memo: ClearanceMemo | None = None,
) -> np.ndarray:
    """Smallest clearance [first-Fresnel radii] of hops ``ia[k] → ib[k]`` at antenna
    heights ``ha``, ``hb`` above ground (the numba kernel, in parallel over hops); hops
    in ``memo`` are read from it, the others traced and added to it."""
    ha = np.ascontiguousarray(ha, dtype=np.float64)
    hb = np.ascontiguousarray(hb, dtype=np.float64)
    if memo is None or ia.size == 0:
        return _trace(grid, nodes.x[ia], nodes.y[ia], ha, nodes.x[ib], nodes.y[ib], hb, radio)
    memo.bind(grid, radio)
    hops = list(
        zip(
            nodes.x[ia].tolist(),
            nodes.y[ia].tolist(),
            ha.tolist(),
            nodes.x[ib].tolist(),
            nodes.y[ib].tolist(),
            hb.tolist(),
            strict=True,
        )
    )
    known = memo.values
    new = np.array([k for k, hop in enumerate(hops) if hop not in known], dtype=np.int64)
    if new.size:
        a, b = ia[new], ib[new]
        traced = _trace(
            grid, nodes.x[a], nodes.y[a], ha[new], nodes.x[b], nodes.y[b], hb[new], radio
        )
        for k, value in zip(new.tolist(), traced.tolist(), strict=True):
            known[hops[k]] = value
    return np.array([known[hop] for hop in hops], dtype=np.float64)


PARALLEL_MIN_HOPS = 4_096
"""Fewer hops than this are traced in the calling thread (numba's workers cost more than
they save on small batches; on a machine whose cores are busy, several times more)."""


def _trace(grid: Grid, xa, ya, ha, xb, yb, hb, radio: BackhaulSettings) -> np.ndarray:
    out = np.empty(np.size(xa))
    if out.size:
        kernel = fresnel_clearances if out.size >= PARALLEL_MIN_HOPS else fresnel_clearances_serial
        kernel(
            np.ascontiguousarray(grid.elevation_m, dtype=np.float64),
            grid.transform.c,
            grid.transform.f,
            grid.cell_size_m,
            np.ascontiguousarray(xa, dtype=np.float64),
            np.ascontiguousarray(ya, dtype=np.float64),
            np.ascontiguousarray(ha, dtype=np.float64),
            np.ascontiguousarray(xb, dtype=np.float64),
            np.ascontiguousarray(yb, dtype=np.float64),
            np.ascontiguousarray(hb, dtype=np.float64),
            radio.microwave_frequency_mhz,
            radio.k_factor,
            out,
        )
    return out


def mast_raises(
    grid: Grid,
    nodes: Nodes,
    ia: np.ndarray,
    ib: np.ndarray,
    radio: BackhaulSettings,
    memo: ClearanceMemo | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For hops that fail clearance at the planned masts: the least total raise (ra, rb)
    [m], in steps, that clears them (NaN where none within the limit), and the clearance
    then. Clearance only grows with either antenna height (the ray rises; F1 does not
    depend on heights), so the first combination that clears, in order of total metres,
    is the cheapest. Donor towers are existing: their antennas are not raised."""
    ra = np.full(ia.size, np.nan)
    rb = np.full(ia.size, np.nan)
    cl = np.full(ia.size, np.nan)
    steps = int(math.floor(radio.max_mast_raise_m / radio.mast_raise_step_m + 1e-9))
    if steps <= 0 or ia.size == 0:
        return ra, rb, cl
    step = radio.mast_raise_step_m
    ok_a = nodes.role[ia] != DONOR
    ok_b = nodes.role[ib] != DONOR
    top = steps * step
    ha, hb = nodes.mast_m[ia], nodes.mast_m[ib]
    at_max = clearances(grid, nodes, ia, ib, ha + ok_a * top, hb + ok_b * top, radio, memo)
    todo = np.flatnonzero(at_max >= radio.fresnel_clearance)
    combos = sorted(
        ((i, j) for i in range(steps + 1) for j in range(steps + 1) if i or j),
        key=lambda c: (c[0] + c[1], max(c), c[0]),
    )
    for i, j in combos:
        if todo.size == 0:
            break
        sel = todo[((i == 0) | ok_a[todo]) & ((j == 0) | ok_b[todo])]
        if sel.size == 0:
            continue
        c = clearances(
            grid, nodes, ia[sel], ib[sel], ha[sel] + i * step, hb[sel] + j * step, radio, memo
        )
        good = sel[c >= radio.fresnel_clearance]
        ra[good], rb[good] = i * step, j * step
        cl[good] = c[c >= radio.fresnel_clearance]
        todo = np.setdiff1d(todo, good, assume_unique=True)
    return ra, rb, cl


def build_edges(
    grid: Grid,
    nodes: Nodes,
    *,
    preset: CostPreset,
    allowed: tuple[str, ...],
    radio: BackhaulSettings,
    roads: RoadNetwork | None,
    memo: ClearanceMemo | None = None,
) -> list[Edge]:
    """Every link that could be built (see the module docstring); hop clearances through
    ``memo`` when given."""
    role = nodes.role
    idx = {r: np.flatnonzero(role == r) for r in (FIBRE, DONOR, SITE, RELAY)}
    edges: list[Edge] = []
    for f in idx[FIBRE]:
        edges.append(Edge(0, int(f), EXISTING, 0.0, math.inf, 0.0, 0.0))
    for d in idx[DONOR]:
        edges.append(Edge(0, int(d), EXISTING, 0.0, radio.donor_capacity_mbps, 0.0, 0.0))
    if "satellite" in allowed:
        capex, _ = BACKHAUL_TYPES["satellite"](preset, length_m=0.0, mbps=0.0)
        for s in idx[SITE]:
            edges.append(Edge(0, int(s), "satellite", 0.0, math.inf, capex, 0.0))
    if "fibre" in allowed and idx[FIBRE].size and idx[SITE].size:
        edges += _fibre_edges(nodes, idx[FIBRE], idx[SITE], preset, radio, roads)
    edges += _radio_edges(grid, nodes, preset, allowed, radio, memo)
    return edges


def _fibre_edges(nodes, pops, sites, preset, radio, roads) -> list[Edge]:
    edges = []
    detour = None if roads is not None else figure(preset, FIBRE_DETOUR)
    for f in pops:
        routes = (
            roads.routes_from(nodes.x[f], nodes.y[f], nodes.x[sites], nodes.y[sites])
            if roads is not None
            else [None] * sites.size
        )
        for s, route in zip(sites, routes, strict=True):
            if route is not None:
                length, how, xy = route.length_m, "road", route.xy
            else:
                if detour is None:
                    detour = figure(preset, FIBRE_DETOUR)
                straight = math.hypot(nodes.x[f] - nodes.x[s], nodes.y[f] - nodes.y[s])
                length, how, xy = straight * detour, "straight", ()
            capex, opex = BACKHAUL_TYPES["fibre"](preset, length_m=length, mbps=0.0)
            edges.append(
                Edge(
                    int(f),
                    int(s),
                    "fibre",
                    float(length),
                    radio.fibre_capacity_mbps,
                    capex,
                    opex,
                    route=how,
                    xy=xy,
                )
            )
    return edges


def _radio_edges(grid, nodes, preset, allowed, radio, memo=None) -> list[Edge]:
    mw, relay = "microwave" in allowed, "relay" in allowed
    reach = max(radio.microwave_max_hop_m if mw else 0.0, radio.relay_max_hop_m if relay else 0.0)
    n = len(nodes)
    if reach <= 0 or n < 3:
        return []
    ia, ib = np.triu_indices(n, k=1)
    role = nodes.role
    new = (role == SITE) | (role == RELAY)
    d = np.hypot(nodes.x[ia] - nodes.x[ib], nodes.y[ia] - nodes.y[ib])
    keep = (ia > 0) & (new[ia] | new[ib]) & (d <= reach)
    ia, ib, d = ia[keep], ib[keep], d[keep]
    clear = clearances(grid, nodes, ia, ib, nodes.mast_m[ia], nodes.mast_m[ib], radio, memo)
    edges: list[Edge] = []
    if mw:
        in_hop = d <= radio.microwave_max_hop_m
        ok = in_hop & (clear >= radio.fresnel_clearance)
        ra = np.where(ok, 0.0, np.nan)
        rb = np.where(ok, 0.0, np.nan)
        cl = np.where(ok, clear, np.nan)
        fail = np.flatnonzero(in_hop & ~ok)
        ra[fail], rb[fail], cl[fail] = mast_raises(grid, nodes, ia[fail], ib[fail], radio, memo)
        for k in np.flatnonzero(np.isfinite(ra)):
            capex, opex = BACKHAUL_TYPES["microwave"](preset, length_m=float(d[k]), mbps=0.0)
            edges.append(
                Edge(
                    int(ia[k]),
                    int(ib[k]),
                    "microwave",
                    float(d[k]),
                    radio.microwave_capacity_mbps,
                    capex,
                    opex,
                    clearance_f1=float(cl[k]),
                    raise_u_m=float(ra[k]),
                    raise_v_m=float(rb[k]),
                )
            )
    if relay:
        # A relay joins a site or relay node to a donor, a site or a relay node (no PoP).
        ends_ok = (role[ia] != FIBRE) & (role[ib] != FIBRE)
        for k in np.flatnonzero(ends_ok & (d <= radio.relay_max_hop_m) & (clear >= 0.0)):
            capex, opex = BACKHAUL_TYPES["relay"](preset, length_m=float(d[k]), mbps=0.0)
            edges.append(
                Edge(
                    int(ia[k]),
                    int(ib[k]),
                    "relay",
                    float(d[k]),
                    radio.relay_capacity_mbps,
                    capex,
                    opex,
                    clearance_f1=float(clear[k]),
                )
            )
    return edges
