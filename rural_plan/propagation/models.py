"""The registry of point-to-area propagation models."""

from __future__ import annotations

from dataclasses import dataclass

from rural_plan.errors import PropagationError
from rural_plan.propagation._kernels import MODEL_FSPL_KNIFE_EDGE, MODEL_FSPL_LOS


@dataclass(frozen=True)
class PropagationModel:
    name: str
    code: int
    description: str


PROPAGATION_MODELS: dict[str, PropagationModel] = {
    "fspl-knife-edge": PropagationModel(
        "fspl-knife-edge",
        MODEL_FSPL_KNIFE_EDGE,
        "free space (ITU-R P.525) plus the single knife-edge loss J(ν) of ITU-R P.526 eq. 31 "
        "at the dominant obstruction of each radial, earth curvature at k·a",
    ),
    "fspl-los": PropagationModel(
        "fspl-los",
        MODEL_FSPL_LOS,
        "free space (ITU-R P.525) where the terrain leaves line of sight; no coverage elsewhere",
    ),
}


def get_model(name: str) -> PropagationModel:
    """The model registered as ``name``; an unknown name lists the valid ones."""
    try:
        return PROPAGATION_MODELS[name]
    except KeyError:
        raise PropagationError(
            f"unknown propagation model {name!r}; valid: {', '.join(PROPAGATION_MODELS)}"
        ) from None
