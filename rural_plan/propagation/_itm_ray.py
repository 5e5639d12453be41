"""ITM point-to-point along a radial: every cell of a ray from one pass over its profile.

The point-to-point kernel (:func:`._itm.itm_p2p_tls_kernel`) reads the whole profile
from the site to a cell in several passes: the horizons, the surface refractivity, the
terrain irregularity Δh and the effective heights. A radial sweep asks it for every cell
of the same ray, so most of that work repeats. This kernel evaluates the same ITM 1.2.2
steps for every cell the ray owns, sharing what the cells have in common (ray sample i
at x_i = i·step, the receiver of cell m at sample m, d = m·step):

- **surface refractivity** N_s = N_0 exp(−h_sys/9460) from the mean height h_sys of the
  samples ⌊0.1 m⌋ … m − ⌊0.1 m⌋ ([TN101 eq. 4.3], as NTIA's ``ITM_P2P_TLS_Ex``): a
  difference of prefix sums, O(1) per cell;
- **horizons** (the original's "hzns"): θ_h1 = max_i (z_i − z_1)/x_i − x_i/2a and θ_h2 =
  max_i (z_i − z_2)/(d − x_i) − (d − x_i)/2a over the interior samples. In the curved
  frame w_i = z_i − x_i² u (u = 1/2a) both are tangents from a terminal to the points
  (x_i, w_i), so the maximiser is a vertex of their upper convex hull, which grows by
  one point per sample (monotone chain, amortised O(1)). The effective earth radius a
  follows N_s and so changes from cell to cell; the hull is kept for the largest
  curvature ITM accepts (N_s = 150, u_max): lowering the curvature to a cell's u lowers
  every interior point against the chord of its neighbours, so the hull for u is a
  subset of the hull for u_max. Points leave the hull only when they lie below a chord
  by more than 1e-9 m, so it holds every possible maximiser; the maximum is then taken
  over those few vertices (8 on average for an Ngazidja site at 30 m) in sample order,
  with the original's formula and strict comparison. The original reaches the distance
  to the receiver by subtracting the sample spacing from d once per sample; that value
  matters to the bit (0.9·d_L2 is often a whole number of samples, and a fit's end
  sample is its truncation), so it is rebuilt exactly (:func:`subtract_repeatedly`);
- **Δh** ("dlthx", :func:`_delta_h_ray`): the stretch is resampled at its 10·p10 − 5
  points and a least-squares line removed in two passes whose iterations are
  independent (the original's running sums, to ~1e-13 m); the two deciles are found
  among the residuals beyond thresholds set just inside the previous cell's deciles
  (neighbouring cells' residuals differ little): one pass copies the residuals beyond
  them, and the p10-th of those few (branch-free when they are a few more than p10) is
  exact whenever at least p10 were copied; else a threshold further in, else
  :func:`._itm.decile_pair` over all of them.

Everything else (effective heights over the least-squares terrain line, the reference
attenuation, variability, free space) calls the point-to-point kernel's own functions.
Results equal :func:`._itm.itm_p2p_tls_kernel` on each prefix of the profile within
float rounding: the prefix-sum mean height and Δh's independent sums differ from the
original's running sums in the last bits (max 1.7e-12 dB over an Ngazidja site, two
thirds of the cells identical to the bit; ``tests/propagation/test_itm_ray.py``).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from rural_plan.propagation._itm import (
    _GAMMA_A,
    _THIRD,
    DELTA_H_WORK,
    _common_checks,
    _ground_constants,
    decile_pair,
    fit_range,
    fit_samples,
    linear_fit,
    longley_rice_f,
    ntia_free_space_loss_db,
    variability_from_setup,
    variability_setup,
)
from rural_plan.propagation._kernels import free_space_loss_db

_N_S_MIN = 150.0  # below, ITM refuses the path (ERROR_SURFACE_REFRACTIVITY_SMALL)
_U_MAX = 0.5 * _GAMMA_A * (1.0 - 0.04665 * math.exp(_N_S_MIN / 179.3)) * (1.0 + 1e-9)
"""Half the largest effective-earth curvature γ_e of an accepted path [1/m]."""
_HULL_TOL_M = 1e-9
"""A point leaves the candidate hull only this far [m] below a chord (rounding is ~1e-13)."""
_ANGLE_TOL = 1e-11
"""Receiver-horizon candidates this close [rad] to the best (on the approximate x_2) are
re-evaluated exactly; the approximation errs by ~1e-15."""
_DECILE_MARGIN = 0.02
"""A cell's decile thresholds: the previous cell's deciles, this share of their interdecile
range inside (neighbouring cells' residuals differ little: about p10 + 3 lie beyond them,
at least p10 in 96 % of an Ngazidja site's cells at 30 m)."""
_DECILE_WIDE = 10.0
"""When fewer than p10 lie beyond a threshold: once more, this many margins inside (the
rest, under 1 %, select over all the residuals)."""


@nb.njit(cache=True)
def work_sizes(radius_cells):
    """Lengths of the float64 and int64 scratch :func:`itm_ray_to_window` needs."""
    r = radius_cells + 2
    return 5 * r + DELTA_H_WORK + 3, r + 2


@nb.njit(cache=True)
def subtract_repeatedly(v, s, k):
    """fl(…fl(fl(v − s) − s)… − s) with k subtractions (0 < k·s < v): the distance x_2 to
    the receiver that NTIA's horizon loop reaches by decrementing it once per sample, to
    the bit, in a few steps per binade instead of k.

    While v − s stays in v's binade [2^e, 2^(e+1)) (ulp U), rounding v − s to U's grid is
    v − s' with s' = s rounded to a multiple of U (v is one): every such step subtracts the
    same s', so n of them subtract n·s' exactly. A step that leaves the binade, or an s
    exactly half-way between multiples of U (ties to even alternate), is taken as is.
    """
    while k > 0:
        _mant, ex = math.frexp(v)  # v in [2^(ex-1), 2^ex)
        lo = math.ldexp(1.0, ex - 1)
        ulp = math.ldexp(1.0, ex - 53)
        q = s / ulp  # exact: a power-of-two scaling
        fq = math.floor(q)
        frac = q - fq
        room = v - lo  # exact: multiples of ulp in [0, lo)
        if frac == 0.5 or room < s:
            v = v - s
            k -= 1
            continue
        sp = (fq + 1.0 if frac > 0.5 else fq) * ulp
        n = min(k, int((room - s) / sp) + 1)  # steps whose exact result stays >= lo
        while n > 1 and room - (n - 1) * sp < s:
            n -= 1
        while n < k and room - n * sp >= s:
            n += 1
        v = v - n * sp
        k -= n
    return v


@nb.njit(cache=True)
def _delta_h_ray(z, n_prof, x_i, d_start, d_end, work, thresholds):
    """Δh of ``z[:n_prof + 1]`` between two distances, as :func:`._itm.compute_delta_h_into`.

    The same resampling, least-squares line and interdecile range ("dlthx"), computed
    in two passes whose iterations do not wait on each other: sample j sits at x_start +
    j·Δx (the original adds Δx to a running position and steps it back a sample at a
    time), and the fitted line at j is fit_1 + j·slope (the original adds the slope up);
    the fit's two sums are taken in the first pass. These differ from the original's
    running sums in the last bits (~1e-13 m), and linear interpolation is continuous, so
    a sample that falls the other side of a profile point by that much moves by as
    little. The deciles come from the residuals beyond thresholds just inside the
    previous cell's deciles (``thresholds`` (2,): its p10-th largest and smallest
    residual, NaN before the first; updated here), exact whenever at least p10 lie beyond
    each; else from a threshold further in; else from :func:`._itm.decile_pair` over all.
    """
    x_start = d_start / x_i
    x_end = d_end / x_i
    if x_end - x_start < 2.0:
        return 0.0
    p10 = int(0.1 * (x_end - x_start + 8.0))
    p10 = min(max(4, p10), 25)
    n = 10 * p10 - 5
    n_s = float(n - 1)
    s = work[:n]
    x_step = (x_end - x_start) / n_s
    last = n_prof - 1  # the last segment's first sample
    first = int(x_start)
    sum_y = 0.0
    sum_xy = 0.0
    x_c = -0.5 * n_s  # abscissa of sample j about the middle, as linear_fit's
    for j in range(n):
        pos = x_start + j * x_step
        i = min(max(int(pos), first), last)
        v = z[i + 1] + (z[i + 1] - z[i]) * (pos - (i + 1))
        s[j] = v
        sum_y += v
        sum_xy += v * (x_c + j)
    # linear_fit(s, n - 1, 1.0, 0.0, n - 1): the end samples weigh one half
    sum_y -= 0.5 * (s[0] + s[n - 1])
    sum_xy -= 0.5 * (s[0] * x_c - s[n - 1] * x_c)
    sum_y = sum_y / n_s
    scaled = sum_xy * 12.0 / ((n_s * n_s + 2.0) * n_s)
    fit_1 = sum_y + scaled * x_c
    fit_2 = sum_y - scaled * x_c
    slope = (fit_2 - fit_1) / n_s
    # the previous cell's deciles, a little inside: about p10 + 3 residuals lie beyond
    q10_prev = thresholds[0]
    q90_prev = thresholds[1]
    margin = _DECILE_MARGIN * (q10_prev - q90_prev)  # NaN before the first cell
    t_hi = q10_prev - margin
    t_lo = q90_prev + margin
    hi = work[n : 2 * n]
    lo = work[2 * n : 3 * n]
    c_hi = 0
    c_lo = 0
    for j in range(n):  # residuals in place, those beyond the thresholds copied apart
        x = s[j] - (fit_1 + j * slope)
        s[j] = x
        hi[c_hi] = x
        c_hi += x >= t_hi
        lo[c_lo] = x
        c_lo += x <= t_lo
    buf = work[3 * n : 4 * n]
    if c_hi < p10 and margin > 0.0:  # set too far in: once more, further out
        c_hi = _beyond(s, n, q10_prev - _DECILE_WIDE * margin, True, hi)
    if c_lo < p10 and margin > 0.0:
        c_lo = _beyond(s, n, q90_prev + _DECILE_WIDE * margin, False, lo)
    if c_hi >= p10 and c_lo >= p10:
        q10 = _kth_largest_of_few(hi, c_hi, p10, buf)
        q90 = -_kth_largest_of_few_negated(lo, c_lo, p10, buf)
    else:
        q10, q90 = decile_pair(s, n, p10, work[n:])
    thresholds[0] = q10
    thresholds[1] = q90
    delta_h_d = q10 - q90
    return delta_h_d / (1.0 - 0.8 * math.exp(-(d_end - d_start) / 50e3))


@nb.njit(cache=True)
def _beyond(s, n, t, upper, out):
    """Copy the values of ``s[:n]`` at or above ``t`` (``upper``) or at or below it into
    ``out``; returns how many."""
    c = 0
    for j in range(n):
        x = s[j]
        out[c] = x
        c += (x >= t) if upper else (x <= t)
    return c


@nb.njit(cache=True)
def _smallest_8(a, c, sign):
    """The 8 smallest of ``sign · a[:c]``, ascending (+inf past c), branch-free: each
    value slides into a sorted run of eight registers by min / max."""
    b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = np.inf
    for j in range(c):
        x = sign * a[j]
        b7 = min(b7, max(b6, x))
        b6 = min(b6, max(b5, x))
        b5 = min(b5, max(b4, x))
        b4 = min(b4, max(b3, x))
        b3 = min(b3, max(b2, x))
        b2 = min(b2, max(b1, x))
        b1 = min(b1, max(b0, x))
        b0 = min(b0, x)
    return b0, b1, b2, b3, b4, b5, b6, b7


@nb.njit(cache=True)
def _kth_smallest_signed(a, c, r, buf, sign):
    """The r-th smallest of ``sign · a[:c]`` (1 ≤ r ≤ c): branch-free for r ≤ 8, else by
    insertion into ``buf`` (the r smallest, ascending)."""
    if r <= 8:
        return _smallest_8(a, c, sign)[r - 1]
    for j in range(r):
        x = sign * a[j]
        i = j
        while i > 0 and buf[i - 1] > x:
            buf[i] = buf[i - 1]
            i -= 1
        buf[i] = x
    for j in range(r, c):
        x = sign * a[j]
        if x < buf[r - 1]:
            i = r - 1
            while i > 0 and buf[i - 1] > x:
                buf[i] = buf[i - 1]
                i -= 1
            buf[i] = x
    return buf[r - 1]


@nb.njit(cache=True)
def _kth_largest_of_few(a, c, k, buf):
    """The k-th largest of ``a[:c]`` (k ≤ c): the (c − k + 1)-th smallest."""
    return _kth_smallest_signed(a, c, c - k + 1, buf, 1.0)


@nb.njit(cache=True)
def _kth_largest_of_few_negated(a, c, k, buf):
    """The k-th largest of ``−a[:c]``, i.e. minus the k-th smallest of ``a[:c]``."""
    return _kth_smallest_signed(a, c, c - k + 1, buf, -1.0)


@nb.njit(cache=True)
def _cell_loss(
    z,
    m,
    step_m,
    prefix,
    x1,
    hull,
    n_hull,
    angles,
    h_tx_m,
    h_rx_m,
    f_mhz,
    n_0,
    z_g,
    climate,
    var_setup,
    f_third,
    f_mthird,
    work,
    thresholds,
    fit_cache,
    fit_1_cached,
):
    """ITM basic transmission loss [dB] from the site to ray sample m (m ≥ 2), as
    :func:`._itm.itm_p2p_tls_kernel` on ``z[:m + 1]``; NaN where it reports an error.
    ``thresholds``, ``fit_cache`` (int64 (2,): the samples of the last transmitter-side
    fit) and ``fit_1_cached`` ((1,): its value) carry along the ray."""
    # N_s as surface_refractivity: mean of samples p10 .. m - p10
    p10 = int(0.1 * m)
    h_sys = (prefix[m - p10 + 1] - prefix[p10]) / (m - 2 * p10 + 1)
    n_s = n_0 if h_sys == 0.0 else n_0 * math.exp(-h_sys / 9460.0)
    gamma_e = _GAMMA_A * (1.0 - 0.04665 * math.exp(n_s / 179.3))

    # quick_profile: horizons over the hull's candidates, in sample order
    d = m * step_m
    a_e = 1.0 / gamma_e
    z_1 = z[0] + h_tx_m
    z_2 = z[m] + h_rx_m
    theta_1 = (z_2 - z_1) / d - d / (2.0 * a_e)
    theta_2 = -(z_2 - z_1) / d - d / (2.0 * a_e)
    d_l1 = d
    d_l2 = d
    best_2 = theta_2
    for c in range(n_hull):
        k = hull[c]
        x_1 = x1[k]
        th_1 = (z[k] - z_1) / x_1 - x_1 / (2.0 * a_e)
        if th_1 > theta_1:
            theta_1 = th_1
            d_l1 = x_1
        x_2 = d - x_1  # within a few ulps of the original's decremented x_2
        th_2 = -(z_2 - z[k]) / x_2 - x_2 / (2.0 * a_e)
        angles[c] = th_2
        if th_2 > best_2:
            best_2 = th_2
    # the receiver's horizon with the original's own x_2 (its 0.9·d_L2 is an integer number
    # of samples often enough that a last-bit difference would move a fit's end sample):
    # every candidate within rounding of the best, in sample order, strict comparison
    for c in range(n_hull):
        if angles[c] >= best_2 - _ANGLE_TOL:
            k = hull[c]
            x_2 = subtract_repeatedly(d, step_m, k)
            th_2 = -(z_2 - z[k]) / x_2 - x_2 / (2.0 * a_e)
            if th_2 > theta_2:
                theta_2 = th_2
                d_l2 = x_2
    h1_m = h_tx_m
    h2_m = h_rx_m
    d_start = min(15.0 * h1_m, 0.1 * d_l1)
    d_end = d - min(15.0 * h2_m, 0.1 * d_l2)
    delta_h = _delta_h_ray(z, m, step_m, d_start, d_end, work, thresholds)
    path = z[: m + 1]
    if d_l1 + d_l2 > 1.5 * d:
        fit_1, fit_2 = linear_fit(path, m, step_m, d_start, d_end)
        h_e1 = h1_m + max(z[0] - fit_1, 0.0)
        h_e2 = h2_m + max(z[m] - fit_2, 0.0)
        d_l1 = math.sqrt(2.0 * h_e1 * a_e) * math.exp(-0.07 * math.sqrt(delta_h / max(h_e1, 5.0)))
        d_l2 = math.sqrt(2.0 * h_e2 * a_e) * math.exp(-0.07 * math.sqrt(delta_h / max(h_e2, 5.0)))
        d_l = d_l1 + d_l2
        if d_l <= d:
            q = (d / d_l) ** 2
            h_e1 = h_e1 * q
            d_l1 = math.sqrt(2.0 * h_e1 * a_e) * math.exp(
                -0.07 * math.sqrt(delta_h / max(h_e1, 5.0))
            )
            h_e2 = h_e2 * q
            d_l2 = math.sqrt(2.0 * h_e2 * a_e) * math.exp(
                -0.07 * math.sqrt(delta_h / max(h_e2, 5.0))
            )
        q = math.sqrt(2.0 * h_e1 * a_e)
        theta_1 = (0.65 * delta_h * (q / d_l1 - 1.0) - 2.0 * h_e1) / q
        q = math.sqrt(2.0 * h_e2 * a_e)
        theta_2 = (0.65 * delta_h * (q / d_l2 - 1.0) - 2.0 * h_e2) / q
    else:
        # the transmitter's fit depends on its samples only: reused while they stay
        i_a, i_b = fit_range(m, step_m, d_start, 0.9 * d_l1)
        if i_a != fit_cache[0] or i_b != fit_cache[1]:
            fit_cache[0] = i_a
            fit_cache[1] = i_b
            fit_1_cached[0] = fit_samples(path, m, i_a, i_b)[0]
        fit_1 = fit_1_cached[0]
        h_e1 = h1_m + max(z[0] - fit_1, 0.0)
        _unused, fit_2 = linear_fit(path, m, step_m, d - 0.9 * d_l2, d_end)
        h_e2 = h2_m + max(z[m] - fit_2, 0.0)

    a_ref, _w, _mode, err = longley_rice_f(
        theta_1,
        theta_2,
        f_mhz,
        z_g,
        d_l1,
        d_l2,
        h_e1,
        h_e2,
        gamma_e,
        n_s,
        delta_h,
        h1_m,
        h2_m,
        d,
        False,
        f_third,
        f_mthird,
    )
    if err != 0:
        return math.nan
    a_fs = ntia_free_space_loss_db(d, f_mhz)
    a_var, _w = variability_from_setup(var_setup, h_e1, h_e2, delta_h, d, a_ref, climate)
    return a_var + a_fs


@nb.njit(cache=True)
def itm_ray_to_window(
    z, step_m, n, samples, cells, h_tx_m, h_rx_m, f_mhz, params, work, iwork, window
):
    """ITM loss [dB] at the cells one ray owns, written into ``window`` (flat, float32).

    ``z[:n]`` is the ray's terrain (sample 0 the site), spaced ``step_m``; ``samples``
    (ascending) and ``cells`` are the ray's part of ``_radial.owned_cells``. ``params``
    as ``_radial.ray_losses`` reads them (N_0, polarisation 1 vertical, ε, σ, climate,
    mdvar, time / location / situation %). The cell one sample out gets free space (ITM
    needs three profile points), as the per-cell sweep does; NaN where ITM reports an
    error. ``work`` and ``iwork`` are scratch of the lengths :func:`work_sizes` gives.
    """
    n_0 = params[0]
    pol = int(params[1])
    epsilon = params[2]
    sigma = params[3]
    climate = int(params[4])
    mdvar = int(params[5])
    time = params[6]
    location = params[7]
    situation = params[8]
    _warnings, err = _common_checks(
        h_tx_m, h_rx_m, climate, time, location, situation, f_mhz, pol, epsilon, sigma, mdvar
    )
    _gamma, z_g = _ground_constants(n_0, f_mhz, pol, epsilon, sigma)
    # what does not depend on the path, once per ray (the same values the kernel computes)
    var_setup = variability_setup(time, location, situation, f_mhz, climate, mdvar)
    f_third = f_mhz**_THIRD
    f_mthird = f_mhz ** (-_THIRD)
    r = n + 1
    prefix = work[:r]
    x1 = work[r : 2 * r]
    hx = work[2 * r : 3 * r]
    hw = work[3 * r : 4 * r]
    angles = work[4 * r : 5 * r]
    thresholds = work[5 * r : 5 * r + 2]
    fit_1_cached = work[5 * r + 2 : 5 * r + 3]
    dh_work = work[5 * r + 3 :]
    hull = iwork[:r]
    fit_cache = iwork[r : r + 2]
    fit_cache[0] = -1
    fit_cache[1] = -1
    acc = 0.0
    x = 0.0
    prefix[0] = 0.0
    x1[0] = 0.0
    for i in range(n):
        acc += z[i]
        prefix[i + 1] = acc
        if i > 0:
            x += step_m  # as find_horizons accumulates x_1
            x1[i] = x
    thresholds[0] = math.nan  # no previous cell: the first one selects over all
    thresholds[1] = math.nan
    n_hull = 0
    pushed = 1  # next interior sample to add to the hull
    for k in range(samples.shape[0]):
        m = samples[k]
        if m >= n:
            break
        if m < 2:
            dz = z[1] + h_rx_m - z[0] - h_tx_m
            window[cells[k]] = free_space_loss_db(math.sqrt(step_m * step_m + dz * dz), f_mhz)
            continue
        if err != 0:
            window[cells[k]] = math.nan
            continue
        while pushed < m:  # the hull of samples 1 .. m - 1
            xp = x1[pushed]
            wp = z[pushed] - xp * xp * _U_MAX
            while n_hull >= 2:
                xa = hx[n_hull - 2]
                wa = hw[n_hull - 2]
                chord = wa + (wp - wa) * (hx[n_hull - 1] - xa) / (xp - xa)
                if hw[n_hull - 1] < chord - _HULL_TOL_M:
                    n_hull -= 1
                else:
                    break
            hx[n_hull] = xp
            hw[n_hull] = wp
            hull[n_hull] = pushed
            n_hull += 1
            pushed += 1
        window[cells[k]] = _cell_loss(
            z,
            m,
            step_m,
            prefix,
            x1,
            hull,
            n_hull,
            angles,
            h_tx_m,
            h_rx_m,
            f_mhz,
            n_0,
            z_g,
            climate,
            var_setup,
            f_third,
            f_mthird,
            dh_work,
            thresholds,
            fit_cache,
            fit_1_cached,
        )
