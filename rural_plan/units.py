"""Unit conversions and physical constants.

Conventions (see the project's DESIGN): distances in metres, heights in metres
above the DEM datum, frequencies in MHz, powers in dBm, gains and losses in dB.
Names carry their unit as a suffix: ``d_m``, ``f_mhz``, ``rx_dbm``, ``loss_db``.
"""

from __future__ import annotations

import math

import numpy as np

SPEED_OF_LIGHT_M_S = 299_792_458.0
EARTH_RADIUS_M = 6_371_000.0
"""Mean earth radius [m] (ITU-R P.834 uses 6371 km)."""
TERRAIN_ELEVATION_RANGE_M = (-11_500.0, 9_000.0)
"""Lowest and highest terrain on earth [m] (Challenger Deep -10,935 m, Everest 8,849 m),
rounded outward: a DEM or profile height outside it is not terrain (a raw fill value,
feet taken for metres, a corrupt file)."""


def db_to_linear(x_db):
    """Power ratio from decibels: 10^(x/10)."""
    return np.power(10.0, np.asarray(x_db, dtype=float) / 10.0)


def linear_to_db(x):
    """Decibels from a power ratio: 10·log10(x)."""
    return 10.0 * np.log10(np.asarray(x, dtype=float))


def dbm_to_w(p_dbm):
    """Watts from dBm."""
    return db_to_linear(p_dbm) / 1000.0


def w_to_dbm(p_w):
    """dBm from watts."""
    return linear_to_db(np.asarray(p_w, dtype=float) * 1000.0)


def wavelength_m(f_mhz: float) -> float:
    """Free-space wavelength [m] at frequency ``f_mhz`` [MHz]."""
    return SPEED_OF_LIGHT_M_S / (f_mhz * 1e6)


def free_space_loss_db(d_m, f_mhz):
    """Free-space basic transmission loss [dB], ITU-R P.525 eq. (4).

    L_bf = 32.44 + 20 log10(f [MHz]) + 20 log10(d [km]); exact constant
    20 log10(4π·10^9 / c) = 32.4478 is used. ``d_m`` [m]: the 3-D path length;
    ``f_mhz`` [MHz].

    This one definition serves NumPy (arrays or floats) and the numba kernels, which
    compile it as it is (:data:`rural_plan.propagation._kernels.free_space_loss_db`).
    """
    return 20.0 * np.log10(4.0 * math.pi * d_m * f_mhz * 1e6 / SPEED_OF_LIGHT_M_S)
