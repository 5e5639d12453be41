"""Terrain-profile diffraction models with input checks (typed wrappers of :mod:`._diffraction`).

Profiles: ``d_m`` distances from the transmitter [m] (1-D, strictly ascending, first 0),
``h_m`` terrain heights above sea level [m], transmitter first; antenna heights above
ground; ``a_e_m`` effective earth radius [m] (see :func:`effective_earth_radius_m`).

Ranges checked (``allow_extrapolation=True`` skips the range checks, never the physical
ones: finite inputs, f > 0, a_e > 0, 0 ≤ ω ≤ 1, antenna heights ≥ 0, or > 0 where the
spherical-earth method takes their square roots / logarithms):

* delta-Bullington and spherical earth, the P.1812-6 method (§1 / Table 1): f 30–6000 MHz,
  antenna heights 1–3000 m above ground, path length 0.25–3000 km.
* Bullington, Deygout and the single knife edge (P.526-15 §4) publish no numeric limits;
  only the physical checks apply.

For per-cell loops call the kernels of :mod:`rural_plan.propagation._diffraction` directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rural_plan.errors import PropagationError
from rural_plan.propagation import _diffraction as _k
from rural_plan.scenario.names import MODEL_VALIDITY
from rural_plan.units import EARTH_RADIUS_M

__all__ = [
    "BullingtonResult",
    "DeltaBullingtonResult",
    "DeygoutResult",
    "KnifeEdgeResult",
    "PathGeometry",
    "SphericalEarthResult",
    "bullington",
    "delta_bullington",
    "deygout",
    "effective_earth_radius_m",
    "knife_edge",
    "path_geometry",
    "spherical_earth",
]


_P1812_F_MHZ = MODEL_VALIDITY["delta-bullington"]["f_mhz"]
_P1812_H_M = (1.0, 3000.0)
_P1812_D_M = (250.0, 3_000_000.0)


def effective_earth_radius_m(
    *, delta_n: float | None = None, k_factor: float | None = None
) -> float:
    """Effective earth radius a_e [m] from ΔN or from k.

    ``delta_n`` (N-units/km, positive): a_e = 6371 · 157/(157 − ΔN) km, P.1812-6 eq. (7a)
    (= P.452-17 eq. 5). ``k_factor``: a_e = k · 6371 km.
    """
    if (delta_n is None) == (k_factor is None):
        raise PropagationError("effective_earth_radius_m: give exactly one of delta_n, k_factor")
    if delta_n is not None:
        if not (np.isfinite(delta_n) and delta_n < 157.0):
            raise PropagationError(f"delta_n = {delta_n:g} N-units/km must be finite and < 157")
        return EARTH_RADIUS_M * 157.0 / (157.0 - delta_n)
    if not (np.isfinite(k_factor) and k_factor > 0.0):
        raise PropagationError(f"k_factor = {k_factor:g} must be finite and > 0")
    return EARTH_RADIUS_M * k_factor


def _pol(pol) -> int:
    if pol in ("horizontal", "h", _k.POL_HORIZONTAL):
        return _k.POL_HORIZONTAL
    if pol in ("vertical", "v", _k.POL_VERTICAL):
        return _k.POL_VERTICAL
    raise PropagationError(f"pol = {pol!r} must be 'horizontal' (1) or 'vertical' (2)")


def _profile(d_m, h_m, name: str) -> tuple[np.ndarray, np.ndarray]:
    d = np.ascontiguousarray(d_m, dtype=np.float64)
    h = np.ascontiguousarray(h_m, dtype=np.float64)
    if d.ndim != 1 or h.ndim != 1 or d.shape != h.shape:
        raise PropagationError(
            f"{name}: d_m and h_m must be 1-D arrays of one length, got {d.shape} and {h.shape}"
        )
    if d.shape[0] < 2:
        raise PropagationError(f"{name}: the profile needs at least 2 points, got {d.shape[0]}")
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(h))):
        raise PropagationError(f"{name}: d_m and h_m must be finite")
    if d[0] != 0.0:
        raise PropagationError(f"{name}: d_m[0] = {d[0]:g} m must be 0 (the transmitter)")
    steps = np.diff(d)
    if np.any(steps <= 0.0):
        i = int(np.argmax(steps <= 0.0))
        raise PropagationError(
            f"{name}: d_m must be strictly ascending, d_m[{i + 1}] = {d[i + 1]:g} m"
            f" after d_m[{i}] = {d[i]:g} m"
        )
    return d, h


def _scalar(name: str, model: str, value: float, lo: float, *, strict: bool) -> float:
    v = float(value)
    if not np.isfinite(v) or (v <= lo if strict else v < lo):
        rel = ">" if strict else "≥"
        raise PropagationError(f"{model}: {name} = {v:g} must be finite and {rel} {lo:g}")
    return v


def _in_range(
    model: str, name: str, value: float, lo: float, hi: float, unit: str, allow: bool
) -> None:
    if not allow and not (lo <= value <= hi):
        raise PropagationError(
            f"{model}: {name} = {value:g} {unit} is outside the valid range {lo:g}–{hi:g} {unit}"
            " (allow extrapolation to evaluate anyway: --allow-extrapolation,"
            " radio.allow_extrapolation: true, or allow_extrapolation=True)"
        )


def _common(model, d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, *, strict_heights: bool):
    d, h = _profile(d_m, h_m, model)
    h_tx = _scalar("h_tx_m", model, h_tx_m, 0.0, strict=strict_heights)
    h_rx = _scalar("h_rx_m", model, h_rx_m, 0.0, strict=strict_heights)
    f = _scalar("f_mhz", model, f_mhz, 0.0, strict=True)
    a_e = _scalar("a_e_m", model, a_e_m, 0.0, strict=True)
    return d, h, h_tx, h_rx, f, a_e


def _p1812_ranges(model, d, h_tx, h_rx, f, allow):
    _in_range(model, "f_mhz", f, *_P1812_F_MHZ, "MHz", allow)
    _in_range(model, "h_tx_m", h_tx, *_P1812_H_M, "m", allow)
    _in_range(model, "h_rx_m", h_rx, *_P1812_H_M, "m", allow)
    _in_range(model, "path length d_m[-1]", float(d[-1]), *_P1812_D_M, "m", allow)


def _omega(model, omega) -> float:
    w = float(omega)
    if not (np.isfinite(w) and 0.0 <= w <= 1.0):
        raise PropagationError(
            f"{model}: omega = {w:g} (fraction of the path over sea) must be in 0–1"
        )
    return w


@dataclass(frozen=True)
class BullingtonResult:
    """Bullington loss and its construction (P.1812-6 §4.3.1)."""

    loss_db: float  # L_bull, eq. (21)
    l_uc_db: float  # knife-edge loss of the Bullington point
    nu: float  # ν_max (LoS) or ν_b (trans-horizon)
    line_of_sight: bool  # S_tim < S_tr
    s_tim: float  # eq. (13) [m/m]
    s_tr: float  # eq. (14) [m/m]
    s_rim: float  # eq. (17) [m/m], NaN on LoS paths
    d_bp_m: float  # eq. (18) [m], NaN on LoS paths


@dataclass(frozen=True)
class SphericalEarthResult:
    """Spherical-earth diffraction loss (P.1812-6 §4.3.2–4.3.3)."""

    loss_db: float  # L_dsph, eq. (27)
    d_los_m: float  # eq. (22)
    h_se_m: float  # eq. (23), NaN beyond d_los
    h_req_m: float  # eq. (25), NaN beyond d_los
    a_em_m: float  # eq. (26), NaN when not used
    l_dft_db: float  # eq. (28) for the radius used, NaN when not needed
    h_te_m: float  # effective heights above the smooth earth
    h_re_m: float


@dataclass(frozen=True)
class DeltaBullingtonResult:
    """Delta-Bullington loss, its terms and the smooth-earth heights (P.1812-6 §4.3.4)."""

    loss_db: float  # L_d, eq. (39)
    l_bulla_db: float
    l_bulls_db: float
    l_dsph_db: float
    h_ts_m: float  # antenna heights amsl
    h_rs_m: float
    h_st_m: float  # least-squares surface at the terminals, eqs (87)/(88)
    h_sr_m: float
    h_std_m: float  # surface for the diffraction model, eq. (91)
    h_srd_m: float
    h_te_m: float  # h_ts − h_std, eq. (37a)/(38a)
    h_re_m: float  # h_rs − h_srd
    line_of_sight: bool  # of the actual-profile Bullington construction


@dataclass(frozen=True)
class PathGeometry:
    """Path-profile parameters of P.1812-6 Attachment 1 (bare terrain)."""

    line_of_sight: bool
    h_ts_m: float
    h_rs_m: float
    h_st_uncorrected_m: float  # eq. (87)
    h_sr_uncorrected_m: float  # eq. (88)
    h_st_m: float  # eq. (92a)
    h_sr_m: float  # eq. (92b)
    h_std_m: float  # eq. (91)
    h_srd_m: float
    h_te_m: float  # ducting effective heights, eq. (94)
    h_re_m: float
    h_m_m: float  # terrain roughness, eq. (95)
    d_lt_m: float  # horizon distances, eqs (80)/(83)
    d_lr_m: float
    theta_t_mrad: float  # horizon elevation angles, eqs (76)–(82)
    theta_r_mrad: float
    theta_mrad: float  # angular distance, eq. (84)


@dataclass(frozen=True)
class DeygoutResult:
    """Deygout three-edge loss and its edges (indices into the profile, −1: none)."""

    loss_db: float
    l_p_db: float
    l_t_db: float
    l_r_db: float
    nu_p: float
    nu_t: float
    nu_r: float
    i_p: int
    i_t: int
    i_r: int
    t: float
    c_db: float


@dataclass(frozen=True)
class KnifeEdgeResult:
    """Single knife edge at the dominant point of the profile."""

    loss_db: float  # J(ν_max)
    nu: float
    i_edge: int  # profile index, −1 without intermediate points
    h_edge_m: float  # height above the Tx–Rx ray (curvature included)


def bullington(
    d_m, h_m, h_tx_m: float, h_rx_m: float, f_mhz: float, a_e_m: float
) -> BullingtonResult:
    """Bullington diffraction loss of the actual profile, P.526-15 §4.5.1 / P.1812-6 §4.3.1."""
    d, h, h_tx, h_rx, f, a_e = _common(
        "Bullington", d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, strict_heights=False
    )
    out = np.empty(_k.BULL_N_OUT)
    _k.bullington_loss_db(d, h, h_tx, h_rx, f, a_e, out)
    return BullingtonResult(
        loss_db=float(out[_k.BULL_LBULL]),
        l_uc_db=float(out[_k.BULL_LUC]),
        nu=float(out[_k.BULL_NU]),
        line_of_sight=bool(out[_k.BULL_PATHTYPE] == _k.PATH_LOS),
        s_tim=float(out[_k.BULL_STIM]),
        s_tr=float(out[_k.BULL_STR]),
        s_rim=float(out[_k.BULL_SRIM]),
        d_bp_m=float(out[_k.BULL_DBP_M]),
    )


def spherical_earth(
    d_m,
    h_m,
    h_tx_m: float,
    h_rx_m: float,
    f_mhz: float,
    a_e_m: float,
    *,
    omega: float = 0.0,
    pol="horizontal",
    allow_extrapolation: bool = False,
) -> SphericalEarthResult:
    """Spherical-earth diffraction loss of a profile, P.1812-6 §4.3.2 (heights of eq. 38)."""
    model = "Spherical-earth diffraction"
    d, h, h_tx, h_rx, f, a_e = _common(
        model, d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, strict_heights=True
    )
    _p1812_ranges(model, d, h_tx, h_rx, f, allow_extrapolation)
    out = np.empty(_k.SPH_N_OUT)
    _k.spherical_earth_loss_db(d, h, h_tx, h_rx, f, a_e, _omega(model, omega), _pol(pol), out)
    return SphericalEarthResult(*(float(v) for v in out[: _k.SPH_N_OUT]))


def delta_bullington(
    d_m,
    h_m,
    h_tx_m: float,
    h_rx_m: float,
    f_mhz: float,
    a_e_m: float,
    *,
    omega: float = 0.0,
    pol="horizontal",
    clutter_m=None,
    allow_extrapolation: bool = False,
) -> DeltaBullingtonResult:
    """Delta-Bullington diffraction loss, P.1812-6 §4.3.4 / P.526-15 §4.5.2 / P.452-17 §4.2.3.

    ``omega``: fraction of the path over sea (0 … 1); ``pol``: ``"horizontal"`` /
    ``"vertical"``. ``clutter_m``: representative clutter heights R_i [m] per point, added
    to the intermediate points of the actual profile as P.1812-6 §3.2 does (terminals and the
    smooth-earth fit use the bare terrain); ``None`` for bare terrain.
    """
    model = "Delta-Bullington"
    d, h, h_tx, h_rx, f, a_e = _common(
        model, d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, strict_heights=True
    )
    _p1812_ranges(model, d, h_tx, h_rx, f, allow_extrapolation)
    w = _omega(model, omega)
    p = _pol(pol)
    out = np.empty(max(_k.DB_N_OUT, _k.SPH_N_OUT))
    if clutter_m is None:
        _k.delta_bullington_loss_db(d, h, h_tx, h_rx, f, a_e, w, p, out)
    else:
        r = np.ascontiguousarray(clutter_m, dtype=np.float64)
        if r.shape != d.shape or not np.all(np.isfinite(r)) or np.any(r < 0.0):
            raise PropagationError(
                f"{model}: clutter_m must be finite, ≥ 0 and of the profile's shape {d.shape}"
            )
        _k.delta_bullington_clutter_loss_db(d, h, r, h_tx, h_rx, f, a_e, w, p, out)
    return DeltaBullingtonResult(
        loss_db=float(out[_k.DB_LD]),
        l_bulla_db=float(out[_k.DB_LBULLA]),
        l_bulls_db=float(out[_k.DB_LBULLS]),
        l_dsph_db=float(out[_k.DB_LDSPH]),
        h_ts_m=float(out[_k.DB_HTS_M]),
        h_rs_m=float(out[_k.DB_HRS_M]),
        h_st_m=float(out[_k.DB_HST_M]),
        h_sr_m=float(out[_k.DB_HSR_M]),
        h_std_m=float(out[_k.DB_HSTD_M]),
        h_srd_m=float(out[_k.DB_HSRD_M]),
        h_te_m=float(out[_k.DB_HTE_M]),
        h_re_m=float(out[_k.DB_HRE_M]),
        line_of_sight=bool(out[_k.DB_PATHTYPE] == _k.PATH_LOS),
    )


def path_geometry(
    d_m, h_m, h_tx_m: float, h_rx_m: float, f_mhz: float, a_e_m: float
) -> PathGeometry:
    """Horizon angles and distances, smooth-earth and effective heights (P.1812-6 Att. 1)."""
    d, h, h_tx, h_rx, f, a_e = _common(
        "Path geometry", d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, strict_heights=False
    )
    if d.shape[0] < 3:
        raise PropagationError("Path geometry: the profile needs an intermediate point")
    out = np.empty(_k.GEO_N_OUT)
    _k.path_geometry(d, h, h_tx, h_rx, f, a_e, out)
    v = [float(x) for x in out]
    return PathGeometry(v[_k.GEO_PATHTYPE] == _k.PATH_LOS, *v[: _k.GEO_PATHTYPE])


def deygout(
    d_m,
    h_m,
    h_tx_m: float,
    h_rx_m: float,
    f_mhz: float,
    a_e_m: float,
    *,
    empirical_correction: bool = True,
) -> DeygoutResult:
    """Deygout loss with up to three edges (see :func:`._diffraction.deygout_loss_db`).

    ``empirical_correction=True``: P.526-11 §4.4.2 form J_p + T (J_t + J_r + C);
    ``False``: the plain sum J_p + J_t + J_r.
    """
    d, h, h_tx, h_rx, f, a_e = _common(
        "Deygout", d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, strict_heights=False
    )
    out = np.empty(_k.DEY_N_OUT)
    _k.deygout_loss_db(d, h, h_tx, h_rx, f, a_e, bool(empirical_correction), out)
    v = [float(x) for x in out]
    return DeygoutResult(
        loss_db=v[_k.DEY_L],
        l_p_db=v[_k.DEY_LP],
        l_t_db=v[_k.DEY_LT],
        l_r_db=v[_k.DEY_LR],
        nu_p=v[_k.DEY_NU_P],
        nu_t=v[_k.DEY_NU_T],
        nu_r=v[_k.DEY_NU_R],
        i_p=int(v[_k.DEY_I_P]),
        i_t=int(v[_k.DEY_I_T]),
        i_r=int(v[_k.DEY_I_R]),
        t=v[_k.DEY_T],
        c_db=v[_k.DEY_C],
    )


def knife_edge(
    d_m, h_m, h_tx_m: float, h_rx_m: float, f_mhz: float, a_e_m: float
) -> KnifeEdgeResult:
    """Single knife-edge loss J(ν) at the profile point of highest ν (P.526-15 §4.1)."""
    d, h, h_tx, h_rx, f, a_e = _common(
        "Knife edge", d_m, h_m, h_tx_m, h_rx_m, f_mhz, a_e_m, strict_heights=False
    )
    out = np.empty(_k.KE_N_OUT)
    _k.knife_edge_profile_loss_db(d, h, h_tx, h_rx, f, a_e, out)
    return KnifeEdgeResult(
        float(out[_k.KE_J]), float(out[_k.KE_NU]), int(out[_k.KE_I]), float(out[_k.KE_H_M])
    )
