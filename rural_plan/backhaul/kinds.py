"""The backhaul link types a design may use (names in :mod:`rural_plan.scenario.names`)."""

from __future__ import annotations

from collections.abc import Iterable

from rural_plan.errors import BackhaulError
from rural_plan.scenario.names import BACKHAUL_TYPE_NAMES


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
