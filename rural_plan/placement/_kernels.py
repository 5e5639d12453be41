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
def _row_gain(indptr, indices, weight, covered, i):
    g = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        k = indices[p]
        if not covered[k]:
            g += weight[k]
    return g


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
    n = cost.shape[0]
    n_loc = 0
    for i in range(n):
        if location[i] + 1 > n_loc:
            n_loc = location[i] + 1
    covered = np.zeros(weight.shape[0], dtype=np.bool_)
    loc_used = np.zeros(n_loc, dtype=np.bool_)
    keys = np.empty(n)
    ids = np.empty(n, dtype=np.int64)
    stamp = np.zeros(n, dtype=np.int64)
    size = 0
    best_single = -1
    best_single_gain = 0.0
    for i in range(n):
        g = _row_gain(indptr, indices, weight, covered, i)
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
            g = _row_gain(indptr, indices, weight, covered, i)
            stamp[i] = n_chosen
            if g > 0.0:
                # push back with the fresh key
                pos = size
                keys[pos] = g / cost[i]
                ids[pos] = i
                size += 1
                while pos > 0:
                    parent = (pos - 1) // 2
                    if _better(keys[pos], ids[pos], keys[parent], ids[parent]):
                        keys[pos], keys[parent] = keys[parent], keys[pos]
                        ids[pos], ids[parent] = ids[parent], ids[pos]
                        pos = parent
                    else:
                        break
            continue
        g = _row_gain(indptr, indices, weight, covered, i)
        for p in range(indptr[i], indptr[i + 1]):
            covered[indices[p]] = True
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
