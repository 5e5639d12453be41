"""Prices of backhaul links from the cost preset: one pricer per link type (a registry).

Every figure comes from the preset (cited in its YAML); a figure a preset lacks is an
error, never a zero. The typed fields of :class:`~rural_plan.costing.CostPreset` price
microwave, satellite and fibre; the relay, mast-raise and detour figures are read by key
path from ``preset.figures`` (``backhaul.relay.capex_usd_per_link`` …), so a patched or
scaled preset (sensitivity analysis) moves these prices too.
"""

from __future__ import annotations

from collections.abc import Callable

from rural_plan.backhaul.links import Link
from rural_plan.costing import CostPreset
from rural_plan.errors import BackhaulError, CostingError

MAST_RAISE_USD_PER_M = "backhaul.microwave.mast_raise_capex_usd_per_m"
RELAY_CAPEX = "backhaul.relay.capex_usd_per_link"
RELAY_OPEX_FRACTION = "backhaul.relay.opex_fraction_of_capex_per_year"
RELAY_SITE_CAPEX = "backhaul.relay.site_capex_usd"
RELAY_SITE_OPEX = "backhaul.relay.site_opex_usd_per_year"
FIBRE_DETOUR = "backhaul.fibre.detour_factor"


def figure(preset: CostPreset, key: str) -> float:
    """A preset figure by key path; missing is an error naming the key (nothing costs 0)."""
    try:
        return preset.figures[key]
    except KeyError:
        raise CostingError(
            f"cost preset {preset.name!r} has no figure {key!r}: add it (value and source) "
            "to the preset's backhaul section, or start the preset with 'extends: default'"
        ) from None


Pricer = Callable[..., tuple[float, float]]
"""``pricer(preset, *, length_m, mbps) -> (CAPEX [USD], OPEX [USD/yr])`` of one link."""


def _microwave(preset: CostPreset, *, length_m: float, mbps: float) -> tuple[float, float]:
    capex = preset.microwave_capex_usd(length_m)
    return capex, capex * preset.microwave_opex_fraction_per_year


def _relay(preset: CostPreset, *, length_m: float, mbps: float) -> tuple[float, float]:
    capex = figure(preset, RELAY_CAPEX)
    return capex, capex * figure(preset, RELAY_OPEX_FRACTION)


def _fibre(preset: CostPreset, *, length_m: float, mbps: float) -> tuple[float, float]:
    km = length_m / 1000.0
    return preset.fibre_capex_usd_per_km * km, preset.fibre_opex_usd_per_km_per_year * km


def _satellite(preset: CostPreset, *, length_m: float, mbps: float) -> tuple[float, float]:
    return preset.satellite_terminal_usd(mbps)


BACKHAUL_TYPES: dict[str, Pricer] = {
    "fibre": _fibre,
    "microwave": _microwave,
    "relay": _relay,
    "satellite": _satellite,
}
"""Registry: backhaul type → pricer. Keyed by ``scenario.names.BACKHAUL_TYPE_NAMES`` (same order).
``mbps`` is the capacity bought (satellite: the terminal's billed Mbps)."""


def mast_raise_capex_usd(preset: CostPreset, raise_m: float) -> float:
    """CAPEX [USD] of raising masts by ``raise_m`` metres in all (no OPEX)."""
    return 0.0 if raise_m <= 0 else raise_m * figure(preset, MAST_RAISE_USD_PER_M)


def relay_site_costs(preset: CostPreset) -> tuple[float, float]:
    """(CAPEX, OPEX per year) [USD] of one relay-only node (pole, civil works, solar)."""
    return figure(preset, RELAY_SITE_CAPEX), figure(preset, RELAY_SITE_OPEX)


def link_costs(
    preset: CostPreset,
    *,
    kind: str,
    length_m: float,
    mbps: float,
    mast_raise_m: float = 0.0,
    relay_site: bool = False,
) -> tuple[float, float]:
    """(CAPEX, OPEX per year) [USD] of one link: its type's price, plus the mast raise
    charged to it and the relay-only node it feeds, if any."""
    try:
        pricer = BACKHAUL_TYPES[kind]
    except KeyError:
        raise BackhaulError(
            f"unknown backhaul type {kind!r}; valid: {', '.join(BACKHAUL_TYPES)}"
        ) from None
    capex, opex = pricer(preset, length_m=length_m, mbps=mbps)
    capex += mast_raise_capex_usd(preset, mast_raise_m)
    if relay_site:
        c, o = relay_site_costs(preset)
        capex, opex = capex + c, opex + o
    return capex, opex


def price_link(link: Link, preset: CostPreset) -> tuple[float, float]:
    """(CAPEX, OPEX per year) [USD] of a planned link under ``preset``.

    ``sum(price_link(k, p) for k in plan.links)`` re-prices a plan under another preset
    (the sensitivity analysis) with the same links, capacities and mast raises.
    """
    return link_costs(
        preset,
        kind=link.kind,
        length_m=link.priced_length_m,
        mbps=link.capacity_mbps,
        mast_raise_m=link.mast_raise_m,
        relay_site=link.relay_site,
    )
