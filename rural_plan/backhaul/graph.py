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
import pyproj

from rural_plan.backhaul._kernels import hop_clearances, hop_clearances_serial
from rural_plan.backhaul.pricing import BACKHAUL_TYPES, FIBRE_DETOUR, figure
from rural_plan.backhaul.rain import MicrowaveBudget, microwave_budget, rain_climate
from rural_plan.backhaul.roads import RoadNetwork
from rural_plan.backhaul.settings import BackhaulSettings
from rural_plan.costing import CostPreset
from rural_plan.grid.native_dem import NativeDem
from rural_plan.units import EARTH_RADIUS_M, wavelength_m

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
    frequency_mhz: float = math.nan
    """Microwave and relay: the band the hop runs in (its F1)."""
    rx_dbm: float = math.nan
    """Microwave: clear-air received power [dBm] (:mod:`rural_plan.backhaul.rain`)."""
    fade_margin_db: float = math.nan
    rain_fade_db: float = math.nan
    """Microwave: rain fade at the target availability [dB] (≤ the fade margin)."""
    availability_pct: float = math.nan
    """Microwave: the availability the hop reaches against rain [%]."""

    def other(self, n: int) -> int:
        return self.v if n == self.u else self.u

    def raise_at(self, n: int) -> float:
        return self.raise_u_m if n == self.u else self.raise_v_m if n == self.v else 0.0


class ClearanceMemo:
    """Hop clearances already traced, by hop (ends and antenna heights [m]), for several
    designs on one terrain (e.g. the budget curve's points, which share most of their
    sites): a hop asked again is read back, not traced again (the kernel traces each hop
    on its own, so the values are the same). Values are free of the frequency
    (:func:`~rural_plan.backhaul._kernels.hop_clearance`)."""

    def __init__(self) -> None:
        self.values: dict[tuple[float, ...], float] = {}
        self._terrain: NativeDem | None = None
        self._k: float | None = None

    def bind(self, terrain: NativeDem, k_factor: float) -> None:
        """Refuse to mix terrains or earth curvatures in one memo."""
        if self._terrain is None:
            self._terrain, self._k = terrain, k_factor
        elif terrain.elevation_m is not self._terrain.elevation_m or k_factor != self._k:
            raise ValueError("a ClearanceMemo serves one terrain and one k-factor")


PARALLEL_MIN_HOPS = 4_096
"""Fewer hops than this are traced in the calling thread (numba's workers cost more than
they save on small batches; on a machine whose cores are busy, several times more)."""


class HopTracer:
    """Clearance of hops between nodes over the terrain's posts, in first-Fresnel radii
    at a given frequency; hops in the memo are read from it, others traced and added."""

    def __init__(
        self,
        terrain: NativeDem,
        nodes: Nodes,
        k_factor: float,
        memo: ClearanceMemo | None = None,
    ) -> None:
        self.terrain = terrain
        self.nodes = nodes
        self.a_eff_m = k_factor * EARTH_RADIUS_M
        self.memo = memo
        if memo is not None:
            memo.bind(terrain, k_factor)
        col, row = terrain.pixel_of(nodes.x[1:], nodes.y[1:])  # node 0 is the core
        self.col = np.r_[np.nan, col]
        self.row = np.r_[np.nan, row]

    def f1(self, ia, ib, ha, hb, f_mhz: float) -> np.ndarray:
        """Smallest clearance [first-Fresnel radii at ``f_mhz``] of hops ``ia[k] → ib[k]``
        at antenna heights ``ha``, ``hb`` [m] above ground."""
        return self.normalised(ia, ib, ha, hb) / math.sqrt(wavelength_m(f_mhz))

    def normalised(self, ia, ib, ha, hb) -> np.ndarray:
        """Smallest clearance per unit √(d1·d2/d) [√m] (see the kernel)."""
        ia = np.asarray(ia, dtype=np.int64)
        ib = np.asarray(ib, dtype=np.int64)
        # copies (writable, whatever was given): the kernels see one signature, the one
        # the JIT warm-up compiles
        ha = np.array(np.broadcast_to(ha, ia.shape), dtype=np.float64)
        hb = np.array(np.broadcast_to(hb, ia.shape), dtype=np.float64)
        if self.memo is None or ia.size == 0:
            return self._trace(ia, ib, ha, hb)
        x, y = self.nodes.x, self.nodes.y
        hops = list(
            zip(
                x[ia].tolist(),
                y[ia].tolist(),
                ha.tolist(),
                x[ib].tolist(),
                y[ib].tolist(),
                hb.tolist(),
                strict=True,
            )
        )
        known = self.memo.values
        new = np.array([k for k, hop in enumerate(hops) if hop not in known], dtype=np.int64)
        if new.size:
            traced = self._trace(ia[new], ib[new], ha[new], hb[new])
            for k, value in zip(new.tolist(), traced.tolist(), strict=True):
                known[hops[k]] = value
        return np.array([known[hop] for hop in hops], dtype=np.float64)

    def _trace(self, ia, ib, ha, hb) -> np.ndarray:
        out = np.empty(ia.size)
        if out.size:
            d = np.hypot(self.nodes.x[ia] - self.nodes.x[ib], self.nodes.y[ia] - self.nodes.y[ib])
            kernel = hop_clearances if out.size >= PARALLEL_MIN_HOPS else hop_clearances_serial
            kernel(
                self.terrain.elevation_m,
                np.ascontiguousarray(self.col[ia]),
                np.ascontiguousarray(self.row[ia]),
                np.ascontiguousarray(self.col[ib]),
                np.ascontiguousarray(self.row[ib]),
                np.ascontiguousarray(d, dtype=np.float64),
                ha,
                hb,
                self.a_eff_m,
                out,
            )
        return out


def mast_raises(
    tracer: HopTracer,
    ia: np.ndarray,
    ib: np.ndarray,
    radio: BackhaulSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For microwave hops that fail clearance at the planned masts: the least total raise
    (ra, rb) [m], in steps, that clears them (NaN where none within the limit), and the
    clearance then [F1]. Clearance only grows with either antenna height (the ray rises;
    F1 does not depend on heights), so the first combination that clears, in order of
    total metres, is the cheapest. Donor towers are existing: their antennas are not
    raised."""
    nodes, f_mhz, need = tracer.nodes, radio.microwave_frequency_mhz, radio.fresnel_clearance
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
    at_max = tracer.f1(ia, ib, ha + ok_a * top, hb + ok_b * top, f_mhz)
    todo = np.flatnonzero(at_max >= need)
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
        c = tracer.f1(ia[sel], ib[sel], ha[sel] + i * step, hb[sel] + j * step, f_mhz)
        good = sel[c >= need]
        ra[good], rb[good] = i * step, j * step
        cl[good] = c[c >= need]
        todo = np.setdiff1d(todo, good, assume_unique=True)
    return ra, rb, cl


def build_edges(
    terrain: NativeDem,
    nodes: Nodes,
    *,
    preset: CostPreset,
    allowed: tuple[str, ...],
    radio: BackhaulSettings,
    roads: RoadNetwork | None,
    memo: ClearanceMemo | None = None,
) -> list[Edge]:
    """Every link that could be built (see the module docstring); hop clearances over
    ``terrain`` through ``memo`` when given."""
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
    edges += _radio_edges(terrain, nodes, preset, allowed, radio, memo)
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


def _radio_edges(terrain, nodes, preset, allowed, radio, memo=None) -> list[Edge]:
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
    tracer = HopTracer(terrain, nodes, radio.k_factor, memo)
    normalised = tracer.normalised(ia, ib, nodes.mast_m[ia], nodes.mast_m[ib])
    edges: list[Edge] = []
    if mw:
        edges += _microwave_edges(tracer, ia, ib, d, normalised, preset, radio)
    if relay:
        # A relay joins a site or relay node to a donor, a site or a relay node (no PoP),
        # with line of sight; its clearance is told in F1 at the relay's own band.
        ends_ok = (role[ia] != FIBRE) & (role[ib] != FIBRE)
        relay_f1 = normalised / math.sqrt(wavelength_m(radio.relay_frequency_mhz))
        for k in np.flatnonzero(ends_ok & (d <= radio.relay_max_hop_m) & (relay_f1 >= 0.0)):
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
                    clearance_f1=float(relay_f1[k]),
                    frequency_mhz=radio.relay_frequency_mhz,
                )
            )
    return edges


def _microwave_edges(tracer, ia, ib, d, normalised, preset, radio) -> list[Edge]:
    """Hops within the longest microwave hop that take the rain at the target
    availability (:mod:`rural_plan.backhaul.rain`) and clear the Fresnel fraction, at
    the planned masts or raised."""
    in_hop = np.flatnonzero(d <= radio.microwave_max_hop_m)
    if in_hop.size == 0:
        return []
    ia, ib, d, normalised = ia[in_hop], ib[in_hop], d[in_hop], normalised[in_hop]
    budget = hop_budgets(tracer, ia, ib, d, radio)
    wet_ok = budget.feasible
    clear = normalised / math.sqrt(wavelength_m(radio.microwave_frequency_mhz))
    ok = wet_ok & (clear >= radio.fresnel_clearance)
    ra = np.where(ok, 0.0, np.nan)
    rb = np.where(ok, 0.0, np.nan)
    cl = np.where(ok, clear, np.nan)
    fail = np.flatnonzero(wet_ok & ~ok)
    ra[fail], rb[fail], cl[fail] = mast_raises(tracer, ia[fail], ib[fail], radio)
    edges = []
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
                frequency_mhz=radio.microwave_frequency_mhz,
                rx_dbm=float(budget.rx_dbm[k]),
                fade_margin_db=float(budget.fade_margin_db[k]),
                rain_fade_db=float(budget.rain_fade_db[k]),
                availability_pct=float(budget.availability_pct[k]),
            )
        )
    return edges


def hop_budgets(tracer: HopTracer, ia, ib, d, radio: BackhaulSettings) -> MicrowaveBudget:
    """The microwave link budget and rain fade of hops ``ia[k] → ib[k]``, the rain
    rate at each hop's midpoint."""
    nodes = tracer.nodes
    to_lonlat = pyproj.Transformer.from_crs(tracer.terrain.grid_crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(
        0.5 * (nodes.x[ia] + nodes.x[ib]), 0.5 * (nodes.y[ia] + nodes.y[ib])
    )
    lon, lat = np.atleast_1d(lon), np.atleast_1d(lat)
    climate = rain_climate(
        round(float(np.mean(lon)), 1), round(float(np.mean(lat)), 1), radio.microwave_frequency_mhz
    )
    return microwave_budget(
        d,
        lon,
        lat,
        f_mhz=radio.microwave_frequency_mhz,
        tx_power_dbm=radio.microwave_tx_power_dbm,
        dish_diameter_m=radio.microwave_dish_diameter_m,
        rx_threshold_dbm=radio.microwave_rx_threshold_dbm,
        availability_pct=radio.microwave_availability_pct,
        polarization_tilt_deg=radio.microwave_polarization_tilt_deg,
        climate=climate,
        rain_rate_mm_h=radio.rain_rate_001_mm_per_h,
    )
