"""The backhaul stage's settings, built from a scenario in one place.

Field names are the scenario's keys (``backhaul.*``, with ``radio.k_factor``,
``radio.frequency_mhz`` for relays and the
``cost`` section's horizon, discount rate and adoption); their defaults and ranges live
in the scenario schema only (:meth:`BackhaulSettings.from_schema` starts from them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from rural_plan.scenario.schema import Backhaul, Cost, Radio, Scenario


@dataclass(frozen=True)
class BackhaulSettings:
    """What a backhaul design needs beyond its nodes and the cost preset."""

    allowed: tuple[str, ...]
    """Link types the design may use (``scenario.names.BACKHAUL_TYPE_NAMES``)."""
    microwave_max_hop_m: float
    microwave_frequency_mhz: float
    fresnel_clearance: float
    """Fraction of the first Fresnel zone the terrain must leave clear."""
    k_factor: float
    """Effective earth radius factor of the clearance (``radio.k_factor``)."""
    satellite_mbps_per_site: float
    """Least capacity bought per satellite terminal [Mbps]."""
    fibre_mast_height_m: float
    """Microwave antenna height at a fibre point of presence [m]."""
    busy_hour_mbps_per_user: float
    adoption_share: float
    """Share of the people a site serves who subscribe (``cost.adoption_share``):
    a site's busy-hour demand is people × adoption × Mbps per user."""
    microwave_capacity_mbps: float
    relay_capacity_mbps: float
    fibre_capacity_mbps: float
    donor_capacity_mbps: float
    """Spare capacity of each existing tower that may feed sites [Mbps]."""
    max_mast_raise_m: float
    mast_raise_step_m: float
    relay_max_hop_m: float
    relay_max_depth: int
    microwave_availability_pct: float
    microwave_tx_power_dbm: float
    microwave_dish_diameter_m: float
    microwave_rx_threshold_dbm: float
    microwave_polarization_tilt_deg: float
    """0: horizontal, 90: vertical (ITU-R P.838-3's τ)."""
    rain_rate_001_mm_per_h: float | None
    """None: ITU-R P.837-7 at each hop's midpoint."""
    relay_frequency_mhz: float
    """Band of relay hops [MHz] (``backhaul.relay_frequency_mhz``, else ``radio.f_mhz``)."""
    horizon_years: int
    """Horizon of the net present cost the design minimises (``cost.horizon_years``)."""
    discount_rate: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> BackhaulSettings:
        return cls._of(scenario.backhaul, scenario.radio, scenario.cost)

    @classmethod
    def from_schema(cls, **changes: Any) -> BackhaulSettings:
        """The schema's defaults with ``changes`` (field names of this class) applied:
        for designs outside a scenario (notebooks, tests)."""
        return dataclasses.replace(cls._of(Backhaul(), Radio(), Cost()), **changes)

    @classmethod
    def _of(cls, b: Backhaul, radio: Radio, cost: Cost) -> BackhaulSettings:
        return cls(
            allowed=tuple(b.allowed),
            microwave_max_hop_m=b.microwave_max_hop_m,
            microwave_frequency_mhz=b.microwave_frequency_mhz,
            fresnel_clearance=b.fresnel_clearance,
            k_factor=radio.k_factor,
            satellite_mbps_per_site=b.satellite_mbps_per_site,
            fibre_mast_height_m=b.fibre_mast_height_m,
            busy_hour_mbps_per_user=b.busy_hour_mbps_per_user,
            adoption_share=cost.adoption_share,
            microwave_capacity_mbps=b.microwave_capacity_mbps,
            relay_capacity_mbps=b.relay_capacity_mbps,
            fibre_capacity_mbps=b.fibre_capacity_mbps,
            donor_capacity_mbps=b.donor_capacity_mbps,
            max_mast_raise_m=b.max_mast_raise_m,
            mast_raise_step_m=b.mast_raise_step_m,
            relay_max_hop_m=b.relay_max_hop_m,
            relay_max_depth=b.relay_max_depth,
            microwave_availability_pct=b.microwave_availability_pct,
            microwave_tx_power_dbm=b.microwave_tx_power_dbm,
            microwave_dish_diameter_m=b.microwave_dish_diameter_m,
            microwave_rx_threshold_dbm=b.microwave_rx_threshold_dbm,
            microwave_polarization_tilt_deg=90.0 if b.microwave_polarization == "vertical" else 0.0,
            rain_rate_001_mm_per_h=b.rain_rate_001_mm_per_h,
            relay_frequency_mhz=b.relay_frequency_mhz or radio.frequency_mhz,
            horizon_years=cost.horizon_years,
            discount_rate=cost.discount_rate,
        )
