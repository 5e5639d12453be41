"""Empirical path-loss models with their validity ranges (typed wrappers of :mod:`._empirical`).

Every function takes scalars or a 1-D array of distances and returns a float or a float64
array of basic transmission loss [dB]. Outside the published validity range of a model a
:class:`~rural_plan.errors.PropagationError` names the parameter, the value and the range,
unless ``allow_extrapolation=True``. Non-finite or non-positive inputs always raise (the
formulae take their logarithms).

Validity ranges
---------------
* Okumura-Hata (Hata 1980): f 150–1500 MHz, h_b 30–200 m, h_m 1–10 m, d 1–20 km.
* COST-231 Hata (COST 231 final report §4.4.1): f 1500–2000 MHz, h_b 30–200 m, h_m 1–10 m,
  d 1–20 km.
* 3GPP TR 38.901 RMa (Table 7.4.1-1): d_2D 10 m–10 km (LOS) / 10 m–5 km (NLOS),
  h_BS 10–150 m, h_UT 1–10 m, h 5–50 m, W 5–50 m; f 0.5–30 GHz (§7.4.1 scope of RMa).
* Free space (ITU-R P.525-4): any f > 0, d > 0.
"""

from __future__ import annotations

import numpy as np

from rural_plan.errors import PropagationError
from rural_plan.propagation import _empirical as _k
from rural_plan.scenario.names import MODEL_VALIDITY
from rural_plan.scenario.schema import RmaParams, field_range

__all__ = [
    "cost231_hata_loss_db",
    "hata_open_loss_db",
    "hata_suburban_loss_db",
    "hata_urban_loss_db",
    "rma_los_loss_db",
    "rma_nlos_loss_db",
]

FloatOrArray = float | np.ndarray

_HATA = MODEL_VALIDITY["okumura-hata"]
_RMA = MODEL_VALIDITY["3gpp-rma"]
_HATA_RANGES = {
    "f_mhz": (*_HATA["f_mhz"], "MHz"),
    "h_b_m": (*_HATA["h_tx_m"], "m"),
    "h_m_m": (*_HATA["h_rx_m"], "m"),
    "d_km": (_HATA["d_m"][0] / 1000.0, _HATA["d_m"][1] / 1000.0, "km"),
}
_COST231_RANGES = {
    **_HATA_RANGES,
    "f_mhz": (*MODEL_VALIDITY["cost231-hata"]["f_mhz"], "MHz"),
}
_RMA_RANGES = {
    "f_mhz": (*_RMA["f_mhz"], "MHz"),
    "h_bs_m": (*_RMA["h_tx_m"], "m"),
    "h_ut_m": (*_RMA["h_rx_m"], "m"),
    "h_m": (*field_range(RmaParams, "building_height_m"), "m"),
    "w_m": (*field_range(RmaParams, "street_width_m"), "m"),
}
_RMA_LOS_D = (*_RMA["d_m"], "m")
_RMA_NLOS_D = (10.0, 5_000.0, "m")


def _check(model: str, values: dict[str, FloatOrArray], ranges: dict, allow: bool) -> None:
    """Raise PropagationError for a non-finite / non-positive value, or one out of range."""
    for name, value in values.items():
        arr = np.asarray(value, dtype=float)
        bad = ~np.isfinite(arr) | (arr <= 0.0)
        if bad.any():
            v = arr[bad].flat[0] if arr.ndim else float(arr)
            raise PropagationError(f"{model}: {name} = {v:g} must be finite and > 0")
        lo, hi, unit = ranges[name]
        out = (arr < lo) | (arr > hi)
        if out.any() and not allow:
            v = arr[out].flat[0] if arr.ndim else float(arr)
            raise PropagationError(
                f"{model}: {name} = {v:g} {unit} is outside the valid range {lo:g}–{hi:g} {unit}"
                " (allow extrapolation to evaluate anyway: --allow-extrapolation,"
                " radio.allow_extrapolation: true, or allow_extrapolation=True)"
            )


def _evaluate(model: int, f_mhz, d_m, h_b_m, h_m_m, large_city, h_bld_m=0.0, w_m=0.0):
    """Scalar kernel for a scalar distance, the njit loop for an array."""
    d_arr = np.asarray(d_m, dtype=np.float64)
    args = (float(f_mhz), float(h_b_m), float(h_m_m), bool(large_city), float(h_bld_m), float(w_m))
    if d_arr.ndim == 0:
        f, hb, hm, lc, hbld, w = args
        return float(_k.empirical_loss_db(model, f, float(d_arr), hb, hm, lc, hbld, w))
    if d_arr.ndim != 1:
        raise PropagationError(
            f"distances must be a scalar or a 1-D array, got shape {d_arr.shape}"
        )
    d_flat = np.ascontiguousarray(d_arr)
    out = np.empty_like(d_flat)
    f, hb, hm, lc, hbld, w = args
    _k.empirical_loss_many_db(model, f, d_flat, hb, hm, lc, hbld, w, out)
    return out


def _city(city: str) -> bool:
    if city not in ("medium", "large"):
        raise PropagationError(f"Okumura-Hata: city = {city!r} must be 'medium' or 'large'")
    return city == "large"


def hata_urban_loss_db(
    f_mhz: float,
    d_km: FloatOrArray,
    h_b_m: float,
    h_m_m: float,
    *,
    city: str = "medium",
    allow_extrapolation: bool = False,
) -> FloatOrArray:
    """Okumura-Hata urban loss [dB], Hata (1980) / COST 231 final report eq. (4.4.1).

    ``city``: ``"medium"`` (small / medium city a(h_m)) or ``"large"`` (large-city a(h_m)).
    """
    lc = _city(city)
    _check(
        "Okumura-Hata",
        {"f_mhz": f_mhz, "d_km": d_km, "h_b_m": h_b_m, "h_m_m": h_m_m},
        _HATA_RANGES,
        allow_extrapolation,
    )
    return _evaluate(_k.EMP_HATA_URBAN, f_mhz, np.asarray(d_km, float) * 1e3, h_b_m, h_m_m, lc)


def hata_suburban_loss_db(
    f_mhz: float,
    d_km: FloatOrArray,
    h_b_m: float,
    h_m_m: float,
    *,
    city: str = "medium",
    allow_extrapolation: bool = False,
) -> FloatOrArray:
    """Okumura-Hata suburban loss [dB], Hata (1980): urban − 2 log²(f/28) − 5.4."""
    lc = _city(city)
    _check(
        "Okumura-Hata suburban",
        {"f_mhz": f_mhz, "d_km": d_km, "h_b_m": h_b_m, "h_m_m": h_m_m},
        _HATA_RANGES,
        allow_extrapolation,
    )
    return _evaluate(_k.EMP_HATA_SUBURBAN, f_mhz, np.asarray(d_km, float) * 1e3, h_b_m, h_m_m, lc)


def hata_open_loss_db(
    f_mhz: float,
    d_km: FloatOrArray,
    h_b_m: float,
    h_m_m: float,
    *,
    city: str = "medium",
    allow_extrapolation: bool = False,
) -> FloatOrArray:
    """Okumura-Hata open-area loss [dB], Hata (1980).

    Urban − 4.78 log² f + 18.33 log f − 40.94 (textbook coefficients; ns-3's Octave reference
    script uses 4.70, see ``tests/propagation/test_empirical.py``).
    """
    lc = _city(city)
    _check(
        "Okumura-Hata open",
        {"f_mhz": f_mhz, "d_km": d_km, "h_b_m": h_b_m, "h_m_m": h_m_m},
        _HATA_RANGES,
        allow_extrapolation,
    )
    return _evaluate(_k.EMP_HATA_OPEN, f_mhz, np.asarray(d_km, float) * 1e3, h_b_m, h_m_m, lc)


def cost231_hata_loss_db(
    f_mhz: float,
    d_km: FloatOrArray,
    h_b_m: float,
    h_m_m: float,
    *,
    metropolitan: bool = False,
    allow_extrapolation: bool = False,
) -> FloatOrArray:
    """COST-231 Hata loss [dB], COST 231 final report §4.4.1 eq. (4.4.3).

    ``metropolitan=False``: medium-sized city / suburban centre, small-city a(h_m), C_m = 0;
    ``True``: metropolitan centre, large-city a(h_m) (3.2 log²(11.75 h_m) − 4.97), C_m = 3 dB.
    """
    _check(
        "COST-231 Hata",
        {"f_mhz": f_mhz, "d_km": d_km, "h_b_m": h_b_m, "h_m_m": h_m_m},
        _COST231_RANGES,
        allow_extrapolation,
    )
    return _evaluate(
        _k.EMP_COST231_HATA, f_mhz, np.asarray(d_km, float) * 1e3, h_b_m, h_m_m, metropolitan
    )


def _rma(model, name, d_range, f_mhz, d_2d_m, h_bs_m, h_ut_m, h_m, w_m, allow):
    ranges = {**_RMA_RANGES, "d_2d_m": d_range}
    _check(
        name,
        {
            "f_mhz": f_mhz,
            "d_2d_m": d_2d_m,
            "h_bs_m": h_bs_m,
            "h_ut_m": h_ut_m,
            "h_m": h_m,
            "w_m": w_m,
        },
        ranges,
        allow,
    )
    return _evaluate(model, f_mhz, d_2d_m, h_bs_m, h_ut_m, False, h_m, w_m)


def rma_los_loss_db(
    f_mhz: float,
    d_2d_m: FloatOrArray,
    h_bs_m: float = 35.0,
    h_ut_m: float = 1.5,
    *,
    h_m: float = 5.0,
    w_m: float = 20.0,
    allow_extrapolation: bool = False,
) -> FloatOrArray:
    """3GPP TR 38.901 RMa LOS path loss [dB], Table 7.4.1-1 (PL1 / PL2 with d_BP).

    ``h_m``: average building height [m]; ``w_m``: average street width [m] (defaults are
    38.901's 5 m / 20 m; W does not enter the LOS formula).
    """
    return _rma(
        _k.EMP_RMA_LOS,
        "38.901 RMa LOS",
        _RMA_LOS_D,
        f_mhz,
        d_2d_m,
        h_bs_m,
        h_ut_m,
        h_m,
        w_m,
        allow_extrapolation,
    )


def rma_nlos_loss_db(
    f_mhz: float,
    d_2d_m: FloatOrArray,
    h_bs_m: float = 35.0,
    h_ut_m: float = 1.5,
    *,
    h_m: float = 5.0,
    w_m: float = 20.0,
    allow_extrapolation: bool = False,
) -> FloatOrArray:
    """3GPP TR 38.901 RMa NLOS path loss [dB] = max(PL_RMa-LOS, PL'_RMa-NLOS), Table 7.4.1-1."""
    return _rma(
        _k.EMP_RMA_NLOS,
        "38.901 RMa NLOS",
        _RMA_NLOS_D,
        f_mhz,
        d_2d_m,
        h_bs_m,
        h_ut_m,
        h_m,
        w_m,
        allow_extrapolation,
    )
