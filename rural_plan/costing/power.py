"""Site power: a solar array with batteries, a diesel generator, or a grid connection.

Each power source is sized from the site's average electrical load (``SiteType.power_w``)
and priced with the ``power.<source>`` figures of the cost preset. The sizing equations
are the textbook ones, each cited where it is defined; every figure they use is cited in
the preset YAML.

Replacement of short-lived equipment (batteries, generators, transformers) is charged
as a yearly OPEX item, CAPEX / life, the way the Earth Institute's Network Planner does
(``GenerationReplacementCostPerYear = GenerationCost / GenerationLifetime``,
SEL-Columbia/networkplanner ``np/lib/metric/mvMax5/costMiniGrid.py``): a sinking fund that
does not depend on where the horizon falls.

Examples
--------
>>> round(solar_pv_w(load_w=150.0, peak_sun_hours=5.0, system_losses=0.14), 1)
837.2
>>> battery_kwh(load_w=150.0, autonomy_days=2.0, depth_of_discharge=0.8)
9.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rural_plan.errors import CostingError

HOURS_PER_DAY = 24.0
HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class PowerCost:
    """The power system of one site: its CAPEX and yearly OPEX items [USD] and its sizing."""

    source: str
    capex_usd: dict[str, float] = field(default_factory=dict)
    opex_usd_per_year: dict[str, float] = field(default_factory=dict)
    sizing: dict[str, float] = field(default_factory=dict)
    """Physical size: ``pv_w``, ``battery_kwh``, ``generator_kw``, ``fuel_l_per_year``,
    ``energy_kwh_per_year`` … (whichever apply)."""

    @property
    def capex_total_usd(self) -> float:
        return float(sum(self.capex_usd.values()))

    @property
    def opex_total_usd_per_year(self) -> float:
        return float(sum(self.opex_usd_per_year.values()))


# ---------------------------------------------------------------- sizing equations


def daily_energy_wh(load_w: float) -> float:
    """Energy a site draws per day [Wh] at a constant average load ``load_w`` [W]."""
    return load_w * HOURS_PER_DAY


def solar_pv_w(*, load_w: float, peak_sun_hours: float, system_losses: float) -> float:
    """PV array rating [Wp] that replaces a day's energy in a day's sun.

    P_pv = E_day / (PSH · (1 − L)), with E_day = 24 h · load [Wh], PSH the peak sun hours
    [h/day = kWh/m²/day at 1 kW/m²] and L the fraction lost between the panel rating and
    the load (soiling, wiring, mismatch, charge control; NREL PVWatts default 14 %). The
    standard off-grid sizing rule (e.g. Acharya & Dutta, Guelph Eng. J. 5, 2013, for a
    mobile base station).
    """
    if peak_sun_hours <= 0:
        raise CostingError(f"cost.peak_sun_hours: must be > 0, got {peak_sun_hours}")
    if not 0 <= system_losses < 1:
        raise CostingError(f"power.solar.system_losses: must be in [0, 1), got {system_losses}")
    return daily_energy_wh(load_w) / (peak_sun_hours * (1.0 - system_losses))


def battery_kwh(*, load_w: float, autonomy_days: float, depth_of_discharge: float) -> float:
    """Nominal battery capacity [kWh] that carries the load ``autonomy_days`` without sun.

    C = E_day · N / DoD (Acharya & Dutta 2013: battery capacity from the daily load, the
    days of autonomy N and the depth of discharge DoD).
    """
    if autonomy_days <= 0:
        raise CostingError(f"cost.battery_autonomy_days: must be > 0, got {autonomy_days}")
    if not 0 < depth_of_discharge <= 1:
        raise CostingError(
            f"power.solar.battery_depth_of_discharge: must be in (0, 1], got {depth_of_discharge}"
        )
    return daily_energy_wh(load_w) * autonomy_days / depth_of_discharge / 1000.0


def generator_kw(*, load_w: float, sizing_factor: float, min_kw: float) -> float:
    """Generator rating [kW]: ``sizing_factor`` × the average load, at least ``min_kw``."""
    return max(min_kw, sizing_factor * load_w / 1000.0)


def diesel_litres_per_year(
    *, load_w: float, rated_kw: float, l_per_kwh: float, no_load_l_per_h_per_kw: float
) -> float:
    """Fuel a generator running all year burns [L/yr].

    HOMER's linear fuel curve F = F0 · Y_gen + F1 · P_gen [L/h] (HOMER Pro manual, "Generator
    fuel curve intercept coefficient"): F0 the no-load consumption per rated kW, F1 the
    marginal consumption per kWh delivered, Y_gen the rating and P_gen the output [kW].
    """
    litres_per_hour = no_load_l_per_h_per_kw * rated_kw + l_per_kwh * load_w / 1000.0
    return litres_per_hour * HOURS_PER_YEAR


# ------------------------------------------------------------------- power sources


def _positive(figures: Mapping[str, float], source: str, *names: str) -> None:
    for name in names:
        if figures[name] <= 0:
            raise CostingError(f"power.{source}.{name}: must be > 0, got {figures[name]}")


def solar_power(
    figures: Mapping[str, float],
    *,
    load_w: float,
    peak_sun_hours: float,
    battery_autonomy_days: float,
) -> PowerCost:
    """PV array and battery bank sized for the load; the battery is replaced every
    ``battery_life_years`` (charged yearly, CAPEX / life)."""
    _positive(figures, "solar", "battery_life_years")
    pv_w = solar_pv_w(
        load_w=load_w, peak_sun_hours=peak_sun_hours, system_losses=figures["system_losses"]
    )
    bat_kwh = battery_kwh(
        load_w=load_w,
        autonomy_days=battery_autonomy_days,
        depth_of_discharge=figures["battery_depth_of_discharge"],
    )
    battery_usd = bat_kwh * figures["battery_capex_usd_per_kwh"]
    return PowerCost(
        source="solar",
        capex_usd={
            "power_pv_array": pv_w * figures["pv_capex_usd_per_w"],
            "power_battery": battery_usd,
        },
        opex_usd_per_year={
            "power_battery_replacement": battery_usd / figures["battery_life_years"],
        },
        sizing={
            "pv_w": pv_w,
            "battery_kwh": bat_kwh,
            "energy_kwh_per_year": load_w * HOURS_PER_YEAR / 1000.0,
        },
    )


def diesel_power(
    figures: Mapping[str, float],
    *,
    load_w: float,
    peak_sun_hours: float,
    battery_autonomy_days: float,
) -> PowerCost:
    """A generator running around the clock: fuel from HOMER's fuel curve, maintenance as
    a share of CAPEX, replacement every ``generator_life_years``."""
    del peak_sun_hours, battery_autonomy_days  # not used by a generator
    _positive(figures, "diesel", "generator_life_years")
    kw = generator_kw(
        load_w=load_w,
        sizing_factor=figures["generator_sizing_factor"],
        min_kw=figures["min_generator_kw"],
    )
    litres = diesel_litres_per_year(
        load_w=load_w,
        rated_kw=kw,
        l_per_kwh=figures["fuel_l_per_kwh"],
        no_load_l_per_h_per_kw=figures["fuel_no_load_l_per_hour_per_kw"],
    )
    capex = kw * figures["generator_capex_usd_per_kw"]
    return PowerCost(
        source="diesel",
        capex_usd={"power_generator": capex},
        opex_usd_per_year={
            "power_fuel": litres * figures["fuel_price_usd_per_l"],
            "power_generator_om": capex * figures["om_fraction_of_capex_per_year"],
            "power_generator_replacement": capex / figures["generator_life_years"],
        },
        sizing={
            "generator_kw": kw,
            "fuel_l_per_year": litres,
            "energy_kwh_per_year": load_w * HOURS_PER_YEAR / 1000.0,
        },
    )


def grid_power(
    figures: Mapping[str, float],
    *,
    load_w: float,
    peak_sun_hours: float,
    battery_autonomy_days: float,
) -> PowerCost:
    """A medium-voltage line extension and a transformer (Network Planner's grid model),
    and the energy bought at the tariff, distribution losses included."""
    del peak_sun_hours, battery_autonomy_days  # not used by a grid connection
    _positive(figures, "grid", "transformer_life_years", "line_life_years")
    if not 0 <= figures["distribution_loss"] < 1:
        raise CostingError(
            f"power.grid.distribution_loss: must be in [0, 1), got {figures['distribution_loss']}"
        )
    transformer_kw = max(
        figures["min_transformer_kw"], load_w / 1000.0 / (1.0 - figures["distribution_loss"])
    )
    line = figures["line_extension_m"] * figures["mv_line_capex_usd_per_m"]
    transformer = transformer_kw * figures["transformer_capex_usd_per_kw"]
    energy_kwh = load_w * HOURS_PER_YEAR / 1000.0 / (1.0 - figures["distribution_loss"])
    return PowerCost(
        source="grid",
        capex_usd={"power_grid_line": line, "power_transformer": transformer},
        opex_usd_per_year={
            "power_electricity": energy_kwh * figures["tariff_usd_per_kwh"],
            "power_line_om": line * figures["line_om_fraction_of_capex_per_year"],
            "power_line_replacement": line / figures["line_life_years"],
            "power_transformer_om": transformer
            * figures["transformer_om_fraction_of_capex_per_year"],
            "power_transformer_replacement": transformer / figures["transformer_life_years"],
        },
        sizing={"transformer_kw": transformer_kw, "energy_kwh_per_year": energy_kwh},
    )


def included_power(
    figures: Mapping[str, float],
    *,
    load_w: float,
    peak_sun_hours: float,
    battery_autonomy_days: float,
) -> PowerCost:
    """The site type's own CAPEX / OPEX items already include its power system (a preset
    that prices sites as lump sums): nothing is added."""
    del figures, load_w, peak_sun_hours, battery_autonomy_days
    return PowerCost(source="included")


PowerModel = Callable[..., PowerCost]

POWER_SOURCES: dict[str, PowerModel] = {
    "solar": solar_power,
    "diesel": diesel_power,
    "grid": grid_power,
    "included": included_power,
}
"""Power source name → model ``(figures, *, load_w, peak_sun_hours, battery_autonomy_days)``.
The scenario schema's ``SiteType.power_source`` accepts the same names."""

POWER_FIGURES: dict[str, tuple[str, ...]] = {
    "solar": (
        "pv_capex_usd_per_w",
        "battery_capex_usd_per_kwh",
        "battery_depth_of_discharge",
        "system_losses",
        "battery_life_years",
    ),
    "diesel": (
        "generator_capex_usd_per_kw",
        "generator_sizing_factor",
        "min_generator_kw",
        "fuel_l_per_kwh",
        "fuel_no_load_l_per_hour_per_kw",
        "fuel_price_usd_per_l",
        "om_fraction_of_capex_per_year",
        "generator_life_years",
    ),
    "grid": (
        "line_extension_m",
        "mv_line_capex_usd_per_m",
        "line_om_fraction_of_capex_per_year",
        "line_life_years",
        "transformer_capex_usd_per_kw",
        "min_transformer_kw",
        "transformer_om_fraction_of_capex_per_year",
        "transformer_life_years",
        "tariff_usd_per_kwh",
        "distribution_loss",
    ),
    "included": (),
}
"""The cited figures each power source needs under ``power.<source>`` in the preset."""


def check_power_source(name: str, where: str) -> str:
    """``name`` if it is a registered power source, else a CostingError listing them."""
    if name not in POWER_SOURCES:
        raise CostingError(
            f"{where}: unknown power source {name!r}; valid: {', '.join(POWER_SOURCES)}"
        )
    return name


def power_cost(
    power: Mapping[str, Mapping[str, float]],
    source: str,
    *,
    load_w: float,
    peak_sun_hours: float,
    battery_autonomy_days: float,
    preset_name: str = "",
) -> PowerCost:
    """Size and price the power system ``source`` for a load of ``load_w`` [W].

    ``power`` is ``CostPreset.power`` (source → figure → value). A figure the model needs
    and the preset lacks is an error: nothing costs 0 by default.
    """
    check_power_source(source, "power source")
    if load_w <= 0:
        raise CostingError(f"site power_w: must be > 0, got {load_w}")
    needed = POWER_FIGURES[source]
    figures = power.get(source, {})
    missing = [n for n in needed if n not in figures]
    if missing:
        raise CostingError(
            f"cost preset {preset_name!r}: power.{source} lacks {', '.join(missing)} "
            "(every figure needs a value and a source; nothing costs 0 by default)"
        )
    return POWER_SOURCES[source](
        figures,
        load_w=load_w,
        peak_sun_hours=peak_sun_hours,
        battery_autonomy_days=battery_autonomy_days,
    )
