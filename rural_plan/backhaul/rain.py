"""Microwave hops against rain: clear-air link budget, rain fade and availability.

A hop is available while its received power stays above the receiver's threshold; above
~5 GHz what takes it down for whole minutes is rain (ITU-R P.530-17 §2.4: rain counts
against availability, multipath against error performance). For each hop:

- clear-air received power P_rx = P_tx + 2·G − L_fs(d) − γ_gas·d [dBm], with the dish
  gain of ITU-R F.699-8 (G = 20·log10(D/λ) + 7.7 dBi, both ends alike), free-space loss
  of ITU-R P.525 and gaseous attenuation of ITU-R P.676-12 Annex 1 (the region's
  median surface water vapour density, ITU-R P.836-6, and mean temperature, ITU-R
  P.1510-1);
- fade margin M = P_rx − threshold [dB];
- rain fade A_p exceeded for p = 100 − availability % of an average year: ITU-R
  P.530-17 §2.4.1, with the rain rate R0.01 of ITU-R P.837-7 at the hop's midpoint (or
  the scenario's) and the coefficients of ITU-R P.838-3;

and the hop is feasible when A_p ≤ M. The ITU-R methods are those of the ``itur``
package (0.4.0; its P.837 maps ship with it, nothing is downloaded); this module holds
the link budget and the search for the availability a hop reaches.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from rural_plan.units import free_space_loss_db, wavelength_m

P530_MIN_PCT, P530_MAX_PCT = 0.001, 1.0
"""The time percentages P.530-17 §2.4.1's scaling to p holds for (eq. 39)."""


def dish_gain_dbi(diameter_m: float, f_mhz: float) -> float:
    """Boresight gain [dBi] of a parabolic dish: ITU-R F.699-8 eq. (1), the estimate
    G_max = 20·log10(D/λ) + 7.7 (an aperture efficiency of about 60 %)."""
    return 20.0 * math.log10(diameter_m / wavelength_m(f_mhz)) + 7.7


@dataclass(frozen=True)
class RainClimate:
    """What the atmosphere does to hops in one region."""

    gas_db_per_km: float
    """Specific gaseous attenuation at the microwave frequency [dB/km]."""
    water_vapour_g_m3: float
    temperature_k: float


@functools.lru_cache(maxsize=64)
def rain_climate(lon: float, lat: float, f_mhz: float) -> RainClimate:
    """Gaseous attenuation of ITU-R P.676-12 at (``lon``, ``lat``) [deg]: median surface
    water vapour density (P.836-6, p = 50 %), mean surface temperature (P.1510-1),
    standard pressure at sea level (P.835-6)."""
    from itur.models import itu676, itu835, itu836, itu1510

    rho = float(_value(itu836.surface_water_vapour_density(lat, lon, 50.0, 0.0)))
    t_k = float(_value(itu1510.surface_mean_temperature(lat, lon)))
    p_hpa = float(_value(itu835.standard_pressure(0.0)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gamma = float(
            _value(
                itu676.gaseous_attenuation_terrestrial_path(
                    1.0, f_mhz / 1000.0, 0.0, rho, p_hpa, t_k, "exact"
                )
            )
        )
    return RainClimate(gamma, rho, t_k)


def rain_rate_001(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Rain rate exceeded 0.01 % of an average year [mm/h], ITU-R P.837-7 (its maps,
    bilinear)."""
    from itur.models import itu837

    return np.atleast_1d(
        np.asarray(_value(itu837.rainfall_rate(np.asarray(lat), np.asarray(lon), 0.01)), float)
    )


def rain_fade_db(
    d_m: np.ndarray, f_mhz: float, p_pct, r001_mm_h: np.ndarray, tau_deg: float
) -> np.ndarray:
    """Rain attenuation [dB] exceeded for ``p_pct`` % of an average year over terrestrial
    hops ``d_m`` long, ITU-R P.530-17 §2.4.1 (P.838-3 coefficients at polarisation tilt
    ``tau_deg``: 0 horizontal, 90 vertical)."""
    from itur.models import itu530

    d_km = np.atleast_1d(np.asarray(d_m, dtype=np.float64)) / 1000.0
    r001 = np.broadcast_to(np.asarray(r001_mm_h, dtype=np.float64), d_km.shape)
    out = np.zeros_like(d_km)
    wet = (d_km > 0) & (r001 > 0)
    if wet.any():
        # P.530 reads the location only for R0.01, which is given: any lat/lon will do
        zeros = np.zeros(int(wet.sum()))
        with np.errstate(invalid="ignore"):  # itur evaluates P.530's f ≥ 10 GHz branch always
            out[wet] = np.atleast_1d(
                _value(
                    itu530.rain_attenuation(
                        zeros, zeros, d_km[wet], f_mhz / 1000.0, 0.0, p_pct, tau_deg, r001[wet]
                    )
                )
            )
    return out


@dataclass(frozen=True)
class MicrowaveBudget:
    """Per hop: the clear-air link budget and the rain it can take."""

    rx_dbm: np.ndarray
    """Clear-air received power [dBm]."""
    fade_margin_db: np.ndarray
    """Clear-air received power over the receiver threshold [dB]."""
    rain_fade_db: np.ndarray
    """Rain attenuation exceeded for 100 − target availability % of the year [dB]."""
    rain_rate_mm_h: np.ndarray
    """R0.01 used [mm/h]."""
    availability_pct: np.ndarray
    """The availability the hop reaches against rain [%] (P.530 holds for 99 … 99.999:
    a value at a bound means at most / at least)."""

    @property
    def feasible(self) -> np.ndarray:
        return self.rain_fade_db <= self.fade_margin_db


def microwave_budget(
    d_m: np.ndarray,
    mid_lon: np.ndarray,
    mid_lat: np.ndarray,
    *,
    f_mhz: float,
    tx_power_dbm: float,
    dish_diameter_m: float,
    rx_threshold_dbm: float,
    availability_pct: float,
    polarization_tilt_deg: float,
    climate: RainClimate,
    rain_rate_mm_h: float | None = None,
) -> MicrowaveBudget:
    """The link budget and rain fade of hops ``d_m`` [m] long whose midpoints are at
    (``mid_lon``, ``mid_lat``) [deg] (see the module docstring)."""
    d_m = np.atleast_1d(np.asarray(d_m, dtype=np.float64))
    gain = dish_gain_dbi(dish_diameter_m, f_mhz)
    rx = (
        tx_power_dbm
        + 2.0 * gain
        - free_space_loss_db(d_m, f_mhz)
        - climate.gas_db_per_km * d_m / 1000.0
    )
    margin = rx - rx_threshold_dbm
    if rain_rate_mm_h is None:
        r001 = rain_rate_001(mid_lon, mid_lat) if d_m.size else np.empty(0)
    else:
        r001 = np.full(d_m.shape, float(rain_rate_mm_h))
    p = 100.0 - availability_pct
    fade = rain_fade_db(d_m, f_mhz, p, r001, polarization_tilt_deg)
    reached = _availability(d_m, f_mhz, r001, polarization_tilt_deg, margin)
    return MicrowaveBudget(rx, margin, fade, r001, reached)


def _availability(d_m, f_mhz, r001, tau_deg, margin_db) -> np.ndarray:
    """100 − the time percentage p at which the rain fade equals the margin, clipped to
    P.530's range. P.530-17 eq. (34) scales A0.01 by a factor of p and f alone, so the
    factor is tabulated (log-spaced p) from the same method and inverted by
    interpolation."""
    if d_m.size == 0:
        return np.empty(0)
    a001 = rain_fade_db(d_m, f_mhz, 0.01, r001, tau_deg)
    log_p, scale = _scaling(f_mhz, tau_deg)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(a001 > 0, margin_db / a001, np.inf)
    # the factor falls as p grows: interpolate log p over the factor, increasing
    p = 10.0 ** np.interp(q, scale[::-1], log_p[::-1])
    p = np.where(q >= scale[0], P530_MIN_PCT, np.where(q <= scale[-1], P530_MAX_PCT, p))
    return 100.0 - p


@functools.lru_cache(maxsize=16)
def _scaling(f_mhz: float, tau_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """A_p / A0.01 of P.530-17 eq. (34) at 301 log-spaced p over P.530's range."""
    log_p = np.linspace(math.log10(P530_MIN_PCT), math.log10(P530_MAX_PCT), 301)
    ref_d, ref_r = np.array([10_000.0]), np.array([50.0])
    ref = rain_fade_db(ref_d, f_mhz, 0.01, ref_r, tau_deg)[0]
    scale = np.array([rain_fade_db(ref_d, f_mhz, 10.0**x, ref_r, tau_deg)[0] for x in log_p])
    return log_p, scale / ref


def _value(quantity):
    """The number of an astropy Quantity (itur's outputs), or the value itself."""
    return getattr(quantity, "value", quantity)
