"""Names of the strategies a scenario can choose, in one place.

The scenario schema's enums and the CLI's choices are built from these
tuples, and each stage's own registry dict is keyed by the same names (a
test checks they agree). Keeping the names here, free of heavy imports, lets
the schema validate a name without importing numba kernels.
"""

from __future__ import annotations

PROPAGATION_MODEL_NAMES: tuple[str, ...] = ("fspl-knife-edge", "fspl-los")
"""Point-to-area models. ``fspl-knife-edge``: free space plus the ITU-R P.526
single knife-edge loss J(ν) at the dominant terrain obstruction of each radial;
``fspl-los``: free space where the terrain gives line of sight, no coverage
elsewhere."""

PLACEMENT_METHOD_NAMES: tuple[str, ...] = ("greedy",)
"""Budgeted maximum-coverage methods (lazy greedy with the Khuller–Moss–Naor
safeguard)."""

BACKHAUL_TYPE_NAMES: tuple[str, ...] = ("fibre", "microwave", "satellite")
"""Backhaul link types a plan can use; each is priced by the cost preset."""

DEM_VOID_POLICIES: tuple[str, ...] = ("fill", "error")
BUDGET_BASES: tuple[str, ...] = ("tco", "capex")
