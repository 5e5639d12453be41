"""itmlogic (PyPI, a pure-Python port of ITM 1.2.2) point-to-point, driven as its own
tests drive it (qlrpfl + avar, confidence/reliability, N_s given directly).

itmlogic 1.2's ``qlrpfl`` has an off-by-one in its clear-path branch (horizons found on
the profile add up to at least 1.5 d): the receiver's effective height is taken over
``pfl[np+1]``, the sample *before* the receiver (z_{n-1}), where its other branch, the
Fortran original and NTIA's C++ ``QuickPfl`` use ``pfl[np+2]`` (z_n, the receiver's own
ground). ``receiver_ground_fix=True`` runs itmlogic with that one value corrected (see
:func:`_receiver_ground_fixed`) so the benchmark can compare like with like.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np


def available() -> bool:
    try:
        import itmlogic  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _receiver_ground_fixed():
    """itmlogic's ``qlrpfl`` with its clear-path h_e2 measured from z_n instead of z_{n-1}.

    In that branch ``qlrpfl`` computes ``he[1] = hg[1] + max(pfl[np+1] - zb, 0)`` with
    ``za, zb = zlsq1(pfl, xl[0], xl[1])``, its only ``zlsq1`` call there. Wrapping the two
    helpers it looks up in its module, ``zb`` is returned lowered by z_n - z_{n-1}, so
    that ``pfl[np+1] - zb`` equals z_n - fit_n; nothing else changes. ``hzns`` is wrapped
    only to know which branch ``qlrpfl`` is about to take (its test ``dl[0] + dl[1] >=
    1.5 * dist``). Not thread-safe: the module's names are patched for the duration.
    """
    import itmlogic.preparatory_subroutines.qlrpfl as q

    hzns, zlsq1 = q.hzns, q.zlsq1
    clear = [False]

    def hzns_noting_branch(pfl, dist, hg, gme):
        the, dl = hzns(pfl, dist, hg, gme)
        clear[0] = dl[0] + dl[1] >= 1.5 * dist
        return the, dl

    def zlsq1_fixed(z, x1, x2):
        za, zb = zlsq1(z, x1, x2)
        if clear[0]:
            clear[0] = False
            n = int(z[0])
            zb -= z[n + 2] - z[n + 1]
        return za, zb

    q.hzns, q.zlsq1 = hzns_noting_branch, zlsq1_fixed
    try:
        yield
    finally:
        q.hzns, q.zlsq1 = hzns, zlsq1


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
    receiver_ground_fix: bool = False,
) -> float:
    """Basic transmission loss [dB] (free space + A) as itmlogic computes it.

    The whole call is what a user of itmlogic runs per profile: building its ``prop``
    dictionary from the inputs (ground impedance, effective curvature, the PFL list),
    ``qlrpfl`` (profile analysis and reference attenuation), ``avar`` (quantile) and
    free-space loss.
    """
    return p2p_cr(
        z_m,
        step_m,
        h_tx_m=h_tx_m,
        h_rx_m=h_rx_m,
        f_mhz=f_mhz,
        n_s=n_s,
        pol=pol,
        epsilon=epsilon,
        sigma=sigma,
        climate=climate,
        reliability_pct=reliability_pct,
        confidence_pct=confidence_pct,
        receiver_ground_fix=receiver_ground_fix,
    )[0]


def p2p_cr(
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
    receiver_ground_fix: bool = False,
) -> tuple[float, dict]:
    """As :func:`p2p_cr_db`, also returning itmlogic's ``prop`` dictionary (``he``, ``dl``,
    ``the``, ``dh``, ``aref``: its intermediate values)."""
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
    if receiver_ground_fix:
        with _receiver_ground_fixed():
            prop = qlrpfl(prop)
    else:
        prop = qlrpfl(prop)
    fs = 8.685890 * np.log(2 * prop["wn"] * prop["dist"])
    avar1, prop = avar(zr, 0, zc, prop)
    return float(fs + avar1), prop
