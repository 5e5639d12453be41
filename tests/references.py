"""Plain-Python / NumPy reference implementations that the tests check the kernels
against, each written out independently of the package: textbook radio formulas, the
greedy's moves, brute-force placement optima and the cell-merge partition.

Where two tests used near copies of one reference (another constant, another order of
summation, a budget tolerance), both are kept here as they were, side by side, so that
no test's expected values change."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyproj
from scipy.ndimage import map_coordinates
from scipy.special import fresnel

from rural_plan.placement.instance import CoverageInstance
from rural_plan.propagation._diffraction import C_ITU_M_S

# --------------------------------------------------------------------------- radio formulas

C_M_S = 299_792_458.0


def fspl_ref(d_m: float, f_mhz: float) -> float:
    """Free-space loss 20 log10(4π d / λ) with λ = c / f."""
    lam = C_M_S / (f_mhz * 1e6)
    return 20.0 * math.log10(4.0 * math.pi * d_m / lam)


def fspl_array(d_m, dz_m, f_mhz):
    """``fspl_ref`` over arrays, of the 3-D distance hypot(d, dz)."""
    return 20 * np.log10(4 * np.pi * np.hypot(d_m, dz_m) * f_mhz * 1e6 / C_M_S)


def fspl_textbook(d_m: float, f_mhz: float) -> float:
    return 32.45 + 20.0 * math.log10(f_mhz) + 20.0 * math.log10(d_m / 1000.0)


def j_ref(nu: float) -> float:
    """ITU-R P.526 eq. (31), written out again here."""
    if nu <= -0.78:
        return 0.0
    return 6.9 + 20.0 * math.log10(math.sqrt((nu - 0.1) ** 2 + 1.0) + nu - 0.1)


def j_fresnel(nu: np.ndarray) -> np.ndarray:
    """Exact knife-edge loss from the Fresnel integrals, ITU-R P.526 eq. (27)."""
    s, c = fresnel(nu)
    return -20.0 * np.log10(np.sqrt((1.0 - c - s) ** 2 + (c - s) ** 2) / 2.0)


def nu_ref(h: float, d1: float, d2: float, lam: float) -> float:
    """Fresnel–Kirchhoff parameter ν = h sqrt(2/λ (1/d1 + 1/d2)), ITU-R P.526 eq. (26)."""
    return h * math.sqrt(2.0 / lam * (1.0 / d1 + 1.0 / d2))


def nu_itu(h_clear, d1, d2, f_mhz):
    """ν of P.526 eq. (26), written h sqrt(2 (d1 + d2) / (λ d1 d2)), with λ from the ITU's
    c = 2.998e8 m/s (``C_ITU_M_S``) as the P.1812 kernels use (``nu_ref`` takes λ)."""
    lam = C_ITU_M_S / (f_mhz * 1e6)
    return h_clear * math.sqrt(2 * (d1 + d2) / (lam * d1 * d2))


# --------------------------------------------------------------------------- the greedy's moves


def _move_gain(rows, weight, n_cover, i, held):
    """People gained by building option i where ``held`` stands (None: free ground), in
    the kernel's order of summation."""
    g = 0.0
    for k in rows[i]:
        if n_cover[k] == 0:
            g += weight[k]
    if held is not None:
        mine = set(rows[i])
        for k in rows[held]:
            if n_cover[k] == 1 and k not in mine:
                g -= weight[k]
    return g


def ref_moves(rows, weight, cost, location, budget):
    """The moves of the cost-effective greedy with site-type upgrades, non-lazy: every
    step recomputes every move — build option i on free ground, or replace its
    location's option h by it for cost[i] − cost[h] more (never less) — and makes the
    affordable move with the most people gained per extra dollar (a free move first;
    lowest index on ties). Returns [(option, extra cost)] in the order made."""
    n_cover = [0] * len(weight)
    held: dict[int, int] = {}
    moves = []
    spent = 0.0
    while True:
        best, best_key, best_extra = -1, 0.0, 0.0
        for i in range(len(rows)):
            h = held.get(location[i])
            if h == i:
                continue
            extra = cost[i] - (cost[h] if h is not None else 0.0)
            # the kernels' budget rule: a budget of exactly a sum of costs affords them
            # all, so the sum may exceed it by rounding (relative 1e-12)
            if extra < 0.0 or spent + extra > budget * (1.0 + 1e-12):
                continue
            g = _move_gain(rows, weight, n_cover, i, h)
            if g <= 0.0:
                continue
            key = math.inf if extra <= 0.0 else g / extra
            if best < 0 or key > best_key:
                best, best_key, best_extra = i, key, extra
        if best < 0:
            return moves
        q = location[best]
        if q in held:
            for k in rows[held[q]]:
                n_cover[k] -= 1
        for k in rows[best]:
            n_cover[k] += 1
        held[q] = best
        spent += best_extra
        moves.append((best, best_extra))


def built(moves, location):
    """The options standing after ``moves``, in the order their locations were first
    built."""
    held: dict[int, int] = {}
    for i, _ in moves:
        held[location[i]] = i  # a dict keeps the first insertion's place
    return list(held.values())


def is_nested(rows, cost, location):
    """Whether every location's options are nested by cost (dearer covers cheaper)."""
    for a, b in itertools.permutations(range(len(rows)), 2):
        if location[a] == location[b] and cost[a] <= cost[b]:
            if not set(rows[a]) <= set(rows[b]) and (
                cost[a] < cost[b] or not set(rows[b]) <= set(rows[a])
            ):
                return False
    return True


# --------------------------------------------------------------------------- brute-force optima
# On rows (lists of covered cells per option) with weights, costs and locations:


def coverage(rows, weight, chosen):
    """People covered by ``chosen`` (cells gathered with ``set.union``)."""
    cells = set().union(*(set(rows[i]) for i in chosen)) if len(chosen) else set()
    return sum(weight[k] for k in cells)


def brute_force(rows, weight, cost, location, budget):
    """Best coverage over every subset within budget with distinct locations."""
    best = 0.0
    n = len(rows)
    for size in range(1, n + 1):
        for subset in itertools.combinations(range(n), size):
            if sum(cost[i] for i in subset) > budget:
                continue
            if len({location[i] for i in subset}) < size:
                continue
            best = max(best, coverage(rows, weight, subset))
    return best


def covered_people(rows, weight, chosen) -> float:
    """People covered by ``chosen`` (a float; cells gathered with ``set.update``)."""
    cells = set()
    for i in chosen:
        cells.update(rows[i])
    return float(sum(weight[k] for k in cells))


def brute_force_per_location(rows, weight, cost, location, budget) -> tuple[float, tuple[int, ...]]:
    """Best coverage over every choice of at most one option per location within budget
    (to a relative 1e-12), and that choice."""
    per_loc: dict[int, list[int]] = {}
    for i, loc in enumerate(location):
        per_loc.setdefault(loc, []).append(i)
    best, best_set = 0.0, ()
    for pick in itertools.product(*([None, *opts] for opts in per_loc.values())):
        chosen = tuple(i for i in pick if i is not None)
        if sum(cost[i] for i in chosen) > budget * (1 + 1e-12):
            continue
        got = covered_people(rows, weight, chosen)
        if got > best:
            best, best_set = got, chosen
    return best, best_set


# On a CoverageInstance (people counted by ``CoverageInstance.coverage_of``):


def feasible_sets(inst: CoverageInstance):
    """Every choice with at most one option per location: (options, cost, people)."""
    by_loc: dict[int, list[int]] = {}
    for i, loc in enumerate(inst.location):
        by_loc.setdefault(int(loc), []).append(i)
    for combo in itertools.product(*[[None, *opts] for opts in by_loc.values()]):
        chosen = [i for i in combo if i is not None]
        yield chosen, float(inst.cost_usd[chosen].sum()), inst.coverage_of(chosen)


def brute_max(inst: CoverageInstance, budget: float) -> float:
    return max(p for _, c, p in feasible_sets(inst) if c <= budget * (1 + 1e-12))


def brute_min_cost(inst: CoverageInstance, target: float) -> float:
    return min(c for _, c, p in feasible_sets(inst) if p >= target)


# --------------------------------------------------------------------------- merging cells


def set_reference(rows, n_cells):
    """Per covered cell, the frozenset of options listing it."""
    sets: dict[int, set[int]] = {}
    for i, row in enumerate(rows):
        for k in row:
            sets.setdefault(int(k), set()).add(i)
    return {k: frozenset(s) for k, s in sets.items()}


# --------------------------------------------------------------------------- backhaul hops


def hop_clearance_on_posts(
    posts, lonlat_a, lonlat_b, ha, hb, f_mhz, step_m=2.0, metric_crs="EPSG:32738"
):
    """Clearance [F1] of a hop, independently: points every ``step_m`` along the straight
    segment in ``metric_crs``, to lon/lat with pyproj, heights by bilinear interpolation
    of a lon/lat DEM's posts (``posts``: its band and transform; no-data as sea level),
    earth bulge at k = 4/3."""
    utm = pyproj.Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    back = pyproj.Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
    (xa, xb), (ya, yb) = utm.transform([lonlat_a[0], lonlat_b[0]], [lonlat_a[1], lonlat_b[1]])
    d = math.hypot(xb - xa, yb - ya)
    t = np.linspace(0.0, 1.0, max(int(d / step_m), 2) + 1)
    lon, lat = back.transform(xa + t * (xb - xa), ya + t * (yb - ya))
    data, transform = posts
    inv = ~transform
    lon, lat = np.asarray(lon), np.asarray(lat)
    col = inv.a * lon + inv.b * lat + inv.c
    row = inv.d * lon + inv.e * lat + inv.f
    z = map_coordinates(data, [row - 0.5, col - 0.5], order=1)
    lam = C_M_S / (f_mhz * 1e6)
    d1 = t * d
    d2 = d - d1
    ray = z[0] + ha + t * (z[-1] + hb - z[0] - ha)
    inner = slice(1, -1)
    f1 = np.sqrt(lam * d1[inner] * d2[inner] / d)
    return float(np.min((ray - z - d1 * d2 / (2 * (4.0 / 3.0 * 6_371_000.0)))[inner] / f1))
