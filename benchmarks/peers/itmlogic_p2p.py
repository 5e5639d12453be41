"""itmlogic (PyPI, a pure-Python port of ITM 1.2.2) point-to-point, driven as its own
tests drive it (qlrpfl + avar, confidence/reliability, N_s given directly)."""

from __future__ import annotations

import math

import numpy as np


def available() -> bool:
    try:
        import itmlogic  # noqa: F401
    except ImportError:
        return False
    return True


def p2p_cr_db(
    z_m: np.ndarray,
    step_m: float,
    *,
    h_tx_m: float,
    h_rx_m: float,
    f_mhz: float,
    n_s: float,
    pol: int,
    epsilon: float,
    sigma: float,
    climate: int,
    reliability_pct: float,
    confidence_pct: float,
) -> float:
    """Basic transmission loss [dB] (free space + A) as itmlogic computes it."""
    from itmlogic.misc.qerfi import qerfi
    from itmlogic.preparatory_subroutines.qlrpfl import qlrpfl
    from itmlogic.statistics.avar import avar

    n = len(z_m) - 1
    prop = {
        "eps": epsilon,
        "sgm": sigma,
        "ipol": pol,
        "fmhz": f_mhz,
        "hg": [h_tx_m, h_rx_m],
        "klim": climate,
        "ens0": n_s,
        "lvar": 5,
        "gma": 157e-9,
        "d": n * step_m / 1000.0,
    }
    prop["pfl"] = [n, step_m, *map(float, z_m)]
    prop["kwx"] = 0
    prop["wn"] = f_mhz / 47.7
    prop["ens"] = n_s
    prop["gme"] = prop["gma"] * (1 - 0.04665 * math.exp(prop["ens"] / 179.3))
    zq = complex(epsilon, 376.62 * sigma / prop["wn"])
    prop["zgnd"] = np.sqrt(zq - 1)
    if pol != 0:
        prop["zgnd"] = prop["zgnd"] / zq
    prop["klimx"] = 0
    prop["mdvarx"] = 11
    zr = qerfi([reliability_pct / 100])[0]
    zc = qerfi([confidence_pct / 100])[0]
    prop = qlrpfl(prop)
    fs = 8.685890 * np.log(2 * prop["wn"] * prop["dist"])
    avar1, prop = avar(zr, 0, zc, prop)
    return float(fs + avar1)
