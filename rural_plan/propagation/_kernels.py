"""Shared numba helpers of the propagation stage: arrays and scalars only, float64 maths.

Model codes are the integers the point-to-area kernels dispatch on (see
:mod:`rural_plan.propagation.models` for the names).
"""

from __future__ import annotations

import math

import numba as nb

from rural_plan import units

MODEL_FSPL_KNIFE_EDGE = 0
MODEL_FSPL_LOS = 1
MODEL_FREE_SPACE = 2
MODEL_OKUMURA_HATA = 3
MODEL_COST231_HATA = 4
MODEL_3GPP_RMA = 5
MODEL_BULLINGTON = 6
MODEL_DELTA_BULLINGTON = 7
MODEL_DEYGOUT = 8
MODEL_ITM = 9


@nb.njit(cache=True)
def knife_edge_loss_db(nu):
    """Single knife-edge diffraction loss J(ν) [dB], ITU-R P.526-15 eq. (31).

    J(ν) = 6.9 + 20 log10( sqrt((ν − 0.1)² + 1) + ν − 0.1 ) for ν > −0.78, else 0.
    """
    if nu <= -0.78:
        return 0.0
    t = nu - 0.1
    return 6.9 + 20.0 * math.log10(math.sqrt(t * t + 1.0) + t)


free_space_loss_db = nb.njit(cache=True)(units.free_space_loss_db)
"""Free-space basic transmission loss [dB], ITU-R P.525 eq. (4): 20 log10(4π d / λ);
:func:`rural_plan.units.free_space_loss_db` compiled for the kernels."""
