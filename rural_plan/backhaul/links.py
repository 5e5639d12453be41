"""A designed backhaul link: what it connects, how long, what it carries and costs."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """One backhaul link; ``a`` is the end nearer the core. Node names: 'core', 'fibre:N',
    'donor:N', 'site:N', 'relay:N' (N: position in the caller's arrays, from 1; a site's N
    is its ``site_id`` in sites.csv)."""

    a: str
    b: str
    kind: str
    """'fibre', 'microwave', 'relay' or 'satellite' (``scenario.names.BACKHAUL_TYPE_NAMES``)."""
    length_m: float
    """Hop length; fibre: the cable route (along roads, or straight line × detour)."""
    capex_usd: float
    opex_usd_per_year: float
    clearance_f1: float
    """Smallest terrain clearance in first-Fresnel-zone radii at ``frequency_mhz`` over
    the input DEM (microwave, relay; NaN otherwise), at the heights built
    (``height_a_m``, ``height_b_m``)."""
    capacity_mbps: float = math.nan
    """What the link can carry; satellite: the Mbps bought (its load, at least the
    scenario's satellite_mbps_per_site)."""
    load_mbps: float = 0.0
    """Busy-hour demand of the sites downstream of it."""
    mast_raise_m: float = 0.0
    """Metres of mast raise (at either end) charged to this link, included in capex."""
    relay_site: bool = False
    """``b`` is a relay-only node whose site cost is included in this link's costs."""
    route: str = ""
    """Fibre: 'road' or 'straight'."""
    geometry_xy: tuple[tuple[float, float], ...] = ()
    """Polyline [m, grid CRS] from ``a`` to ``b``; a satellite link: the site's point."""
    trench_length_m: float = math.nan
    """Fibre: the new trench this link pays for [m]: its route less the stretches an
    earlier fibre link of the plan already trenched (a road stretch several sites share
    is trenched and paid once); NaN for other types."""

    height_a_m: float = math.nan
    """Microwave, relay: antenna height above ground at ``a`` as built [m] (its mast plus
    any raise bought there, for this hop or another); NaN for other types."""
    height_b_m: float = math.nan
    """As ``height_a_m``, at ``b``."""
    raise_a_m: float = 0.0
    """Metres the mast at ``a`` is raised (for this hop or another one of the node's)."""
    raise_b_m: float = 0.0
    frequency_mhz: float = math.nan
    """Microwave, relay: the band the clearance is told at (relay: the access band)."""
    rx_dbm: float = math.nan
    """Microwave: clear-air received power [dBm]."""
    fade_margin_db: float = math.nan
    """Microwave: clear-air received power over the receiver threshold [dB]."""
    rain_fade_db: float = math.nan
    """Microwave: rain fade exceeded at 100 − the target availability % of the year
    (ITU-R P.530-17), no more than the fade margin [dB]."""
    availability_pct: float = math.nan
    """Microwave: the availability the hop reaches against rain [%]."""

    @property
    def priced_length_m(self) -> float:
        """The length its type is priced by: fibre its new trench, others the hop."""
        return self.trench_length_m if self.kind == "fibre" else self.length_m
