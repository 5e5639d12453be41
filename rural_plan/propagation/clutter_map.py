"""The clutter around the handset on the plan's grid, and the link-budget margin for
coverage at a location probability.

Each land cell gets a P.2108-1 Table 3 clutter type: one type for the whole area
(``radio.clutter.type``), else the class of a land-cover raster (``inputs.land_cover``
through ``radio.clutter.land_cover_classes``, ESA WorldCover by default), else the
population density around it (GHSL degree of urbanisation thresholds). Its clutter loss is
P.2108-1 §3.1's height-gain correction for a handset at ``radio.rx_height_m``.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

from rural_plan.errors import GridError
from rural_plan.grid.grid import Grid
from rural_plan.propagation.clutter import (
    CLUTTER_TYPES,
    DEFAULT_CLUTTER_HEIGHT_M,
    height_gain_correction_db,
    inverse_complementary_normal,
)
from rural_plan.scenario.schema import Scenario

WORLDCOVER_CLUTTER: dict[int, str] = {
    10: "trees-forest",  # tree cover
    20: "open-rural",  # shrubland
    30: "open-rural",  # grassland
    40: "open-rural",  # cropland
    50: "suburban",  # built-up: rural built-up land is low-rise (P.2108 suburban, R = 10 m)
    60: "open-rural",  # bare / sparse vegetation
    70: "open-rural",  # snow and ice
    80: "water-sea",  # permanent water bodies
    90: "open-rural",  # herbaceous wetland
    95: "trees-forest",  # mangroves
    100: "open-rural",  # moss and lichen
}
"""ESA WorldCover 10 m 2020 / 2021 classes (Zanaga et al. 2021, doi:10.5281/zenodo.5571936,
Product User Manual v1.0) → P.2108-1 Table 3 clutter type."""

DENSITY_WINDOW_M = 1_000.0
"""Population density is taken over a square of this side around each cell (GHSL's
degree of urbanisation works on 1 km² cells)."""


def clutter_types(scenario: Scenario, grid: Grid, land_cover: np.ndarray | None) -> np.ndarray:
    """Index into :data:`CLUTTER_TYPES` of each grid cell's clutter type (int8)."""
    spec = scenario.radio.clutter
    if spec.type is not None:
        return np.full(grid.shape, CLUTTER_TYPES.index(spec.type), dtype=np.int8)
    if land_cover is not None:
        return _from_land_cover(scenario, grid, land_cover)
    cells = max(1, round(DENSITY_WINDOW_M / grid.cell_size_m))
    people = np.where(grid.land, grid.population, 0.0)
    per_km2 = ndi.uniform_filter(people, size=cells, mode="constant") / (grid.cell_size_m**2 / 1e6)
    out = np.full(grid.shape, CLUTTER_TYPES.index("open-rural"), dtype=np.int8)
    out[per_km2 >= spec.suburban_people_per_km2] = CLUTTER_TYPES.index("suburban")
    out[per_km2 >= spec.urban_people_per_km2] = CLUTTER_TYPES.index("urban")
    return out


def _from_land_cover(scenario: Scenario, grid: Grid, classes: np.ndarray) -> np.ndarray:
    mapping = scenario.radio.clutter.land_cover_classes or WORLDCOVER_CLUTTER
    present = np.unique(classes[grid.land & (classes >= 0)])
    unknown = [int(c) for c in present if int(c) not in mapping]
    if unknown:
        raise GridError(
            f"inputs.land_cover: class {unknown[0]} (of {len(unknown)} unknown) has no clutter "
            f"type; map it in radio.clutter.land_cover_classes (known: "
            f"{', '.join(str(k) for k in sorted(mapping))})"
        )
    out = np.full(grid.shape, CLUTTER_TYPES.index("open-rural"), dtype=np.int8)
    for cls, name in mapping.items():
        out[classes == cls] = CLUTTER_TYPES.index(name)
    return out


def clutter_loss_grid(
    scenario: Scenario, grid: Grid, land_cover: np.ndarray | None
) -> np.ndarray | None:
    """P.2108-1 §3.1 clutter loss [dB] of a handset at ``radio.rx_height_m`` in each cell's
    clutter (float64 grid); None with ``radio.clutter.model: none``."""
    r = scenario.radio
    if r.clutter.model == "none":
        return None
    heights = {**DEFAULT_CLUTTER_HEIGHT_M, **r.clutter.height_m}
    per_type = np.array(
        [
            height_gain_correction_db(
                r.frequency_mhz, r.rx_height_m, r.clutter.street_width_m, heights[name], name
            )
            for name in CLUTTER_TYPES
        ]
    )
    return per_type[clutter_types(scenario, grid, land_cover)]


def location_sigma_db(scenario: Scenario) -> float:
    """σ_L [dB]: ``radio.location_sigma_db``, else ITU-R P.1812-6 §4.8 for the demand
    cells' width w_a: (0.52 + 0.024 f_GHz) w_a^0.28, times u = 1 for a handset below the
    clutter (§4.10)."""
    r = scenario.radio
    if r.location_sigma_db is not None:
        return float(r.location_sigma_db)
    return (0.52 + 0.024 * r.frequency_mhz / 1000.0) * scenario.grid.demand_cell_m**0.28


def location_margin_db(scenario: Scenario) -> float:
    """The loss-budget margin [dB] for coverage at ``radio.location_probability_pct`` of
    locations: −I(p) σ_L with I the inverse complementary normal (P.1812-6 eq. 69:
    +1.28 σ_L at 90 %)."""
    p = scenario.radio.location_probability_pct / 100.0
    return float(-inverse_complementary_normal(p) * location_sigma_db(scenario))


def coverage_criterion(scenario: Scenario) -> str:
    """The coverage criterion in words (summary.json, report.html)."""
    r = scenario.radio
    parts = [f"received power ≥ {r.rx_threshold_dbm:g} dBm"]
    if r.check_uplink:
        parts.append(f"the uplink closing ({r.ue_tx_power_dbm:g} dBm handset)")
    clutter = (
        "with ITU-R P.2108-1 clutter loss at the handset"
        if r.clutter.model == "p2108"
        else "without clutter loss"
    )
    return (
        f"{' and '.join(parts)} at {r.location_probability_pct:g} % of locations "
        f"(σ_L {location_sigma_db(scenario):.2f} dB, margin {location_margin_db(scenario):.2f} "
        f"dB), {clutter}"
    )
