"""The full cost of one site: the preset's cited items plus its sized power system."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rural_plan.costing.npv import net_present_cost
from rural_plan.costing.power import check_power_source, power_cost
from rural_plan.costing.presets import CostPreset
from rural_plan.errors import CostingError


@dataclass(frozen=True)
class SiteCostBreakdown:
    """CAPEX and yearly OPEX items [USD] of one site of a type, power system included.

    Items from the preset keep their names (``radio_equipment``, ``mast``, ``civil_works``,
    ``transport``, ``installation``; ``site_rental``, ``operations_maintenance``,
    ``licence_fees``); the power system's items start with ``power_``.
    """

    item: str
    """The preset's site type priced (``SiteType.cost_item`` or the type's name)."""
    power_source: str
    power_w: float
    capex_usd: dict[str, float]
    opex_usd_per_year: dict[str, float]
    sizing: dict[str, float] = field(default_factory=dict)

    @property
    def capex_total_usd(self) -> float:
        return float(sum(self.capex_usd.values()))

    @property
    def opex_total_usd_per_year(self) -> float:
        return float(sum(self.opex_usd_per_year.values()))

    @property
    def power_capex_usd(self) -> float:
        return float(sum(v for k, v in self.capex_usd.items() if k.startswith("power_")))

    @property
    def power_opex_usd_per_year(self) -> float:
        return float(sum(v for k, v in self.opex_usd_per_year.items() if k.startswith("power_")))

    def tco_usd(self, *, horizon_years: int, discount_rate: float) -> float:
        """Net present cost of one site over the horizon [USD]."""
        return float(
            net_present_cost(
                self.capex_total_usd,
                self.opex_total_usd_per_year,
                horizon_years=horizon_years,
                discount_rate=discount_rate,
            )
        )


def site_cost(
    preset: CostPreset,
    item: str,
    *,
    power_w: float,
    power_source: str | None = None,
    peak_sun_hours: float,
    battery_autonomy_days: float,
) -> SiteCostBreakdown:
    """Price one site of type ``item``: the preset's items plus its power system.

    Parameters
    ----------
    preset
        The cost preset.
    item
        Name of the site type under ``site_types`` in the preset.
    power_w
        Average electrical load of the site [W] (``SiteType.power_w``).
    power_source
        ``solar`` | ``diesel`` | ``grid`` | ``included``; None: the preset's default for
        this type (``site_types.<item>.power_source``).
    peak_sun_hours
        Daily irradiation on the array [kWh/m²/day] (``cost.peak_sun_hours``; solar only).
    battery_autonomy_days
        Days the battery carries the load without sun (``cost.battery_autonomy_days``).

    Examples
    --------
    >>> from rural_plan.costing import load_preset
    >>> s = site_cost(load_preset("default"), "light_pole", power_w=150.0,
    ...               peak_sun_hours=5.0, battery_autonomy_days=2.0)
    >>> round(s.capex_total_usd, -2), s.power_source
    (10000.0, 'solar')
    """
    site = preset.site(item)
    source = power_source or site.power_source
    if source is None:
        raise CostingError(
            f"site type {item!r} has no power source: set site_types.{item}.power_source in "
            "the scenario or the cost preset (valid: solar, diesel, grid, included)"
        )
    check_power_source(source, f"site type {item!r} power_source")
    power = power_cost(
        preset.power,
        source,
        load_w=power_w,
        peak_sun_hours=peak_sun_hours,
        battery_autonomy_days=battery_autonomy_days,
        preset_name=preset.name,
    )
    return SiteCostBreakdown(
        item=item,
        power_source=source,
        power_w=float(power_w),
        capex_usd={**site.capex_usd, **power.capex_usd},
        opex_usd_per_year={**site.opex_usd_per_year, **power.opex_usd_per_year},
        sizing=dict(power.sizing),
    )


def cost_rows(
    breakdowns: Mapping[str, SiteCostBreakdown],
    preset: CostPreset,
    *,
    horizon_years: int,
    discount_rate: float,
) -> list[dict[str, Any]]:
    """Rows of ``costs.csv``: one per item, sizing value and total of each site type.

    Columns: ``site_type, cost_item, power_source, category, item, value, unit, source``
    with category ``capex`` | ``opex_per_year`` | ``sizing`` | ``total``. Preset items carry
    their citation; power items name the ``power.<source>`` figures they are computed from.
    """
    rows: list[dict[str, Any]] = []
    for name, b in breakdowns.items():
        head = {"site_type": name, "cost_item": b.item, "power_source": b.power_source}
        computed = f"computed from power.{b.power_source} figures for {b.power_w:g} W"
        entries: list[tuple[str, str, float, str, str]] = []
        for group, category, unit, items in (
            ("capex_usd", "capex", "USD", b.capex_usd),
            ("opex_usd_per_year", "opex_per_year", "USD/yr", b.opex_usd_per_year),
        ):
            for key, value in items.items():
                cited = preset.sources.get(f"site_types.{b.item}.{group}.{key}", "")
                source = computed if key.startswith("power_") else cited
                entries.append((category, key, value, unit, source))
        for key, value in b.sizing.items():
            unit = _SIZING_UNITS.get(key, "")
            entries.append(("sizing", key, value, unit, f"power.{b.power_source} model"))
        tco = b.tco_usd(horizon_years=horizon_years, discount_rate=discount_rate)
        tco_unit = f"USD, {horizon_years} yr at {discount_rate:g}"
        entries += [
            ("total", "capex_usd", b.capex_total_usd, "USD", "sum of the capex items"),
            ("total", "opex_usd_per_year", b.opex_total_usd_per_year, "USD/yr", "sum of opex"),
            ("total", "tco_usd", tco, tco_unit, "net present cost of the items"),
        ]
        fields = ("category", "item", "value", "unit", "source")
        rows += [{**head, **dict(zip(fields, e, strict=True))} for e in entries]
    return rows


_SIZING_UNITS = {
    "pv_w": "Wp",
    "battery_kwh": "kWh",
    "generator_kw": "kW",
    "transformer_kw": "kW",
    "fuel_l_per_year": "L/yr",
    "energy_kwh_per_year": "kWh/yr",
}
