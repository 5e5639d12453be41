"""Point-to-point predictions over one terrain profile (the ``rural-plan path`` command).

``PATH_MODELS`` maps a model name to a function of (profile, settings) returning a
JSON-ready dict. Every model answers in one language: ``loss_db`` is the total basic
transmission loss, and each part is a key of its own: ``free_space_loss_db`` (ITU-R
P.525 over the path), ``diffraction_loss_db`` (the diffraction models: what they add to
free space), ``excess_loss_db`` (ITM and the empirical models: the loss beyond free
space), ``clutter_loss_db`` (ITU-R P.2108-1 §3.1 at the receiver, with a clutter type;
0 otherwise). ``free_space_db`` repeats ``free_space_loss_db`` for older readers.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rural_plan.errors import PropagationError
from rural_plan.io.profiles import Profile
from rural_plan.propagation import diffraction, empirical, itm
from rural_plan.propagation.clutter import DEFAULT_CLUTTER_HEIGHT_M, height_gain_correction_db
from rural_plan.scenario.schema import Radio
from rural_plan.units import EARTH_RADIUS_M, free_space_loss_db

_RADIO = Radio()
"""The scenario schema's radio defaults: a path is predicted as a scenario would be."""


@dataclass(frozen=True)
class PathSettings:
    """Radio settings of one path (units in names; percentages 0–100). Every default is
    the scenario schema's (``radio``, ``radio.itm``, ``radio.hata``)."""

    f_mhz: float
    h_tx_m: float
    h_rx_m: float
    pol: str = _RADIO.polarization
    k_factor: float = _RADIO.k_factor
    climate: int = _RADIO.itm.climate
    n0: float = _RADIO.itm.n0
    ns_direct: bool = False
    epsilon: float = _RADIO.itm.epsilon
    sigma: float = _RADIO.itm.sigma_s_per_m
    mdvar: int = _RADIO.itm.mdvar
    time_pct: float = _RADIO.itm.time_pct
    location_pct: float = _RADIO.itm.location_pct
    situation_pct: float = _RADIO.itm.situation_pct
    reliability_pct: float | None = None
    confidence_pct: float | None = None
    environment: str = _RADIO.hata.environment
    allow_extrapolation: bool = _RADIO.allow_extrapolation
    clutter_type: str | None = None
    """P.2108-1 Table 3 type around the receiver (None: no clutter loss)."""
    street_width_m: float = _RADIO.clutter.street_width_m
    clutter_height_m: float | None = None
    """Representative clutter height R [m]; None: Table 3's for the type."""

    @property
    def a_e_m(self) -> float:
        return self.k_factor * EARTH_RADIUS_M


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _path_free_space(profile: Profile, s: PathSettings) -> float:
    d = float(profile.distances_m[-1])
    dz = (profile.elevations_m[-1] + s.h_rx_m) - (profile.elevations_m[0] + s.h_tx_m)
    return float(free_space_loss_db(math.hypot(d, dz), s.f_mhz))


def _itm(profile: Profile, s: PathSettings) -> dict[str, Any]:
    resampled = profile.step_m is None
    p = profile.resampled_uniform() if resampled else profile
    step = p.step_m if p.step_m is not None else float(p.distances_m[1])
    pol = 1 if s.pol == "vertical" else 0
    common = dict(
        elevations_m=p.elevations_m,
        step_m=step,
        h_tx_m=s.h_tx_m,
        h_rx_m=s.h_rx_m,
        f_mhz=s.f_mhz,
        n0=s.n0,
        pol=pol,
        epsilon=s.epsilon,
        sigma=s.sigma,
        climate=s.climate,
        mdvar=s.mdvar,
        ns_direct=s.ns_direct,
    )
    if (s.reliability_pct is None) != (s.confidence_pct is None):
        raise PropagationError("give both --reliability and --confidence, or neither")
    if s.reliability_pct is not None:
        res = itm.itm_p2p_cr(
            reliability_pct=s.reliability_pct, confidence_pct=s.confidence_pct, **common
        )
        variability = {"reliability_pct": s.reliability_pct, "confidence_pct": s.confidence_pct}
    else:
        res = itm.itm_p2p(
            time_pct=s.time_pct,
            location_pct=s.location_pct,
            situation_pct=s.situation_pct,
            **common,
        )
        variability = {
            "time_pct": s.time_pct,
            "location_pct": s.location_pct,
            "situation_pct": s.situation_pct,
        }
    out = _jsonable(res)
    out.update(
        variability=variability,
        warning_messages=list(res.warning_messages),
        profile_resampled_to_uniform=resampled,
        # NTIA's mode is the smooth-earth regime of the reference attenuation (d against
        # the smooth-earth line-of-sight distance); the terrain can block a path that
        # regime calls line of sight: ``mode`` follows the terrain, NTIA's is kept apart
        reference_mode=out["mode"],
        mode=out["mode"]
        if out["path_type"] != "line_of_sight" and out["mode"] != "line_of_sight"
        else ("line_of_sight" if out["path_type"] == "line_of_sight" else "diffraction"),
    )
    out["free_space_loss_db"] = _path_free_space(profile, s)
    out["excess_loss_db"] = out["loss_db"] - out["free_space_loss_db"]
    return out


def _diffraction(fn: Callable[..., Any], **extra) -> Callable[[Profile, PathSettings], dict]:
    def run(profile: Profile, s: PathSettings) -> dict[str, Any]:
        res = fn(
            profile.distances_m,
            profile.elevations_m,
            s.h_tx_m,
            s.h_rx_m,
            s.f_mhz,
            s.a_e_m,
            **{k: v(s) for k, v in extra.items()},
        )
        out = _jsonable(res)
        free = _path_free_space(profile, s)
        out["diffraction_loss_db"] = float(out["loss_db"])
        out["free_space_loss_db"] = free
        out["free_space_db"] = free
        out["loss_db"] = free + out["diffraction_loss_db"]
        out["a_e_m"] = s.a_e_m
        return out

    return run


def _empirical(name: str) -> Callable[[Profile, PathSettings], dict]:
    def run(profile: Profile, s: PathSettings) -> dict[str, Any]:
        d = float(profile.distances_m[-1])
        kw = dict(allow_extrapolation=s.allow_extrapolation)
        free = _path_free_space(profile, s)
        if name == "free-space":
            return {"loss_db": free, "free_space_loss_db": free, "excess_loss_db": 0.0, "d_m": d}
        if name == "okumura-hata":
            fn = {
                "urban": empirical.hata_urban_loss_db,
                "urban-large-city": empirical.hata_urban_loss_db,
                "suburban": empirical.hata_suburban_loss_db,
                "open": empirical.hata_open_loss_db,
            }
            kw["city"] = "large" if s.environment == "urban-large-city" else "medium"
            loss = fn[s.environment](s.f_mhz, d / 1000.0, s.h_tx_m, s.h_rx_m, **kw)
        else:
            kw["metropolitan"] = s.environment == "urban-large-city"
            loss = empirical.cost231_hata_loss_db(s.f_mhz, d / 1000.0, s.h_tx_m, s.h_rx_m, **kw)
        return {
            "loss_db": float(loss),
            "free_space_loss_db": free,
            "excess_loss_db": float(loss) - free,
            "d_m": d,
            "environment": s.environment,
        }

    return run


PATH_MODELS: dict[str, Callable[[Profile, PathSettings], dict[str, Any]]] = {
    "itm": _itm,
    "bullington": _diffraction(diffraction.bullington),
    "delta-bullington": _diffraction(
        diffraction.delta_bullington,
        pol=lambda s: s.pol,
        allow_extrapolation=lambda s: s.allow_extrapolation,
    ),
    "deygout": _diffraction(diffraction.deygout),
    "knife-edge": _diffraction(diffraction.knife_edge),
    "free-space": _empirical("free-space"),
    "okumura-hata": _empirical("okumura-hata"),
    "cost231-hata": _empirical("cost231-hata"),
}
"""Point-to-point models by name (``rural-plan path --model``)."""


def path_loss(profile: Profile, model: str, settings: PathSettings) -> dict[str, Any]:
    """Predict one path; an unknown model lists the valid ones."""
    try:
        fn = PATH_MODELS[model]
    except KeyError:
        raise PropagationError(
            f"unknown path model {model!r}; valid: {', '.join(PATH_MODELS)}"
        ) from None
    try:
        out = {"model": model, **fn(profile, settings)}
    except (ZeroDivisionError, OverflowError, FloatingPointError) as err:
        raise PropagationError(
            f"{model}: cannot predict this path ({err}); check the profile's distances "
            "(step_m) and heights, and the radio settings"
        ) from None
    clutter = 0.0
    if settings.clutter_type is not None:
        height = settings.clutter_height_m
        if height is None:
            height = DEFAULT_CLUTTER_HEIGHT_M.get(settings.clutter_type, 10.0)
        clutter = float(
            height_gain_correction_db(
                settings.f_mhz,
                settings.h_rx_m,
                settings.street_width_m,
                height,
                settings.clutter_type,
            )
        )
        out["clutter_type"] = settings.clutter_type
    out["clutter_loss_db"] = clutter
    loss = float(out["loss_db"]) + clutter
    if not math.isfinite(loss) or loss < -LOSS_TOLERANCE_DB:
        raise PropagationError(
            f"{model}: the prediction for this path is loss_db={loss:g}, which no path can "
            "have (a loss is finite and never a gain); the profile or settings are outside "
            "what the model can predict: check the profile's distances (step_m) and "
            "heights, --f-mhz and the antenna heights"
        )
    out["loss_db"] = loss
    return out


LOSS_TOLERANCE_DB = 1e-6
"""A loss below -this is refused (rounding may leave a zero diffraction loss at -1e-15)."""
