"""Clutter loss at a terminal, ITU-R P.2108-1 (08/2021).

Two models of the Recommendation, NumPy-vectorised, frequencies in MHz:

* :func:`height_gain_correction_db`, the height-gain terminal correction model (§3.1,
  30 MHz-3 GHz): the loss a terminal of height h inside clutter of representative height
  R and street width w_s sees, by clutter type (Table 3);
* :func:`terrestrial_statistical_loss_db`, the terrestrial terminal statistical model
  (§3.2, 0.5-67 GHz): the clutter loss not exceeded at p % of locations for a
  terrestrial path of length d, the loss at 2 km being its largest (§3.2, eq. 6).

Written from the Recommendation's equations; NTIA's C++ reference implementation
(NTIA/p2108 v1.1) gives the values ``tests/propagation/test_clutter.py`` checks against.
"""

from __future__ import annotations

import numpy as np

from rural_plan.errors import PropagationError
from rural_plan.scenario.names import CLUTTER_TYPE_NAMES

CLUTTER_TYPES: tuple[str, ...] = CLUTTER_TYPE_NAMES
"""P.2108-1 Table 3 clutter types (in that order: codes 1-6 of NTIA's implementation)."""

DEFAULT_CLUTTER_HEIGHT_M: dict[str, float] = {
    "water-sea": 10.0,
    "open-rural": 10.0,
    "suburban": 10.0,
    "urban": 15.0,
    "trees-forest": 15.0,
    "dense-urban": 20.0,
}
"""Representative clutter height R [m] of each type, P.2108-1 Table 3."""

DEFAULT_STREET_WIDTH_M = 27.0
"""Street width w_s [m] P.2108-1 §3.1 advises where no local value is known."""

_KNIFE_EDGE_TYPES = frozenset({"suburban", "urban", "trees-forest", "dense-urban"})
"""Types whose correction is the knife-edge form (eq. 2a); the others use eq. 2b."""


def _array(name: str, value, lo: float, hi: float, unit: str) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(a) | (a < lo) | (a > hi)
    if bad.any():
        v = a[bad].flat[0] if a.ndim else float(a)
        raise PropagationError(
            f"P.2108: {name} = {v:g} {unit} is outside the valid range {lo:g}..{hi:g} {unit}"
        )
    return a


def clutter_codes(clutter_type) -> np.ndarray:
    """Indices into :data:`CLUTTER_TYPES` of the names in ``clutter_type``; an unknown
    name lists the valid ones."""
    names = np.asarray(clutter_type, dtype=object)
    flat = names.reshape(-1)
    out = np.empty(flat.size, dtype=np.int64)
    for k, name in enumerate(flat):
        try:
            out[k] = CLUTTER_TYPES.index(str(name))
        except ValueError:
            raise PropagationError(
                f"P.2108: unknown clutter type {name!r}; valid: {', '.join(CLUTTER_TYPES)}"
            ) from None
    return out.reshape(names.shape)


def knife_edge_j_db(nu):
    """J(ν) [dB], ITU-R P.526 eq. (31) as P.2108 eq. (2a) uses it (0 for ν ≤ -0.78)."""
    nu = np.asarray(nu, dtype=np.float64)
    t = nu - 0.1
    return np.where(nu <= -0.78, 0.0, 6.9 + 20.0 * np.log10(np.sqrt(t * t + 1.0) + t))


def height_gain_correction_db(f_mhz, h_m, street_width_m, clutter_height_m, clutter_type):
    """Height-gain terminal correction A_h [dB], P.2108-1 §3.1 (30 MHz-3 GHz).

    ``f_mhz`` [MHz], ``h_m`` terminal height above ground [m], ``street_width_m`` w_s [m],
    ``clutter_height_m`` R [m], ``clutter_type`` a name of :data:`CLUTTER_TYPES`
    (arrays broadcast). A terminal at or above R sees none. Otherwise, with
    h_dif = R − h (eq. 2d), θ_clut = arctan(h_dif / w_s) [degrees] (eq. 2e):
    water/sea and open/rural: A_h = −K_h2 log10(h / R), K_h2 = 21.8 + 6.2 log10(f_GHz)
    (eqs. 2b, 2f); the other types: A_h = J(ν) − 6.03, ν = K_ν sqrt(h_dif θ_clut),
    K_ν = 0.342 sqrt(f_GHz) (eqs. 2a, 2c, 2g).

    >>> round(float(height_gain_correction_db(900.0, 1.5, 27.0, 10.0, "open-rural")), 3)
    17.727
    """
    f_ghz = _array("f_mhz", f_mhz, 30.0, 3000.0, "MHz") / 1000.0
    h = _array("h_m", h_m, np.nextafter(0.0, 1.0), np.inf, "m")
    w_s = _array("street_width_m", street_width_m, np.nextafter(0.0, 1.0), np.inf, "m")
    r = _array("clutter_height_m", clutter_height_m, np.nextafter(0.0, 1.0), np.inf, "m")
    code = clutter_codes(clutter_type)
    f_ghz, h, w_s, r, code = np.broadcast_arrays(f_ghz, h, w_s, r, code)
    h_dif = r - h
    theta_deg = np.degrees(np.arctan(h_dif / w_s))
    k_h2 = 21.8 + 6.2 * np.log10(f_ghz)
    open_form = -k_h2 * np.log10(h / r)
    nu = 0.342 * np.sqrt(f_ghz) * np.sqrt(np.maximum(h_dif * theta_deg, 0.0))
    edge_form = knife_edge_j_db(nu) - 6.03
    knife = np.isin(code, [CLUTTER_TYPES.index(t) for t in _KNIFE_EDGE_TYPES])
    out = np.where(knife, edge_form, open_form)
    out = np.where(h >= r, 0.0, out)
    return out if out.ndim else float(out)


def inverse_complementary_normal(q):
    """Q⁻¹(q): the x with P(N(0, 1) > x) = q, by the rational approximation of
    Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4) that ITU-R P.1057 gives and the
    P.2108 reference implementation uses."""
    q = np.asarray(q, dtype=np.float64)
    if ((q <= 0.0) | (q >= 1.0)).any():
        raise PropagationError("Q⁻¹(q) needs 0 < q < 1")
    x = np.where(q > 0.5, 1.0 - q, q)
    t = np.sqrt(-2.0 * np.log(x))
    zeta = ((0.010328 * t + 0.802853) * t + 2.515517) / (
        ((0.001308 * t + 0.189269) * t + 1.432788) * t + 1.0
    )
    out = t - zeta
    return np.where(q > 0.5, -out, out)


def _statistical(f_ghz, d_km, p_pct):
    """P.2108-1 eq. (3): L_ctt at distance d (before the 2 km ceiling of eq. 6)."""
    sigma_l, sigma_s = 4.0, 6.0  # eqs. (4b), (5b) [dB]
    l_l = -2.0 * np.log10(10.0 ** (-5.0 * np.log10(f_ghz) - 12.5) + 10.0**-16.5)  # eq. (4a)
    l_s = 32.98 + 23.9 * np.log10(d_km) + 3.0 * np.log10(f_ghz)  # eq. (5a)
    a, b = 10.0 ** (-0.2 * l_l), 10.0 ** (-0.2 * l_s)
    sigma_cb = np.sqrt((sigma_l**2 * a + sigma_s**2 * b) / (a + b))  # eq. (3b)
    return -5.0 * np.log10(a + b) - sigma_cb * inverse_complementary_normal(p_pct / 100.0)


def terrestrial_statistical_loss_db(f_mhz, d_km, p_pct):
    """Clutter loss [dB] not exceeded at ``p_pct`` % of locations for a terrestrial path of
    ``d_km`` [km] at ``f_mhz`` [MHz], P.2108-1 §3.2 (0.5-67 GHz, d ≥ 0.25 km): eq. (3)
    with L_l and L_s of eqs. (4), (5), capped at its value for 2 km (eq. 6).

    >>> round(float(terrestrial_statistical_loss_db(2000.0, 1.0, 50.0)), 2)
    27.87
    """
    f_ghz = _array("f_mhz", f_mhz, 500.0, 67_000.0, "MHz") / 1000.0
    d = _array("d_km", d_km, 0.25, np.inf, "km")
    p = np.asarray(p_pct, dtype=np.float64)
    if (~np.isfinite(p) | (p <= 0.0) | (p >= 100.0)).any():
        raise PropagationError("P.2108: p_pct must lie strictly between 0 and 100 %")
    out = np.minimum(_statistical(f_ghz, 2.0, p), _statistical(f_ghz, d, p))
    return out if np.ndim(out) else float(out)
