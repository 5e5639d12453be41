"""Resilience of a backhaul tree: second paths and single failures.

The *terrestrial feasible graph* is every link that could be built except satellite
(fibre extensions, microwave and relay hops, relay-only nodes whether used or not, the
PoPs' and donors' own connections to the core). Satellite is left out on purpose: a
terminal can be added at any site, so counting it would give every site a second path.

- A site has **two paths** when the terrestrial graph holds two node-disjoint paths
  between it and the core (local node connectivity ≥ 2; the core is shared).
- A **single failure** of a fibre PoP, a donor tower or one link of the tree cuts the
  sites downstream of it in the tree: their people lose service until re-routed. Those
  with no terrestrial path to the core avoiding the failed element have no alternative
  but an emergency satellite terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
from networkx.algorithms.connectivity import (
    build_auxiliary_node_connectivity,
    local_node_connectivity,
)
from networkx.algorithms.flow import build_residual_network

from rural_plan.backhaul.graph import DONOR, FIBRE, SITE
from rural_plan.backhaul.tree import TreeState


@dataclass(frozen=True)
class Failure:
    """What one failed element cuts off."""

    element: str
    """A node name ('fibre:0', 'donor:2') or a tree link 'a->b' (a nearer the core)."""
    kind: str
    """'fibre' or 'donor' for a node; the link type for a link."""
    sites_lost: tuple[int, ...]
    """Sites (selection order) downstream of the element in the tree."""
    people_lost: float
    """People covered by those sites, who lose service until re-routed."""
    people_without_alternative: float
    """Of those, the people of sites with no terrestrial path to the core avoiding the
    element (they would need a satellite terminal)."""


def terrestrial_graph(state: TreeState) -> nx.MultiGraph:
    g = nx.MultiGraph()
    g.add_nodes_from(range(state.n))
    for i, e in enumerate(state.edges):
        if e.kind != "satellite":
            g.add_edge(e.u, e.v, key=i)
    return g


def sites_with_two_paths(state: TreeState, graph: nx.MultiGraph) -> tuple[int, ...]:
    """Site indices (selection order) with two node-disjoint terrestrial paths to the core."""
    simple = nx.Graph(graph)
    aux = build_auxiliary_node_connectivity(simple)
    residual = build_residual_network(aux, "capacity")
    first_site = _first_of(state, SITE)
    out = []
    for v in range(state.n):
        if state.nodes.role[v] != SITE or simple.degree(v) < 2:
            continue
        k = local_node_connectivity(simple, 0, v, auxiliary=aux, residual=residual, cutoff=2)
        if k >= 2:
            out.append(v - first_site)
    return tuple(out)


def _first_of(state: TreeState, role: int) -> int:
    hits = [v for v in range(state.n) if state.nodes.role[v] == role]
    return hits[0] if hits else 0


def single_failures(state: TreeState, graph: nx.MultiGraph) -> tuple[Failure, ...]:
    """Every fibre PoP and donor tower, then every link of the tree, with what it cuts."""
    nodes, edges = state.nodes, state.edges
    first_site = _first_of(state, SITE)
    out = []
    for v in range(1, state.n):
        role = nodes.role[v]
        if role in (FIBRE, DONOR) and state.in_tree(v):
            view = nx.restricted_view(graph, [v], [])
            kind = "fibre" if role == FIBRE else "donor"
            out.append(_failure(state, view, v, nodes.names[v], kind, first_site))
    for v in state.order[1:]:
        e = edges[state.parent_edge[v]]
        if e.kind == "existing":
            continue
        p = e.other(v)
        i = state.parent_edge[v]
        view = graph if e.kind == "satellite" else nx.restricted_view(graph, [], [(e.u, e.v, i)])
        name = f"{nodes.names[p]}->{nodes.names[v]}"
        out.append(_failure(state, view, v, name, e.kind, first_site))
    return tuple(out)


def _failure(state, view, v, name, kind, first_site) -> Failure:
    sites = [u for u in state.subtree(v) if state.nodes.role[u] == SITE]
    people = state.nodes.people
    reach = nx.node_connected_component(view, 0) if sites else set()
    stranded = float(sum(float(people[u]) for u in sites if u not in reach))
    return Failure(
        element=name,
        kind=kind,
        sites_lost=tuple(u - first_site for u in sites),
        people_lost=float(sum(float(people[u]) for u in sites)),
        people_without_alternative=stranded,
    )


def worst(failures: tuple[Failure, ...]) -> Failure | None:
    """The failure that cuts the most people (then the most without alternative)."""
    if not failures:
        return None
    return max(failures, key=lambda f: (f.people_lost, f.people_without_alternative))
