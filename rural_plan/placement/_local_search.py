"""Numba kernels of the local search for budgeted site selection.

State of a choice (kept incrementally, refreshed exactly every ``_REFRESH`` moves):

* ``cnt[k]`` — how many chosen options cover demand cell k;
* ``own[k]`` — the sum of the ids of the chosen options covering k, so when
  ``cnt[k] == 1`` it *is* the one option covering k (no search needed);
* ``gain0[i]`` — people in option i's cells that nothing covers (what adding i gains);
* ``uniq[j]`` — for a chosen j, people in the cells only j covers (what dropping j loses).

Adding or dropping an option walks its cells and, for the cells that become covered or
uncovered, the options covering them (the cell → option transpose), so a move costs
Σ over its cells of the options per cell, not a pass over the instance.

Moves, each evaluated exactly from the state:

* ADD i (free location, fits the budget): + gain0[i];
* CHANGE TYPE j → i (same location, fits the budget with j's cost refunded) and
  SWAP j → i (i at a free location): gain0[i] + ov(i, j) − uniq[j], where ov(i, j) is
  the people in i's cells that only j covers (they stay covered when j goes);
* MAKE ROOM for i (an option that does not fit even with its location's option
  refunded): replace the option at i's location by i, then drop the chosen options
  that lose fewest people per dollar (uniq/cost, updated after each drop) until the
  budget holds — the many-for-one exchange (several light sites for one macro) that
  single swaps cannot make. Evaluated by doing it on the cover counts and ``uniq``
  only (``gain0`` is not needed to pick the drops) and undoing it;
* DROP j when it covers nobody alone (uniq[j] ≈ 0): people unchanged, cost down.

Search (deterministic; ties go to the lower option id):

1. fill: while an affordable option at a free location adds people, ADD the one with
   the most new people per dollar (the greedy rule);
2. among all CHANGE TYPE and SWAP moves take the one that adds the most people
   (ties: cheaper, then lower dropped id, then lower added id);
3. failing that, the MAKE ROOM move that adds the most people (same ties). A MAKE
   ROOM for i gains at most gain0[i] minus what the drops must lose: each dropped
   option loses at least the people only it covers that i does not, and the drops
   must free the money i needs (a fractional knapsack bounds that loss from below).
   Candidates are tried by that bound, descending, and the search stops at the first
   whose bound is below the best found — exactly the move trying them all would pick;
4. failing that, the people-neutral CHANGE / SWAP / DROP that saves the most money
   (the money freed may buy an ADD in step 1); if there is none: a local optimum of
   these moves, and the search stops unless asked for kicks (``max_force`` ≥ 0);
5. KICKS, compound moves evaluated on the cover counts and undone, the best kept when
   it adds people (then back to 1):

   * DROP-REFILL j: drop a chosen option, then refill the money freed by step 1's rule
     (most new people per dollar, lazily: an option's gain is recounted only when its
     bound could win) — one site for several, which no single move makes;
   * FORCE-ADD i (the ``max_force`` unchosen options adding most people): MAKE ROOM for
     i even when that alone loses people, then refill what is left the same way;
6. failing that, the ``n_deep`` kicks that lose fewest people after their refill are
   made one by one, each followed by a whole descent (steps 1-4) in which the options
   the kick dropped may not come back; the first that ends with more people is kept
   (back to 1), the others undone. None: the search stops.

Every move raises people or keeps them and lowers cost, and a kick is kept only when it
raises people, so the search cannot cycle; ``max_moves`` and a wall-clock deadline
bound it anyway.

Kicks were measured on instances whose optimum HiGHS proved (benchmarks/RESULTS.md):
on the real-raster Ngazidja bands the single moves end 0-0.08 % below the optimum, the
kicks at it; the disc instances of the tests up to 2.9 % below before, at most 0.12 %
after; the synthetic benchmark instance s0 0.79 % before, 0.36 % after (at it with 16
deep kicks instead of 4, at twice the time). They cost 2-4x the single moves' search.

The swap neighbourhood is searched completely but without a pass over every pair.
For a chosen j the partners i fall into three groups:

* options covering a cell that only j covers (``ov > 0``): found by walking those
  cells' options, each evaluated exactly — Σ over all j of this work is one pass over
  the uniquely covered cells' options;
* the other options at j's location (a type change): a handful, each evaluated;
* everything else, whose value gain0[i] − uniq[j] depends on i only through
  gain0[i]: the best is the first option in the list of unchosen options at free
  locations sorted by (gain0 desc, cost asc, id asc) whose cost fits j's budget
  (remaining budget + cost[j]). A segment tree of minimum costs over that list finds
  it in O(log n).

So one exchange step costs O(n log n) (the sort) plus the options of the uniquely
covered cells, for a thousand options about a millisecond. A MAKE ROOM step costs a
bound per candidate (a walk over its row, a sort of the chosen options) and a trial
(an add, a few drops each picked by a pass over the options, the undo, on the counts
only) per candidate whose bound could beat the best found (on the demo about one in
six). On Ngazidja's budget curve the MAKE ROOM searches took ~30 s with full add /
drop / undo trials of every candidate, under a second this way.

Left out: DROP-ADD-ADD (one option for several, the reverse of MAKE ROOM) — a people-
neutral DROP followed by ADDs covers the case where the dropped option is redundant,
and a SWAP followed by ADDs the rest most of the time.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from rural_plan.placement._clock import now as _now  # +inf once a stop is requested

ADD = 0
CHANGE = 1
SWAP = 2
DROP = 3
MAKE_ROOM = 4
DROP_REFILL = 5
FORCE_ADD = 6
N_MOVE_KINDS = 7
"""Indices of the move counters returned by :func:`local_search`."""

LOCAL_OPTIMUM = 0
TIME_LIMIT = 1
MOVE_LIMIT = 2
"""Why :func:`local_search` stopped."""

_BUDGET_RTOL = 1e-12
"""Relative budget slack (as in ``lazy_greedy``): a budget of exactly the sum of some
costs affords them all."""

_PEOPLE_RTOL = 1e-11
"""Changes in people below this fraction of all people count as no change (rounding in
the incrementally kept gains)."""

_REFRESH = 64
"""Moves between exact recomputations of ``gain0`` and ``uniq`` from the cover counts."""

_KICK_GAIN = 1000.0
"""A kick is kept only when it adds more than this many times the people tolerance
(1e-8 of all people): its gain is summed over whole rows, with more rounding than a
single move's, and a kick that only rounds up could be undone and made again."""

_DEEP_MAX_MOVES = 10_000
"""Move cap of the descent after a kick of step 6 (a safeguard, as ``max_moves`` is)."""


@nb.njit(cache=True)
def prepare(indptr, indices, location, n_cells):
    """Rows without repeated cells, the cell → option transpose and location → options.

    Returns
    -------
    rptr, ridx : CSR rows, each cell once per row (option -> cells)
    cptr, cidx : transpose (cell -> options, ascending ids)
    lptr, lopt : options per location (ascending ids)
    """
    n = indptr.shape[0] - 1
    seen = np.full(n_cells, -1, dtype=np.int64)
    rptr = np.zeros(n + 1, dtype=np.int64)
    ridx = np.empty(indices.shape[0], dtype=np.int64)
    p = 0
    for i in range(n):
        for q in range(indptr[i], indptr[i + 1]):
            k = indices[q]
            if seen[k] != i:
                seen[k] = i
                ridx[p] = k
                p += 1
        rptr[i + 1] = p
    if p < ridx.shape[0]:  # rows had repeated cells; otherwise no second copy
        ridx = ridx[:p].copy()

    cptr = np.zeros(n_cells + 1, dtype=np.int64)
    for q in range(p):
        cptr[ridx[q] + 1] += 1
    for k in range(n_cells):
        cptr[k + 1] += cptr[k]
    cidx = np.empty(p, dtype=np.int64)
    fill = cptr[:-1].copy()
    for i in range(n):
        for q in range(rptr[i], rptr[i + 1]):
            k = ridx[q]
            cidx[fill[k]] = i
            fill[k] += 1

    n_loc = 0
    for i in range(n):
        if location[i] + 1 > n_loc:
            n_loc = location[i] + 1
    lptr = np.zeros(n_loc + 1, dtype=np.int64)
    for i in range(n):
        lptr[location[i] + 1] += 1
    for loc in range(n_loc):
        lptr[loc + 1] += lptr[loc]
    lopt = np.empty(n, dtype=np.int64)
    lfill = lptr[:-1].copy()
    for i in range(n):
        lopt[lfill[location[i]]] = i
        lfill[location[i]] += 1
    return rptr, ridx, cptr, cidx, lptr, lopt


# --------------------------------------------------------------------------- state


@nb.njit(cache=True)
def row_weights(rptr, ridx, weight):
    """People each option covers alone: the sum of ``weight`` over its row (in row order,
    so equal to ``np.bincount`` over the same elements), without nonzero-sized temporaries."""
    n = rptr.shape[0] - 1
    out = np.zeros(n)
    for i in range(n):
        s = 0.0
        for q in range(rptr[i], rptr[i + 1]):
            s += weight[ridx[q]]
        out[i] = s
    return out


@nb.njit(cache=True)
def _refresh(rptr, ridx, weight, chosen, cnt, own, gain0, uniq):
    """Exact gain0 and uniq from the (integer, exact) cover counts."""
    n = rptr.shape[0] - 1
    for i in range(n):
        g = 0.0
        u = 0.0
        for q in range(rptr[i], rptr[i + 1]):
            k = ridx[q]
            c = cnt[k]
            if c == 0:
                g += weight[k]
            elif c == 1 and chosen[i]:
                u += weight[k]
        gain0[i] = g
        uniq[i] = u


@nb.njit(cache=True)
def _add(i, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq):
    for q in range(rptr[i], rptr[i + 1]):
        k = ridx[q]
        w = weight[k]
        c = cnt[k]
        if c == 0:
            for r in range(cptr[k], cptr[k + 1]):
                gain0[cidx[r]] -= w
            uniq[i] += w
        elif c == 1:
            uniq[own[k]] -= w
        cnt[k] = c + 1
        own[k] += i


@nb.njit(cache=True)
def _drop(j, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq):
    for q in range(rptr[j], rptr[j + 1]):
        k = ridx[q]
        w = weight[k]
        c = cnt[k] - 1
        cnt[k] = c
        own[k] -= j
        if c == 0:
            for r in range(cptr[k], cptr[k + 1]):
                gain0[cidx[r]] += w
        elif c == 1:
            uniq[own[k]] += w
    uniq[j] = 0.0


@nb.njit(cache=True)
def _spent(cost, chosen):
    s = 0.0
    for i in range(cost.shape[0]):
        if chosen[i]:
            s += cost[i]
    return s


@nb.njit(cache=True)
def _tolerances(weight, cost):
    total = 0.0
    for k in range(weight.shape[0]):
        total += weight[k]
    top = 0.0
    for i in range(cost.shape[0]):
        if cost[i] > top:
            top = cost[i]
    return _PEOPLE_RTOL * total, 1e-12 * top


@nb.njit(cache=True)
def _best_add(cost, location, chosen, sel_at, gain0, room, tol):
    """The affordable option at a free location with most new people per dollar (> tol)."""
    best = -1
    best_key = 0.0
    for i in range(cost.shape[0]):
        if chosen[i] or sel_at[location[i]] >= 0 or cost[i] > room or gain0[i] <= tol:
            continue
        key = gain0[i] / cost[i]
        if best < 0 or key > best_key:
            best = i
            best_key = key
    return best


# --------------------------------------------------------------------------- segment tree


@nb.njit(cache=True)
def _tree_build(tree, size, vals, n_vals):
    for p in range(size):
        tree[size + p] = vals[p] if p < n_vals else np.inf
    for node in range(size - 1, 0, -1):
        a = tree[2 * node]
        b = tree[2 * node + 1]
        tree[node] = a if a < b else b


@nb.njit(cache=True)
def _tree_first_at_most(tree, size, x):
    """Leftmost leaf whose value is <= x, or -1."""
    if tree[1] > x:
        return -1
    node = 1
    while node < size:
        if tree[2 * node] <= x:
            node = 2 * node
        else:
            node = 2 * node + 1
    return node - size


# --------------------------------------------------------------------------- moves


@nb.njit(cache=True)
def _better_gain(dp, dc, j, i, bdp, bdc, bj, bi):
    """Improving moves: more people, then cheaper, then lower ids."""
    if dp != bdp:
        return dp > bdp
    if dc != bdc:
        return dc < bdc
    if j != bj:
        return j < bj
    return i < bi


@nb.njit(cache=True)
def _better_saving(dp, dc, j, i, bdp, bdc, bj, bi):
    """People-neutral moves: more money saved, then more people, then lower ids."""
    if dc != bdc:
        return dc < bdc
    if dp != bdp:
        return dp > bdp
    if j != bj:
        return j < bj
    return i < bi


@nb.njit(cache=True)
def _best_exchange(
    rptr,
    ridx,
    cptr,
    cidx,
    lptr,
    lopt,
    weight,
    cost,
    location,
    chosen,
    sel_at,
    cnt,
    gain0,
    uniq,
    room,
    tol,
    ctol,
    ov,
    mark,
    touched,
    order_buf,
    tree,
):
    """Best CHANGE/SWAP (people up) or, failing that, best people-neutral saving move.

    Returns (kind, j, i) with kind 0 none, 1 improving, 2 neutral; i = -1 is a DROP.
    """
    n = cost.shape[0]
    # Unchosen options at free locations that add people, by (gain0 desc, cost, id).
    n_list = 0
    for i in range(n):
        if not chosen[i] and sel_at[location[i]] < 0 and gain0[i] > tol:
            order_buf[n_list] = i
            n_list += 1
    cand = order_buf[:n_list]
    by_cost = cand[np.argsort(cost[cand], kind="mergesort")]
    neg_gain = np.empty(n_list)
    for p in range(n_list):
        neg_gain[p] = -gain0[by_cost[p]]
    lst = by_cost[np.argsort(neg_gain, kind="mergesort")]
    size = 1
    while size < n_list:
        size *= 2
    lst_cost = np.empty(n_list)
    for p in range(n_list):
        lst_cost[p] = cost[lst[p]]
    _tree_build(tree, size, lst_cost, n_list)

    g_kind = 0
    g_dp, g_dc, g_j, g_i = 0.0, 0.0, -1, -1
    s_kind = 0
    s_dp, s_dc, s_j, s_i = 0.0, 0.0, -1, -1
    for j in range(n):
        if not chosen[j]:
            continue
        uj = uniq[j]
        room_j = room + cost[j]
        lj = location[j]
        # Partners that cover cells only j covers, with the people they keep.
        n_t = 0
        for q in range(rptr[j], rptr[j + 1]):
            k = ridx[q]
            if cnt[k] != 1:
                continue
            w = weight[k]
            for r in range(cptr[k], cptr[k + 1]):
                o = cidx[r]
                if o == j:
                    continue
                if not mark[o]:
                    mark[o] = True
                    touched[n_t] = o
                    n_t += 1
                ov[o] += w
        for t in range(n_t + (lptr[lj + 1] - lptr[lj]) + 2):
            if t < n_t:
                i = touched[t]
                keep = ov[i]
                if cost[i] > room_j or (sel_at[location[i]] >= 0 and location[i] != lj):
                    continue
            elif t < n_t + (lptr[lj + 1] - lptr[lj]):
                i = lopt[lptr[lj] + t - n_t]  # same location: a type change
                keep = 0.0
                if i == j or mark[i] or cost[i] > room_j:
                    continue
            elif t == n_t + (lptr[lj + 1] - lptr[lj]):
                # The best of the rest: first in the gain-sorted list that fits.
                p = _tree_first_at_most(tree, size, room_j) if n_list > 0 else -1
                if p < 0:
                    continue
                i = lst[p]
                if mark[i]:
                    continue  # already evaluated with its overlap
                keep = 0.0
            else:
                i = -1  # DROP
                keep = 0.0
            if i >= 0:
                dp = gain0[i] + keep - uj
                dc = cost[i] - cost[j]
            else:
                dp = -uj
                dc = -cost[j]
            if dp > tol:
                if g_kind == 0 or _better_gain(dp, dc, j, i, g_dp, g_dc, g_j, g_i):
                    g_kind, g_dp, g_dc, g_j, g_i = 1, dp, dc, j, i
            elif dp >= -tol and dc < -ctol:
                if s_kind == 0 or _better_saving(dp, dc, j, i, s_dp, s_dc, s_j, s_i):
                    s_kind, s_dp, s_dc, s_j, s_i = 2, dp, dc, j, i
        for t in range(n_t):
            o = touched[t]
            mark[o] = False
            ov[o] = 0.0
    if g_kind:
        return 1, g_j, g_i
    if s_kind:
        return 2, s_j, s_i
    return 0, -1, -1


@nb.njit(cache=True)
def _cover(i, sign, rptr, ridx, cnt, own):
    """Cover counts only (an exact undo; gains are restored from a copy)."""
    for q in range(rptr[i], rptr[i + 1]):
        k = ridx[q]
        cnt[k] += sign
        own[k] += sign * i


@nb.njit(cache=True)
def _make_room(
    i,
    rptr,
    ridx,
    cptr,
    cidx,
    weight,
    cost,
    location,
    chosen,
    sel_at,
    cnt,
    own,
    gain0,
    uniq,
    spent,
    limit,
    dropped,
):
    """Add i (replacing the option at its location), then drop the chosen options that
    lose fewest people per dollar until the budget holds.

    Returns (people gained, cost change, number of dropped options listed in ``dropped``).
    """
    n = cost.shape[0]
    dp = 0.0
    dc = 0.0
    nd = 0
    j = sel_at[location[i]]
    if j >= 0:
        dp -= uniq[j]
        _drop(j, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq)
        chosen[j] = False
        sel_at[location[j]] = -1
        dc -= cost[j]
        dropped[nd] = j
        nd += 1
    dp += gain0[i]
    _add(i, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq)
    chosen[i] = True
    sel_at[location[i]] = i
    dc += cost[i]
    while spent + dc > limit:
        best = -1
        best_key = 0.0
        for o in range(n):
            if not chosen[o] or o == i:
                continue
            key = uniq[o] / cost[o]
            if best < 0 or key < best_key:
                best = o
                best_key = key
        if best < 0:
            break
        dp -= uniq[best]
        _drop(best, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq)
        chosen[best] = False
        sel_at[location[best]] = -1
        dc -= cost[best]
        dropped[nd] = best
        nd += 1
    return dp, dc, nd


@nb.njit(cache=True)
def _add_counts(i, rptr, ridx, weight, cnt, own, uniq):
    """ADD i keeping only the counts and ``uniq`` (what a MAKE ROOM trial reads): the
    same updates as :func:`_add` without ``gain0``, whose walk over each newly covered
    cell's options is most of an add's cost."""
    for q in range(rptr[i], rptr[i + 1]):
        k = ridx[q]
        c = cnt[k]
        if c == 0:
            uniq[i] += weight[k]
        elif c == 1:
            uniq[own[k]] -= weight[k]
        cnt[k] = c + 1
        own[k] += i


@nb.njit(cache=True)
def _drop_counts(j, rptr, ridx, weight, cnt, own, uniq):
    """DROP j keeping only the counts and ``uniq`` (as :func:`_drop` without ``gain0``)."""
    for q in range(rptr[j], rptr[j + 1]):
        k = ridx[q]
        c = cnt[k] - 1
        cnt[k] = c
        own[k] -= j
        if c == 1:
            uniq[own[k]] += weight[k]
    uniq[j] = 0.0


@nb.njit(cache=True)
def _make_room_trial(
    i,
    rptr,
    ridx,
    weight,
    cost,
    location,
    chosen,
    sel_at,
    cnt,
    own,
    gain0,
    uniq,
    spent,
    limit,
    dropped,
    in_i,
    undo,
):
    """What :func:`_make_room` would gain and spend, evaluated on the counts and ``uniq``
    only (``gain0`` is read, never written), then (with ``undo``) undone: counts exactly,
    ``uniq`` left for the caller to restore from its copy; without ``undo`` the counts and
    ``chosen`` (not ``sel_at``) stay as the move leaves them. ``in_i``: a False mask over
    the cells, used (and cleared) when i replaces its location's option.

    The same arithmetic on ``uniq`` in the same order as :func:`_make_room`, so the same
    people, cost and drops; a trial costs the rows of i and of the dropped options rather
    than those rows times the options covering each of their cells.
    """
    n = cost.shape[0]
    dp = 0.0
    dc = 0.0
    nd = 0
    gain_i = gain0[i]
    j = sel_at[location[i]]
    if j >= 0:
        dp -= uniq[j]
        # drop j as _drop_counts does, adding to i's gain the cells j leaves uncovered
        # that i covers, in the order _drop adds them to gain0[i]
        for q in range(rptr[i], rptr[i + 1]):
            in_i[ridx[q]] = True
        for q in range(rptr[j], rptr[j + 1]):
            k = ridx[q]
            c = cnt[k] - 1
            cnt[k] = c
            own[k] -= j
            if c == 0:
                if in_i[k]:
                    gain_i += weight[k]
            elif c == 1:
                uniq[own[k]] += weight[k]
        uniq[j] = 0.0
        for q in range(rptr[i], rptr[i + 1]):
            in_i[ridx[q]] = False
        chosen[j] = False
        dc -= cost[j]
        dropped[nd] = j
        nd += 1
    dp += gain_i
    _add_counts(i, rptr, ridx, weight, cnt, own, uniq)
    dc += cost[i]
    while spent + dc > limit:
        best = -1
        best_key = 0.0
        for o in range(n):
            if not chosen[o]:
                continue
            key = uniq[o] / cost[o]
            if best < 0 or key < best_key:
                best = o
                best_key = key
        if best < 0:
            break
        dp -= uniq[best]
        _drop_counts(best, rptr, ridx, weight, cnt, own, uniq)
        chosen[best] = False
        dc -= cost[best]
        dropped[nd] = best
        nd += 1
    if not undo:
        return dp, dc, nd
    # undo (counts exact; uniq is the caller's to restore)
    _cover(i, -1, rptr, ridx, cnt, own)
    for t in range(nd):
        o = dropped[t]
        _cover(o, 1, rptr, ridx, cnt, own)
        chosen[o] = True
    return dp, dc, nd


@nb.njit(cache=True)
def _make_room_bound(
    i,
    rptr,
    ridx,
    weight,
    cost,
    location,
    sel,
    n_sel,
    sel_at,
    cnt,
    own,
    gain0,
    uniq,
    spent,
    limit,
    ov,
    mark,
    touched,
    keys,
):
    """An upper bound on the people a MAKE ROOM for i gains, from the counts alone.

    The move covers at most gain0[i] new people, and every option it drops (the one at
    i's location, then enough others to free ``spent + cost[i] − limit``) loses at
    least the people only it covers that i does not cover, ``uniq[o] − ov(i, o)``. The
    least such loss over sets of options freeing that much is at least the fractional
    knapsack's (options by loss per dollar, the last one in part). A walk over i's row
    and a sort of the chosen options, against a trial's walks over i's and the dropped
    options' rows and back.
    """
    n_t = 0
    for q in range(rptr[i], rptr[i + 1]):
        k = ridx[q]
        if cnt[k] == 1:
            o = own[k]
            if not mark[o]:
                mark[o] = True
                touched[n_t] = o
                n_t += 1
            ov[o] += weight[k]
    bound = gain0[i]
    need = spent + cost[i] - limit
    j = sel_at[location[i]]
    if j >= 0:
        bound -= max(uniq[j] - ov[j], 0.0)
        need -= cost[j]
    for p in range(n_sel):
        o = sel[p]
        keys[p] = np.inf if o == j else max(uniq[o] - ov[o], 0.0) / cost[o]
    for t in range(n_t):
        ov[touched[t]] = 0.0
        mark[touched[t]] = False
    if need <= 0.0:
        return bound
    order = np.argsort(keys[:n_sel])
    for p in range(n_sel):
        o = sel[order[p]]
        if o == j:
            break  # inf keys sort last
        if cost[o] >= need:
            bound -= keys[order[p]] * need
            return bound
        bound -= keys[order[p]] * cost[o]
        need -= cost[o]
    return bound


@nb.njit(cache=True)
def _best_make_room(
    rptr,
    ridx,
    weight,
    cost,
    location,
    chosen,
    sel_at,
    cnt,
    own,
    gain0,
    uniq,
    spent,
    limit,
    tol,
    order_buf,
    dropped,
    uniq_copy,
    in_i,
    ov,
    mark,
    touched,
):
    """The best MAKE ROOM move that adds people, or -1.

    Candidates: unchosen options that add people but do not fit the budget even with
    the option at their location refunded (those that fit are ADD / CHANGE TYPE moves).
    Each gets an upper bound on what its move gains (:func:`_make_room_bound`); they are
    tried by bound descending, each by :func:`_make_room_trial` (counts and ``uniq``
    only), and the search stops at the first whose bound cannot beat the best found or
    add people at all. The bound holds exactly, so the move chosen is the one trying
    every candidate would choose (``tol`` covers the two sums' different rounding).
    """
    n = cost.shape[0]
    n_sel = 0
    for o in range(n):
        if chosen[o]:
            n_sel += 1
    sel = np.empty(n_sel, dtype=np.int64)
    n_sel = 0
    for o in range(n):
        if chosen[o]:
            sel[n_sel] = o
            n_sel += 1
    keys = np.empty(n_sel)
    n_cand = 0
    for i in range(n):
        if chosen[i] or gain0[i] <= tol or cost[i] > limit:
            continue
        j = sel_at[location[i]]
        room = limit - spent + (cost[j] if j >= 0 else 0.0)
        if cost[i] <= room:
            continue
        order_buf[n_cand] = i
        n_cand += 1
    cand = order_buf[:n_cand]
    neg_bound = np.empty(n_cand)
    for p in range(n_cand):
        neg_bound[p] = -_make_room_bound(
            cand[p],
            rptr,
            ridx,
            weight,
            cost,
            location,
            sel,
            n_sel,
            sel_at,
            cnt,
            own,
            gain0,
            uniq,
            spent,
            limit,
            ov,
            mark,
            touched,
            keys,
        )
    by_bound = np.argsort(neg_bound, kind="mergesort")  # stable: ties keep id order
    best = -1
    best_dp = 0.0
    best_dc = 0.0
    uniq_copy[:] = uniq
    for p in range(n_cand):
        i = cand[by_bound[p]]
        ub = -neg_bound[by_bound[p]]
        if ub <= 0.0 or (best >= 0 and ub + tol < best_dp):
            break
        dp, dc, _ = _make_room_trial(
            i,
            rptr,
            ridx,
            weight,
            cost,
            location,
            chosen,
            sel_at,
            cnt,
            own,
            gain0,
            uniq,
            spent,
            limit,
            dropped,
            in_i,
            True,
        )
        uniq[:] = uniq_copy
        if dp > tol and (best < 0 or _better_gain(dp, dc, i, i, best_dp, best_dc, best, best)):
            best = i
            best_dp = dp
            best_dc = dc
    return best


@nb.njit(cache=True)
def _descend(
    rptr,
    ridx,
    cptr,
    cidx,
    lptr,
    lopt,
    weight,
    cost,
    location,
    limit,
    tol,
    ctol,
    chosen,
    sel_at,
    cnt,
    own,
    gain0,
    uniq,
    work,
    moves,
    ctr,
    max_moves,
    deadline,
):
    """Steps 1-4 of the module docstring until no move improves (LOCAL_OPTIMUM), the
    move cap or the deadline. ``cost`` may hold inf for options a trial forbids (never
    affordable, so never added). ``ctr`` holds (moves made, moves since the last refresh)
    across calls; ``work`` the scratch arrays of :func:`local_search`."""
    ov, mark, touched, order_buf, tree, dropped, uniq_copy, in_i = work
    check_time = deadline < np.inf
    spent = _spent(cost, chosen)
    while True:
        if ctr[0] >= max_moves:
            return MOVE_LIMIT
        if check_time and _now() > deadline:
            return TIME_LIMIT
        if ctr[1] >= _REFRESH:
            _refresh(rptr, ridx, weight, chosen, cnt, own, gain0, uniq)
            ctr[1] = 0
        # 1. fill the budget greedily
        i = _best_add(cost, location, chosen, sel_at, gain0, limit - spent, tol)
        if i >= 0:
            _add(i, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq)
            chosen[i] = True
            sel_at[location[i]] = i
            spent = _spent(cost, chosen)
            moves[ADD] += 1
            ctr[0] += 1
            ctr[1] += 1
            continue
        # 2. the best exchange
        kind, j, i = _best_exchange(
            rptr,
            ridx,
            cptr,
            cidx,
            lptr,
            lopt,
            weight,
            cost,
            location,
            chosen,
            sel_at,
            cnt,
            gain0,
            uniq,
            limit - spent,
            tol,
            ctol,
            ov,
            mark,
            touched,
            order_buf,
            tree,
        )
        if kind != 1:
            # 3. add an option that does not fit, dropping the least useful to make room
            r = _best_make_room(
                rptr,
                ridx,
                weight,
                cost,
                location,
                chosen,
                sel_at,
                cnt,
                own,
                gain0,
                uniq,
                spent,
                limit,
                tol,
                order_buf,
                dropped,
                uniq_copy,
                in_i,
                ov,
                mark,
                touched,
            )
            if r >= 0:
                _make_room(
                    r,
                    rptr,
                    ridx,
                    cptr,
                    cidx,
                    weight,
                    cost,
                    location,
                    chosen,
                    sel_at,
                    cnt,
                    own,
                    gain0,
                    uniq,
                    spent,
                    limit,
                    dropped,
                )
                spent = _spent(cost, chosen)
                moves[MAKE_ROOM] += 1
                ctr[0] += 1
                ctr[1] += 1
                continue
        if kind == 0:
            return LOCAL_OPTIMUM
        _drop(j, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq)
        chosen[j] = False
        sel_at[location[j]] = -1
        if i >= 0:
            _add(i, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq)
            chosen[i] = True
            sel_at[location[i]] = i
            if location[i] == location[j]:
                moves[CHANGE] += 1
            else:
                moves[SWAP] += 1
        else:
            moves[DROP] += 1
        spent = _spent(cost, chosen)
        ctr[0] += 1
        ctr[1] += 1


@nb.njit(cache=True)
def _refill(
    rptr,
    ridx,
    weight,
    cost,
    location,
    cnt,
    own,
    loc_busy,
    banned,
    room,
    tol,
    key0,
    cand,
    stale,
    added,
):
    """Fill ``room`` dollars greedily on the counts only (step 1's rule: most new people
    per dollar, at free locations), lazily: ``key0[r]`` is an upper bound on what r can
    add and ``cand`` the candidates by key0 / cost descending; a candidate's gain is
    recounted over its row only when its bound could beat the best found, and bounds
    only fall as options are added (coverage is submodular). The options added are
    listed in ``added`` and their cells counted in ``cnt`` / ``own`` (the caller undoes).

    Returns (people added, dollars spent, number of options added).
    """
    for p in range(cand.shape[0]):
        stale[cand[p]] = key0[cand[p]]
    total = 0.0
    spent = 0.0
    na = 0
    while True:
        best = -1
        best_ratio = 0.0
        best_gain = 0.0
        for p in range(cand.shape[0]):
            r = cand[p]
            if best >= 0 and key0[r] / cost[r] <= best_ratio:
                break  # the rest cannot beat the best: their bounds are lower still
            if banned[r] or loc_busy[location[r]] or cost[r] > room - spent or stale[r] <= tol:
                continue
            if best >= 0 and stale[r] / cost[r] <= best_ratio:
                continue
            g = 0.0
            for q in range(rptr[r], rptr[r + 1]):
                if cnt[ridx[q]] == 0:
                    g += weight[ridx[q]]
            stale[r] = g
            if g > tol and (best < 0 or g / cost[r] > best_ratio):
                best = r
                best_ratio = g / cost[r]
                best_gain = g
        if best < 0:
            return total, spent, na
        _cover(best, 1, rptr, ridx, cnt, own)
        loc_busy[location[best]] = True
        total += best_gain
        spent += cost[best]
        added[na] = best
        na += 1


@nb.njit(cache=True)
def _by_ratio(cost, key0, cand_buf, n_cand):
    """The first ``n_cand`` of ``cand_buf`` sorted by key0 / cost descending (stable)."""
    cand = cand_buf[:n_cand]
    ratio = np.empty(n_cand)
    for p in range(n_cand):
        ratio[p] = -key0[cand[p]] / cost[cand[p]]
    return cand[np.argsort(ratio, kind="mergesort")]


@nb.njit(cache=True)
def _best_kick(
    rptr,
    ridx,
    cptr,
    cidx,
    weight,
    cost,
    location,
    chosen,
    sel_at,
    cnt,
    own,
    gain0,
    uniq,
    spent,
    limit,
    tol,
    work,
    kick,
    max_force,
):
    """The best DROP-REFILL or FORCE-ADD (step 5 of the module docstring), evaluated on
    the counts (and ``uniq`` for the drops) and undone.

    Returns (kind or -1, the option dropped / forced, people gained, number of refill
    options listed in ``kick[4]``).
    """
    ov, mark, touched, order_buf, _, dropped, uniq_copy, in_i = work
    loc_busy, banned, key0, stale, best_added, added, net_drop, net_force = kick
    net_drop[:] = -np.inf
    net_force[:] = -np.inf
    n = cost.shape[0]
    n_loc = loc_busy.shape[0]
    best_kind = -1
    best_o = -1
    best_dp = _KICK_GAIN * tol  # well above the sums' rounding: a kick must add people
    best_na = 0
    uniq_copy[:] = uniq
    for loc in range(n_loc):
        loc_busy[loc] = sel_at[loc] >= 0
    # DROP-REFILL j: gains after the drop are exact, gain0 + ov(., j)
    for j in range(n):
        if not chosen[j]:
            continue
        n_t = 0
        for q in range(rptr[j], rptr[j + 1]):
            k = ridx[q]
            if cnt[k] != 1:
                continue
            for r in range(cptr[k], cptr[k + 1]):
                o = cidx[r]
                if not mark[o]:
                    mark[o] = True
                    touched[n_t] = o
                    n_t += 1
                ov[o] += weight[k]
        n_cand = 0
        for r in range(n):
            if not chosen[r] and r != j and gain0[r] + ov[r] > tol:
                key0[r] = gain0[r] + ov[r]
                order_buf[n_cand] = r
                n_cand += 1
        for t in range(n_t):
            mark[touched[t]] = False
            ov[touched[t]] = 0.0
        cand = _by_ratio(cost, key0, order_buf, n_cand)
        _cover(j, -1, rptr, ridx, cnt, own)
        loc_busy[location[j]] = False
        banned[j] = True
        got, _, na = _refill(
            rptr,
            ridx,
            weight,
            cost,
            location,
            cnt,
            own,
            loc_busy,
            banned,
            limit - spent + cost[j],
            tol,
            key0,
            cand,
            stale,
            added,
        )
        dp = got - uniq[j]
        net_drop[j] = dp
        if dp > best_dp:
            best_kind, best_o, best_dp, best_na = DROP_REFILL, j, dp, na
            best_added[:na] = added[:na]
        for t in range(na):
            _cover(added[t], -1, rptr, ridx, cnt, own)
            loc_busy[location[added[t]]] = False
        _cover(j, 1, rptr, ridx, cnt, own)
        loc_busy[location[j]] = True
        banned[j] = False
    # FORCE-ADD i: MAKE ROOM for i even when it loses people, then refill what is left;
    # for the max_force options that add most people
    n_force = 0
    for i in range(n):
        if not chosen[i] and gain0[i] > tol and cost[i] <= limit:
            order_buf[n_force] = i
            n_force += 1
    neg_gain = np.empty(n_force)
    for p in range(n_force):
        neg_gain[p] = -gain0[order_buf[p]]
    force = order_buf[:n_force][np.argsort(neg_gain, kind="mergesort")][:max_force]
    for i in force:
        dp, dc, nd = _make_room_trial(
            i,
            rptr,
            ridx,
            weight,
            cost,
            location,
            chosen,
            sel_at,
            cnt,
            own,
            gain0,
            uniq,
            spent,
            limit,
            dropped,
            in_i,
            False,
        )
        # people the drops left uncovered (a cell two drops shared counted twice): what
        # any refill option can gain beyond its gain0
        lost = 0.0
        for t in range(nd):
            o = dropped[t]
            for q in range(rptr[o], rptr[o + 1]):
                if cnt[ridx[q]] == 0:
                    lost += weight[ridx[q]]
        n_cand = 0
        for r in range(n):
            if not chosen[r] and r != i and gain0[r] + lost > tol:
                key0[r] = gain0[r] + lost
                order_buf[n_cand] = r
                n_cand += 1
        for t in range(nd):
            banned[dropped[t]] = True
            loc_busy[location[dropped[t]]] = False
        loc_busy[location[i]] = True
        cand = _by_ratio(cost, key0, order_buf, n_cand)
        got, _, na = _refill(
            rptr,
            ridx,
            weight,
            cost,
            location,
            cnt,
            own,
            loc_busy,
            banned,
            limit - spent - dc,
            tol,
            key0,
            cand,
            stale,
            added,
        )
        net_force[i] = dp + got
        if dp + got > best_dp:
            best_kind, best_o, best_dp, best_na = FORCE_ADD, i, dp + got, na
            best_added[:na] = added[:na]
        for t in range(na):
            _cover(added[t], -1, rptr, ridx, cnt, own)
            loc_busy[location[added[t]]] = False
        _cover(i, -1, rptr, ridx, cnt, own)
        loc_busy[location[i]] = sel_at[location[i]] >= 0
        for t in range(nd):
            o = dropped[t]
            _cover(o, 1, rptr, ridx, cnt, own)
            chosen[o] = True
            banned[o] = False
            loc_busy[location[o]] = True
        uniq[:] = uniq_copy
    return best_kind, best_o, best_dp, best_na


@nb.njit(cache=True)
def _people(weight, cnt):
    """People covered: the weight of the cells with a positive cover count (exact)."""
    s = 0.0
    for k in range(weight.shape[0]):
        if cnt[k] > 0:
            s += weight[k]
    return s


@nb.njit(cache=True)
def _deep_kicks(
    rptr,
    ridx,
    cptr,
    cidx,
    lptr,
    lopt,
    weight,
    cost,
    location,
    limit,
    tol,
    ctol,
    chosen,
    sel_at,
    cnt,
    own,
    gain0,
    uniq,
    work,
    kick,
    moves,
    ctr,
    deadline,
    n_deep,
):
    """Step 6 of the module docstring: the ``n_deep`` kicks that lose fewest people after
    their refill (``kick``'s net_drop / net_force from :func:`_best_kick`), each made and
    followed by a descent in which the options it dropped may not come back; the first
    that ends with more people is kept, the others undone.

    Returns (kind of the kick kept or -1, status: LOCAL_OPTIMUM unless the deadline
    stopped a trial).
    """
    net_drop, net_force = kick[6], kick[7]
    dropped = work[5]
    n = cost.shape[0]
    both = np.concatenate((net_drop, net_force))
    order = np.argsort(-both, kind="mergesort")
    people = _people(weight, cnt)
    b_chosen = chosen.copy()
    b_sel_at = sel_at.copy()
    b_cnt = cnt.copy()
    b_own = own.copy()
    b_gain0 = gain0.copy()
    b_uniq = uniq.copy()
    wcost = cost.copy()
    trial_moves = np.zeros(N_MOVE_KINDS, dtype=np.int64)
    trial_ctr = np.zeros(2, dtype=np.int64)
    for p in range(min(n_deep, order.shape[0])):
        if both[order[p]] == -np.inf:
            break
        o = order[p] % n
        kind = DROP_REFILL if order[p] < n else FORCE_ADD
        if kind == DROP_REFILL:
            _drop(o, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq)
            chosen[o] = False
            sel_at[location[o]] = -1
            wcost[o] = np.inf
        else:
            _, _, nd = _make_room(
                o,
                rptr,
                ridx,
                cptr,
                cidx,
                weight,
                cost,
                location,
                chosen,
                sel_at,
                cnt,
                own,
                gain0,
                uniq,
                _spent(cost, chosen),
                limit,
                dropped,
            )
            for t in range(nd):
                wcost[dropped[t]] = np.inf
        trial_ctr[:] = 0
        status = _descend(
            rptr,
            ridx,
            cptr,
            cidx,
            lptr,
            lopt,
            weight,
            wcost,
            location,
            limit,
            tol,
            ctol,
            chosen,
            sel_at,
            cnt,
            own,
            gain0,
            uniq,
            work,
            trial_moves,
            trial_ctr,
            _DEEP_MAX_MOVES,
            deadline,
        )
        wcost[:] = cost
        if _people(weight, cnt) > people + _KICK_GAIN * tol:
            moves[kind] += 1
            ctr[0] += 1
            ctr[1] += trial_ctr[1]
            return kind, LOCAL_OPTIMUM
        chosen[:] = b_chosen
        sel_at[:] = b_sel_at
        cnt[:] = b_cnt
        own[:] = b_own
        gain0[:] = b_gain0
        uniq[:] = b_uniq
        if status == TIME_LIMIT:
            return -1, status
    return -1, LOCAL_OPTIMUM


@nb.njit(cache=True)
def local_search(
    rptr,
    ridx,
    cptr,
    cidx,
    lptr,
    lopt,
    weight,
    cost,
    location,
    budget,
    chosen,
    max_moves,
    deadline,
    max_force,
    n_deep,
):
    """Improve the choice ``chosen`` (bool per option, changed in place) by local search.

    See the module docstring for the moves and the order they are tried in. The start
    must be feasible (cost within ``budget``, at most one option per location).

    Parameters
    ----------
    rptr, ridx, cptr, cidx, lptr, lopt : from :func:`prepare`
    weight : (n_cells,) float64 people per demand cell
    cost : (n_options,) float64 > 0
    location : (n_options,) int64
    budget : float
    chosen : (n_options,) bool, the start; the result on return
    max_moves : int, stop after this many moves (ADDs included; a kick counts as one)
    deadline : float, ``time.perf_counter()`` value to stop at (inf: none)
    max_force : int, FORCE-ADD kicks tried at a local optimum of steps 1-4 (step 5;
        DROP-REFILL of every chosen option too); < 0: no kicks at all
    n_deep : int, kicks tried with a descent each when none adds people by itself
        (step 6)

    Returns
    -------
    status : LOCAL_OPTIMUM, TIME_LIMIT or MOVE_LIMIT
    moves : (7,) int64, moves made by kind (ADD, CHANGE, SWAP, DROP, MAKE_ROOM,
        DROP_REFILL, FORCE_ADD)
    """
    n = cost.shape[0]
    m = weight.shape[0]
    n_loc = lptr.shape[0] - 1
    limit = budget * (1.0 + _BUDGET_RTOL)
    tol, ctol = _tolerances(weight, cost)
    check_time = deadline < np.inf

    cnt = np.zeros(m, dtype=np.int64)
    own = np.zeros(m, dtype=np.int64)
    sel_at = np.full(n_loc, -1, dtype=np.int64)
    for i in range(n):
        if chosen[i]:
            sel_at[location[i]] = i
            for q in range(rptr[i], rptr[i + 1]):
                cnt[ridx[q]] += 1
                own[ridx[q]] += i
    gain0 = np.empty(n)
    uniq = np.empty(n)
    _refresh(rptr, ridx, weight, chosen, cnt, own, gain0, uniq)

    size = 1
    while size < n:
        size *= 2
    work = (
        np.zeros(n),  # ov
        np.zeros(n, dtype=np.bool_),  # mark
        np.empty(n, dtype=np.int64),  # touched
        np.empty(n, dtype=np.int64),  # order_buf
        np.empty(2 * size),  # tree
        np.empty(n, dtype=np.int64),  # dropped
        np.empty(n),  # uniq_copy
        np.zeros(m, dtype=np.bool_),  # in_i
    )
    kick = (
        np.zeros(n_loc, dtype=np.bool_),  # loc_busy
        np.zeros(n, dtype=np.bool_),  # banned
        np.empty(n),  # key0
        np.empty(n),  # stale
        np.empty(n, dtype=np.int64),  # best_added
        np.empty(n, dtype=np.int64),  # added
        np.empty(n),  # net_drop: people a DROP-REFILL of each option gains (-inf: none)
        np.empty(n),  # net_force: the same for a FORCE-ADD
    )
    best_added = kick[4]
    dropped = work[5]
    moves = np.zeros(N_MOVE_KINDS, dtype=np.int64)
    ctr = np.zeros(2, dtype=np.int64)  # moves made, moves since the last refresh
    while True:
        status = _descend(
            rptr,
            ridx,
            cptr,
            cidx,
            lptr,
            lopt,
            weight,
            cost,
            location,
            limit,
            tol,
            ctol,
            chosen,
            sel_at,
            cnt,
            own,
            gain0,
            uniq,
            work,
            moves,
            ctr,
            max_moves,
            deadline,
        )
        if max_force < 0 or status != LOCAL_OPTIMUM:
            return status, moves
        if ctr[0] >= max_moves:
            return MOVE_LIMIT, moves
        if check_time and _now() > deadline:
            return TIME_LIMIT, moves
        # 5. the best kick, if one adds people
        _refresh(rptr, ridx, weight, chosen, cnt, own, gain0, uniq)
        ctr[1] = 0
        spent = _spent(cost, chosen)
        kind, o, _, na = _best_kick(
            rptr,
            ridx,
            cptr,
            cidx,
            weight,
            cost,
            location,
            chosen,
            sel_at,
            cnt,
            own,
            gain0,
            uniq,
            spent,
            limit,
            tol,
            work,
            kick,
            max_force,
        )
        if kind < 0:
            # 6. no kick adds people by itself: the most promising, each with a descent
            kind, status = _deep_kicks(
                rptr,
                ridx,
                cptr,
                cidx,
                lptr,
                lopt,
                weight,
                cost,
                location,
                limit,
                tol,
                ctol,
                chosen,
                sel_at,
                cnt,
                own,
                gain0,
                uniq,
                work,
                kick,
                moves,
                ctr,
                deadline,
                n_deep,
            )
            if kind < 0:
                return status, moves
            continue
        if kind == DROP_REFILL:
            _drop(o, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq)
            chosen[o] = False
            sel_at[location[o]] = -1
        else:
            _make_room(
                o,
                rptr,
                ridx,
                cptr,
                cidx,
                weight,
                cost,
                location,
                chosen,
                sel_at,
                cnt,
                own,
                gain0,
                uniq,
                spent,
                limit,
                dropped,
            )
        for t in range(na):
            r = best_added[t]
            _add(r, rptr, ridx, cptr, cidx, weight, cnt, own, gain0, uniq)
            chosen[r] = True
            sel_at[location[r]] = r
        moves[kind] += 1
        ctr[0] += 1
        ctr[1] += 1 + na
