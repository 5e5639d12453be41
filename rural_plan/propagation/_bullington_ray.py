"""Bullington and delta-Bullington along a radial, incrementally: O(log n) per cell.

The point-to-point kernels of :mod:`._diffraction` read the whole profile from the
site to each cell (several passes of O(n)); a radial sweep asks for the loss at
every sample of the same ray, so most of that work repeats. Every maximum those
methods take over the intermediate points is one of three kinds, each answered
without re-reading the profile (ray sample j at d_j = j·step; receiver at sample i,
d = d_i; a = effective earth radius; intermediate points j = 1 … i−1):

- a running maximum, updated once per sample: Bullington's S_tim (P.1812-6 eq. 13)
  = max_j (G_j − h_ts)/d_j + d/(2a) with G_j = h_j − d_j²/(2a), and the smooth-surface
  α_obt (Attachment 1 eq. 90) = max_j (h_j − h_ts)/d_j + (h_ts − h_rs)/d;
- a linear maximum max_j (y_j + s·x_j), on the upper convex hull of the points: the
  line-of-sight clearance of eq. (15) (on (d_j, G_j)) and h_obs of eq. (89) (on (d_j, h_j));
- a tangent from the receiver's end max_j (y_j − Y)/(d − d_j), on the same hulls:
  Bullington's S_rim (eq. 17) from (d, h_rs − d²/(2a)) and α_obr of eq. (90) from (d, h_rs).

Both hulls grow by one point per sample (monotone chain, amortised O(1)); each query
is a binary search on the hull. The smooth-surface sums v1, v2 (eqs 85–86) are
cumulative. Bullington's second pass over a zero-height profile (L_bulls) has closed
forms: its slopes and clearances are concave in d_j, so the maximum over the samples is
at one of the two samples either side of the continuous maximiser.

The one maximum that does not decompose is ν_max on line-of-sight paths (eq. 15): ν_j
weighs each clearance by sqrt(2d/(λ d_j (d − d_j))). All clearances are then negative,
so ν_max ≤ c_max·sqrt(8/(λ d)) (the weight is smallest at mid-path); when that bound is
at most −0.78, J(ν) = 0 exactly and nothing more is needed. Otherwise (grazing paths)
ν_max is taken over the samples as in the point-to-point kernel.

Results equal :func:`bullington_loss_db` / :func:`delta_bullington_loss_db` on each
prefix of the profile within float rounding (tests: 1e-9 dB).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from rural_plan.propagation._diffraction import (
    C_ITU_M_S,
    SPH_N_OUT,
    spherical_earth_diffraction_db,
)
from rural_plan.propagation._kernels import free_space_loss_db, knife_edge_loss_db

_NU_NO_LOSS = -0.78  # J(ν) = 0 at and below this ν (P.526-15 eq. 31)


@nb.njit(cache=True)
def hull_push(hx, hy, m, x, y):
    """Append (x, y), x above every x held, to the upper hull ``hx[:m], hy[:m]``.

    Returns the new length. Points on or below the segment from the hull's
    second-to-last point to (x, y) are dropped (monotone chain).
    """
    while m >= 2:
        x0 = hx[m - 2]
        y0 = hy[m - 2]
        if (hx[m - 1] - x0) * (y - y0) - (hy[m - 1] - y0) * (x - x0) >= 0.0:
            m -= 1
        else:
            break
    hx[m] = x
    hy[m] = y
    return m + 1


@nb.njit(cache=True)
def hull_max_linear(hx, hy, m, s):
    """max over the hull's points of y + s·x (the points' maximum too), m ≥ 1.

    Along an upper hull y + s·x is concave in the vertex index, so the first vertex
    whose successor is not higher is the maximum.
    """
    k = hull_argmax_linear(hx, hy, m, s)
    return hy[k] + s * hx[k]


@nb.njit(cache=True)
def hull_argmax_linear(hx, hy, m, s):
    """The vertex of :func:`hull_max_linear`'s maximum (its index in ``hx``, ``hy``)."""
    lo = 0
    hi = m - 1
    while lo < hi:
        k = (lo + hi) // 2
        if hy[k + 1] + s * hx[k + 1] <= hy[k] + s * hx[k]:
            hi = k
        else:
            lo = k + 1
    return lo


@nb.njit(cache=True)
def hull_max_slope_from(hx, hy, m, x_p, y_p):
    """max over the hull's points of (y − y_p)/(x_p − x), x_p right of every point, m ≥ 1.

    The upper tangent from (x_p, y_p): (y_k − y_p)/(x_p − x_k) is unimodal along an
    upper hull seen from its right (it rises while the next edge is steeper than the
    line from the vertex to the point, and that edge slope only falls).
    """
    lo = 0
    hi = m - 1
    while lo < hi:
        k = (lo + hi) // 2
        if (hy[k + 1] - y_p) / (x_p - hx[k + 1]) <= (hy[k] - y_p) / (x_p - hx[k]):
            hi = k
        else:
            lo = k + 1
    return (hy[lo] - y_p) / (x_p - hx[lo])


@nb.njit(cache=True)
def _concave_max_on_samples(f_kind, t, step, i, d, c1, c2, inv_2a):
    """Max over samples j = 1 … i−1 of a function concave in d_j = j·step.

    The maximum over the samples is at one of the two samples around the continuous
    maximiser ``t`` [m] (clamped to the range). ``f_kind`` 0: (d − x)/(2a) − c1/x
    (zero-profile S_tim); 1: x/(2a) − c1/(d − x) (zero-profile S_rim); 2:
    −x²/(2a) + c2·x − c1 (zero-profile clearance).
    """
    j_lo = int(math.floor(t / step))
    best = -np.inf
    for j in (j_lo, j_lo + 1):
        if j < 1:
            j = 1
        elif j > i - 1:
            j = i - 1
        x = j * step
        if f_kind == 0:
            v = (d - x) * inv_2a - c1 / x
        elif f_kind == 1:
            v = x * inv_2a - c1 / (d - x)
        else:
            v = -x * x * inv_2a + c2 * x - c1
        if v > best:
            best = v
    return best


@nb.njit(cache=True)
def _nu_los_pruned(z, step, i, j0, h_ts, h_rs, lam, inv_2a):
    """:func:`_nu_los_scan` on the actual profile of a line-of-sight path, the same ν.

    Starts from sample ``j0`` (the highest clearance), then skips the weight (a division
    and a square root) of every sample whose clearance c_j < 0 cannot beat the best ν so
    far: ν_j = c_j sqrt(2d/(λ d_j (d − d_j))) ≤ c_j sqrt(8/(λ d)) (the weight is least at
    mid-path). The skip test keeps a relative margin of 1e-9 over that bound, far above
    the float rounding of either side (~1e-15), so a skipped sample's computed ν is below
    the best: the maximum is the very float the full scan finds.
    """
    d = i * step
    w_min = math.sqrt(8.0 / (lam * d)) * (1.0 - 1e-9)
    dj = j0 * step
    dr = d - dj
    clear = z[j0] + dj * dr * inv_2a - (h_ts * dr + h_rs * dj) / d
    nu = clear * math.sqrt(2.0 * d / (lam * dj * dr))
    for j in range(1, i):
        dj = j * step
        dr = d - dj
        clear = z[j] + dj * dr * inv_2a - (h_ts * dr + h_rs * dj) / d
        if clear < 0.0 and clear * w_min < nu:
            continue
        v = clear * math.sqrt(2.0 * d / (lam * dj * dr))
        if v > nu:
            nu = v
    return nu


@nb.njit(cache=True)
def _nu_los_scan(z, step, i, g_zero, h_ts, h_rs, lam, inv_2a):
    """ν_max of P.1812-6 eq. (15) over the samples 1 … i−1 (heights zero if ``g_zero``)."""
    d = i * step
    nu = -np.inf
    for j in range(1, i):
        dj = j * step
        dr = d - dj
        g = 0.0 if g_zero else z[j]
        clear = g + dj * dr * inv_2a - (h_ts * dr + h_rs * dj) / d
        v = clear * math.sqrt(2.0 * d / (lam * dj * dr))
        if v > nu:
            nu = v
    return nu


@nb.njit(cache=True)
def _nu_los_zero(step, i, h_ts, h_rs, lam, inv_2a):
    """:func:`_nu_los_scan` over a zero-height profile, in O(log i).

    With zero heights, ν_j / sqrt(2d/λ) = sqrt(x y)/(2a) − (h_ts sqrt(y/x) + h_rs sqrt(x/y))/d
    (x = d_j, y = d − x). In w = sqrt(x/y) (increasing in x) that is
    f(w) = K w/(1 + w²) − (h_ts/w + h_rs w)/d with K = d/(2a), and
    f'(w) + h_rs/d = K (1 − w²)/(1 + w²)² + h_ts/(d w²) is strictly decreasing when
    h_ts ≥ K d = d²/(2a) (its derivative is below 2 (K d w⁴ (w² − 3)/(1 + w²)³ − h_ts)/(d w³)
    and w⁴ (w² − 3) < (1 + w²)³): f' changes sign at most once, so ν is unimodal along the
    path; by symmetry (x ↔ y) so it is when h_rs ≥ d²/(2a). The caller checks that (and
    h_ts, h_rs ≥ 0). The samples then rise and fall once: a binary search on the sign of
    successive differences finds the top, and the samples either side of it are scanned
    with the scan's own formula (a float tie near the top cannot hide the maximum).
    """
    d = i * step
    lo = 1
    hi = i - 1
    while lo < hi:
        k = (lo + hi) // 2
        if _nu_zero_at(k + 1, step, d, h_ts, h_rs, lam, inv_2a) <= _nu_zero_at(
            k, step, d, h_ts, h_rs, lam, inv_2a
        ):
            hi = k
        else:
            lo = k + 1
    nu = -np.inf
    for j in range(max(1, lo - 2), min(i - 1, lo + 2) + 1):
        v = _nu_zero_at(j, step, d, h_ts, h_rs, lam, inv_2a)
        if v > nu:
            nu = v
    return nu


@nb.njit(cache=True)
def _nu_zero_at(j, step, d, h_ts, h_rs, lam, inv_2a):
    """ν of sample j over a zero-height profile, as :func:`_nu_los_scan` computes it."""
    dj = j * step
    dr = d - dj
    clear = 0.0 + dj * dr * inv_2a - (h_ts * dr + h_rs * dj) / d
    return clear * math.sqrt(2.0 * d / (lam * dj * dr))


@nb.njit(cache=True)
def _bullington_from_slopes(los, nu, s_tim, s_rim, h_ts, h_rs, d, lam):
    """L_bull [dB] of eqs (16)–(21) from ν (line of sight) or the slopes (trans-horizon)."""
    if not los:
        d_bp = (h_rs - h_ts + s_rim * d) / (s_tim + s_rim)  # eq. (18)
        nu = (h_ts + s_tim * d_bp - (h_ts * (d - d_bp) + h_rs * d_bp) / d) * math.sqrt(
            2.0 * d / (lam * d_bp * (d - d_bp))
        )  # eq. (20)
    l_uc = knife_edge_loss_db(nu)
    if l_uc == 0.0:
        return 0.0
    return l_uc + (1.0 - math.exp(-l_uc / 6.0)) * (10.0 + 0.02 * d * 1e-3)  # eq. (21)


@nb.njit(cache=True)
def ray_loss_bullington(z, step_m, n, used, h_tx_m, h_rx_m, f_mhz, a_e_m, delta, pol, cap_db, out):
    """Free space plus (delta-)Bullington diffraction loss [dB] at the samples 1 … n−1 of a ray.

    ``z`` [m amsl] the ray's profile at steps of ``step_m`` [m], the site at sample 0;
    losses are written where ``used`` is true (+inf elsewhere). ``delta`` false:
    Bullington on the actual profile (P.1812-6 §4.3.1); true: delta-Bullington
    (§4.3.4, land path ω = 0, ``pol`` 1 horizontal / 2 vertical). Sample 1 has no
    intermediate point: free space only, as in the point-to-point kernels.

    ``cap_db`` [dB] (+inf: every loss exact): a sample whose loss is above it may get a
    lower bound of its loss that is itself above ``cap_db`` instead. The terms are added
    in order, each ≥ 0 (free space; L_bulla = J + its eq. (21) term; the delta term of
    eq. (39), max(·, 0)), so once the partial sum exceeds the cap the rest is skipped: a
    sample beyond the cap in free space skips both Bullington constructions, one beyond
    it with L_bulla skips the smooth surface, the spherical-earth loss and L_bulls. At or
    below the cap the loss is the same float as with no cap.
    """
    lam = C_ITU_M_S / (f_mhz * 1e6)
    inv_2a = 1.0 / (2.0 * a_e_m)
    h_ts = z[0] + h_tx_m
    # Upper hulls of (d_j, G_j = z_j − d_j²/(2a)) and (d_j, z_j) over j = 1 … i−1.
    cx = np.empty(n)
    cy = np.empty(n)
    rx = np.empty(n)
    ry = np.empty(n)
    m_c = 0
    m_r = 0
    max_a = -np.inf  # max_j (G_j − h_ts)/d_j
    max_b = -np.inf  # max_j (z_j − h_ts)/d_j
    v1 = 0.0
    v2 = 0.0
    sph = np.empty(SPH_N_OUT)
    for i in range(1, n):
        d = i * step_m
        d_prev = d - step_m
        v1 += step_m * (z[i] + z[i - 1])  # eq. (85)
        v2 += step_m * (z[i] * (2.0 * d + d_prev) + z[i - 1] * (d + 2.0 * d_prev))  # eq. (86)
        if used[i]:
            h_rs = z[i] + h_rx_m
            dz = h_rs - h_ts
            loss = free_space_loss_db(math.sqrt(d * d + dz * dz), f_mhz)
            if i >= 2 and loss <= cap_db:
                # Bullington on the actual profile.
                s_tim = max_a + d * inv_2a
                s_tr = dz / d
                los = s_tim < s_tr
                nu = -np.inf
                s_rim = 0.0
                if los:
                    s_c = d * inv_2a + (h_ts - h_rs) / d
                    k = hull_argmax_linear(cx, cy, m_c, s_c)
                    c_max = cy[k] + s_c * cx[k] - h_ts
                    if c_max * math.sqrt(8.0 / (lam * d)) > _NU_NO_LOSS:
                        j0 = min(max(int(round(cx[k] / step_m)), 1), i - 1)
                        nu = _nu_los_pruned(z, step_m, i, j0, h_ts, h_rs, lam, inv_2a)
                else:
                    s_rim = hull_max_slope_from(cx, cy, m_c, d, h_rs - d * d * inv_2a) - d * inv_2a
                l_bulla = _bullington_from_slopes(los, nu, s_tim, s_rim, h_ts, h_rs, d, lam)
                if not delta or loss + l_bulla > cap_db:
                    loss += l_bulla  # the loss, or (delta) a lower bound above the cap
                else:
                    loss += l_bulla + _delta_term(
                        z,
                        step_m,
                        i,
                        d,
                        h_ts,
                        h_rs,
                        v1,
                        v2,
                        rx,
                        ry,
                        m_r,
                        max_b,
                        f_mhz,
                        lam,
                        a_e_m,
                        inv_2a,
                        pol,
                        sph,
                    )
            out[i] = loss
        else:
            out[i] = np.inf
        # Sample i becomes an intermediate point for the samples beyond it.
        g = z[i] - d * d * inv_2a
        m_c = hull_push(cx, cy, m_c, d, g)
        m_r = hull_push(rx, ry, m_r, d, z[i])
        a = (g - h_ts) / d
        if a > max_a:
            max_a = a
        b = (z[i] - h_ts) / d
        if b > max_b:
            max_b = b


@nb.njit(cache=True)
def _delta_term(
    z, step, i, d, h_ts, h_rs, v1, v2, rx, ry, m_r, max_b, f_mhz, lam, a_e_m, inv_2a, pol, sph
):
    """max(L_dsph − L_bulls, 0) [dB] of P.1812-6 eq. (39) for the receiver at sample i."""
    # Smooth-earth surface, Attachment 1 §5.6.1–5.6.2 (eqs 87–91).
    h_st = (2.0 * v1 * d - v2) / (d * d)
    h_sr = (v2 - v1 * d) / (d * d)
    tilt = (h_ts - h_rs) / d
    h_obs = hull_max_linear(rx, ry, m_r, tilt) - h_ts
    if h_obs <= 0.0:
        h_stp = h_st
        h_srp = h_sr
    else:
        a_obt = max_b + tilt
        a_obr = hull_max_slope_from(rx, ry, m_r, d, h_rs) - tilt
        g_t = a_obt / (a_obt + a_obr)
        g_r = a_obr / (a_obt + a_obr)
        h_stp = h_st - h_obs * g_t
        h_srp = h_sr - h_obs * g_r
    h_std = z[0] if h_stp >= z[0] else h_stp
    h_srd = z[i] if h_srp > z[i] else h_srp
    h_te = h_ts - h_std  # eq. (37a)
    h_re = h_rs - h_srd  # eq. (37b)
    l_dsph = spherical_earth_diffraction_db(d, h_te, h_re, f_mhz, a_e_m, 0.0, pol, sph)
    if l_dsph <= 0.0:
        return 0.0  # L_bulls ≥ 0, so max(L_dsph − L_bulls, 0) = 0 whatever it is
    # Bullington over a zero-height profile with terminals h_te, h_re (closed forms).
    s_tim = _concave_max_on_samples(0, math.sqrt(h_te / inv_2a), step, i, d, h_te, 0.0, inv_2a)
    los = s_tim < (h_re - h_te) / d
    nu = -np.inf
    s_rim = 0.0
    if los:
        c2 = d * inv_2a + (h_te - h_re) / d
        c_max = _concave_max_on_samples(2, 0.5 * c2 / inv_2a, step, i, d, h_te, c2, inv_2a)
        if c_max * math.sqrt(8.0 / (lam * d)) > _NU_NO_LOSS:
            d2_2a = d * d * inv_2a
            if h_te >= 0.0 and h_re >= 0.0 and max(h_te, h_re) >= d2_2a:  # ν_j unimodal
                nu = _nu_los_zero(step, i, h_te, h_re, lam, inv_2a)
            else:
                nu = _nu_los_scan(z, step, i, True, h_te, h_re, lam, inv_2a)
    else:
        t = d - math.sqrt(h_re / inv_2a)
        s_rim = _concave_max_on_samples(1, t, step, i, d, h_re, 0.0, inv_2a)
    l_bulls = _bullington_from_slopes(los, nu, s_tim, s_rim, h_te, h_re, d, lam)
    return max(l_dsph - l_bulls, 0.0)
