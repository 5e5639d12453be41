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
def _options_by_location(location, n_loc):
    """CSR of the options at each location: ``lopt[lptr[q]:lptr[q + 1]]``, ascending."""
    lptr = np.zeros(n_loc + 1, dtype=np.int64)
    for i in range(location.shape[0]):
        lptr[location[i] + 1] += 1
    for q in range(n_loc):
        lptr[q + 1] += lptr[q]
    fill = lptr[:-1].copy()
    lopt = np.empty(location.shape[0], dtype=np.int64)
    for i in range(location.shape[0]):
        lopt[fill[location[i]]] = i
        fill[location[i]] += 1
    return lptr, lopt


@nb.njit(cache=True)
def _move_gain(indptr, indices, weight, residual, n_cover, mark, i, held):
    """People gained by building option i where ``held`` stands (−1: nothing there).

    Cells of row i no built option covers (``residual``: a cell's people while nobody
    covers it, else 0), minus (when replacing ``held``) the cells only ``held`` covers
    that row i does not. ``mark[k] == i`` flags row i's cells.
    """
    g = 0.0
    if held < 0:
        for p in range(indptr[i], indptr[i + 1]):
            g += residual[indices[p]]
        return g
    for p in range(indptr[i], indptr[i + 1]):
        k = indices[p]
        mark[k] = i
        g += residual[k]
    for p in range(indptr[held], indptr[held + 1]):
        k = indices[p]
        if n_cover[k] == 1 and mark[k] != i:
            g -= weight[k]
    return g


@nb.njit(cache=True)
def _cover_row(indptr, indices, weight, residual, n_cover, i, step):
    """Add (``step`` = 1) or remove (−1) option i's row from the cover counts."""
    for p in range(indptr[i], indptr[i + 1]):
        k = indices[p]
        n_cover[k] += step
        residual[k] = weight[k] if n_cover[k] == 0 else 0.0


@nb.njit(cache=True)
def _move_key(g, extra_cost):
    """Heap key of a move: people per extra dollar; a move that costs nothing more is
    taken first (infinite key)."""
    return np.inf if extra_cost <= 0.0 else g / extra_cost


@nb.njit(cache=True)
def _push_versioned(keys, ids, vers, size, key, i, ver):
    """:func:`_push` with a version per entry; grows the arrays when full."""
    if size == keys.shape[0]:
        keys = _grown(keys, 2 * size, 0.0)
        ids = _grown(ids, 2 * size, 0)
        vers = _grown(vers, 2 * size, 0)
    pos = size
    keys[pos] = key
    ids[pos] = i
    vers[pos] = ver
    while pos > 0:
        parent = (pos - 1) // 2
        if _better(keys[pos], ids[pos], keys[parent], ids[parent]):
            keys[pos], keys[parent] = keys[parent], keys[pos]
            ids[pos], ids[parent] = ids[parent], ids[pos]
            vers[pos], vers[parent] = vers[parent], vers[pos]
            pos = parent
        else:
            break
    return keys, ids, vers, size + 1


@nb.njit(cache=True)
def _pop_versioned(keys, ids, vers, size):
    """Remove the heap's top; returns (its id, its version, the new size)."""
    i = ids[0]
    ver = vers[0]
    size -= 1
    keys[0] = keys[size]
    ids[0] = ids[size]
    vers[0] = vers[size]
    pos = 0
    while True:
        left = 2 * pos + 1
        if left >= size:
            break
        best = left
        right = left + 1
        if right < size and _better(keys[right], ids[right], keys[left], ids[left]):
            best = right
        if _better(keys[best], ids[best], keys[pos], ids[pos]):
            keys[pos], keys[best] = keys[best], keys[pos]
            ids[pos], ids[best] = ids[best], ids[pos]
            vers[pos], vers[best] = vers[best], vers[pos]
            pos = best
        else:
            break
    return i, ver, size


@nb.njit(cache=True)
def greedy_moves(indptr, indices, weight, cost, location, budget):
    """The moves of :func:`lazy_greedy` in the order made, before its single-option
    safeguard: every prefix is a plan (a cheaper budget's greedy starts the same way).

    Returns
    -------
    option : int64, the option each move builds
    gain : float64, the people it adds (net of what the option it replaces covered alone)
    extra_usd : float64, what it costs more (its cost, less the replaced option's)
    best_single, best_single_people : the affordable option covering most people alone
        (−1, 0.0 when none covers anyone)
    """
    n = cost.shape[0]
    m = weight.shape[0]
    n_loc = 0
    for i in range(n):
        if location[i] + 1 > n_loc:
            n_loc = location[i] + 1
    lptr, lopt = _options_by_location(location, n_loc)
    limit = budget * (1.0 + 1e-12)  # a budget of exactly a sum of costs affords them
    n_cover = np.zeros(m, dtype=np.int32)
    residual = weight.copy()
    mark = np.full(m, -1, dtype=np.int64)
    held = np.full(n_loc, -1, dtype=np.int64)
    version = np.zeros(n, dtype=np.int64)
    stamp = np.zeros(n, dtype=np.int64)
    keys = np.empty(max(n, 1))
    ids = np.empty(max(n, 1), dtype=np.int64)
    vers = np.zeros(max(n, 1), dtype=np.int64)
    size = 0
    best_single = -1
    best_single_gain = 0.0
    for i in range(n):
        g = _move_gain(indptr, indices, weight, residual, n_cover, mark, i, -1)
        if cost[i] <= budget and g > best_single_gain:
            best_single_gain = g
            best_single = i
        if cost[i] <= limit and g > 0.0:
            keys[size] = g / cost[i]
            ids[size] = i
            size += 1
    for pos in range(size // 2 - 1, -1, -1):
        _sift_down(keys, ids, size, pos)  # versions are all 0: no need to move them

    move_option = np.empty(max(n, 1), dtype=np.int64)
    move_gain = np.empty(max(n, 1))
    move_extra = np.empty(max(n, 1))
    n_moves = 0
    spent = 0.0
    while size > 0:
        i, ver, size = _pop_versioned(keys, ids, vers, size)
        if ver != version[i]:
            continue  # superseded when its location's option changed
        q = location[i]
        h = held[q]
        if h == i:
            continue
        extra = cost[i] - (cost[h] if h >= 0 else 0.0)
        if extra < 0.0 or spent + extra > limit:
            continue  # spent + extra (the cost were i built) never falls: drop for good
        g = _move_gain(indptr, indices, weight, residual, n_cover, mark, i, h)
        if stamp[i] != n_moves:
            stamp[i] = n_moves
            if g > 0.0:
                keys, ids, vers, size = _push_versioned(
                    keys, ids, vers, size, _move_key(g, extra), i, version[i]
                )
            continue
        if g <= 0.0:
            continue
        if h >= 0:
            _cover_row(indptr, indices, weight, residual, n_cover, h, -1)
        _cover_row(indptr, indices, weight, residual, n_cover, i, 1)
        held[q] = i
        spent += extra
        if n_moves == move_option.shape[0]:  # equal-cost types can swap back and forth
            move_option = _grown(move_option, 2 * n_moves, 0)
            move_gain = _grown(move_gain, 2 * n_moves, 0.0)
            move_extra = _grown(move_extra, 2 * n_moves, 0.0)
        move_option[n_moves] = i
        move_gain[n_moves] = g
        move_extra[n_moves] = extra
        n_moves += 1
        # The location's other options are now upgrades from i: re-key them at once.
        for s in range(lptr[q], lptr[q + 1]):
            o = lopt[s]
            if o == i:
                continue
            version[o] += 1
            extra_o = cost[o] - cost[i]
            if extra_o < 0.0 or spent + extra_o > limit:
                continue
            g_o = _move_gain(indptr, indices, weight, residual, n_cover, mark, o, i)
            stamp[o] = n_moves
            if g_o > 0.0:
                keys, ids, vers, size = _push_versioned(
                    keys, ids, vers, size, _move_key(g_o, extra_o), o, version[o]
                )

    return (
        move_option[:n_moves].copy(),
        move_gain[:n_moves].copy(),
        move_extra[:n_moves].copy(),
        best_single,
        best_single_gain,
    )


@nb.njit(cache=True)
def built_after(option, location, n_moves):
    """The options standing after the first ``n_moves`` moves, in the order their
    locations were first built (an upgrade takes its location's place)."""
    n_loc = 0
    for s in range(n_moves):
        n_loc = max(n_loc, location[option[s]] + 1)
    held = np.full(n_loc, -1, dtype=np.int64)
    opened = np.empty(n_moves, dtype=np.int64)
    n_opened = 0
    for s in range(n_moves):
        q = location[option[s]]
        if held[q] < 0:
            opened[n_opened] = q
            n_opened += 1
        held[q] = option[s]
    out = np.empty(n_opened, dtype=np.int64)
    for s in range(n_opened):
        out[s] = held[opened[s]]
    return out


@nb.njit(cache=True)
def lazy_greedy(indptr, indices, weight, cost, location, budget):
    """Budgeted maximum coverage by cost-effective lazy greedy (CELF), with site-type
    upgrades.

    A *move* builds option i at its location: on free ground it costs ``cost[i]`` and
    gains the people of its row nobody covers yet; where another option h of the same
    location stands, it replaces h (an *upgrade*), costs ``cost[i] − cost[h]`` more and
    gains what i adds minus what only h covered. Repeatedly makes the affordable move
    with the most people gained per extra dollar (a move that costs nothing more and
    gains people first; ties: lowest option id), re-evaluating a move only when it
    reaches the top of the heap. Moves that make an option cheaper than the one
    standing are never made (that is local search's work), so money spent only grows.
    Then the Khuller–Moss–Naor safeguard: if one affordable option alone covers more,
    that option is the answer.

    Guarantee: the (1 − 1/e)/2 of budgeted maximum coverage (Khuller, Moss and Naor
    1999) holds when options sharing a location are *nested* — a dearer option covers
    every cell a cheaper one does (a taller mast or more power: the usual site types).
    Then replacing h by i covers what holding both would, for ``cost[i] − cost[h]``
    ≤ ``cost[i]``, so the greedy's best ratio is at least that of any option of the
    optimum and the usual argument carries over; and the lazy evaluation is exact, as
    every move's gain only shrinks while other sites are built (a location's moves are
    re-evaluated when its option changes). With non-nested options at a location
    (different sectors, say) an upgrade's gain can grow later, so the result is a
    heuristic there — one the tests pin and local search improves.

    Parameters
    ----------
    indptr, indices : CSR rows (option -> demand cells)
    weight : (n_cells,) float64, people per demand cell
    cost : (n_options,) float64 > 0
    location : (n_options,) int64, options sharing a location exclude each other
    budget : float

    Returns
    -------
    chosen : int64 array, the options built, in the order their locations were first
        built (an upgrade takes its location's place: the rollout order)
    gains : float64 array, the people each newly covers in that order (they sum to the
        people covered)
    """
    option, _, _, best_single, best_single_gain = greedy_moves(
        indptr, indices, weight, cost, location, budget
    )
    built = built_after(option, location, option.shape[0])
    gains = np.empty(built.shape[0])
    covered = np.zeros(weight.shape[0], dtype=np.bool_)
    total = 0.0
    for s in range(built.shape[0]):
        i = built[s]
        g = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            k = indices[p]
            if not covered[k]:
                covered[k] = True
                g += weight[k]
        gains[s] = g
        total += g
    # Strictly better beyond rounding: equal sums added in another order must not switch.
    if best_single >= 0 and best_single_gain > total * (1.0 + 1e-12):
        out = np.empty(1, dtype=np.int64)
        out[0] = best_single
        out_g = np.empty(1)
        out_g[0] = best_single_gain
        return out, out_g
    return built, gains


@nb.njit(cache=True)
def capped_lazy_greedy(indptr, indices, weight, cost, location, cap, budget):
    """The lazy greedy where option i serves at most ``cap[i]`` people (no upgrades:
    an option taken holds its location, as in the greedy before site-type upgrades).

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
