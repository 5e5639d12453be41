"""Numba kernels of the capacity-aware local search: most people *served* under a budget.

Site i serves at most ``cap[i]`` people, a demand cell k gives at most ``weight[k]``
people and a site serves only the cells its row covers. The people a set S of sites
serves together, F(S), is the maximum flow source → site → cell → sink. F is monotone
and submodular (the rank function of a polymatroid), so the greedy rule, swaps and
their bounds below carry over from plain coverage.

**The class graph.** Cells covered by exactly the same sites of S are interchangeable
in the flow, so the flow is solved on classes of cells instead of cells: S's rows are
refined one after another (each site splits the classes its cells lie in), giving a
few hundred to a few thousand classes for tens of sites, each with its people and the
sites covering it. The graph (source → site, capacity cap; site → class, unbounded;
class → sink, capacity the class's people) is small, and Dinic's blocking flows
solve it in about a millisecond. It is rebuilt from S after every move made.

**Trials** on the current maximum flow, undone afterwards (the flows are copied back
and the trial's edges removed):

* ADD i: i's row is scanned once to find how many people of each class it covers
  (p_c); an edge i → c of capacity p_c is exact (the sites already covering c can
  serve c's people outside i's row first), and i's people no site of S covers go
  straight to the sink. When the people i can take without moving anybody already
  reach cap[i], the gain is cap[i] with no flow at all; otherwise Dinic augments the
  current flow — every new augmenting path starts at i, the flow being maximum.
* DROP j: j's flow is cancelled, its source edge closed, and Dinic re-routes what the
  other sites can take: loss_j = F(S) − F(S − j).
* SWAP j → i (CHANGE TYPE when i is at j's location): both at once.

**Search** (deterministic; ties to the lower option id). The objective is the people
served plus ``cover_weight`` times the people covered: a small weight that breaks ties
between choices serving as many people (every term above gains the covered people's
change too, from the same row scan: class 0 and the classes only the dropped site
covers).

1. ADD, while an affordable option at a free location serves more people: the one with
   most people per dollar (the greedy rule);
2. DROP a site whose people the others can all take (loss ≈ 0): the money may buy an
   ADD;
3. the SWAP / CHANGE TYPE that serves the most more people. A pair is tried only
   when its bound could beat the best found: F(S − j + i) − F(S) is at most gain_i(S)
   (F is monotone) and at most cap[i] − loss_j (i serves at most cap[i] in S − j);
   pairs are tried by that bound, descending, and the scan stops at the first that
   cannot win — exactly the move trying every pair would pick; failing that, the SWAP /
   CHANGE TYPE serving as many people for the most money saved (the money may buy an
   ADD);
4. failing all: a local optimum, unless kicks are asked for, each kept when it serves
   more people (then back to 1):

   * DROP-REFILL: drop a site, refill the money by step 1's rule (tried only where the
     money freed could buy more than the site served, by a fractional knapsack of the
     gains);
   * FORCE-ADD (the ``FORCE_KICKS`` options serving most more people): put the option
     in whatever it costs, drop the sites losing fewest people per dollar until the
     budget holds, refill — several sites for one, which no single move makes.

Every move made serves more people, or as many for less money, so the search cannot
cycle; a move cap and a wall-clock deadline bound it anyway.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from rural_plan.placement._clock import now as _now  # +inf once a stop is requested

LOCAL_OPTIMUM = 0
TIME_LIMIT = 1
MOVE_LIMIT = 2
"""Why :func:`served_search` stopped (the codes of the plain local search)."""

ADD = 0
SWAP = 1
DROP = 2
DROP_REFILL = 3
FORCE_ADD = 4
N_MOVE_KINDS = 5
"""Indices of the move counters :func:`served_search` returns."""

FORCE_KICKS = 16
"""FORCE-ADD kicks tried at a local optimum: the options serving most more people."""
_PEOPLE_RTOL = 1e-9
"""Changes in people below this fraction of all people count as no change."""
_BUDGET_RTOL = 1e-12
"""Relative budget slack: a budget of exactly the sum of some costs affords them all."""

_SRC = 0
_SINK = 1
_FIRST_SITE = 2


@nb.njit(cache=True)
def _add_edge(head, nxt, to, cap, flow, n_edges, u, v, c):
    """Append the edge u → v of capacity c and its reverse; returns the new edge count."""
    e = n_edges
    to[e] = v
    cap[e] = c
    flow[e] = 0.0
    nxt[e] = head[u]
    head[u] = e
    to[e + 1] = u
    cap[e + 1] = 0.0
    flow[e + 1] = 0.0
    nxt[e + 1] = head[v]
    head[v] = e + 1
    return n_edges + 2


@nb.njit(cache=True)
def _remove_edges_after(head, nxt, to, n_edges, keep):
    """Remove the edges appended after the first ``keep`` (newest first)."""
    e = n_edges - 1
    while e >= keep:
        # The reverse edge e (odd) and then its forward edge e - 1: each is its tail's head.
        head[to[e ^ 1]] = nxt[e]
        e -= 1


@nb.njit(cache=True)
def _dinic(head, nxt, to, cap, flow, n_nodes, eps, level, it, queue, stack_node, stack_edge):
    """Augment ``flow`` to a maximum flow from node 0 to node 1; returns the flow added.

    Residual capacities at or below ``eps`` count as none (people are floats)."""
    total = 0.0
    while True:
        for u in range(n_nodes):
            level[u] = -1
        level[_SRC] = 0
        q_head = 0
        q_tail = 1
        queue[0] = _SRC
        while q_head < q_tail:
            u = queue[q_head]
            q_head += 1
            e = head[u]
            while e >= 0:
                v = to[e]
                if level[v] < 0 and cap[e] - flow[e] > eps:
                    level[v] = level[u] + 1
                    queue[q_tail] = v
                    q_tail += 1
                e = nxt[e]
        if level[_SINK] < 0:
            return total
        for u in range(n_nodes):
            it[u] = head[u]
        top = 0
        stack_node[0] = _SRC
        while True:
            u = stack_node[top]
            if u == _SINK:
                b = np.inf
                d_min = 0
                for d in range(top):
                    e = stack_edge[d]
                    r = cap[e] - flow[e]
                    if r < b:
                        b = r
                        d_min = d
                for d in range(top):
                    e = stack_edge[d]
                    flow[e] += b
                    flow[e ^ 1] -= b
                e = stack_edge[d_min]
                flow[e] = cap[e]  # saturated exactly, whatever the rounding
                flow[e ^ 1] = -cap[e]
                total += b
                # Back to the tail of the first edge the path saturated.
                top = d_min
                for d in range(d_min):
                    if cap[stack_edge[d]] - flow[stack_edge[d]] <= eps:
                        top = d
                        break
                continue
            e = it[u]
            while e >= 0:
                v = to[e]
                if level[v] == level[u] + 1 and cap[e] - flow[e] > eps:
                    break
                e = nxt[e]
            it[u] = e
            if e >= 0:
                stack_edge[top] = e
                top += 1
                stack_node[top] = to[e]
                continue
            level[u] = -1  # a dead end for the rest of this phase
            if top == 0:
                break
            top -= 1
            w = stack_node[top]
            it[w] = nxt[it[w]]
    return total


@nb.njit(cache=True)
def _build(indptr, indices, weight, cap, sites, m, cls, scratch_cls, eps, graph, big):
    """The class graph of the sites ``sites[:m]`` with its maximum flow.

    ``cls`` (one entry per cell, all 0 on entry for cells outside S's rows) receives
    each cell's class (0: no site of S covers it); ``graph`` is the tuple of arrays this
    module passes around, resized here when too small. Returns (graph, n_nodes,
    n_edges, node of each class, flow value)."""
    # Partition refinement: site s splits each class its cells lie in.
    n_nnz = 0
    for s in range(m):
        n_nnz += indptr[sites[s] + 1] - indptr[sites[s]]
    parent = np.empty(n_nnz + 1, dtype=np.int64)
    last_site = np.empty(n_nnz + 1, dtype=np.int64)
    remap = np.full(n_nnz + 1, -1, dtype=np.int64)
    touched = np.empty(n_nnz + 1, dtype=np.int64)
    parent[0] = -1
    last_site[0] = -1
    n_cls = 1
    for s in range(m):
        n_touched = 0
        i = sites[s]
        for p in range(indptr[i], indptr[i + 1]):
            k = indices[p]
            c = cls[k]
            if remap[c] < 0:
                remap[c] = n_cls
                parent[n_cls] = c
                last_site[n_cls] = s
                touched[n_touched] = c
                n_touched += 1
                n_cls += 1
            cls[k] = remap[c]
        for t in range(n_touched):
            remap[touched[t]] = -1
    people = np.zeros(n_cls)
    for s in range(m):
        i = sites[s]
        for p in range(indptr[i], indptr[i + 1]):
            k = indices[p]
            if scratch_cls[k] == 0:
                scratch_cls[k] = 1
                people[cls[k]] += weight[k]
    for s in range(m):
        i = sites[s]
        for p in range(indptr[i], indptr[i + 1]):
            scratch_cls[indices[p]] = 0
    node_of = np.full(n_cls, -1, dtype=np.int64)
    n_nodes = _FIRST_SITE + m
    n_edges_needed = 2 * m
    for c in range(1, n_cls):
        if people[c] > 0.0:
            node_of[c] = n_nodes
            n_nodes += 1
            d = c
            while d > 0:
                n_edges_needed += 2
                d = parent[d]
            n_edges_needed += 2
    head, nxt, to, ecap, flow, level, it, queue, stack_node, stack_edge, single, ucov, meta = graph
    # Room for a trial site: one more node, and an edge per class plus one to the sink.
    if head.shape[0] < n_nodes + 1:
        size = 2 * (n_nodes + 1)
        head = np.empty(size, dtype=np.int64)
        level = np.empty(size, dtype=np.int64)
        it = np.empty(size, dtype=np.int64)
        queue = np.empty(size, dtype=np.int64)
        stack_node = np.empty(size, dtype=np.int64)
        stack_edge = np.empty(size, dtype=np.int64)
    need = n_edges_needed + 2 * (n_nodes + 2)
    if to.shape[0] < need:
        size = 2 * need
        nxt = np.empty(size, dtype=np.int64)
        to = np.empty(size, dtype=np.int64)
        ecap = np.empty(size)
        flow = np.empty(size)
    for u in range(n_nodes + 1):
        head[u] = -1
    n_edges = 0
    for s in range(m):
        n_edges = _add_edge(
            head, nxt, to, ecap, flow, n_edges, _SRC, _FIRST_SITE + s, min(cap[sites[s]], big)
        )
    for c in range(1, n_cls):
        u = node_of[c]
        if u < 0:
            continue
        d = c
        while d > 0:
            n_edges = _add_edge(
                head, nxt, to, ecap, flow, n_edges, _FIRST_SITE + last_site[d], u, big
            )
            d = parent[d]
        n_edges = _add_edge(head, nxt, to, ecap, flow, n_edges, u, _SINK, people[c])
    value = _dinic(
        head, nxt, to, ecap, flow, n_nodes, eps, level, it, queue, stack_node, stack_edge
    )
    # The tie-break: people covered (classes 1..), and per site the people only it covers.
    single = np.full(n_nodes + 1, -1, dtype=np.int64)
    ucov = np.zeros(max(m, 1))
    covered = 0.0
    for c in range(1, n_cls):
        u = node_of[c]
        if u < 0:
            continue
        covered += people[c]
        if parent[c] == 0:
            single[u] = last_site[c]
            ucov[last_site[c]] += people[c]
    value += meta[0] * covered
    graph = (
        head,
        nxt,
        to,
        ecap,
        flow,
        level,
        it,
        queue,
        stack_node,
        stack_edge,
        single,
        ucov,
        meta,
    )
    return graph, n_nodes, n_edges, node_of, value


@nb.njit(cache=True)
def _sink_residual(head, nxt, to, ecap, flow, u):
    """Residual capacity of class node u's edge to the sink."""
    e = head[u]
    while e >= 0:
        if to[e] == _SINK:
            return ecap[e] - flow[e]
        e = nxt[e]
    return 0.0


@nb.njit(cache=True)
def _trial(
    indptr,
    indices,
    weight,
    cap,
    i,
    drop_pos,
    cls,
    node_of,
    graph,
    n_nodes,
    n_edges,
    acc,
    mark,
    eps,
    big,
    saved,
):
    """F(S − j + i) − F(S) on the current maximum flow, undone afterwards.

    ``i``: an option to add (−1: none); ``drop_pos``: the position in S of a site to
    drop (−1: none). ``acc`` / ``mark`` (per node, zero / False on entry and exit) and
    ``saved`` (at least ``n_edges`` long) are scratch."""
    head, nxt, to, ecap, flow, level, it, queue, stack_node, stack_edge, single, ucov, meta = graph
    lost = 0.0
    src_edge = -1
    if drop_pos >= 0:
        for e in range(n_edges):
            saved[e] = flow[e]
        u = _FIRST_SITE + drop_pos
        e = head[u]
        while e >= 0:
            f = flow[e]
            if f > 0.0:  # u → class: cancel it on the class's sink edge too
                c = to[e]
                flow[e] = 0.0
                flow[e ^ 1] = 0.0
                g = head[c]
                while g >= 0:
                    if to[g] == _SINK:
                        flow[g] -= f
                        flow[g ^ 1] += f
                        break
                    g = nxt[g]
                lost += f
            elif to[e] == _SRC:
                src_edge = e ^ 1
            e = nxt[e]
        flow[src_edge] = 0.0
        flow[src_edge ^ 1] = 0.0
        ecap_src = ecap[src_edge]
        ecap[src_edge] = 0.0
    else:
        ecap_src = 0.0
    gained = 0.0
    keep = n_edges
    dirty = drop_pos >= 0
    newly = 0.0  # people covered: change of the tie-break term
    if drop_pos >= 0:
        newly -= ucov[drop_pos]
    if i >= 0:
        # People of i's row per class; class 0 (no site of S) goes straight to the sink.
        p0 = 0.0
        n_t = 0
        for p in range(indptr[i], indptr[i + 1]):
            k = indices[p]
            c = cls[k]
            if c == 0:
                p0 += weight[k]
                continue
            u = node_of[c]
            if u < 0:
                continue
            if drop_pos >= 0 and single[u] == drop_pos:
                newly += weight[k]  # covered only by the site dropped: i keeps it covered
            if not mark[u]:
                mark[u] = True
                queue[n_t] = u  # the queue doubles as the list of touched classes
                n_t += 1
            acc[u] += weight[k]
        newly += p0
        cap_i = min(cap[i], big)
        direct = p0
        if drop_pos < 0:
            for t in range(n_t):
                u = queue[t]
                direct += min(acc[u], max(_sink_residual(head, nxt, to, ecap, flow, u), 0.0))
        if drop_pos < 0 and direct >= cap_i:
            gained = cap_i
            for t in range(n_t):
                u = queue[t]
                acc[u] = 0.0
                mark[u] = False
        else:
            if drop_pos < 0:
                for e in range(n_edges):
                    saved[e] = flow[e]
            dirty = True
            node = n_nodes
            head[node] = -1
            n_e = _add_edge(head, nxt, to, ecap, flow, n_edges, _SRC, node, cap_i)
            if p0 > 0.0:
                n_e = _add_edge(head, nxt, to, ecap, flow, n_e, node, _SINK, p0)
            for t in range(n_t):
                u = queue[t]
                n_e = _add_edge(head, nxt, to, ecap, flow, n_e, node, u, acc[u])
                acc[u] = 0.0
                mark[u] = False
            gained = _dinic(
                head,
                nxt,
                to,
                ecap,
                flow,
                n_nodes + 1,
                eps,
                level,
                it,
                queue,
                stack_node,
                stack_edge,
            )
            _remove_edges_after(head, nxt, to, n_e, keep)
    elif drop_pos >= 0:
        gained = _dinic(
            head, nxt, to, ecap, flow, n_nodes, eps, level, it, queue, stack_node, stack_edge
        )
    if dirty:
        for e in range(n_edges):
            flow[e] = saved[e]
    if drop_pos >= 0:
        ecap[src_edge] = ecap_src
    return gained - lost + meta[0] * newly


@nb.njit(cache=True)
def _empty_graph(cover_weight):
    """Graph arrays to be sized by :func:`_build`; ``cover_weight`` weighs the people
    covered in the objective (the tie-break; 0: people served alone)."""
    z = np.empty(0, dtype=np.int64)
    meta = np.empty(1)
    meta[0] = cover_weight
    return (
        z.copy(),
        z.copy(),
        z.copy(),
        np.empty(0),
        np.empty(0),
        z.copy(),
        z.copy(),
        z.copy(),
        z.copy(),
        z.copy(),
        z.copy(),
        np.empty(0),
        meta,
    )


@nb.njit(cache=True)
def _state(inst, sites, m, scratch, graph):
    """Rebuild the class graph of ``sites[:m]`` (``inst``: the instance's arrays, the cell
    classes and the tolerances, as :func:`_instance` packs them; ``graph``: arrays to
    reuse). Returns the search state (graph, n_nodes, n_edges, node_of, value, acc,
    mark, saved) with fresh scratch arrays sized to it."""
    indptr, indices, weight, cap, cls, eps, big = inst
    for k in range(cls.shape[0]):
        cls[k] = 0
    graph, n_nodes, n_edges, node_of, value = _build(
        indptr, indices, weight, cap, sites, m, cls, scratch, eps, graph, big
    )
    acc = np.zeros(n_nodes + 1)
    mark = np.zeros(n_nodes + 1, dtype=np.bool_)
    saved = np.empty(n_edges)
    return graph, n_nodes, n_edges, node_of, value, acc, mark, saved


@nb.njit(cache=True)
def _instance(indptr, indices, weight, cap, eps, big):
    """The arrays every trial reads, with a fresh cell → class array, as one tuple."""
    return (indptr, indices, weight, cap, np.zeros(weight.shape[0], dtype=np.int64), eps, big)


@nb.njit(cache=True)
def _try(inst, st, i, drop_pos):
    """:func:`_trial` of adding option i (−1: none) and dropping position ``drop_pos``
    (−1: none) on the search state ``st`` (:func:`_state`)."""
    indptr, indices, weight, cap, cls, eps, big = inst
    graph, n_nodes, n_edges, node_of, _, acc, mark, saved = st
    return _trial(
        indptr,
        indices,
        weight,
        cap,
        i,
        drop_pos,
        cls,
        node_of,
        graph,
        n_nodes,
        n_edges,
        acc,
        mark,
        eps,
        big,
        saved,
    )


@nb.njit(cache=True)
def _scale(weight):
    """(tolerance on people, Dinic's residual threshold, a capacity above everyone)."""
    total = 0.0
    for k in range(weight.shape[0]):
        total += weight[k]
    tol = _PEOPLE_RTOL * max(total, 1.0)
    return tol, tol * 1e-3, 2.0 * total + 1.0


@nb.njit(cache=True)
def _remove_at(sites, m, s):
    """Drop position s of ``sites[:m]`` keeping the others' order; returns m − 1."""
    for t in range(s, m - 1):
        sites[t] = sites[t + 1]
    return m - 1


@nb.njit(cache=True)
def _take_out(sites, m, s, in_s, loc_opt, location, cost, spent):
    """Drop position s of the choice ``sites[:m]``; returns (m, spent)."""
    j = sites[s]
    in_s[j] = False
    loc_opt[location[j]] = -1
    return _remove_at(sites, m, s), spent - cost[j]


@nb.njit(cache=True)
def _put_in(sites, m, i, in_s, loc_opt, location, cost, spent):
    """Add option i to the choice ``sites[:m]``; returns (m, spent)."""
    sites[m] = i
    in_s[i] = True
    loc_opt[location[i]] = i
    return m + 1, spent + cost[i]


@nb.njit(cache=True)
def served_value(indptr, indices, weight, cap, chosen):
    """F(chosen): the most people the options ``chosen`` serve within their capacities."""
    _, eps, big = _scale(weight)
    inst = _instance(indptr, indices, weight, cap, eps, big)
    scratch = np.zeros(weight.shape[0], dtype=np.int64)
    return _state(inst, chosen.copy(), chosen.shape[0], scratch, _empty_graph(0.0))[4]


@nb.njit(cache=True)
def served_rollout(indptr, indices, weight, cost, cap, chosen):
    """``chosen`` in greedy order (most newly served people per dollar first; ties to
    the earlier in ``chosen``) and the people each adds when taken in that order."""
    _, eps, big = _scale(weight)
    n_c = chosen.shape[0]
    inst = _instance(indptr, indices, weight, cap, eps, big)
    scratch = np.zeros(weight.shape[0], dtype=np.int64)
    sites = np.empty(n_c, dtype=np.int64)
    order = np.empty(n_c, dtype=np.int64)
    gains = np.empty(n_c)
    taken = np.zeros(n_c, dtype=np.bool_)
    st = _state(inst, sites, 0, scratch, _empty_graph(0.0))
    for step in range(n_c):
        st = _state(inst, sites, step, scratch, st[0])
        best = -1
        best_key = -np.inf
        best_gain = 0.0
        for t in range(n_c):
            if taken[t]:
                continue
            g = _try(inst, st, chosen[t], -1)
            key = g / cost[chosen[t]] if cost[chosen[t]] > 0.0 else np.inf
            if best < 0 or key > best_key:
                best = t
                best_key = key
                best_gain = g
        taken[best] = True
        sites[step] = chosen[best]
        order[step] = chosen[best]
        gains[step] = best_gain
    return order, gains


@nb.njit(cache=True)
def _kick(
    inst,
    cost,
    location,
    limit,
    trial_sites,
    t_m,
    t_in,
    t_loc,
    t_spent,
    keep,
    banned,
    scratch,
    tol,
    cover_weight,
):
    """Finish a kick on the choice ``trial_sites[:t_m]`` (``t_in``, ``t_loc``, ``t_spent``
    updated in place or returned): while it is over budget, drop the site (never
    ``keep``) losing fewest people per dollar; then ADD by the greedy rule (never
    ``banned``). Returns (t_m, t_spent, objective value; −inf when it cannot fit)."""
    n = cost.shape[0]
    st = _state(inst, trial_sites, t_m, scratch, _empty_graph(cover_weight))
    while t_spent > limit:
        drop = -1
        drop_key = np.inf
        for s in range(t_m):
            if trial_sites[s] == keep:
                continue
            lost = -_try(inst, st, -1, s)
            c = cost[trial_sites[s]]
            key = lost / c if c > 0.0 else np.inf
            if drop < 0 or key < drop_key:
                drop = s
                drop_key = key
        if drop < 0:
            return t_m, t_spent, -np.inf
        t_m, t_spent = _take_out(trial_sites, t_m, drop, t_in, t_loc, location, cost, t_spent)
        st = _state(inst, trial_sites, t_m, scratch, st[0])
    while True:
        pick = -1
        pick_key = 0.0
        for i in range(n):
            if t_in[i] or t_loc[location[i]] >= 0 or t_spent + cost[i] > limit or i == banned:
                continue
            g = _try(inst, st, i, -1)
            if g > tol:
                key = g / cost[i] if cost[i] > 0.0 else np.inf
                if pick < 0 or key > pick_key:
                    pick = i
                    pick_key = key
        if pick < 0:
            break
        t_m, t_spent = _put_in(trial_sites, t_m, pick, t_in, t_loc, location, cost, t_spent)
        st = _state(inst, trial_sites, t_m, scratch, st[0])
    return t_m, t_spent, st[4]


@nb.njit(cache=True)
def _kick_from(
    inst,
    sites,
    m,
    in_s,
    loc_opt,
    spent,
    out_pos,
    add,
    cost,
    location,
    limit,
    scratch,
    tol,
    cover_weight,
):
    """A kick from the choice ``sites[:m]``: without its position ``out_pos`` (−1: none;
    that site is not added back) and with option ``add`` (−1: none; it replaces its
    location's site and stays), finished by :func:`_kick`. Returns (sites, m, in_s,
    loc_opt, spent, objective value) of the result; the choice itself is unchanged."""
    trial_sites = np.empty(cost.shape[0], dtype=np.int64)
    trial_sites[:m] = sites[:m]
    t_m = m
    t_in = in_s.copy()
    t_loc = loc_opt.copy()
    t_spent = spent
    banned = -1
    if out_pos >= 0:
        banned = sites[out_pos]
        t_m, t_spent = _take_out(trial_sites, t_m, out_pos, t_in, t_loc, location, cost, t_spent)
    if add >= 0:
        other = t_loc[location[add]]
        for t in range(t_m):
            if trial_sites[t] == other:
                t_m, t_spent = _take_out(trial_sites, t_m, t, t_in, t_loc, location, cost, t_spent)
                break
        t_m, t_spent = _put_in(trial_sites, t_m, add, t_in, t_loc, location, cost, t_spent)
    t_m, t_spent, value = _kick(
        inst,
        cost,
        location,
        limit,
        trial_sites,
        t_m,
        t_in,
        t_loc,
        t_spent,
        add,
        banned,
        scratch,
        tol,
        cover_weight,
    )
    return trial_sites, t_m, t_in, t_loc, t_spent, value


@nb.njit(cache=True)
def _adopt(sites, in_s, loc_opt, trial):
    """Make the kick ``trial`` (:func:`_kick_from`) the choice; returns (m, spent)."""
    trial_sites, t_m, t_in, t_loc, t_spent, _ = trial
    sites[:t_m] = trial_sites[:t_m]
    in_s[:] = t_in
    loc_opt[:] = t_loc
    return t_m, t_spent


@nb.njit(cache=True)
def served_search(
    indptr,
    indices,
    weight,
    cost,
    location,
    cap,
    budget,
    start,
    deadline,
    max_moves,
    kicks,
    cover_weight,
):
    """Local search for the options serving most people under ``budget`` (module doc).

    ``start``: feasible option ids to start from; ``deadline``: a ``perf_counter``
    value to stop at (inf: none); ``kicks``: try DROP-REFILL kicks at local optima;
    ``cover_weight``: the objective is people served + ``cover_weight`` × people
    covered (a small weight breaks ties between choices serving as many people).
    Returns (chosen option ids, status, moves per kind, the objective's value)."""
    n = cost.shape[0]
    row_people = np.zeros(n)
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            row_people[i] += weight[indices[p]]
    tol, eps, big = _scale(weight)
    limit = budget * (1.0 + _BUDGET_RTOL)
    n_loc = 0
    for i in range(n):
        if location[i] + 1 > n_loc:
            n_loc = location[i] + 1
    loc_opt = np.full(n_loc, -1, dtype=np.int64)
    in_s = np.zeros(n, dtype=np.bool_)
    sites = np.empty(n, dtype=np.int64)
    m = 0
    spent = 0.0
    for i in start:
        sites[m] = i
        m += 1
        in_s[i] = True
        loc_opt[location[i]] = i
        spent += cost[i]
    inst = _instance(indptr, indices, weight, cap, eps, big)
    scratch = np.zeros(weight.shape[0], dtype=np.int64)
    moves = np.zeros(N_MOVE_KINDS, dtype=np.int64)
    gains = np.empty(n)
    status = LOCAL_OPTIMUM
    st = _state(inst, sites, m, scratch, _empty_graph(cover_weight))
    check_time = deadline < np.inf
    n_moves = 0
    while True:
        if n_moves >= max_moves:
            status = MOVE_LIMIT
            break
        if check_time and _now() > deadline:
            status = TIME_LIMIT
            break
        for i in range(n):
            gains[i] = -1.0
            if not in_s[i]:
                gains[i] = _try(inst, st, i, -1)
        # 1. ADD: most newly served people per dollar.
        best = -1
        best_key = 0.0
        for i in range(n):
            if in_s[i] or loc_opt[location[i]] >= 0 or spent + cost[i] > limit:
                continue
            if gains[i] > tol:
                key = gains[i] / cost[i] if cost[i] > 0.0 else np.inf
                if best < 0 or key > best_key:
                    best = i
                    best_key = key
        if best >= 0:
            m, spent = _put_in(sites, m, best, in_s, loc_opt, location, cost, spent)
            moves[ADD] += 1
            n_moves += 1
            st = _state(inst, sites, m, scratch, st[0])
            continue
        loss = np.empty(m)
        for s in range(m):
            loss[s] = -_try(inst, st, -1, s)
        # 2. DROP a site the others can stand in for: the dearest.
        drop = -1
        for s in range(m):
            if loss[s] <= tol and (drop < 0 or cost[sites[s]] > cost[sites[drop]]):
                drop = s
        if drop >= 0:
            m, spent = _take_out(sites, m, drop, in_s, loc_opt, location, cost, spent)
            moves[DROP] += 1
            n_moves += 1
            st = _state(inst, sites, m, scratch, st[0])
            continue
        # 3. SWAP / CHANGE TYPE: pairs by their bound, descending.
        n_pairs = 0
        pair_s = np.empty(m * n, dtype=np.int64)
        pair_i = np.empty(m * n, dtype=np.int64)
        pair_b = np.empty(m * n)
        for s in range(m):
            j = sites[s]
            for i in range(n):
                if in_s[i]:
                    continue
                if loc_opt[location[i]] >= 0 and location[i] != location[j]:
                    continue
                if spent - cost[j] + cost[i] > limit:
                    continue
                b = min(gains[i], min(cap[i], big) + cover_weight * row_people[i] - loss[s])
                if b > tol:
                    pair_s[n_pairs] = s
                    pair_i[n_pairs] = i
                    pair_b[n_pairs] = b
                    n_pairs += 1
        order = np.argsort(-pair_b[:n_pairs], kind="mergesort")
        best_delta = tol
        best_s = -1
        best_i = -1
        for q in order:
            if pair_b[q] <= best_delta:
                break
            d = _try(inst, st, pair_i[q], pair_s[q])
            if d > best_delta:
                best_delta = d
                best_s = pair_s[q]
                best_i = pair_i[q]
        if best_s < 0:
            # 3b. The SWAP / CHANGE TYPE serving as many people for the most money saved
            # (the money may buy an ADD): pairs by the saving, descending.
            n_pairs = 0
            for s in range(m):
                j = sites[s]
                for i in range(n):
                    if in_s[i] or cost[i] >= cost[j]:
                        continue
                    if loc_opt[location[i]] >= 0 and location[i] != location[j]:
                        continue
                    if (
                        min(gains[i], min(cap[i], big) + cover_weight * row_people[i] - loss[s])
                        >= -tol
                    ):
                        pair_s[n_pairs] = s
                        pair_i[n_pairs] = i
                        pair_b[n_pairs] = cost[j] - cost[i]
                        n_pairs += 1
            order = np.argsort(-pair_b[:n_pairs], kind="mergesort")
            for q in order:
                d = _try(inst, st, pair_i[q], pair_s[q])
                if d >= -tol:
                    best_s = pair_s[q]
                    best_i = pair_i[q]
                    break
        if best_s >= 0:
            m, spent = _take_out(sites, m, best_s, in_s, loc_opt, location, cost, spent)
            m, spent = _put_in(sites, m, best_i, in_s, loc_opt, location, cost, spent)
            moves[SWAP] += 1
            n_moves += 1
            st = _state(inst, sites, m, scratch, st[0])
            continue
        if not kicks:
            break
        # 4. DROP-REFILL: drop a site, refill by the greedy rule; kept if it serves more.
        # A refill T after dropping j serves at most Σ_{i in T} gain_i(S) more than S
        # (F is submodular and monotone: F(S − j + T) ≤ F(S + T)), so a kick whose
        # freed money cannot buy more than tol of those gains (a fractional knapsack,
        # locations relaxed) is not tried.
        by_ratio = np.empty(n, dtype=np.int64)
        ratio = np.empty(n)
        n_r = 0
        for i in range(n):
            if not in_s[i] and gains[i] > tol:
                by_ratio[n_r] = i
                ratio[n_r] = -gains[i] / cost[i] if cost[i] > 0.0 else -np.inf
                n_r += 1
        by_ratio = by_ratio[:n_r][np.argsort(ratio[:n_r], kind="mergesort")]
        # The kicks to try, in order: DROP-REFILL by loss (where the bound allows), then
        # FORCE-ADD (5.: one of the options serving most more people goes in whatever it
        # costs, replacing its location's site; the sites losing fewest people per dollar
        # go until the budget holds; the rest refills).
        kick_out = np.full(m + FORCE_KICKS, -1, dtype=np.int64)
        kick_add = np.full(m + FORCE_KICKS, -1, dtype=np.int64)
        n_kicks = 0
        for s in np.argsort(loss, kind="mergesort"):
            money = limit - spent + cost[sites[s]]
            bound = 0.0
            for i in by_ratio:
                if cost[i] <= money:
                    bound += gains[i]
                    money -= cost[i]
                else:
                    bound += gains[i] * money / cost[i]
                    break
            if bound > tol:
                kick_out[n_kicks] = s
                n_kicks += 1
        order = np.argsort(-gains, kind="mergesort")
        for q in range(min(FORCE_KICKS, n)):
            if in_s[order[q]] or gains[order[q]] <= tol:
                break
            kick_add[n_kicks] = order[q]
            n_kicks += 1
        kept = False
        for k in range(n_kicks):
            if check_time and _now() > deadline:
                break
            trial = _kick_from(
                inst,
                sites,
                m,
                in_s,
                loc_opt,
                spent,
                kick_out[k],
                kick_add[k],
                cost,
                location,
                limit,
                scratch,
                tol,
                cover_weight,
            )
            if trial[5] > st[4] + tol:
                m, spent = _adopt(sites, in_s, loc_opt, trial)
                kept = True
                moves[DROP_REFILL if kick_out[k] >= 0 else FORCE_ADD] += 1
                break
        st = _state(inst, sites, m, scratch, st[0])
        if not kept:
            break
        n_moves += 1
    return np.sort(sites[:m]), status, moves, st[4]
