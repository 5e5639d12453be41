"""The backhaul tree: least-cost paths from the core, then capacity repair and local search.

1. :func:`shortest_path_tree` — Dijkstra from the core over the feasible graph, each edge
   weighted by its net present cost (a satellite terminal sized to the site's own demand,
   a relay-only node's site cost on the edge into it, mast raises on the hop), with at
   most ``relay_max_depth`` relay hops in a row.
2. :meth:`TreeState.repair` — every link carries the demand downstream of it. While a
   link is over its capacity, the sub-tree below it with the least extra cost per Mbps
   relieved moves to another parent whose path has spare capacity, or to its own
   satellite terminal (sized to what it carries; never over capacity).
3. :meth:`TreeState.improve` — local search: move any site or relay node (with its
   sub-tree) to another feasible parent while that lowers the plan's net present cost
   and keeps every capacity and the relay depth; drop relay nodes that serve no one.

Every move keeps the tree capacity-feasible, so the result is; the caller compares it
with all-satellite (which is always feasible) and keeps the cheaper.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from rural_plan.backhaul.graph import EXISTING, RELAY, SITE, Edge, Nodes
from rural_plan.costing import CostPreset
from rural_plan.costing.npv import annuity_factor
from rural_plan.errors import BackhaulError

EPS_MBPS = 1e-9
_CORE_SIDE = frozenset({EXISTING, "satellite", "fibre"})
"""Types whose ``u`` end must be the parent (core → PoP, core → site, PoP → site)."""


@dataclass(frozen=True)
class CostModel:
    """Net present cost [USD] of the pieces of a tree."""

    annuity: float
    sat_capex_usd: float
    sat_opex_usd_per_mbps: float
    sat_min_mbps: float
    raise_usd_per_m: float
    relay_site_npv_usd: float

    @classmethod
    def from_preset(
        cls,
        preset: CostPreset,
        *,
        horizon_years: int,
        discount_rate: float,
        sat_min_mbps: float,
        raise_usd_per_m: float,
        relay_site_capex_opex: tuple[float, float],
    ) -> CostModel:
        a = annuity_factor(horizon_years, discount_rate)
        c, o = relay_site_capex_opex
        return cls(
            a,
            preset.satellite_capex_usd,
            preset.satellite_opex_usd_per_mbps_per_year,
            sat_min_mbps,
            raise_usd_per_m,
            c + o * a,
        )

    def sat_mbps(self, load_mbps: float) -> float:
        """Capacity bought for a terminal carrying ``load_mbps``."""
        return max(load_mbps, self.sat_min_mbps)

    def sat_npv(self, load_mbps: float) -> float:
        return self.sat_capex_usd + self.sat_opex_usd_per_mbps * self.sat_mbps(load_mbps) * (
            self.annuity
        )

    def edge_npv(self, e: Edge, load_mbps: float) -> float:
        """Without mast raises and relay sites (counted per node)."""
        if e.kind == "satellite":
            return self.sat_npv(load_mbps)
        return e.capex_usd + e.opex_usd_per_year * self.annuity


def _adjacency(n: int, edges: list[Edge]) -> list[list[int]]:
    adj: list[list[int]] = [[] for _ in range(n)]
    for i, e in enumerate(edges):
        adj[e.u].append(i)
        adj[e.v].append(i)
    return adj


class TreeState:
    """A tree over the feasible graph (``parent_edge[v]``: the edge into v, -1 if v is not
    connected) with its derived loads, depths and mast raises."""

    def __init__(self, nodes: Nodes, edges: list[Edge], cost: CostModel, relay_max_depth: int):
        self.nodes, self.edges, self.cost = nodes, edges, cost
        self.max_depth = relay_max_depth
        self.n = len(nodes)
        self.adj = _adjacency(self.n, edges)
        self.parent_edge = [-1] * self.n
        self.moves = 0

    # ------------------------------------------------------------------ structure

    def parent(self, v: int) -> int:
        return self.edges[self.parent_edge[v]].other(v)

    def in_tree(self, v: int) -> bool:
        return v == 0 or self.parent_edge[v] >= 0

    def set_tree(self, parent_edge: list[int]) -> None:
        self.parent_edge = list(parent_edge)
        self.refresh()

    def refresh(self) -> None:
        """Recompute children, preorder, loads, tops, relay depths and node mast raises."""
        n, edges, pe = self.n, self.edges, self.parent_edge
        children: list[list[int]] = [[] for _ in range(n)]
        for v in range(1, n):
            if pe[v] >= 0:
                children[edges[pe[v]].other(v)].append(v)
        order, stack = [], [0]
        while stack:
            u = stack.pop()
            order.append(u)
            stack.extend(reversed(children[u]))
        tin = [-1] * n
        for i, u in enumerate(order):
            tin[u] = i
        size = [1] * n
        load = [float(d) for d in self.nodes.demand_mbps]
        relay_tail = [0] * n
        for u in reversed(order[1:]):
            p = edges[pe[u]].other(u)
            size[p] += size[u]
            load[p] += load[u]
            if edges[pe[u]].kind == "relay":
                relay_tail[p] = max(relay_tail[p], relay_tail[u] + 1)
        top, rdepth, depth = [0] * n, [0] * n, [0] * n
        raise_m = [0.0] * n
        for u in order[1:]:
            e = edges[pe[u]]
            p = e.other(u)
            top[u] = u if p == 0 else top[p]
            rdepth[u] = rdepth[p] + 1 if e.kind == "relay" else 0
            depth[u] = depth[p] + 1
            raise_m[u] = max(raise_m[u], e.raise_at(u))
            raise_m[p] = max(raise_m[p], e.raise_at(p))
        self.children, self.order, self.tin, self.size = children, order, tin, size
        self.load, self.relay_tail, self.top = load, relay_tail, top
        self.rdepth, self.depth, self.raise_m = rdepth, depth, raise_m

    def subtree(self, v: int) -> list[int]:
        return self.order[self.tin[v] : self.tin[v] + self.size[v]]

    def is_ancestor(self, a: int, w: int) -> bool:
        """True when ``a`` is ``w`` or on its path to the core (both in the tree)."""
        return self.tin[a] <= self.tin[w] < self.tin[a] + self.size[a]

    def capacity_of(self, v: int) -> float:
        """Capacity [Mbps] of the link into ``v`` (a satellite terminal is sized to it)."""
        return self.edges[self.parent_edge[v]].capacity_mbps

    def overloaded(self) -> list[int]:
        return [
            v for v in self.order[1:] if self.load[v] > self.capacity_of(v) * (1 + 1e-12) + EPS_MBPS
        ]

    # ------------------------------------------------------------------ cost

    def total_npv(self) -> float:
        c, edges, role = self.cost, self.edges, self.nodes.role
        total = 0.0
        for v in self.order[1:]:
            total += c.edge_npv(edges[self.parent_edge[v]], self.load[v])
            if role[v] == RELAY:
                total += c.relay_site_npv_usd
        return total + c.raise_usd_per_m * sum(self.raise_m)

    def _raise_after(self, x: int, w: int, e_new: int) -> float:
        """Mast raise needed at node ``x`` once ``w``'s parent edge is ``e_new``."""
        if x == 0:
            return 0.0
        edges, pe = self.edges, self.parent_edge
        incident = []
        if pe[x] >= 0:
            incident.append(e_new if x == w else pe[x])
        incident += [pe[ch] for ch in self.children[x] if ch != w]
        if x != w and edges[e_new].other(w) == x:
            incident.append(e_new)
        return max((edges[e].raise_at(x) for e in incident), default=0.0)

    def move_delta(self, w: int, e_new: int) -> float | None:
        """Change of net present cost [USD] if ``w`` (with its sub-tree) hangs from
        ``e_new`` instead; None when the move is infeasible (cycle, capacity, depth)."""
        edges, pe, load = self.edges, self.parent_edge, self.load
        e_old = pe[w]
        new = edges[e_new]
        if e_new == e_old or (new.kind in _CORE_SIDE and new.v != w):
            return None
        p = new.other(w)
        if not self.in_tree(p) or self.is_ancestor(w, p):
            return None
        big = load[w]
        if new.capacity_mbps < big - EPS_MBPS:
            return None
        if new.kind == "relay" and self.rdepth[p] + 1 + self.relay_tail[w] > self.max_depth:
            return None
        a = p
        while a != 0 and not self.is_ancestor(a, w):
            if self.capacity_of(a) < load[a] + big - EPS_MBPS:
                return None
            a = self.parent(a)
        c = self.cost
        delta = c.edge_npv(new, big) - c.edge_npv(edges[e_old], big)
        if a == 0:  # the old and new paths meet only at the core: their tops change load
            t_old = self.top[w]
            if t_old != w and edges[pe[t_old]].kind == "satellite":
                delta += c.sat_npv(load[t_old] - big) - c.sat_npv(load[t_old])
            if p != 0:
                t_new = self.top[p]
                if edges[pe[t_new]].kind == "satellite":
                    delta += c.sat_npv(load[t_new] + big) - c.sat_npv(load[t_new])
        if c.raise_usd_per_m:
            p_old = edges[e_old].other(w)
            for x in {w, p_old, p}:
                delta += c.raise_usd_per_m * (self._raise_after(x, w, e_new) - self.raise_m[x])
        return delta

    def apply(self, w: int, e_new: int) -> None:
        self.parent_edge[w] = e_new
        self.moves += 1
        self.refresh()

    # ------------------------------------------------------------------ passes

    def _movable(self, w: int) -> bool:
        return self.nodes.role[w] in (SITE, RELAY) and self.parent_edge[w] >= 0

    def repair(self) -> int:
        """Move sub-trees until no link is over capacity; returns the number of moves."""
        moves = 0
        while True:
            over = self.overloaded()
            if not over:
                return moves
            v = min(over, key=lambda u: (self.depth[u], u))
            excess = self.load[v] - self.capacity_of(v)
            best: tuple[float, int, int] | None = None
            for w in self.subtree(v):
                if not self._movable(w) or self.load[w] <= EPS_MBPS:
                    continue
                for e in self.adj[w]:
                    p = self.edges[e].other(w)
                    if p != 0 and self.in_tree(p) and self.is_ancestor(v, p):
                        continue  # would stay below the overloaded link
                    delta = self.move_delta(w, e)
                    if delta is None:
                        continue
                    score = delta / min(self.load[w], excess)
                    if best is None or score < best[0]:
                        best = (score, w, e)
            if best is None:
                name = self.nodes.names[v]
                raise BackhaulError(
                    f"backhaul: the link into {name} must carry {self.load[v]:.1f} Mbps, over "
                    f"its {self.capacity_of(v):.1f} Mbps, and no site below it can move to "
                    "a link with spare capacity; allow 'satellite' in backhaul.allowed or "
                    "raise the link capacities"
                )
            self.apply(best[1], best[2])
            moves += 1

    def prune(self) -> int:
        """Disconnect relay-only nodes that carry nothing; returns how many."""
        dropped = 0
        while True:
            idle = [
                v for v in self.order[1:] if self.nodes.role[v] == RELAY and not self.children[v]
            ]
            if not idle:
                return dropped
            for v in idle:
                self.parent_edge[v] = -1
            dropped += len(idle)
            self.refresh()

    def improve(self, max_passes: int = 20) -> int:
        """Local search (see the module docstring); returns the number of moves."""
        moves = 0
        for _ in range(max_passes):
            changed = False
            for w in range(1, self.n):
                if not self._movable(w):
                    continue
                best: tuple[float, int] | None = None
                for e in self.adj[w]:
                    delta = self.move_delta(w, e)
                    if delta is not None and delta < -1e-6 and (best is None or delta < best[0]):
                        best = (delta, e)
                if best is not None:
                    self.apply(w, best[1])
                    moves += 1
                    changed = True
            changed = self.prune() > 0 or changed
            if not changed:
                break
        return moves


def shortest_path_tree(state: TreeState) -> list[int]:
    """Parent edge of each node in the least-cost path tree from the core (-1: unreached),
    with at most ``state.max_depth`` relay hops in a row. Among paths of equal cost (hops
    in the same price class) the shorter in metres wins."""
    nodes, edges, c = state.nodes, state.edges, state.cost
    n = state.n
    inf = (math.inf, math.inf)
    dist: list[tuple[float, float]] = [inf] * n
    rdepth = [0] * n
    pe = [-1] * n
    done = [False] * n
    dist[0] = (0.0, 0.0)
    heap: list[tuple[tuple[float, float], int]] = [((0.0, 0.0), 0)]
    while heap:
        (d, d_m), u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        for i in state.adj[u]:
            e = edges[i]
            v = e.other(u)
            if done[v] or v == 0 or (e.kind in _CORE_SIDE and e.u != u):
                continue
            relay = e.kind == "relay"
            if relay and rdepth[u] + 1 > state.max_depth:
                continue
            w = c.edge_npv(e, nodes.demand_mbps[v]) + c.raise_usd_per_m * (
                e.raise_u_m + e.raise_v_m
            )
            if nodes.role[v] == RELAY:
                w += c.relay_site_npv_usd
            cand = (_round_usd(d + w), d_m + e.length_m)
            if cand < dist[v]:
                dist[v] = cand
                pe[v] = i
                rdepth[v] = rdepth[u] + 1 if relay else 0
                heapq.heappush(heap, (cand, v))
    return pe


def _round_usd(x: float) -> float:
    """Costs to the micro-dollar, so sums of equal prices in another order compare equal."""
    return round(x, 6)
