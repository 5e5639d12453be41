"""Numba kernels of the placement stage."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _better(key_a, idx_a, key_b, idx_b):
    """Heap order: larger key first, then lower index (deterministic ties)."""
    return key_a > key_b or (key_a == key_b and idx_a < idx_b)


@nb.njit(cache=True)
def _sift_down(keys, ids, size, pos):
    while True:
        left = 2 * pos + 1
        if left >= size:
            return
        best = left
        right = left + 1
        if right < size and _better(keys[right], ids[right], keys[left], ids[left]):
            best = right
        if _better(keys[best], ids[best], keys[pos], ids[pos]):
            keys[pos], keys[best] = keys[best], keys[pos]
            ids[pos], ids[best] = ids[best], ids[pos]
            pos = best
        else:
            return


@nb.njit(cache=True)
def _push(keys, ids, size, key, i):
    """Insert (key, i) into the heap of ``size`` entries; returns the new size."""
    pos = size
    keys[pos] = key
    ids[pos] = i
    while pos > 0:
        parent = (pos - 1) // 2
        if _better(keys[pos], ids[pos], keys[parent], ids[parent]):
            keys[pos], keys[parent] = keys[parent], keys[pos]
            ids[pos], ids[parent] = ids[parent], ids[pos]
            pos = parent
        else:
            break
    return size + 1


@nb.njit(cache=True)
def _row_gain(indptr, indices, residual, cap, i):
    """People option i would newly serve: its row's residual people, at most its cap."""
    g = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        g += residual[indices[p]]
    return min(g, cap[i])


@nb.njit(cache=True)
def lazy_greedy(indptr, indices, weight, cost, location, budget):
    """Budgeted maximum coverage by cost-effective lazy greedy (CELF).

    Repeatedly takes the affordable option with the largest newly covered weight per
    unit cost, at most one option per location, re-evaluating a gain only when it
    reaches the top of the heap (gains only shrink: coverage is submodular). Then the
    Khuller–Moss–Naor safeguard: if one affordable option alone covers more, that
    option is the answer. With one option per location this gives the (1 − 1/e)/2
    guarantee of budgeted maximum coverage. With several options per location (site
    types) it does not: a cheap type taken early blocks its location's better type
    and is never upgraded (tests pin this case; local search with type changes is the
    remedy).

    Parameters
    ----------
    indptr, indices : CSR rows (option -> demand cells)
    weight : (n_cells,) float64, people per demand cell
    cost : (n_options,) float64 > 0
    location : (n_options,) int64, options sharing a location exclude each other
    budget : float

    Returns
    -------
    chosen : int64 array, options in the order taken (the rollout order)
    gains : float64 array, each option's newly covered weight when taken
    """
    cap = np.full(cost.shape[0], np.inf)
    return capped_lazy_greedy(indptr, indices, weight, cost, location, cap, budget)


@nb.njit(cache=True)
def capped_lazy_greedy(indptr, indices, weight, cost, location, cap, budget):
    """:func:`lazy_greedy` where option i serves at most ``cap[i]`` people.

    People are served fractionally: an option whose row holds U residual people
    serves s = min(cap, U) of them, a share s / U of each of its cells, and leaves the
    rest of each cell to later options. Served people never exceed a cap or a cell's
    people, so the total is achievable (a lower bound on the capacitated optimum, the
    max-flow of the chosen set). Gains only shrink, so lazy evaluation stays exact.
    With ``cap = inf`` this is plain coverage.

    Returns (chosen in rollout order, people each serves when taken).
    """
    n = cost.shape[0]
    n_loc = 0
    for i in range(n):
        if location[i] + 1 > n_loc:
            n_loc = location[i] + 1
    residual = weight.copy()
    loc_used = np.zeros(n_loc, dtype=np.bool_)
    keys = np.empty(n)
    ids = np.empty(n, dtype=np.int64)
    stamp = np.zeros(n, dtype=np.int64)
    size = 0
    best_single = -1
    best_single_gain = 0.0
    for i in range(n):
        g = _row_gain(indptr, indices, residual, cap, i)
        if cost[i] <= budget and g > best_single_gain:
            best_single_gain = g
            best_single = i
        if cost[i] <= budget and g > 0.0:
            keys[size] = g / cost[i]
            ids[size] = i
            size += 1
    for pos in range(size // 2 - 1, -1, -1):
        _sift_down(keys, ids, size, pos)

    chosen = np.empty(n, dtype=np.int64)
    gains = np.empty(n)
    n_chosen = 0
    spent = 0.0
    total = 0.0
    while size > 0:
        i = ids[0]
        size -= 1
        keys[0] = keys[size]
        ids[0] = ids[size]
        _sift_down(keys, ids, size, 0)
        # Relative tolerance: a budget of exactly the sum of some costs affords them all.
        if loc_used[location[i]] or spent + cost[i] > budget * (1.0 + 1e-12):
            continue
        if stamp[i] != n_chosen:
            g = _row_gain(indptr, indices, residual, cap, i)
            stamp[i] = n_chosen
            if g > 0.0:
                size = _push(keys, ids, size, g / cost[i], i)  # back with the fresh key
            continue
        g = _row_gain(indptr, indices, residual, cap, i)
        _serve(indptr, indices, residual, i, g)
        loc_used[location[i]] = True
        spent += cost[i]
        total += g
        chosen[n_chosen] = i
        gains[n_chosen] = g
        n_chosen += 1
    # Strictly better beyond rounding: equal sums added in another order must not switch.
    if best_single >= 0 and best_single_gain > total * (1.0 + 1e-12):
        out = np.empty(1, dtype=np.int64)
        out[0] = best_single
        out_g = np.empty(1)
        out_g[0] = best_single_gain
        return out, out_g
    return chosen[:n_chosen].copy(), gains[:n_chosen].copy()


@nb.njit(cache=True)
def _serve(indptr, indices, residual, i, served):
    """Take ``served`` people from row i's residual people, the same share of each cell."""
    u = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        u += residual[indices[p]]
    keep = 0.0 if served >= u else 1.0 - served / u
    for p in range(indptr[i], indptr[i + 1]):
        residual[indices[p]] *= keep


@nb.njit(cache=True)
def rows_canonical(indptr, indices):
    """True when every row's cells are strictly increasing (sorted, no repeats)."""
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i] + 1, indptr[i + 1]):
            if indices[p] <= indices[p - 1]:
                return False
    return True


@nb.njit(cache=True, parallel=True)
def sort_row_segments(indptr, indices):
    """Sort each row's cells in place (rows in parallel)."""
    for i in nb.prange(indptr.shape[0] - 1):
        indices[indptr[i] : indptr[i + 1]] = np.sort(indices[indptr[i] : indptr[i + 1]])


@nb.njit(cache=True)
def _grown(a, cap, fill):
    """``a`` extended to ``cap`` entries, the new ones set to ``fill``."""
    out = np.empty(cap, dtype=a.dtype)
    out[: a.shape[0]] = a
    out[a.shape[0] :] = fill
    return out


@nb.njit(cache=True)
def merge_cells(indptr, indices, weight):
    """Group demand cells covered by exactly the same set of options (exact, O(nnz + m)).

    Partition refinement over the rows: all cells start in class 0 ("covered by no
    option yet"); each row i moves its cells out of their current class into a new
    class, one new class per class it touches, so after all rows two cells share a
    class exactly when the same rows list them — no hashing, nothing to verify. A cell
    repeated within a row moves once. Classes a row empties are reused, so at most
    2 m + 2 class ids are ever in use (ids are int32: fewer than 2**30 cells, checked
    by the caller).

    Merged cells are numbered in order of their lowest demand cell; cells no option
    covers get −1 and are dropped. A merged cell's weight is the sum of its cells'
    weights in ascending cell order (bit-identical to ``np.bincount`` over them).

    Parameters
    ----------
    indptr, indices : CSR rows (option -> demand cells)
    weight : (n_cells,) float64, people per demand cell

    Returns
    -------
    cell_to_merged : (n_cells,) int64, each cell's merged cell or −1
    merged_weight : (n_merged,) float64
    mptr, midx : CSR rows over merged cells (option -> merged cells), each merged cell
        once per row; ascending within a row when the input rows are
    """
    n = indptr.shape[0] - 1
    m = weight.shape[0]
    max_row = 0
    for i in range(n):
        max_row = max(max_row, indptr[i + 1] - indptr[i])
    # Class arrays grow by doubling up to the bound (most instances need far fewer).
    bound = 2 * m + 2
    cap = min(bound, 1024 + m // 4)
    cls = np.zeros(m, dtype=np.int32)
    size = np.zeros(cap, dtype=np.int32)  # members
    size[0] = m
    split = np.empty(cap, dtype=np.int32)  # a class touched by this row -> its new class
    mark = np.full(cap, -1, dtype=np.int32)  # the row that last touched / made a class
    free = np.empty(cap, dtype=np.int32)
    touched = np.empty(max_row + 1, dtype=np.int32)
    n_free = 0
    next_id = 1
    repeats = False
    for i in range(n):
        n_t = 0
        for q in range(indptr[i], indptr[i + 1]):
            k = indices[q]
            c = cls[k]
            if mark[c] == i:
                t = split[c]
                if t == c:  # k already moved by this row (a repeated cell)
                    repeats = True
                    continue
            else:
                if n_free > 0:
                    n_free -= 1
                    t = free[n_free]
                else:
                    if next_id == cap:
                        cap = min(2 * cap, bound)
                        size = _grown(size, cap, 0)
                        split = _grown(split, cap, 0)
                        mark = _grown(mark, cap, -1)
                        free = _grown(free, cap, 0)
                    t = next_id
                    next_id += 1
                mark[c] = i
                split[c] = t
                mark[t] = i
                split[t] = t
                size[t] = 0
                touched[n_t] = c
                n_t += 1
            cls[k] = t
            size[t] += 1
        for s in range(n_t):
            c = touched[s]
            size[c] -= size[split[c]]
            if size[c] == 0 and c != 0:
                free[n_free] = c
                n_free += 1

    # Number the classes by their lowest cell; sum weights in cell order.
    rank = np.full(next_id, -1, dtype=np.int32)
    cell_to_merged = np.empty(m, dtype=np.int64)
    rep_of = np.full(m, -1, dtype=np.int32)  # merged id at a group's lowest cell, else -1
    n_merged = 0
    for k in range(m):
        c = cls[k]
        if c == 0:
            cell_to_merged[k] = -1
            continue
        g = rank[c]
        if g < 0:
            g = n_merged
            rank[c] = g
            rep_of[k] = g
            n_merged += 1
        cell_to_merged[k] = g
    merged_weight = np.zeros(n_merged)
    for k in range(m):
        g = cell_to_merged[k]
        if g >= 0:
            merged_weight[g] += weight[k]

    # A row lists merged cell g where it lists g's lowest cell (once).
    # Sized for the worst case (nothing merges) and returned as a view of its start:
    # the pages past the end are never touched, so they cost no memory, and no copy.
    mptr = np.zeros(n + 1, dtype=np.int64)
    midx = np.empty(indices.shape[0], dtype=np.int64)
    p = 0
    if not repeats:
        for i in range(n):
            for q in range(indptr[i], indptr[i + 1]):
                g = rep_of[indices[q]]
                midx[p] = g
                p += g >= 0  # branch-free: most cells are not their group's lowest
            mptr[i + 1] = p
    else:
        seen = np.full(n_merged, -1, dtype=np.int64)
        for i in range(n):
            for q in range(indptr[i], indptr[i + 1]):
                g = rep_of[indices[q]]
                if g >= 0 and seen[g] != i:
                    seen[g] = i
                    midx[p] = g
                    p += 1
            mptr[i + 1] = p
    return cell_to_merged, merged_weight, mptr, midx[:p]


@nb.njit(cache=True)
def _uncovered_people(indptr, indices, weight, covered, i):
    g = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        k = indices[p]
        if not covered[k]:
            g += weight[k]
    return g


@nb.njit(cache=True)
def rollout(indptr, indices, weight, cost, chosen):
    """Order ``chosen`` by marginal people per dollar: the greedy on these options alone.

    Repeatedly takes the option with the most people not yet covered per dollar (ties:
    the earlier in ``chosen``), evaluated lazily as in :func:`lazy_greedy` — exact, as
    gains only shrink. Options that add nobody come last, in ``chosen`` order.

    Returns
    -------
    order : int64, the options of ``chosen`` in rollout order
    gains : float64, the people each newly covers when taken
    """
    c = chosen.shape[0]
    covered = np.zeros(weight.shape[0], dtype=np.bool_)
    keys = np.empty(c)
    ids = np.empty(c, dtype=np.int64)
    fresh = np.empty(c)
    stamp = np.zeros(c, dtype=np.int64)
    for p in range(c):
        g = _uncovered_people(indptr, indices, weight, covered, chosen[p])
        fresh[p] = g
        keys[p] = g / cost[chosen[p]]
        ids[p] = p
    size = c
    for pos in range(size // 2 - 1, -1, -1):
        _sift_down(keys, ids, size, pos)
    order = np.empty(c, dtype=np.int64)
    gains = np.empty(c)
    n_done = 0
    while size > 0:
        p = ids[0]
        size -= 1
        keys[0] = keys[size]
        ids[0] = ids[size]
        _sift_down(keys, ids, size, 0)
        i = chosen[p]
        if stamp[p] != n_done:
            g = _uncovered_people(indptr, indices, weight, covered, i)
            fresh[p] = g
            stamp[p] = n_done
            size = _push(keys, ids, size, g / cost[i], p)
            continue
        for q in range(indptr[i], indptr[i + 1]):
            covered[indices[q]] = True
        order[n_done] = i
        gains[n_done] = fresh[p]
        n_done += 1
    return order, gains
