"""ITS Irregular Terrain Model (ITM, Longley-Rice) v1.2.2: typed Python entry points.

Point-to-point mode over a terrain profile (:func:`itm_p2p`, :func:`itm_p2p_cr`) and area
mode (:func:`itm_area`, :func:`itm_area_cr`). The maths lives in the numba kernels of
:mod:`rural_plan.propagation._itm`, written from Hufford's "The ITS Irregular Terrain
Model, version 1.2.2: the algorithm" and matching NTIA's C++ release v1.4 (github.com/NTIA/itm)
to round-off. These wrappers check the inputs against NTIA's ``ValidateInputs`` ranges and
raise :class:`~rural_plan.errors.PropagationError` with a one-line message naming the
parameter and its valid range.

For loops over many profiles call the kernel directly from numba code::

    out = np.empty(OUT_SIZE)
    n_s = surface_refractivity(z_m, 301.0)
    loss_db = itm_p2p_tls_kernel(z_m, step_m, h_tx_m, h_rx_m, n_s, f_mhz, 0, 15.0, 0.005,
                                 5, 0, 50.0, 50.0, 50.0, out)

(``out[OUT_ERROR]`` is non-zero and the loss NaN when the kernel refuses its inputs.)

Defaults: the ground constants, climate, refractivity, polarisation, percentages and the
point-to-point ``mdvar`` are the scenario schema's (``radio.itm``, ``radio.polarization``),
so a scenario, ``rural-plan path`` and these functions answer alike. Point-to-point mode
defaults to ``mdvar`` 12 (mobile, location variability removed: the terrain profile is
known), area mode to :data:`AREA_MDVAR` 0 (single message: its terrain is a statistic,
so location variability belongs in the prediction).
"""

from __future__ import annotations

import enum
import math
import operator
from dataclasses import dataclass

import numpy as np

from rural_plan.errors import PropagationError
from rural_plan.propagation._itm import (
    ERROR_EFFECTIVE_EARTH,
    ERROR_GROUND_IMPEDANCE,
    ERROR_SURFACE_REFRACTIVITY_LARGE,
    ERROR_SURFACE_REFRACTIVITY_SMALL,
    OUT_A_FS_DB,
    OUT_A_REF_DB,
    OUT_D_HZN_RX_M,
    OUT_D_HZN_TX_M,
    OUT_D_M,
    OUT_DELTA_H_M,
    OUT_ERROR,
    OUT_H_E_RX_M,
    OUT_H_E_TX_M,
    OUT_MODE,
    OUT_N_S,
    OUT_PATH_TYPE,
    OUT_SIZE,
    OUT_THETA_HZN_RX,
    OUT_THETA_HZN_TX,
    OUT_WARNINGS,
    itm_area_tls_kernel,
    itm_p2p_tls_kernel,
    surface_refractivity,
)
from rural_plan.scenario.schema import ItmParams, Radio

_ITM = ItmParams()
"""The scenario schema's ITM defaults (``radio.itm``)."""
_POL = int(Radio().polarization == "vertical")
"""The schema's polarisation (``radio.polarization``) as ITM's code: 0 horizontal, 1 vertical."""
AREA_MDVAR = 0
"""Area mode's default variability mode: single message (0), location variability in."""

__all__ = [
    "AREA_MDVAR",
    "OUT_SIZE",
    "WARNING_FLAGS",
    "ItmMode",
    "ItmResult",
    "PathType",
    "itm_area",
    "itm_area_cr",
    "itm_area_tls_kernel",
    "itm_p2p",
    "itm_p2p_cr",
    "itm_p2p_tls_kernel",
    "surface_refractivity",
]


class ItmMode(enum.IntEnum):
    """NTIA's propagation mode: the region of the reference-attenuation curve.

    LINE_OF_SIGHT means d < d_Ls (smooth-earth line-of-sight distance for the effective
    heights), not a geometric clear path; see :class:`PathType` for the geometry.
    """

    LINE_OF_SIGHT = 1
    DIFFRACTION = 2
    TROPOSCATTER = 3


class PathType(enum.IntEnum):
    """Geometry of the profile from the horizon search (point-to-point mode only)."""

    LINE_OF_SIGHT = 0
    SINGLE_HORIZON = 1
    DOUBLE_HORIZON = 2


#: NTIA warning bit flags (Warnings.h) and what they mean.
WARNING_FLAGS: dict[int, str] = {
    0x0001: "TX terminal height near its limits (1-1000 m)",
    0x0002: "RX terminal height near its limits (1-1000 m)",
    0x0004: "frequency near its limits (40-10000 MHz)",
    0x0008: "path distance near its upper limit (> 1000 km)",
    0x0010: "path distance large (> 2000 km), take care with the result",
    0x0020: "path distance near its lower limit (< |h_e1 - h_e2| / 0.2)",
    0x0040: "path distance small (< 1 km), take care with the result",
    0x0080: "TX horizon angle large (> 200 mrad)",
    0x0100: "RX horizon angle large (> 200 mrad)",
    0x0200: "TX horizon distance < 1/10 of the smooth-earth horizon distance",
    0x0400: "RX horizon distance < 1/10 of the smooth-earth horizon distance",
    0x0800: "TX horizon distance > 3 times the smooth-earth horizon distance",
    0x1000: "RX horizon distance > 3 times the smooth-earth horizon distance",
    0x2000: "a requested variability is far in the tail of its distribution",
    0x4000: "surface refractivity small (< 250 N-units), take care with the result",
}

_KERNEL_ERRORS = {
    ERROR_SURFACE_REFRACTIVITY_SMALL: "surface refractivity N_s = {n_s:.6g} is below 150 N-units",
    ERROR_SURFACE_REFRACTIVITY_LARGE: "surface refractivity N_s = {n_s:.6g} is above 400 N-units",
    ERROR_EFFECTIVE_EARTH: ("effective earth radius from N_s = {n_s:.6g} is outside 4000-13333 km"),
    ERROR_GROUND_IMPEDANCE: (
        "ground impedance has Re(Z_g) <= |Im(Z_g)| for epsilon = {epsilon:g}, "
        "sigma = {sigma:g} S/m, f = {f_mhz:g} MHz (raise epsilon or lower sigma)"
    ),
}


@dataclass(frozen=True, slots=True)
class ItmResult:
    """ITM basic transmission loss and the intermediate values NTIA reports.

    ``loss_db`` is NTIA's ``A__db``: free-space loss plus the attenuation quantile.
    Pairs are (transmitter, receiver).
    """

    loss_db: float
    mode: ItmMode
    warnings: int
    theta_hzn_rad: tuple[float, float]
    d_hzn_m: tuple[float, float]
    h_e_m: tuple[float, float]
    n_s: float
    delta_h_m: float
    a_ref_db: float
    a_fs_db: float
    d_m: float
    path_type: PathType | None = None

    @property
    def warning_messages(self) -> tuple[str, ...]:
        """The meaning of each warning bit set in :attr:`warnings`."""
        return tuple(text for bit, text in WARNING_FLAGS.items() if self.warnings & bit)


# --------------------------------------------------------------------------------------
# Input checks (NTIA ValidateInputs ranges)
# --------------------------------------------------------------------------------------
def _real(name: str, value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PropagationError(f"ITM: {name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise PropagationError(f"ITM: {name} must be finite, got {value!r}")
    return x


def _integer(name: str, value: object, valid: str) -> int:
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise PropagationError(f"ITM: {name} must be an integer ({valid}), got {value!r}") from None


def _in_range(name: str, value: object, lo: float, hi: float, unit: str) -> float:
    x = _real(name, value)
    if not lo <= x <= hi:
        raise PropagationError(
            f"ITM: {name} = {x:g} is outside the valid range {lo:g} to {hi:g}{unit}"
        )
    return x


def _percent(name: str, value: object) -> float:
    x = _real(name, value)
    if not 0.0 < x < 100.0:
        raise PropagationError(
            f"ITM: {name} = {x:g} is outside the valid range 0 < {name} < 100 (percent)"
        )
    return x


def _common(
    h_tx_m, h_rx_m, f_mhz, pol, epsilon, sigma, climate, mdvar
) -> tuple[float, float, float, int, float, float, int, int]:
    h_tx = _in_range("h_tx_m", h_tx_m, 0.5, 3000.0, " m")
    h_rx = _in_range("h_rx_m", h_rx_m, 0.5, 3000.0, " m")
    f = _in_range("f_mhz", f_mhz, 20.0, 20000.0, " MHz")
    p = _integer("pol", pol, "0 horizontal or 1 vertical")
    if p not in (0, 1):
        raise PropagationError(f"ITM: pol = {p} is invalid; use 0 (horizontal) or 1 (vertical)")
    eps = _real("epsilon", epsilon)
    if not eps >= 1.0:
        raise PropagationError(f"ITM: epsilon = {eps:g} is outside the valid range >= 1")
    sig = _real("sigma", sigma)
    if not sig > 0.0:
        raise PropagationError(f"ITM: sigma = {sig:g} S/m is outside the valid range > 0 S/m")
    clim = _integer("climate", climate, "1..7")
    if not 1 <= clim <= 7:
        raise PropagationError(f"ITM: climate = {clim} is outside the valid range 1 to 7")
    mdv = _integer("mdvar", mdvar, "0..3, plus 10 and/or 20")
    if mdv % 10 > 3 or not 0 <= mdv <= 33:
        raise PropagationError(
            f"ITM: mdvar = {mdv} is invalid; use 0..3 (single message, accidental, mobile, "
            "broadcast), plus 10 (no location variability) and/or 20 (no situation variability)"
        )
    return h_tx, h_rx, f, p, eps, sig, clim, mdv


def check_itm_inputs(radio: Radio, *, h_tx_m: float) -> None:
    """Refuse (``PropagationError``) what ITM itself refuses of a ``radio`` section and a
    transmitter height, before a point-to-area run would give NaN everywhere: heights,
    frequency, polarisation, ground constants, climate, the variability mode (0..3 plus
    10 and/or 20), N_0 and the percentages."""
    itm = radio.itm
    _common(
        h_tx_m,
        radio.rx_height_m,
        radio.frequency_mhz,
        int(radio.polarization == "vertical"),
        itm.epsilon,
        itm.sigma_s_per_m,
        itm.climate,
        itm.mdvar,
    )
    _refractivity(itm.n0, False)
    for name in ("time_pct", "location_pct", "situation_pct"):
        _percent(name, getattr(itm, name))


def _refractivity(n0: object, ns_direct: bool) -> float:
    if ns_direct:
        return _in_range("n0 (used directly as N_s)", n0, 150.0, 400.0, " N-units")
    return _in_range("n0", n0, 250.0, 400.0, " N-units")


def _profile(elevations_m: object, step_m: object) -> tuple[np.ndarray, float]:
    try:
        z = np.ascontiguousarray(elevations_m, dtype=np.float64)
    except (TypeError, ValueError):
        raise PropagationError("ITM: elevations_m must be a 1-D array of numbers") from None
    if z.ndim != 1 or z.shape[0] < 3:
        raise PropagationError(
            f"ITM: elevations_m must be a 1-D profile of at least 3 points, got shape {z.shape}"
        )
    if not np.all(np.isfinite(z)):
        raise PropagationError("ITM: elevations_m contains NaN or infinite values")
    step = _real("step_m", step_m)
    if not step > 0.0:
        raise PropagationError(f"ITM: step_m = {step:g} is outside the valid range > 0 m")
    return z, step


def _result(
    loss: float,
    out: np.ndarray,
    *,
    epsilon: float,
    sigma: float,
    f_mhz: float,
    n_s: float,
    p2p: bool,
) -> ItmResult:
    err = int(out[OUT_ERROR])
    if err != 0:
        template = _KERNEL_ERRORS.get(err, "the model refused the inputs (NTIA error {code})")
        raise PropagationError(
            "ITM: " + template.format(n_s=n_s, epsilon=epsilon, sigma=sigma, f_mhz=f_mhz, code=err)
        )
    return ItmResult(
        loss_db=float(loss),
        mode=ItmMode(int(out[OUT_MODE])),
        warnings=int(out[OUT_WARNINGS]),
        theta_hzn_rad=(float(out[OUT_THETA_HZN_TX]), float(out[OUT_THETA_HZN_RX])),
        d_hzn_m=(float(out[OUT_D_HZN_TX_M]), float(out[OUT_D_HZN_RX_M])),
        h_e_m=(float(out[OUT_H_E_TX_M]), float(out[OUT_H_E_RX_M])),
        n_s=float(out[OUT_N_S]),
        delta_h_m=float(out[OUT_DELTA_H_M]),
        a_ref_db=float(out[OUT_A_REF_DB]),
        a_fs_db=float(out[OUT_A_FS_DB]),
        d_m=float(out[OUT_D_M]),
        path_type=PathType(int(out[OUT_PATH_TYPE])) if p2p else None,
    )


# --------------------------------------------------------------------------------------
# Point-to-point mode
# --------------------------------------------------------------------------------------
def itm_p2p(
    *,
    elevations_m: np.ndarray,
    step_m: float,
    h_tx_m: float,
    h_rx_m: float,
    f_mhz: float,
    n0: float = _ITM.n0,
    pol: int = _POL,
    epsilon: float = _ITM.epsilon,
    sigma: float = _ITM.sigma_s_per_m,
    climate: int = _ITM.climate,
    mdvar: int = _ITM.mdvar,
    time_pct: float = _ITM.time_pct,
    location_pct: float = _ITM.location_pct,
    situation_pct: float = _ITM.situation_pct,
    ns_direct: bool = False,
) -> ItmResult:
    """ITM point-to-point basic transmission loss, time/location/situation variability.

    Equivalent to NTIA's ``ITM_P2P_TLS_Ex``. ``elevations_m``: terrain heights [m AMSL]
    from transmitter to receiver, equally spaced by ``step_m`` [m]; ``h_tx_m``, ``h_rx_m``:
    antenna heights above ground (0.5-3000 m); ``f_mhz``: 20-20000 MHz; ``n0``: surface
    refractivity reduced to sea level N_0 (250-400 N-units), scaled as NTIA does to
    N_s = N_0·exp(−h_sys/9460 m) with h_sys the mean elevation of the profile without its
    first and last 10 % of points. With ``ns_direct=True`` ``n0`` is taken as N_s itself
    (150-400), as in the original QKPFL driver. ``pol`` 0 horizontal / 1 vertical;
    ``epsilon``, ``sigma`` [S/m] ground constants; ``climate`` 1-7 (5 continental
    temperate); ``mdvar`` 0 single message, 1 accidental, 2 mobile, 3 broadcast (+10 no
    location variability, +20 no direct situation variability); percentages in (0, 100).
    """
    h_tx, h_rx, f, p, eps, sig, clim, mdv = _common(
        h_tx_m, h_rx_m, f_mhz, pol, epsilon, sigma, climate, mdvar
    )
    t = _percent("time_pct", time_pct)
    loc = _percent("location_pct", location_pct)
    sit = _percent("situation_pct", situation_pct)
    n_in = _refractivity(n0, ns_direct)
    z, step = _profile(elevations_m, step_m)
    n_s = n_in if ns_direct else float(surface_refractivity(z, n_in))
    out = np.empty(OUT_SIZE)
    loss = itm_p2p_tls_kernel(z, step, h_tx, h_rx, n_s, f, p, eps, sig, clim, mdv, t, loc, sit, out)
    return _result(loss, out, epsilon=eps, sigma=sig, f_mhz=f, n_s=n_s, p2p=True)


def itm_p2p_cr(
    *,
    elevations_m: np.ndarray,
    step_m: float,
    h_tx_m: float,
    h_rx_m: float,
    f_mhz: float,
    reliability_pct: float,
    confidence_pct: float,
    n0: float = _ITM.n0,
    pol: int = _POL,
    epsilon: float = _ITM.epsilon,
    sigma: float = _ITM.sigma_s_per_m,
    climate: int = _ITM.climate,
    mdvar: int = _ITM.mdvar,
    ns_direct: bool = False,
) -> ItmResult:
    """ITM point-to-point loss with confidence/reliability variability (``ITM_P2P_CR_Ex``).

    As :func:`itm_p2p` with time = ``reliability_pct``, location = 50 %,
    situation = ``confidence_pct``, which is how NTIA evaluates the CR variant.
    """
    rel = _percent("reliability_pct", reliability_pct)
    conf = _percent("confidence_pct", confidence_pct)
    return itm_p2p(
        elevations_m=elevations_m,
        step_m=step_m,
        h_tx_m=h_tx_m,
        h_rx_m=h_rx_m,
        f_mhz=f_mhz,
        n0=n0,
        pol=pol,
        epsilon=epsilon,
        sigma=sigma,
        climate=climate,
        mdvar=mdvar,
        time_pct=rel,
        location_pct=50.0,
        situation_pct=conf,
        ns_direct=ns_direct,
    )


# --------------------------------------------------------------------------------------
# Area mode
# --------------------------------------------------------------------------------------
_SITING = "0 random, 1 careful, 2 very careful"


def itm_area(
    *,
    d_km: float,
    delta_h_m: float,
    h_tx_m: float,
    h_rx_m: float,
    f_mhz: float,
    tx_siting: int = 0,
    rx_siting: int = 0,
    n0: float = _ITM.n0,
    pol: int = _POL,
    epsilon: float = _ITM.epsilon,
    sigma: float = _ITM.sigma_s_per_m,
    climate: int = _ITM.climate,
    mdvar: int = AREA_MDVAR,
    time_pct: float = _ITM.time_pct,
    location_pct: float = _ITM.location_pct,
    situation_pct: float = _ITM.situation_pct,
) -> ItmResult:
    """ITM area-prediction mode, time/location/situation variability (``ITM_AREA_TLS_Ex``).

    ``d_km`` > 0 path length; ``delta_h_m`` ≥ 0 terrain irregularity Δh; siting criteria
    0 random, 1 careful, 2 very careful ([Hufford 1982]); ``n0`` is used as N_s directly
    (NTIA area mode does not scale it). Other parameters as :func:`itm_p2p`.
    """
    h_tx, h_rx, f, p, eps, sig, clim, mdv = _common(
        h_tx_m, h_rx_m, f_mhz, pol, epsilon, sigma, climate, mdvar
    )
    t = _percent("time_pct", time_pct)
    loc = _percent("location_pct", location_pct)
    sit = _percent("situation_pct", situation_pct)
    n_s = _refractivity(n0, False)
    d = _real("d_km", d_km)
    if not d > 0.0:
        raise PropagationError(f"ITM: d_km = {d:g} is outside the valid range > 0 km")
    dh = _real("delta_h_m", delta_h_m)
    if not dh >= 0.0:
        raise PropagationError(f"ITM: delta_h_m = {dh:g} is outside the valid range >= 0 m")
    sites = []
    for name, value in (("tx_siting", tx_siting), ("rx_siting", rx_siting)):
        s = _integer(name, value, _SITING)
        if s not in (0, 1, 2):
            raise PropagationError(f"ITM: {name} = {s} is invalid; use {_SITING}")
        sites.append(s)
    out = np.empty(OUT_SIZE)
    loss = itm_area_tls_kernel(
        h_tx, h_rx, sites[0], sites[1], d, dh, n_s, f, p, eps, sig, clim, mdv, t, loc, sit, out
    )
    return _result(loss, out, epsilon=eps, sigma=sig, f_mhz=f, n_s=n_s, p2p=False)


def itm_area_cr(
    *,
    d_km: float,
    delta_h_m: float,
    h_tx_m: float,
    h_rx_m: float,
    f_mhz: float,
    reliability_pct: float,
    confidence_pct: float,
    tx_siting: int = 0,
    rx_siting: int = 0,
    n0: float = _ITM.n0,
    pol: int = _POL,
    epsilon: float = _ITM.epsilon,
    sigma: float = _ITM.sigma_s_per_m,
    climate: int = _ITM.climate,
    mdvar: int = AREA_MDVAR,
) -> ItmResult:
    """Area mode with confidence/reliability variability (``ITM_AREA_CR_Ex``)."""
    rel = _percent("reliability_pct", reliability_pct)
    conf = _percent("confidence_pct", confidence_pct)
    return itm_area(
        d_km=d_km,
        delta_h_m=delta_h_m,
        h_tx_m=h_tx_m,
        h_rx_m=h_rx_m,
        f_mhz=f_mhz,
        tx_siting=tx_siting,
        rx_siting=rx_siting,
        n0=n0,
        pol=pol,
        epsilon=epsilon,
        sigma=sigma,
        climate=climate,
        mdvar=mdvar,
        time_pct=rel,
        location_pct=50.0,
        situation_pct=conf,
    )
