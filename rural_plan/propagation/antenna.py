"""Base-station antenna horizontal patterns."""

from __future__ import annotations

import numpy as np


def sector_attenuation_db(azimuth_deg, *, beamwidth_deg: float, front_to_back_db: float):
    """Horizontal pattern attenuation of one sector [dB ≥ 0], 3GPP TR 36.814 Table A.2.1.1-2.

    A(φ) = min(12 (φ / φ_3dB)², A_m), φ measured from boresight in degrees, in [−180, 180].
    """
    phi = (np.asarray(azimuth_deg, dtype=float) + 180.0) % 360.0 - 180.0
    return np.minimum(12.0 * (phi / beamwidth_deg) ** 2, front_to_back_db)


def pattern_window(
    radius_cells: int,
    *,
    sectors: int,
    beamwidth_deg: float,
    front_to_back_db: float,
    azimuth_deg: float,
) -> np.ndarray:
    """Attenuation [dB] towards every cell of the (2R+1)² window, best of the site's sectors.

    Azimuth 0° is grid north (up), clockwise; sectors are evenly spaced from
    ``azimuth_deg``. One sector with a 360° beam is an omni antenna (0 dB everywhere).
    """
    r = radius_cells
    w = 2 * r + 1
    if sectors == 1 and beamwidth_deg >= 360.0:
        return np.zeros((w, w), dtype=np.float32)
    dr, dc = np.mgrid[-r : r + 1, -r : r + 1]
    bearing = np.degrees(np.arctan2(dc, -dr))  # north = 0°, east = 90°
    best = np.full((w, w), np.inf)
    for s in range(sectors):
        boresight = azimuth_deg + s * 360.0 / sectors
        best = np.minimum(
            best,
            sector_attenuation_db(
                bearing - boresight, beamwidth_deg=beamwidth_deg, front_to_back_db=front_to_back_db
            ),
        )
    best[r, r] = 0.0
    return best.astype(np.float32)
