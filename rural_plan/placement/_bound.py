"""Numba kernels of the Lagrangian upper bound on budgeted maximum coverage.

The problem (cells k with people w_k, options i with cost c_i, budget B, at most one
option per location)::

    max Σ_k w_k y_k   s.t.  y_k ≤ Σ_{i covers k} x_i,  Σ_i c_i x_i ≤ B,
                            Σ_{i at l} x_i ≤ 1,  x ∈ {0, 1},  0 ≤ y ≤ 1

Relaxing the cover rows with multipliers 0 ≤ u_k ≤ w_k gives, for every such u, ::

    L(u) = Σ_k (w_k − u_k) + max { Σ_i p_i x_i : budget, one per location, 0 ≤ x ≤ 1 }

with p_i = Σ_{k in row i} u_k: the cells left to y pay w_k − u_k at most once each
(y_k = 1), and the options are a multiple-choice knapsack whose LP relaxation
(:func:`mckp_lp`) is solved exactly by the convex hull of each location's options,
segments taken by profit per dollar. Every u gives an upper bound on the optimum
(weak duality; the knapsack relaxed to its LP only raises it), and the least over u is
the bound of the LP relaxation of the whole model. :func:`lagrangian_bound` descends
on u by projected subgradient steps (Polyak's step towards a known feasible value),
keeping the least bound met; each step is two passes over the non-zeros.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def mckp_lp(profit, cost, lptr, lopt, budget, x, hull, seg_gain, seg_cost, seg_key):
    """The LP relaxation of the multiple-choice knapsack: its value, and ``x`` (the
    fractional choice, written) at the optimum.

    Per location the options (with profit > 0 and cost ≤ budget) form, with the empty
    choice at (0, 0), an upper concave hull in (cost, profit); its segments, taken in
    order of profit per dollar over all locations until the budget is spent (the last
    in part), are an optimal LP solution (Sinha and Zoltners 1979).

    Parameters
    ----------
    profit, cost : (n_options,) float64
    lptr, lopt : options per location (CSR; ascending ids)
    budget : float
    x : (n_options,) float64, written
    hull, seg_gain, seg_cost, seg_key : (n_options,) scratch; hull int64
    """
    n_loc = lptr.shape[0] - 1
    n_seg = 0
    x[:] = 0.0
    seg_from = np.empty(cost.shape[0], dtype=np.int64)
    seg_to = np.empty(cost.shape[0], dtype=np.int64)
    for loc in range(n_loc):
        a, b = lptr[loc], lptr[loc + 1]
        if b == a:
            continue
        opts = lopt[a:b]
        order = opts[np.argsort(cost[opts], kind="mergesort")]
        # upper concave hull from (0, 0) over the options that could pay
        h = 0
        for i in order:
            if profit[i] <= 0.0 or cost[i] > budget:
                continue
            while h > 0:
                top = hull[h - 1]
                c0 = 0.0 if h == 1 else cost[hull[h - 2]]
                p0 = 0.0 if h == 1 else profit[hull[h - 2]]
                # drop top when it is not above the chord from the point before to i
                # (options come by cost, so that includes i as good for the same money)
                if (profit[top] - p0) * (cost[i] - c0) <= (profit[i] - p0) * (cost[top] - c0):
                    h -= 1
                else:
                    break
            c_last = 0.0 if h == 0 else cost[hull[h - 1]]
            p_last = 0.0 if h == 0 else profit[hull[h - 1]]
            if profit[i] > p_last and cost[i] > c_last:
                hull[h] = i
                h += 1
        for t in range(h):
            i = hull[t]
            prev = -1 if t == 0 else hull[t - 1]
            c0 = 0.0 if prev < 0 else cost[prev]
            p0 = 0.0 if prev < 0 else profit[prev]
            seg_cost[n_seg] = cost[i] - c0
            seg_gain[n_seg] = profit[i] - p0
            seg_key[n_seg] = -(profit[i] - p0) / (cost[i] - c0)
            seg_from[n_seg] = prev
            seg_to[n_seg] = i
            n_seg += 1
    by_ratio = np.argsort(seg_key[:n_seg], kind="mergesort")
    value = 0.0
    room = budget
    for p in range(n_seg):
        s = by_ratio[p]
        if room <= 0.0:
            break
        f = 1.0 if seg_cost[s] <= room else room / seg_cost[s]
        value += f * seg_gain[s]
        room -= f * seg_cost[s]
        # move f of the location's choice from the segment's start to its end
        if seg_from[s] >= 0:
            x[seg_from[s]] -= f
        x[seg_to[s]] += f
    return value


@nb.njit(cache=True)
def dual_ascent(rptr, ridx, cptr, cidx, weight, cost, budget, lam, order, u, slack):
    """An upper bound ``lam * budget + Σ_k (weight_k − u_k)`` from a dual-feasible ``u``
    (written) built by raising each cell's price in ``order`` as far as its options'
    slack allows: Σ_{k in row i} u_k ≤ lam · cost_i for every option i that fits the
    budget (options dearer than the budget cannot be chosen and set no limit)."""
    n = cost.shape[0]
    for i in range(n):
        slack[i] = lam * cost[i] if cost[i] <= budget else np.inf
    rest = 0.0
    for p in range(order.shape[0]):
        k = order[p]
        d = weight[k]
        for r in range(cptr[k], cptr[k + 1]):
            s = slack[cidx[r]]
            if s < d:
                d = s
        if d < 0.0:
            d = 0.0
        u[k] = d
        if d > 0.0:
            for r in range(cptr[k], cptr[k + 1]):
                slack[cidx[r]] -= d
        rest += weight[k] - d
    return lam * budget + rest


@nb.njit(cache=True)
def gain_bound(rptr, ridx, weight, cost, lptr, lopt, budget, chosen):
    """An upper bound from the choice ``chosen`` (bool per option) itself: its people
    f(S) plus the LP knapsack of the other options' gains over it. Any choice T within
    the budget covers at most f(S ∪ T) ≤ f(S) + Σ_{i in T \\ S} gain(i | S) (coverage is
    monotone and submodular), and T \\ S is itself within the budget, one per location.

    Returns (bound, f(S)).
    """
    n = cost.shape[0]
    m = weight.shape[0]
    covered = np.zeros(m, dtype=np.bool_)
    for i in range(n):
        if chosen[i]:
            for q in range(rptr[i], rptr[i + 1]):
                covered[ridx[q]] = True
    people = 0.0
    for k in range(m):
        if covered[k]:
            people += weight[k]
    gain = np.zeros(n)
    for i in range(n):
        if chosen[i]:
            continue
        g = 0.0
        for q in range(rptr[i], rptr[i + 1]):
            if not covered[ridx[q]]:
                g += weight[ridx[q]]
        gain[i] = g
    x = np.empty(n)
    hull = np.empty(n, dtype=np.int64)
    value = mckp_lp(gain, cost, lptr, lopt, budget, x, hull, np.empty(n), np.empty(n), np.empty(n))
    return people + value, people
