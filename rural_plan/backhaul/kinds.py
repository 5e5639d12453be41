"""The backhaul link types a plan can use (no heavy imports: the scenario schema reads it)."""

from __future__ import annotations

from collections.abc import Iterable

from rural_plan.errors import BackhaulError

BACKHAUL_TYPE_NAMES: tuple[str, ...] = ("fibre", "microwave", "relay", "satellite")
"""Link types, each priced by the cost preset (``backhaul.pricing.BACKHAUL_TYPES``):
fibre extension from a point of presence, microwave hop (Fresnel clearance over the
DEM), LTE / radio relay to a donor tower or a neighbouring site, satellite terminal."""


def check_kinds(names: Iterable[str], where: str = "backhaul.allowed") -> tuple[str, ...]:
    """``names`` as a tuple in registry order; an unknown name raises, listing the valid ones."""
    names = tuple(names)
    unknown = [n for n in names if n not in BACKHAUL_TYPE_NAMES]
    if unknown:
        valid = ", ".join(BACKHAUL_TYPE_NAMES)
        raise BackhaulError(f"{where}: unknown backhaul type {unknown[0]!r}; valid: {valid}")
    if not names:
        raise BackhaulError(f"{where}: allow at least one of {', '.join(BACKHAUL_TYPE_NAMES)}")
    return tuple(n for n in BACKHAUL_TYPE_NAMES if n in names)
