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


def _entry(name: str, code: int, description: str) -> tuple[str, PropagationModel]:
    return name, PropagationModel(name, code, description)


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
