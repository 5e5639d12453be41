"""The registry of point-to-area propagation models."""

from __future__ import annotations

from dataclasses import dataclass

from rural_plan.errors import PropagationError
from rural_plan.propagation import _kernels as k


@dataclass(frozen=True)
class PropagationModel:
    name: str
    code: int
    description: str
    n_params: int = 0
    """Length of the parameter vector its kernel reads (RadioSettings.params)."""


_N_PARAMS = {
    k.MODEL_OKUMURA_HATA: 1,
    k.MODEL_COST231_HATA: 1,
    k.MODEL_3GPP_RMA: 2,
    k.MODEL_DELTA_BULLINGTON: 1,
    k.MODEL_ITM: 9,
}


def _entry(name: str, code: int, description: str) -> tuple[str, PropagationModel]:
    return name, PropagationModel(name, code, description, _N_PARAMS.get(code, 0))


PROPAGATION_MODELS: dict[str, PropagationModel] = dict(
    [
        _entry(
            "fspl-knife-edge",
            k.MODEL_FSPL_KNIFE_EDGE,
            "free space (ITU-R P.525) plus the single knife-edge loss J(ν) of ITU-R P.526 eq. 31 "
            "at the dominant obstruction of each radial, earth curvature at k·a",
        ),
        _entry(
            "fspl-los",
            k.MODEL_FSPL_LOS,
            "free space (ITU-R P.525) where the terrain leaves line of sight; no coverage "
            "elsewhere",
        ),
        _entry("free-space", k.MODEL_FREE_SPACE, "free space (ITU-R P.525), terrain ignored"),
        _entry(
            "okumura-hata",
            k.MODEL_OKUMURA_HATA,
            "Okumura-Hata (Hata 1980), environment from radio.hata; terrain ignored",
        ),
        _entry(
            "cost231-hata",
            k.MODEL_COST231_HATA,
            "COST-231 Hata (COST 231 final report §4.4); terrain ignored",
        ),
        _entry(
            "3gpp-rma",
            k.MODEL_3GPP_RMA,
            "3GPP TR 38.901 rural macro: LOS formula where the terrain gives line of sight, "
            "NLOS formula elsewhere",
        ),
        _entry(
            "bullington",
            k.MODEL_BULLINGTON,
            "free space plus Bullington diffraction of each cell's profile (ITU-R P.526-15 §4.5.1)",
        ),
        _entry(
            "delta-bullington",
            k.MODEL_DELTA_BULLINGTON,
            "free space plus delta-Bullington diffraction (ITU-R P.526-15 §4.5, "
            "P.1812-6 §4.3.4), land paths",
        ),
        _entry(
            "deygout",
            k.MODEL_DEYGOUT,
            "free space plus Deygout diffraction over up to three edges (ITU-R P.526-11 §4.4.2)",
        ),
        _entry(
            "itm",
            k.MODEL_ITM,
            "NTIA Irregular Terrain Model (Longley-Rice) v1.2.2 point-to-point on each cell's "
            "radial profile, time / location / situation variability",
        ),
    ]
)
"""Point-to-area models by name (the scenario's ``radio.model``)."""


def get_model(name: str) -> PropagationModel:
    """The model registered as ``name``; an unknown name lists the valid ones."""
    try:
        return PROPAGATION_MODELS[name]
    except KeyError:
        raise PropagationError(
            f"unknown propagation model {name!r}; valid: {', '.join(PROPAGATION_MODELS)}"
        ) from None
