"""Fibre routes along a road network: a networkx graph of road LineStrings.

A point joins the network by a straight leg to the nearest point of the nearest road
segment; the route is that leg, the shortest path along the roads, and the leg to the
other point. Lines connect where they share a vertex (within ``snap_m``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from rural_plan.errors import BackhaulError

_SOURCE = ("__source__",)
_MAX_SOURCES = 64
"""Start points whose shortest-path tree a network keeps (fibre PoPs: a handful)."""
_MAX_NETWORKS = 4
"""Road networks :func:`road_network` keeps (one per roads layer in use)."""


@dataclass(frozen=True)
class Route:
    """A fibre route: its length [m] and polyline (x, y) [m] in the grid CRS."""

    length_m: float
    xy: tuple[tuple[float, float], ...]


class RoadNetwork:
    """Road centre lines as a weighted graph, for shortest fibre routes between points.

    Parameters
    ----------
    lines
        Each an ``(n, 2)`` array of (x, y) vertices [m] in the grid's metric CRS.
    snap_m
        Vertices closer than this are one junction.

    Examples
    --------
    >>> import numpy as np
    >>> net = RoadNetwork([np.array([[0, 0], [1000, 0], [1000, 1000]])])
    >>> round(net.routes_from(200, -100, [1100], [700])[0].length_m)
    1700
    """

    def __init__(self, lines: Sequence[np.ndarray], *, snap_m: float = 0.5):
        ids: dict[tuple[int, int], int] = {}
        xy: list[tuple[float, float]] = []
        seg_u: list[int] = []
        seg_v: list[int] = []
        self.graph = nx.Graph()
        for k, line in enumerate(lines):
            pts = np.asarray(line, dtype=np.float64)
            if pts.ndim != 2 or pts.shape[1] < 2 or len(pts) < 2:
                raise BackhaulError(f"roads: line {k} needs at least two (x, y) vertices")
            if not np.isfinite(pts[:, :2]).all():
                raise BackhaulError(f"roads: line {k} has a non-finite coordinate")
            prev = None
            for x, y in pts[:, :2]:
                key = (round(x / snap_m), round(y / snap_m))
                node = ids.get(key)
                if node is None:
                    node = ids[key] = len(xy)
                    xy.append((float(x), float(y)))
                if prev is not None and prev != node:
                    (xa, ya), (xb, yb) = xy[prev], xy[node]
                    self.graph.add_edge(prev, node, weight=math.hypot(xb - xa, yb - ya))
                    seg_u.append(prev)
                    seg_v.append(node)
                prev = node
        if not seg_u:
            raise BackhaulError("roads: no road segment of positive length")
        self.xy = np.asarray(xy, dtype=np.float64)
        self._u = np.asarray(seg_u)
        self._v = np.asarray(seg_v)
        self._a = self.xy[self._u]
        self._b = self.xy[self._v]
        self._trees: dict[tuple[float, float], tuple] = {}

    def _tree_from(self, x: float, y: float) -> tuple:
        """(segment, join point, leg [m], distance and first predecessor per road vertex)
        from (x, y): computed once per start point (a design asks again per PoP)."""
        key = (float(x), float(y))
        hit = self._trees.get(key)
        if hit is not None:
            return hit
        s, q1, leg1 = self.attach(x, y)
        u, v = int(self._u[s]), int(self._v[s])
        g = self.graph
        g.add_edge(_SOURCE, u, weight=leg1 + math.dist(q1, self.xy[u]))
        if v != u:
            g.add_edge(_SOURCE, v, weight=leg1 + math.dist(q1, self.xy[v]))
        try:
            # pred[n][0] is the vertex whose path networkx extends to reach n: walking it
            # back gives single_source_dijkstra's path, without holding every path
            pred, dist = nx.dijkstra_predecessor_and_distance(g, _SOURCE, weight="weight")
        finally:
            g.remove_node(_SOURCE)
        first = {n: p[0] for n, p in pred.items() if p}
        if len(self._trees) >= _MAX_SOURCES:
            self._trees.pop(next(iter(self._trees)))
        self._trees[key] = (s, q1, leg1, dist, first)
        return self._trees[key]

    def _path_to(self, first: dict, end: int) -> list[tuple[float, float]]:
        """Road vertices from the start's join to ``end`` (the start itself left out)."""
        nodes = [end]
        while first[nodes[-1]] != _SOURCE:
            nodes.append(first[nodes[-1]])
        return [tuple(self.xy[n]) for n in reversed(nodes)]

    @property
    def n_segments(self) -> int:
        return int(self._u.size)

    def attach(self, x: float, y: float) -> tuple[int, tuple[float, float], float]:
        """The nearest segment to (x, y): its index, the nearest point on it, the distance."""
        d = self._b - self._a
        len2 = (d**2).sum(axis=1)
        t = np.clip(((x - self._a[:, 0]) * d[:, 0] + (y - self._a[:, 1]) * d[:, 1]) / len2, 0, 1)
        qx = self._a[:, 0] + t * d[:, 0]
        qy = self._a[:, 1] + t * d[:, 1]
        dist = np.hypot(qx - x, qy - y)
        s = int(np.argmin(dist))
        return s, (float(qx[s]), float(qy[s])), float(dist[s])

    def routes_from(
        self, x: float, y: float, targets_x: Sequence[float], targets_y: Sequence[float]
    ) -> list[Route | None]:
        """Shortest road routes from (x, y) to each target; None where the roads the two
        points join are not connected."""
        s, q1, leg1, dist, first = self._tree_from(x, y)
        out: list[Route | None] = []
        for tx, ty in zip(targets_x, targets_y, strict=True):
            r, q2, leg2 = self.attach(float(tx), float(ty))
            best: tuple[float, int] | None = None
            if r == s:  # both join the same segment: along it directly
                best = (leg1 + math.dist(q1, q2) + leg2, -1)
            for end in (int(self._u[r]), int(self._v[r])):
                if end not in dist:
                    continue
                length = dist[end] + math.dist(self.xy[end], q2) + leg2
                if best is None or length < best[0]:
                    best = (length, end)
            if best is None:
                out.append(None)
                continue
            along = self._path_to(first, best[1]) if best[1] >= 0 else []
            pts = [(float(x), float(y)), q1, *along, q2, (float(tx), float(ty))]
            out.append(Route(best[0], tuple((float(a), float(b)) for a, b in pts)))
        return out


_NETWORKS: dict[str, RoadNetwork] = {}


def road_network(lines: Sequence[np.ndarray]) -> RoadNetwork:
    """The :class:`RoadNetwork` of ``lines``, built once per content in this process (a
    plan designs its backhaul several times on the same roads; building the graph and
    each PoP's shortest-path tree takes about a second on an island's roads)."""
    h = hashlib.sha256()
    for line in lines:
        a = np.ascontiguousarray(line, dtype=np.float64)
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    key = h.hexdigest()
    net = _NETWORKS.get(key)
    if net is None:
        net = RoadNetwork(lines)
        if len(_NETWORKS) >= _MAX_NETWORKS:
            _NETWORKS.pop(next(iter(_NETWORKS)))
        _NETWORKS[key] = net
    return net
